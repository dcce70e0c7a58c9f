#include "store/postgres/postgres_store.hpp"

#include <fmt/format.h>

#include "store/common.hpp"
#include "store/migrations.hpp"
#include "store/postgres/postgres_records.hpp"

namespace outbreak::store::postgres {
namespace {

// pg_advisory_xact_lock key for migrations: "outbreak" in ASCII.
constexpr std::int64_t kMigrationLock = 0x6f7574627265616b;
const std::string kHeld = "id = $1 AND worker_id = $2 AND status = 'running'";

const char* nullable(const std::optional<std::string>& value) {
  return value ? value->c_str() : nullptr;
}

void notify(pqxx::work& txn) {
  txn.exec_params("SELECT pg_notify($1, '')", std::string(detail::kNotifyChannel));
}

// An INSERT of the outbox rows of kind `kind` (SQL text) for the simulations
// selected by `source` (columns id, email), created and due at parameter
// `time_param`; for data-modifying WITH clauses, so that the mail is queued
// by the same statement as the state change.
std::string queue_mail_sql(std::string_view kind, std::string_view source, int time_param,
                           std::string_view condition = "TRUE") {
  return fmt::format(
      "INSERT INTO outbox (simulation_id, kind, recipient, created_at, next_attempt_at) SELECT "
      "id, {0}, email, {2}, {2} FROM {1} WHERE email IS NOT NULL AND {3}",
      kind, source, ts(time_param), condition);
}

}  // namespace

// Counts notifications on the listening connection.
class PostgresStore::Listener final : public pqxx::notification_receiver {
 public:
  explicit Listener(pqxx::connection& conn)
      : pqxx::notification_receiver(conn, std::string(detail::kNotifyChannel)) {}
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override { ++count; }
  int count = 0;
};

Result<std::unique_ptr<Store>> open_postgres_store(const DatabaseUrl& url,
                                                   const std::string& display_url) {
  const std::string conninfo = postgres_conninfo(url);
  try {
    auto conn = std::make_unique<pqxx::connection>(conninfo);
    return std::unique_ptr<Store>(
        std::make_unique<PostgresStore>(std::move(conn), conninfo, url.password, display_url));
  } catch (const std::exception& e) {
    return Error::make(ErrorCode::kIo, scrub(fmt::format("cannot connect to PostgreSQL at {}: {}",
                                                         display_url, e.what()),
                                             url.password));
  }
}

PostgresStore::PostgresStore(std::unique_ptr<pqxx::connection> connection, std::string conninfo,
                             std::string password, std::string display_url)
    : conn_(std::move(connection)),
      conninfo_(std::move(conninfo)),
      password_(std::move(password)),
      display_url_(std::move(display_url)) {}

PostgresStore::~PostgresStore() = default;

void PostgresStore::reconnect_if_broken() {
  if (conn_ && conn_->is_open()) {
    // A server that ended the session (pg_terminate_backend, a restart,
    // a failover) has left its goodbye on the socket. Reading it now, with
    // no query in flight, marks the connection broken before a query fails
    // on it: that query would fail for nothing, and libpqxx 6 leaks the
    // result of a query that fails that way (docs/reliability.md).
    try {
      conn_->get_notifs();
    } catch (const pqxx::broken_connection&) {
      // is_open() is false now; replaced below.
    }
    if (conn_->is_open()) return;
  }
  conn_.reset();
  conn_ = std::make_unique<pqxx::connection>(conninfo_);
}

Error PostgresStore::to_error(const std::exception& e) const {
  std::string what = e.what();
  while (!what.empty() && what.back() == '\n') what.pop_back();
  // SQLSTATE 53100 disk_full: the server has no space left to write.
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
  if (sql != nullptr && sql->sqlstate() == "53100") {
    return Error::make(ErrorCode::kResource,
                       scrub(fmt::format("PostgreSQL at {}: no space left to write (disk full): {}",
                                         display_url_, what),
                             password_));
  }
  return Error::make(ErrorCode::kIo,
                     scrub(fmt::format("PostgreSQL at {}: {}", display_url_, what), password_));
}

Status PostgresStore::migrate() {
  return guarded<Ok>([&]() -> Status {
    pqxx::work txn(*conn_);
    txn.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLock);
    txn.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    const int version =
        txn.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0][0].as<int>();
    if (version > detail::latest_schema_version()) return detail::schema_too_new_error(version);
    for (const auto& migration : detail::postgres_migrations()) {
      if (migration.version <= version) continue;
      txn.exec(std::string(migration.sql));
      txn.exec_params("INSERT INTO schema_migrations (version) VALUES ($1)", migration.version);
    }
    txn.commit();
    return Ok{};
  });
}

