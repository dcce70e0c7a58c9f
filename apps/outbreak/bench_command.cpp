#include "bench_command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "exit_status.hpp"
#include "memory.hpp"
#include "outbreak/engine/population.hpp"
#include "outbreak/engine/simulation.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "threads.hpp"

namespace outbreak::cli {
namespace {

constexpr std::int64_t kDays = 100;
// The timeline scenarios run longer: interventions stretch an epidemic out.
constexpr std::int64_t kTimelineDays = 200;
constexpr const char* kRowFormat = "{:<10} {:>10} {:>5} {:>8} {:>9} {:>16} {:>12} {:>10}\n";

struct BenchCase {
  std::string name;
  std::int64_t population = 0;
  int threads = 1;
  std::int64_t days = kDays;
  bool tti = false;  // with the "test_trace_isolate" preset's timeline
};

struct Measurement {
  double wall_seconds = 0;
  std::size_t memory_bytes = 0;
};

// The default scenario, as a user who changes nothing but the size gets it
// (and, for the timeline rows, who picks the "test, trace and isolate" preset).
engine::Scenario bench_scenario(const BenchCase& bench) {
  engine::Scenario scenario;
  if (bench.tti && !io::apply_preset("test_trace_isolate", scenario)) {
    throw std::logic_error("the test_trace_isolate preset does not apply");
  }
  const std::int64_t population = bench.population;
  scenario.population = population;
  scenario.days = bench.days;
  scenario.initial_infected = std::max<std::int64_t>(10, population / 10'000);
  return scenario;
}

std::vector<BenchCase> bench_cases(const BenchOptions& options) {
  std::vector<BenchCase> cases = {{"100k", 100'000, options.threads},
                                  {"1M", 1'000'000, options.threads}};
  if (!options.quick) cases.push_back({"10M", 10'000'000, options.threads});
  // The speedup scenario once more on one thread (with --threads 1 that row
  // would only repeat the one above), right after its many-thread row.
  if (options.threads > 1) cases.push_back({cases.back().name, cases.back().population, 1});
  if (options.large) {
    cases.push_back({"30M", 30'000'000, options.threads});
    cases.push_back({"100M", 100'000'000, options.threads});
  }
  // Test, trace and isolate against the same scenario without interventions.
  const std::int64_t timeline_agents = options.quick ? 1'000'000 : 10'000'000;
  const std::string size = options.quick ? "1M" : "10M";
  cases.push_back({"base-" + size, timeline_agents, options.threads, kTimelineDays, false});
  cases.push_back({"tti-" + size, timeline_agents, options.threads, kTimelineDays, true});
  return cases;
}

// Wall time of what a user waits for: building the population included.
Measurement measure(const BenchCase& bench) {
  const engine::Scenario scenario = bench_scenario(bench);
  const auto seed = static_cast<std::uint64_t>(scenario.seed);
  const auto start = std::chrono::steady_clock::now();
  engine::Simulation simulation(scenario, engine::Population(scenario, seed, bench.threads), seed,
                                bench.threads);
  // The peak of the engine's own accounting, which is what a run must fit in.
  std::size_t peak = simulation.memory_bytes();
  while (!simulation.finished()) {
    simulation.step();
    peak = std::max(peak, simulation.memory_bytes());
  }
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
  return {wall.count(), peak};
}

void print_header() {
  fmt::print(
      "# Default scenario, {} days ({} for base-* and tti-*; tti-*: the test_trace_isolate\n"
      "# preset), initial_infected = agents / 10000 (at least 10), seed 1.\n"
      "# wall_s: population build + simulation; bytes/agent: the largest\n"
      "# Simulation::memory_bytes() of the run (population included) / agents.\n"
      "# rss/agent: the process's peak resident set (getrusage ru_maxrss) / agents. A running\n"
      "# maximum over the whole process, not a per-run measurement: it never goes down.\n",
      kDays, kTimelineDays);
  fmt::print(kRowFormat, "scenario", "agents", "days", "threads", "wall_s", "agent_days/s",
             "bytes/agent", "rss/agent");
}

void print_row(const BenchCase& bench, const Measurement& m) {
  const auto agents = static_cast<double>(bench.population);
  const auto days = static_cast<double>(bench.days);
  fmt::print(kRowFormat, bench.name, bench.population, bench.days, bench.threads,
             fmt::format("{:.3f}", m.wall_seconds),
             fmt::format("{:.0f}", agents * days / m.wall_seconds),
             fmt::format("{:.1f}", static_cast<double>(m.memory_bytes) / agents),
             fmt::format("{:.1f}", static_cast<double>(peak_rss_bytes()) / agents));
  std::fflush(stdout);  // rows appear as they finish; the large ones take a while
}

void print_speedup(const std::vector<BenchCase>& cases, const std::vector<Measurement>& results) {
  for (std::size_t i = 1; i < cases.size(); ++i) {
    if (cases[i].threads != 1 || cases[i - 1].population != cases[i].population ||
        cases[i - 1].days != cases[i].days || cases[i].tti) {
      continue;
    }
    fmt::print("\nspeedup {}: {} threads {:.3f} s, 1 thread {:.3f} s: {:.2f}x\n", cases[i].name,
               cases[i - 1].threads, results[i - 1].wall_seconds, results[i].wall_seconds,
               results[i].wall_seconds / results[i - 1].wall_seconds);
    return;
  }
  fmt::print("\nspeedup: not measured (--threads 1)\n");
}

}  // namespace

int bench_command(const BenchOptions& options) {
  if (Status threads = check_threads("--threads", options.threads); !threads) {
    return report(threads.error(), kExitBadInput);
  }
  const std::vector<BenchCase> cases = bench_cases(options);
  const Result<std::optional<MemoryLimit>> limit = memory_limit();
  if (!limit) return report(limit.error(), kExitBadInput);
  for (const BenchCase& bench : cases) {
    const Status fits = check_memory(bench_scenario(bench), *limit);
    if (!fits) return report(fits.error(), kExitBadInput);
  }
  print_header();
  std::vector<Measurement> results;
  for (const BenchCase& bench : cases) {
    results.push_back(measure(bench));
    print_row(bench, results.back());
  }
  print_speedup(cases, results);
  const std::size_t base = results.size() - 2;
  fmt::print("tti / base agent-days per second: {:.2f}\n",
             results[base].wall_seconds / results[base + 1].wall_seconds);
  return kExitSuccess;
}

}  // namespace outbreak::cli
