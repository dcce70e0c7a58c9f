// DayTotals: the population's state at the end of one simulated day.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

namespace outbreak::engine {

// Counts at the end of `day`. Invariant: susceptible + currently_infected +
// recovered + dead == population. `infectious` includes the symptomatic;
// `currently_infected` = exposed + infectious; `total_infected` is cumulative
// and includes the initial cases; `new_infections` on day 0 are the initial
// cases, later ones split into home + work + community + school.
// `hospitalized` counts agents in hospital (critical care included) and is
// part of `infectious` or `currently_infected` only while they are still
// infectious; see docs/model.md#output.
struct DayTotals {
  std::int64_t day = 0;
  std::int64_t susceptible = 0;
  std::int64_t exposed = 0;
  std::int64_t infectious = 0;
  std::int64_t symptomatic = 0;
  std::int64_t currently_infected = 0;
  std::int64_t isolated = 0;
  std::int64_t recovered = 0;
  std::int64_t dead = 0;
  std::int64_t total_infected = 0;
  std::int64_t new_infections = 0;
  std::int64_t infections_home = 0;
  std::int64_t infections_work = 0;
  std::int64_t infections_community = 0;
  std::int64_t hospitalized = 0;
  std::int64_t critical = 0;
  std::int64_t new_hospitalizations = 0;
  std::int64_t new_deaths = 0;
  // Mean number of agents infected by the agents infected on this day; NaN
  // while not yet known (some of them are still infectious).
  double r_t = std::numeric_limits<double>::quiet_NaN();
  std::int64_t infections_school = 0;
  // Interventions (docs/model.md#output): symptom onsets today; tests taken
  // and positive results returned today; cases isolating today; agents
  // quarantined by contact tracing for the coming day (the same count as
  // `isolated`, which keeps its original name and meaning); contacts found
  // by tracing today; agents vaccinated so far.
  std::int64_t new_symptomatic = 0;
  std::int64_t tests = 0;
  std::int64_t positive_tests = 0;
  std::int64_t isolating = 0;
  std::int64_t quarantined = 0;
  std::int64_t traced_contacts = 0;
  std::int64_t vaccinated = 0;
  // Timeline items active on this day: bit i of the set is item i of
  // Scenario::timeline().
  std::array<std::uint64_t, 2> active{};

  bool is_active(std::size_t item) const { return (active[item / 64] >> (item % 64)) & 1; }
  void set_active(std::size_t item) { active[item / 64] |= std::uint64_t{1} << (item % 64); }

  bool operator==(const DayTotals& o) const;  // NaN r_t equals NaN r_t
};

// One output column: an integer count (`member`) or a real (`real`, NaN
// written as empty). Exactly one of the two is set.
struct DayColumn {
  std::string_view name;
  std::int64_t DayTotals::*member = nullptr;
  double DayTotals::*real = nullptr;

  // The column's value as a double (NaN for an unknown real).
  double value(const DayTotals& d) const {
    return member != nullptr ? static_cast<double>(d.*member) : d.*real;
  }
};

// The output columns, in their documented order.
inline constexpr std::array<DayColumn, 27> kDayColumns = {{
    {"day", &DayTotals::day},
    {"susceptible", &DayTotals::susceptible},
    {"exposed", &DayTotals::exposed},
    {"infectious", &DayTotals::infectious},
    {"symptomatic", &DayTotals::symptomatic},
    {"currently_infected", &DayTotals::currently_infected},
    {"isolated", &DayTotals::isolated},
    {"recovered", &DayTotals::recovered},
    {"dead", &DayTotals::dead},
    {"total_infected", &DayTotals::total_infected},
    {"new_infections", &DayTotals::new_infections},
    {"infections_home", &DayTotals::infections_home},
    {"infections_work", &DayTotals::infections_work},
    {"infections_community", &DayTotals::infections_community},
    {"hospitalized", &DayTotals::hospitalized},
    {"critical", &DayTotals::critical},
    {"new_hospitalizations", &DayTotals::new_hospitalizations},
    {"new_deaths", &DayTotals::new_deaths},
    {"r_t", nullptr, &DayTotals::r_t},
    {"infections_school", &DayTotals::infections_school},
    {"new_symptomatic", &DayTotals::new_symptomatic},
    {"tests", &DayTotals::tests},
    {"positive_tests", &DayTotals::positive_tests},
    {"isolating", &DayTotals::isolating},
    {"quarantined", &DayTotals::quarantined},
    {"traced_contacts", &DayTotals::traced_contacts},
    {"vaccinated", &DayTotals::vaccinated},
}};

inline bool DayTotals::operator==(const DayTotals& o) const {
  if (active != o.active) return false;
  for (const DayColumn& c : kDayColumns) {
    if (c.member != nullptr) {
      if (this->*c.member != o.*c.member) return false;
    } else {
      const double a = this->*c.real;
      const double b = o.*c.real;
      if (!(a == b || (a != a && b != b))) return false;
    }
  }
  return true;
}

}  // namespace outbreak::engine
