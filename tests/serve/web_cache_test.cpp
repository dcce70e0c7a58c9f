// The web UI's files through `outbreak serve`: long-lived caching for
// content-hashed names, ETag revalidation (304) for the pages and plain
// names, and the gzip copies made at build time chosen by Accept-Encoding.
#include <regex>

#include "serve/serve_fixture.hpp"

namespace outbreak::serve::testing {
namespace {

class WebCacheTest : public ServeTest {
 protected:
  httplib::Result get(const std::string& target, const httplib::Headers& headers = {}) {
    httplib::Client raw = client();
    raw.set_decompress(false);  // to see the bytes as sent
    return raw.Get(target, headers);
  }
  // The hashed name `page` loads `plain` under.
  std::string hashed(const std::string& plain, const std::string& page_path = "/") {
    auto page = get(page_path);
    EXPECT_TRUE(page);
    if (!page) return "";
    const std::string stem = plain.substr(0, plain.rfind('.'));
    const std::string extension = plain.substr(plain.rfind('.'));
    const std::regex named("\"(" + stem + "\\.[0-9a-f]{12}\\" + extension + ")\"");
    std::smatch match;
    EXPECT_TRUE(std::regex_search(page->body, match, named)) << page->body;
    return match.empty() ? "" : match[1].str();
  }
};

TEST_P(WebCacheTest, HashedFilesAreImmutableAndPlainOnesRevalidate) {
  start(0);
  const std::string style = hashed("/assets/style.css");
  ASSERT_FALSE(style.empty());
  auto immutable = get(style);
  ASSERT_TRUE(immutable);
  EXPECT_EQ(immutable->status, 200);
  EXPECT_EQ(immutable->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(immutable->get_header_value("Vary"), "Accept-Encoding");
  EXPECT_EQ(immutable->get_header_value("Content-Type"), "text/css; charset=utf-8");
  EXPECT_FALSE(immutable->has_header("Content-Encoding"));

  auto plain = get("/assets/style.css");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
  EXPECT_EQ(plain->get_header_value("Cache-Control"), "no-cache") << "the old name still works";
  EXPECT_EQ(plain->body, immutable->body);
  EXPECT_EQ(plain->get_header_value("ETag"), immutable->get_header_value("ETag"));

  auto missing = get("/assets/style.000000000000.css");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->get_header_value("Cache-Control"), "no-store") << "errors are never kept";
}

TEST_P(WebCacheTest, PagesAnswerIfNoneMatchWith304) {
  start(0);
  auto page = get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-cache");
  const std::string etag = page->get_header_value("ETag");
  ASSERT_TRUE(std::regex_match(etag, std::regex("\"[0-9a-f]{12}\""))) << etag;

  for (const std::string& same : {etag, "\"other\", " + etag, "W/" + etag, std::string("*")}) {
    auto again = get("/", {{"If-None-Match", same}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304) << same;
    EXPECT_TRUE(again->body.empty()) << same;
    EXPECT_EQ(again->get_header_value("ETag"), etag) << same;
    EXPECT_EQ(again->get_header_value("Cache-Control"), "no-cache") << same;
  }
  // Another tag, or a malformed header, gets the page.
  for (const std::string other : {"\"0123456789ab\"", "garbage", ",,,", "W/", "\"", ""}) {
    auto full = get("/", {{"If-None-Match", other}});
    ASSERT_TRUE(full);
    EXPECT_EQ(full->status, 200) << other;
    EXPECT_EQ(full->body, page->body) << other;
  }
  // The simulation page of an unknown id stays a 404, whatever the tag.
  auto unknown = get("/simulations/none", {{"If-None-Match", "*"}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
}

TEST_P(WebCacheTest, TheGzipCopyGoesToClientsThatTakeGzip) {
  start(0);
  const std::string script = hashed("/assets/index.js");
  ASSERT_FALSE(script.empty());
  auto identity = get(script);
  ASSERT_TRUE(identity);
  ASSERT_EQ(identity->status, 200);
  const std::string identity_tag = identity->get_header_value("ETag");

  auto gzip = get(script, {{"Accept-Encoding", "br;q=0.5, gzip"}});
  ASSERT_TRUE(gzip);
  EXPECT_EQ(gzip->status, 200);
  EXPECT_EQ(gzip->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(gzip->get_header_value("Vary"), "Accept-Encoding");
  EXPECT_LT(gzip->body.size(), identity->body.size());
  const std::string gzip_tag = gzip->get_header_value("ETag");
  EXPECT_NE(gzip_tag, identity_tag) << "each encoding has its own tag";
  // Compressed once, at build time: the bytes unpack to the file.
  httplib::Client unpacking = client();
  auto unpacked = unpacking.Get(script, {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(unpacked);
  EXPECT_EQ(unpacked->body, identity->body);

  auto revalidated = get(script, {{"Accept-Encoding", "gzip"}, {"If-None-Match", gzip_tag}});
  ASSERT_TRUE(revalidated);
  EXPECT_EQ(revalidated->status, 304);

  // Codings it cannot take, odd q-values and unknown codings get the file as it is.
  for (const std::string accept :
       {"gzip;q=0", "gzip;q=abc", "gzip;q=2", "zstd, compress", "identity", "*;q=0",
        "gzip;q=0, br;q=0, *", "", ";;;,,,q=", "br;q=-1", "gzip;q=0.0"}) {
    auto plain = get(script, {{"Accept-Encoding", accept}});
    ASSERT_TRUE(plain) << accept;
    EXPECT_EQ(plain->status, 200) << accept;
    EXPECT_FALSE(plain->has_header("Content-Encoding")) << accept;
    EXPECT_EQ(plain->body, identity->body) << accept;
  }
  for (const std::string accept :
       {"GZIP", "x-gzip;q=0.1", "deflate, gzip;q=0.5", "br;q=0.1, gzip"}) {
    auto packed = get(script, {{"Accept-Encoding", accept}});
    ASSERT_TRUE(packed) << accept;
    EXPECT_EQ(packed->get_header_value("Content-Encoding"), "gzip") << accept;
    EXPECT_EQ(packed->body, gzip->body) << accept;
  }
}

TEST_P(WebCacheTest, TheBrotliCopyGoesToClientsThatRankItHighest) {
  start(0);
  const std::string script = hashed("/assets/uplot/uPlot.iife.min.js", "/compare");
  ASSERT_FALSE(script.empty());
  auto identity = get(script);
  ASSERT_TRUE(identity);
  auto gzip = get(script, {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(gzip);
  for (const std::string accept : {"br", "gzip, deflate, br", "*", "br;q=0.5, gzip;q=0.5",
                                   "gzip;q=0.4, br;q=0.9", "BR", "gzip;q=0.1, *"}) {
    auto brotli = get(script, {{"Accept-Encoding", accept}});
    ASSERT_TRUE(brotli) << accept;
    EXPECT_EQ(brotli->status, 200) << accept;
    EXPECT_EQ(brotli->get_header_value("Content-Encoding"), "br") << accept;
    EXPECT_EQ(brotli->get_header_value("Vary"), "Accept-Encoding") << accept;
    EXPECT_LT(brotli->body.size(), gzip->body.size()) << accept;
    const std::string etag = brotli->get_header_value("ETag");
    EXPECT_TRUE(etag.ends_with("-br\"")) << etag;
  }
  // Unpacked by the client, the same file: compressed once, not twice.
  httplib::Client unpacking = client();
  auto unpacked = unpacking.Get(script, {{"Accept-Encoding", "br"}});
  ASSERT_TRUE(unpacked);
  EXPECT_EQ(unpacked->body, identity->body);
}

INSTANTIATE_TEST_SUITE_P(serve, WebCacheTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::serve::testing
