// Cancel, metrics and graceful shutdown of a real `outbreak serve` process
// with in-process workers, on each backend.
#include <chrono>
#include <regex>

#include "serve/event_reader.hpp"
#include "serve/serve_fixture.hpp"

namespace outbreak::serve::testing {
namespace {

class LifecycleTest : public ServeTest {
 protected:
  // A job long enough to be caught running: stopped, never waited for.
  const std::string long_job_ = scenario(1'000'000, 400, 3);

  bool wait_for_progress(const std::string& id) {
    return wait_until(
        [&] {
          const json document = simulation(id);
          return document.is_object() && !document["progress"]["day"].is_null();
        },
        seconds(60), milliseconds(20));
  }
};

// The value of the sample `series` (name and labels as written), or -1.
double sample(const std::string& metrics, const std::string& series) {
  const auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(metrics.substr(at + series.size() + 2));
}

TEST_P(LifecycleTest, CancellingAQueuedJobEndsItAtOnce) {
  start(0);
  const std::string id = submit(scenario(2000, 30));
  auto cancelled = post("/api/v1/simulations/" + id + "/cancel", "");
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->status, 200);
  EXPECT_EQ(json::parse(cancelled->body)["status"], "cancelled");
  auto again = post("/api/v1/simulations/" + id + "/cancel", "");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200) << "cancelling a cancelled job changes nothing";
  EXPECT_EQ(json::parse(again->body)["status"], "cancelled");
}

TEST_P(LifecycleTest, CancellingARunningJobStopsItAndKeepsItsDays) {
  start(1);
  const std::string id = submit(long_job_);
  ASSERT_TRUE(wait_for_progress(id));
  auto cancelled = post("/api/v1/simulations/" + id + "/cancel", "");
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->status, 200);
  const json document = json::parse(cancelled->body);
  EXPECT_TRUE(document["status"] == "cancelled" ||
              (document["status"] == "running" && document["cancel_requested"] == true))
      << document;
  ASSERT_TRUE(wait_for_status(id, "cancelled", seconds(30)));

  // The days stored so far, in order from day 0, and no summary.
  const json results = get_json("/api/v1/simulations/" + id + "/results");
  EXPECT_FALSE(results.contains("summary"));
  ASSERT_EQ(results["replicates"].size(), 3u);
  const json& first = results["replicates"][0]["days"];
  ASSERT_FALSE(first.empty());
  for (std::size_t d = 0; d < first.size(); ++d) EXPECT_EQ(first[d]["day"], d);
}

TEST_P(LifecycleTest, CancellingAFinishedJobIs409) {
  start(1);
  const std::string id = submit(scenario(500, 5));
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  auto refused = post("/api/v1/simulations/" + id + "/cancel", "");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 409);
  EXPECT_EQ(error_code(refused), "conflict");
}

TEST_P(LifecycleTest, MetricsCountJobsRequestsAndAgentDays) {
  start(1);
  const std::string id = submit(scenario(2000, 60));
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  for (int i = 0; i < 3; ++i) simulation(id);
  // A request is counted when its access-log line is written, just after
  // the response has gone out, so the last GET may be counted a moment
  // after its answer arrived: read /metrics until it is (or time is up).
  const std::string get_route =
      R"(outbreak_http_requests_total{route="/api/v1/simulations/{id}",method="GET",status="200"})";
  std::string text;
  int status = 0;
  std::string content_type;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    auto response = client().Get("/metrics");
    ASSERT_TRUE(response);
    status = response->status;
    content_type = response->get_header_value("Content-Type");
    text = response->body;
  } while (sample(text, get_route) < 4 && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  for (const char* family :
       {"outbreak_jobs gauge", "outbreak_queue_depth gauge", "outbreak_jobs_finished_total counter",
        "outbreak_jobs_failed_total counter", "outbreak_agent_days_simulated_total counter",
        "outbreak_http_requests_total counter",
        "outbreak_http_request_duration_seconds histogram"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + family), std::string::npos) << family;
  }
  EXPECT_EQ(sample(text, R"(outbreak_jobs{status="succeeded"})"), 1);
  EXPECT_EQ(sample(text, R"(outbreak_jobs{status="queued"})"), 0);
  EXPECT_EQ(sample(text, "outbreak_queue_depth"), 0);
  EXPECT_EQ(sample(text, "outbreak_jobs_finished_total"), 1);
  EXPECT_EQ(sample(text, "outbreak_jobs_failed_total"), 0);
  EXPECT_EQ(sample(text, "outbreak_agent_days_simulated_total"), 2000 * 61);
  EXPECT_EQ(sample(text, R"(outbreak_http_requests_total{route="/api/v1/simulations",)"
                         R"(method="POST",status="201"})"),
            1);
  EXPECT_GE(sample(text, R"(outbreak_http_requests_total{route="/api/v1/simulations/{id}",)"
                         R"(method="GET",status="200"})"),
            4);
  EXPECT_EQ(text.find(id), std::string::npos) << "routes, never raw ids";
  const double count = sample(
      text, R"(outbreak_http_request_duration_seconds_count{route="/api/v1/simulations/{id}"})");
  EXPECT_EQ(count, sample(text, R"(outbreak_http_request_duration_seconds_bucket{)"
                                R"(route="/api/v1/simulations/{id}",le="+Inf"})"));
  EXPECT_GE(count, 4);

  const std::string log = server_->output();
  EXPECT_TRUE(std::regex_search(
      log, std::regex(R"(http_request method=GET path=/api/v1/simulations/[0-9a-f-]+ )"
                      R"(route=/api/v1/simulations/\{id\} status=200 duration_ms=[0-9.]+ )"
                      R"(bytes=[0-9]+)")))
      << log;
}

TEST_P(LifecycleTest, JsonLogLinesWhenAskedFor) {
  start(0, {{"OUTBREAK_LOG_FORMAT", "json"}});
  get_json("/healthz");
  EXPECT_TRUE(wait_until([&] {
    return server_->output().find(R"("event":"http_request","method":"GET","path":"/healthz")") !=
           std::string::npos;
  })) << server_->output();
}

TEST_P(LifecycleTest, SigtermEndsStreamsGivesTheJobBackAndExits0) {
  start(1);
  const std::string id = submit(long_job_);
  ASSERT_TRUE(wait_for_progress(id));
  EventReader reader(server_->port(), "/api/v1/simulations/" + id + "/events");
  ASSERT_TRUE(reader.wait_for("event: day", seconds(20)));
  ChildProcess& process = server_->process();
  process.signal(SIGTERM);
  EXPECT_EQ(process.wait(seconds(5)), 0) << server_->output();
  EXPECT_TRUE(reader.wait_closed(seconds(5)));
  EXPECT_EQ(database_->query("SELECT status FROM simulations WHERE id = '" + id + "'"), "queued");
  EXPECT_EQ(database_->query("SELECT attempts FROM simulations WHERE id = '" + id + "'"), "0");
  EXPECT_NE(server_->output().find("shutdown_requested"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(serve, LifecycleTest, ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::serve::testing
