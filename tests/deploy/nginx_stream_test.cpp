// Live events through nginx: delivered as the job runs, not at its end.
#include <string>

#include "deploy/nginx_fixture.hpp"

namespace outbreak::serve::testing {
namespace {

class NginxStreamTest : public NginxTest {};

TEST_P(NginxStreamTest, TheEventStreamDeliversDaysWhileTheJobRuns) {
  // No worker yet: the job waits in the queue while the stream is opened.
  start(0, {{"OUTBREAK_STREAM_HEARTBEAT_MS", "200"}});
  const std::int64_t days = 365;
  const std::int64_t replicates = 10;
  const std::string id = submit(scenario(200000, days, replicates));
  ASSERT_FALSE(id.empty());
  start_nginx();
  EventReader reader(nginx_port_, "/api/v1/simulations/" + id + "/events");
  // The status comes through while the job waits: nothing on the way holds
  // the response back until it ends.
  ASSERT_TRUE(reader.wait_for("\"status\":\"queued\"", seconds(20)))
      << "the queued status did not come through the proxy:\n"
      << reader.text();
  EXPECT_EQ(reader.content_type().rfind("text/event-stream", 0), 0u) << reader.content_type();
  // While it waits, the heartbeat comes through too (what keeps nginx's
  // proxy_read_timeout from closing an idle stream).
  EXPECT_TRUE(reader.wait_for(": keep-alive", seconds(20))) << reader.text();
  const auto worker = start_worker();
  ASSERT_TRUE(reader.wait_for("event: day", seconds(120))) << reader.text();
  // The first days arrived while the job still runs (it takes seconds).
  EXPECT_EQ(status_of(id), "running");
  EXPECT_EQ(reader.text().find("\"status\":\"succeeded\""), std::string::npos);
  ASSERT_TRUE(reader.wait_closed(seconds(300)));
  std::int64_t day_events = 0;
  for (const auto& event : reader.events()) day_events += event.event == "day" ? 1 : 0;
  EXPECT_EQ(day_events, (days + 1) * replicates);
  EXPECT_NE(reader.text().find("\"status\":\"succeeded\""), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(deploy, NginxStreamTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::serve::testing
