#include "outbreak/serve/documents.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "outbreak/engine/scenario.hpp"
#include "outbreak/io/results_format.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "outbreak/jobs/figures.hpp"

namespace outbreak::serve {
namespace {

using nlohmann::ordered_json;

ordered_json optional_time(const std::optional<store::TimePoint>& time) {
  return time ? ordered_json(rfc3339(*time)) : ordered_json(nullptr);
}

// The stored scenario with every default filled in, and its effective
// timeline with ids; the stored text as it is, and no timeline (null), if it
// no longer reads as a scenario (the engine's keys changed).
std::pair<ordered_json, ordered_json> full_scenario(const std::string& stored) {
  engine::Scenario scenario;
  if (io::read_scenario_json(stored, scenario)) {
    return {io::scenario_to_json(scenario), io::timeline_json(scenario)};
  }
  return {ordered_json::parse(stored, nullptr, /*allow_exceptions=*/false), nullptr};
}

std::string_view type_name(engine::ParameterKind kind) {
  switch (kind) {
    case engine::ParameterKind::kInteger:
    case engine::ParameterKind::kOptionalInteger:
      return "integer";
    case engine::ParameterKind::kReal:
    case engine::ParameterKind::kOptionalReal:
      return "real";
    case engine::ParameterKind::kBoolean:
      return "boolean";
    case engine::ParameterKind::kRealArray:
      return "array";
  }
  return "unknown";
}

// The server's own cap on a parameter, if it has one.
std::optional<std::int64_t> limit_of(std::string_view name, const Limits& limits) {
  if (name == "population") return limits.population;
  if (name == "days") return limits.days;
  if (name == "replicates") return limits.replicates;
  return std::nullopt;
}

// A scenario value as JSON: null for an unset optional key.
template <typename T>
ordered_json value_json(const T& value) {
  if constexpr (std::is_same_v<T, std::optional<std::int64_t>> ||
                std::is_same_v<T, std::optional<double>>) {
    return value ? ordered_json(*value) : ordered_json(nullptr);
  } else {
    return ordered_json(value);
  }
}

// "min" and "max" of a value (of each entry of an array); null for booleans.
void add_bounds(const engine::Parameter& p, const Limits& limits, ordered_json& out) {
  switch (p.kind()) {
    case engine::ParameterKind::kInteger:
    case engine::ParameterKind::kOptionalInteger: {
      std::int64_t max = static_cast<std::int64_t>(p.max);
      if (const auto limit = limit_of(p.name, limits)) max = std::min(max, *limit);
      out["min"] = static_cast<std::int64_t>(p.min);
      out["max"] = max;
      break;
    }
    case engine::ParameterKind::kReal:
    case engine::ParameterKind::kOptionalReal:
    case engine::ParameterKind::kRealArray:
      out["min"] = p.min;
      out["max"] = p.max;
      break;
    case engine::ParameterKind::kBoolean:
      out["min"] = nullptr;
      out["max"] = nullptr;
      break;
  }
}

ordered_json describe(const engine::Parameter& p, const Limits& limits) {
  static const engine::Scenario defaults;
  const engine::ParameterKind kind = p.kind();
  ordered_json out;
  out["name"] = p.name;
  out["group"] = p.group;
  out["type"] = type_name(kind);
  if (kind == engine::ParameterKind::kRealArray) {
    out["items"] = "real";
    out["length"] = p.length;
    out["labels"] = std::vector<std::string_view>(p.labels.begin(), p.labels.end());
  }
  out["nullable"] = kind == engine::ParameterKind::kOptionalInteger ||
                    kind == engine::ParameterKind::kOptionalReal;
  std::visit([&](auto member) { out["default"] = value_json(defaults.*member); }, p.member);
  add_bounds(p, limits, out);
  out["unit"] = p.unit;
  out["description"] = p.description;
  return out;
}

// The keys a preset changes, applied to the defaults, with their values;
// nullopt if the preset does not apply (then it is left out of the list).
std::optional<ordered_json> preset_changes(const engine::Preset& preset) {
  engine::Scenario scenario;
  if (!io::apply_preset(preset.name, scenario)) return std::nullopt;
  const ordered_json defaults = io::scenario_to_json(engine::Scenario{});
  ordered_json changed = ordered_json::object();
  const ordered_json applied = io::scenario_to_json(scenario);
  for (const auto& [key, value] : applied.items()) {
    if (!defaults.contains(key) || defaults[key] != value) changed[key] = value;
  }
  return changed;
}

// Every engine preset: {"name", "title", "description", "scenario": {key: value}}.
ordered_json presets_document() {
  ordered_json out = ordered_json::array();
  for (const engine::Preset& preset : engine::presets()) {
    auto changes = preset_changes(preset);
    if (!changes) continue;
    out.push_back({{"name", preset.name},
                   {"title", preset.title},
                   {"description", preset.description},
                   {"scenario", std::move(*changes)}});
  }
  return out;
}

ordered_json describe(const engine::ItemParameter& p) {
  using K = engine::ItemValueKind;
  ordered_json out;
  out["name"] = p.name;
  switch (p.kind) {
    case K::kReal:
    case K::kOptionalReal:
      out["type"] = "real";
      break;
    case K::kInteger:
      out["type"] = "integer";
      break;
    case K::kBoolean:
      out["type"] = "boolean";
      break;
    case K::kChoice:
      out["type"] = "choice";
      out["choices"] = std::vector<std::string_view>(p.choices.begin(), p.choices.end());
      break;
  }
  out["nullable"] = p.kind == K::kOptionalReal;
  if (p.kind == K::kOptionalReal && std::isnan(p.default_value)) {
    out["default"] = nullptr;
  } else if (p.kind == K::kBoolean) {
    out["default"] = p.default_value != 0;
  } else if (p.kind == K::kChoice) {
    out["default"] = p.choices[static_cast<std::size_t>(p.default_value)];
  } else if (p.kind == K::kInteger) {
    out["default"] = static_cast<std::int64_t>(p.default_value);
  } else {
    out["default"] = p.default_value;
  }
  if (p.kind != K::kBoolean && p.kind != K::kChoice) {
    out["min"] = p.min;
    out["max"] = p.max;
  }
  out["unit"] = p.unit;
  out["description"] = p.description;
  return out;
}

// The policy timeline's types and triggers, for forms and clients.
ordered_json interventions_description() {
  ordered_json types = ordered_json::array();
  for (const engine::InterventionTypeInfo& t : engine::intervention_types()) {
    ordered_json parameters = ordered_json::array();
    for (const engine::ItemParameter& p : t.parameters) parameters.push_back(describe(p));
    types.push_back({{"name", t.name},
                     {"title", t.title},
                     {"description", t.description},
                     {"parameters", std::move(parameters)}});
  }
  ordered_json metrics = ordered_json::array();
  metrics.push_back({{"name", engine::kTriggerMetricNames[0]},
                     {"description", "Symptom onsets in the last 7 days per 100,000 agents"}});
  metrics.push_back({{"name", engine::kTriggerMetricNames[1]},
                     {"description", "Agents in hospital per 100,000 agents"}});
  return {{"max_items", engine::kMaxInterventions},
          {"types", std::move(types)},
          {"trigger_metrics", std::move(metrics)}};
}

// One band of age totals: {"band": "0-9", "agents", "infected", ...}.
ordered_json band_document(const engine::AgeTotals& totals, std::size_t band) {
  return {{"band", engine::kAgeBandLabels[band]}, {"agents", totals.agents[band]},
          {"infected", totals.infected[band]},    {"hospitalized", totals.hospitalized[band]},
          {"critical", totals.critical[band]},    {"dead", totals.dead[band]}};
}

ordered_json bands_document(const engine::AgeTotals& totals) {
  ordered_json bands = ordered_json::array();
  for (std::size_t band = 0; band < engine::kAgeBands; ++band) {
    bands.push_back(band_document(totals, band));
  }
  return bands;
}

engine::AgeTotals sum_of(const std::vector<store::AgeTotalsRow>& rows) {
  engine::AgeTotals sum;
  for (const store::AgeTotalsRow& row : rows) {
    for (std::size_t band = 0; band < engine::kAgeBands; ++band) {
      sum.agents[band] += row.totals.agents[band];
      sum.infected[band] += row.totals.infected[band];
      sum.hospitalized[band] += row.totals.hospitalized[band];
      sum.critical[band] += row.totals.critical[band];
      sum.dead[band] += row.totals.dead[band];
    }
  }
  return sum;
}

}  // namespace

std::string rfc3339(store::TimePoint time) {
  const auto millis =
      std::chrono::floor<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds =
      static_cast<std::time_t>(millis >= 0 ? millis / 1000 : (millis - 999) / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  const auto fraction = ((millis % 1000) + 1000) % 1000;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
}

bool is_simulation_id(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

ordered_json links(std::string_view id) {
  const std::string self = fmt::format("/api/v1/simulations/{}", id);
  return {{"self", self},
          {"results", self + "/results"},
          {"events", self + "/events"},
          {"line_list", self + "/line-list"},
          {"page", fmt::format("/simulations/{}", id)}};
}

ordered_json progress(const store::SimulationRecord& job) {
  const std::int64_t per_replicate = job.days + 1;  // days 0..days
  const std::int64_t total = std::max<std::int64_t>(1, per_replicate * job.replicates);
  double fraction = 0;
  if (job.status == store::JobStatus::kSucceeded) {
    fraction = 1;
  } else if (job.progress_replicate && job.progress_day) {
    const std::int64_t done = *job.progress_replicate * per_replicate + *job.progress_day + 1;
    fraction = std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0);
  }
  ordered_json out;
  out["replicate"] = job.progress_replicate ? ordered_json(*job.progress_replicate + 1) : nullptr;
  out["day"] = job.progress_day ? ordered_json(*job.progress_day) : nullptr;
  out["days"] = job.days;
  out["replicates"] = job.replicates;
  out["fraction"] = fraction;
  return out;
}

ordered_json age_totals_document(const std::vector<store::AgeTotalsRow>& rows) {
  if (rows.empty()) return nullptr;
  ordered_json replicates = ordered_json::array();
  for (const store::AgeTotalsRow& row : rows) {
    replicates.push_back({{"replicate", row.replicate + 1}, {"bands", bands_document(row.totals)}});
  }
  return {{"replicates", std::move(replicates)}, {"sum", bands_document(sum_of(rows))}};
}

ordered_json figures_document(const store::SimulationRecord& job,
                              const std::vector<store::RunFigures>& figures) {
  if (figures.empty()) return nullptr;
  std::int64_t population = 0;
  const ordered_json stored = ordered_json::parse(job.scenario_json, nullptr, false);
  if (stored.is_object() && stored.contains("population") &&
      stored["population"].is_number_integer()) {
    population = stored["population"].get<std::int64_t>();
  } else {
    engine::Scenario scenario;
    if (io::read_scenario_json(job.scenario_json, scenario)) population = scenario.population;
  }
  return jobs::figures_document(figures, population, job.days, job.replicates, job.status);
}

ordered_json simulation_document(const store::SimulationRecord& job,
                                 const std::vector<store::AgeTotalsRow>& age_totals,
                                 const std::vector<store::RunFigures>& figures,
                                 std::optional<std::int64_t> queue_position) {
  ordered_json out;
  out["id"] = job.id;
  out["name"] = job.name;
  out["status"] = store::to_string(job.status);
  out["progress"] = progress(job);
  auto [scenario, timeline] = full_scenario(job.scenario_json);
  out["scenario"] = std::move(scenario);
  out["timeline"] = std::move(timeline);
  out["created_at"] = rfc3339(job.created_at);
  out["started_at"] = optional_time(job.started_at);
  out["finished_at"] = optional_time(job.finished_at);
  out["attempts"] = job.attempts;
  out["max_attempts"] = job.max_attempts;
  out["queue_position"] = queue_position ? ordered_json(*queue_position) : nullptr;
  out["cancel_requested"] = job.cancel_requested;
  out["error"] = job.error ? ordered_json(*job.error) : nullptr;
  out["age_totals"] = age_totals_document(age_totals);
  out["figures"] = figures_document(job, figures);
  out["links"] = links(job.id);
  return out;
}

ordered_json scenario_description(const Limits& limits) {
  ordered_json parameters = ordered_json::array();
  for (const engine::Parameter& p : engine::parameters()) parameters.push_back(describe(p, limits));
  ordered_json out;
  out["parameters"] = std::move(parameters);
  static const ordered_json interventions = interventions_description();
  out["interventions"] = interventions;
  out["limits"] = {{"population", limits.population},
                   {"days", limits.days},
                   {"replicates", limits.replicates},
                   {"rows_per_job", limits.rows_per_job},
                   {"line_list_agents", limits.line_list_agents}};
  // Built once: the presets and the defaults are fixed for the process.
  static const ordered_json presets = presets_document();
  out["presets"] = presets;
  return out;
}

ordered_json error_document(std::string_view code, std::string_view message,
                            const std::vector<FieldError>& fields) {
  ordered_json error;
  error["code"] = code;
  error["message"] = message;
  ordered_json list = ordered_json::array();
  for (const FieldError& field : fields) {
    list.push_back({{"field", field.field}, {"message", field.message}});
  }
  error["fields"] = std::move(list);
  return {{"error", std::move(error)}};
}

}  // namespace outbreak::serve
