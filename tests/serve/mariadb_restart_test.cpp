// The MariaDB server restarted while an `outbreak worker` runs a job and
// `outbreak serve` serves: while it is down the API answers 503 with
// Retry-After; then both processes reconnect without a restart of their
// own, the job finishes in its first try with every day stored once, and
// nothing is lost or duplicated.
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include "jobs/jobs_fixture.hpp"
#include "serve/serve_fixture.hpp"

namespace outbreak::serve::testing {
namespace {

namespace fs = std::filesystem;
using store::testing::PrivateMariadb;

// Long enough with one thread (several seconds) to restart the server under it.
constexpr std::int64_t kDays = 300;
constexpr std::int64_t kReplicates = 16;
const std::string kScenario = jobs::testing::scenario_json(200'000, kDays, kReplicates);

class MariadbRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // OUTBREAK_TEST_MARIADB_URL names a server the tests must not restart.
    const char* shared = std::getenv("OUTBREAK_TEST_MARIADB_URL");
    ASSERT_TRUE(shared == nullptr || *shared == '\0')
        << "this test starts its own server; unset OUTBREAK_TEST_MARIADB_URL";
    dir_ = fs::temp_directory_path() / fmt::format("outbreak-mariadb-restart-{}-{}", getpid(),
                                                   store::new_uuid_v4().substr(0, 8));
    fs::create_directories(dir_);
    server_ = std::make_unique<PrivateMariadb>((dir_ / "mariadb").string());
    url_ = server_->create_database("outbreak");
  }
  void TearDown() override {
    serve_.reset();
    worker_.reset();
    if (HasFailure()) {
      for (const char* name : {"serve.log", "worker.log"}) {
        std::ifstream in(dir_ / name);
        std::cout << "--- " << name << ":\n" << in.rdbuf() << '\n';
      }
    }
    server_.reset();
    fs::remove_all(dir_);
  }

  httplib::Client client() const {
    httplib::Client client("127.0.0.1", serve_->port());
    client.set_connection_timeout(seconds(10));
    client.set_read_timeout(seconds(60));
    return client;
  }
  std::string log(const char* name) const {
    std::ifstream in(dir_ / name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path dir_;
  std::unique_ptr<PrivateMariadb> server_;
  std::string url_;
  std::unique_ptr<ServerProcess> serve_;
  std::unique_ptr<ChildProcess> worker_;
};

TEST_F(MariadbRestartTest, AWorkerAndServeOutliveARestartAndTheJobRunsOnce) {
  serve_ = std::make_unique<ServerProcess>(
      std::vector<std::string>{"--database", url_, "--workers", "0"}, Environment{},
      (dir_ / "serve.log").string());
  worker_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"worker", "--database", url_, "--threads", "1", "--poll-seconds",
                               "0.05", "--lease-seconds", "10"},
      Environment{}, (dir_ / "worker.log").string());
  auto submitted = client().Post("/api/v1/simulations",
                                 fmt::format(R"({{"name": "restart", "scenario": {}}})", kScenario),
                                 "application/json");
  ASSERT_TRUE(submitted) << httplib::to_string(submitted.error());
  ASSERT_EQ(submitted->status, 201) << submitted->body;
  const std::string id = json::parse(submitted->body).at("id").get<std::string>();
  const std::string target = "/api/v1/simulations/" + id;
  // Running, with some days stored.
  ASSERT_TRUE(wait_until(
      [&] {
        auto response = client().Get(target);
        if (!response || response->status != 200) return false;
        const json document = json::parse(response->body, nullptr, false);
        return document.is_object() && document.value("status", "") == "running" &&
               document["progress"].is_object() && !document["progress"]["day"].is_null();
      },
      seconds(60)))
      << serve_->output();

  // Ask serve all through the restart; note every answer.
  std::atomic<bool> asking = true;
  std::mutex mu;
  std::set<int> statuses;
  bool retry_after_on_503 = true;
  std::thread asker([&] {
    while (asking) {
      auto response = client().Get(target);
      const std::lock_guard lock(mu);
      statuses.insert(response ? response->status : -1);
      if (response && response->status == 503 && !response->has_header("Retry-After")) {
        retry_after_on_503 = false;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  server_->restart();
  // The job finishes without either process being restarted.
  const bool finished = wait_until(
      [&] {
        auto response = client().Get(target);
        if (!response || response->status != 200) return false;
        const json document = json::parse(response->body, nullptr, false);
        return document.is_object() && document.value("status", "") != "running";
      },
      seconds(120), milliseconds(100));
  asking = false;
  asker.join();
  ASSERT_TRUE(finished) << serve_->output();
  {
    const std::lock_guard lock(mu);
    EXPECT_TRUE(statuses.contains(503)) << "the API said the database was down";
    EXPECT_TRUE(retry_after_on_503) << "with Retry-After";
    EXPECT_TRUE(statuses.contains(200)) << "and answered again after";
  }
  auto ready = client().Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;

  const std::string worker_log = log("worker.log");
  EXPECT_TRUE(worker_log.find(" store_retry ") != std::string::npos ||
              worker_log.find(" lease_renewal_failed ") != std::string::npos)
      << "the worker met the restart";
  EXPECT_EQ(worker_log.find(" job_started "), worker_log.rfind(" job_started ")) << "once";

  // Every day stored once, with the values of a run in-process.
  auto store = store::open_store(url_);
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto record = (*store)->get(id);
  ASSERT_TRUE(record.ok()) << record.error().message;
  EXPECT_EQ(record->status, store::JobStatus::kSucceeded) << record->error.value_or("");
  EXPECT_EQ(record->attempts, 1);
  EXPECT_EQ(jobs::testing::stored_replicates(**store, id),
            jobs::testing::expected_results(kScenario).replicates);

  // Both still run, and stop cleanly.
  EXPECT_EQ(worker_->wait(milliseconds(0)), std::nullopt) << "the worker exited";
  EXPECT_EQ(serve_->process().wait(milliseconds(0)), std::nullopt) << "serve exited";
  worker_->signal(SIGTERM);
  serve_->process().signal(SIGTERM);
  EXPECT_EQ(worker_->wait(seconds(10)), 0);
  EXPECT_EQ(serve_->process().wait(seconds(10)), 0);
}

}  // namespace
}  // namespace outbreak::serve::testing
