// The PostgreSQL backend (internal; reached through open_store()).
//
// One connection per Store for all calls, guarded by mu_, plus a second one,
// opened on the first wait_for_work(), that only LISTENs. A connection the
// server dropped (a restart, pg_terminate_backend) fails the call that finds
// it broken; the next call opens a new one. Every primitive is
// one transaction (the hot ones a single statement without BEGIN/COMMIT); claim() uses FOR UPDATE
// SKIP LOCKED, migrate() an advisory transaction lock. Times travel as microseconds since the epoch
// (exact) and are stored as TIMESTAMPTZ.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <pqxx/pqxx>

#include "outbreak/store/store.hpp"
#include "outbreak/store/url.hpp"

namespace outbreak::store::postgres {

// Connects to the server named by `url`. `display_url` (password redacted)
// names it in error messages. Errors: kIo (unreachable, authentication).
Result<std::unique_ptr<Store>> open_postgres_store(const DatabaseUrl& url,
                                                   const std::string& display_url);

class PostgresStore final : public Store {
 public:
  PostgresStore(std::unique_ptr<pqxx::connection> connection, std::string conninfo,
                std::string password, std::string display_url);
  ~PostgresStore() override;

  std::string_view backend() const override { return "postgresql"; }
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
  class Listener;

  // Runs `body` under mu_ on a connection that is open (reconnecting first
  // when the server dropped the last one) and turns pqxx exceptions into
  // Errors with the password scrubbed.
  template <typename T, typename Body>
  Result<T> guarded(Body&& body);
  // Replaces conn_ when it is missing or broken; throws when the server
  // cannot be reached (conn_ is then missing, and the next call tries again).
  void reconnect_if_broken();
  Error to_error(const std::exception& e) const;

  std::mutex mu_;
  std::unique_ptr<pqxx::connection> conn_;
  std::string conninfo_;
  std::string password_;
  std::string display_url_;
  std::mutex wait_mu_;
  std::unique_ptr<pqxx::connection> listen_conn_;
  std::unique_ptr<Listener> listener_;
};

template <typename T, typename Body>
Result<T> PostgresStore::guarded(Body&& body) {
  const std::lock_guard lock(mu_);
  try {
    reconnect_if_broken();
    return body();
  } catch (const std::exception& e) {
    return to_error(e);
  }
}

}  // namespace outbreak::store::postgres
