// Worker: the loop that claims simulation jobs from a Store, runs them with
// the engine, and stores every day as it is computed.
//
// Queue semantics (docs/jobs.md): a claimed job holds a lease that a
// heartbeat renews every lease/3 and that every batch of results renews too;
// a cancel request stops the run at the next day and ends it cancelled; a
// lost lease stops the run and abandons the job without writing more; a
// stop request (graceful shutdown) stops the run at the next day and gives
// the job back to queued without spending an attempt, unless `drain` is set,
// in which case the running job is finished first.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "outbreak/engine/ensemble.hpp"
#include "outbreak/jobs/log.hpp"
#include "outbreak/store/store.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::jobs {

struct WorkerOptions {
  std::string worker_id;          // unique per worker; see default_worker_id()
  int threads = 1;                // engine threads per job (>= 1)
  store::Duration lease{30'000};  // renewed every lease / 3
  store::Duration poll{1'000};    // longest wait between claims when idle
  // Results are written at least this often (so a live chart lags by about
  // this much), at the end of each replicate, and whenever this many days are
  // waiting: large batches keep the number of transactions low when days are
  // computed fast.
  store::Duration flush_interval{500};
  std::int64_t flush_days = 1000;
  bool drain = false;  // on stop, finish the running job first
  // The clock for every time stored; tests may inject another.
  std::function<store::TimePoint()> now = [] { return std::chrono::system_clock::now(); };
  // Optional, for metrics: called after each batch of days is stored, with
  // its agent-days (population times days). Must be thread-safe: every
  // worker of run_workers() calls the same copy.
  std::function<void(std::int64_t agent_days)> on_days_stored;
  // Optional admission check of a job's scenario before it runs (outbreak
  // worker and serve: its memory estimate against the memory allowed). An
  // error fails the job for good, with the error's message; it is not
  // retried, since the same scenario would be refused again. Must be
  // thread-safe, like on_days_stored.
  std::function<Status(const engine::Scenario&)> admit;
  // Runs a job's scenario; tests inject a stand-in that reports days and
  // r_t as the engine does.
  std::function<Result<engine::EnsembleResult>(const engine::Scenario&,
                                               const engine::EnsembleOptions&)>
      run_ensemble = engine::run_ensemble;
};

// What happened to one claimed job.
enum class JobOutcome { kSucceeded, kFailed, kCancelled, kReleased, kAbandoned };
std::string_view to_string(JobOutcome outcome);

// "host-pid-slot": unique across machines and processes. Thread-safe.
std::string default_worker_id(int slot);

// One worker: one Store (owned), one job at a time. Not thread-safe: one
// thread runs it; stop it through the stop_token given to run().
class Worker {
 public:
  // `store` must be migrated; `log` must outlive the Worker.
  Worker(std::unique_ptr<store::Store> store, WorkerOptions options, Logger& log);

  // Claims and runs jobs until `stop` fires (then returns within about one
  // simulated day plus one store call; with drain, after the running job).
  // Requeues expired leases of other workers every lease / 3 while idle.
  // Store errors (an unreachable database) are logged and retried after
  // `poll`, so this returns Ok; the Status leaves room for fatal errors.
  Status run(std::stop_token stop);

  // One pass of the loop: requeues expired leases, then claims one job and
  // runs it. nullopt when nothing was queued. Errors: kIo from the store.
  Result<std::optional<JobOutcome>> run_once(std::stop_token stop);

 private:
  Status reap();
  Result<std::optional<JobOutcome>> claim_and_run(std::stop_token stop);
  JobOutcome process(const store::SimulationRecord& job, std::stop_token stop);

  std::unique_ptr<store::Store> store_;
  WorkerOptions options_;
  Logger& log_;
};

// Runs `concurrency` workers, each on its own thread with its own Store on
// `database_url` (ids default_worker_id(slot), or "<worker_id>-<slot>" when
// options.worker_id is set), until `stop` fires;
// returns after every worker has returned. Migrates the database first.
// Errors: those of open_store / migrate, and the first worker's error.
Status run_workers(std::string_view database_url, int concurrency, const WorkerOptions& options,
                   Logger& log, std::stop_token stop);

}  // namespace outbreak::jobs
