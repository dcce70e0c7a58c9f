// Ensemble: the `replicates` runs of a scenario (seeds seed, seed+1, ...) and
// their per-day summary.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <vector>

#include "outbreak/engine/day_totals.hpp"
#include "outbreak/engine/line_list.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::engine {

using DayValues = std::array<double, kDayColumns.size()>;

// Per day and column: mean, 5th and 95th percentile over the replicates
// (percentiles interpolate linearly between order statistics).
struct Summary {
  std::vector<DayValues> mean;
  std::vector<DayValues> p5;
  std::vector<DayValues> p95;
};

struct EnsembleResult {
  std::vector<std::vector<DayTotals>> replicates;  // [replicate][day], r_t filled in where known
  std::vector<AgeTotals> age_totals;               // [replicate], at the last day
  // [replicate]: the day after which nothing changed any more
  // (Simulation::ended_on_day), nullopt if something could still change.
  std::vector<std::optional<std::int64_t>> ended_on_day;
  Summary summary;
};

struct Progress {
  std::int64_t replicate = 0;  // 0-based
  std::int64_t replicates = 1;
  std::int64_t day = 0;
  std::int64_t days = 0;
};

struct EnsembleOptions {
  int threads = 0;                                                       // 0 = all hardware threads
  std::function<void(const Progress&)> on_progress;                      // optional
  std::function<void(std::int64_t replicate, const DayTotals&)> on_day;  // optional
  // Optional: an earlier day's r_t once known (see DayObserver::on_r_t).
  std::function<void(std::int64_t replicate, std::int64_t day, double r_t)> on_r_t;
  // Optional: each day's infections, for a line list (slower, see DayObserver).
  std::function<void(std::int64_t replicate, std::span<const Infection>)> on_infections;
  // Optional, with on_infections: each day's case events (DayObserver::on_case_events).
  std::function<void(std::int64_t replicate, std::span<const CaseEvent>)> on_case_events;
  // Optional: a replicate's last day has been reported; with its ended_on_day.
  std::function<void(std::int64_t replicate, std::optional<std::int64_t> ended_on_day)>
      on_replicate_end;
  std::stop_token stop;
  // Off only to check that stopping early changes no row (Simulation::set_early_stop).
  bool early_stop = true;
};

// Runs every replicate in order. Errors: kInvalidInput (with every bad
// field) for an invalid scenario, kCancelled if `stop` fired.
Result<EnsembleResult> run_ensemble(const Scenario& scenario, const EnsembleOptions& options);

// The summary of equally long replicate series.
Summary summarize(const std::vector<std::vector<DayTotals>>& replicates);

}  // namespace outbreak::engine
