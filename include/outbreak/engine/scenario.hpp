// Scenario: every input of one simulation, typed, with units in the names.
//
// The parameter table below is the single source of truth for names,
// defaults, ranges, units and descriptions: the JSON reader, the CLI's --set,
// `outbreak validate` and the web form all read it, so they can never
// disagree with the engine. Defaults and their sources: docs/model.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "outbreak/util/result.hpp"

namespace outbreak::engine {

// Age bands of ten years: 0-9, 10-19, ..., 70-79, 80+. Every by-age array of
// a scenario has one entry per band.
inline constexpr std::size_t kAgeBands = 9;
inline constexpr std::array<std::string_view, kAgeBands> kAgeBandLabels = {
    "0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+"};
// Oldest age an agent can have (the 80+ band spans 80 ... kMaxAge).
inline constexpr int kMaxAge = 99;
inline constexpr std::size_t age_band(int age) {
  return age >= 80 ? kAgeBands - 1 : static_cast<std::size_t>(age / 10);
}
// Household sizes 1, 2, ..., 6; the last entry is "6 or more", built as 6.
inline constexpr std::size_t kHouseholdSizes = 6;

// --- The policy timeline ------------------------------------------------------
//
// `interventions` is a list of timeline items. Each has a type, the days it
// may be active, optional triggers on the epidemic's course, and the values
// of its type's parameters (a table per type, below, like the scenario's
// own). docs/model.md#interventions describes each type and its sources.

enum class InterventionType : std::uint8_t {
  kDistancing,
  kClosure,
  kCaseIsolation,
  kTesting,
  kContactTracing,
  kVaccination,
};
inline constexpr std::size_t kInterventionTypes = 6;
inline constexpr std::size_t kMaxInterventions = 100;
// Items the flat keys (symptomatic_isolation, contact_tracing) add after the
// user's items: their ids are interventions.size() and on.
inline constexpr std::size_t kMaxTimelineItems = kMaxInterventions + 2;
inline constexpr std::size_t kMaxItemValues = 12;

enum class TriggerMetric : std::uint8_t {
  kNewSymptomaticPer100k7d,  // symptom onsets in the last 7 days per 100,000
  kHospitalizedPer100k,      // agents in hospital today per 100,000
};
inline constexpr std::array<std::string_view, 2> kTriggerMetricNames = {
    "new_symptomatic_per_100k_7d", "hospitalized_per_100k"};

// start_when fires when the metric is above `threshold`, end_when when it is
// below, judged on the totals of the day before.
struct Trigger {
  TriggerMetric metric = TriggerMetric::kNewSymptomaticPer100k7d;
  double threshold = 0;
  bool operator==(const Trigger&) const = default;
};

enum class ItemValueKind : std::uint8_t { kReal, kInteger, kBoolean, kChoice, kOptionalReal };

// One parameter of an intervention type. Values are held as doubles: a
// boolean as 0/1, a choice as the index of its name, an unset optional as NaN.
struct ItemParameter {
  std::string_view name;
  std::string_view label;  // short and human: "Quarantine length"
  std::string_view unit;
  std::string_view description;
  ItemValueKind kind = ItemValueKind::kReal;
  double default_value = 0;
  double min = 0;
  double max = 0;
  std::span<const std::string_view> choices = {};
};

struct InterventionTypeInfo {
  InterventionType type;
  std::string_view name;   // "contact_tracing"
  std::string_view title;  // "Contact tracing"
  std::string_view description;
  std::span<const ItemParameter> parameters;
};

// The parameters of each type, by index into Intervention::values.
namespace item {
enum Distancing : std::size_t { kCommunityContactsFactor, kWorkFactor };
enum Closure : std::size_t { kSchools, kWorkplaces };
enum CaseIsolation : std::size_t { kIsolateOn, kCompliance, kDropout, kHouseholdFactor, kDays };
enum IsolateOn : int { kOnSymptoms, kOnPositiveTest };
enum Testing : std::size_t {
  kSeekProbability,
  kTestDelayDays,
  kSensitivity,
  kSpecificity,
  kInsensitiveDays,
  kDailyCapacity,
  kTestTracedContacts
};
enum ContactTracing : std::size_t {
  kMode,
  kStartFrom,
  kCoverage,
  kAppAdoption,
  kLookbackDays,
  kTraceDelayDays,
  kQuarantineDays,
  kQuarantineCompliance,
  kQuarantineDropout,
  kSecondStep
};
enum TracingMode : int { kContacts, kPlaces };
enum StartFrom : int { kFromPositiveTest, kFromSymptoms };
enum Vaccination : std::size_t {
  kDosesPerDay,
  kOrder,
  kMinAge,
  kEfficacyInfection,
  kEfficacySevere,
  kDaysToProtection
};
enum VaccinationOrder : int { kOldestFirst, kRandom };
}  // namespace item

struct Intervention {
  InterventionType type = InterventionType::kDistancing;
  std::string name;  // optional label for charts and legends
  std::int64_t start_day = 0;
  std::optional<std::int64_t> end_day;  // inclusive; unset: to the end of the run
  std::optional<Trigger> start_when;    // metric above threshold
  std::optional<Trigger> end_when;      // metric below threshold
  std::array<double, kMaxItemValues> values{};

