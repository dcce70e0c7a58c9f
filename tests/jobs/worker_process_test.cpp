// `outbreak worker` as real processes, against each backend: eight workers
// race for 500 jobs; a worker killed with SIGKILL mid-job; a worker stopped
// with SIGTERM mid-job.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include "jobs/jobs_fixture.hpp"
#include "jobs/process.hpp"

namespace outbreak::jobs::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kLongJob = scenario_json(200'000, 300, 4);

class WorkerProcessTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<TestDatabase>(GetParam());
    store_ = open_migrated(database_->url());
    ASSERT_NE(store_, nullptr);
    // A parameterized test's name holds a '/' ("Name/sqlite"): keep the
    // folder flat so that removing it removes everything.
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '-');
    dir_ = fs::temp_directory_path() / fmt::format("outbreak-jobs-{}-{}", getpid(), name);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    // The logs go to the test's output on failure; the folder goes always.
    if (HasFailure()) std::cout << log_text() << '\n';
    fs::remove_all(dir_);
  }

  // An `outbreak worker` on the test database, logging to its own file.
  std::unique_ptr<Process> start_worker(const std::string& name, double lease_seconds = 10,
                                        const std::vector<std::string>& environment = {}) {
    return std::make_unique<Process>(
        std::vector<std::string>{"worker", "--database", database_->url(), "--threads", "1",
                                 "--poll-seconds", "0.05", "--lease-seconds",
                                 fmt::format("{}", lease_seconds)},
        (dir_ / (name + ".log")).string(), environment);
  }

  std::string column(const std::string& id, const std::string& name) {
    return database_->query("SELECT " + name + " FROM simulations WHERE id = '" + id + "'");
  }
  bool wait_for_status(const std::string& id, const std::string& status,
                       milliseconds timeout = seconds(60)) {
    return wait_until([&] { return column(id, "status") == status; }, timeout, milliseconds(50));
  }
  bool wait_for_progress(const std::string& id) {
    return wait_until([&] { return !column(id, "progress_day").empty(); }, seconds(30),
                      milliseconds(20));
  }
  // SIGTERM, then the exit status within `timeout` (nullopt if none).
  static std::optional<int> terminate(Process& worker, milliseconds timeout = seconds(5)) {
    worker.signal(SIGTERM);
    return worker.wait(timeout);
  }
  void expect_results(const std::string& id, const std::string& json) {
    const engine::EnsembleResult expected = expected_results(json);
    EXPECT_EQ(stored_replicates(*store_, id), expected.replicates);
  }
  std::string log_text() {
    std::string text;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      std::ifstream in(entry.path());
      text += std::string(std::istreambuf_iterator<char>(in), {});
    }
    return text;
  }

  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<store::Store> store_;
  fs::path dir_;
};

bool handles_sigterm(const Process& worker) {
  return wait_until([&] { return catches_signal(worker.pid(), SIGTERM); }, seconds(10));
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_P(WorkerProcessTest, EightWorkersRunEachOf500JobsExactlyOnce) {
  constexpr int kJobs = 500;
  const std::string job = scenario_json(200, 10, 1);
  for (int i = 0; i < kJobs; ++i) enqueue(*store_, job);
  std::vector<std::unique_ptr<Process>> workers;
  for (int w = 0; w < 8; ++w) workers.push_back(start_worker("w" + std::to_string(w)));
  const auto succeeded = [&] {
    return database_->query("SELECT COUNT(*) FROM simulations WHERE status = 'succeeded'");
  };
  EXPECT_TRUE(wait_until([&] { return succeeded() == std::to_string(kJobs); }, seconds(60),
                         milliseconds(100)))
      << succeeded() << " succeeded";
  for (auto& worker : workers) EXPECT_EQ(terminate(*worker), 0);
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulations WHERE attempts = 1"),
            std::to_string(kJobs));
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_days"), std::to_string(kJobs * 11));
  EXPECT_EQ(count(log_text(), "job_started"), static_cast<std::size_t>(kJobs));
}

TEST_P(WorkerProcessTest, AJobOfAKilledWorkerIsFinishedByAnotherWithEveryDayOnce) {
  const std::string id = enqueue(*store_, kLongJob);
  auto first = start_worker("first", /*lease_seconds=*/2);
  ASSERT_TRUE(wait_for_progress(id));
  first->signal(SIGKILL);
  ASSERT_EQ(first->wait(seconds(5)), 128 + SIGKILL);
  EXPECT_EQ(column(id, "status"), "running");

  auto second = start_worker("second", /*lease_seconds=*/2);
  ASSERT_TRUE(wait_for_status(id, "succeeded")) << column(id, "status");
  EXPECT_EQ(terminate(*second), 0);
  EXPECT_EQ(column(id, "attempts"), "2");
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_days"), std::to_string(4 * 301));
  expect_results(id, kLongJob);
}

