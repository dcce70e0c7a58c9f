#include "outbreak/jobs/worker.hpp"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "jobs/job_run.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "outbreak/store/open.hpp"
#include "outbreak/store/url.hpp"

namespace outbreak::jobs {
namespace {

using store::JobStatus;

// Waits `duration` or until `stop` fires, whichever comes first.
void sleep_for(std::stop_token stop, store::Duration duration) {
  std::mutex mu;
  std::condition_variable_any wake;
  std::unique_lock lock(mu);
  wake.wait_for(lock, stop, duration, [] { return false; });
}

// The stored scenario, read and validated as the engine needs it; the
// message names every bad field on one line (it is stored as the job's
// error).
Result<engine::Scenario> stored_scenario(const store::SimulationRecord& job) {
  engine::Scenario scenario;
  std::vector<FieldError> fields;
  if (Status read = io::read_scenario_json(job.scenario_json, scenario); !read) {
    fields = read.error().fields;
    if (fields.empty()) fields.push_back({"scenario_json", read.error().message});
  } else {
    fields = engine::validate(scenario);
  }
  if (fields.empty()) return scenario;
  std::string message = "the stored scenario is not valid:";
  for (const auto& field : fields) message += fmt::format(" {}: {};", field.field, field.message);
  message.pop_back();
  return Error::invalid(std::move(message), std::move(fields));
}

std::string seconds_since(std::chrono::steady_clock::time_point start) {
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return fmt::format("{:.3f}", elapsed.count());
}

}  // namespace

std::string_view to_string(JobOutcome outcome) {
  switch (outcome) {
    case JobOutcome::kSucceeded:
      return "succeeded";
    case JobOutcome::kFailed:
      return "failed";
    case JobOutcome::kCancelled:
      return "cancelled";
    case JobOutcome::kReleased:
      return "released";
    case JobOutcome::kAbandoned:
      return "abandoned";
  }
  return "unknown";
}

std::string default_worker_id(int slot) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}-{}-{}", host[0] ? host : "worker", getpid(), slot);
}

Worker::Worker(std::unique_ptr<store::Store> store, WorkerOptions options, Logger& log)
    : store_(std::move(store)), options_(std::move(options)), log_(log) {}

JobOutcome Worker::process(const store::SimulationRecord& job, std::stop_token stop) {
  const auto start = std::chrono::steady_clock::now();
  log_.info("job_started", {{"id", job.id},
                            {"name", job.name},
                            {"worker", options_.worker_id},
                            {"attempt", std::to_string(job.attempts)},
                            {"days", std::to_string(job.days)},
                            {"replicates", std::to_string(job.replicates)}});
  JobOutcome outcome = JobOutcome::kFailed;
  std::string error;
  try {
    Result<engine::Scenario> scenario = stored_scenario(job);
    if (scenario && options_.admit) {
      if (Status admitted = options_.admit(*scenario); !admitted) scenario = admitted.error();
    }
    if (!scenario) {
      error = scenario.error().message;
      auto finished =
          store_->finish(job.id, options_.worker_id, JobStatus::kFailed, error, options_.now());
      if (!finished && store::is_lease_lost(finished.error())) outcome = JobOutcome::kAbandoned;
    } else {
      detail::JobRun run(*store_, job, options_, log_);
      outcome = run.run(*scenario, stop, error);
    }
  } catch (const std::exception& e) {
    // A broken invariant below: the job fails with the reason, the worker
    // lives on.
    error = fmt::format("internal error: {}", e.what());
    outcome = JobOutcome::kFailed;
    (void)store_->finish(job.id, options_.worker_id, JobStatus::kFailed, error, options_.now());
  }
  LogFields fields = {{"id", job.id},
                      {"worker", options_.worker_id},
                      {"outcome", std::string(to_string(outcome))},
                      {"seconds", seconds_since(start)}};
  if (!error.empty()) fields.emplace_back("error", error);
  if (outcome == JobOutcome::kFailed || outcome == JobOutcome::kAbandoned) {
    log_.warn("job_finished", fields);
  } else {
    log_.info("job_finished", fields);
  }
  return outcome;
}

