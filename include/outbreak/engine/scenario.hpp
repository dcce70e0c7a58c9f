// Scenario: every input of one simulation, typed, with units in the names.
//
// The parameter table below is the single source of truth for names,
// defaults, ranges, units and descriptions: the JSON reader, the CLI's --set,
// `outbreak validate` and (later) the web form all read it, so they can never
// disagree with the engine. Defaults and their sources: docs/model.md.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "outbreak/util/result.hpp"

namespace outbreak::engine {

struct Scenario {
  // Population
  std::int64_t population = 100'000;
  std::int64_t household_size = 3;
  std::int64_t office_size = 20;
  double employment_rate = 0.6;
  std::int64_t initial_infected = 10;
  // Run
  std::int64_t days = 180;
  std::int64_t seed = 1;
  std::int64_t replicates = 1;
  // Disease course, in days since infection
  std::int64_t latent_days = 3;
  std::int64_t incubation_days = 5;
  std::int64_t sick_days = 13;
  double asymptomatic_fraction = 0.3;
  double asymptomatic_infectiousness = 0.75;
  double mortality_rate = 0.01;
  // Transmission
  double home_infection_risk = 0.02;
  double work_infection_risk = 0.01;
  std::int64_t community_contacts = 10;
  double community_infection_risk = 0.01;
  // Interventions
  bool symptomatic_isolation = false;
  bool contact_tracing = false;
  double tracing_coverage = 0.5;
  std::int64_t tracing_delay_days = 2;
  std::int64_t isolation_days = 14;

  bool operator==(const Scenario&) const = default;
};

enum class ParameterKind { kInteger, kReal, kBoolean };

// Describes one scenario key. `member` points into Scenario.
struct Parameter {
  std::string_view name;
  std::string_view group;  // population | run | disease | transmission | interventions
  std::string_view unit;   // "agents", "days", "probability", "" ...
  std::string_view description;
  std::variant<std::int64_t Scenario::*, double Scenario::*, bool Scenario::*> member;
  double min = 0;  // inclusive bounds; unused for booleans
  double max = 0;

  ParameterKind kind() const { return static_cast<ParameterKind>(member.index()); }
};

// All scenario keys in their documented order. Thread-safe (immutable).
std::span<const Parameter> parameters();

// The parameter called `name`, or nullptr.
const Parameter* find_parameter(std::string_view name);

// The valid key closest to `name` by edit distance (for "did you mean"), or
// an empty view when nothing is reasonably close.
std::string_view nearest_parameter(std::string_view name);

// Every range violation and impossible combination, each naming its field.
// An empty result means the engine accepts the scenario.
std::vector<FieldError> validate(const Scenario& scenario);

// Largest seed accepted: seeds must survive a round trip through JSON in a
// browser (2^53 - 1) even after adding the replicate index.
inline constexpr std::int64_t kMaxSeed = (std::int64_t{1} << 53) - 1 - 1000;

}  // namespace outbreak::engine
