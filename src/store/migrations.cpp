#include "store/migrations.hpp"

#include <array>

#include <fmt/format.h>

namespace outbreak::store::detail {
namespace {

// Version 1 on SQLite: times are UTC text "YYYY-MM-DDTHH:MM:SS.ffffffZ"
// (sortable, understood by SQLite's date functions), booleans 0/1.
constexpr std::string_view kSqliteV1 = R"sql(
CREATE TABLE simulations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  scenario_json TEXT NOT NULL,
  email TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  progress_replicate INTEGER,
  progress_day INTEGER,
  days INTEGER NOT NULL,
  replicates INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  error TEXT,
  worker_id TEXT,
  lease_expires_at TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX simulations_queue ON simulations (status, created_at, id);
CREATE INDEX simulations_lease ON simulations (lease_expires_at) WHERE status = 'running';
CREATE TABLE simulation_days (
  simulation_id TEXT NOT NULL REFERENCES simulations (id) ON DELETE CASCADE,
  replicate INTEGER NOT NULL,
  day INTEGER NOT NULL,
  susceptible INTEGER NOT NULL,
  exposed INTEGER NOT NULL,
  infectious INTEGER NOT NULL,
  symptomatic INTEGER NOT NULL,
  currently_infected INTEGER NOT NULL,
  isolated INTEGER NOT NULL,
  recovered INTEGER NOT NULL,
  dead INTEGER NOT NULL,
  total_infected INTEGER NOT NULL,
  new_infections INTEGER NOT NULL,
  infections_home INTEGER NOT NULL,
  infections_work INTEGER NOT NULL,
  infections_community INTEGER NOT NULL,
  PRIMARY KEY (simulation_id, replicate, day)
) WITHOUT ROWID;
CREATE TABLE simulation_summary (
  simulation_id TEXT NOT NULL REFERENCES simulations (id) ON DELETE CASCADE,
  day INTEGER NOT NULL,
  statistic TEXT NOT NULL CHECK (statistic IN ('mean', 'p5', 'p95')),
  susceptible REAL NOT NULL,
  exposed REAL NOT NULL,
  infectious REAL NOT NULL,
  symptomatic REAL NOT NULL,
  currently_infected REAL NOT NULL,
  isolated REAL NOT NULL,
  recovered REAL NOT NULL,
  dead REAL NOT NULL,
  total_infected REAL NOT NULL,
  new_infections REAL NOT NULL,
  infections_home REAL NOT NULL,
  infections_work REAL NOT NULL,
  infections_community REAL NOT NULL,
  PRIMARY KEY (simulation_id, day, statistic)
) WITHOUT ROWID;
)sql";

// Version 1 on PostgreSQL: the same tables with native types.
constexpr std::string_view kPostgresV1 = R"sql(
CREATE TABLE simulations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  scenario_json JSON NOT NULL,
  email TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  progress_replicate BIGINT,
  progress_day BIGINT,
  days BIGINT NOT NULL,
  replicates BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  error TEXT,
  worker_id TEXT,
  lease_expires_at TIMESTAMPTZ,
  cancel_requested BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX simulations_queue ON simulations (status, created_at, id);
CREATE INDEX simulations_lease ON simulations (lease_expires_at) WHERE status = 'running';
CREATE TABLE simulation_days (
  simulation_id TEXT NOT NULL REFERENCES simulations (id) ON DELETE CASCADE,
  replicate BIGINT NOT NULL,
  day BIGINT NOT NULL,
  susceptible BIGINT NOT NULL,
  exposed BIGINT NOT NULL,
  infectious BIGINT NOT NULL,
  symptomatic BIGINT NOT NULL,
  currently_infected BIGINT NOT NULL,
  isolated BIGINT NOT NULL,
  recovered BIGINT NOT NULL,
  dead BIGINT NOT NULL,
  total_infected BIGINT NOT NULL,
  new_infections BIGINT NOT NULL,
  infections_home BIGINT NOT NULL,
  infections_work BIGINT NOT NULL,
  infections_community BIGINT NOT NULL,
  PRIMARY KEY (simulation_id, replicate, day)
);
CREATE TABLE simulation_summary (
  simulation_id TEXT NOT NULL REFERENCES simulations (id) ON DELETE CASCADE,
  day BIGINT NOT NULL,
  statistic TEXT NOT NULL CHECK (statistic IN ('mean', 'p5', 'p95')),
  susceptible DOUBLE PRECISION NOT NULL,
  exposed DOUBLE PRECISION NOT NULL,
  infectious DOUBLE PRECISION NOT NULL,
  symptomatic DOUBLE PRECISION NOT NULL,
  currently_infected DOUBLE PRECISION NOT NULL,
  isolated DOUBLE PRECISION NOT NULL,
  recovered DOUBLE PRECISION NOT NULL,
  dead DOUBLE PRECISION NOT NULL,
  total_infected DOUBLE PRECISION NOT NULL,
  new_infections DOUBLE PRECISION NOT NULL,
  infections_home DOUBLE PRECISION NOT NULL,
  infections_work DOUBLE PRECISION NOT NULL,
  infections_community DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (simulation_id, day, statistic)
);
)sql";

