#include "store/sqlite/sqlite_store.hpp"

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "store/common.hpp"
#include "store/migrations.hpp"
#include "store/sqlite/sqlite_records.hpp"

namespace outbreak::store::sqlite {
namespace {

constexpr std::string_view kHeld = "id = ? AND worker_id = ? AND status = 'running'";

// Sets journal_mode = WAL. On a fresh file the switch needs the file to
// itself; when several connections open it at once, SQLite answers
// SQLITE_BUSY at once (without the busy handler) to all but one of those
// that hold a read lock while wanting to write, since waiting could
// deadlock. So this tries again, a few milliseconds apart, for as long as the
// busy timeout.
void switch_to_wal(Database& db) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::minstd_rand jitter(std::random_device{}());
  for (;;) {
    const int rc = sqlite3_exec(db.get(), "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    const int primary = rc & 0xff;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
        std::chrono::steady_clock::now() > deadline) {
      db.fail("PRAGMA journal_mode = WAL");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + jitter() % 10));
  }
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const std::string& display_url) {
  try {
    auto db = std::make_unique<Database>(path);
    db->exec("PRAGMA busy_timeout = 30000;");
    switch_to_wal(*db);
    db->exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(path, ec);
    auto hub = hub_for(ec ? path : canonical.string());
    return std::unique_ptr<Store>(
        std::make_unique<SqliteStore>(std::move(db), std::move(hub), display_url));
  } catch (const SqliteError& e) {
    return Error::make(ErrorCode::kIo, fmt::format("cannot open SQLite database {} (file '{}'): {}",
                                                   display_url, path, e.what()));
  }
}

SqliteStore::SqliteStore(std::unique_ptr<Database> db, std::shared_ptr<WakeupHub> hub,
                         std::string display_url)
    : db_(std::move(db)),
      hub_(std::move(hub)),
      display_url_(std::move(display_url)),
      seen_generation_(hub_->generation()) {}

