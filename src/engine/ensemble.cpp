#include "outbreak/engine/ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "outbreak/engine/population.hpp"
#include "outbreak/engine/simulation.hpp"

namespace outbreak::engine {
namespace {

// Linear interpolation between order statistics (Hyndman & Fan type 7, the
// default of R and NumPy), so p5/p95 agree with what users compute themselves.
double percentile(std::vector<double>& sorted_values, double q) {
  const double h = q * static_cast<double>(sorted_values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted_values.size() - 1);
  return sorted_values[lo] +
         (h - static_cast<double>(lo)) * (sorted_values[hi] - sorted_values[lo]);
}

class Collector final : public DayObserver {
 public:
  Collector(std::int64_t replicate, const EnsembleOptions& options, std::int64_t replicates,
            std::int64_t days, std::vector<DayTotals>& rows)
      : replicate_(replicate),
        options_(options),
        replicates_(replicates),
        days_(days),
        rows_(rows) {}

  void on_day(const DayTotals& totals) override {
    rows_.push_back(totals);
    if (options_.on_day) options_.on_day(replicate_, totals);
    if (options_.on_progress) options_.on_progress({replicate_, replicates_, totals.day, days_});
  }
  void on_r_t(std::int64_t day, double r_t) override {
    rows_[static_cast<std::size_t>(day)].r_t = r_t;
    if (options_.on_r_t) options_.on_r_t(replicate_, day, r_t);
  }
  bool wants_infections() const override { return static_cast<bool>(options_.on_infections); }
  void on_infections(std::span<const Infection> infections) override {
    options_.on_infections(replicate_, infections);
  }
  void on_case_events(std::span<const CaseEvent> events) override {
    if (options_.on_case_events) options_.on_case_events(replicate_, events);
  }

 private:
  std::int64_t replicate_;
  const EnsembleOptions& options_;
  std::int64_t replicates_;
  std::int64_t days_;
  std::vector<DayTotals>& rows_;
};

}  // namespace

Summary summarize(const std::vector<std::vector<DayTotals>>& replicates) {
  Summary summary;
  if (replicates.empty()) return summary;
  const std::size_t days = replicates.front().size();
  for (const auto& series : replicates) {
    if (series.size() != days) throw std::invalid_argument("summarize: unequal replicate lengths");
  }
  summary.mean.resize(days);
  summary.p5.resize(days);
  summary.p95.resize(days);
  std::vector<double> values(replicates.size());
  for (std::size_t day = 0; day < days; ++day) {
    for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
      double sum = 0;
      for (std::size_t r = 0; r < replicates.size(); ++r) {
        values[r] = kDayColumns[c].value(replicates[r][day]);
        sum += values[r];
      }
      std::sort(values.begin(), values.end());
      summary.mean[day][c] = sum / static_cast<double>(values.size());
      summary.p5[day][c] = percentile(values, 0.05);
      summary.p95[day][c] = percentile(values, 0.95);
    }
  }
  return summary;
}

Result<EnsembleResult> run_ensemble(const Scenario& scenario, const EnsembleOptions& options) {
  if (auto errors = validate(scenario); !errors.empty()) {
    return Error::invalid("invalid scenario", std::move(errors));
  }
  EnsembleResult result;
  result.replicates.resize(static_cast<std::size_t>(scenario.replicates));
  for (std::int64_t r = 0; r < scenario.replicates; ++r) {
    const auto seed = static_cast<std::uint64_t>(scenario.seed + r);
    auto& rows = result.replicates[static_cast<std::size_t>(r)];
    rows.reserve(static_cast<std::size_t>(scenario.days) + 1);
    Simulation simulation(scenario, Population(scenario, seed, options.threads), seed,
                          options.threads);
    simulation.set_early_stop(options.early_stop);
    Collector collector(r, options, scenario.replicates, scenario.days, rows);
    if (Status status = simulation.run(collector, options.stop); !status) return status.error();
    result.age_totals.push_back(simulation.age_totals());
    result.ended_on_day.push_back(simulation.ended_on_day());
    if (options.on_replicate_end) options.on_replicate_end(r, simulation.ended_on_day());
  }
  result.summary = summarize(result.replicates);
  return result;
}

}  // namespace outbreak::engine
