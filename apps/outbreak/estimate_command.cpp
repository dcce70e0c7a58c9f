#include "estimate_command.hpp"

#include <cmath>
#include <iostream>

#include <fmt/format.h>

#include "exit_status.hpp"
#include "outbreak/engine/estimate.hpp"
#include "scenario_input.hpp"

namespace outbreak::cli {
namespace {

std::string days(const std::optional<double>& value) {
  return value ? fmt::format("{:.1f} days", *value) : std::string("-");
}

}  // namespace

int estimate_command(const EstimateOptions& options) {
  const Result<engine::Scenario> scenario =
      load_scenario(options.scenario_path, options.assignments, options.preset);
  if (!scenario) return report(scenario.error(), kExitBadInput);
  const engine::Estimate e = engine::estimate(*scenario);
  const auto& routes = e.route_shares;
  std::cout << fmt::format("R0               {:.2f}\n", e.r0)
            << fmt::format("generation time  {:.1f} days\n", e.generation_time_days)
            << fmt::format("growth rate      {}\n",
                           e.growth_rate_per_day
                               ? fmt::format("{:.3f} per day", *e.growth_rate_per_day)
                               : std::string("-"))
            << fmt::format("doubling time    {}\n", days(e.doubling_time_days))
            << fmt::format("halving time     {}\n", days(e.halving_time_days))
            << fmt::format(
                   "by route         home {:.0f}%, school {:.0f}%, work {:.0f}%, "
                   "community {:.0f}%\n",
                   100 * routes[0], 100 * routes[1], 100 * routes[2], 100 * routes[3])
            << "(without interventions; docs/model.md, \"Estimating R0 and the doubling time\")\n"
            << std::flush;
  if (!std::cout) return report(Error::make(ErrorCode::kIo, "cannot write to standard output"));
  return kExitSuccess;
}

}  // namespace outbreak::cli
