// Queue overhead: enqueue + claim + finish of empty jobs, per backend and
// number of workers (jobs per second). SQLite uses a fresh file in the
// temporary folder; PostgreSQL the server named by OUTBREAK_BENCH_POSTGRES_URL,
// MySQL/MariaDB the one named by OUTBREAK_BENCH_MARIADB_URL (databases the
// benchmark may fill; skipped with a message if unset).
// Run: build/bench/outbreak_queue_bench
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "outbreak/store/open.hpp"
#include "outbreak/store/store.hpp"

namespace {

namespace store = outbreak::store;
constexpr int kJobsPerIteration = 200;

// The URL for backend 0 (SQLite), 1 (PostgreSQL) or 2 (MySQL/MariaDB); ""
// when the server's variable is unset.
std::string database_url(int backend) {
  if (backend == 1 || backend == 2) {
    const char* url =
        std::getenv(backend == 1 ? "OUTBREAK_BENCH_POSTGRES_URL" : "OUTBREAK_BENCH_MARIADB_URL");
    return url != nullptr ? url : "";
  }
  const auto path = std::filesystem::temp_directory_path() /
                    ("outbreak-queue-bench-" + std::to_string(getpid()) + ".db");
  std::filesystem::remove(path);
  return "sqlite://" + path.string();
}

std::unique_ptr<store::Store> open_migrated(const std::string& url) {
  auto opened = store::open_store(url);
  if (!opened || !(*opened)->migrate()) return nullptr;
  return std::move(opened).value();
}

// Args: backend (0 SQLite, 1 PostgreSQL, 2 MySQL/MariaDB), workers.
void BM_EnqueueClaimFinish(benchmark::State& state) {
  const std::string url = database_url(static_cast<int>(state.range(0)));
  if (url.empty())
    return state.SkipWithError("set OUTBREAK_BENCH_POSTGRES_URL or OUTBREAK_BENCH_MARIADB_URL");
  const int workers = static_cast<int>(state.range(1));
  auto producer = open_migrated(url);
  std::vector<std::unique_ptr<store::Store>> stores;
  for (int w = 0; w < workers; ++w) stores.push_back(open_migrated(url));
  if (!producer) return state.SkipWithError("cannot open the database");
  const store::NewSimulation job{.name = std::string("empty"),
                                 .scenario_json = std::string(R"({"days": 0})"),
                                 .email = std::nullopt,
                                 .days = 0,
                                 .replicates = 1,
                                 .max_attempts = 3,
                                 .link_base = std::nullopt};
  for (auto _ : state) {
    for (int i = 0; i < kJobsPerIteration; ++i) {
      if (!producer->enqueue(job, std::chrono::system_clock::now())) {
        return state.SkipWithError("enqueue failed");
      }
    }
    std::atomic<int> failures = 0;
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] {
        const std::string id = "bench-" + std::to_string(w);
        for (;;) {
          const auto now = std::chrono::system_clock::now();
          auto claimed = stores[w]->claim(id, store::Duration(30'000), now);
          if (!claimed) return void(++failures);
          if (!claimed->has_value()) return;
          if (!stores[w]->finish((*claimed)->id, id, store::JobStatus::kSucceeded, {}, now)) {
            ++failures;
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    if (failures > 0) return state.SkipWithError("claim or finish failed");
  }
  state.SetItemsProcessed(state.iterations() * kJobsPerIteration);
}
BENCHMARK(BM_EnqueueClaimFinish)
    ->ArgNames({"backend", "workers"})
    ->ArgsProduct({{0, 1, 2}, {1, 8}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
