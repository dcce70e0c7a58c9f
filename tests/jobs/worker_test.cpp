// The worker loop against each backend, in-process: a job runs to the end
// with every day stored once; cancel, shutdown, retry, dead letters and
// scenarios that no longer validate.
#include "outbreak/jobs/worker.hpp"

#include <future>
#include <sstream>
#include <stop_token>

#include "jobs/jobs_fixture.hpp"
#include "outbreak/jobs/figures.hpp"

namespace outbreak::jobs::testing {
namespace {

using store::JobStatus;

// Long enough (about a second) to act on it while it runs.
const std::string kLongJob = scenario_json(200'000, 300, 4);
const std::string kShortJob = scenario_json(3'000, 60, 3);

class WorkerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<TestDatabase>(GetParam());
    store_ = open_migrated(database_->url());
    ASSERT_NE(store_, nullptr);
  }

  WorkerOptions worker_options(const std::string& id, bool drain = false) {
    WorkerOptions options;
    options.worker_id = id;
    options.lease = store::Duration(3'000);
    options.poll = store::Duration(50);
    options.drain = drain;
    return options;
  }

  std::unique_ptr<Worker> make_worker(const std::string& id, bool drain = false) {
    return make_worker(worker_options(id, drain));
  }

  std::unique_ptr<Worker> make_worker(WorkerOptions options) {
    return std::make_unique<Worker>(open_migrated(database_->url()), std::move(options), log_);
  }

  std::optional<JobOutcome> run_once(Worker& worker, std::stop_token stop = {}) {
    auto outcome = worker.run_once(stop);
    EXPECT_TRUE(outcome.ok()) << outcome.error().message;
    return outcome.ok() ? *outcome : std::nullopt;
  }

  store::SimulationRecord get(const std::string& id) {
    auto record = store_->get(id);
    EXPECT_TRUE(record.ok()) << record.error().message;
    return record.ok() ? *record : store::SimulationRecord{};
  }

  bool has_progress(const std::string& id) { return get(id).progress_day.has_value(); }

  void expect_results(const std::string& id, const std::string& json) {
    expect_stored(id, expected_results(json));
  }

  // Every day (r_t included), the age totals and the summary of `expected`.
  void expect_stored(const std::string& id, const engine::EnsembleResult& expected) {
    EXPECT_EQ(stored_replicates(*store_, id), expected.replicates);
    auto ages = store_->age_totals(id);
    ASSERT_TRUE(ages.ok()) << ages.error().message;
    ASSERT_EQ(ages->size(), expected.age_totals.size());
    for (std::size_t r = 0; r < ages->size(); ++r) {
      EXPECT_EQ((*ages)[r],
                (store::AgeTotalsRow{static_cast<std::int64_t>(r), expected.age_totals[r]}));
    }
    if (expected.replicates.size() > 1) {
      auto summary = store_->summary(id);
      ASSERT_TRUE(summary.ok()) << summary.error().message;
      EXPECT_TRUE(same_values(summary->mean, expected.summary.mean));
      EXPECT_TRUE(same_values(summary->p5, expected.summary.p5));
      EXPECT_TRUE(same_values(summary->p95, expected.summary.p95));
    }
  }

  std::ostringstream log_stream_;
  Logger log_{log_stream_, LogFormat::kJson};
  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<store::Store> store_;
};

TEST_P(WorkerTest, RunsAJobToSucceededWithEveryDayStoredOnce) {
  const std::string id = enqueue(*store_, kShortJob);
  auto worker = make_worker("w1");
  EXPECT_EQ(run_once(*worker), JobOutcome::kSucceeded);
  const store::SimulationRecord record = get(id);
  EXPECT_EQ(record.status, JobStatus::kSucceeded);
  EXPECT_EQ(record.attempts, 1);
  EXPECT_EQ(record.progress_replicate, 2);
  EXPECT_EQ(record.progress_day, 60);
  EXPECT_FALSE(record.error);
  expect_results(id, kShortJob);
  // The engine reports most days' r_t after the day: the late values are stored.
  EXPECT_NE(database_->query("SELECT COUNT(*) FROM simulation_days WHERE r_t IS NOT NULL"), "0");
  EXPECT_EQ(run_once(*worker), std::nullopt);
  const std::string log = log_stream_.str();
  EXPECT_NE(log.find(R"("event":"job_started")"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("outcome":"succeeded")"), std::string::npos) << log;
}

TEST_P(WorkerTest, AScenarioThatNoLongerValidatesFailsWithTheReasonAndCanBeRetried) {
  const std::string invalid = enqueue(*store_, R"({"population": 0, "days": 5})");
  // Valid JSON (PostgreSQL's json column refuses anything else), but keys
  // and types this engine does not accept.
  const std::string malformed = enqueue(*store_, R"({"days": "ten", "populaton": 5})");
  auto worker = make_worker("w1");
  EXPECT_EQ(run_once(*worker), JobOutcome::kFailed);
  EXPECT_EQ(run_once(*worker), JobOutcome::kFailed);
  store::SimulationRecord record = get(invalid);
  EXPECT_EQ(record.status, JobStatus::kFailed);
  ASSERT_TRUE(record.error);
  EXPECT_NE(record.error->find("stored scenario is not valid: population: must be"),
            std::string::npos)
      << *record.error;
  EXPECT_EQ(get(malformed).status, JobStatus::kFailed);
  EXPECT_NE(get(malformed).error.value_or("").find("populaton"), std::string::npos)
      << get(malformed).error.value_or("");

  // Fixed by hand, then retried: it runs again and succeeds.
  database_->query("UPDATE simulations SET scenario_json = '" + kShortJob + "' WHERE id = '" +
                   invalid + "'");
  ASSERT_TRUE(store_->retry(invalid).ok());
  EXPECT_EQ(run_once(*worker), JobOutcome::kSucceeded);
  record = get(invalid);
  EXPECT_EQ(record.status, JobStatus::kSucceeded);
  EXPECT_EQ(record.attempts, 1);
  EXPECT_FALSE(record.error);
}

TEST_P(WorkerTest, CancelEndsAQueuedJobAtOnceAndARunningOneAtTheNextDay) {
  const std::string queued = enqueue(*store_, kShortJob);
  ASSERT_TRUE(store_->cancel(queued, std::chrono::system_clock::now()).ok());
  auto worker = make_worker("w1");
  EXPECT_EQ(run_once(*worker), std::nullopt);
  EXPECT_EQ(get(queued).status, JobStatus::kCancelled);

  const std::string running = enqueue(*store_, kLongJob);
  auto outcome = std::async(std::launch::async, [&] { return run_once(*worker); });
  ASSERT_TRUE(wait_until([&] { return has_progress(running); }));
  auto requested = store_->cancel(running, std::chrono::system_clock::now());
  ASSERT_TRUE(requested.ok()) << requested.error().message;
  EXPECT_EQ(outcome.get(), JobOutcome::kCancelled);
  const store::SimulationRecord record = get(running);
  EXPECT_EQ(record.status, JobStatus::kCancelled);
  EXPECT_LT(record.progress_replicate.value_or(0), 3) << "the run should stop early";
}

TEST_P(WorkerTest, ShutdownGivesTheJobBackWithoutSpendingAnAttempt) {
  const std::string id = enqueue(*store_, kLongJob);
  auto worker = make_worker("w1");
  std::stop_source shutdown;
  auto outcome =
      std::async(std::launch::async, [&] { return run_once(*worker, shutdown.get_token()); });
  ASSERT_TRUE(wait_until([&] { return has_progress(id); }));
  shutdown.request_stop();
  EXPECT_EQ(outcome.get(), JobOutcome::kReleased);
  store::SimulationRecord record = get(id);
  EXPECT_EQ(record.status, JobStatus::kQueued);
  EXPECT_EQ(record.attempts, 0);
  EXPECT_FALSE(record.worker_id);

  auto other = make_worker("w2");
  EXPECT_EQ(run_once(*other), JobOutcome::kSucceeded);
  record = get(id);
  EXPECT_EQ(record.status, JobStatus::kSucceeded);
  EXPECT_EQ(record.attempts, 1);
  expect_results(id, kLongJob);
}

TEST_P(WorkerTest, DrainFinishesTheRunningJobBeforeReturning) {
  const std::string id = enqueue(*store_, kShortJob);
  const std::string second = enqueue(*store_, kShortJob);
  auto worker = make_worker("w1", /*drain=*/true);
  std::stop_source shutdown;
  auto ran = std::async(std::launch::async, [&] { return worker->run(shutdown.get_token()); });
  ASSERT_TRUE(wait_until([&] { return get(id).status != JobStatus::kQueued; }));
  shutdown.request_stop();
  EXPECT_TRUE(ran.get().ok());
  EXPECT_EQ(get(id).status, JobStatus::kSucceeded);
  // Claimed before the stop, or left queued: never given back half done.
  const JobStatus other = get(second).status;
  EXPECT_TRUE(other == JobStatus::kSucceeded || other == JobStatus::kQueued);
}

TEST_P(WorkerTest, ExpiredLeasesAreRetriedUntilMaxAttemptsThenDeadLettered) {
  const auto long_ago = std::chrono::system_clock::now() - std::chrono::hours(1);
  const std::string dead = enqueue(*store_, kShortJob, /*max_attempts=*/1);
  ASSERT_TRUE(store_->claim("ghost", store::Duration(1), long_ago).ok());
  auto worker = make_worker("w1");
  EXPECT_EQ(run_once(*worker), std::nullopt);  // the reaper dead-letters it
  store::SimulationRecord record = get(dead);
  EXPECT_EQ(record.status, JobStatus::kFailed);
  EXPECT_EQ(record.attempts, 1);
  EXPECT_EQ(record.error, "lease expired (worker ghost)");

  const std::string retried = enqueue(*store_, kShortJob, /*max_attempts=*/2);
  ASSERT_TRUE(store_->claim("ghost", store::Duration(1), long_ago).ok());
  EXPECT_EQ(run_once(*worker), JobOutcome::kSucceeded);
  record = get(retried);
  EXPECT_EQ(record.status, JobStatus::kSucceeded);
  EXPECT_EQ(record.attempts, 2);
  expect_results(retried, kShortJob);
}

TEST_P(WorkerTest, AWorkerThatLostItsLeaseStopsAndWritesNothingMore) {
  const std::string id = enqueue(*store_, kLongJob);
  auto worker = make_worker("w1");
  auto outcome = std::async(std::launch::async, [&] { return run_once(*worker); });
  ASSERT_TRUE(wait_until([&] { return has_progress(id); }));
  // As if the worker had been paused past its lease: another worker's reaper
  // takes the job away.
  auto reaped = store_->requeue_expired(std::chrono::system_clock::now() + std::chrono::hours(1));
  ASSERT_TRUE(reaped.ok()) << reaped.error().message;
  EXPECT_EQ(reaped->requeued, 1);
  const auto progress_after_reap = get(id).progress_day;
  EXPECT_EQ(outcome.get(), JobOutcome::kAbandoned);
  const store::SimulationRecord record = get(id);
  EXPECT_EQ(record.status, JobStatus::kQueued);
  EXPECT_EQ(record.attempts, 1);
  EXPECT_EQ(record.progress_day, progress_after_reap);
}

// A stand-in for the engine that reports each day's r_t kLag days late, as
// the engine does once a day's cases have stopped being infectious: the
// last days' values come at the end of the run, one of them only after the
// replicate's last day, and the very last day's never (unknown).
constexpr std::int64_t kLag = 5;

double late_r_t(std::int64_t replicate, std::int64_t day) {
  return 0.5 + static_cast<double>(day) / 8 + static_cast<double>(replicate);
}

engine::DayTotals fake_day(std::int64_t replicate, std::int64_t day) {
  engine::DayTotals totals;
  totals.day = day;
  totals.susceptible = 1000 - day;
  totals.recovered = day;
  totals.hospitalized = replicate + day % 3;
  totals.new_deaths = day % 2;
  totals.infections_school = replicate * day;
  return totals;
}

Result<engine::EnsembleResult> late_r_t_engine(const engine::Scenario& scenario,
                                               const engine::EnsembleOptions& options) {
  engine::EnsembleResult result;
  for (std::int64_t r = 0; r < scenario.replicates; ++r) {
    auto& rows = result.replicates.emplace_back();
    const auto report = [&](std::int64_t day) {
      rows[static_cast<std::size_t>(day)].r_t = late_r_t(r, day);
      if (options.on_r_t) options.on_r_t(r, day, late_r_t(r, day));
    };
    for (std::int64_t day = 0; day <= scenario.days; ++day) {
      if (day >= kLag) report(day - kLag);
      if (day == scenario.days) {
        for (std::int64_t d = day - kLag + 1; d < day - 1; ++d) report(d);
      }
      rows.push_back(fake_day(r, day));
      if (options.on_day) options.on_day(r, rows.back());
    }
    report(scenario.days - 1);  // a straggler after the last day
    engine::AgeTotals ages;
    for (std::size_t band = 0; band < engine::kAgeBands; ++band) {
      ages.agents[band] = 100 + static_cast<std::int64_t>(band);
      ages.dead[band] = r;
    }
    result.age_totals.push_back(ages);
  }
  result.summary = engine::summarize(result.replicates);
  return result;
}

TEST_P(WorkerTest, EachEndedReplicateStoresItsKeyFigures) {
  const std::string id = enqueue(*store_, kShortJob);
  auto worker = make_worker("w1");
  EXPECT_EQ(run_once(*worker), JobOutcome::kSucceeded);
  const engine::EnsembleResult expected = expected_results(kShortJob);
  auto figures = store_->figures(id);
  ASSERT_TRUE(figures.ok()) << figures.error().message;
  ASSERT_EQ(figures->size(), 3u);
  for (std::size_t r = 0; r < 3; ++r) {
    EXPECT_EQ((*figures)[r], run_figures(static_cast<std::int64_t>(r), expected.replicates[r]));
  }
  EXPECT_GT((*figures)[0].peak_infected, 0);
}

// Runs the real engine and requests a cancel through the store, as the API
// does, while replicate `at` (0-based) computes its day 5.
std::function<Result<engine::EnsembleResult>(const engine::Scenario&,
                                             const engine::EnsembleOptions&)>
cancelling_engine(store::Store& store, const std::string& id, std::int64_t at) {
  return
      [&store, id, at](const engine::Scenario& scenario, const engine::EnsembleOptions& options) {
        engine::EnsembleOptions wrapped = options;
        wrapped.on_day = [&store, id, at, &options](std::int64_t replicate,
                                                    const engine::DayTotals& totals) {
          if (replicate == at && totals.day == 5) {
            EXPECT_TRUE(store.cancel(id, std::chrono::system_clock::now()).ok());
          }
          options.on_day(replicate, totals);
        };
        return engine::run_ensemble(scenario, wrapped);
      };
}

TEST_P(WorkerTest, ACancelledJobKeepsTheFiguresAndTheSummaryOfItsCompleteRuns) {
  const std::string json = scenario_json(3'000, 60, 5);
  const std::string id = enqueue(*store_, json);
  WorkerOptions options = worker_options("w1");
  options.run_ensemble = cancelling_engine(*store_, id, 3);
  options.flush_days = 1;  // the cancel is seen at the next day
  auto worker = make_worker(std::move(options));
  EXPECT_EQ(run_once(*worker), JobOutcome::kCancelled);
  EXPECT_EQ(get(id).status, JobStatus::kCancelled);

  const engine::EnsembleResult full = expected_results(json);
  auto figures = store_->figures(id);
  ASSERT_TRUE(figures.ok()) << figures.error().message;
  ASSERT_EQ(figures->size(), 3u);
  for (std::size_t r = 0; r < 3; ++r) {
    EXPECT_EQ((*figures)[r], run_figures(static_cast<std::int64_t>(r), full.replicates[r]));
  }
  // The summary over runs 1 to 3, as the engine makes it.
  const std::vector<std::vector<engine::DayTotals>> complete(full.replicates.begin(),
                                                             full.replicates.begin() + 3);
  const engine::Summary expected = engine::summarize(complete);
  auto summary = store_->summary(id);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_TRUE(same_values(summary->mean, expected.mean));
  EXPECT_TRUE(same_values(summary->p5, expected.p5));
  EXPECT_TRUE(same_values(summary->p95, expected.p95));
  // The days of the run that was stopped stay readable.
  EXPECT_GE(stored_replicates(*store_, id).size(), 4u);

  // A retry starts without the earlier try's figures and summary.
  ASSERT_TRUE(store_->retry(id).ok());
  ASSERT_TRUE(store_->claim("w2", store::Duration(60'000), std::chrono::system_clock::now()).ok());
  EXPECT_TRUE(store_->figures(id)->empty());
  EXPECT_TRUE(store_->summary(id)->mean.empty());
}

TEST_P(WorkerTest, ACancelWithOneCompleteRunWritesNoSummary) {
  const std::string id = enqueue(*store_, scenario_json(3'000, 60, 4));
  WorkerOptions options = worker_options("w1");
  options.run_ensemble = cancelling_engine(*store_, id, 1);
  options.flush_days = 1;
  auto worker = make_worker(std::move(options));
  EXPECT_EQ(run_once(*worker), JobOutcome::kCancelled);
  EXPECT_EQ(store_->figures(id)->size(), 1u);
  EXPECT_TRUE(store_->summary(id)->mean.empty());
}

TEST_P(WorkerTest, AJobTheEngineFailsKeepsTheSummaryOfItsCompleteRuns) {
  const std::string json = scenario_json(1'000, 20, 4);
  const std::string id = enqueue(*store_, json);
  WorkerOptions options = worker_options("w1");
  // The stand-in engine fails in its third replicate.
  options.run_ensemble =
      [](const engine::Scenario& scenario,
         const engine::EnsembleOptions& engine_options) -> Result<engine::EnsembleResult> {
    for (std::int64_t r = 0; r < scenario.replicates; ++r) {
      for (std::int64_t day = 0; day <= scenario.days; ++day) {
        if (r == 2 && day == 7) return Error::make(ErrorCode::kInternal, "out of agents");
        engine_options.on_day(r, fake_day(r, day));
      }
    }
    return Error::make(ErrorCode::kInternal, "unreachable");
  };
  auto worker = make_worker(std::move(options));
  EXPECT_EQ(run_once(*worker), JobOutcome::kFailed);
  EXPECT_EQ(get(id).status, JobStatus::kFailed);
  EXPECT_EQ(store_->figures(id)->size(), 2u);
  std::vector<std::vector<engine::DayTotals>> complete(2);
  for (std::int64_t r = 0; r < 2; ++r) {
    for (std::int64_t day = 0; day <= 20; ++day) {
      complete[static_cast<std::size_t>(r)].push_back(fake_day(r, day));
    }
  }
  auto summary = store_->summary(id);
  ASSERT_TRUE(summary.ok());
  EXPECT_TRUE(same_values(summary->mean, engine::summarize(complete).mean));
}

TEST_P(WorkerTest, AnRtReportedAfterItsDayWasStoredIsStoredToo) {
  const std::string json = scenario_json(1'000, 40, 3);
  const std::string id = enqueue(*store_, json);
  WorkerOptions options = worker_options("w1");
  options.run_ensemble = late_r_t_engine;
  options.flush_days = 4;  // batches of about 4 days: most r_t come after their day was written
  options.flush_interval = std::chrono::hours(1);
  auto worker = make_worker(std::move(options));
  EXPECT_EQ(run_once(*worker), JobOutcome::kSucceeded);

  engine::Scenario scenario;
  ASSERT_TRUE(io::read_scenario_json(json, scenario).ok());
  const auto expected = late_r_t_engine(scenario, {});
  ASSERT_TRUE(expected.ok());
  expect_stored(id, *expected);
  // Only the last day of each replicate never got its r_t.
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_days WHERE r_t IS NULL"), "3");
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_summary WHERE r_t IS NULL"), "3");
  // The straggler rewrote an earlier day, yet progress stays at the end.
  const store::SimulationRecord record = get(id);
  EXPECT_EQ(record.progress_replicate, 2);
  EXPECT_EQ(record.progress_day, 40);
}

// A log line that could not be written (stdout on a full disk) must not
// silence the lines after it.
TEST(Logger, WritesAgainAfterAFailedWrite) {
  std::ostringstream out;
  Logger log(out, LogFormat::kText);
  out.setstate(std::ios::badbit);
  log.info("lost", {});
  log.info("kept", {{"id", "1"}});
  EXPECT_NE(out.str().find(" info kept id=1\n"), std::string::npos) << out.str();
}

INSTANTIATE_TEST_SUITE_P(jobs, WorkerTest, ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::jobs::testing
