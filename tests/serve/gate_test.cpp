// Slow and hostile clients against a real `outbreak serve` process: request
// head limits (431), the deadline for a whole head (408), connections per
// client address (429), and that connections whose heads trickle in hold
// no request thread. Distinct clients come from distinct loopback source
// addresses (127.0.0.2, ...).
#include <atomic>
#include <thread>
#include <vector>

#include "serve/raw_connection.hpp"
#include "serve/serve_fixture.hpp"

namespace outbreak::serve::testing {
namespace {

class GateTest : public ServeTest {
 protected:
  // /healthz from `source` on a fresh connection: the response, or nullopt.
  std::optional<std::string> healthz(const std::string& source = "127.0.0.1",
                                     const std::string& extra_headers = "",
                                     milliseconds timeout = seconds(10)) {
    RawConnection connection(server_->port(), source);
    if (!connection.send("GET /healthz HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n")) {
      return std::nullopt;
    }
    return connection.read_response(timeout);
  }
};

std::string headers(int count, std::size_t value_bytes) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    out += fmt::format("X-Filler-{}: {}\r\n", i, std::string(value_bytes, 'f'));
  }
  return out;
}

TEST_P(GateTest, AHeadOverTheByteLimitGets431) {
  start(0, {{"OUTBREAK_MAX_HEAD_BYTES", "4096"}});
  const auto within = healthz("127.0.0.1", headers(3, 1000));
  ASSERT_TRUE(within);
  EXPECT_EQ(status_of_response(*within), 200) << *within;

  const auto over = healthz("127.0.0.1", headers(10, 1000));
  ASSERT_TRUE(over) << "no response to a 10 KB head";
  EXPECT_EQ(status_of_response(*over), 431) << *over;
  EXPECT_EQ(error_code_of_response(*over), "request_header_fields_too_large") << *over;
  EXPECT_NE(over->find("Content-Type: application/json"), std::string::npos) << *over;

  // Counted in /metrics, by status and code.
  RawConnection scrape(server_->port());
  ASSERT_TRUE(scrape.send("GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n"));
  const auto metrics = scrape.read_response(seconds(10));
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->find("outbreak_http_refused_total{status=\"431\",code=\"request_header_"
                          "fields_too_large\"} 1\n"),
            std::string::npos)
      << *metrics;
}

TEST_P(GateTest, TooManyHeaderLinesGet431) {
  start(0, {{"OUTBREAK_MAX_HEADERS", "20"}});
  // Host and 19 more: exactly the limit.
  const auto within = healthz("127.0.0.1", headers(19, 4));
  ASSERT_TRUE(within);
  EXPECT_EQ(status_of_response(*within), 200) << *within;

  const auto over = healthz("127.0.0.1", headers(20, 4));
  ASSERT_TRUE(over);
  EXPECT_EQ(status_of_response(*over), 431) << *over;
  EXPECT_EQ(error_code_of_response(*over), "request_header_fields_too_large") << *over;
}

TEST_P(GateTest, AHeadThatNeverEndsIsClosedAfterTheDeadline) {
  start(0, {{"OUTBREAK_HEAD_TIMEOUT_MS", "1000"}});
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\n"));
  // One header line every 200 ms, each well within any per-read timeout,
  // until the server answers or closes (at most 30 s).
  const auto give_up = std::chrono::steady_clock::now() + seconds(30);
  int sent = 0;
  while (!connection.readable(milliseconds(200))) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up)
        << "still open after " << sent << " header lines";
    if (!connection.send(fmt::format("X-Slow-{}: x\r\n", sent++))) break;
  }
  const auto response = connection.read_to_end(seconds(10));
  ASSERT_TRUE(response) << "the server did not close the connection";
  EXPECT_EQ(status_of_response(*response), 408) << *response;
  EXPECT_EQ(error_code_of_response(*response), "request_timeout") << *response;
  const auto after = healthz();
  ASSERT_TRUE(after);
  EXPECT_EQ(status_of_response(*after), 200);
}

TEST_P(GateTest, ABodyThatTricklesIsCutOffAfterItsDeadline) {
  start(0, {{"OUTBREAK_BODY_TIMEOUT_MS", "1000"}});
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.send(
      "POST /api/v1/simulations HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: 100000\r\n\r\n{"));
  // One byte every 200 ms: never a per-read timeout, but far too slow.
  const auto give_up = std::chrono::steady_clock::now() + seconds(30);
  int sent = 0;
  while (!connection.readable(milliseconds(200))) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up)
        << "still reading after " << sent << " bytes";
    if (!connection.send(" ")) break;
    ++sent;
  }
  EXPECT_TRUE(connection.read_to_end(seconds(10))) << "the connection was not closed";
}

