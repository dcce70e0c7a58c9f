#include "outbreak/serve/documents.hpp"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <optional>
#include <variant>

#include <fmt/format.h>

#include "outbreak/engine/scenario.hpp"
#include "outbreak/io/scenario_json.hpp"

namespace outbreak::serve {
namespace {

using nlohmann::ordered_json;

ordered_json optional_time(const std::optional<store::TimePoint>& time) {
  return time ? ordered_json(rfc3339(*time)) : ordered_json(nullptr);
}

// The stored scenario with every default filled in; the stored text as it
// is if it no longer reads as a scenario (the engine's keys changed).
ordered_json full_scenario(const std::string& stored) {
  engine::Scenario scenario;
  if (io::read_scenario_json(stored, scenario)) return io::scenario_to_json(scenario);
  return ordered_json::parse(stored, nullptr, /*allow_exceptions=*/false);
}

std::string_view type_name(engine::ParameterKind kind) {
  switch (kind) {
    case engine::ParameterKind::kInteger:
      return "integer";
    case engine::ParameterKind::kReal:
      return "real";
    case engine::ParameterKind::kBoolean:
      return "boolean";
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

ordered_json describe(const engine::Parameter& p, const Limits& limits) {
  static const engine::Scenario defaults;
  ordered_json out;
  out["name"] = p.name;
  out["group"] = p.group;
  out["type"] = type_name(p.kind());
  std::visit([&](auto member) { out["default"] = defaults.*member; }, p.member);
  switch (p.kind()) {
    case engine::ParameterKind::kInteger: {
      std::int64_t max = static_cast<std::int64_t>(p.max);
      if (const auto limit = limit_of(p.name, limits)) max = std::min(max, *limit);
      out["min"] = static_cast<std::int64_t>(p.min);
      out["max"] = max;
      break;
    }
    case engine::ParameterKind::kReal:
      out["min"] = p.min;
      out["max"] = p.max;
      break;
    case engine::ParameterKind::kBoolean:
      out["min"] = nullptr;
      out["max"] = nullptr;
      break;
  }
  out["unit"] = p.unit;
  out["description"] = p.description;
  return out;
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

ordered_json simulation_document(const store::SimulationRecord& job) {
  ordered_json out;
  out["id"] = job.id;
  out["name"] = job.name;
  out["status"] = store::to_string(job.status);
  out["progress"] = progress(job);
  out["scenario"] = full_scenario(job.scenario_json);
  out["created_at"] = rfc3339(job.created_at);
  out["started_at"] = optional_time(job.started_at);
  out["finished_at"] = optional_time(job.finished_at);
  out["attempts"] = job.attempts;
  out["cancel_requested"] = job.cancel_requested;
  out["error"] = job.error ? ordered_json(*job.error) : nullptr;
  out["links"] = links(job.id);
  return out;
}

ordered_json scenario_description(const Limits& limits) {
  ordered_json parameters = ordered_json::array();
  for (const engine::Parameter& p : engine::parameters()) parameters.push_back(describe(p, limits));
  ordered_json out;
  out["parameters"] = std::move(parameters);
  out["limits"] = {
      {"population", limits.population}, {"days", limits.days}, {"replicates", limits.replicates}};
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
