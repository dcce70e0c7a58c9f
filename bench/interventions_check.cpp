// How interventions behave, measured: the tables of docs/model.md's "How
// interventions behave". A configuration comparable to Kretzschmar et al.
// 2020 (Lancet Public Health 5:e452): physical distancing brings R to about
// 1.2; symptomatic cases are tested on the day symptoms start and the result
// comes `testing delay` days later; a positive case isolates at once and
// transmits to nobody (not even at home); its contacts (home and place mates
// found with probability `coverage`, community contacts when both sides use
// the app, adopted by sqrt(coverage) so that a share `coverage` of community
// contacts is traceable) are quarantined the same day and tested, and a
// positive contact is isolated and traced in turn. Every figure is from real
// runs with seeds 1 ... K, so the tables come back with the command alone:
//
//   build/bench/outbreak_interventions_check [--population N] [--seeds K] [--first-seed S]
//                                            [--all-symptomatic] [--set key=value ...]
//
// R is the mean number of secondary cases of the cases infected on days
// 10 ... 50 (their offspring counted to the end of the run), from the line
// list. Quarantine-days per averted infection compare whole runs (120 days)
// with tracing against the same runs with testing and isolation only.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "outbreak/engine/line_list.hpp"
#include "outbreak/engine/population.hpp"
#include "outbreak/engine/simulation.hpp"
#include "outbreak/io/scenario_json.hpp"

