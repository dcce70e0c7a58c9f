// The queue's subcommands as a person uses them: submit, worker, jobs,
// results, db migrate, and the errors for bad database URLs.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "jobs/jobs_fixture.hpp"
#include "jobs/process.hpp"

namespace outbreak::jobs::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

struct Outcome {
  int status = -1;
  std::string output;  // stdout and stderr together
};

class CliJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("outbreak-cli-jobs-{}-{}", getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    url_ = "sqlite://" + (dir_ / "outbreak.db").string();
    std::ofstream(dir_ / "scenario.json") << scenario_json(3'000, 40, 2);
    std::ofstream(dir_ / "bad.json") << R"({"population": 0})";
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome run(std::vector<std::string> args) {
    const std::string log = (dir_ / fmt::format("out-{}.txt", runs_++)).string();
    Process process(std::move(args), log);
    Outcome outcome;
    outcome.status = process.wait(seconds(60)).value_or(-1);
    std::ifstream in(log);
    outcome.output = std::string(std::istreambuf_iterator<char>(in), {});
    return outcome;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::string url_;
  int runs_ = 0;
};

TEST_F(CliJobsTest, SubmitRunListShowAndPrintResults) {
  EXPECT_EQ(run({"db", "migrate", "--database", url_}).status, 0);
  const Outcome bad = run({"submit", path("bad.json"), "--database", url_});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.output.find("population"), std::string::npos) << bad.output;

  const Outcome submitted =
      run({"submit", path("scenario.json"), "--name", "demo", "--database", url_});
  ASSERT_EQ(submitted.status, 0) << submitted.output;
  const std::string id = submitted.output.substr(0, 36);
  EXPECT_EQ(submitted.output, id + "\n");
  const Outcome listed = run({"jobs", "list", "--status", "queued", "--database", url_});
  EXPECT_EQ(listed.status, 0);
  EXPECT_NE(listed.output.find(id), std::string::npos) << listed.output;
  EXPECT_EQ(run({"results", id, "--database", url_}).status, 2) << "not run yet";

  Process worker({"worker", "--database", url_, "--poll-seconds", "0.05"}, path("worker.log"));
  EXPECT_TRUE(wait_until(
      [&] {
        return run({"jobs", "show", id, "--database", url_}).output.find("status: succeeded") !=
               std::string::npos;
      },
      seconds(30), std::chrono::milliseconds(100)));
  worker.signal(SIGTERM);
  EXPECT_EQ(worker.wait(seconds(5)), 0);

  const Outcome results = run({"results", id, "--format", "csv", "--database", url_});
  const Outcome local = run({"run", "--scenario", path("scenario.json"), "--format", "csv"});
  ASSERT_EQ(results.status, 0) << results.output;
  EXPECT_EQ(results.output, local.output);
  EXPECT_EQ(run({"jobs", "retry", id, "--database", url_}).status, 2);
  EXPECT_EQ(run({"jobs", "cancel", "no-such-id", "--database", url_}).status, 2);
}

TEST_F(CliJobsTest, PruneDeletesOnlyFinishedJobsOlderThanTheDaysGiven) {
  auto store = open_migrated(url_);
  ASSERT_NE(store, nullptr);
  const auto now = std::chrono::system_clock::now();
  const auto days_ago = [&](int days) { return now - std::chrono::hours(24) * days; };
  const std::string json = scenario_json(100, 5, 1);
  const std::string old_done = enqueue(*store, json);
  const std::string recent = enqueue(*store, json);
  const std::string waiting = enqueue(*store, json);
  for (const auto& [id, finished] : {std::pair{old_done, days_ago(40)}, {recent, days_ago(5)}}) {
    auto claimed = store->claim("w", store::Duration(30'000), days_ago(50));
    ASSERT_TRUE(claimed.ok() && claimed->has_value());
    ASSERT_EQ((*claimed)->id, id);
    ASSERT_TRUE(store->finish(id, "w", store::JobStatus::kSucceeded, std::nullopt, finished).ok());
  }

  const Outcome pruned = run({"jobs", "prune", "--older-than", "30", "--database", url_});
  ASSERT_EQ(pruned.status, 0) << pruned.output;
  EXPECT_EQ(pruned.output, "deleted 1 finished job(s) older than 30 day(s)\n");
  EXPECT_EQ(store->get(old_done).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store->get(recent).ok());
  EXPECT_TRUE(store->get(waiting).ok());
  EXPECT_EQ(run({"jobs", "prune", "--older-than", "30", "--database", url_}).output,
            "deleted 0 finished job(s) older than 30 day(s)\n");

  const Outcome no_days = run({"jobs", "prune", "--database", url_});
  EXPECT_EQ(no_days.status, 2);
  EXPECT_NE(no_days.output.find("--older-than DAYS or OUTBREAK_RETENTION_DAYS"), std::string::npos)
      << no_days.output;
  for (const char* bad : {"0", "36501", "3.5", "x"}) {
    const Outcome refused = run({"jobs", "prune", "--older-than", bad, "--database", url_});
    EXPECT_EQ(refused.status, 2) << bad;
    EXPECT_NE(refused.output.find("--older-than must be a whole number of days from 1 to 36500"),
              std::string::npos)
        << refused.output;
  }
  EXPECT_TRUE(store->get(recent).ok());
}

TEST_F(CliJobsTest, BadDatabaseUrlsGetAClearErrorWithoutThePassword) {
  const Outcome malformed = run({"jobs", "list", "--database", "mongodb://me:hunter2@host/db"});
  EXPECT_EQ(malformed.status, 2);
  EXPECT_NE(malformed.output.find("unknown scheme"), std::string::npos) << malformed.output;
  EXPECT_EQ(malformed.output.find("hunter2"), std::string::npos) << malformed.output;

  const Outcome bad_mysql = run({"jobs", "list", "--database", "mysql://me:hunter2@host:0/db"});
  EXPECT_EQ(bad_mysql.status, 2);
  EXPECT_NE(bad_mysql.output.find("port '0'"), std::string::npos) << bad_mysql.output;
  EXPECT_EQ(bad_mysql.output.find("hunter2"), std::string::npos) << bad_mysql.output;

  const Outcome unreachable =
      run({"worker", "--database", "postgresql://me:hunter2@127.0.0.1:1/db"});
  EXPECT_EQ(unreachable.status, 1);
  EXPECT_NE(unreachable.output.find("cannot connect"), std::string::npos) << unreachable.output;
  EXPECT_EQ(unreachable.output.find("hunter2"), std::string::npos) << unreachable.output;

  const Outcome no_mysql = run({"worker", "--database", "mysql://me:hunter2@127.0.0.1:1/db"});
  EXPECT_EQ(no_mysql.status, 1);
  EXPECT_NE(
      no_mysql.output.find("cannot connect to MySQL/MariaDB at mysql://me:***@127.0.0.1:1/db: "
                           "no server answers at host '127.0.0.1' port 1"),
      std::string::npos)
      << no_mysql.output;
  EXPECT_EQ(no_mysql.output.find("hunter2"), std::string::npos) << no_mysql.output;
}

}  // namespace
}  // namespace outbreak::jobs::testing
