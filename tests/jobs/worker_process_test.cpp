// `outbreak worker` as real processes, against each backend: eight workers
// race for 500 jobs; a worker killed with SIGKILL mid-job; a worker stopped
// with SIGTERM mid-job.
#include <unistd.h>

#include <filesystem>
#include <fstream>
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
    dir_ = fs::temp_directory_path() /
           fmt::format("outbreak-jobs-{}-{}", getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // An `outbreak worker` on the test database, logging to its own file.
  std::unique_ptr<Process> start_worker(const std::string& name, double lease_seconds = 10) {
    return std::make_unique<Process>(
        std::vector<std::string>{"worker", "--database", database_->url(), "--threads", "1",
                                 "--poll-seconds", "0.05", "--lease-seconds",
                                 fmt::format("{}", lease_seconds)},
        (dir_ / (name + ".log")).string());
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

INSTANTIATE_TEST_SUITE_P(jobs, WorkerProcessTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::jobs::testing
