// Submission: the body of POST /api/v1/simulations, read and checked.
#pragma once

#include <string_view>
#include <vector>

#include "outbreak/engine/scenario.hpp"
#include "outbreak/serve/config.hpp"
#include "outbreak/store/store.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::serve {

// Longest name accepted, in characters.
inline constexpr std::size_t kMaxNameLength = 200;

// Reads {"name"?: string, "email"?: string, "scenario": {key: value}} into
// the job to enqueue: the scenario complete with defaults (as `outbreak
// submit` stores it), validated by the engine and capped by `limits`; the
// name without Unicode format characters (mail::without_format_characters),
// "simulation" when absent or blank. Errors (kInvalidInput):
//   - no fields: the body is not JSON (the message gives line and column)
//     or not a JSON object; HTTP 400;
//   - otherwise every bad field at once, named "name", "email",
//     "scenario" or "scenario.<key>"; HTTP 422.
Result<store::NewSimulation> parse_submission(std::string_view body, const Limits& limits);

// Reads {"scenario": {key: value}} (the body of POST
// /api/v1/scenario/estimate): the scenario complete with defaults, checked as
// a submission's. Errors as parse_submission's: no fields for a body that is
// not a JSON object (HTTP 400), else every bad field at once (HTTP 422).
Result<engine::Scenario> parse_scenario_request(std::string_view body, const Limits& limits);

// The server's limits as caps on the engine's ranges: population and
// initial_infected (limits.population), days, replicates; said "on this
// server". GET /api/v1/scenario shows the same merged ranges.
std::vector<engine::RangeCap> scenario_caps(const Limits& limits);

// An address the mail module can send to (mail::validate_address): so no
// control characters (CR, LF above all), which could inject headers.
Status valid_email(std::string_view address);

// A name a page can show: at most kMaxNameLength characters, no control
// characters.
Status valid_name(std::string_view name);

}  // namespace outbreak::serve
