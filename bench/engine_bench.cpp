// Micro-benchmarks of the engine's building blocks. The end-to-end figures
// (agent-days per second, bytes per agent) come from `outbreak bench`; see
// docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "outbreak/engine/estimate.hpp"
#include "outbreak/engine/population.hpp"
#include "outbreak/engine/random.hpp"
#include "outbreak/engine/simulation.hpp"

namespace {

using outbreak::engine::Population;
using outbreak::engine::Scenario;
using outbreak::engine::Simulation;

Scenario wave(std::int64_t population) {
  Scenario s;
  s.population = population;
  s.initial_infected = std::max<std::int64_t>(10, population / 10'000);
  s.days = 100;
  return s;
}

// Population build (homes, shuffled offices), agents per second.
void BM_PopulationBuild(benchmark::State& state) {
  const Scenario s = wave(state.range(0));
  for (auto _ : state) {
    Population population(s, 1, static_cast<int>(state.range(1)));
    benchmark::DoNotOptimize(population.place_of(0));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
// Wall time (UseRealTime) here and below: the work runs on the engine's
// threads, whose CPU time Google Benchmark would not count.
BENCHMARK(BM_PopulationBuild)
    ->Args({1'000'000, 1})
    ->Args({1'000'000, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// A whole 100-day wave of the default scenario: items are agent-days.
void BM_Wave(benchmark::State& state) {
  const Scenario s = wave(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  for (auto _ : state) {
    Simulation simulation(s, Population(s, 1, threads), 1, threads);
    while (!simulation.finished()) benchmark::DoNotOptimize(simulation.step().total_infected);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 100);
}
BENCHMARK(BM_Wave)
    ->Args({100'000, 1})
    ->Args({1'000'000, 1})
    ->Args({1'000'000, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Ten steps around the peak of a 1M-agent wave (days 56-65 of a fresh run
// each iteration; the 55 days before are not timed).
void BM_StepAtPeak(benchmark::State& state) {
  const Scenario s = wave(1'000'000);
  for (auto _ : state) {
    state.PauseTiming();
    Simulation simulation(s, Population(s, 1, 2), 1, 2);
    for (int day = 0; day < 55; ++day) simulation.step();
    state.ResumeTiming();
    for (int day = 0; day < 10; ++day) benchmark::DoNotOptimize(simulation.step().total_infected);
  }
  state.SetItemsProcessed(state.iterations() * 1'000'000 * 10);
}
BENCHMARK(BM_StepAtPeak)->UseRealTime()->Unit(benchmark::kMillisecond);

// Keyed draws: the cost of one Philox4x32-10 call and of the logarithm.
// R0 and the doubling time from the parameters (engine::estimate): the
// defaults, and the widest workplace sizes allowed (office_size 10,000, sd
// 100,000), which give the most size bins.
void BM_Estimate(benchmark::State& state) {
  Scenario s;
  if (state.range(0) == 1) {
    s.office_size = 10'000;
    s.office_size_sd = 100'000;
  }
  for (auto _ : state) benchmark::DoNotOptimize(outbreak::engine::estimate(s).r0);
}
BENCHMARK(BM_Estimate)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_Philox(benchmark::State& state) {
  std::uint32_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        outbreak::engine::philox(42, i++, 7, outbreak::engine::Purpose::kDeath, 0));
  }
}
BENCHMARK(BM_Philox);

void BM_DetLog(benchmark::State& state) {
  double x = 0.123456789;
  for (auto _ : state) {
    benchmark::DoNotOptimize(outbreak::engine::det_log(x));
    x += 1e-9;
  }
}
BENCHMARK(BM_DetLog);

}  // namespace

BENCHMARK_MAIN();