int SqliteStore::current_version() {
  Statement exists(*db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  if (!exists.bind(1, std::string_view("schema_migrations")).step()) return 0;
  Statement max(*db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  max.step();
  return static_cast<int>(max.int64(0));
}

Status SqliteStore::migrate() {
  return locked<Ok>([&]() -> Status {
    Transaction txn(*db_);
    db_->exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "applied_at TEXT NOT NULL)");
    const int version = current_version();
    if (version > detail::latest_schema_version()) return detail::schema_too_new_error(version);
    for (const auto& migration : detail::sqlite_migrations()) {
      if (migration.version <= version) continue;
      db_->exec(migration.sql);
      Statement record(*db_, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)");
      record.bind(1, std::int64_t{migration.version})
          .bind(2, std::chrono::system_clock::now())
          .run();
    }
    txn.commit();
    return Ok{};
  });
}

Result<int> SqliteStore::schema_version() {
  return locked<int>([&]() -> Result<int> { return current_version(); });
}

Status SqliteStore::check_writable() {
  return locked<Ok>([&]() -> Status {
    // An UPDATE to the same value writes nothing (SQLite leaves a page whose
    // content would not change clean); setting user_version always rewrites
    // the header page, so the commit appends a frame to the WAL.
    Transaction txn(*db_);
    Statement read(*db_, "PRAGMA user_version");
    read.step();
    db_->exec(fmt::format("PRAGMA user_version = {}", read.int64(0)));
    txn.commit();
    return Ok{};
  });
}

Result<std::string> SqliteStore::enqueue(const NewSimulation& simulation, TimePoint now) {
  if (auto valid = detail::validate(simulation); !valid) return valid.error();
  auto id = locked<std::string>([&]() -> Result<std::string> {
    std::string new_id = new_uuid_v4();
    Transaction txn(*db_);
    Statement insert(
        *db_,
        "INSERT INTO simulations (id, name, status, scenario_json, email, created_at, "
        "days, replicates, max_attempts, link_base) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, std::string_view(new_id))
        .bind(2, std::string_view(simulation.name))
        .bind(3, std::string_view(simulation.scenario_json))
        .bind(4, simulation.email)
        .bind(5, now)
        .bind(6, simulation.days)
        .bind(7, simulation.replicates)
        .bind(8, std::int64_t{simulation.max_attempts})
        .bind(9, simulation.link_base)
        .run();
    queue_mail(new_id, MailKind::kAccepted, now);
    txn.commit();
    return new_id;
  });
  if (id) hub_->notify();
  return id;
}

Result<std::optional<SimulationRecord>> SqliteStore::claim(std::string_view worker_id,
                                                           Duration lease, TimePoint now) {
  using Claimed = std::optional<SimulationRecord>;
  return locked<Claimed>([&]() -> Result<Claimed> {
    Transaction txn(*db_);
    Statement update(
        *db_,
        fmt::format(
            "UPDATE simulations SET status = 'running', worker_id = ?, "
            "attempts = attempts + 1, claims = claims + 1, started_at = ?, lease_expires_at = ?, "
            "progress_replicate = NULL, progress_day = NULL WHERE id = (SELECT id "
            "FROM simulations WHERE status = 'queued' ORDER BY "
            "created_at, id LIMIT 1) RETURNING {}",
            detail::kRecordColumns));
    update.bind(1, worker_id).bind(2, now).bind(3, now + lease);
    Claimed claimed;
    if (update.step()) claimed = read_record(update);
    update.run();
    if (claimed) {
      // What an earlier try stored; the new try writes its own.
      for (const char* table : {"simulation_days", "simulation_age_totals", "simulation_figures",
                                "simulation_summary"}) {
        Statement remove(*db_, fmt::format("DELETE FROM {} WHERE simulation_id = ?", table));
        remove.bind(1, std::string_view(claimed->id)).run();
      }
    }
    txn.commit();
    return claimed;
  });
}

Result<LeaseState> SqliteStore::renew_lease(std::string_view id, std::string_view worker_id,
                                            Duration lease, TimePoint now) {
  return locked<LeaseState>([&]() -> Result<LeaseState> {
    Transaction txn(*db_);
    Statement update(*db_, fmt::format("UPDATE simulations SET lease_expires_at = ? WHERE {} "
                                       "RETURNING cancel_requested",
                                       kHeld));
    update.bind(1, now + lease).bind(2, id).bind(3, worker_id);
    if (!update.step()) return lease_lost_error(id, worker_id);
    const LeaseState state{update.int64(0) != 0};
    update.run();
    txn.commit();
    return state;
  });
}

bool SqliteStore::holds(std::string_view id, std::string_view worker_id) {
  Statement select(*db_, fmt::format("SELECT 1 FROM simulations WHERE {}", kHeld));
  return select.bind(1, id).bind(2, worker_id).step();
}

Status SqliteStore::finish(std::string_view id, std::string_view worker_id, JobStatus final_status,
                           std::optional<std::string> error, TimePoint now) {
  if (!detail::is_final(final_status)) return detail::final_status_error(final_status);
  return locked<Ok>([&]() -> Status {
    Transaction txn(*db_);
    Statement update(*db_, fmt::format("UPDATE simulations SET status = ?, finished_at = ?, "
                                       "lease_expires_at = NULL, error = ? WHERE {} RETURNING id",
                                       kHeld));
    update.bind(1, to_string(final_status))
        .bind(2, now)
        .bind(3, error)
        .bind(4, id)
        .bind(5, worker_id);
    if (!update.step()) return lease_lost_error(id, worker_id);
    update.run();
    queue_mail(id, detail::mail_kind_for(final_status), now);
    txn.commit();
    return Ok{};
  });
}

Status SqliteStore::release(std::string_view id, std::string_view worker_id, TimePoint now) {
  bool requeued = false;
  auto status = locked<Ok>([&]() -> Status {
    Transaction txn(*db_);
    Statement update(*db_,
                     fmt::format("UPDATE simulations SET status = CASE WHEN cancel_requested THEN "
                                 "'cancelled' ELSE 'queued' END, finished_at = CASE WHEN "
                                 "cancel_requested THEN ? END, worker_id = CASE WHEN "
                                 "cancel_requested THEN worker_id END, lease_expires_at = NULL, "
                                 "attempts = attempts - 1 WHERE {} RETURNING status",
                                 kHeld));
    update.bind(1, now).bind(2, id).bind(3, worker_id);
    if (!update.step()) return lease_lost_error(id, worker_id);
    requeued = update.text(0) == "queued";
    update.run();
    if (!requeued) queue_mail(id, MailKind::kCancelled, now);
    txn.commit();
    return Ok{};
  });
  if (requeued) hub_->notify();
  return status;
}

Result<RequeueCounts> SqliteStore::requeue_expired(TimePoint now) {
  auto counts = locked<RequeueCounts>([&]() -> Result<RequeueCounts> {
    Transaction txn(*db_);
    Statement update(*db_, kRequeueExpiredSql);
    update.bind(1, now);
    RequeueCounts counts;
    std::vector<std::pair<std::string, std::string>> moved;  // id, new status
    while (update.step()) moved.emplace_back(update.text(0), update.text(1));
    for (const auto& [job, status] : moved) {
      detail::count_requeued(status, counts);
      if (status == "failed") queue_mail(job, MailKind::kFailed, now);
      if (status == "cancelled") queue_mail(job, MailKind::kCancelled, now);
    }
    txn.commit();
    return counts;
  });
  if (counts && counts->requeued > 0) hub_->notify();
  return counts;
}

void SqliteStore::queue_mail(std::string_view id, MailKind kind, TimePoint now) {
  Statement insert(*db_,
                   "INSERT INTO outbox (simulation_id, kind, recipient, created_at, "
                   "next_attempt_at) SELECT id, ?1, email, ?2, ?2 FROM simulations WHERE id = ?3 "
                   "AND email IS NOT NULL");
  insert.bind(1, to_string(kind)).bind(2, now).bind(3, id).run();
}

JobStatus SqliteStore::status_of(std::string_view id, bool& found) {
  Statement select(*db_, "SELECT status FROM simulations WHERE id = ?");
  found = select.bind(1, id).step();
  return found ? detail::parse_status(select.text(0)) : JobStatus::kQueued;
}

Result<JobStatus> SqliteStore::cancel(std::string_view id, TimePoint now) {
  return locked<JobStatus>([&]() -> Result<JobStatus> {
    Transaction txn(*db_);
    bool found = false;
    const JobStatus status = status_of(id, found);
    if (!found) return detail::not_found(id);
    if (status == JobStatus::kQueued) {
      Statement update(*db_,
                       "UPDATE simulations SET status = 'cancelled', finished_at = ? WHERE id = ?");
      update.bind(1, now).bind(2, id).run();
      queue_mail(id, MailKind::kCancelled, now);
    } else if (status == JobStatus::kRunning) {
      Statement update(*db_, "UPDATE simulations SET cancel_requested = 1 WHERE id = ?");
      update.bind(1, id).run();
    } else {
      return detail::cannot_cancel_error(id, status);
    }
    txn.commit();
    return status == JobStatus::kQueued ? JobStatus::kCancelled : JobStatus::kRunning;
  });
}

Status SqliteStore::retry(std::string_view id) {
  auto result = locked<Ok>([&]() -> Status {
    Transaction txn(*db_);
    bool found = false;
    const JobStatus status = status_of(id, found);
    if (!found) return detail::not_found(id);
    if (status != JobStatus::kFailed && status != JobStatus::kCancelled) {
      return detail::cannot_retry_error(id, status);
    }
    Statement update(*db_, detail::kRetrySql);
    update.bind(1, id).run();
    txn.commit();
    return Ok{};
  });
  if (result) hub_->notify();
  return result;
}

Result<bool> SqliteStore::wait_for_work(Duration timeout) {
  const std::lock_guard lock(wait_mu_);
  const std::uint64_t now_seen = hub_->wait(seen_generation_, timeout);
  const bool woken = now_seen != seen_generation_;
  seen_generation_ = now_seen;
  return woken;
}

Result<SimulationRecord> SqliteStore::get(std::string_view id) {
  return locked<SimulationRecord>([&]() -> Result<SimulationRecord> {
    Statement select(
        *db_, fmt::format("SELECT {} FROM simulations WHERE id = ?", detail::kRecordColumns));
    if (!select.bind(1, id).step()) return detail::not_found(id);
    return read_record(select);
  });
}

Result<std::vector<SimulationRecord>> SqliteStore::list(std::optional<JobStatus> status,
                                                        int limit) {
  using Records = std::vector<SimulationRecord>;
  if (limit < 0) return Error::invalid(fmt::format("limit must be ≥ 0, got {}", limit));
  return locked<Records>([&]() -> Result<Records> {
    Statement select(*db_, fmt::format("SELECT {} FROM simulations WHERE (?1 IS NULL OR status = "
                                       "?1) ORDER BY created_at DESC, id LIMIT ?2",
                                       detail::kRecordColumns));
    if (status) select.bind(1, to_string(*status));
    select.bind(2, std::int64_t{limit});
    Records records;
    while (select.step()) records.push_back(read_record(select));
    return records;
  });
}

}  // namespace outbreak::store::sqlite
