#include "outbreak/engine/scenario.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "interventions_check.hpp"

namespace outbreak::engine {
namespace {

using S = Scenario;

constexpr std::array<std::string_view, kHouseholdSizes> kHouseholdSizeLabels = {"1", "2", "3",
                                                                                "4", "5", "6+"};
constexpr std::span<const std::string_view> kBands = kAgeBandLabels;
constexpr std::span<const std::string_view> kSizes = kHouseholdSizeLabels;
constexpr double kAgentLimit = 4'000'000'000.0;
constexpr bool kBasic = false;
constexpr bool kAdvanced = true;

// Upper bounds are set by the engine's compact state: agent ids are 32-bit,
// days are 16-bit, places have at most 65,535 members.
constexpr std::array kParameters = {
    // Population
    Parameter{"population", "Population", kBasic, "", "population", "agents",
              "Number of agents in the population.", &S::population, 1, kAgentLimit},
    Parameter{"age_shares", "Age distribution", kAdvanced, "", "population", "fraction",
              "Share of the population in each ten-year age band (must sum to 1).", &S::age_shares,
              0, 1, kAgeBands, kBands},
    Parameter{"household_size", "Fixed household size", kAdvanced, "", "population", "agents",
              "Agents in every home; unset (null): sizes drawn from household_size_shares.",
              &S::household_size, 1, 100},
    Parameter{"household_size_shares", "Household sizes", kAdvanced, "", "population", "fraction",
              "Share of homes with 1, 2, ..., 5 and 6 agents (must sum to 1).",
              &S::household_size_shares, 0, 1, kHouseholdSizes, kSizes},
    Parameter{"school_min_age", "School starting age", kAdvanced, "", "population", "years",
              "Youngest age at school.", &S::school_min_age, 0, kMaxAge},
    Parameter{"school_max_age", "School leaving age", kAdvanced, "", "population", "years",
              "Oldest age at school.", &S::school_max_age, 0, kMaxAge},
    Parameter{"class_size", "Class size", kAdvanced, "", "population", "agents",
              "Pupils per school class (same age).", &S::class_size, 1, 1000},
    Parameter{"retirement_age", "Retirement age", kAdvanced, "", "population", "years",
              "Agents from this age on do not work; working age runs from school_max_age + 1.",
              &S::retirement_age, 1, kMaxAge + 1},
    Parameter{"employment_rate", "Employment rate", kAdvanced, "", "population", "fraction",
              "Share of working-age agents with a workplace.", &S::employment_rate, 0, 1},
    Parameter{"office_size", "Workplace size", kAdvanced, "", "population", "agents",
              "Mean number of agents per workplace.", &S::office_size, 1, 10'000},
    Parameter{"office_size_sd", "Workplace size spread", kAdvanced, "", "population", "agents",
              "Spread (standard deviation) of workplace sizes; 0: every workplace has office_size "
              "agents.",
              &S::office_size_sd, 0, 100'000},
    Parameter{"initial_infected", "Initially infected", kBasic, "", "population", "agents",
              "Agents infected on day 0.", &S::initial_infected, 0, kAgentLimit},
    // Run
    Parameter{"days", "Days to simulate", kBasic, "", "run", "days",
              "Number of simulated days after day 0.", &S::days, 1, 3650},
    Parameter{"seed", "Random seed", kBasic, "", "run", "",
              "Random seed; the same scenario and seed give the same output.", &S::seed, 0,
              static_cast<double>(kMaxSeed)},
    Parameter{"replicates", "Runs", kBasic, "", "run", "runs",
              "Independent runs with seeds seed, seed+1, ...", &S::replicates, 1, 1000},
    // Disease
    Parameter{"latent_days", "Latent period", kBasic, "", "disease", "days",
              "Mean days from infection until infectious.", &S::latent_days, 1, 100},
    Parameter{"incubation_days", "Incubation period", kBasic, "", "disease", "days",
              "Mean days from infection until symptom onset (lognormal).", &S::incubation_days, 1,
              100},
    Parameter{"incubation_sd_days", "Incubation period spread", kAdvanced, "", "disease", "days",
              "Spread of the incubation period; 0: every case the same.", &S::incubation_sd_days, 0,
              100},
    Parameter{"presymptomatic_sd_days", "Pre-symptomatic period spread", kAdvanced, "", "disease",
              "days",
              "Spread of the infectious days before symptom onset (gamma; mean incubation_days - "
              "latent_days).",
              &S::presymptomatic_sd_days, 0, 100},
    Parameter{"sick_days", "Illness duration", kBasic, "", "disease", "days",
              "Mean days from infection until the end of infectiousness (and recovery of mild "
              "cases).",
              &S::sick_days, 2, 200},
    Parameter{"recovery_sd_days", "Illness duration spread", kAdvanced, "", "disease", "days",
              "Spread of the infectious days after symptom onset (gamma; mean sick_days - "
              "incubation_days).",
              &S::recovery_sd_days, 0, 100},
    Parameter{"asymptomatic_fraction", "Asymptomatic share at every age", kAdvanced, "", "disease",
              "fraction",
              "Share of cases, at every age, who never show symptoms; unset (null): "
              "1 - symptomatic_by_age.",
              &S::asymptomatic_fraction, 0, 1},
    Parameter{"symptomatic_by_age", "Symptomatic share by age", kAdvanced, "", "disease",
              "probability", "Probability that a case shows symptoms, by age band.",
              &S::symptomatic_by_age, 0, 1, kAgeBands, kBands},
    Parameter{"asymptomatic_infectiousness", "Asymptomatic infectiousness", kBasic, "", "disease",
              "relative", "Infectiousness of an asymptomatic case relative to a symptomatic one.",
              &S::asymptomatic_infectiousness, 0, 1},
    Parameter{"infectiousness_peak_days", "Infectiousness peak", kAdvanced, "", "disease", "days",
              "Day of peak infectiousness relative to symptom onset (negative: before).",
              &S::infectiousness_peak_days, -30, 30},
    Parameter{"infectiousness_width_days", "Infectiousness width", kAdvanced, "", "disease", "days",
              "Width (standard deviation) of the infectiousness profile around its peak; 0: flat "
              "over the infectious days.",
              &S::infectiousness_width_days, 0, 100},
    Parameter{"infectiousness_dispersion", "Superspreading dispersion", kAdvanced, "", "disease",
              "",
              "Shape k of the gamma-distributed individual infectiousness (mean 1; smaller: more "
              "superspreading); 0: every case the same.",
              &S::infectiousness_dispersion, 0, 100},
    // Severity
    Parameter{"hospital_by_age", "Hospital admission by age", kAdvanced, "", "severity",
              "probability",
              "Probability that a symptomatic case is admitted to hospital, by age band.",
              &S::hospital_by_age, 0, 1, kAgeBands, kBands},
    Parameter{"critical_by_age", "Critical care by age", kAdvanced, "", "severity", "probability",
              "Probability that a hospital case needs critical care, by age band.",
              &S::critical_by_age, 0, 1, kAgeBands, kBands},
    Parameter{"fatality_by_age", "Infection fatality by age", kAdvanced, "", "severity",
              "probability", "Infection fatality ratio by age band; deaths happen in hospital.",
              &S::fatality_by_age, 0, 1, kAgeBands, kBands},
    Parameter{"mortality_rate", "Mortality rate at every age", kAdvanced, "", "severity",
              "probability",
              "Probability that a symptomatic case dies at the end of its illness, at every age; "
              "unset (null): fatality_by_age.",
              &S::mortality_rate, 0, 1},
    Parameter{"hospital_delay_days", "Onset to admission", kAdvanced, "", "severity", "days",
              "Mean days from symptom onset to hospital admission.", &S::hospital_delay_days, 0,
              100},
    Parameter{"hospital_delay_sd_days", "Onset to admission spread", kAdvanced, "", "severity",
              "days", "Spread of hospital_delay_days.", &S::hospital_delay_sd_days, 0, 100},
    Parameter{"hospital_days", "Hospital stay", kAdvanced, "", "severity", "days",
              "Mean days in hospital for a case without critical care.", &S::hospital_days, 1, 100},
    Parameter{"hospital_sd_days", "Hospital stay spread", kAdvanced, "", "severity", "days",
              "Spread of hospital_days.", &S::hospital_sd_days, 0, 100},
    Parameter{"critical_delay_days", "Admission to critical care", kAdvanced, "", "severity",
              "days", "Mean days from admission to critical care.", &S::critical_delay_days, 0,
              100},
    Parameter{"critical_delay_sd_days", "Admission to critical care spread", kAdvanced, "",
              "severity", "days", "Spread of critical_delay_days.", &S::critical_delay_sd_days, 0,
              100},
    Parameter{"critical_days", "Critical care stay", kAdvanced, "", "severity", "days",
              "Mean days in critical care until discharge or death.", &S::critical_days, 1, 100},
    Parameter{"critical_sd_days", "Critical care stay spread", kAdvanced, "", "severity", "days",
              "Spread of critical_days.", &S::critical_sd_days, 0, 100},
    // Transmission
    Parameter{"home_infection_risk", "Household infection risk", kBasic, "", "transmission",
              "probability per day",
              "Daily probability that one infectious housemate at peak infectiousness infects a "
              "susceptible one.",
              &S::home_infection_risk, 0, 1},
    Parameter{"work_infection_risk", "Workplace infection risk", kBasic, "", "transmission",
              "probability per day",
              "Daily probability that one infectious colleague present at peak infectiousness "
              "infects a susceptible one.",
              &S::work_infection_risk, 0, 1},
    Parameter{"school_infection_risk", "School infection risk", kBasic, "", "transmission",
              "probability per day",
              "Daily probability that one infectious classmate present at peak infectiousness "
              "infects a susceptible one.",
              &S::school_infection_risk, 0, 1},
    Parameter{"community_contacts", "Community contacts", kBasic, "", "transmission",
              "contacts per day",
              "Random contacts per day with anyone outside home and daytime place (0 turns them "
              "off).",
              &S::community_contacts, 0, 1000},
    Parameter{"community_infection_risk", "Community infection risk", kBasic, "", "transmission",
              "probability per contact",
              "Probability that one contact with an agent at peak infectiousness transmits.",
              &S::community_infection_risk, 0, 1},
    // Interventions
    Parameter{"symptomatic_isolation", "Isolation of the symptomatic", kBasic, "", "interventions",
              "", "Agents with symptoms stay at home (no workplace, school or community contacts).",
              &S::symptomatic_isolation},
    Parameter{"contact_tracing", "Contact tracing", kBasic, "", "interventions", "",
              "Detected symptomatic cases have their home and daytime place isolated.",
              &S::contact_tracing},
    Parameter{"tracing_coverage", "Tracing coverage", kBasic, "contact_tracing", "interventions",
              "probability", "Probability that a symptomatic case is detected and traced.",
              &S::tracing_coverage, 0, 1},
    Parameter{"tracing_delay_days", "Tracing delay", kBasic, "contact_tracing", "interventions",
              "days", "Days from symptom onset until the contacts are isolated.",
              &S::tracing_delay_days, 0, 365},
    Parameter{"isolation_days", "Quarantine length", kBasic, "contact_tracing", "interventions",
              "days", "Days a traced contact stays isolated at home.", &S::isolation_days, 0, 365},
};

// The engine as it was before ages and distributions: every home of 3, every
// workplace of 20, fixed durations, flat infectiousness and mortality.
constexpr std::array<std::string_view, 24> kOriginalAssignments = {
    "age_shares=0,0,0,1,0,0,0,0,0",
    "household_size=3",
    "employment_rate=0.6",
    "office_size=20",
    "office_size_sd=0",
    "latent_days=3",
    "incubation_days=5",
    "incubation_sd_days=0",
    "presymptomatic_sd_days=0",
    "sick_days=13",
    "recovery_sd_days=0",
    "asymptomatic_fraction=0.3",
    "asymptomatic_infectiousness=0.75",
    "infectiousness_width_days=0",
    "infectiousness_dispersion=0",
    "hospital_by_age=0,0,0,0,0,0,0,0,0",
    "critical_by_age=0,0,0,0,0,0,0,0,0",
    "fatality_by_age=0,0,0,0,0,0,0,0,0",
    "mortality_rate=0.01",
    "home_infection_risk=0.02",
    "work_infection_risk=0.01",
    "school_infection_risk=0.01",
    "community_contacts=10",
    "community_infection_risk=0.01",
};

// Policy timelines (docs/model.md#interventions); every value not given is
// its type's default.
constexpr std::array<std::string_view, 1> kLockdownAssignments = {
    R"(interventions=[{"type": "closure", "name": "Schools and workplaces closed", )"
    R"("start_day": 30, "end_day": 71, "schools": 1, "workplaces": 0.7}, )"
    R"({"type": "distancing", "name": "Distancing", "start_day": 30, "end_day": 71, )"
    R"("community_contacts_factor": 0.3}])"};
constexpr std::array<std::string_view, 1> kTestTraceIsolateAssignments = {
    R"(interventions=[{"type": "testing", "name": "Tests for the symptomatic", "start_day": 0}, )"
    R"({"type": "case_isolation", "name": "Cases isolate", "start_day": 0}, )"
    R"({"type": "contact_tracing", "name": "Contacts traced", "start_day": 0, )"
    R"("app_adoption": 0.3}])"};
constexpr std::array<std::string_view, 1> kVaccinateOldestAssignments = {
    R"(interventions=[{"type": "vaccination", "name": "Vaccination, oldest first", )"
    R"("start_day": 0, "order": "oldest_first"}])"};
constexpr std::array<std::string_view, 1> kTriggeredLockdownAssignments = {
    R"(interventions=[{"type": "distancing", "name": "Distancing while cases are high", )"
    R"("start_when": {"metric": "new_symptomatic_per_100k_7d", "above": 200}, )"
    R"("end_when": {"metric": "new_symptomatic_per_100k_7d", "below": 50}, )"
    R"("community_contacts_factor": 0.3, "work_factor": 0.5}, )"
    R"({"type": "closure", "name": "Schools closed while cases are high", )"
    R"("start_when": {"metric": "new_symptomatic_per_100k_7d", "above": 200}, )"
    R"("end_when": {"metric": "new_symptomatic_per_100k_7d", "below": 50}}])"};

constexpr std::array kPresets = {
    Preset{"original", "Original model",
           "The first version of the model: homes of 3 adults, workplaces of 20, the same fixed "
           "course for every case, flat infectiousness and a flat mortality rate.",
           kOriginalAssignments},
    Preset{"lockdown", "Lockdown at day 30 for 6 weeks",
           "Schools and 70% of workplaces closed and community contacts cut to 30% from day 30 "
           "to day 71.",
           kLockdownAssignments},
    Preset{"test_trace_isolate", "Test, trace and isolate",
           "The symptomatic are tested, cases isolate, and their contacts (housemates, place "
           "mates, and app users met in the community) are traced and quarantined.",
           kTestTraceIsolateAssignments},
    Preset{"vaccinate_oldest", "Vaccinate the oldest first",
           "500 doses per day per 100,000 from day 0, oldest age band first.",
           kVaccinateOldestAssignments},
    Preset{"triggered_lockdown", "Lockdown when cases rise",
           "Distancing and school closures switch on when symptomatic cases exceed 200 per "
           "100,000 in a week and off when they fall below 50.",
           kTriggeredLockdownAssignments},
};

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Counts read as "10 agents"; a fraction or probability as "(probability)".
bool counted(std::string_view unit) {
  return !unit.empty() && unit != "fraction" && unit != "relative" && unit != "factor" &&
         !unit.starts_with("probability");
}

void check_value(const Parameter& p, double max, std::string_view where, std::string field,
                 double value, std::vector<FieldError>& errors) {
  if (std::isfinite(value) && value >= p.min && value <= max) return;
  errors.push_back({std::move(field), range_message(p.min, max, p.unit, where, value)});
}

// "the latent period (3.2 days)": another parameter, by its label, with its value.
std::string mention(std::string_view name, double value) {
  const Parameter* p = find_parameter(name);
  if (p == nullptr) return fmt::format("{} ({})", name, number_text(value));
  std::string label(p->label);
  if (!label.empty())
    label[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(label[0])));
  if (counted(p->unit)) {
    std::string_view unit = p->unit;
    if (value == 1 && unit.ends_with('s')) unit.remove_suffix(1);  // "1 day"
    return fmt::format("the {} ({} {})", label, number_text(value), unit);
  }
  return fmt::format("the {} ({})", label, number_text(value));
}

const RangeCap* cap_of(const Parameter& p, std::span<const RangeCap> caps) {
  const RangeCap* found = nullptr;
  for (const RangeCap& cap : caps) {
    if (cap.name == p.name && cap.max < p.max && (found == nullptr || cap.max < found->max)) {
      found = &cap;
    }
  }
  return found;
}

void check_parameter(const Parameter& p, const Scenario& s, std::span<const RangeCap> caps,
                     std::vector<FieldError>& errors) {
  const std::string name(p.name);
  const RangeCap* cap = cap_of(p, caps);
  const double max = cap ? cap->max : p.max;
  const std::string_view where = cap ? cap->where : std::string_view{};
  std::visit(
      [&](auto member) {
        using T = std::remove_cvref_t<decltype(s.*member)>;
        const T& value = s.*member;
        if constexpr (std::is_same_v<T, bool>) {
          return;
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          if (value.size() != p.length) {
            errors.push_back({name, fmt::format("must have {} entries ({}), got {}", p.length,
                                                fmt::join(p.labels, ", "), value.size())});
            return;
          }
          for (std::size_t i = 0; i < value.size(); ++i) {
            check_value(p, max, where, fmt::format("{}[{}]", name, i), value[i], errors);
          }
        } else if constexpr (std::is_same_v<T, std::optional<std::int64_t>> ||
                             std::is_same_v<T, std::optional<double>>) {
          if (value) check_value(p, max, where, name, static_cast<double>(*value), errors);
        } else {
          check_value(p, max, where, name, static_cast<double>(value), errors);
        }
      },
      p.member);
}

// Shares must sum to 1; checked only when every entry is valid.
void check_shares(std::string_view name, const std::vector<double>& shares, std::size_t length,
                  std::vector<FieldError>& errors) {
  if (shares.size() != length) return;
  double sum = 0;
  for (double share : shares) {
    if (!std::isfinite(share) || share < 0 || share > 1) return;
    sum += share;
  }
  if (std::fabs(sum - 1) > 1e-9) {
    errors.push_back({std::string(name), fmt::format("must sum to 1, got {}", sum)});
  }
}

// A duration with a spread needs a positive mean (a gamma or lognormal of
// mean 0 does not exist); a spread above 10 times the mean is not a
// distribution of days any more. `mean_text` names the mean ("the latent
// period (3.2 days)").
void check_spread_of(const std::string& mean_text, double mean, std::string_view sd_name, double sd,
                     std::vector<FieldError>& errors) {
  if (!std::isfinite(mean) || !std::isfinite(sd) || sd <= 0 || mean < 0) return;
  if (mean == 0) {
    errors.push_back({std::string(sd_name), fmt::format("must be 0 when its mean, {}, is 0, got {}",
                                                        mean_text, number_text(sd))});
  } else if (sd > 10 * mean) {
    errors.push_back(
        {std::string(sd_name),
         fmt::format("must be at most 10 times its mean, {}, got {}", mean_text, number_text(sd))});
  }
}

void check_spread(std::string_view mean_name, double mean, std::string_view sd_name, double sd,
                  std::vector<FieldError>& errors) {
  check_spread_of(mention(mean_name, mean), mean, sd_name, sd, errors);
}

}  // namespace

std::span<const Parameter> parameters() { return kParameters; }

double max_under(const Parameter& p, std::span<const RangeCap> caps) {
  const RangeCap* cap = cap_of(p, caps);
  return cap ? cap->max : p.max;
}

std::string range_message(double min, double max, std::string_view unit, std::string_view where,
                          double got) {
  std::string unit_text;
  if (counted(unit)) {
    unit_text = fmt::format(" {}", unit);
  } else if (!unit.empty()) {
    unit_text = fmt::format(" ({})", unit);
  }
  return fmt::format("must be between {} and {}{}{}{}, got {}", number_text(min), number_text(max),
                     unit_text, where.empty() ? "" : " ", where, number_text(got));
}

std::string number_text(double value) {
  if (!std::isfinite(value) || std::trunc(value) != value || std::fabs(value) >= 1e18) {
    return fmt::format("{}", value);
  }
  const auto whole = static_cast<std::int64_t>(value);
  std::string digits = fmt::format("{}", whole < 0 ? -whole : whole);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return whole < 0 ? "-" + out : out;
}

const Parameter* find_parameter(std::string_view name) {
  for (const Parameter& p : kParameters) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::span<const Preset> presets() { return kPresets; }

const Preset* find_preset(std::string_view name) {
  for (const Preset& p : kPresets) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string_view nearest_parameter(std::string_view name) {
  std::string_view best;
  std::size_t best_distance = 0;
  for (const Parameter& p : kParameters) {
    const std::size_t d = edit_distance(name, p.name);
    if (best.empty() || d < best_distance) {
      best = p.name;
      best_distance = d;
    }
  }
  // A suggestion that needs more edits than a third of the word is noise.
  if (best_distance > std::max<std::size_t>(2, name.size() / 3)) return {};
  return best;
}

std::vector<FieldError> validate(const Scenario& s, std::span<const RangeCap> caps) {
  std::vector<FieldError> errors;
  for (const Parameter& p : kParameters) check_parameter(p, s, caps, errors);
  check_shares("age_shares", s.age_shares, kAgeBands, errors);
  if (!s.household_size) {
    check_shares("household_size_shares", s.household_size_shares, kHouseholdSizes, errors);
  }
  if (s.initial_infected > s.population) {
    errors.push_back(
        {"initial_infected", fmt::format("must not exceed {}, got {}",
                                         mention("population", static_cast<double>(s.population)),
                                         number_text(static_cast<double>(s.initial_infected)))});
  }
  if (s.school_max_age < s.school_min_age) {
    errors.push_back({"school_max_age",
                      fmt::format("must be at least {}, got {}: the school age range would be "
                                  "empty",
                                  mention("school_min_age", static_cast<double>(s.school_min_age)),
                                  s.school_max_age)});
  }
  if (s.retirement_age <= s.school_max_age) {
    errors.push_back(
        {"retirement_age",
         fmt::format("must be greater than {}, got {}: the working age range would be empty",
                     mention("school_max_age", static_cast<double>(s.school_max_age)),
                     s.retirement_age)});
  }
  if (s.incubation_days < s.latent_days) {
    errors.push_back(
        {"incubation_days",
         fmt::format("must be at least {}, got {}: symptoms cannot start before "
                     "infectiousness in this model",
                     mention("latent_days", s.latent_days), number_text(s.incubation_days))});
  }
  if (s.sick_days <= s.incubation_days) {
    errors.push_back({"sick_days", fmt::format("must be greater than {}, got {}",
                                               mention("incubation_days", s.incubation_days),
                                               number_text(s.sick_days))});
  }
  check_spread("incubation_days", s.incubation_days, "incubation_sd_days", s.incubation_sd_days,
               errors);
  check_spread_of(fmt::format("the incubation period minus the latent period ({} days)",
                              number_text(s.incubation_days - s.latent_days)),
                  s.incubation_days - s.latent_days, "presymptomatic_sd_days",
                  s.presymptomatic_sd_days, errors);
  check_spread_of(fmt::format("the illness duration minus the incubation period ({} days)",
                              number_text(s.sick_days - s.incubation_days)),
                  s.sick_days - s.incubation_days, "recovery_sd_days", s.recovery_sd_days, errors);
  check_spread("hospital_delay_days", s.hospital_delay_days, "hospital_delay_sd_days",
               s.hospital_delay_sd_days, errors);
  check_spread("hospital_days", s.hospital_days, "hospital_sd_days", s.hospital_sd_days, errors);
  check_spread("critical_delay_days", s.critical_delay_days, "critical_delay_sd_days",
               s.critical_delay_sd_days, errors);
  check_spread("critical_days", s.critical_days, "critical_sd_days", s.critical_sd_days, errors);
  check_spread("office_size", static_cast<double>(s.office_size), "office_size_sd",
               s.office_size_sd, errors);
  // Deaths happen in hospital, so no more than the hospitalised can die.
  const bool arrays_ok = s.fatality_by_age.size() == kAgeBands &&
                         s.symptomatic_by_age.size() == kAgeBands &&
                         s.hospital_by_age.size() == kAgeBands;
  if (!s.mortality_rate && arrays_ok) {
    for (std::size_t b = 0; b < kAgeBands; ++b) {
      const double symptomatic =
          s.asymptomatic_fraction ? 1 - *s.asymptomatic_fraction : s.symptomatic_by_age[b];
      const double hospitalised = symptomatic * s.hospital_by_age[b];
      if (s.fatality_by_age[b] > hospitalised * (1 + 1e-12)) {
        errors.push_back(
            {fmt::format("fatality_by_age[{}]", b),
             fmt::format("must not exceed the share of cases admitted to hospital in band {} "
                         "(symptomatic share x hospital admission = {:.6g}), got {}: deaths "
                         "happen in hospital",
                         kAgeBandLabels[b], hospitalised, s.fatality_by_age[b])});
      }
    }
  }
  check_interventions(s, errors);
  return errors;
}

}  // namespace outbreak::engine