  double operator[](std::size_t i) const { return values[i]; }
  bool flag(std::size_t i) const { return values[i] != 0; }
  int choice(std::size_t i) const { return static_cast<int>(values[i]); }
  bool operator==(const Intervention& o) const;  // unset (NaN) values compare equal
};

// Every intervention type in documented order. Thread-safe (immutable).
std::span<const InterventionTypeInfo> intervention_types();
const InterventionTypeInfo& type_info(InterventionType type);
const InterventionTypeInfo* find_intervention_type(std::string_view name);
// An item of `type` with every parameter at its default, active from day 0.
Intervention make_intervention(InterventionType type);

struct Scenario {
  // Population
  std::int64_t population = 100'000;
  std::vector<double> age_shares = {0.118, 0.113, 0.126, 0.137, 0.127, 0.135, 0.107, 0.086, 0.051};
  // Unset: household sizes drawn from household_size_shares. Set: every
  // home has exactly this many agents (the original model).
  std::optional<std::int64_t> household_size;
  std::vector<double> household_size_shares = {0.295, 0.345, 0.154, 0.140, 0.045, 0.021};
  std::int64_t school_min_age = 5;
  std::int64_t school_max_age = 17;
  std::int64_t class_size = 25;
  std::int64_t retirement_age = 65;
  double employment_rate = 0.76;  // share of working-age agents with a workplace
  std::int64_t office_size = 14;  // mean workplace size
  double office_size_sd = 60;     // 0: every workplace has office_size agents
  std::int64_t initial_infected = 10;
  // Run
  std::int64_t days = 180;
  std::int64_t seed = 1;
  std::int64_t replicates = 1;
  // Natural history: means (and spreads) of per-case durations, in days
  double latent_days = 3.2;      // infection -> infectious (mean)
  double incubation_days = 5.5;  // infection -> symptom onset (mean)
  double incubation_sd_days = 2.4;
  double presymptomatic_sd_days = 1.0;  // spread of incubation - latent
  double sick_days = 13.5;              // infection -> end of infectiousness (mean)
  double recovery_sd_days = 2.0;        // spread of sick - incubation
  // Unset: symptomatic share by age (symptomatic_by_age). Set: this share of
  // every age never shows symptoms (the original model).
  std::optional<double> asymptomatic_fraction;
  std::vector<double> symptomatic_by_age = {0.29, 0.21, 0.27, 0.33, 0.40, 0.49, 0.63, 0.69, 0.69};
  double asymptomatic_infectiousness = 0.35;
  double infectiousness_peak_days = 0;      // relative to symptom onset
  double infectiousness_width_days = 2.0;   // 0: flat over the infectious days
  double infectiousness_dispersion = 0.45;  // gamma shape k; 0: no variation
  // Severity
  std::vector<double> hospital_by_age = {0.001, 0.003, 0.012, 0.032, 0.049,
                                         0.102, 0.166, 0.243, 0.273};  // given symptoms
  std::vector<double> critical_by_age = {0.050, 0.050, 0.050, 0.050, 0.063,
                                         0.122, 0.274, 0.432, 0.709};  // given hospital
  std::vector<double> fatality_by_age = {0.0000161, 0.0000695, 0.000309, 0.000844, 0.00161,
                                         0.00595,   0.0193,    0.0428,   0.0780};  // per infection
  // Unset: deaths by age (fatality_by_age). Set: a symptomatic case dies at
  // the end of its illness with this probability (the original model).
  std::optional<double> mortality_rate;
  double hospital_delay_days = 5;  // symptom onset -> admission
  double hospital_delay_sd_days = 2.5;
  double hospital_days = 8;  // admission -> discharge or death, without critical care
  double hospital_sd_days = 4;
  double critical_delay_days = 2;  // admission -> critical care
  double critical_delay_sd_days = 1.5;
  double critical_days = 10;  // critical care -> discharge or death
  double critical_sd_days = 5;
  // Transmission: daily risks between two agents at the source's peak
  // infectiousness, for an average individual
  double home_infection_risk = 0.14;
  double work_infection_risk = 0.0034;
  double school_infection_risk = 0.06;
  std::int64_t community_contacts = 10;
  double community_infection_risk = 0.022;
  // Interventions
  bool symptomatic_isolation = false;
  bool contact_tracing = false;
  double tracing_coverage = 0.5;
  std::int64_t tracing_delay_days = 2;
  std::int64_t isolation_days = 14;
  // The policy timeline; the flat keys above add items after these (timeline()).
  std::vector<Intervention> interventions;

