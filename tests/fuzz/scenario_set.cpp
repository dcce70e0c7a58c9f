// The CLI's --set key=value assignments (io::apply_assignments) and the
// --preset name (io::resolve_scenario). The input is one assignment per
// line; a first line starting with '@' names a preset. Properties: a failed
// set leaves the scenario as it was; a successful one can be written back as
// assignments (one per key, from io::scenario_to_json) that give the same
// scenario; resolve_scenario either fails with kInvalidInput or returns a
// scenario that engine::validate accepts.
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/io/scenario_json.hpp"

using namespace outbreak;

namespace {

// `key=value` lines for every key of `scenario`.
std::vector<std::string> as_assignments(const engine::Scenario& scenario) {
  std::vector<std::string> out;
  const nlohmann::ordered_json document = io::scenario_to_json(scenario);
  for (const auto& [key, value] : document.items()) {
    std::string text;
    if (key == "interventions") {
      text = value.dump();  // the timeline is set as JSON text
    } else if (value.is_array()) {
      for (const auto& entry : value) {
        if (!text.empty()) text += ',';
        text += entry.dump();
      }
    } else {
      text = value.dump();  // null, true/false and numbers as --set reads them
    }
    out.push_back(key + "=" + text);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text = fuzz::as_text(data, size);
  std::optional<std::string_view> preset;
  std::vector<std::string> assignments;
  bool first = true;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    if (first && line.starts_with('@')) {
      preset = line.substr(1);
    } else {
      assignments.emplace_back(line);
    }
    first = false;
  }

  const engine::Scenario defaults;
  engine::Scenario scenario;
  const Status set = io::apply_assignments(assignments, scenario);
  if (!set) {
    fuzz::check(set.error().code == ErrorCode::kInvalidInput, "bad assignments are kInvalidInput");
    fuzz::check(io::scenario_to_json(scenario) == io::scenario_to_json(defaults),
                "failed assignments left the scenario unchanged");
  } else {
    engine::Scenario again;
    const Status reset = io::apply_assignments(as_assignments(scenario), again);
    fuzz::check(reset.ok(), "a scenario written as assignments reads back");
    fuzz::check(io::scenario_to_json(again) == io::scenario_to_json(scenario),
                "a scenario written as assignments reads back to the same scenario");
  }

  auto resolved = io::resolve_scenario(nullptr, assignments, preset);
  if (resolved) {
    fuzz::check(engine::validate(*resolved).empty(), "a resolved scenario is valid");
  } else {
    fuzz::check(resolved.error().code == ErrorCode::kInvalidInput,
                "a scenario that does not resolve is kInvalidInput");
    (void)io::describe(resolved.error());
  }
  return 0;
}
