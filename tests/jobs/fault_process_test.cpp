// Store faults under a running `outbreak worker` process: its PostgreSQL
// connections terminated mid-job, its PostgreSQL server restarted mid-job,
// its SQLite database on a file system that is full for a while. In every
// case the job finishes in its first attempt (the run never starts again
// from day 0), with every day stored once, and the worker keeps running.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "jobs/jobs_fixture.hpp"
#include "jobs/process.hpp"

namespace outbreak::jobs::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A few seconds with one thread: long enough to hit it with faults.
const std::string kLongJob = scenario_json(200'000, 300, 8);
const std::string kLongerJob = scenario_json(200'000, 300, 16);

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class FaultProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("outbreak-faults-{}-{}", getpid(), store::new_uuid_v4().substr(0, 8));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    worker_.reset();
    if (HasFailure()) std::cout << "--- worker log:\n" << log_text() << '\n';
    fs::remove_all(dir_);
  }

  void start_worker(const std::string& url, double lease_seconds = 10) {
    worker_ = std::make_unique<Process>(
        std::vector<std::string>{"worker", "--database", url, "--threads", "1", "--poll-seconds",
                                 "0.05", "--lease-seconds", fmt::format("{}", lease_seconds)},
        (dir_ / "worker.log").string());
  }
  std::string log_text() const { return read_file(dir_ / "worker.log"); }
  // Whether the worker met a failed store call while running the job.
  bool hit_by_fault() const {
    const std::string log = log_text();
    return log.find(" store_retry ") != std::string::npos ||
           log.find(" lease_renewal_failed ") != std::string::npos;
  }

  // The job ran once to success, every day stored once, and the worker is
  // still running (and stops cleanly).
  void expect_finished_in_one_run(store::Store& store, const std::string& id,
                                  const std::string& json) {
    auto record = store.get(id);
    ASSERT_TRUE(record.ok()) << record.error().message;
    EXPECT_EQ(record->status, store::JobStatus::kSucceeded) << record->error.value_or("");
    EXPECT_EQ(record->attempts, 1);
    EXPECT_EQ(count(log_text(), " job_started "), 1u);
    EXPECT_EQ(stored_replicates(store, id), expected_results(json).replicates);
    EXPECT_EQ(worker_->wait(milliseconds(0)), std::nullopt) << "the worker exited";
    worker_->signal(SIGTERM);
    EXPECT_EQ(worker_->wait(seconds(10)), 0);
  }

  fs::path dir_;
  std::unique_ptr<Process> worker_;
};

// ---- PostgreSQL: connections terminated ---------------------------------

class PostgresFaultTest : public FaultProcessTest,
                          public ::testing::WithParamInterface<std::string> {};

