#include "scenario_input.hpp"

#include <filesystem>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fmt/std.h>

#include "files.hpp"
#include "outbreak/io/scenario_json.hpp"

namespace outbreak::cli {
namespace {

// A file-level problem (malformed JSON, not an object) has no field to name; io only
// knows it as "scenario file"; the path tells which one when a script runs
// many.
Error with_path(Error error, const std::string& path) {
  constexpr std::string_view kPrefix = "scenario file";
  if (error.message.starts_with(kPrefix)) {
    error.message.insert(kPrefix.size(), fmt::format(" {}", std::filesystem::path(path)));
  }
  return error;
}

// The file's text, refused beyond kMaxScenarioBytes: a scenario is a few
// hundred bytes, and reading a mistaken path (/dev/zero, a data dump) whole
// would exhaust memory.
Result<std::string> read_scenario_file(const std::string& path) {
  Result<std::string> text = read_text_file(path, kMaxScenarioBytes);
  if (text || text.error().code != ErrorCode::kInvalidInput) return text;
  return Error::invalid(fmt::format(
      "scenario file {} is larger than the limit of 1 MiB ({} bytes); scenario files are small "
      "JSON documents",
      std::filesystem::path(path), kMaxScenarioBytes));
}

}  // namespace

Result<engine::Scenario> load_scenario(const std::string& path,
                                       std::span<const std::string> assignments,
                                       const std::optional<std::string>& preset) {
  std::optional<std::string_view> preset_name;
  if (preset) preset_name = *preset;
  if (path.empty()) return io::resolve_scenario(nullptr, assignments, preset_name);
  const Result<std::string> text = read_scenario_file(path);
  if (!text) return text.error();
  Result<engine::Scenario> scenario = io::resolve_scenario(&*text, assignments, preset_name);
  if (!scenario) return with_path(scenario.error(), path);
  return scenario;
}

std::string preset_help() {
  std::vector<std::string> names;
  for (const engine::Preset& p : engine::presets()) {
    names.push_back(fmt::format("{} ({})", p.name, p.title));
  }
  return fmt::format("Start from a preset's values; the file and --set apply on top. Presets: {}",
                     fmt::join(names, ", "));
}

}  // namespace outbreak::cli
