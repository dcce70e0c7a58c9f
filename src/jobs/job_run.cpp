#include "jobs/job_run.hpp"

#include <condition_variable>
#include <thread>

#include <fmt/format.h>

#include "outbreak/engine/ensemble.hpp"
#include "outbreak/jobs/figures.hpp"

namespace outbreak::jobs::detail {

using store::JobStatus;

namespace {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// The job was claimed (its lease taken) just before.
JobRun::JobRun(store::Store& store, const store::SimulationRecord& job,
               const WorkerOptions& options, Logger& log)
    : store_(store), job_(job), options_(options), log_(log), renewed_at_ns_(steady_ns()) {}

void JobRun::lease_renewed() { renewed_at_ns_.store(steady_ns()); }

template <typename Attempt>
auto JobRun::with_retries(const char* during, Attempt&& attempt) -> decltype(attempt()) {
  // Stop a tenth of the lease before it runs out, so that the last try ends
  // while the job is still ours.
  const auto renewed = std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::nanoseconds(renewed_at_ns_.load())));
  store::RetryPolicy policy;
  policy.deadline = renewed + options_.lease - options_.lease / 10;
  policy.max_delay = std::max(store::Duration{1}, std::min(policy.max_delay, options_.lease / 10));
  policy.first_delay = std::min(policy.first_delay, policy.max_delay);
  return store::retry_transient(std::forward<Attempt>(attempt), policy, abort_retries_.get_token(),
                                [&](const Error& error, store::Duration delay) {
                                  log_.warn("store_retry",
                                            {{"id", job_.id},
                                             {"during", during},
                                             {"retry_in_ms", std::to_string(delay.count())},
                                             {"error", error.message}});
                                });
}

void JobRun::request_stop(StopReason reason, std::string message) {
  if (reason == StopReason::kShutdown || reason == StopReason::kLeaseLost) {
    abort_retries_.request_stop();
  }
  StopReason expected = StopReason::kNone;
  if (!reason_.compare_exchange_strong(expected, reason)) return;
  {
    const std::lock_guard lock(message_mu_);
    reason_message_ = std::move(message);
  }
  stop_.request_stop();
}

void JobRun::on_day(std::int64_t replicate, const engine::DayTotals& totals) {
  if (replicate != batch_.replicate()) {
    flush();  // the previous replicate's last r_t values, if any came after its last day
    batch_.start(replicate);
  }
  batch_.add(totals);
  const bool due = static_cast<std::int64_t>(batch_.pending()) >= options_.flush_days ||
                   totals.day >= last_day_ ||
                   std::chrono::steady_clock::now() - last_flush_ >= options_.flush_interval;
  if (due) flush();
  if (totals.day >= last_day_) store_figures();
}

void JobRun::store_figures() {
  const StopReason reason = reason_.load();
  if (reason == StopReason::kLeaseLost || reason == StopReason::kStoreError) return;
  const store::RunFigures figures = run_figures(batch_.replicate(), batch_.days());
  auto written = with_retries(
      "write_figures", [&] { return store_.write_figures(job_.id, *job_.worker_id, figures); });
  if (written) {
    ++complete_;
    return;
  }
  if (store::is_lease_lost(written.error())) return request_stop(StopReason::kLeaseLost);
  {
    const std::lock_guard lock(message_mu_);
    write_error_ = written.error().message;
  }
  write_failed_.store(true);
  request_stop(StopReason::kStoreError, written.error().message);
}

