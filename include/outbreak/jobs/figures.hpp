// Key figures: what a finished run of an epidemic amounts to (peak, attack
// rate, deaths, whether it was still spreading at the end), per replicate
// and over the complete ones (docs/api.md#figures).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "outbreak/engine/day_totals.hpp"
#include "outbreak/store/store.hpp"

namespace outbreak::jobs {

// The days over which a run counts as still spreading: new infections in
// any of its last kSpreadingDays days mean its totals are not final.
inline constexpr std::int64_t kSpreadingDays = 7;

// The key figures of replicate `replicate` (0-based) from its days, in day
// order from day 0. peak_* are the largest currently_infected / hospitalized
// and the first day they were reached; total_infected, dead and
// infected_at_end come from the last day; still_spreading when the last
// kSpreadingDays days (all of them, if fewer) had new infections;
// ended_on_day is the first day from which no agent was infected and every
// later day repeats its counts of agents in each state (the epidemic had
// settled), else nullopt. No days: all zero, not spreading, not ended.
store::RunFigures run_figures(std::int64_t replicate, std::span<const engine::DayTotals> days);

// The "figures" of a simulation document: null when `runs` is empty, else
// {"population", "days", "replicates", "complete", "partial", "runs": [...],
// "mean", "p5", "p95", "still_spreading"}, each run with its replicate
// 1-based and "attack_rate" = total_infected / population. mean/p5/p95 use
// the rule of the day summaries (linear interpolation between order
// statistics), rounded to six decimals. `partial` when the job ended
// cancelled or failed with fewer complete runs than `replicates`.
nlohmann::ordered_json figures_document(const std::vector<store::RunFigures>& runs,
                                        std::int64_t population, std::int64_t days,
                                        std::int64_t replicates, store::JobStatus status);

}  // namespace outbreak::jobs
