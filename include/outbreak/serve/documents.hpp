// The JSON documents of the HTTP API (docs/api.md): a simulation, its
// progress, the scenario description, errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "outbreak/serve/config.hpp"
#include "outbreak/store/store.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::serve {

// RFC 3339 in UTC with milliseconds: "2026-11-28T15:04:05.123Z".
std::string rfc3339(store::TimePoint time);

// Whether `id` has the shape of a simulation id (a lower-case UUID), so
// that anything else is "not found" without asking the database.
bool is_simulation_id(std::string_view id);

// {"self", "results", "events", "page"} of simulation `id`.
nlohmann::ordered_json links(std::string_view id);

// {"replicate" (1-based) or null, "day" or null, "days", "replicates",
// "fraction" (0..1; 1 once succeeded)}.
nlohmann::ordered_json progress(const store::SimulationRecord& job);

// Everything about a job a shareable page may show: never the e-mail
// address, the worker or the lease. The scenario is complete (defaults
// filled in) as long as the stored one reads as a scenario.
nlohmann::ordered_json simulation_document(const store::SimulationRecord& job);

// GET /api/v1/scenario: every parameter (name, group, type, default, min,
// max, unit, description), with max capped by `limits`, and the limits.
nlohmann::ordered_json scenario_description(const Limits& limits);

// {"error": {"code", "message", "fields": [{"field", "message"}]}}; fields
// is an empty array when no single field is to blame.
nlohmann::ordered_json error_document(std::string_view code, std::string_view message,
                                      const std::vector<FieldError>& fields = {});

}  // namespace outbreak::serve
