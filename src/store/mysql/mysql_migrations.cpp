#include "store/mysql/mysql_migrations.hpp"

#include <array>

namespace outbreak::store::detail {
namespace {

// Every table: InnoDB (transactions, row locks, SKIP LOCKED, foreign keys),
// utf8mb4, and binary collation so that text compares byte for byte as on
// SQLite and PostgreSQL (ids and tokens are case-sensitive). Times are
// DATETIME(6) holding UTC (the session's time zone is +00:00), booleans
// BOOLEAN (TINYINT(1)), counts BIGINT. Ids are VARCHAR (UUIDs), addresses
// VARCHAR(320) (the longest an address can be): MySQL indexes no TEXT column
// without a prefix length. MariaDB has no partial indexes: the queue's and
// the outbox's indexes lead with the status instead.
#define OUTBREAK_MYSQL_TABLE " ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin"

// Version 1: jobs, per-day rows (one row per simulation, replicate and day)
// and per-day summaries over replicates.
constexpr std::string_view kMysqlV1 = R"sql(
CREATE TABLE IF NOT EXISTS simulations (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  status VARCHAR(16) NOT NULL
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  scenario_json JSON NOT NULL,
  email TEXT,
  created_at DATETIME(6) NOT NULL,
  started_at DATETIME(6),
  finished_at DATETIME(6),
  progress_replicate BIGINT,
  progress_day BIGINT,
  days BIGINT NOT NULL,
  replicates BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  error TEXT,
  worker_id TEXT,
  lease_expires_at DATETIME(6),
  cancel_requested BOOLEAN NOT NULL DEFAULT FALSE
))sql" OUTBREAK_MYSQL_TABLE R"sql(;
CREATE INDEX IF NOT EXISTS simulations_queue ON simulations (status, created_at, id);
CREATE INDEX IF NOT EXISTS simulations_lease ON simulations (status, lease_expires_at);
CREATE TABLE IF NOT EXISTS simulation_days (
  simulation_id VARCHAR(64) NOT NULL,
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
  PRIMARY KEY (simulation_id, replicate, day),
  CONSTRAINT simulation_days_simulation FOREIGN KEY (simulation_id)
    REFERENCES simulations (id) ON DELETE CASCADE
))sql" OUTBREAK_MYSQL_TABLE R"sql(;
CREATE TABLE IF NOT EXISTS simulation_summary (
  simulation_id VARCHAR(64) NOT NULL,
  day BIGINT NOT NULL,
  statistic VARCHAR(8) NOT NULL CHECK (statistic IN ('mean', 'p5', 'p95')),
  susceptible DOUBLE NOT NULL,
  exposed DOUBLE NOT NULL,
  infectious DOUBLE NOT NULL,
  symptomatic DOUBLE NOT NULL,
  currently_infected DOUBLE NOT NULL,
  isolated DOUBLE NOT NULL,
  recovered DOUBLE NOT NULL,
  dead DOUBLE NOT NULL,
  total_infected DOUBLE NOT NULL,
  new_infections DOUBLE NOT NULL,
  infections_home DOUBLE NOT NULL,
  infections_work DOUBLE NOT NULL,
  infections_community DOUBLE NOT NULL,
  PRIMARY KEY (simulation_id, day, statistic),
  CONSTRAINT simulation_summary_simulation FOREIGN KEY (simulation_id)
    REFERENCES simulations (id) ON DELETE CASCADE
))sql" OUTBREAK_MYSQL_TABLE;

// Version 2: the outbox of mails to send (docs/mail.md).
constexpr std::string_view kMysqlV2 = R"sql(
CREATE TABLE IF NOT EXISTS outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  simulation_id VARCHAR(64) NOT NULL,
  kind VARCHAR(16) NOT NULL CHECK (kind IN ('accepted', 'finished', 'failed', 'cancelled')),
  recipient VARCHAR(320) NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'sent', 'logged', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  next_attempt_at DATETIME(6) NOT NULL,
  sent_at DATETIME(6),
  last_error TEXT,
  INDEX outbox_simulation (simulation_id),
  CONSTRAINT outbox_simulation_fk FOREIGN KEY (simulation_id)
    REFERENCES simulations (id) ON DELETE CASCADE
))sql" OUTBREAK_MYSQL_TABLE R"sql(;
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at, id)
)sql";

// Version 3: severity columns, r_t, and totals by age band.
constexpr std::string_view kMysqlV3 = R"sql(
ALTER TABLE simulation_days
  ADD COLUMN IF NOT EXISTS hospitalized BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS critical BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS new_hospitalizations BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS new_deaths BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS r_t DOUBLE,
  ADD COLUMN IF NOT EXISTS infections_school BIGINT NOT NULL DEFAULT 0;
