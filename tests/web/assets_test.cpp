#include "outbreak/web/assets.hpp"

#include <brotli/decode.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>

namespace outbreak::web {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(WebAssets, ThePagesAreHtml) {
  for (const char* path : {"/index.html", "/simulation.html", "/compare.html"}) {
    const Asset* asset = find_asset(path);
    ASSERT_NE(asset, nullptr) << path;
    EXPECT_EQ(asset->content_type, "text/html; charset=utf-8") << path;
    EXPECT_TRUE(asset->body.starts_with("<!doctype html>")) << path;
  }
}

TEST(WebAssets, UplotIsEmbedded) {
  const Asset* script = find_asset("/assets/uplot/uPlot.iife.min.js");
  ASSERT_NE(script, nullptr);
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(script->body.find("uPlot"), std::string_view::npos);
  const Asset* style = find_asset("/assets/uplot/uPlot.min.css");
  ASSERT_NE(style, nullptr);
  EXPECT_EQ(style->content_type, "text/css; charset=utf-8");
}

TEST(WebAssets, ScriptsAndStylesHaveTheirTypes) {
  const Asset* app = find_asset("/assets/app.js");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->content_type, "text/javascript; charset=utf-8");
  const Asset* style = find_asset("/assets/style.css");
  ASSERT_NE(style, nullptr);
  EXPECT_EQ(style->content_type, "text/css; charset=utf-8");
}

TEST(WebAssets, UnknownPathsAreNotFound) {
  for (const char* path : {"", "/", "index.html", "/index.htm", "/assets/", "/assets/../index.html",
                           "/index.html?x=1", "/simulations/abc", "/web/src/index.html"}) {
    EXPECT_EQ(find_asset(path), nullptr) << path;
  }
}

// A body with its content-hashed names ("app.3f9a0c1d2e4b.js") back to the
// plain ones ("app.js").
std::string without_hashes(std::string_view body) {
  static const std::regex kHashed(R"(\.[0-9a-f]{12}(\.(js|css|svg|png|ico)))");
  return std::regex_replace(std::string(body), kHashed, "$1");
}

// "/assets/app.js" -> the hashed path in `paths` that names the same file.
std::string hashed_path_of(std::string_view plain) {
  for (const std::string_view path : asset_paths()) {
    if (path != plain && without_hashes(path) == plain) return std::string(path);
  }
  return "";
}

// Every file of web/src/ is embedded under its own path, byte for byte
// except for the hashed names in its references; every file under /assets/
// also under its hashed name; nothing else is there but uPlot.
TEST(WebAssets, EveryFileOfTheSourceTreeIsEmbeddedExactly) {
  const fs::path root = OUTBREAK_WEB_SOURCE_DIR;
  std::set<std::string> expected = {"/assets/uplot/uPlot.iife.min.js",
                                    "/assets/uplot/uPlot.min.css"};
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file() || entry.path().filename().string().starts_with(".")) continue;
    std::string path = "/";  // (not "/" + ...: GCC 12 warns falsely about that at -O3)
    path += fs::relative(entry.path(), root).generic_string();
    expected.insert(path);
    const Asset* asset = find_asset(path);
    ASSERT_NE(asset, nullptr) << path;
    EXPECT_EQ(without_hashes(asset->body), read_file(entry.path())) << path;
    EXPECT_FALSE(asset->content_type.empty()) << path;
  }
  for (const std::string& path : std::set<std::string>(expected)) {
    if (!path.starts_with("/assets/")) continue;
    const std::string hashed = hashed_path_of(path);
    ASSERT_FALSE(hashed.empty()) << path << " has no hashed name";
    expected.insert(hashed);
  }
  const auto paths = asset_paths();
  EXPECT_EQ(std::set<std::string>(paths.begin(), paths.end()), expected);
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
}

// The hash in a name is the one in its ETag, the start of the SHA-256 of
// the served bytes; the plain name serves the same bytes, and two files
// never share an ETag.
TEST(WebAssets, HashedNamesAreImmutableAndAgreeWithTheirETags) {
  std::set<std::string_view> tags;
  for (const std::string_view path : asset_paths()) {
    const Asset* asset = find_asset(path);
    ASSERT_NE(asset, nullptr) << path;
    ASSERT_GE(asset->etag.size(), 14U) << path;
    EXPECT_TRUE(asset->etag.starts_with('"') && asset->etag.ends_with('"')) << asset->etag;
    const std::string hash(asset->etag.substr(1, asset->etag.size() - 2));
    const bool hashed = without_hashes(path) != path;
    EXPECT_EQ(asset->immutable, hashed) << path;
    if (hashed) {
      std::string infix = ".";  // (appended: GCC 12 warns falsely about "." + ... at -O3)
      infix.append(hash).append(".");
      EXPECT_NE(path.find(infix), std::string_view::npos) << path << " " << hash;
      const Asset* plain = find_asset(without_hashes(path));
      ASSERT_NE(plain, nullptr) << path;
      EXPECT_EQ(plain->body, asset->body) << "the plain name serves the same bytes";
      EXPECT_EQ(plain->etag, asset->etag);
      EXPECT_FALSE(plain->immutable);
    } else {
      EXPECT_TRUE(tags.insert(asset->etag).second) << path << " shares its ETag";
    }
  }
}

