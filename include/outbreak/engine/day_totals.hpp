// DayTotals: the population's state at the end of one simulated day.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace outbreak::engine {

// Counts at the end of `day`. Invariant: susceptible + currently_infected +
// recovered + dead == population. `infectious` includes the symptomatic;
// `currently_infected` = exposed + infectious; `total_infected` is cumulative
// and includes the initial cases; `new_infections` on day 0 are the initial
// cases, later ones split into home + work + community.
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

  bool operator==(const DayTotals&) const = default;
};

struct DayColumn {
  std::string_view name;
  std::int64_t DayTotals::*member;
};

// The output columns, in their documented order.
inline constexpr std::array<DayColumn, 14> kDayColumns = {{
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
}};

}  // namespace outbreak::engine