TEST_P(WorkerProcessTest, SigtermGivesTheJobBackAndExitsAtOnce) {
  const std::string id = enqueue(*store_, kLongJob);
  auto first = start_worker("first");
  ASSERT_TRUE(handles_sigterm(*first));
  ASSERT_TRUE(wait_for_progress(id));
  EXPECT_EQ(terminate(*first, seconds(5)), 0);
  EXPECT_EQ(column(id, "status"), "queued");
  EXPECT_EQ(column(id, "attempts"), "0");

  auto second = start_worker("second");
  ASSERT_TRUE(wait_for_status(id, "succeeded")) << column(id, "status");
  EXPECT_EQ(terminate(*second), 0);
  EXPECT_EQ(column(id, "attempts"), "1");
  expect_results(id, kLongJob);
}

// Memory admission, as `outbreak run` has it: a stored scenario whose
// estimate exceeds the memory allowed fails at once, for good, with the
// reason; it neither runs out of memory nor waits for its lease to expire,
// and the worker goes on with the next job.
TEST_P(WorkerProcessTest, AJobNeedingMoreMemoryThanAllowedFailsForGoodAndTheWorkerGoesOn) {
  const std::string too_big = enqueue(*store_, scenario_json(1'000'000, 10, 1));
  const std::string small = enqueue(*store_, scenario_json(200, 10, 1));
  auto worker = start_worker("worker", 10, {"OUTBREAK_MEMORY_LIMIT=80000000"});
  ASSERT_TRUE(wait_for_status(small, "succeeded")) << log_text();
  EXPECT_EQ(column(too_big, "status"), "failed");
  EXPECT_EQ(column(too_big, "attempts"), "1");
  const std::string error = column(too_big, "error");
  EXPECT_NE(error.find("population: 1000000 agents need about"), std::string::npos) << error;
  EXPECT_NE(error.find("OUTBREAK_MEMORY_LIMIT"), std::string::npos) << error;
  EXPECT_EQ(column(too_big, "progress_day"), "");
  EXPECT_EQ(terminate(*worker), 0);
}

TEST_P(WorkerProcessTest, ABadMemoryLimitStopsTheWorkerAtTheStart) {
  auto worker = start_worker("worker", 10, {"OUTBREAK_MEMORY_LIMIT=8G"});
  EXPECT_EQ(worker->wait(seconds(10)), 2);
  EXPECT_NE(log_text().find("OUTBREAK_MEMORY_LIMIT: must be a whole number of bytes"),
            std::string::npos)
      << log_text();
}

TEST_P(WorkerProcessTest, AWorkerWithARetentionPeriodDeletesOldFinishedJobs) {
  const auto long_ago = std::chrono::system_clock::now() - std::chrono::hours(24 * 3);
  const std::string old_done = enqueue(*store_, scenario_json(100, 5, 1));
  auto claimed = store_->claim("w", store::Duration(30'000), long_ago);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  ASSERT_TRUE(
      store_->finish(old_done, "w", store::JobStatus::kSucceeded, std::nullopt, long_ago).ok());
  const std::string fresh = enqueue(*store_, scenario_json(100, 5, 1));

  auto worker = start_worker("worker", 10, {"OUTBREAK_RETENTION_DAYS=2"});
  ASSERT_TRUE(wait_for_status(fresh, "succeeded")) << log_text();
  ASSERT_TRUE(wait_until([&] { return column(old_done, "status").empty(); }, seconds(30)))
      << log_text();
  EXPECT_NE(log_text().find("jobs_pruned"), std::string::npos) << log_text();
  EXPECT_EQ(column(fresh, "status"), "succeeded");
  EXPECT_EQ(terminate(*worker), 0);
}

TEST_P(WorkerProcessTest, ABadRetentionPeriodStopsTheWorkerAtTheStart) {
  auto worker = start_worker("worker", 10, {"OUTBREAK_RETENTION_DAYS=forever"});
  EXPECT_EQ(worker->wait(seconds(10)), 2);
  EXPECT_NE(log_text().find("OUTBREAK_RETENTION_DAYS: must be a whole number of days from 1 "
                            "to 36500"),
            std::string::npos)
      << log_text();
}

INSTANTIATE_TEST_SUITE_P(jobs, WorkerProcessTest,
                         ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::jobs::testing