Status Worker::reap() {
  auto requeued = store_->requeue_expired(options_.now());
  if (!requeued) return requeued.error();
  if (requeued->requeued + requeued->failed + requeued->cancelled > 0) {
    log_.info("leases_expired", {{"worker", options_.worker_id},
                                 {"requeued", std::to_string(requeued->requeued)},
                                 {"failed", std::to_string(requeued->failed)},
                                 {"cancelled", std::to_string(requeued->cancelled)}});
  }
  return Ok{};
}

Result<std::optional<JobOutcome>> Worker::claim_and_run(std::stop_token stop) {
  auto claimed = store_->claim(options_.worker_id, options_.lease, options_.now());
  if (!claimed) return claimed.error();
  if (!claimed->has_value()) return std::optional<JobOutcome>{};
  return std::optional<JobOutcome>{process(**claimed, stop)};
}

Result<std::optional<JobOutcome>> Worker::run_once(std::stop_token stop) {
  if (Status reaped = reap(); !reaped) return reaped.error();
  return claim_and_run(stop);
}

Status Worker::run(std::stop_token stop) {
  const auto reap_interval = std::max(options_.lease / 3, store::Duration{1});
  auto next_reap = std::chrono::steady_clock::now();
  while (!stop.stop_requested()) {
    Result<std::optional<JobOutcome>> ran = std::optional<JobOutcome>{};
    if (std::chrono::steady_clock::now() >= next_reap) {
      next_reap = std::chrono::steady_clock::now() + reap_interval;
      if (Status reaped = reap(); !reaped) ran = reaped.error();
    }
    if (ran) ran = claim_and_run(stop);
    if (!ran) {
      // The database may come back: log, wait, try again.
      log_.warn("store_error", {{"worker", options_.worker_id}, {"error", ran.error().message}});
      sleep_for(stop, options_.poll);
      continue;
    }
    if (ran->has_value() || stop.stop_requested()) continue;
    // Idle: wake on an enqueue, or after `poll` (other processes on SQLite)
    // or the next reap, whichever comes first.
    const auto wait = std::min(options_.poll, reap_interval);
    if (auto woken = store_->wait_for_work(wait); !woken) sleep_for(stop, wait);
  }
  return Ok{};
}

Status run_workers(std::string_view database_url, int concurrency, const WorkerOptions& options,
                   Logger& log, std::stop_token stop) {
  if (concurrency < 1) {
    return Error::invalid(fmt::format("concurrency must be at least 1, got {}", concurrency));
  }
  std::vector<std::unique_ptr<Worker>> workers;
  for (int slot = 0; slot < concurrency; ++slot) {
    auto store = store::open_store(database_url);
    if (!store) return store.error();
    if (Status migrated = (*store)->migrate(); !migrated) return migrated.error();
    WorkerOptions mine = options;
    mine.worker_id = options.worker_id.empty() ? default_worker_id(slot)
                                               : fmt::format("{}-{}", options.worker_id, slot);
    workers.push_back(std::make_unique<Worker>(std::move(store).value(), std::move(mine), log));
  }
  log.info("workers_started", {{"database", store::redact_url(database_url)},
                               {"concurrency", std::to_string(concurrency)},
                               {"threads", std::to_string(options.threads)},
                               {"drain", options.drain ? "true" : "false"}});
  std::vector<Status> results(workers.size(), Status(Ok{}));
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < workers.size(); ++i) {
      threads.emplace_back([&, i] { results[i] = workers[i]->run(stop); });
    }
  }
  log.info("workers_stopped", {{"concurrency", std::to_string(concurrency)}});
  for (const Status& result : results) {
    if (!result) return result.error();
  }
  return Ok{};
}

}  // namespace outbreak::jobs