void JobRun::store_partial_summary() {
  if (complete_ < 2) return;
  flush();  // r_t values of the last complete replicate that came after its last day
  std::vector<std::vector<engine::DayTotals>> runs;
  for (std::int64_t r = 0; r < complete_; ++r) {
    auto rows = with_retries("read_days", [&] { return store_.results(job_.id, r); });
    if (!rows) {
      log_.warn("partial_summary_failed", {{"id", job_.id}, {"error", rows.error().message}});
      return;
    }
    std::vector<engine::DayTotals>& days = runs.emplace_back();
    days.reserve(rows->size());
    for (const store::DayRow& row : *rows) days.push_back(row.totals);
    if (days.size() != runs.front().size()) {
      log_.warn("partial_summary_failed",
                {{"id", job_.id}, {"error", "replicates differ in days"}});
      return;
    }
  }
  const engine::Summary summary = engine::summarize(runs);
  auto written = with_retries(
      "write_summary", [&] { return store_.write_summary(job_.id, *job_.worker_id, summary); });
  if (!written) {
    log_.warn("partial_summary_failed", {{"id", job_.id}, {"error", written.error().message}});
  }
}

void JobRun::on_r_t(std::int64_t replicate, std::int64_t day, double r_t) {
  // Written with the next batch; the replicate's last batch comes after its
  // last r_t (the engine reports r_t before the day that settled it).
  if (!batch_.set_r_t(replicate, day, r_t)) {
    log_.warn(
        "r_t_ignored",
        {{"id", job_.id}, {"replicate", std::to_string(replicate)}, {"day", std::to_string(day)}});
  }
}

void JobRun::flush() {
  last_flush_ = std::chrono::steady_clock::now();
  DayBatch::Batch batch = batch_.take();
  const StopReason reason = reason_.load();
  if (batch.rows.empty() || reason == StopReason::kLeaseLost || reason == StopReason::kStoreError) {
    return;
  }
  // Rows are upserted, so a try that reached the database before failing
  // is harmless to repeat.
  auto written = with_retries("write_days", [&] {
    return store_.write_days(job_.id, *job_.worker_id, batch_.replicate(), batch.rows,
                             options_.lease, options_.now());
  });
  if (!written) {
    if (store::is_lease_lost(written.error())) return request_stop(StopReason::kLeaseLost);
    {
      const std::lock_guard lock(message_mu_);
      write_error_ = written.error().message;
    }
    write_failed_.store(true);
    return request_stop(StopReason::kStoreError, written.error().message);
  }
  lease_renewed();
  // Every day counts the whole population; rewritten days are not new work.
  if (options_.on_days_stored) options_.on_days_stored(batch.new_days * population_);
  if (written->cancel_requested) request_stop(StopReason::kCancel);
}

void JobRun::heartbeat(std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any wake;
  const auto interval = std::max(options_.lease / 3, store::Duration{1});
  std::unique_lock lock(mu);
  for (;;) {
    // Returns the predicate's value (false) both on timeout and on stop.
    wake.wait_for(lock, stop, interval, [] { return false; });
    if (stop.stop_requested()) return;
    auto renewed = store_.renew_lease(job_.id, *job_.worker_id, options_.lease, options_.now());
    if (renewed) lease_renewed();
    if (!renewed) {
      if (store::is_lease_lost(renewed.error())) return request_stop(StopReason::kLeaseLost);
      // A transient failure: the next beat (or batch) tries again before the
      // lease runs out.
      log_.warn("lease_renewal_failed", {{"id", job_.id}, {"error", renewed.error().message}});
    } else if (renewed->cancel_requested) {
      request_stop(StopReason::kCancel);
    }
  }
}

JobOutcome JobRun::end(JobStatus status, std::optional<std::string> error, JobOutcome outcome) {
  int tries = 0;
  auto finished = with_retries("finish", [&]() -> Status {
    ++tries;
    Status done = store_.finish(job_.id, *job_.worker_id, status, error, options_.now());
    if (done || tries == 1 || !store::is_lease_lost(done.error())) return done;
    // An earlier try may have finished the job before its answer was lost.
    auto record = store_.get(job_.id);
    if (record && record->status == status && record->worker_id == job_.worker_id) return Ok{};
    return done;
  });
  if (finished) return outcome;
  if (store::is_lease_lost(finished.error())) return JobOutcome::kAbandoned;
  log_.error("job_finish_failed", {{"id", job_.id}, {"error", finished.error().message}});
  return outcome;
}

