// The scenario JSON reader (io::read_scenario_json) on any text. Properties:
// a failed read leaves the scenario as it was and is kInvalidInput; a
// successful one prints (io::scenario_to_json) to a document that reads back
// to the same scenario; engine::validate copes with whatever was read.
#include <string>

#include "fuzz_support.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/io/scenario_json.hpp"

using namespace outbreak;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const engine::Scenario defaults;
  engine::Scenario scenario;
  const Status read = io::read_scenario_json(text, scenario);
  if (!read) {
    fuzz::check(read.error().code == ErrorCode::kInvalidInput, "a bad file is kInvalidInput");
    fuzz::check(io::scenario_to_json(scenario) == io::scenario_to_json(defaults),
                "a failed read left the scenario unchanged");
    (void)io::describe(read.error());
    return 0;
  }
  const std::string printed = io::scenario_to_json(scenario).dump();
  engine::Scenario again;
  const Status reread = io::read_scenario_json(printed, again);
  fuzz::check(reread.ok(), "a printed scenario reads back");
  fuzz::check(io::scenario_to_json(again) == io::scenario_to_json(scenario),
              "a printed scenario reads back to the same scenario");
  (void)engine::validate(scenario);
  return 0;
}
