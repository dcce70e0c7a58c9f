#include "store/core/sql_store.hpp"

#include <fmt/format.h>

#include "store/common.hpp"
#include "store/core/records.hpp"
#include "store/core/sql.hpp"

namespace outbreak::store::core {

SqlStore::SqlStore(Backend backend)
    : backend_(std::move(backend)), sql_(std::make_unique<Sql>(*backend_.dialect)) {}

SqlStore::~SqlStore() = default;

std::unique_ptr<Rows> SqlStore::query(std::string_view sql, std::initializer_list<Value> params) {
  return backend_.session->query(sql, std::span<const Value>(params.begin(), params.size()));
}

std::int64_t SqlStore::execute(std::string_view sql, std::initializer_list<Value> params) {
  return backend_.session->execute(sql, std::span<const Value>(params.begin(), params.size()));
}

bool SqlStore::holds(std::string_view id, std::string_view worker_id) {
  return query(sql_->lock_held, {std::string(id), std::string(worker_id)})->next();
}

std::optional<JobStatus> SqlStore::locked_status(std::string_view id) {
  auto rows = query(sql_->lock_status, {std::string(id)});
  if (!rows->next()) return std::nullopt;
  return detail::parse_status(rows->text(0));
}

bool SqlStore::exists(std::string_view id) {
  return query("SELECT 1 FROM simulations WHERE id = ?", {std::string(id)})->next();
}

void SqlStore::queue_mail(std::string_view id, MailKind kind, TimePoint now) {
  execute(sql_->queue_mail, {std::string(to_string(kind)), now, now, std::string(id)});
}

void SqlStore::notify_work() {
  backend_.signal->notify_work(*backend_.session);
  notified_ = true;
}

// --- Schema ---------------------------------------------------------------

Status SqlStore::migrate() {
  const Dialect& dialect = *backend_.dialect;
  auto migrated = transaction<Ok>(TxnMode::kWrite, [&]() -> Status {
    Session& session = *backend_.session;
    dialect.lock_migrations(session);
    session.execute_script(dialect.create_migrations_table());
    auto rows = query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    rows->next();
    const int version = static_cast<int>(rows->int64(0));
    rows.reset();
    if (version > detail::latest_schema_version()) return detail::schema_too_new_error(version);
    for (const auto& migration : dialect.migrations()) {
      if (migration.version <= version) continue;
      session.execute_script(migration.sql);
      execute(sql_->record_migration,
              {std::int64_t{migration.version}, std::chrono::system_clock::now()});
    }
    return Ok{};
  });
  // The lock of a dialect whose migrations commit on their own (DDL).
  auto unlocked = call<Ok>([&]() -> Status {
    dialect.unlock_migrations(*backend_.session);
    return Ok{};
  });
  if (!migrated) return migrated;
  return unlocked;
}

Result<int> SqlStore::schema_version() {
  return call<int>([&]() -> Result<int> {
    if (!backend_.dialect->has_migrations_table(*backend_.session)) return 0;
    auto rows = query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    rows->next();
    return static_cast<int>(rows->int64(0));
  });
}

Status SqlStore::check_writable() {
  return call<Ok>([&]() -> Status {
    backend_.dialect->write_nothing(*backend_.session);
    return Ok{};
  });
}

// --- Queue ----------------------------------------------------------------

Result<std::string> SqlStore::enqueue(const NewSimulation& simulation, TimePoint now) {
  if (auto valid = detail::validate(simulation); !valid) return valid.error();
  std::string id = new_uuid_v4();
  if (!sql_->enqueue_one.empty()) {
    return call<std::string>([&]() -> Result<std::string> {
      query(sql_->enqueue_one,
            {id, simulation.name, simulation.scenario_json, nullable(simulation.email), now,
             simulation.days, simulation.replicates, std::int64_t{simulation.max_attempts},
             nullable(simulation.link_base), std::string(to_string(MailKind::kAccepted))});
      backend_.signal->committed();
      return id;
    });
  }
  return transaction<std::string>(TxnMode::kWrite, [&]() -> Result<std::string> {
    execute(sql_->insert_simulation,
            {id, simulation.name, simulation.scenario_json, nullable(simulation.email), now,
             simulation.days, simulation.replicates, std::int64_t{simulation.max_attempts},
             nullable(simulation.link_base)});
    if (simulation.email) {
      execute(sql_->insert_mail,
              {id, std::string(to_string(MailKind::kAccepted)), *simulation.email, now, now});
    }
    notify_work();
    return id;
  });
}

Result<std::optional<SimulationRecord>> SqlStore::claim(std::string_view worker_id, Duration lease,
                                                        TimePoint now) {
  using Claimed = std::optional<SimulationRecord>;
  if (!sql_->claim_one.empty()) {
    return call<Claimed>([&]() -> Result<Claimed> {
      auto rows = query(sql_->claim_one, {std::string(worker_id), now, now + lease});
      if (!rows->next()) return Claimed{};
      return Claimed{read_record(*rows)};
    });
  }
  return transaction<Claimed>(TxnMode::kWrite, [&]() -> Result<Claimed> {
    auto rows = query(sql_->next_queued);
    if (!rows->next()) return Claimed{};
    SimulationRecord record = read_record(*rows);
    rows.reset();
    execute(sql_->claim, {std::string(worker_id), now, now + lease, record.id});
    // What an earlier try stored; the new try writes its own. A job never
    // claimed before has nothing stored.
    if (record.claims > 0) {
      for (const auto& remove : sql_->remove_results) execute(remove, {record.id});
    }
    // The row as the UPDATE left it (it is locked: nothing else changed it).
    record.status = JobStatus::kRunning;
    record.worker_id = std::string(worker_id);
    record.attempts += 1;
    record.claims += 1;
    record.started_at = now;
    record.lease_expires_at = now + lease;
    record.progress_replicate.reset();
    record.progress_day.reset();
    return Claimed{std::move(record)};
  });
}

Result<LeaseState> SqlStore::renew_lease(std::string_view id, std::string_view worker_id,
                                         Duration lease, TimePoint now) {
  // Two statements without a transaction: the UPDATE proves the lease is
  // held; a cancel requested a moment later is news the worker wants too.
  return call<LeaseState>([&]() -> Result<LeaseState> {
    if (execute(sql_->renew, {now + lease, std::string(id), std::string(worker_id)}) == 0) {
      return lease_lost_error(id, worker_id);
    }
    auto rows = query(sql_->cancel_requested, {std::string(id)});
    return LeaseState{rows->next() && rows->boolean(0)};
  });
}

Status SqlStore::finish(std::string_view id, std::string_view worker_id, JobStatus final_status,
                        std::optional<std::string> error, TimePoint now) {
  if (!detail::is_final(final_status)) return detail::final_status_error(final_status);
  if (!sql_->finish_one.empty()) {
    return call<Ok>([&]() -> Status {
      auto rows =
          query(sql_->finish_one, {std::string(to_string(final_status)), now, nullable(error),
                                   std::string(id), std::string(worker_id),
                                   std::string(to_string(detail::mail_kind_for(final_status)))});
      if (!rows->next()) return lease_lost_error(id, worker_id);
      return Ok{};
    });
  }
  return transaction<Ok>(TxnMode::kWrite, [&]() -> Status {
    if (execute(sql_->finish, {std::string(to_string(final_status)), now, nullable(error),
                               std::string(id), std::string(worker_id)}) == 0) {
      return lease_lost_error(id, worker_id);
    }
    queue_mail(id, detail::mail_kind_for(final_status), now);
    return Ok{};
  });
}

Status SqlStore::release(std::string_view id, std::string_view worker_id, TimePoint now) {
  return transaction<Ok>(TxnMode::kWrite, [&]() -> Status {
    auto rows = query(sql_->lock_held_cancel, {std::string(id), std::string(worker_id)});
    if (!rows->next()) return lease_lost_error(id, worker_id);
    const bool cancel_requested = rows->boolean(0);
    rows.reset();
    if (cancel_requested) {
      execute(sql_->release_cancelled, {now, std::string(id)});
      queue_mail(id, MailKind::kCancelled, now);
    } else {
      execute(sql_->release_queued, {std::string(id)});
      notify_work();
    }
    return Ok{};
  });
}

Result<RequeueCounts> SqlStore::requeue_expired(TimePoint now) {
  struct Expired {
    std::string id;
    std::optional<std::string> worker_id;
    bool cancel_requested;
    bool spent;  // attempts >= max_attempts
  };
  return transaction<RequeueCounts>(TxnMode::kWrite, [&]() -> Result<RequeueCounts> {
    std::vector<Expired> expired;
    {
      auto rows = query(sql_->expired, {now});
      while (rows->next()) {
        expired.push_back({rows->text(0), rows->optional_text(1), rows->boolean(2),
                           rows->int64(3) >= rows->int64(4)});
      }
    }
    RequeueCounts counts;
    for (const auto& job : expired) {
      const JobStatus status = job.cancel_requested ? JobStatus::kCancelled
                               : job.spent          ? JobStatus::kFailed
                                                    : JobStatus::kQueued;
      const bool ends = status != JobStatus::kQueued;
      execute(sql_->requeue,
              {std::string(to_string(status)), ends ? Value(now) : Value(),
               ends ? nullable(job.worker_id) : Value(),
               fmt::format("lease expired (worker {})", job.worker_id.value_or("?")), job.id});
      detail::count_requeued(to_string(status), counts);
      if (ends) {
        queue_mail(job.id, status == JobStatus::kFailed ? MailKind::kFailed : MailKind::kCancelled,
                   now);
      }
    }
    if (counts.requeued > 0) notify_work();
    return counts;
  });
}

Result<JobStatus> SqlStore::cancel(std::string_view id, TimePoint now) {
  return transaction<JobStatus>(TxnMode::kWrite, [&]() -> Result<JobStatus> {
    const auto status = locked_status(id);
    if (!status) return detail::not_found(id);
    if (*status == JobStatus::kQueued) {
      execute(sql_->cancel_queued, {now, std::string(id)});
      queue_mail(id, MailKind::kCancelled, now);
      return JobStatus::kCancelled;
    }
    if (*status == JobStatus::kRunning) {
      execute("UPDATE simulations SET cancel_requested = TRUE WHERE id = ?", {std::string(id)});
      return JobStatus::kRunning;
    }
    return detail::cannot_cancel_error(id, *status);
  });
}

Status SqlStore::retry(std::string_view id) {
  return transaction<Ok>(TxnMode::kWrite, [&]() -> Status {
    const auto status = locked_status(id);
    if (!status) return detail::not_found(id);
    if (*status != JobStatus::kFailed && *status != JobStatus::kCancelled) {
      return detail::cannot_retry_error(id, *status);
    }
    execute(sql_->retry, {std::string(id)});
    notify_work();
    return Ok{};
  });
}

Result<bool> SqlStore::wait_for_work(Duration timeout) {
  const std::lock_guard lock(wait_mu_);
  try {
    return backend_.signal->wait_for_work(timeout);
  } catch (const std::exception& e) {
    return to_error(*backend_.dialect, e, backend_.display_url, backend_.secret);
  }
}

Result<SimulationRecord> SqlStore::get(std::string_view id) {
  return call<SimulationRecord>([&]() -> Result<SimulationRecord> {
    auto rows = query(sql_->get, {std::string(id)});
    if (!rows->next()) return detail::not_found(id);
    return read_record(*rows);
  });
}

Result<std::vector<SimulationRecord>> SqlStore::list(std::optional<JobStatus> status, int limit) {
  using Records = std::vector<SimulationRecord>;
  if (limit < 0) return Error::invalid(fmt::format("limit must be ≥ 0, got {}", limit));
  return call<Records>([&]() -> Result<Records> {
    auto rows =
        status ? query(sql_->list_status, {std::string(to_string(*status)), std::int64_t{limit}})
               : query(sql_->list_all, {std::int64_t{limit}});
    Records records;
    while (rows->next()) records.push_back(read_record(*rows));
    return records;
  });
}

}  // namespace outbreak::store::core