// Version 2: the outbox of mails to send (docs/mail.md). A pending mail is
// due at next_attempt_at; a sender that claims one pushes that forward by its
// lease.
constexpr std::string_view kSqliteV2 = R"sql(
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  simulation_id TEXT NOT NULL REFERENCES simulations (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('accepted', 'finished', 'failed', 'cancelled')),
  recipient TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'sent', 'logged', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  next_attempt_at TEXT NOT NULL,
  sent_at TEXT,
  last_error TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_simulation ON outbox (simulation_id);
)sql";

constexpr std::string_view kPostgresV2 = R"sql(
CREATE TABLE outbox (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  simulation_id TEXT NOT NULL REFERENCES simulations (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('accepted', 'finished', 'failed', 'cancelled')),
  recipient TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'sent', 'logged', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ NOT NULL,
  next_attempt_at TIMESTAMPTZ NOT NULL,
  sent_at TIMESTAMPTZ,
  last_error TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_simulation ON outbox (simulation_id);
)sql";

// Version 3: the engine's new output columns (in kDayColumns order, so that
// SELECT * lists them as documented) and totals by age band. Rows written
// before it read back with 0 and an unknown (NULL) r_t.
constexpr std::string_view kSqliteV3 = R"sql(
ALTER TABLE simulation_days ADD COLUMN hospitalized INTEGER NOT NULL DEFAULT 0;
ALTER TABLE simulation_days ADD COLUMN critical INTEGER NOT NULL DEFAULT 0;
ALTER TABLE simulation_days ADD COLUMN new_hospitalizations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE simulation_days ADD COLUMN new_deaths INTEGER NOT NULL DEFAULT 0;
ALTER TABLE simulation_days ADD COLUMN r_t REAL;
ALTER TABLE simulation_days ADD COLUMN infections_school INTEGER NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary ADD COLUMN hospitalized REAL NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary ADD COLUMN critical REAL NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary ADD COLUMN new_hospitalizations REAL NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary ADD COLUMN new_deaths REAL NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary ADD COLUMN r_t REAL;
ALTER TABLE simulation_summary ADD COLUMN infections_school REAL NOT NULL DEFAULT 0;
CREATE TABLE simulation_age_totals (
  simulation_id TEXT NOT NULL REFERENCES simulations (id) ON DELETE CASCADE,
  replicate INTEGER NOT NULL,
  band INTEGER NOT NULL CHECK (band BETWEEN 0 AND 8),
  agents INTEGER NOT NULL,
  infected INTEGER NOT NULL,
  hospitalized INTEGER NOT NULL,
  critical INTEGER NOT NULL,
  dead INTEGER NOT NULL,
  PRIMARY KEY (simulation_id, replicate, band)
) WITHOUT ROWID;
)sql";

constexpr std::string_view kPostgresV3 = R"sql(
ALTER TABLE simulation_days
  ADD COLUMN hospitalized BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN critical BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN new_hospitalizations BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN new_deaths BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN r_t DOUBLE PRECISION,
  ADD COLUMN infections_school BIGINT NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary
  ADD COLUMN hospitalized DOUBLE PRECISION NOT NULL DEFAULT 0,
  ADD COLUMN critical DOUBLE PRECISION NOT NULL DEFAULT 0,
  ADD COLUMN new_hospitalizations DOUBLE PRECISION NOT NULL DEFAULT 0,
  ADD COLUMN new_deaths DOUBLE PRECISION NOT NULL DEFAULT 0,
  ADD COLUMN r_t DOUBLE PRECISION,
  ADD COLUMN infections_school DOUBLE PRECISION NOT NULL DEFAULT 0;
