// Content codings, entity tags and the finished-results cache of the serve
// module: Accept-Encoding with q-values, If-None-Match, gzip and brotli.
#include <brotli/decode.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>

#include <fmt/format.h>
#include <optional>
#include <string>

#include "serve/encoding.hpp"
#include "serve/results.hpp"

namespace outbreak::serve::detail {
namespace {

std::string gunzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out(data.size() * 50 + 1024, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

std::string unbrotli(const std::string& data) {
  std::string out(data.size() * 50 + 1024, '\0');
  std::size_t size = out.size();
  EXPECT_EQ(BrotliDecoderDecompress(data.size(), reinterpret_cast<const std::uint8_t*>(data.data()),
                                    &size, reinterpret_cast<std::uint8_t*>(out.data())),
            BROTLI_DECODER_RESULT_SUCCESS);
  out.resize(size);
  return out;
}

Coding chosen(const char* header, bool allow_brotli = true) {
  return choose_coding(std::optional<std::string_view>(header), allow_brotli);
}

TEST(AcceptEncoding, TheHighestWeightWinsAndTiesGoToTheSmallest) {
  EXPECT_EQ(choose_coding(std::nullopt), Coding::kIdentity);
  EXPECT_EQ(chosen(""), Coding::kIdentity);
  EXPECT_EQ(chosen("gzip"), Coding::kGzip);
  EXPECT_EQ(chosen("gzip, deflate, br"), Coding::kBrotli);
  EXPECT_EQ(chosen("br;q=0.5, gzip;q=0.8"), Coding::kGzip);
  EXPECT_EQ(chosen("br;q=0.9, gzip"), Coding::kGzip);
  EXPECT_EQ(chosen("gzip;q=0.5, identity"), Coding::kIdentity);
  EXPECT_EQ(chosen("gzip;q=1.0, br;q=0.9"), Coding::kGzip);
  EXPECT_EQ(chosen("GZIP"), Coding::kGzip);
  EXPECT_EQ(chosen("x-gzip"), Coding::kGzip);
  EXPECT_EQ(chosen(" br ; Q=1 , gzip"), Coding::kBrotli);
  // Brotli not offered: the next best.
  EXPECT_EQ(chosen("br, gzip", false), Coding::kGzip);
  EXPECT_EQ(chosen("br", false), Coding::kIdentity);
}

TEST(AcceptEncoding, ZeroRefusesAndStarCoversTheRest) {
  EXPECT_EQ(chosen("br;q=0, gzip"), Coding::kGzip);
  EXPECT_EQ(chosen("br;q=0, gzip;q=0"), Coding::kIdentity);
  EXPECT_EQ(chosen("*"), Coding::kBrotli);
  EXPECT_EQ(chosen("*;q=0.5, br;q=0"), Coding::kGzip);
  EXPECT_EQ(chosen("gzip;q=0.2, *;q=0.1"), Coding::kGzip);
  EXPECT_EQ(chosen("identity;q=0, br;q=0.1"), Coding::kBrotli);
  // Nothing acceptable left: the header is disregarded (identity, not 406).
  EXPECT_EQ(chosen("*;q=0"), Coding::kIdentity);
  EXPECT_EQ(chosen("identity;q=0"), Coding::kIdentity);
}

TEST(AcceptEncoding, UnknownCodingsAndOddWeightsAreIgnored) {
  EXPECT_EQ(chosen("compress, zstd, gzip"), Coding::kGzip);
  EXPECT_EQ(chosen("zstd"), Coding::kIdentity);
  EXPECT_EQ(chosen("gzip;q=abc"), Coding::kIdentity);
  EXPECT_EQ(chosen("gzip;q=2"), Coding::kIdentity);
  EXPECT_EQ(chosen("gzip;q=1.5"), Coding::kIdentity);
  EXPECT_EQ(chosen("gzip;q=0.1234"), Coding::kIdentity);
  EXPECT_EQ(chosen("gzip;q=-1"), Coding::kIdentity);
  EXPECT_EQ(chosen("gzip;q="), Coding::kIdentity);
  EXPECT_EQ(chosen("gzip;q"), Coding::kIdentity);
  EXPECT_EQ(chosen("br;q=0.0.1, gzip;q=0.5"), Coding::kGzip);
  EXPECT_EQ(chosen(",,;, ;q=1, gzip"), Coding::kGzip);
  EXPECT_EQ(chosen("gzip;level=9"), Coding::kGzip);  // other parameters: no weight
  EXPECT_EQ(chosen(std::string(10000, ',').c_str()), Coding::kIdentity);
}

TEST(AcceptEncoding, HttplibIsLeftOnlyGzipAndNeverRecompresses) {
  const auto left = [](const char* accepted, const char* content_encoding) {
    httplib::Request request;
    request.headers.emplace("Accept-Encoding", accepted);
    httplib::Response response;
    if (content_encoding != nullptr) response.set_header("Content-Encoding", content_encoding);
    compress_as_chosen(request, response);
    return request.get_header_value_count("Accept-Encoding") == 0
               ? std::string("(none)")
               : request.get_header_value("Accept-Encoding");
  };
  EXPECT_EQ(left("br, gzip, deflate", nullptr), "gzip");
  EXPECT_EQ(left("br", nullptr), "(none)");
  EXPECT_EQ(left("gzip;q=0, br", nullptr), "(none)");
  EXPECT_EQ(left("gzip;q=0.5, identity", nullptr), "(none)");
  EXPECT_EQ(left("gzip", "br"), "(none)");  // precompressed: sent as is
  EXPECT_EQ(left("gzip", "gzip"), "(none)");
}

TEST(IfNoneMatch, WeakComparisonOfAListOfTags) {
  EXPECT_TRUE(none_match("\"abc\"", "\"abc\""));
  EXPECT_TRUE(none_match("W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(none_match("\"abc\"", "W/\"abc\""));
  EXPECT_TRUE(none_match("\"x\", \"abc\"", "\"abc\""));
  EXPECT_TRUE(none_match("\"x\",W/\"abc\" ,\"y\"", "\"abc\""));
  EXPECT_TRUE(none_match(" * ", "\"abc\""));
  EXPECT_FALSE(none_match("\"abc-gzip\"", "\"abc\""));
  EXPECT_FALSE(none_match("\"ab\"", "\"abc\""));
  EXPECT_FALSE(none_match("\"\"", "\"abc\""));
}

TEST(IfNoneMatch, AValueThatDoesNotParseMatchesNothing) {
  for (const char* bad : {"abc", "\"abc", "abc\"", "\"abc\" \"abc\"", "\"abc\"; x", "w/\"abc\"",
                          "\"a bc\"", "*, \"abc\"", "\"abc\", *", "W/", ",", "\"abc\",, junk"}) {
    EXPECT_FALSE(none_match(bad, "\"abc\"")) << bad;
    EXPECT_FALSE(none_match(bad, "\"a bc\"")) << bad;
  }
  EXPECT_FALSE(none_match("", "\"abc\""));
}

TEST(Compression, GzipAndBrotliRoundTrip) {
  std::string text;
  for (int day = 0; day < 2000; ++day) text += "{\"day\": " + std::to_string(day) + ", \"S\": 1}\n";
  const std::string gz = gzip_compress(text);
  const std::string br = brotli_compress(text, kBrotliQuality);
  EXPECT_LT(gz.size(), text.size() / 4);
  EXPECT_LT(br.size(), text.size() / 4);
  EXPECT_EQ(gunzip(gz), text);
  EXPECT_EQ(unbrotli(br), text);
  EXPECT_EQ(gunzip(gzip_compress("")), "");
  EXPECT_EQ(unbrotli(brotli_compress("", kBrotliQuality)), "");
}

store::SimulationRecord finished_job(int number, store::JobStatus status) {
  store::SimulationRecord job;
  job.id = fmt::format("00000000-0000-4000-8000-{:012}", number);
  job.name = "run";
  job.status = status;
  job.finished_at = store::TimePoint(std::chrono::seconds(1'700'000'000 + number));
  return job;
}

TEST(ResultsCacheCodings, EveryCodingIsKeptAndCountedAgainstTheBound) {
  std::string body;
  for (int day = 0; day < 500; ++day) body += "day " + std::to_string(day) + ": 1, 2, 3\n";
  const CachedResults one = CachedResults::compress(body);
  ResultsCache cache(one.size() * 2 + 10, body.size());
  const auto offer = [&](const store::SimulationRecord& job, std::string text) {
    cache.offer(ResultsCache::key(job, io::Format::kJson, std::nullopt), std::move(text), job,
                io::Format::kJson, std::nullopt, false);
  };
  const auto variant = [](const store::SimulationRecord& job) {
    return ResultsCache::variant(job.id, io::Format::kJson, std::nullopt);
  };
  const auto a = finished_job(1, store::JobStatus::kSucceeded);
  const auto b = finished_job(2, store::JobStatus::kSucceeded);
  const auto c = finished_job(3, store::JobStatus::kFailed);
  offer(a, body);
  const auto found = cache.find(ResultsCache::key(a, io::Format::kJson, std::nullopt));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->bytes(Coding::kIdentity), body);
  EXPECT_EQ(gunzip(found->bytes(Coding::kGzip)), body);
  EXPECT_EQ(unbrotli(found->bytes(Coding::kBrotli)), body);
  EXPECT_EQ(found->name, "run");
  EXPECT_EQ(cache.find_succeeded(variant(a)), found);
  EXPECT_EQ(cache.bytes(), one.size());
  EXPECT_GT(cache.bytes(), body.size());  // the compressed forms count too
  offer(b, body);
  offer(c, body);  // past the bound: the least recently used goes
  EXPECT_EQ(cache.find(ResultsCache::key(a, io::Format::kJson, std::nullopt)), nullptr);
  EXPECT_EQ(cache.find_succeeded(variant(a)), nullptr);
  EXPECT_NE(cache.find_succeeded(variant(b)), nullptr);
  // A failed job may be retried: found by its key (its finishing time) only.
  EXPECT_NE(cache.find(ResultsCache::key(c, io::Format::kJson, std::nullopt)), nullptr);
  EXPECT_EQ(cache.find_succeeded(variant(c)), nullptr);
  EXPECT_LE(cache.bytes(), one.size() * 2 + 10);
  const auto d = finished_job(4, store::JobStatus::kSucceeded);
  offer(d, body + "x");  // over max_entry_bytes: not kept
  EXPECT_EQ(cache.find_succeeded(variant(d)), nullptr);
}

store::SimulationRecord running_job() {
  store::SimulationRecord job;
  job.id = "00000000-0000-4000-8000-000000000001";
  job.status = store::JobStatus::kRunning;
  job.replicates = 2;
  job.claims = 1;
  job.progress_replicate = 1;
  job.progress_day = 10;
  return job;
}

TEST(ResultsETag, ARunningJobsTagChangesWithProgress) {
  const auto tag = [](const store::SimulationRecord& job, bool has_summary = false,
                      Coding coding = Coding::kIdentity) {
    return results_etag(job, ResultsCache::key(job, io::Format::kJson, std::nullopt),
                        io::Format::kJson, std::nullopt, false, has_summary, coding);
  };
  store::SimulationRecord job = running_job();
  const std::string first = tag(job);
  EXPECT_TRUE(first.starts_with("W/\"")) << first;
  EXPECT_EQ(tag(job), first);
  store::SimulationRecord later = job;
  later.progress_day = 11;
  EXPECT_NE(tag(later), first);
  later = job;
  later.progress_replicate = 2;
  EXPECT_NE(tag(later), first);
  later = job;
  later.claims = 2;  // retried from the start
  EXPECT_NE(tag(later), first);
  EXPECT_NE(tag(job, true), first);  // the summary written
  EXPECT_NE(tag(job, false, Coding::kGzip), first);

  // Finished: strong, and another finish (a retry) gives another tag.
  job.status = store::JobStatus::kSucceeded;
  job.finished_at = store::TimePoint(std::chrono::seconds(1'700'000'000));
  const std::string finished = tag(job);
  EXPECT_TRUE(finished.starts_with("\"")) << finished;
  EXPECT_EQ(tag(job, false, Coding::kGzip), finished.substr(0, finished.size() - 1) + "-gzip\"");
  EXPECT_EQ(tag(job, false, Coding::kBrotli), finished.substr(0, finished.size() - 1) + "-br\"");
  job.finished_at = store::TimePoint(std::chrono::seconds(1'700'000'001));
  EXPECT_NE(tag(job), finished);
}

}  // namespace
}  // namespace outbreak::serve::detail
