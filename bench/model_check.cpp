// How the model behaves, measured: the figures of docs/model.md's "How the
// defaults behave", each printed next to the literature value it should
// match. Every figure comes from the line list of real runs (seeds 1 ... K),
// so the table is reproducible with the command alone:
//
//   build/bench/outbreak_model_check [--population N] [--seeds K] [--set key=value ...]
//
// Early-epidemic figures (R0, intervals, presymptomatic share, dispersion,
// household attack rate) use the cases infected while fewer than 1% of the
// population had been infected, so that depletion of susceptibles barely
// touches their offspring; route split and IFR use whole runs.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "outbreak/engine/estimate.hpp"
#include "outbreak/engine/line_list.hpp"
#include "outbreak/engine/population.hpp"
#include "outbreak/engine/simulation.hpp"
#include "outbreak/io/scenario_json.hpp"

namespace {

using namespace outbreak;
using engine::Infection;

class Collect final : public engine::DayObserver {
 public:
  void on_day(const engine::DayTotals& totals) override { rows.push_back(totals); }
  bool wants_infections() const override { return true; }
  void on_infections(std::span<const Infection> day) override {
    infections.insert(infections.end(), day.begin(), day.end());
  }
  std::vector<engine::DayTotals> rows;
  std::vector<Infection> infections;
};

struct Moments {
  double n = 0, sum = 0, squares = 0;
  void add(double x) {
    n += 1;
    sum += x;
    squares += x * x;
  }
  double mean() const { return n > 0 ? sum / n : NAN; }
  double sd() const { return n > 1 ? std::sqrt((squares - sum * sum / n) / (n - 1)) : NAN; }
};

struct Early {
  Moments offspring, generation, serial;
  double presymptomatic = 0, from_symptomatic = 0, from_asymptomatic = 0, transmissions = 0;
  double home_infected = 0, home_contacts = 0;
  std::array<double, 5> routes{};
  double infected = 0;
  engine::AgeTotals ages;
  Moments growth;  // per run: ln(C(t2) / C(t1)) / (t2 - t1), C cumulative infections
  Moments r0;      // per run: mean secondary cases of its early cases
};

// One run: adds its early cases' figures and its whole-run totals to `e`.
void measure(const engine::Scenario& s, std::uint64_t seed, Early& e) {
  engine::Simulation simulation(s, engine::Population(s, seed, 2), seed, 2);
  Collect c;
  if (!simulation.run(c).ok()) throw std::runtime_error("run failed");
  const engine::Population& pop = simulation.population();
  // The last day with fewer than 1% of the population infected.
  std::int64_t early_day = 0;
  for (const auto& d : c.rows) {
    if (static_cast<double>(d.total_infected) < 0.01 * static_cast<double>(s.population)) {
      early_day = d.day;
    }
  }
  std::unordered_map<std::uint32_t, const Infection*> by_agent;
  std::unordered_map<std::uint32_t, std::int64_t> children;
  for (const Infection& x : c.infections) by_agent[x.agent] = &x;
  for (const Infection& x : c.infections) {
    e.routes[static_cast<std::size_t>(x.route)] += 1;
    if (x.infector == engine::kNoInfector) continue;
    const Infection& from = *by_agent.at(x.infector);
    if (from.day_infected > early_day) continue;
    ++children[from.agent];
    e.generation.add(x.day_infected - from.day_infected);
    e.transmissions += 1;
    if (from.day_symptoms == engine::kNoDay) {
      e.from_asymptomatic += 1;
    } else {
      e.from_symptomatic += 1;
      if (x.day_infected < from.day_symptoms) e.presymptomatic += 1;
      if (x.day_symptoms != engine::kNoDay) e.serial.add(x.day_symptoms - from.day_symptoms);
    }
    if (x.route == engine::InfectionRoute::kHome) e.home_infected += 1;
  }
  // Early growth rate: cumulative infections from 0.1% (at least 100) to 2%
  // of the population, where depletion of susceptibles is still small.
  const double from = std::max(100.0, 0.001 * static_cast<double>(s.population));
  const double to = 0.02 * static_cast<double>(s.population);
  std::int64_t t1 = -1, t2 = -1;
  double c1 = 0, c2 = 0;
  for (const auto& d : c.rows) {
    const auto total = static_cast<double>(d.total_infected);
    if (t1 < 0 && total >= from) t1 = d.day, c1 = total;
    if (t2 < 0 && total >= to) t2 = d.day, c2 = total;
  }
  if (t1 >= 0 && t2 > t1) e.growth.add(std::log(c2 / c1) / static_cast<double>(t2 - t1));
  Moments run;
  for (const Infection& x : c.infections) {
    if (x.day_infected > early_day || x.day_resolved > s.days) continue;  // offspring incomplete
    run.add(static_cast<double>(children[x.agent]));
    e.offspring.add(static_cast<double>(children[x.agent]));
    e.home_contacts += pop.home_size(x.agent) - 1;
  }
  if (run.n > 0) e.r0.add(run.mean());
  e.infected += static_cast<double>(c.infections.size());
  const engine::AgeTotals& a = simulation.age_totals();
  for (std::size_t b = 0; b < engine::kAgeBands; ++b) {
    e.ages.agents[b] += a.agents[b];
    e.ages.infected[b] += a.infected[b];
    e.ages.hospitalized[b] += a.hospitalized[b];
    e.ages.critical[b] += a.critical[b];
    e.ages.dead[b] += a.dead[b];
  }
}

void row(const std::string& what, const std::string& measured, const std::string& literature) {
  fmt::print("| {} | {} | {} |\n", what, measured, literature);
}

void report(const Early& e) {
  const double k = e.offspring.mean() * e.offspring.mean() /
                   (e.offspring.sd() * e.offspring.sd() - e.offspring.mean());
  fmt::print("| figure | measured | literature |\n|---|---|---|\n");
  row("R0 per run, mean (sd over runs)",
      fmt::format("{:.2f} ({:.2f}, {:.0f} runs)", e.r0.mean(), e.r0.sd(), e.r0.n), "");
  row("early growth rate per day, mean (sd over runs)",
      fmt::format("{:.3f} ({:.3f}, {:.0f} runs); doubling time {:.1f} days", e.growth.mean(),
                  e.growth.sd(), e.growth.n, std::log(2.0) / e.growth.mean()),
      "");
  row("R0 (mean secondary cases, early cases)", fmt::format("{:.2f}", e.offspring.mean()),
      "2.4 (Ferguson et al. 2020, Report 9); 2.8 median of early estimates (Liu et al. 2020)");
  row("generation interval, mean (sd), days",
      fmt::format("{:.2f} ({:.2f})", e.generation.mean(), e.generation.sd()),
      "5.0 (1.9) (Ferretti et al. 2020); 5.2 (Ganyani et al. 2020)");
  row("serial interval, mean (sd), days",
      fmt::format("{:.2f} ({:.2f})", e.serial.mean(), e.serial.sd()),
      "5.2-5.4 pooled (Rai et al. 2021); 4.0-4.7 (Nishiura et al. 2020)");
  row("presymptomatic share of transmission from symptomatic cases",
      fmt::format("{:.0f}%", 100 * e.presymptomatic / e.from_symptomatic),
      "44% (30-57%) (He et al. 2020, corrected); 46-69% (Casey-Bryars et al. 2021)");
  row("share of transmission from asymptomatic cases",
      fmt::format("{:.0f}%", 100 * e.from_asymptomatic / e.transmissions),
      "about 6-20% (Ferretti et al. 2020; Buitrago-Garcia et al. 2020)");
  row("dispersion k of secondary cases", fmt::format("{:.2f}", k),
      "0.1 (0.05-0.2) (Endo et al. 2020); 0.1-0.6 (Adam et al. 2020; Bi et al. 2020)");
  row("household secondary attack rate",
      fmt::format("{:.1f}%", 100 * e.home_infected / e.home_contacts),
      "16.6% (14.0-19.3%) (Madewell et al. 2020); 18.9% (Madewell et al. 2021)");
  const double infections = e.routes[1] + e.routes[2] + e.routes[3] + e.routes[4];
  row("transmission by route: home / work / school / community",
      fmt::format("{:.0f}% / {:.0f}% / {:.0f}% / {:.0f}%", 100 * e.routes[1] / infections,
                  100 * e.routes[2] / infections, 100 * e.routes[3] / infections,
                  100 * e.routes[4] / infections),
      "about one third each: households, schools and workplaces, community (Ferguson et al. 2020)");
  double infected = 0, dead = 0;
  std::string by_age;
  for (std::size_t b = 0; b < engine::kAgeBands; ++b) {
    infected += static_cast<double>(e.ages.infected[b]);
    dead += static_cast<double>(e.ages.dead[b]);
    by_age += fmt::format("{}{}: {:.3f}%", b ? ", " : "", engine::kAgeBandLabels[b],
                          e.ages.infected[b] ? 100.0 * static_cast<double>(e.ages.dead[b]) /
                                                   static_cast<double>(e.ages.infected[b])
                                             : NAN);
  }
  row("infection fatality ratio, overall", fmt::format("{:.2f}%", 100 * dead / infected),
      "0.66% (0.39-1.33%) (Verity et al. 2020, China's age structure)");
  row("infection fatality ratio by age", by_age,
      "0.0016, 0.007, 0.031, 0.084, 0.16, 0.60, 1.9, 4.3, 7.8% (Verity et al. 2020)");
  fmt::print("\nearly cases: {:.0f}; transmissions from them: {:.0f}; infections: {:.0f}\n",
             e.offspring.n, e.transmissions, e.infected);
}

// Early R with symptomatic isolation and contact tracing at `coverage`, for
// tracing delays of 0 ... 4 days (Kretzschmar et al. 2020 vary the same).
void tracing_table(const engine::Scenario& base, int seeds, double coverage) {
  fmt::print(
      "\n| tracing delay, days | early R, isolation + tracing at {:.0f}% coverage |\n"
      "|---|---|\n",
      100 * coverage);
  Early none;
  for (int seed = 1; seed <= seeds; ++seed) measure(base, static_cast<std::uint64_t>(seed), none);
  fmt::print("| no intervention | {:.2f} |\n", none.offspring.mean());
  engine::Scenario isolation = base;
  isolation.symptomatic_isolation = true;
  Early isolated;
  for (int seed = 1; seed <= seeds; ++seed) {
    measure(isolation, static_cast<std::uint64_t>(seed), isolated);
  }
  fmt::print("| isolation only | {:.2f} |\n", isolated.offspring.mean());
  for (std::int64_t delay = 0; delay <= 4; ++delay) {
    engine::Scenario s = isolation;
    s.contact_tracing = true;
    s.tracing_coverage = coverage;
    s.tracing_delay_days = delay;
    Early e;
    for (int seed = 1; seed <= seeds; ++seed) measure(s, static_cast<std::uint64_t>(seed), e);
    fmt::print("| {} | {:.2f} |\n", delay, e.offspring.mean());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"How the model behaves, next to the literature (docs/model.md)"};
  std::int64_t population = 200'000;
  int seeds = 8;
  std::vector<std::string> assignments;
  double coverage = 0.8;
  bool tracing = false;
  app.add_option("--population", population, "agents per run");
  app.add_flag("--tracing", tracing, "also the table of tracing delays");
  app.add_option("--coverage", coverage, "tracing coverage for that table");
  app.add_option("--seeds", seeds, "runs, with seeds 1 ... K");
  app.add_option("--set", assignments, "key=value on top of the defaults");
  CLI11_PARSE(app, argc, argv);
  engine::Scenario s;
  s.population = population;
  s.days = 365;
  s.initial_infected = std::max<std::int64_t>(10, population / 20'000);
  if (Status set = io::apply_assignments(assignments, s); !set) {
    fmt::print(stderr, "{}\n", io::describe(set.error()));
    return 2;
  }
  if (const auto errors = engine::validate(s); !errors.empty()) {
    for (const auto& e : errors) fmt::print(stderr, "{}: {}\n", e.field, e.message);
    return 2;
  }
  Early early;
  for (int seed = 1; seed <= seeds; ++seed) measure(s, static_cast<std::uint64_t>(seed), early);
  fmt::print("population {}, {} seeds, {} days\n\n", population, seeds, s.days);
  const engine::Estimate estimate = engine::estimate(s);
  fmt::print(
      "estimate (docs/model.md): R0 {:.2f}, generation time {:.2f} days, growth rate {:.3f} per "
      "day, routes home / school / work / community {:.0f}% / {:.0f}% / {:.0f}% / {:.0f}%\n\n",
      estimate.r0, estimate.generation_time_days, estimate.growth_rate_per_day.value_or(NAN),
      100 * estimate.route_shares[0], 100 * estimate.route_shares[1],
      100 * estimate.route_shares[2], 100 * estimate.route_shares[3]);
  report(early);
  if (tracing) tracing_table(s, seeds, coverage);
  return 0;
}