Result<int> PostgresStore::schema_version() {
  return guarded<int>([&]() -> Result<int> {
    pqxx::work txn(*conn_);
    if (txn.exec("SELECT to_regclass('schema_migrations') IS NULL")[0][0].as<bool>()) return 0;
    return txn.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0][0].as<int>();
  });
}

Status PostgresStore::check_writable() {
  return guarded<Ok>([&]() -> Status {
    pqxx::nontransaction txn(*conn_);
    txn.exec(
        "UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT "
        "MAX(version) FROM schema_migrations)");
    return Ok{};
  });
}

// enqueue, claim, renew_lease and finish are one statement each, run without
// BEGIN/COMMIT (a single statement is atomic on its own): one round trip.
Result<std::string> PostgresStore::enqueue(const NewSimulation& simulation, TimePoint now) {
  if (auto valid = detail::validate(simulation); !valid) return valid.error();
  return guarded<std::string>([&]() -> Result<std::string> {
    std::string id = new_uuid_v4();
    pqxx::nontransaction txn(*conn_);
    static const std::string sql = fmt::format(
        "WITH s AS (INSERT INTO simulations (id, name, status, scenario_json, email, created_at, "
        "days, replicates, max_attempts, link_base) VALUES ($1, $2, 'queued', $3, $4, {}, $6, $7, "
        "$8, "
        "$10) "
        "RETURNING id, email), m AS ({}) SELECT pg_notify($9, '') FROM s",
        ts(5), queue_mail_sql("'accepted'", "s", 5));
    txn.exec_params(sql, id, simulation.name, simulation.scenario_json, nullable(simulation.email),
                    micros(now), simulation.days, simulation.replicates, simulation.max_attempts,
                    std::string(detail::kNotifyChannel), nullable(simulation.link_base));
    return id;
  });
}

Result<std::optional<SimulationRecord>> PostgresStore::claim(std::string_view worker_id,
                                                             Duration lease, TimePoint now) {
  using Claimed = std::optional<SimulationRecord>;
  return guarded<Claimed>([&]() -> Result<Claimed> {
    pqxx::nontransaction txn(*conn_);
    // What an earlier try stored goes in the same statement; the new try
    // writes its own.
    static const std::string sql = fmt::format(
        "WITH c AS (UPDATE simulations SET status = 'running', worker_id = $1, attempts = "
        "attempts + 1, claims = claims + 1, started_at = {}, lease_expires_at = {}, "
        "progress_replicate = NULL, progress_day = NULL WHERE status = 'queued' AND id = "
        "(SELECT id FROM simulations WHERE status = 'queued' ORDER BY created_at, id LIMIT 1 FOR "
        "UPDATE SKIP LOCKED) RETURNING {}), d AS (DELETE FROM simulation_days WHERE "
        "simulation_id IN (SELECT c.id FROM c)), a AS (DELETE FROM simulation_age_totals WHERE "
        "simulation_id IN (SELECT c.id FROM c)), f AS (DELETE FROM simulation_figures WHERE "
        "simulation_id IN (SELECT c.id FROM c)), m AS (DELETE FROM simulation_summary WHERE "
        "simulation_id IN (SELECT c.id FROM c)) SELECT * FROM c",
        ts(2), ts(3), record_columns());
    const auto rows =
        txn.exec_params(sql, std::string(worker_id), micros(now), micros(now + lease));
    if (rows.empty()) return Claimed{};
    return Claimed{read_record(rows[0])};
  });
}

