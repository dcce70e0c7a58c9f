// Internal to the engine: validation of the policy timeline, called by
// validate() in scenario.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "outbreak/engine/scenario.hpp"

namespace outbreak::engine {

// Appends every problem of s.interventions, each named
// `interventions[i].field`.
void check_interventions(const Scenario& s, std::vector<FieldError>& errors);

// "must be between 0 and 100,000 days on this server, got 3": the one
// wording of a range error (a counted unit follows the number, any other
// goes in brackets; `where` may be empty).
std::string range_message(double min, double max, std::string_view unit, std::string_view where,
                          double got);

}  // namespace outbreak::engine
