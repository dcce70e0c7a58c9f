// Finished results through nginx: kept in its cache, and 304 for a known ETag.
#include <string>

#include "deploy/nginx_fixture.hpp"

namespace outbreak::serve::testing {
namespace {

class NginxCacheTest : public NginxTest {};

TEST_P(NginxCacheTest, FinishedResultsAreServedFromTheProxyCacheOnTheSecondRequest) {
  start(1);
  const std::string id = finished_job();
  start_nginx();
  const std::string results = "/api/v1/simulations/" + id + "/results";
  for (const std::string& target : {results, results + "?format=csv", results + "?part=summary"}) {
    for (const char* encoding : {"identity", "gzip", "br"}) {
      const httplib::Headers headers{{"Accept-Encoding", encoding}};
      auto first = proxy().Get(target, headers);
      ASSERT_TRUE(first) << httplib::to_string(first.error());
      EXPECT_EQ(first->status, 200) << target;
      EXPECT_EQ(first->get_header_value("X-Cache-Status"), "MISS") << target << " " << encoding;
      EXPECT_EQ(first->get_header_value("Content-Encoding"),
                std::string(encoding) == "identity" ? "" : encoding);
      auto second = proxy().Get(target, headers);
      ASSERT_TRUE(second) << httplib::to_string(second.error());
      EXPECT_EQ(second->status, 200);
      EXPECT_EQ(second->get_header_value("X-Cache-Status"), "HIT") << target << " " << encoding;
      EXPECT_EQ(second->body, first->body) << target << " " << encoding;
      EXPECT_EQ(second->get_header_value("Content-Encoding"),
                first->get_header_value("Content-Encoding"));
      EXPECT_FALSE(second->get_header_value("ETag").empty()) << target;
    }
  }
  // An error is never kept: the second request reaches the server again.
  const std::string missing = "/api/v1/simulations/00000000-0000-4000-8000-000000000000/results";
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto response = proxy().Get(missing);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404);
    EXPECT_NE(response->get_header_value("X-Cache-Status"), "HIT");
  }
}

TEST_P(NginxCacheTest, IfNoneMatchGets304ThroughTheProxy) {
  start(1);
  const std::string id = finished_job();
  start_nginx();
  const std::string results = "/api/v1/simulations/" + id + "/results";
  auto full = proxy().Get(results);
  ASSERT_TRUE(full);
  ASSERT_EQ(full->status, 200);
  const std::string etag = full->get_header_value("ETag");
  ASSERT_FALSE(etag.empty()) << "no ETag on a finished job's results";
  // Twice: the first may be answered by the server, the second by the cache.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto not_modified = proxy().Get(results, {{"If-None-Match", etag}});
    ASSERT_TRUE(not_modified);
    EXPECT_EQ(not_modified->status, 304);
    EXPECT_TRUE(not_modified->body.empty());
    EXPECT_EQ(not_modified->get_header_value("ETag"), etag);
  }
  auto other = proxy().Get(results, {{"If-None-Match", "\"something-else\""}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  EXPECT_EQ(other->body, full->body);
}

TEST_P(NginxCacheTest, ResultsThatMayStillChangeAreNotKept) {
  // A cancelled job may be retried, so its results say no-cache.
  start(0);
  const std::string id = submit(scenario(2000, 30));
  ASSERT_FALSE(id.empty());
  auto cancelled = post("/api/v1/simulations/" + id + "/cancel", "");
  ASSERT_TRUE(cancelled);
  ASSERT_EQ(status_of(id), "cancelled") << cancelled->body;
  start_nginx();
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto response = proxy().Get("/api/v1/simulations/" + id + "/results");
    ASSERT_TRUE(response) << httplib::to_string(response.error());
    EXPECT_EQ(response->status, 200) << response->body;
    EXPECT_EQ(response->get_header_value("Cache-Control"), "no-cache");
    EXPECT_NE(response->get_header_value("X-Cache-Status"), "HIT") << "attempt " << attempt;
  }
}

INSTANTIATE_TEST_SUITE_P(deploy, NginxCacheTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::serve::testing
