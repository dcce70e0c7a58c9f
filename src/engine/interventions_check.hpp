// Internal to the engine: validation of the policy timeline, called by
// validate() in scenario.cpp.
#pragma once

#include <vector>

#include "outbreak/engine/scenario.hpp"

namespace outbreak::engine {

// Appends every problem of s.interventions, each named
// `interventions[i].field`.
void check_interventions(const Scenario& s, std::vector<FieldError>& errors);

}  // namespace outbreak::engine