ALTER TABLE simulation_summary
  ADD COLUMN IF NOT EXISTS hospitalized DOUBLE NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS critical DOUBLE NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS new_hospitalizations DOUBLE NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS new_deaths DOUBLE NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS r_t DOUBLE,
  ADD COLUMN IF NOT EXISTS infections_school DOUBLE NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS simulation_age_totals (
  simulation_id VARCHAR(64) NOT NULL,
  replicate BIGINT NOT NULL,
  band INTEGER NOT NULL CHECK (band BETWEEN 0 AND 8),
  agents BIGINT NOT NULL,
  infected BIGINT NOT NULL,
  hospitalized BIGINT NOT NULL,
  critical BIGINT NOT NULL,
  dead BIGINT NOT NULL,
  PRIMARY KEY (simulation_id, replicate, band),
  CONSTRAINT simulation_age_totals_simulation FOREIGN KEY (simulation_id)
    REFERENCES simulations (id) ON DELETE CASCADE
))sql" OUTBREAK_MYSQL_TABLE;

// Version 4: mail addresses and their confirmation. MariaDB has no
// expression indexes: plain ones on recipient stand for lower(recipient).
constexpr std::string_view kMysqlV4 = R"sql(
CREATE TABLE IF NOT EXISTS mail_addresses (
  address VARCHAR(320) NOT NULL PRIMARY KEY,
  token VARCHAR(255) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  requested_at DATETIME(6),
  confirmed_at DATETIME(6),
  CONSTRAINT mail_addresses_token UNIQUE (token)
))sql" OUTBREAK_MYSQL_TABLE R"sql(;
CREATE INDEX IF NOT EXISTS outbox_recipient_sent ON outbox (recipient, status, sent_at);
CREATE INDEX IF NOT EXISTS outbox_recipient_pending ON outbox (recipient, status)
)sql";

// Version 5: the interventions' columns, and the timeline items active on
// each day of a replicate ("0,2"; empty: none).
constexpr std::string_view kMysqlV5 = R"sql(
ALTER TABLE simulation_days
  ADD COLUMN IF NOT EXISTS new_symptomatic BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS tests BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS positive_tests BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS isolating BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS quarantined BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS traced_contacts BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS vaccinated BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS active_interventions TEXT;
ALTER TABLE simulation_summary
  ADD COLUMN IF NOT EXISTS new_symptomatic DOUBLE NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS tests DOUBLE NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS positive_tests DOUBLE NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS isolating DOUBLE NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS quarantined DOUBLE NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS traced_contacts DOUBLE NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS vaccinated DOUBLE NOT NULL DEFAULT 0
)sql";

// Version 6: the key figures of each replicate; `claims` counts every claim
// of a job. A version cut short after its ALTER runs the UPDATE again, which
// gives the same values (nothing claims while migrations hold the lock).
constexpr std::string_view kMysqlV6 = R"sql(
ALTER TABLE simulations ADD COLUMN IF NOT EXISTS claims INTEGER NOT NULL DEFAULT 0;
UPDATE simulations SET claims = attempts;
CREATE TABLE IF NOT EXISTS simulation_figures (
  simulation_id VARCHAR(64) NOT NULL,
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
  PRIMARY KEY (simulation_id, replicate),
  CONSTRAINT simulation_figures_simulation FOREIGN KEY (simulation_id)
    REFERENCES simulations (id) ON DELETE CASCADE
))sql" OUTBREAK_MYSQL_TABLE;

// Version 7: the base of the links in a job's mails when it came through a
// trusted proxy (docs/deploy.md).
constexpr std::string_view kMysqlV7 = R"sql(
ALTER TABLE simulations ADD COLUMN IF NOT EXISTS link_base TEXT
)sql";

#undef OUTBREAK_MYSQL_TABLE

constexpr std::array<Migration, 7> kMysql = {{{1, "simulations, days and summaries", kMysqlV1},
                                              {2, "outbox of mails", kMysqlV2},
                                              {3, "severity columns, r_t, age totals", kMysqlV3},
                                              {4, "mail addresses and confirmations", kMysqlV4},
                                              {5, "intervention columns", kMysqlV5},
                                              {6, "key figures per replicate", kMysqlV6},
                                              {7, "link base of mails", kMysqlV7}}};

}  // namespace

std::span<const Migration> mysql_migrations() { return kMysql; }

}  // namespace outbreak::store::detail