TEST_P(PostgresFaultTest, AJobWhoseConnectionsAreTerminatedFinishesWithoutStartingAgain) {
  TestDatabase database(GetParam());
  auto store = open_migrated(database.url());
  ASSERT_NE(store, nullptr);
  const std::string id = enqueue(*store, kLongJob);
  ASSERT_NO_FATAL_FAILURE(start_worker(database.url()));
  const auto status = [&] {
    return database.query("SELECT status FROM simulations WHERE id = '" + id + "'");
  };
  ASSERT_TRUE(wait_until([&] { return status() == "running"; }, seconds(30))) << status();
  // Every connection of the database but the one asking: the worker's job
  // and mail connections, its listener, and the test's own store.
  const std::string terminate =
      "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
      "current_database() AND pid <> pg_backend_pid()";
  int terminations = 0;
  const auto deadline = std::chrono::steady_clock::now() + seconds(120);
  while (status() == "running" && std::chrono::steady_clock::now() < deadline) {
    if (database.query(terminate) != "0") ++terminations;
    std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_GE(terminations, 3);
  EXPECT_TRUE(hit_by_fault());
  store = open_migrated(database.url());
  ASSERT_NE(store, nullptr);
  expect_finished_in_one_run(*store, id, kLongJob);
}

// ---- PostgreSQL: the server restarted -----------------------------------

// A PostgreSQL server of the test's own (scripts/test-postgres), since
// restarting the shared one would break the tests running beside it.
class PrivatePostgres {
 public:
  explicit PrivatePostgres(fs::path dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    script("start");
  }
  ~PrivatePostgres() {
    try {
      script("stop");
    } catch (const std::exception&) {
      // Best effort; the data folder is named in dir_/datadir.
    }
  }
  void restart() { script("restart"); }
  std::string url() const {
    std::ifstream in(dir_ / "url");
    std::string url;
    std::getline(in, url);
    return url;
  }

 private:
  void script(const std::string& command) const {
    const std::string line = fmt::format("{} {} {} >>{} 2>&1", OUTBREAK_TEST_POSTGRES_SCRIPT,
                                         command, dir_.string(), (dir_ / "script.log").string());
    if (std::system(line.c_str()) != 0) {
      throw std::runtime_error("scripts/test-postgres " + command + " failed:\n" +
                               read_file(dir_ / "script.log"));
    }
  }
  fs::path dir_;
};

TEST_P(PostgresFaultTest, AJobWhoseServerRestartsFinishesWithoutStartingAgain) {
  // OUTBREAK_TEST_POSTGRES_URL names a server the tests must not restart.
  const char* shared = std::getenv("OUTBREAK_TEST_POSTGRES_URL");
  ASSERT_TRUE(shared == nullptr || *shared == '\0')
      << "this test starts its own server; unset OUTBREAK_TEST_POSTGRES_URL";
  PrivatePostgres server(dir_ / "postgres");
  const std::string url = server.url();
  auto store = open_migrated(url);
  ASSERT_NE(store, nullptr);
  const std::string id = enqueue(*store, kLongerJob);
  ASSERT_NO_FATAL_FAILURE(start_worker(url));
  const auto progress = [&]() -> std::optional<std::int64_t> {
    auto record = store->get(id);
    return record ? record->progress_day : std::nullopt;
  };
  ASSERT_TRUE(wait_until([&] { return progress().has_value(); }, seconds(30)));
  server.restart();
  // The restart dropped the test's connection too: the store reconnects.
  ASSERT_TRUE(wait_until(
      [&] {
        auto record = store->get(id);
        return record && record->status != store::JobStatus::kRunning;
      },
      seconds(60)));
  EXPECT_TRUE(hit_by_fault());
  expect_finished_in_one_run(*store, id, kLongerJob);
}

// ---- SQLite: the file system full for a while ---------------------------

// Sets the soft RLIMIT_FSIZE of process `pid`: its writes past `bytes` into
// any file fail with EFBIG (the worker ignores SIGXFSZ), as on a full disk.
void limit_file_size(pid_t pid, rlim_t bytes) {
  rlimit limit{};
  ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, nullptr, &limit), 0) << std::strerror(errno);
  limit.rlim_cur = bytes;
  ASSERT_EQ(prlimit(pid, RLIMIT_FSIZE, &limit, nullptr), 0) << std::strerror(errno);
}

TEST_F(FaultProcessTest, ASqliteJobWaitsOutAFullDiskAndFinishesWithoutStartingAgain) {
  TestDatabase database("sqlite");
  auto store = open_migrated(database.url());
  ASSERT_NE(store, nullptr);
  const std::string id = enqueue(*store, kLongerJob);
  ASSERT_NO_FATAL_FAILURE(start_worker(database.url()));
  ASSERT_TRUE(wait_until(
      [&] {
        auto record = store->get(id);
        return record && record->progress_day.has_value();
      },
      seconds(30)));
  // Room for the log to grow a little; the database is past the limit, and
  // so is the WAL after its first few pages.
  const auto log_size = fs::file_size(dir_ / "worker.log");
  ASSERT_LT(log_size, 32u * 1024);
  ASSERT_NO_FATAL_FAILURE(limit_file_size(worker_->pid(), log_size + 16 * 1024));
  const bool hit = wait_until([&] { return log_text().find(" store_retry ") != std::string::npos; },
                              seconds(30), milliseconds(5));
  ASSERT_NO_FATAL_FAILURE(limit_file_size(worker_->pid(), RLIM_INFINITY));
  ASSERT_TRUE(hit) << log_text();
  EXPECT_NE(log_text().find("no space left"), std::string::npos) << log_text();
  ASSERT_TRUE(wait_until(
      [&] {
        auto record = store->get(id);
        return record && record->status != store::JobStatus::kRunning;
      },
      seconds(60)));
  expect_finished_in_one_run(*store, id, kLongerJob);
}

INSTANTIATE_TEST_SUITE_P(jobs, PostgresFaultTest, ::testing::Values("postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::jobs::testing
