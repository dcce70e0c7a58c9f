// The table of embedded web files. Its definition is generated at build time
// (cmake/embed_web_assets.cmake writes web_assets_generated.cpp).
#pragma once

#include <span>
#include <string_view>

#include "outbreak/web/assets.hpp"

namespace outbreak::web::detail {

struct EmbeddedAsset {
  std::string_view path;  // "/index.html", "/assets/app.js", ...
  Asset asset;
};

// Every embedded file, in the order of the sorted manifest. Static storage;
// thread-safe.
std::span<const EmbeddedAsset> embedded_assets();

// The same paths, in the same order.
std::span<const std::string_view> embedded_paths();

}  // namespace outbreak::web::detail