Result<LeaseState> PostgresStore::renew_lease(std::string_view id, std::string_view worker_id,
                                              Duration lease, TimePoint now) {
  return guarded<LeaseState>([&]() -> Result<LeaseState> {
    pqxx::nontransaction txn(*conn_);
    const auto rows = txn.exec_params(
        fmt::format("UPDATE simulations SET lease_expires_at = {} WHERE {} RETURNING "
                    "cancel_requested",
                    ts(3), kHeld),
        std::string(id), std::string(worker_id), micros(now + lease));
    if (rows.empty()) return lease_lost_error(id, worker_id);
    return LeaseState{rows[0][0].as<bool>()};
  });
}

Status PostgresStore::finish(std::string_view id, std::string_view worker_id,
                             JobStatus final_status, std::optional<std::string> error,
                             TimePoint now) {
  if (!detail::is_final(final_status)) return detail::final_status_error(final_status);
  return guarded<Ok>([&]() -> Status {
    pqxx::nontransaction txn(*conn_);
    static const std::string sql = fmt::format(
        "WITH u AS (UPDATE simulations SET status = $3, finished_at = {}, lease_expires_at = "
        "NULL, error = $5 WHERE {} RETURNING id, email), m AS ({}) SELECT id FROM u",
        ts(4), kHeld, queue_mail_sql("$6", "u", 4));
    const auto rows = txn.exec_params(
        sql, std::string(id), std::string(worker_id), std::string(to_string(final_status)),
        micros(now), nullable(error), std::string(to_string(detail::mail_kind_for(final_status))));
    if (rows.empty()) return lease_lost_error(id, worker_id);
    return Ok{};
  });
}

Status PostgresStore::release(std::string_view id, std::string_view worker_id, TimePoint now) {
  return guarded<Ok>([&]() -> Status {
    pqxx::work txn(*conn_);
    const auto rows = txn.exec_params(
        fmt::format("UPDATE simulations SET status = CASE WHEN cancel_requested THEN "
                    "'cancelled' ELSE 'queued' END, finished_at = CASE WHEN cancel_requested "
                    "THEN {} END, worker_id = CASE WHEN cancel_requested THEN worker_id END, "
                    "lease_expires_at = NULL, attempts = attempts - 1 WHERE {} RETURNING status",
                    ts(3), kHeld),
        std::string(id), std::string(worker_id), micros(now));
    if (rows.empty()) return lease_lost_error(id, worker_id);
    if (rows[0][0].as<std::string>() == "queued") {
      notify(txn);
    } else {
      txn.exec_params(queue_mail_sql("'cancelled'", "simulations", 2, "id = $1"), std::string(id),
                      micros(now));
    }
    txn.commit();
    return Ok{};
  });
}

Result<RequeueCounts> PostgresStore::requeue_expired(TimePoint now) {
  return guarded<RequeueCounts>([&]() -> Result<RequeueCounts> {
    pqxx::work txn(*conn_);
    const auto rows = txn.exec_params(requeue_expired_sql(), micros(now));
    RequeueCounts counts;
    for (const auto& row : rows) detail::count_requeued(row[0].as<std::string>(), counts);
    if (counts.requeued > 0) notify(txn);
    txn.commit();
    return counts;
  });
}

