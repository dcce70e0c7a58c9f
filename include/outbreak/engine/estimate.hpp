// The basic reproduction number R0, the generation interval and the early
// growth rate of a scenario, computed from its parameters without
// simulating (docs/model.md, "Estimating R0 and the doubling time").
//
// The estimate is for the start of an epidemic in a fully susceptible
// population without interventions: the policy timeline and the flat
// intervention keys (symptomatic_isolation, contact_tracing) are ignored.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "outbreak/engine/scenario.hpp"

namespace outbreak::engine {

struct Estimate {
  // The reproduction number of the early epidemic: the largest eigenvalue
  // of the next-generation operator over types of case, where a case
  // infected in a home, class or workplace continues that place's outbreak
  // (whose susceptibles are used up) and starts outbreaks in its other
  // places. Below 1 the epidemic cannot grow.
  double r0 = 0;
  // The generation interval: probability that a transmission happens d
  // days after the source's infection (index d; entry 0 is always 0).
  std::vector<double> generation_interval;
  double generation_time_days = 0;  // its mean
  // The growth rate r solving 1 = R0 * sum_d g(d) e^(-r d) (Euler-Lotka);
  // none when R0 = 0 (nothing transmits).
  std::optional<double> growth_rate_per_day;
  // ln 2 / r when r > 0, ln 2 / -r when r < 0; none otherwise.
  std::optional<double> doubling_time_days;
  std::optional<double> halving_time_days;
  // Share of the typical case's transmissions in each setting: home,
  // school, work, community (0 each when R0 = 0).
  std::array<double, 4> route_shares{};
};

// The estimate for a scenario that engine::validate accepts. Costs a few
// milliseconds, whatever the population.
Estimate estimate(const Scenario& scenario);

}  // namespace outbreak::engine