// The pages load their scripts and styles by hashed name, and the scripts
// import each other by hashed name, each naming a file that is embedded.
TEST(WebAssets, PagesAndImportsNameHashedFiles) {
  const std::regex reference(R"re((?:src|href)="(/assets/[^"]+)")re");
  const std::regex import_of(R"re(from '\./([^']+)')re");
  int references = 0;
  int imports = 0;
  for (const std::string_view path : asset_paths()) {
    const Asset* asset = find_asset(path);
    const std::string body(asset->body);
    if (path.ends_with(".html")) {
      for (auto it = std::sregex_iterator(body.begin(), body.end(), reference);
           it != std::sregex_iterator(); ++it) {
        const std::string target = (*it)[1];
        const Asset* named = find_asset(target);
        ASSERT_NE(named, nullptr) << path << " names " << target;
        EXPECT_TRUE(named->immutable) << path << " names " << target << ", not a hashed name";
        ++references;
      }
    }
    if (path.ends_with(".js") && asset->immutable && !path.starts_with("/assets/uplot/")) {
      for (auto it = std::sregex_iterator(body.begin(), body.end(), import_of);
           it != std::sregex_iterator(); ++it) {
        std::string target = "/assets/";
        target.append((*it)[1].str());
        const Asset* named = find_asset(target);
        ASSERT_NE(named, nullptr) << path << " imports " << target;
        EXPECT_TRUE(named->immutable) << path << " imports " << target;
        ++imports;
      }
    }
  }
  EXPECT_GT(references, 10);
  EXPECT_GT(imports, 10);
  const Asset* index = find_asset("/index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->body.find("\"/assets/style.css\""), std::string_view::npos);
  std::string quoted = "\"";
  quoted.append(hashed_path_of("/assets/style.css")).append("\"");
  EXPECT_NE(index->body.find(quoted), std::string_view::npos);
}

// The gzip copies are smaller and hold exactly the body.
TEST(WebAssets, GzipCopiesHoldTheBody) {
  int compressed = 0;
  for (const std::string_view path : asset_paths()) {
    const Asset* asset = find_asset(path);
    if (asset->gzip.empty()) continue;
    ++compressed;
    EXPECT_LT(asset->gzip.size(), asset->body.size()) << path;
    std::string plain(asset->body.size() + 1, '\0');
    z_stream stream{};
    ASSERT_EQ(inflateInit2(&stream, 16 + MAX_WBITS), Z_OK);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(asset->gzip.data()));
    stream.avail_in = static_cast<uInt>(asset->gzip.size());
    stream.next_out = reinterpret_cast<Bytef*>(plain.data());
    stream.avail_out = static_cast<uInt>(plain.size());
    EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END) << path;
    plain.resize(stream.total_out);
    inflateEnd(&stream);
    EXPECT_EQ(plain, asset->body) << path;
  }
  EXPECT_GE(compressed, 10);
  const Asset* uplot = find_asset("/assets/uplot/uPlot.iife.min.js");
  ASSERT_NE(uplot, nullptr);
  EXPECT_FALSE(uplot->gzip.empty());
}

// The brotli copies are smaller than the gzip ones and hold exactly the body.
TEST(WebAssets, BrotliCopiesHoldTheBody) {
  int compressed = 0;
  for (const std::string_view path : asset_paths()) {
    const Asset* asset = find_asset(path);
    if (asset->brotli.empty()) continue;
    ++compressed;
    EXPECT_LT(asset->brotli.size(), asset->body.size()) << path;
    if (!asset->gzip.empty()) {
      EXPECT_LE(asset->brotli.size(), asset->gzip.size()) << path;
    }
    std::string plain(asset->body.size() + 1, '\0');
    std::size_t size = plain.size();
    EXPECT_EQ(BrotliDecoderDecompress(asset->brotli.size(),
                                      reinterpret_cast<const std::uint8_t*>(asset->brotli.data()),
                                      &size, reinterpret_cast<std::uint8_t*>(plain.data())),
              BROTLI_DECODER_RESULT_SUCCESS)
        << path;
    plain.resize(size);
    EXPECT_EQ(plain, asset->body) << path;
  }
  EXPECT_GE(compressed, 10);
  const Asset* page = find_asset("/index.html");
  ASSERT_NE(page, nullptr);
  EXPECT_FALSE(page->brotli.empty());
}

}  // namespace
}  // namespace outbreak::web
