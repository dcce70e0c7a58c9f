// Caching of API responses by a real `outbreak serve` on each backend:
// entity tags, Cache-Control and 304 for every variant of the results, the
// codings kept for finished results, and the other routes' headers.
#include <brotli/decode.h>
#include <zlib.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "serve/raw_connection.hpp"
#include "serve/serve_fixture.hpp"

namespace outbreak::serve::testing {
namespace {

class CacheTest : public ServeTest {
 protected:
  // GET `target` with `headers`, bodies as sent (not decompressed).
  httplib::Result get(const std::string& target, const httplib::Headers& headers) {
    httplib::Client raw("127.0.0.1", server_->port());
    raw.set_read_timeout(seconds(60));
    raw.set_decompress(false);
    return raw.Get(target, headers);
  }
};

std::string gunzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  int result = Z_OK;
  while (result == Z_OK) {
    char buffer[65536];
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  EXPECT_EQ(result, Z_STREAM_END);
  inflateEnd(&stream);
  return out;
}

std::string unbrotli(const std::string& data) {
  std::string out(data.size() * 100 + 1024, '\0');
  std::size_t size = out.size();
  EXPECT_EQ(BrotliDecoderDecompress(data.size(), reinterpret_cast<const std::uint8_t*>(data.data()),
                                    &size, reinterpret_cast<std::uint8_t*>(out.data())),
            BROTLI_DECODER_RESULT_SUCCESS);
  out.resize(size);
  return out;
}

constexpr const char* kImmutable = "public, max-age=31536000, immutable";

TEST_P(CacheTest, EveryVariantOfFinishedResultsIsTaggedKeptAndRevalidated) {
  start(1);
  const std::string id = submit(scenario(1500, 30, 3));
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  const std::string base = "/api/v1/simulations/" + id + "/results";
  std::map<std::string, std::string> tags;
  for (const std::string query : {"", "?format=csv", "?part=summary", "?replicate=2", "?download=1",
                                  "?format=csv&replicate=1"}) {
    const std::string target = base + query;
    // The first request renders it, the second is served from memory:
    // the same bytes and tag either way.
    auto first = get(target, {{"Accept-Encoding", "identity"}});
    auto plain = get(target, {{"Accept-Encoding", "identity"}});
    ASSERT_TRUE(first && plain) << target;
    ASSERT_EQ(plain->status, 200) << target << plain->body;
    EXPECT_EQ(first->body, plain->body) << target;
    const std::string etag = plain->get_header_value("ETag");
    EXPECT_EQ(first->get_header_value("ETag"), etag) << target;
    EXPECT_TRUE(etag.size() > 2 && etag.front() == '"' && etag.back() == '"') << etag;
    EXPECT_EQ(plain->get_header_value("Cache-Control"), kImmutable) << target;
    EXPECT_EQ(plain->get_header_value("Vary"), "Accept-Encoding") << target;
    EXPECT_EQ(plain->get_header_value("Content-Encoding"), "") << target;
    EXPECT_EQ(plain->get_header_value("Content-Length"), std::to_string(plain->body.size()));
    if (query.find("download=1") != std::string::npos) {
      EXPECT_NE(plain->get_header_value("Content-Disposition"), "") << target;
    }
    // Compressed once, the same bytes for every request.
    auto gz = get(target, {{"Accept-Encoding", "gzip"}});
    auto gz_again = get(target, {{"Accept-Encoding", "gzip, deflate"}});
    auto br = get(target, {{"Accept-Encoding", "gzip, deflate, br"}});
    ASSERT_TRUE(gz && gz_again && br);
    EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip") << target;
    EXPECT_EQ(br->get_header_value("Content-Encoding"), "br") << target;
    EXPECT_EQ(gz->body, gz_again->body) << target;
    EXPECT_EQ(gunzip(gz->body), plain->body) << target;
    EXPECT_EQ(unbrotli(br->body), plain->body) << target;
    EXPECT_LT(br->body.size(), plain->body.size()) << target;
    const std::string gz_tag = gz->get_header_value("ETag");
    const std::string br_tag = br->get_header_value("ETag");
    EXPECT_NE(gz_tag, etag);
    EXPECT_NE(br_tag, etag);
    EXPECT_NE(gz_tag, br_tag);
    EXPECT_EQ(gz->get_header_value("Cache-Control"), kImmutable);
    EXPECT_EQ(gz->get_header_value("Vary"), "Accept-Encoding");
    tags[query] = etag;

    // 304, without a body, for the tag of the coding the request gets.
    auto same = get(target, {{"Accept-Encoding", "identity"}, {"If-None-Match", etag}});
    ASSERT_TRUE(same);
    EXPECT_EQ(same->status, 304) << target;
    EXPECT_EQ(same->body, "");
    EXPECT_EQ(same->get_header_value("ETag"), etag);
    EXPECT_EQ(same->get_header_value("Cache-Control"), kImmutable);
    EXPECT_EQ(same->get_header_value("Vary"), "Accept-Encoding");
    auto same_gz =
        get(target, {{"Accept-Encoding", "gzip"}, {"If-None-Match", "\"x\", " + gz_tag}});
    ASSERT_TRUE(same_gz);
    EXPECT_EQ(same_gz->status, 304) << target;
    EXPECT_EQ(same_gz->get_header_value("ETag"), gz_tag);
    EXPECT_EQ(same_gz->get_header_value("Content-Encoding"), "");
    // Weak comparison, as If-None-Match asks for.
    auto weak = get(target, {{"Accept-Encoding", "br"}, {"If-None-Match", "W/" + br_tag}});
    ASSERT_TRUE(weak);
    EXPECT_EQ(weak->status, 304) << target;
    // The identity tag does not stand for the gzip bytes.
    auto other = get(target, {{"Accept-Encoding", "gzip"}, {"If-None-Match", etag}});
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 200) << target;
    EXPECT_EQ(other->body, gz->body);
  }
  // Every document has its own tag; download=1 sends the same bytes.
  EXPECT_EQ(tags["?download=1"], tags[""]);
  tags.erase("?download=1");
  std::set<std::string> distinct;
  for (const auto& [query, tag] : tags) distinct.insert(tag);
  EXPECT_EQ(distinct.size(), tags.size());
}

TEST_P(CacheTest, AFinishedDocumentTooLargeToKeepIsStreamedAndStillRevalidated) {
  start(1);
  // About 3 MB of JSON: more than the cache keeps per document (2 MiB).
  const std::string id = submit(
      R"({"population": 10, "days": 3650, "replicates": 2, "seed": 7, "initial_infected": 2})");
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  const std::string target = "/api/v1/simulations/" + id + "/results";
  auto plain = get(target, {{"Accept-Encoding", "identity"}});
  ASSERT_TRUE(plain);
  ASSERT_EQ(plain->status, 200);
  EXPECT_EQ(plain->get_header_value("Transfer-Encoding"), "chunked");
  EXPECT_GT(plain->body.size(), 2u << 20);
  const std::string etag = plain->get_header_value("ETag");
  EXPECT_TRUE(etag.starts_with("\"")) << etag;  // the same bytes every time
  EXPECT_EQ(plain->get_header_value("Cache-Control"), kImmutable);
  auto same = get(target, {{"Accept-Encoding", "identity"}, {"If-None-Match", etag}});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 304);

