// JobRun: one claimed job run by the engine, with its heartbeat and batched
// result writes (internal to the jobs module).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "jobs/day_batch.hpp"
#include "outbreak/engine/ensemble.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/jobs/worker.hpp"
#include "outbreak/store/retry.hpp"
#include "outbreak/store/store.hpp"

namespace outbreak::jobs::detail {

// Why a run stopped early; the first reason wins.
enum class StopReason { kNone, kShutdown, kCancel, kLeaseLost, kStoreError };

class JobRun {
 public:
  // All references must outlive the JobRun. `shutdown` stops the run unless
  // options.drain.
  JobRun(store::Store& store, const store::SimulationRecord& job, const WorkerOptions& options,
         Logger& log);

  // Runs `scenario` (validated) to its end state: finished, released or
  // abandoned. `error` receives the message stored with a failure.
  JobOutcome run(const engine::Scenario& scenario, std::stop_token shutdown, std::string& error);

 private:
  void request_stop(StopReason reason, std::string message = {});
  void on_day(std::int64_t replicate, const engine::DayTotals& totals);
  void on_r_t(std::int64_t replicate, std::int64_t day, double r_t);
  // After the last day of a replicate: its key figures (jobs::run_figures).
  // A failure stops the run as a failed write of days does.
  void store_figures();
  // A job that stops early (cancelled, or failed by the engine) with at
  // least two complete replicates: the summary over those, read back from
  // the store. Failures are logged; the job ends all the same.
  void store_partial_summary();
  // Writes the pending days (see DayBatch), retrying a transient failure
  // while the lease lasts; a failure after that stops the run.
  void flush();
  // Runs the store call `attempt` again after a transient failure, with
  // backoff, until shortly before the lease would run out (counted from the
  // last renewal) or a shutdown or lost lease stops the run.
  template <typename Attempt>
  auto with_retries(const char* during, Attempt&& attempt) -> decltype(attempt());
  // Notes that the store renewed the lease just now.
  void lease_renewed();
  // After a complete run: each replicate's age totals and, with several
  // replicates, the summary. Returns the error message, empty on success;
  // sets `lost` when the lease was lost.
  std::string store_totals(const engine::EnsembleResult& result, bool& lost);
  void heartbeat(std::stop_token stop);
  // finish() with logging of a failure to do so; returns `outcome`, or
  // kAbandoned when the lease was lost meanwhile.
  JobOutcome end(store::JobStatus status, std::optional<std::string> error, JobOutcome outcome);
  // release(): back to queued without spending an attempt (kReleased), or
  // kAbandoned when the lease was lost meanwhile.
  JobOutcome give_back();

  store::Store& store_;
  const store::SimulationRecord& job_;
  const WorkerOptions& options_;
  Logger& log_;
  std::stop_source stop_;
  std::atomic<StopReason> reason_{StopReason::kNone};
  std::stop_source abort_retries_;  // on shutdown or a lost lease
  // When the lease was last renewed (steady clock, nanoseconds since its epoch).
  std::atomic<std::int64_t> renewed_at_ns_;
  std::atomic<bool> write_failed_{false};  // results are missing: never "succeeded"
  std::mutex message_mu_;
  std::string reason_message_;  // set with the first reason
  std::string write_error_;     // why results are missing
  std::int64_t last_day_ = 0;
  std::int64_t complete_ = 0;  // replicates whose figures are stored
  std::int64_t population_ = 0;
  DayBatch batch_;
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace outbreak::jobs::detail