Result<JobStatus> PostgresStore::cancel(std::string_view id, TimePoint now) {
  return guarded<JobStatus>([&]() -> Result<JobStatus> {
    pqxx::work txn(*conn_);
    const auto rows =
        txn.exec_params("SELECT status FROM simulations WHERE id = $1 FOR UPDATE", std::string(id));
    if (rows.empty()) return detail::not_found(id);
    const JobStatus status = detail::parse_status(rows[0][0].as<std::string>());
    if (status == JobStatus::kQueued) {
      txn.exec_params(fmt::format("UPDATE simulations SET status = 'cancelled', finished_at = {} "
                                  "WHERE id = $1",
                                  ts(2)),
                      std::string(id), micros(now));
      txn.exec_params(queue_mail_sql("'cancelled'", "simulations", 2, "id = $1"), std::string(id),
                      micros(now));
    } else if (status == JobStatus::kRunning) {
      txn.exec_params("UPDATE simulations SET cancel_requested = TRUE WHERE id = $1",
                      std::string(id));
    } else {
      return detail::cannot_cancel_error(id, status);
    }
    txn.commit();
    return status == JobStatus::kQueued ? JobStatus::kCancelled : JobStatus::kRunning;
  });
}

Status PostgresStore::retry(std::string_view id) {
  return guarded<Ok>([&]() -> Status {
    pqxx::work txn(*conn_);
    const auto rows =
        txn.exec_params("SELECT status FROM simulations WHERE id = $1 FOR UPDATE", std::string(id));
    if (rows.empty()) return detail::not_found(id);
    const JobStatus status = detail::parse_status(rows[0][0].as<std::string>());
    if (status != JobStatus::kFailed && status != JobStatus::kCancelled) {
      return detail::cannot_retry_error(id, status);
    }
    txn.exec_params(std::string(detail::kRetrySql), std::string(id));
    notify(txn);
    txn.commit();
    return Ok{};
  });
}

Result<bool> PostgresStore::wait_for_work(Duration timeout) {
  const std::lock_guard lock(wait_mu_);
  try {
    if (!listen_conn_ || !listen_conn_->is_open()) {
      listener_.reset();
      listen_conn_.reset();
      listen_conn_ = std::make_unique<pqxx::connection>(conninfo_);
      listener_ = std::make_unique<Listener>(*listen_conn_);
      return true;  // anything enqueued before LISTEN: the caller claims again
    }
    listener_->count = 0;
    if (listen_conn_->get_notifs() > 0) return true;
    const auto ms = std::max<std::int64_t>(timeout.count(), 0);
    listen_conn_->await_notification(ms / 1000, (ms % 1000) * 1000);
    return listener_->count > 0;
  } catch (const std::exception& e) {
    // A dropped listening connection: the next call listens on a new one.
    listener_.reset();
    listen_conn_.reset();
    return to_error(e);
  }
}

Result<SimulationRecord> PostgresStore::get(std::string_view id) {
  return guarded<SimulationRecord>([&]() -> Result<SimulationRecord> {
    pqxx::work txn(*conn_);
    const auto rows = txn.exec_params(
        fmt::format("SELECT {} FROM simulations WHERE id = $1", record_columns()), std::string(id));
    if (rows.empty()) return detail::not_found(id);
    return read_record(rows[0]);
  });
}

Result<std::vector<SimulationRecord>> PostgresStore::list(std::optional<JobStatus> status,
                                                          int limit) {
  using Records = std::vector<SimulationRecord>;
  if (limit < 0) return Error::invalid(fmt::format("limit must be ≥ 0, got {}", limit));
  const std::optional<std::string> wanted =
      status ? std::optional<std::string>(std::string(to_string(*status))) : std::nullopt;
  return guarded<Records>([&]() -> Result<Records> {
    pqxx::work txn(*conn_);
    const auto rows = txn.exec_params(
        fmt::format("SELECT {} FROM simulations WHERE ($1::TEXT IS NULL OR status = $1) ORDER BY "
                    "created_at DESC, id LIMIT $2",
                    record_columns()),
        nullable(wanted), limit);
    Records records;
    for (const auto& row : rows) records.push_back(read_record(row));
    return records;
  });
}

}  // namespace outbreak::store::postgres