  // gzip made on the fly: a weak tag; brotli is not offered for streams.
  auto gz = get(target, {{"Accept-Encoding", "br, gzip"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  EXPECT_TRUE(gunzip(gz->body) == plain->body) << "the gzip body does not inflate to the document";
  const std::string gz_tag = gz->get_header_value("ETag");
  EXPECT_TRUE(gz_tag.starts_with("W/\"")) << gz_tag;
  EXPECT_NE(gz_tag.substr(2), etag);
  auto same_gz = get(target, {{"Accept-Encoding", "br, gzip"}, {"If-None-Match", gz_tag}});
  ASSERT_TRUE(same_gz);
  EXPECT_EQ(same_gz->status, 304);
  EXPECT_EQ(same_gz->get_header_value("ETag"), gz_tag.substr(2));
}

TEST_P(CacheTest, AMalformedIfNoneMatchGetsTheWholeDocument) {
  start(1);
  const std::string id = submit(scenario(1000, 10));
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  const std::string target = "/api/v1/simulations/" + id + "/results";
  auto plain = get(target, {{"Accept-Encoding", "identity"}});
  ASSERT_TRUE(plain);
  const std::string etag = plain->get_header_value("ETag");
  const std::string bare = etag.substr(1, etag.size() - 2);
  for (const std::string& bad : {bare, etag + " junk", "\"" + bare, etag + ", *",
                                 std::string(4000, '"'), std::string("\x01\x02"), etag + ";q=1"}) {
    auto response = get(target, {{"Accept-Encoding", "identity"}, {"If-None-Match", bad}});
    ASSERT_TRUE(response) << bad;
    EXPECT_EQ(response->status, 200) << bad;
    EXPECT_EQ(response->body, plain->body) << bad;
  }
  auto any = get(target, {{"Accept-Encoding", "identity"}, {"If-None-Match", "*"}});
  ASSERT_TRUE(any);
  EXPECT_EQ(any->status, 304);
  // A range of a kept document is a 206 of those bytes, never a 200.
  auto range = get(target, {{"Accept-Encoding", "identity"}, {"Range", "bytes=0-9"}});
  ASSERT_TRUE(range);
  EXPECT_EQ(range->status, 206);
  EXPECT_EQ(range->body, plain->body.substr(0, 10));
  EXPECT_EQ(range->get_header_value("Content-Range"),
            fmt::format("bytes 0-9/{}", plain->body.size()));
}

TEST_P(CacheTest, AcceptEncodingWeightsChooseTheCoding) {
  start(1);
  const std::string id = submit(scenario(1000, 10));
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  const std::string target = "/api/v1/simulations/" + id + "/results";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"br;q=0.5, gzip;q=0.8", "gzip"},
      {"gzip;q=0, br;q=0", ""},
      {"br;q=0, gzip", "gzip"},
      {"*", "br"},
      {"*;q=0", ""},
      {"zstd, compress", ""},
      {"zstd, gzip", "gzip"},
      {"gzip;q=abc", ""},
      {"gzip;q=7, br;q=0.001", "br"},
      {"identity;q=0, br;q=0.1", "br"},
      {"GZip", "gzip"},
  };
  for (const auto& [accepted, coding] : cases) {
    auto response = get(target, {{"Accept-Encoding", accepted}});
    ASSERT_TRUE(response) << accepted;
    EXPECT_EQ(response->status, 200) << accepted;
    EXPECT_EQ(response->get_header_value("Content-Encoding"), coding) << accepted;
  }
  // Routes that httplib compresses itself follow the weights too, and never
  // use its slow brotli.
  for (const auto& [accepted, coding] : std::vector<std::pair<std::string, std::string>>{
           {"gzip;q=0, br", ""}, {"gzip;q=0.5, identity;q=0", "gzip"}, {"br, gzip", "gzip"}}) {
    auto response = get("/api/v1/scenario", {{"Accept-Encoding", accepted}});
    ASSERT_TRUE(response) << accepted;
    EXPECT_EQ(response->get_header_value("Content-Encoding"), coding) << accepted;
  }
}

TEST_P(CacheTest, UnfinishedResultsAreRevalidatedAndTheirTagChangesWhenTheyFinish) {
  start(0);  // nothing runs it until a worker starts
  const std::string id = submit(scenario(1000, 10));
  const std::string target = "/api/v1/simulations/" + id + "/results";
  auto queued = get(target, {{"Accept-Encoding", "identity"}});
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->status, 200) << queued->body;
  const std::string etag = queued->get_header_value("ETag");
  EXPECT_TRUE(etag.starts_with("W/\"")) << etag;
  EXPECT_EQ(queued->get_header_value("Cache-Control"), "no-cache");
  EXPECT_EQ(queued->get_header_value("Vary"), "Accept-Encoding");
  auto same = get(target, {{"Accept-Encoding", "identity"}, {"If-None-Match", etag}});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 304);
  EXPECT_EQ(same->body, "");
  EXPECT_EQ(same->get_header_value("Cache-Control"), "no-cache");

  const auto worker = start_worker();
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  auto done = get(target, {{"Accept-Encoding", "identity"}, {"If-None-Match", etag}});
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, 200);
  EXPECT_NE(done->body, queued->body);
  EXPECT_NE(done->get_header_value("ETag"), etag);
  EXPECT_EQ(done->get_header_value("Cache-Control"), kImmutable);
}

