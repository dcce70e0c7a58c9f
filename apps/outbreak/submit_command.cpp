#include "submit_command.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>

#include "database.hpp"
#include "exit_status.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "scenario_input.hpp"

namespace outbreak::cli {

int submit_command(const SubmitOptions& options) {
  const Result<engine::Scenario> scenario = load_scenario(options.path, {}, options.preset);
  if (!scenario) return report(scenario.error(), kExitBadInput);
  store::NewSimulation simulation;
  simulation.name =
      options.name.empty() ? std::filesystem::path(options.path).stem().string() : options.name;
  if (simulation.name.empty()) simulation.name = "simulation";
  simulation.scenario_json = io::scenario_to_json(*scenario).dump();
  if (!options.email.empty()) simulation.email = options.email;
  simulation.days = scenario->days;
  simulation.replicates = scenario->replicates;
  simulation.max_attempts = options.max_attempts;

  auto store = open_database(database_url(options.database), /*migrate=*/true);
  if (!store) return report(store.error());
  auto id = (*store)->enqueue(simulation, std::chrono::system_clock::now());
  if (!id) return report(id.error());
  std::cout << *id << '\n' << std::flush;
  return kExitSuccess;
}

}  // namespace outbreak::cli
