#include "outbreak/web/assets.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
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

// Every file of web/src/ is embedded byte for byte under its own path, and
// nothing else is there but uPlot.
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
    EXPECT_EQ(asset->body, read_file(entry.path())) << path;
    EXPECT_FALSE(asset->content_type.empty()) << path;
  }
  const auto paths = asset_paths();
  EXPECT_EQ(std::set<std::string>(paths.begin(), paths.end()), expected);
  EXPECT_TRUE(std::is_sorted(paths.begin(), paths.end()));
}

}  // namespace
}  // namespace outbreak::web
