// The SQLite backend (internal; reached through open_store()).
//
// One connection per Store, guarded by mu_. Every write runs in a BEGIN
// IMMEDIATE transaction; WAL lets readers go on while one process writes, and
// busy_timeout makes concurrent writers wait instead of failing.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "outbreak/store/store.hpp"
#include "store/core/errors.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/wakeup.hpp"

namespace outbreak::store::sqlite {

// Opens (creating if missing) the database file at `path`. `display_url`
// names it in error messages. Errors: kIo.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const std::string& display_url);

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Database> db, std::shared_ptr<WakeupHub> hub,
              std::string display_url);

  std::string_view backend() const override { return "sqlite"; }
  Status migrate() override;
  Result<int> schema_version() override;
  Status check_writable() override;
  Result<std::string> enqueue(const NewSimulation& simulation, TimePoint now) override;
  Result<std::optional<SimulationRecord>> claim(std::string_view worker_id, Duration lease,
                                                TimePoint now) override;
  Result<LeaseState> renew_lease(std::string_view id, std::string_view worker_id, Duration lease,
                                 TimePoint now) override;
  Result<LeaseState> write_days(std::string_view id, std::string_view worker_id,
                                std::int64_t replicate, std::span<const engine::DayTotals> rows,
                                Duration lease, TimePoint now) override;
  Status write_age_totals(std::string_view id, std::string_view worker_id, std::int64_t replicate,
                          const engine::AgeTotals& totals) override;
  Status write_figures(std::string_view id, std::string_view worker_id,
                       const RunFigures& figures) override;
  Status write_summary(std::string_view id, std::string_view worker_id,
                       const engine::Summary& summary) override;
  Status finish(std::string_view id, std::string_view worker_id, JobStatus final_status,
                std::optional<std::string> error, TimePoint now) override;
  Status release(std::string_view id, std::string_view worker_id, TimePoint now) override;
  Result<RequeueCounts> requeue_expired(TimePoint now) override;
  Result<JobStatus> cancel(std::string_view id, TimePoint now) override;
  Status retry(std::string_view id) override;
  Result<bool> wait_for_work(Duration timeout) override;
  Result<SimulationRecord> get(std::string_view id) override;
  Result<std::vector<SimulationRecord>> list(std::optional<JobStatus> status, int limit) override;
  Result<std::vector<DayRow>> results(std::string_view id,
                                      std::optional<std::int64_t> replicate) override;
  Result<engine::Summary> summary(std::string_view id) override;
  Result<std::vector<AgeTotalsRow>> age_totals(std::string_view id) override;
  Result<std::vector<RunFigures>> figures(std::string_view id) override;
  Result<std::optional<std::int64_t>> queue_position(std::string_view id) override;
  Result<StatusCounts> count_by_status() override;
  Result<std::int64_t> delete_finished_before(TimePoint cutoff, int limit) override;
  Result<std::optional<MailRecord>> claim_mail(TimePoint now, Duration lease) override;
  Status mark_mail_sent(std::int64_t id, MailStatus how, TimePoint now) override;
  Status mark_mail_retry(std::int64_t id, std::string_view error,
                         TimePoint next_attempt_at) override;
  Status mark_mail_failed(std::int64_t id, std::string_view error, TimePoint now) override;
  Result<std::vector<MailRecord>> list_mail(std::optional<MailStatus> status, int limit) override;
  Status retry_mail(std::int64_t id, TimePoint now) override;
  Result<MailCounts> mail_counts() override;
  Result<std::int64_t> count_mail_sent_since(std::string_view recipient, TimePoint since) override;
  Result<MailAddressRecord> mail_address(std::string_view address, std::string_view token,
                                         TimePoint now) override;
  Status mark_confirmation_requested(std::string_view address, TimePoint now) override;
  Result<MailAddressRecord> mail_address_by_token(std::string_view token) override;
  Result<MailAddressRecord> confirm_mail_address(std::string_view token, TimePoint now) override;

 private:
  // Runs `body` under mu_ and turns what it throws into an Error
  // (core::to_error).
  template <typename T, typename Body>
  Result<T> locked(Body&& body);
  int current_version();
  // Within a transaction: whether `worker_id` holds `id`.
  bool holds(std::string_view id, std::string_view worker_id);
  JobStatus status_of(std::string_view id, bool& found);
  // Within a transaction: queues the `kind` mail of simulation `id` if it
  // has an e-mail address.
  void queue_mail(std::string_view id, MailKind kind, TimePoint now);
  // Within a transaction: updates one outbox row; false if there is none.
  // ?1 is `id`, ?2 `text`, ?3 `time` when given.
  bool update_mail(std::string_view sql, std::int64_t id, const std::optional<std::string>& text,
                   std::optional<TimePoint> time);

  std::mutex mu_;
  std::unique_ptr<Database> db_;
  std::shared_ptr<WakeupHub> hub_;
  std::string display_url_;
  std::mutex wait_mu_;
  std::uint64_t seen_generation_;
};

template <typename T, typename Body>
Result<T> SqliteStore::locked(Body&& body) {
  const std::lock_guard lock(mu_);
  try {
    return body();
  } catch (const std::exception& e) {
    return core::to_error(classify(e), "SQLite database", display_url_, e.what(), "");
  }
}

}  // namespace outbreak::store::sqlite
