// The store core: every Store method, once, over a dialect (internal to the
// store module; see dialect.hpp for what a dialect supplies).
//
// Every call takes mu_, makes sure the session is open (reconnecting after
// a dropped connection), runs its statements (several in one transaction
// where the rule needs it, rerun on a lost race) and turns whatever was
// thrown into an Error through core::to_error(), so the same fault gives the
// same code on every backend. wait_for_work() does not take mu_.
#pragma once

#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>

#include "outbreak/store/store.hpp"
#include "store/core/dialect.hpp"
#include "store/core/errors.hpp"

namespace outbreak::store::core {

class SqlStore final : public Store {
 public:
  explicit SqlStore(Backend backend);
  ~SqlStore() override;

  std::string_view backend() const override { return backend_.dialect->name(); }
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
  struct Sql;  // the statements, written once for this dialect

  // How often a transaction that lost a race (FaultKind::kRetry) runs.
  static constexpr int kTries = 3;

  // Runs `body` under mu_ on an open session; whatever it throws becomes an
  // Error.
  template <typename T, typename Body>
  Result<T> call(Body&& body);
  // The same in one transaction: committed when `body` returns a value,
  // rolled back when it returns an Error or throws; rerun (up to kTries)
  // when it lost a race.
  template <typename T, typename Body>
  Result<T> transaction(TxnMode mode, Body&& body);

  std::unique_ptr<Rows> query(std::string_view sql, std::initializer_list<Value> params = {});
  std::int64_t execute(std::string_view sql, std::initializer_list<Value> params = {});
  // Within a write transaction: whether `worker_id` holds `id` (the row
  // locked until commit where the dialect locks rows).
  bool holds(std::string_view id, std::string_view worker_id);
  // Within a write transaction: the status of `id`, locked; nullopt if none.
  std::optional<JobStatus> locked_status(std::string_view id);
  bool exists(std::string_view id);
  // Within a write transaction: queues the `kind` mail of simulation `id`
  // if it has an e-mail address.
  void queue_mail(std::string_view id, MailKind kind, TimePoint now);
  // Within a write transaction: wakes waiting workers once it commits.
  void notify_work();

  Backend backend_;
  std::unique_ptr<Sql> sql_;
  std::mutex mu_;
  std::mutex wait_mu_;
  bool notified_ = false;  // notify_work() ran in the current transaction
};

template <typename T, typename Body>
Result<T> SqlStore::call(Body&& body) {
  const std::lock_guard lock(mu_);
  try {
    backend_.session->ensure_open();
    return body();
  } catch (const std::exception& e) {
    return to_error(*backend_.dialect, e, backend_.display_url, backend_.secret);
  }
}

template <typename T, typename Body>
Result<T> SqlStore::transaction(TxnMode mode, Body&& body) {
  return call<T>([&]() -> Result<T> {
    Session& session = *backend_.session;
    for (int attempt = 1;; ++attempt) {
      notified_ = false;
      session.begin(mode);
      try {
        Result<T> result = body();
        if (!result) {
          session.rollback();
          return result;
        }
        session.commit();
        if (notified_) backend_.signal->committed();
        return result;
      } catch (const std::exception& e) {
        session.rollback();
        if (attempt >= kTries || backend_.dialect->classify(e) != FaultKind::kRetry) throw;
      }
    }
  });
}

}  // namespace outbreak::store::core