  bool operator==(const Scenario&) const = default;

  // The items the engine runs: `interventions`, then one case_isolation item
  // for symptomatic_isolation and one contact_tracing item (mode "places",
  // from symptoms) for contact_tracing, active from day 0. An item's id is its
  // index here.
  std::vector<Intervention> timeline() const;
};

enum class ParameterKind {
  kInteger,
  kReal,
  kBoolean,
  kOptionalInteger,  // an integer, or unset (JSON null)
  kOptionalReal,     // a real, or unset (JSON null)
  kRealArray,        // a fixed-length array of reals (`length` entries)
};

// Describes one scenario key. `member` points into Scenario.
struct Parameter {
  std::string_view name;
  std::string_view label;  // short and human, for forms and messages: "Latent period"
  bool advanced = false;   // rarely changed: a form may fold it away
  // A boolean parameter that must be on for this one to matter; empty: none.
  std::string_view depends_on;
  std::string_view group;  // population | run | disease | severity | transmission | interventions
  std::string_view unit;   // "agents", "days", "probability", "" ...
  std::string_view description;
  std::variant<std::int64_t Scenario::*, double Scenario::*, bool Scenario::*,
               std::optional<std::int64_t> Scenario::*, std::optional<double> Scenario::*,
               std::vector<double> Scenario::*>
      member;
  double min = 0;  // inclusive bounds of a value (of each entry of an array); unused for booleans
  double max = 0;
  std::size_t length = 0;                         // arrays: the number of entries
  std::span<const std::string_view> labels = {};  // arrays: a label per entry ("0-9", "1", ...)

  ParameterKind kind() const { return static_cast<ParameterKind>(member.index()); }
};

// All scenario keys in their documented order. Thread-safe (immutable).
std::span<const Parameter> parameters();

// The parameter called `name`, or nullptr.
const Parameter* find_parameter(std::string_view name);

// The valid key closest to `name` by edit distance (for "did you mean"), or
// an empty view when nothing is reasonably close.
std::string_view nearest_parameter(std::string_view name);

// A tighter upper bound on one parameter than the table's own, such as a
// server's limit: `where` is said after the range ("on this server").
struct RangeCap {
  std::string_view name;
  double max = 0;
  std::string_view where;
};

// Every range violation and impossible combination, each naming its field
// (an array entry as `name[i]`, an item's value as `interventions[i].name`). An empty result means
// the engine accepts the scenario. A range message quotes the range in force
// ("must be between 1 and 10,000,000 agents on this server, got 0": the
// table's, narrowed by `caps`); a message about another parameter names it
// by its label ("must be at least the latent period (3.2 days), got 2").
std::vector<FieldError> validate(const Scenario& scenario, std::span<const RangeCap> caps = {});

// The upper bound of `p` in force under `caps` (the table's max, or a lower cap).
double max_under(const Parameter& p, std::span<const RangeCap> caps);

// A number as messages and forms write it: whole numbers with thousands
// separators ("10,000,000"), others in the shortest exact form ("0.0034").
std::string number_text(double value);

// A named set of "key=value" assignments applied on top of the defaults
// (values as --set reads them; "null" unsets an optional key).
struct Preset {
  std::string_view name;   // "original"
  std::string_view title;  // "Original model"
  std::string_view description;
  std::span<const std::string_view> assignments;
};

// Every preset, in display order. Thread-safe (immutable).
std::span<const Preset> presets();
const Preset* find_preset(std::string_view name);

// Largest seed accepted: seeds must survive a round trip through JSON in a
// browser (2^53 - 1) even after adding the replicate index.
inline constexpr std::int64_t kMaxSeed = (std::int64_t{1} << 53) - 1 - 1000;

}  // namespace outbreak::engine