CREATE TABLE simulation_age_totals (
  simulation_id TEXT NOT NULL REFERENCES simulations (id) ON DELETE CASCADE,
  replicate BIGINT NOT NULL,
  band INTEGER NOT NULL CHECK (band BETWEEN 0 AND 8),
  agents BIGINT NOT NULL,
  infected BIGINT NOT NULL,
  hospitalized BIGINT NOT NULL,
  critical BIGINT NOT NULL,
  dead BIGINT NOT NULL,
  PRIMARY KEY (simulation_id, replicate, band)
);
)sql";

// Version 4: mail addresses and their confirmation (docs/mail.md). An
// address is kept lower-case; its token is the secret of the confirmation
// link. The expression index serves the per-address hourly count of sent
// mails.
constexpr std::string_view kSqliteV4 = R"sql(
CREATE TABLE mail_addresses (
  address TEXT PRIMARY KEY,
  token TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  requested_at TEXT,
  confirmed_at TEXT
);
CREATE INDEX outbox_recipient_sent ON outbox (lower(recipient), sent_at)
  WHERE status IN ('sent', 'logged');
CREATE INDEX outbox_recipient_pending ON outbox (lower(recipient)) WHERE status = 'pending';
)sql";

constexpr std::string_view kPostgresV4 = R"sql(
CREATE TABLE mail_addresses (
  address TEXT PRIMARY KEY,
  token TEXT NOT NULL UNIQUE,
  created_at TIMESTAMPTZ NOT NULL,
  requested_at TIMESTAMPTZ,
  confirmed_at TIMESTAMPTZ
);
CREATE INDEX outbox_recipient_sent ON outbox (lower(recipient), sent_at)
  WHERE status IN ('sent', 'logged');
CREATE INDEX outbox_recipient_pending ON outbox (lower(recipient)) WHERE status = 'pending';
)sql";

// Version 5: the interventions' output columns (in kDayColumns order) and
// the timeline items active on each day of a replicate, as their ids
// separated by commas ("0,2"; empty: none). Rows written before it read back
// with 0 and no active items.
constexpr std::string_view kSqliteV5 = R"sql(
ALTER TABLE simulation_days ADD COLUMN new_symptomatic INTEGER NOT NULL DEFAULT 0;
ALTER TABLE simulation_days ADD COLUMN tests INTEGER NOT NULL DEFAULT 0;
ALTER TABLE simulation_days ADD COLUMN positive_tests INTEGER NOT NULL DEFAULT 0;
ALTER TABLE simulation_days ADD COLUMN isolating INTEGER NOT NULL DEFAULT 0;
ALTER TABLE simulation_days ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
ALTER TABLE simulation_days ADD COLUMN traced_contacts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE simulation_days ADD COLUMN vaccinated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE simulation_days ADD COLUMN active_interventions TEXT;
ALTER TABLE simulation_summary ADD COLUMN new_symptomatic REAL NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary ADD COLUMN tests REAL NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary ADD COLUMN positive_tests REAL NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary ADD COLUMN isolating REAL NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary ADD COLUMN quarantined REAL NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary ADD COLUMN traced_contacts REAL NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary ADD COLUMN vaccinated REAL NOT NULL DEFAULT 0;
)sql";

constexpr std::string_view kPostgresV5 = R"sql(
ALTER TABLE simulation_days
  ADD COLUMN new_symptomatic BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN tests BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN positive_tests BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN isolating BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN quarantined BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN traced_contacts BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN vaccinated BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN active_interventions TEXT;
ALTER TABLE simulation_summary
  ADD COLUMN new_symptomatic DOUBLE PRECISION NOT NULL DEFAULT 0,
  ADD COLUMN tests DOUBLE PRECISION NOT NULL DEFAULT 0,
  ADD COLUMN positive_tests DOUBLE PRECISION NOT NULL DEFAULT 0,
  ADD COLUMN isolating DOUBLE PRECISION NOT NULL DEFAULT 0,
  ADD COLUMN quarantined DOUBLE PRECISION NOT NULL DEFAULT 0,
  ADD COLUMN traced_contacts DOUBLE PRECISION NOT NULL DEFAULT 0,
  ADD COLUMN vaccinated DOUBLE PRECISION NOT NULL DEFAULT 0;
)sql";

