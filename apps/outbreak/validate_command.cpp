#include "validate_command.hpp"

#include <iostream>

#include "exit_status.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "scenario_input.hpp"

namespace outbreak::cli {

int validate_command(const std::string& path, const std::optional<std::string>& preset) {
  const Result<engine::Scenario> scenario = load_scenario(path, {}, preset);
  if (!scenario) return report(scenario.error(), kExitBadInput);
  std::cout << io::scenario_to_json(*scenario).dump(2) << '\n' << std::flush;
  if (!std::cout) return report(Error::make(ErrorCode::kIo, "cannot write to standard output"));
  return kExitSuccess;
}

}  // namespace outbreak::cli
