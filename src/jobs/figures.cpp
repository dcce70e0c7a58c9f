#include "outbreak/jobs/figures.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>
#include <utility>

namespace outbreak::jobs {
namespace {

using nlohmann::ordered_json;

// The counts of agents in each state: a settled epidemic repeats them every
// day (the flows, such as tests, may go on).
constexpr std::array<std::int64_t engine::DayTotals::*, 14> kStocks = {
    &engine::DayTotals::susceptible,        &engine::DayTotals::exposed,
    &engine::DayTotals::infectious,         &engine::DayTotals::symptomatic,
    &engine::DayTotals::currently_infected, &engine::DayTotals::isolated,
    &engine::DayTotals::recovered,          &engine::DayTotals::dead,
    &engine::DayTotals::total_infected,     &engine::DayTotals::hospitalized,
    &engine::DayTotals::critical,           &engine::DayTotals::isolating,
    &engine::DayTotals::quarantined,        &engine::DayTotals::vaccinated,
};

bool same_stocks(const engine::DayTotals& a, const engine::DayTotals& b) {
  return std::all_of(kStocks.begin(), kStocks.end(),
                     [&](auto member) { return a.*member == b.*member; });
}

// The figures averaged over the runs, each as a double of one run.
using Figure = std::pair<std::string_view, double (*)(const store::RunFigures&, double)>;
constexpr std::array<Figure, 9> kFigures = {{
    {"peak_infected", [](const store::RunFigures& f, double) { return double(f.peak_infected); }},
    {"peak_day", [](const store::RunFigures& f, double) { return double(f.peak_day); }},
    {"total_infected", [](const store::RunFigures& f, double) { return double(f.total_infected); }},
    {"attack_rate",
     [](const store::RunFigures& f, double population) {
       return population > 0 ? double(f.total_infected) / population : 0.0;
     }},
    {"dead", [](const store::RunFigures& f, double) { return double(f.dead); }},
    {"peak_hospitalized",
     [](const store::RunFigures& f, double) { return double(f.peak_hospitalized); }},
    {"peak_hospitalized_day",
     [](const store::RunFigures& f, double) { return double(f.peak_hospitalized_day); }},
    {"infected_at_end",
     [](const store::RunFigures& f, double) { return double(f.infected_at_end); }},
    {"new_infections_last_7_days",
     [](const store::RunFigures& f, double) { return double(f.new_infections_last_7_days); }},
}};

// Linear interpolation between order statistics (Hyndman & Fan type 7), the
// rule of engine::summarize(); `sorted` is not empty.
double percentile(const std::vector<double>& sorted, double q) {
  const double h = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

// Six decimals, and an integer when whole, as the day summaries print.
ordered_json rounded(double value) {
  const double r = std::round(value * 1e6) / 1e6;
  if (r == std::floor(r) && std::abs(r) < 9e15) return static_cast<std::int64_t>(r);
  return r;
}

}  // namespace

store::RunFigures run_figures(std::int64_t replicate, std::span<const engine::DayTotals> days) {
  store::RunFigures f;
  f.replicate = replicate;
  if (days.empty()) return f;
  for (const engine::DayTotals& d : days) {
    if (d.currently_infected > f.peak_infected) {
      f.peak_infected = d.currently_infected;
      f.peak_day = d.day;
    }
    if (d.hospitalized > f.peak_hospitalized) {
      f.peak_hospitalized = d.hospitalized;
      f.peak_hospitalized_day = d.day;
    }
  }
  if (f.peak_infected == 0) f.peak_day = days.front().day;
  if (f.peak_hospitalized == 0) f.peak_hospitalized_day = days.front().day;
  const engine::DayTotals& last = days.back();
  f.total_infected = last.total_infected;
  f.dead = last.dead;
  f.infected_at_end = last.currently_infected;
  const std::size_t recent = std::min<std::size_t>(days.size(), kSpreadingDays);
  for (std::size_t i = days.size() - recent; i < days.size(); ++i) {
    f.new_infections_last_7_days += days[i].new_infections;
  }
  f.still_spreading = f.new_infections_last_7_days > 0;
  if (last.currently_infected == 0) {
    std::size_t first = days.size() - 1;
    while (first > 0 && days[first - 1].currently_infected == 0 &&
           same_stocks(days[first - 1], last)) {
      --first;
    }
    f.ended_on_day = days[first].day;
  }
  return f;
}

ordered_json figures_document(const std::vector<store::RunFigures>& runs, std::int64_t population,
                              std::int64_t days, std::int64_t replicates, store::JobStatus status) {
  if (runs.empty()) return nullptr;
  const auto pop = static_cast<double>(population);
  ordered_json list = ordered_json::array();
  std::int64_t spreading = 0;
  for (const store::RunFigures& f : runs) {
    ordered_json run;
    run["replicate"] = f.replicate + 1;
    run["peak_infected"] = f.peak_infected;
    run["peak_day"] = f.peak_day;
    run["total_infected"] = f.total_infected;
    run["attack_rate"] = rounded(kFigures[3].second(f, pop));
    run["dead"] = f.dead;
    run["peak_hospitalized"] = f.peak_hospitalized;
    run["peak_hospitalized_day"] = f.peak_hospitalized_day;
    run["infected_at_end"] = f.infected_at_end;
    run["new_infections_last_7_days"] = f.new_infections_last_7_days;
    run["still_spreading"] = f.still_spreading;
    run["ended_on_day"] = f.ended_on_day ? ordered_json(*f.ended_on_day) : nullptr;
    list.push_back(std::move(run));
    if (f.still_spreading) ++spreading;
  }
  ordered_json mean = ordered_json::object();
  ordered_json p5 = ordered_json::object();
  ordered_json p95 = ordered_json::object();
  std::vector<double> values;
  for (const auto& [name, of] : kFigures) {
    values.clear();
    double sum = 0;
    for (const store::RunFigures& f : runs) {
      values.push_back(of(f, pop));
      sum += values.back();
    }
    std::sort(values.begin(), values.end());
    mean[std::string(name)] = rounded(sum / static_cast<double>(values.size()));
    p5[std::string(name)] = rounded(percentile(values, 0.05));
    p95[std::string(name)] = rounded(percentile(values, 0.95));
  }
  const auto complete = static_cast<std::int64_t>(runs.size());
  const bool ended_early =
      status == store::JobStatus::kCancelled || status == store::JobStatus::kFailed;
  ordered_json out;
  out["population"] = population;
  out["days"] = days;
  out["replicates"] = replicates;
  out["complete"] = complete;
  out["partial"] = ended_early && complete < replicates;
  out["runs"] = std::move(list);
  out["mean"] = std::move(mean);
  out["p5"] = std::move(p5);
  out["p95"] = std::move(p95);
  out["still_spreading"] = spreading;
  return out;
}

}  // namespace outbreak::jobs