TEST_P(CacheTest, ResultsThatMayBeRetriedAreRevalidated) {
  start(0);
  const std::string id = submit(scenario(1000, 10));
  auto cancelled = post("/api/v1/simulations/" + id + "/cancel", "");
  ASSERT_TRUE(cancelled);
  ASSERT_EQ(cancelled->status, 200) << cancelled->body;
  ASSERT_EQ(status_of(id), "cancelled");
  const std::string target = "/api/v1/simulations/" + id + "/results";
  auto response = get(target, {{"Accept-Encoding", "identity"}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  const std::string etag = response->get_header_value("ETag");
  EXPECT_TRUE(etag.starts_with("\"")) << etag;  // strong: it is final until retried
  EXPECT_EQ(response->get_header_value("Cache-Control"), "no-cache");
  auto same = get(target, {{"Accept-Encoding", "identity"}, {"If-None-Match", etag}});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 304);
}

TEST_P(CacheTest, ErrorsAreNeverKeptAndOtherRoutesSayHowTheyMayBe) {
  start(1, {{"OUTBREAK_MAX_HEAD_BYTES", "4096"}});
  // Refused before routing, too.
  RawConnection refused(server_->port());
  ASSERT_TRUE(refused.send("GET /api/v1/scenario HTTP/1.1\r\nHost: test\r\nX-Filler: " +
                           std::string(8000, 'f') + "\r\n\r\n"));
  const auto refusal = refused.read_response(seconds(10));
  ASSERT_TRUE(refusal);
  EXPECT_NE(refusal->find(" 431 "), std::string::npos) << *refusal;
  EXPECT_NE(refusal->find("Cache-Control: no-store\r\n"), std::string::npos) << *refusal;

  const std::string id = submit(scenario(1000, 10));
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  const std::string results = "/api/v1/simulations/" + id + "/results";
  for (const std::string& target :
       {results + "?format=xml", results + "?replicate=9", results + "?part=days",
        results + "?download=2",
        std::string("/api/v1/simulations/") + "00000000-0000-4000-8000-000000000000/results",
        std::string("/api/v1/nothing"), std::string("/api/v1/simulations/nope")}) {
    // A tag that would match the finished document must not turn an error
    // into a 304.
    auto response = get(target, {{"Accept-Encoding", "gzip"}, {"If-None-Match", "*"}});
    ASSERT_TRUE(response) << target;
    EXPECT_GE(response->status, 400) << target;
    EXPECT_EQ(response->get_header_value("Cache-Control"), "no-store") << target;
    EXPECT_EQ(response->get_header_value_count("Cache-Control"), 1u) << target;
    EXPECT_FALSE(response->has_header("ETag")) << target;
  }
  auto bad_submit = post("/api/v1/simulations", "{");
  ASSERT_TRUE(bad_submit);
  EXPECT_EQ(bad_submit->status, 400);
  EXPECT_EQ(bad_submit->get_header_value("Cache-Control"), "no-store");

  auto status = get("/api/v1/simulations/" + id, {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(status);
  EXPECT_EQ(status->get_header_value("Cache-Control"), "no-cache");
  EXPECT_EQ(status->get_header_value("Vary"), "Accept-Encoding");
  auto form = get("/api/v1/scenario", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(form);
  EXPECT_EQ(form->get_header_value("Cache-Control"), "public, max-age=300");
  EXPECT_EQ(form->get_header_value("Vary"), "Accept-Encoding");
  auto created =
      post("/api/v1/simulations", fmt::format(R"({{"scenario": {}}})", scenario(100, 2)));
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(created->get_header_value("Cache-Control"), "no-store");
}

INSTANTIATE_TEST_SUITE_P(serve, CacheTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::serve::testing
