// The submission rate limit behind nginx (and a CDN): per real client address.
#include <string>

#include "deploy/nginx_fixture.hpp"

namespace outbreak::serve::testing {
namespace {

class NginxClientAddressTest : public NginxTest {};

TEST_P(NginxClientAddressTest, TheRateLimitCountsEachRealClient) {
  // nginx reaches the server from 127.0.0.2; 127.0.0.3 plays a CDN in
  // front of nginx. Both are trusted; every other peer is not.
  start(0, {{"OUTBREAK_SUBMISSIONS_PER_MINUTE", "2"},
            {"OUTBREAK_TRUSTED_PROXIES", "127.0.0.2/32,127.0.0.3/32"}});
  start_nginx("127.0.0.2");
  const int proxy_port = nginx_port_;

  // Two clients of nginx, each with its own budget.
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.11"), 201);
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.11"), 201);
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.11"), 429);
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.12"), 201);

  // A client of nginx that names another address: nginx appends its real
  // one, which is what counts; 127.0.0.12's budget is untouched.
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.13", "127.0.0.12"), 201);
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.13", "198.51.100.1"), 201);
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.13", "198.51.100.2"), 429);
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.12"), 201);
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.12"), 429);

  // Two clients of the CDN, told apart by the X-Forwarded-For it sends.
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.3", "203.0.113.1"), 201);
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.3", "203.0.113.1"), 201);
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.3", "203.0.113.1"), 429);
  EXPECT_EQ(submit_from(proxy_port, "127.0.0.3", "203.0.113.2"), 201);

  // A peer that is no proxy, straight to the server: its header is ignored.
  EXPECT_EQ(submit_from(server_->port(), "127.0.0.14", "192.0.2.1"), 201);
  EXPECT_EQ(submit_from(server_->port(), "127.0.0.14", "192.0.2.2"), 201);
  EXPECT_EQ(submit_from(server_->port(), "127.0.0.14", "192.0.2.3"), 429);
}

// nginx's client_max_body_size is the server's OUTBREAK_MAX_BODY_BYTES
// default: a body of exactly that size reaches the server, one byte more is
// refused by nginx.
TEST_P(NginxClientAddressTest, TheBodyLimitIsTheServers) {
  start(0);
  start_nginx();
  const std::size_t limit = 1048576;
  const std::string head = R"({"scenario": {"population": 100, "days": 5})";
  const std::string largest = head + std::string(limit - head.size() - 1, ' ') + "}";
  ASSERT_EQ(largest.size(), limit);
  auto accepted = proxy().Post("/api/v1/simulations", largest, "application/json");
  ASSERT_TRUE(accepted) << httplib::to_string(accepted.error());
  EXPECT_EQ(accepted->status, 201) << accepted->body;
  auto refused = proxy().Post("/api/v1/simulations", largest + " ", "application/json");
  ASSERT_TRUE(refused) << httplib::to_string(refused.error());
  EXPECT_EQ(refused->status, 413);
}

INSTANTIATE_TEST_SUITE_P(deploy, NginxClientAddressTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::serve::testing
