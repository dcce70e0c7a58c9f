#include "outbreak/web/assets.hpp"

#include "web/embedded.hpp"

namespace outbreak::web {

const Asset* find_asset(std::string_view path) {
  // A dozen files: a linear scan is as fast as anything cleverer.
  for (const detail::EmbeddedAsset& entry : detail::embedded_assets()) {
    if (entry.path == path) return &entry.asset;
  }
  return nullptr;
}

std::span<const std::string_view> asset_paths() { return detail::embedded_paths(); }

}  // namespace outbreak::web
