// The JSON documents of the HTTP API (docs/api.md): a simulation, its
// progress, the scenario description, errors.
#pragma once

#include <cstdint>
#include <optional>
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

// {"self", "results", "events", "line_list", "page"} of simulation `id`.
nlohmann::ordered_json links(std::string_view id);

// {"replicate" (1-based) or null, "day" or null, "days", "replicates",
// "fraction" (0..1; 1 once succeeded)}.
nlohmann::ordered_json progress(const store::SimulationRecord& job);

// The stored age totals: null when none are stored, else {"replicates":
// [{"replicate" (from 1), "bands": [band, ...]}], "sum": [band, ...]}, each
// band {"band": "0-9", "agents", "infected", "hospitalized", "critical",
// "dead"}, "sum" adding up the replicates listed.
nlohmann::ordered_json age_totals_document(const std::vector<store::AgeTotalsRow>& rows);

// Everything about a job a shareable page may show: never the e-mail
// address, the worker or the lease. The scenario is complete (defaults
// filled in) as long as the stored one reads as a scenario, and `timeline`
// is then its effective timeline as io::timeline_json() writes it (null
// otherwise); `age_totals` as age_totals_document() makes it; `figures` as
// figures_document() makes it; `queue_position` from Store::queue_position().
nlohmann::ordered_json simulation_document(const store::SimulationRecord& job,
                                           const std::vector<store::AgeTotalsRow>& age_totals,
                                           const std::vector<store::RunFigures>& figures = {},
                                           std::optional<std::int64_t> queue_position = {});

// The "figures" of a job's document (jobs::figures_document()) with the
// population read from its stored scenario (0 if it no longer reads).
nlohmann::ordered_json figures_document(const store::SimulationRecord& job,
                                        const std::vector<store::RunFigures>& figures);

// GET /api/v1/scenario: every parameter (name, group, type, nullable,
// default, min, max, unit, description; arrays also items, length and
// labels, with min and max for each entry), with max capped by `limits`;
// the limits; and the engine's presets as the keys each changes.
nlohmann::ordered_json scenario_description(const Limits& limits);

// {"error": {"code", "message", "fields": [{"field", "message"}]}}; fields
// is an empty array when no single field is to blame.
nlohmann::ordered_json error_document(std::string_view code, std::string_view message,
                                      const std::vector<FieldError>& fields = {});

}  // namespace outbreak::serve