// Version 6: the key figures of each replicate, written when it ends
// (docs/api.md#figures); ended_on_day NULL: it did not settle. `claims`
// counts every claim of a job, never reset (attempts is, by release() and
// retry()): the event streams tell one try's days from another's by it.
constexpr std::string_view kSqliteV6 = R"sql(
ALTER TABLE simulations ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;
UPDATE simulations SET claims = attempts;
CREATE TABLE simulation_figures (
  simulation_id TEXT NOT NULL REFERENCES simulations (id) ON DELETE CASCADE,
  replicate INTEGER NOT NULL,
  peak_infected INTEGER NOT NULL,
  peak_day INTEGER NOT NULL,
  total_infected INTEGER NOT NULL,
  dead INTEGER NOT NULL,
  peak_hospitalized INTEGER NOT NULL,
  peak_hospitalized_day INTEGER NOT NULL,
  infected_at_end INTEGER NOT NULL,
  new_infections_last_7_days INTEGER NOT NULL,
  still_spreading INTEGER NOT NULL,
  ended_on_day INTEGER,
  PRIMARY KEY (simulation_id, replicate)
) WITHOUT ROWID;
)sql";

constexpr std::string_view kPostgresV6 = R"sql(
ALTER TABLE simulations ADD COLUMN claims INTEGER NOT NULL DEFAULT 0;
UPDATE simulations SET claims = attempts;
CREATE TABLE simulation_figures (
  simulation_id TEXT NOT NULL REFERENCES simulations (id) ON DELETE CASCADE,
  replicate BIGINT NOT NULL,
  peak_infected BIGINT NOT NULL,
  peak_day BIGINT NOT NULL,
  total_infected BIGINT NOT NULL,
  dead BIGINT NOT NULL,
  peak_hospitalized BIGINT NOT NULL,
  peak_hospitalized_day BIGINT NOT NULL,
  infected_at_end BIGINT NOT NULL,
  new_infections_last_7_days BIGINT NOT NULL,
  still_spreading BOOLEAN NOT NULL,
  ended_on_day BIGINT,
  PRIMARY KEY (simulation_id, replicate)
);
)sql";

// Version 7: the base of the links in this job's mails as its submitter
// reached the server through a trusted proxy (X-Forwarded-Proto and
// X-Forwarded-Host), kept only while OUTBREAK_PUBLIC_URL is unset; NULL
// otherwise (docs/deploy.md).
constexpr std::string_view kSqliteV7 = R"sql(
ALTER TABLE simulations ADD COLUMN link_base TEXT;
)sql";

constexpr std::string_view kPostgresV7 = R"sql(
ALTER TABLE simulations ADD COLUMN link_base TEXT;
)sql";

constexpr std::array<Migration, 7> kSqlite = {{{1, "simulations, days and summaries", kSqliteV1},
                                               {2, "outbox of mails", kSqliteV2},
                                               {3, "severity columns, r_t, age totals", kSqliteV3},
                                               {4, "mail addresses and confirmations", kSqliteV4},
                                               {5, "intervention columns", kSqliteV5},
                                               {6, "key figures per replicate", kSqliteV6},
                                               {7, "link base of mails", kSqliteV7}}};
constexpr std::array<Migration, 7> kPostgres = {
    {{1, "simulations, days and summaries", kPostgresV1},
     {2, "outbox of mails", kPostgresV2},
     {3, "severity columns, r_t, age totals", kPostgresV3},
     {4, "mail addresses and confirmations", kPostgresV4},
     {5, "intervention columns", kPostgresV5},
     {6, "key figures per replicate", kPostgresV6},
     {7, "link base of mails", kPostgresV7}}};

}  // namespace

std::span<const Migration> sqlite_migrations() { return kSqlite; }
std::span<const Migration> postgres_migrations() { return kPostgres; }
int latest_schema_version() { return kSqlite.back().version; }

Error schema_too_new_error(int database_version) {
  return Error::invalid(fmt::format(
      "database schema version {} is newer than this outbreak (knows up to {}); upgrade outbreak",
      database_version, latest_schema_version()));
}

}  // namespace outbreak::store::detail
