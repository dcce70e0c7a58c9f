// The scenario a command works on, from a file and key=value flags.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "outbreak/engine/scenario.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::cli {

// The largest scenario file read: 1 MiB, far above any real scenario.
inline constexpr std::size_t kMaxScenarioBytes = std::size_t{1} << 20;

// Defaults, then the preset (if named), then the JSON file at `path` (none
// if empty), then the `assignments` ("key=value", later ones win), validated
// once at the end (io::resolve_scenario). Errors: kNotFound or kIo if the
// file cannot be read; kInvalidInput if it is larger than kMaxScenarioBytes,
// or with every bad field.
Result<engine::Scenario> load_scenario(const std::string& path,
                                       std::span<const std::string> assignments,
                                       const std::optional<std::string>& preset = std::nullopt);

// The --preset option's help: what it does and every preset's name and title.
std::string preset_help();

}  // namespace outbreak::cli
