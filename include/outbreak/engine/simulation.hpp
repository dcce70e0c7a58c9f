// Simulation: one run of one scenario with one seed, day by day.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>

#include "outbreak/engine/day_totals.hpp"
#include "outbreak/engine/line_list.hpp"
#include "outbreak/engine/population.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::engine {

// Receives each day's totals, in day order, on the thread that calls run().
class DayObserver {
 public:
  virtual ~DayObserver() = default;
  virtual void on_day(const DayTotals& totals) = 0;
  // The r_t of an earlier `day`, once every agent infected that day has
  // stopped being infectious (and, when the run ends, for every day whose
  // value is known by then). Called at most once per day, before on_day of
  // the day that settled it.
  virtual void on_r_t(std::int64_t /*day*/, double /*r_t*/) {}
  // Only when wants_infections() is true: the day's infections sorted by
  // agent, before on_day of that day (day 0: the initial infections).
  virtual bool wants_infections() const { return false; }
  virtual void on_infections(std::span<const Infection> /*infections*/) {}
  // Only when wants_infections() is true: the day's case events sorted by
  // agent (then kind), after on_infections of that day.
  virtual void on_case_events(std::span<const CaseEvent> /*events*/) {}
};

// A run of `scenario` on `population` with `seed`. The simulation keeps its
// own copy of the scenario, so nothing can change a run in flight. The output
// depends only on (scenario, population, seed): never on `threads`. Not
// thread-safe: one caller drives it; it uses up to `threads` threads inside
// each step (0 = all hardware threads).
class Simulation {
 public:
  // Seeds the initial infections (day 0). Throws std::invalid_argument if the
  // scenario is invalid or does not match the population.
  Simulation(const Scenario& scenario, Population population, std::uint64_t seed, int threads);
  ~Simulation();
  Simulation(Simulation&&) noexcept;
  Simulation& operator=(Simulation&&) noexcept;

  // Totals of the current day: day 0 right after construction.
  const DayTotals& today() const;
  // True once the last day (scenario.days) has been simulated.
  bool finished() const;
  // Advances one day and returns its totals. Requires !finished().
  const DayTotals& step();

  // The day at whose end nothing could change any more (no agent exposed,
  // infectious or in hospital, nobody isolating or quarantined, no test or
  // tracing pending, no vaccination left to give): every later day repeats
  // its totals (new counts 0, the same r_t as a full run). nullopt while
  // something can still change. Known as soon as that day is stepped.
  std::optional<std::int64_t> ended_on_day() const;
  // On (the default), days after ended_on_day() skip the work that can no
  // longer find anything; their totals are the same either way. Off only to
  // check that claim.
  void set_early_stop(bool on);

  // Reports the current day, then steps until finished, reporting each day.
  // Checks `stop` between days; returns ErrorCode::kCancelled if it fired.
  Status run(DayObserver& observer, std::stop_token stop = {});

  const Population& population() const;
  // Totals by age band up to the current day.
  const AgeTotals& age_totals() const;
  // Bytes held by the simulation, population included.
  std::size_t memory_bytes() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Bytes a run of `scenario` needs at most, population included; computed
// without allocating so that an impossible run can be refused up front.
std::uint64_t estimate_memory_bytes(const Scenario& scenario);

}  // namespace outbreak::engine
