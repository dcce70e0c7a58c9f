// `outbreak estimate`: R0 and the doubling time of a scenario, from its
// parameters without simulating (engine::estimate).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace outbreak::cli {

struct EstimateOptions {
  std::string scenario_path;  // empty: defaults
  std::optional<std::string> preset;
  std::vector<std::string> assignments;
};

// Prints the estimate as aligned "name  value" lines; exit status as `run`.
int estimate_command(const EstimateOptions& options);

}  // namespace outbreak::cli
