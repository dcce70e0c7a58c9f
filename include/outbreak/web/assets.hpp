// The web UI's files (HTML pages, CSS, JavaScript and the uPlot chart
// library), compiled into the binary so that `outbreak serve` needs no files
// on disk and no network at run time. The files come from web/src/ and are
// turned into C++ at build time (cmake/embed_web_assets.cmake); docs/web.md.
#pragma once

#include <span>
#include <string_view>

namespace outbreak::web {

// One embedded file. Both views point into static storage, valid for the
// whole life of the program.
struct Asset {
  std::string_view content_type;  // e.g. "text/html; charset=utf-8"
  // The file's bytes as on disk, except that the pages' references to
  // /assets/ files and the scripts' imports name the content-hashed files.
  std::string_view body;
  std::string_view gzip;    // body, gzip-compressed at build time; empty when that saves little
  std::string_view brotli;  // the same with brotli
  std::string_view etag;    // a strong ETag of body, quotes included: "\"3f9a0c1d2e4b\""
  // Served under its content-hashed name (/assets/app.3f9a0c1d2e4b.js): its
  // bytes never change, so it may be cached for good.
  bool immutable = false;
};

// The asset served at `path`: "/index.html", "/simulation.html",
// "/compare.html", or a file under "/assets/" such as "/assets/app.js",
// also under its content-hashed name ("/assets/app.3f9a0c1d2e4b.js").
// Paths are matched exactly (no query string, no "..", no index lookup);
// nullptr when there is none. Thread-safe (the table is immutable).
const Asset* find_asset(std::string_view path);

// Every embedded path; for listings and tests. Thread-safe.
std::span<const std::string_view> asset_paths();

}  // namespace outbreak::web
