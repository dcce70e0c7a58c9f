// Shared by the jobs tests: a fresh database per test and backend, small
// scenarios, and the results the engine gives for them in-process.
#pragma once

#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "outbreak/engine/ensemble.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "outbreak/store/open.hpp"
#include "outbreak/store/store.hpp"
#include "store/test_database.hpp"

namespace outbreak::jobs::testing {

using store::testing::TestDatabase;

inline std::string scenario_json(std::int64_t population, std::int64_t days,
                                 std::int64_t replicates, std::int64_t seed = 7) {
  return fmt::format(
      R"({{"population": {}, "days": {}, "replicates": {}, "seed": {}, "initial_infected": 20}})",
      population, days, replicates, seed);
}

// What run_ensemble gives for `json` (a valid scenario), in-process.
inline engine::EnsembleResult expected_results(const std::string& json) {
  engine::Scenario scenario;
  EXPECT_TRUE(io::read_scenario_json(json, scenario).ok());
  engine::EnsembleOptions options;
  options.threads = 1;
  auto result = engine::run_ensemble(scenario, options);
  EXPECT_TRUE(result.ok());
  return result.ok() ? *result : engine::EnsembleResult{};
}

// The stored rows, grouped as run_ensemble returns them.
inline std::vector<std::vector<engine::DayTotals>> stored_replicates(store::Store& store,
                                                                     const std::string& id) {
  std::vector<std::vector<engine::DayTotals>> replicates;
  auto rows = store.results(id, std::nullopt);
  EXPECT_TRUE(rows.ok()) << rows.error().message;
  if (!rows) return replicates;
  for (const auto& row : *rows) {
    if (static_cast<std::size_t>(row.replicate) >= replicates.size()) {
      replicates.resize(static_cast<std::size_t>(row.replicate) + 1);
    }
    replicates[static_cast<std::size_t>(row.replicate)].push_back(row.totals);
  }
  return replicates;
}

// Equal day by day and column by column, NaN equal to NaN (an unknown r_t).
inline bool same_values(const std::vector<engine::DayValues>& a,
                        const std::vector<engine::DayValues>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t day = 0; day < a.size(); ++day) {
    for (std::size_t c = 0; c < a[day].size(); ++c) {
      const double x = a[day][c];
      const double y = b[day][c];
      if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
    }
  }
  return true;
}

inline std::unique_ptr<store::Store> open_migrated(const std::string& url) {
  auto store = store::open_store(url);
  EXPECT_TRUE(store.ok()) << store.error().message;
  if (!store) return nullptr;
  auto migrated = (*store)->migrate();
  EXPECT_TRUE(migrated.ok()) << migrated.error().message;
  return std::move(store).value();
}

inline std::string enqueue(store::Store& store, const std::string& json, int max_attempts = 3) {
  engine::Scenario scenario;
  (void)io::read_scenario_json(json, scenario);
  store::NewSimulation simulation;
  simulation.name = "test";
  simulation.scenario_json = json;
  simulation.days = scenario.days;
  simulation.replicates = scenario.replicates;
  simulation.max_attempts = max_attempts;
  auto id = store.enqueue(simulation, std::chrono::system_clock::now());
  EXPECT_TRUE(id.ok()) << id.error().message;
  return id.ok() ? *id : std::string();
}

// Polls `condition` until it holds or `timeout` passes; returns whether it held.
inline bool wait_until(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20),
                       std::chrono::milliseconds interval = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

}  // namespace outbreak::jobs::testing