namespace {

using namespace outbreak;
using engine::Infection;
using engine::InterventionType;
namespace item = engine::item;

constexpr std::int64_t kFirstDay = 10;
constexpr std::int64_t kLastDay = 50;

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

struct Measured {
  double cases = 0;     // cases infected in the window, course complete
  double children = 0;  // their secondary cases
  double infected = 0;  // whole runs
  double quarantine_days = 0;
  double isolation_days = 0;
  double r() const { return children / cases; }
};

void measure(const engine::Scenario& s, std::uint64_t seed, Measured& m) {
  engine::Simulation simulation(s, engine::Population(s, seed, 2), seed, 2);
  Collect c;
  if (!simulation.run(c).ok()) throw std::runtime_error("run failed");
  std::unordered_map<std::uint32_t, std::int64_t> children;
  for (const Infection& x : c.infections) {
    if (x.infector != engine::kNoInfector) ++children[x.infector];
  }
  for (const Infection& x : c.infections) {
    if (x.day_infected < kFirstDay || x.day_infected > kLastDay || x.day_resolved > s.days) {
      continue;
    }
    m.cases += 1;
    m.children += static_cast<double>(children[x.agent]);
  }
  m.infected += static_cast<double>(c.rows.back().total_infected);
  for (const auto& d : c.rows) {
    m.quarantine_days += static_cast<double>(d.quarantined);
    m.isolation_days += static_cast<double>(d.isolating);
  }
}

int first_seed = 1;

Measured run(const engine::Scenario& s, int seeds) {
  Measured m;
  for (int seed = first_seed; seed < first_seed + seeds; ++seed) {
    measure(s, static_cast<std::uint64_t>(seed), m);
  }
  return m;
}

engine::Intervention item_of(InterventionType type) {
  engine::Intervention x = engine::make_intervention(type);
  x.start_day = 0;
  return x;
}

// Physical distancing only: about R = 1.2 with the default disease.
engine::Scenario distanced(std::int64_t population, double factor) {
  engine::Scenario s;
  s.population = population;
  s.days = 120;
  s.initial_infected = std::max<std::int64_t>(50, population / 1000);
  engine::Intervention distancing = item_of(InterventionType::kDistancing);
  distancing.values[item::kCommunityContactsFactor] = factor;
  distancing.values[item::kWorkFactor] = factor;
  engine::Intervention schools = item_of(InterventionType::kClosure);
  schools.values[item::kSchools] = 1 - factor;
  s.interventions = {distancing, schools};
  return s;
}

engine::Scenario tested(engine::Scenario s, std::int64_t delay) {
  engine::Intervention testing = item_of(InterventionType::kTesting);
  testing.values[item::kSeekProbability] = 1;
  testing.values[item::kTestDelayDays] = static_cast<double>(delay);
  testing.values[item::kSensitivity] = 1;
  testing.values[item::kSpecificity] = 1;
  testing.values[item::kTestTracedContacts] = 1;
  engine::Intervention isolation = item_of(InterventionType::kCaseIsolation);
  isolation.values[item::kIsolateOn] = item::kOnPositiveTest;
  isolation.values[item::kCompliance] = 1;
  isolation.values[item::kDropout] = 0;
  isolation.values[item::kHouseholdFactor] = 0;
  isolation.values[item::kDays] = NAN;  // until no longer infectious
  s.interventions.push_back(testing);
  s.interventions.push_back(isolation);
  return s;
}

engine::Scenario traced(engine::Scenario s, double coverage) {
  engine::Intervention tracing = item_of(InterventionType::kContactTracing);
  tracing.values[item::kCoverage] = coverage;
  tracing.values[item::kAppAdoption] = std::sqrt(coverage);
  tracing.values[item::kLookbackDays] = 7;
  tracing.values[item::kTraceDelayDays] = 0;
  tracing.values[item::kQuarantineCompliance] = 1;
  tracing.values[item::kQuarantineDropout] = 0;
  s.interventions.push_back(tracing);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"How interventions behave, next to Kretzschmar et al. 2020 (docs/model.md)"};
  std::int64_t population = 200'000;
  int seeds = 4;
  double factor = 0.25;
  bool symptomatic = false;
  bool verbose = false;
  std::vector<std::string> assignments;
  app.add_option("--population", population, "agents per run");
  app.add_option("--seeds", seeds, "runs per figure (seeds 1 ... K)");
  app.add_option("--first-seed", first_seed, "the first seed (default 1)");
  app.add_option("--distancing", factor,
                 "community, work and school contacts kept under distancing (0.25: R about 1.2)");
  app.add_flag("--all-symptomatic", symptomatic,
               "every case shows symptoms (asymptomatic_fraction = 0)");
  app.add_option("--set", assignments, "change a scenario key of every run (key=value)");
  app.add_flag("--verbose", verbose, "the number of cases behind each figure, on stderr");
  CLI11_PARSE(app, argc, argv);
  engine::Scenario base = distanced(population, factor);
  if (symptomatic) base.asymptomatic_fraction = 0;
  if (Status set = io::apply_assignments(assignments, base); !set) {
    fmt::print(stderr, "{}\n", io::describe(set.error()));
    return 2;
  }
  const std::vector<double> coverages = {0.25, 0.5, 0.9};
  const Measured none = run(base, seeds);
  fmt::print(
      "# {} agents, seeds {}-{}, distancing factor {}{}{}\n", population, first_seed,
      first_seed + seeds - 1, factor, symptomatic ? ", every case symptomatic" : "",
      assignments.empty() ? "" : ", --set " + fmt::format("{}", fmt::join(assignments, " ")));
  fmt::print("R with distancing only: {:.2f} ({:.0f} cases)\n\n", none.r(), none.cases);
  fmt::print(
      "| testing delay, days | isolation only | tracing 25% | tracing 50% | tracing 90% | "
      "prevented by isolation | more by quarantine (90%) |\n"
      "|---|---|---|---|---|---|---|\n");
  std::string costs =
      "| testing delay, days | quarantine-days per averted infection, 25% / 50% / 90% |\n"
      "|---|---|\n";
  for (std::int64_t delay = 0; delay <= 4; ++delay) {
    const engine::Scenario isolation = tested(base, delay);
    const Measured isolated = run(isolation, seeds);
    std::string row = fmt::format("| {} | {:.2f} ", delay, isolated.r());
    if (verbose)
      fmt::print(stderr, "delay {}: isolation only {:.0f} cases, {:.0f} infected, R {:.3f}\n",
                 delay, isolated.cases, isolated.infected, isolated.r());
    std::string cost = fmt::format("| {} | ", delay);
    Measured last;
    for (double coverage : coverages) {
      last = run(traced(isolation, coverage), seeds);
      row += fmt::format("| {:.2f} ", last.r());
      if (verbose) fmt::print(stderr, "  coverage {}: {:.0f} cases\n", coverage, last.cases);
      const double averted = isolated.infected - last.infected;
      cost += fmt::format("{}{}", coverage == coverages.front() ? "" : " / ",
                          averted > 0 ? fmt::format("{:.1f}", last.quarantine_days / averted)
                                      : std::string("none averted"));
    }
    row += fmt::format("| {:.0f}% | {:.0f}% |\n", 100 * (none.r() - isolated.r()) / none.r(),
                       100 * (isolated.r() - last.r()) / none.r());
    fmt::print("{}", row);
    costs += cost + " |\n";
  }
  fmt::print("\n{}", costs);
  return 0;
}
