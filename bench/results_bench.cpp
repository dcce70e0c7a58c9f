// Result writes: how fast the store takes a job's daily rows, and what
// storing them adds to the wall time of a whole job, per backend. SQLite uses
// a fresh file in the temporary folder; PostgreSQL the server named by
// OUTBREAK_BENCH_POSTGRES_URL, MySQL/MariaDB the one named by
// OUTBREAK_BENCH_MARIADB_URL (databases the benchmark may fill; their cases
// fail with a message if unset).
// Run: build/bench/outbreak_results_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "outbreak/engine/ensemble.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "outbreak/jobs/log.hpp"
#include "outbreak/jobs/worker.hpp"
#include "outbreak/store/open.hpp"
#include "outbreak/store/store.hpp"

namespace {

namespace store = outbreak::store;
namespace engine = outbreak::engine;
namespace jobs = outbreak::jobs;
using Clock = std::chrono::steady_clock;

// The URL for backend 0 (SQLite), 1 (PostgreSQL) or 2 (MySQL/MariaDB); ""
// when the server's variable is unset.
std::string database_url(int backend) {
  if (backend == 1 || backend == 2) {
    const char* url =
        std::getenv(backend == 1 ? "OUTBREAK_BENCH_POSTGRES_URL" : "OUTBREAK_BENCH_MARIADB_URL");
    return url != nullptr ? url : "";
  }
  const auto path = std::filesystem::temp_directory_path() /
                    fmt::format("outbreak-results-bench-{}.db", getpid());
  std::filesystem::remove(path);
  return "sqlite://" + path.string();
}

std::unique_ptr<store::Store> open_migrated(const std::string& url) {
  auto opened = store::open_store(url);
  if (!opened || !(*opened)->migrate()) return nullptr;
  return std::move(opened).value();
}

store::NewSimulation new_job(const engine::Scenario& scenario) {
  return store::NewSimulation{.name = "bench",
                              .scenario_json = outbreak::io::scenario_to_json(scenario).dump(),
                              .email = std::nullopt,
                              .days = scenario.days,
                              .replicates = scenario.replicates,
                              .max_attempts = 3,
                              .link_base = std::nullopt};
}

// Args: backend (0 SQLite, 1 PostgreSQL, 2 MySQL/MariaDB), days per batch. One iteration
// stores a 1,000-day, 100-replicate run (100,100 rows) through write_days()
// on a claimed job, a batch at a time (the worker writes a replicate's days
// in batches of at most WorkerOptions::flush_days, and at least every
// flush_interval, so slow simulations write smaller batches).
void BM_WriteDays(benchmark::State& state) {
  const std::string url = database_url(static_cast<int>(state.range(0)));
  if (url.empty())
    return state.SkipWithError("set OUTBREAK_BENCH_POSTGRES_URL or OUTBREAK_BENCH_MARIADB_URL");
  auto db = open_migrated(url);
  if (!db) return state.SkipWithError("cannot open the database");
  engine::Scenario scenario;
  scenario.days = 1000;
  scenario.replicates = 100;
  std::vector<engine::DayTotals> days(scenario.days + 1);
  for (std::size_t d = 0; d < days.size(); ++d) {
    days[d].day = static_cast<std::int64_t>(d);
    days[d].susceptible = 1'000'000 - static_cast<std::int64_t>(d);
    // Two timeline items active, as in a run with interventions: their ids
    // are written with every row.
    days[d].set_active(0);
    days[d].set_active(2);
  }
  const auto kBatch = static_cast<std::size_t>(state.range(1));
  std::int64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto id = db->enqueue(new_job(scenario), std::chrono::system_clock::now());
    auto claimed = db->claim("bench", store::Duration(60'000), std::chrono::system_clock::now());
    if (!id || !claimed || !claimed->has_value()) return state.SkipWithError("enqueue or claim");
    state.ResumeTiming();
    for (std::int64_t r = 0; r < scenario.replicates; ++r) {
      for (std::size_t first = 0; first < days.size(); first += kBatch) {
        const auto batch = std::span(days).subspan(first, std::min(kBatch, days.size() - first));
        if (!db->write_days(*id, "bench", r, batch, store::Duration(60'000),
                            std::chrono::system_clock::now())) {
          return state.SkipWithError("write_days failed");
        }
        rows += static_cast<std::int64_t>(batch.size());
      }
    }
    state.PauseTiming();
    // Finished, so that no later benchmark's worker finds it requeued.
    if (!db->finish(*id, "bench", store::JobStatus::kSucceeded, std::nullopt,
                    std::chrono::system_clock::now())) {
      return state.SkipWithError("finish failed");
    }
    state.ResumeTiming();
  }
  state.counters["rows_per_second"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_WriteDays)
    ->ArgNames({"backend", "batch"})
    ->ArgsProduct({{0, 1, 2}, {30, 1001}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Args: backend, population, days, replicates. Each iteration runs the same
// scenario twice, back to back: the engine alone (run_ensemble with the
// worker's thread count), then as a job through Worker::run_once (claim,
// every day stored in batches, summary, finish). Reports both times and the
// overhead of the job over the engine, from the sums over all iterations, so
// the two are compared under the same machine load.
void BM_StoreOverhead(benchmark::State& state) {
  const std::string url = database_url(static_cast<int>(state.range(0)));
  if (url.empty())
    return state.SkipWithError("set OUTBREAK_BENCH_POSTGRES_URL or OUTBREAK_BENCH_MARIADB_URL");
  auto producer = open_migrated(url);
  auto worker_store = open_migrated(url);
  if (!producer || !worker_store) return state.SkipWithError("cannot open the database");
  engine::Scenario scenario;
  scenario.population = state.range(1);
  scenario.days = state.range(2);
  scenario.replicates = state.range(3);
  std::ostringstream log_lines;
  jobs::Logger log(log_lines, jobs::LogFormat::kText);
  jobs::WorkerOptions options;
  options.worker_id = "bench";
  options.threads = 2;
  jobs::Worker worker(std::move(worker_store), options, log);
  engine::EnsembleOptions alone;
  alone.threads = options.threads;
  double engine_seconds = 0;
  double job_seconds = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    auto result = engine::run_ensemble(scenario, alone);
    const auto t1 = Clock::now();
    if (!result) return state.SkipWithError("the engine failed");
    benchmark::DoNotOptimize(result->replicates.data());
    auto id = producer->enqueue(new_job(scenario), std::chrono::system_clock::now());
    if (!id) return state.SkipWithError("enqueue failed");
    const auto t2 = Clock::now();
    auto outcome = worker.run_once(std::stop_token{});
    const auto t3 = Clock::now();
    auto job = producer->get(*id);
    if (!outcome || !outcome->has_value() || **outcome != jobs::JobOutcome::kSucceeded || !job ||
        job->status != store::JobStatus::kSucceeded) {
      return state.SkipWithError("the job did not succeed (is the database shared?)");
    }
    engine_seconds += std::chrono::duration<double>(t1 - t0).count();
    job_seconds += std::chrono::duration<double>(t3 - t2).count();
  }
  const double n = static_cast<double>(state.iterations());
  const double rows = static_cast<double>((scenario.days + 1) * scenario.replicates);
  state.counters["engine_s"] = engine_seconds / n;
  state.counters["job_s"] = job_seconds / n;
  state.counters["overhead_pct"] = 100.0 * (job_seconds - engine_seconds) / engine_seconds;
  state.counters["rows_per_job_second"] = rows * n / job_seconds;
}
BENCHMARK(BM_StoreOverhead)
    ->ArgNames({"backend", "agents", "days", "replicates"})
    ->Args({0, 1'000'000, 365, 1})
    ->Args({1, 1'000'000, 365, 1})
    ->Args({0, 1'000, 1'000, 100})
    ->Args({1, 1'000, 1'000, 100})
    ->Args({2, 1'000'000, 365, 1})
    ->Args({2, 1'000, 1'000, 100})
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
