#include "outbreak/engine/scenario.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include <fmt/format.h>

namespace outbreak::engine {
namespace {

using S = Scenario;

// Upper bounds are set by the engine's compact state: agent ids are 32-bit,
// days are 16-bit, per-place infectious counts are 16-bit.
constexpr std::array kParameters = {
    Parameter{"population", "population", "agents", "Number of agents in the population.",
              &S::population, 1, 4'000'000'000.0},
    Parameter{"household_size", "population", "agents", "Agents per home.", &S::household_size, 1,
              100},
    Parameter{"office_size", "population", "agents", "Agents per office.", &S::office_size, 1,
              10'000},
    Parameter{"employment_rate", "population", "fraction",
              "Fraction of agents who go to an office at all.", &S::employment_rate, 0, 1},
    Parameter{"initial_infected", "population", "agents", "Agents infected on day 0.",
              &S::initial_infected, 0, 4'000'000'000.0},
    Parameter{"days", "run", "days", "Number of simulated days after day 0.", &S::days, 1, 3650},
    Parameter{"seed", "run", "", "Random seed; the same scenario and seed give the same output.",
              &S::seed, 0, static_cast<double>(kMaxSeed)},
    Parameter{"replicates", "run", "runs", "Independent runs with seeds seed, seed+1, ...",
              &S::replicates, 1, 1000},
    Parameter{"latent_days", "disease", "days", "Days from infection until infectious.",
              &S::latent_days, 1, 365},
    Parameter{"incubation_days", "disease", "days", "Days from infection until symptoms.",
              &S::incubation_days, 1, 365},
    Parameter{"sick_days", "disease", "days",
              "Days from infection until recovery or death (end of infectiousness).", &S::sick_days,
              2, 366},
    Parameter{"asymptomatic_fraction", "disease", "fraction",
              "Fraction of infected agents who never show symptoms.", &S::asymptomatic_fraction, 0,
              1},
    Parameter{"asymptomatic_infectiousness", "disease", "relative",
              "Infectiousness of an asymptomatic case relative to a symptomatic one.",
              &S::asymptomatic_infectiousness, 0, 1},
    Parameter{"mortality_rate", "disease", "probability",
              "Probability that a symptomatic case dies at the end of its illness.",
              &S::mortality_rate, 0, 1},
    Parameter{"home_infection_risk", "transmission", "probability per day",
              "Daily probability that one infectious housemate infects a susceptible one.",
              &S::home_infection_risk, 0, 1},
    Parameter{"work_infection_risk", "transmission", "probability per day",
              "Daily probability that one infectious office mate present infects a susceptible "
              "one.",
              &S::work_infection_risk, 0, 1},
    Parameter{"community_contacts", "transmission", "contacts per day",
              "Random contacts per day with anyone outside home and office (0 turns them off).",
              &S::community_contacts, 0, 1000},
    Parameter{"community_infection_risk", "transmission", "probability per contact",
              "Probability that one contact with an infectious agent transmits.",
              &S::community_infection_risk, 0, 1},
    Parameter{"symptomatic_isolation", "interventions", "",
              "Agents with symptoms stay at home (no office, no community contacts).",
              &S::symptomatic_isolation},
    Parameter{"contact_tracing", "interventions", "",
              "Detected symptomatic cases have their home and office isolated.",
              &S::contact_tracing},
    Parameter{"tracing_coverage", "interventions", "probability",
              "Probability that a symptomatic case is detected and traced.", &S::tracing_coverage,
              0, 1},
    Parameter{"tracing_delay_days", "interventions", "days",
              "Days from symptom onset until the contacts are isolated.", &S::tracing_delay_days, 0,
              365},
    Parameter{"isolation_days", "interventions", "days",
              "Days a traced contact stays isolated at home.", &S::isolation_days, 0, 365},
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

std::string format_bound(const Parameter& p, double bound) {
  if (p.kind() == ParameterKind::kInteger)
    return fmt::format("{}", static_cast<std::int64_t>(bound));
  return fmt::format("{}", bound);
}

template <typename T>
void check_range(const Parameter& p, T value, std::vector<FieldError>& errors) {
  const auto v = static_cast<double>(value);
  if (std::isfinite(v) && v >= p.min && v <= p.max) return;
  errors.push_back({std::string(p.name), fmt::format("must be between {} and {} ({}), got {}",
                                                     format_bound(p, p.min), format_bound(p, p.max),
                                                     p.unit.empty() ? "number" : p.unit, value)});
}

}  // namespace

std::span<const Parameter> parameters() { return kParameters; }

const Parameter* find_parameter(std::string_view name) {
  for (const Parameter& p : kParameters) {
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

std::vector<FieldError> validate(const Scenario& s) {
  std::vector<FieldError> errors;
  for (const Parameter& p : kParameters) {
    std::visit(
        [&](auto member) {
          using T = std::remove_cvref_t<decltype(s.*member)>;
          if constexpr (!std::is_same_v<T, bool>) check_range(p, s.*member, errors);
        },
        p.member);
  }
  if (s.initial_infected > s.population) {
    errors.push_back({"initial_infected", fmt::format("must not exceed population ({}), got {}",
                                                      s.population, s.initial_infected)});
  }
  if (s.incubation_days < s.latent_days) {
    errors.push_back({"incubation_days",
                      fmt::format("must be at least latent_days ({}), got {}: symptoms cannot "
                                  "start before infectiousness in this model",
                                  s.latent_days, s.incubation_days)});
  }
  if (s.sick_days <= s.incubation_days) {
    errors.push_back({"sick_days", fmt::format("must be greater than incubation_days ({}), got {}",
                                               s.incubation_days, s.sick_days)});
  }
  return errors;
}

}  // namespace outbreak::engine