JobOutcome JobRun::run(const engine::Scenario& scenario, std::stop_token shutdown,
                       std::string& error) {
  last_day_ = scenario.days;
  population_ = scenario.population;
  last_flush_ = std::chrono::steady_clock::now();
  std::optional<std::stop_callback<std::function<void()>>> on_shutdown;
  if (!options_.drain) {
    on_shutdown.emplace(shutdown, [this] { request_stop(StopReason::kShutdown); });
  }
  engine::EnsembleOptions ensemble;
  ensemble.threads = options_.threads;
  ensemble.stop = stop_.get_token();
  ensemble.on_day = [this](std::int64_t replicate, const engine::DayTotals& totals) {
    on_day(replicate, totals);
  };
  ensemble.on_r_t = [this](std::int64_t replicate, std::int64_t day, double r_t) {
    on_r_t(replicate, day, r_t);
  };
  Result<engine::EnsembleResult> result = [&] {
    const std::jthread beat([this](std::stop_token stop) { heartbeat(stop); });
    return options_.run_ensemble(scenario, ensemble);
  }();
  on_shutdown.reset();
  if (result) flush();

  const StopReason reason = reason_.load();
  std::string write_error;
  {
    const std::lock_guard lock(message_mu_);
    error = reason_message_;
    write_error = write_error_;
  }
  if (write_failed_.load() && reason != StopReason::kLeaseLost) {
    // Days are missing: a run that completed anyway must not count as done.
    if (reason == StopReason::kShutdown) return give_back();
    error = "cannot store results: " + write_error;
    return end(JobStatus::kFailed, error, JobOutcome::kFailed);
  }
  switch (reason) {
    case StopReason::kLeaseLost:
      return JobOutcome::kAbandoned;
    case StopReason::kStoreError:  // handled above
      break;
    case StopReason::kCancel:
      if (!result) {
        store_partial_summary();
        return end(JobStatus::kCancelled, std::nullopt, JobOutcome::kCancelled);
      }
      break;  // it completed before the request was seen: keep the results
    case StopReason::kShutdown:
      if (!result) return give_back();
      break;
    case StopReason::kNone:
      break;
  }
  if (!result) {
    error = result.error().message;
    store_partial_summary();
    return end(JobStatus::kFailed, error, JobOutcome::kFailed);
  }
  bool lost = false;
  error = store_totals(*result, lost);
  if (lost) return JobOutcome::kAbandoned;
  if (!error.empty()) return end(JobStatus::kFailed, error, JobOutcome::kFailed);
  return end(JobStatus::kSucceeded, std::nullopt, JobOutcome::kSucceeded);
}

JobOutcome JobRun::give_back() {
  auto released = store_.release(job_.id, *job_.worker_id, options_.now());
  if (!released && !store::is_lease_lost(released.error())) {
    log_.error("job_release_failed", {{"id", job_.id}, {"error", released.error().message}});
  }
  return released ? JobOutcome::kReleased : JobOutcome::kAbandoned;
}

std::string JobRun::store_totals(const engine::EnsembleResult& result, bool& lost) {
  // The engine hands age totals over only with the whole result, so each
  // replicate's are written here rather than with its last batch.
  for (std::size_t r = 0; r < result.age_totals.size(); ++r) {
    auto written = with_retries("write_age_totals", [&] {
      return store_.write_age_totals(job_.id, *job_.worker_id, static_cast<std::int64_t>(r),
                                     result.age_totals[r]);
    });
    if (written) continue;
    lost = store::is_lease_lost(written.error());
    return "cannot store the age totals: " + written.error().message;
  }
  if (result.replicates.size() > 1) {
    auto written = with_retries("write_summary", [&] {
      return store_.write_summary(job_.id, *job_.worker_id, result.summary);
    });
    if (!written) {
      lost = store::is_lease_lost(written.error());
      return "cannot store the summary: " + written.error().message;
    }
  }
  return {};
}

}  // namespace outbreak::jobs::detail