TEST_P(GateTest, SlowHeadsHoldNoRequestThread) {
  // Four request threads, forty connections whose heads have not ended.
  start(0, {{"OUTBREAK_MAX_STREAMS", "2"},
            {"OUTBREAK_HTTP_THREADS", "4"},
            {"OUTBREAK_HEAD_TIMEOUT_MS", "120000"}});
  std::vector<RawConnection> slow;
  for (int i = 0; i < 40; ++i) {
    slow.emplace_back(server_->port(), fmt::format("127.0.0.{}", 2 + i % 4));
    ASSERT_TRUE(slow.back().send("GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Part: "));
  }
  for (int round = 0; round < 3; ++round) {
    const auto response = healthz("127.0.0.1", "", seconds(4));
    ASSERT_TRUE(response) << "/healthz did not answer within 4 s, round " << round;
    EXPECT_EQ(status_of_response(*response), 200) << *response;
    // The slow ones send a little more, as a slow client does.
    for (RawConnection& connection : slow) ASSERT_TRUE(connection.send("x"));
  }
  // Once their heads end, each is served.
  for (RawConnection& connection : slow) ASSERT_TRUE(connection.send("\r\n\r\n"));
  for (RawConnection& connection : slow) {
    const auto response = connection.read_response(seconds(30));
    ASSERT_TRUE(response);
    EXPECT_EQ(status_of_response(*response), 200) << *response;
  }
}

TEST_P(GateTest, ConnectionsPerClientAddressAreCapped) {
  start(0, {{"OUTBREAK_MAX_CONNECTIONS_PER_CLIENT", "4"}});
  std::vector<RawConnection> open;
  for (int i = 0; i < 4; ++i) open.emplace_back(server_->port(), "127.0.0.2");
  const auto fifth = healthz("127.0.0.2");
  ASSERT_TRUE(fifth);
  EXPECT_EQ(status_of_response(*fifth), 429) << *fifth;
  EXPECT_EQ(error_code_of_response(*fifth), "too_many_connections") << *fifth;

  const auto other_client = healthz("127.0.0.3");
  ASSERT_TRUE(other_client);
  EXPECT_EQ(status_of_response(*other_client), 200) << "another address is not affected";

  // Once one of the four closes, the address may connect again.
  open.pop_back();
  EXPECT_TRUE(wait_until(
      [&] {
        const auto again = healthz("127.0.0.2");
        return again && status_of_response(*again) == 200;
      },
      seconds(10), milliseconds(50)));
}

TEST_P(GateTest, KeptAliveAndPipelinedRequestsAreEachAnswered) {
  start(0);
  RawConnection connection(server_->port());
  // A POST whose body must be read exactly, then a GET, in one write.
  const std::string body = R"({"not": "a submission"})";
  ASSERT_TRUE(connection.send(
      fmt::format("POST /api/v1/simulations HTTP/1.1\r\nHost: t\r\nContent-Type: "
                  "application/json\r\nContent-Length: {}\r\n\r\n{}GET /healthz HTTP/1.1\r\n"
                  "Host: t\r\n\r\n",
                  body.size(), body)));
  const auto first = connection.read_response(seconds(10));
  ASSERT_TRUE(first);
  EXPECT_EQ(status_of_response(*first), 422) << *first;
  const auto second = connection.read_response(seconds(10));
  ASSERT_TRUE(second) << "the second request was lost";
  EXPECT_EQ(status_of_response(*second), 200) << *second;
  // And a third, later, on the same connection.
  ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
  const auto third = connection.read_response(seconds(10));
  ASSERT_TRUE(third);
  EXPECT_EQ(status_of_response(*third), 200) << *third;
}

TEST_P(GateTest, AnIdleKeptAliveConnectionIsClosed) {
  start(0, {{"OUTBREAK_KEEP_ALIVE_TIMEOUT_MS", "300"}});
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
  const auto response = connection.read_response(seconds(10));
  ASSERT_TRUE(response);
  EXPECT_EQ(status_of_response(*response), 200);
  const auto rest = connection.read_to_end(seconds(10));
  ASSERT_TRUE(rest) << "still open 10 s after its keep-alive timeout";
  EXPECT_EQ(*rest, "");
}

INSTANTIATE_TEST_SUITE_P(serve, GateTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::serve::testing
