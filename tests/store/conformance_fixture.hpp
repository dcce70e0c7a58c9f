// The storage conformance suite's fixture: every test runs once per backend
// ("sqlite", "postgresql") against a fresh database, through the Store
// interface only (plus raw SQL where a test must fake a state).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "outbreak/store/open.hpp"
#include "outbreak/store/store.hpp"
#include "store/test_database.hpp"

namespace outbreak::store::testing {

// A fixed, microsecond-exact origin for injected times.
inline const TimePoint kT0 = TimePoint(std::chrono::microseconds(1'700'000'000'123'456));
inline constexpr Duration kLease{30'000};

inline TimePoint at_seconds(double seconds) {
  return kT0 + std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6));
}

inline NewSimulation new_simulation(std::string name, int max_attempts = 3) {
  NewSimulation simulation;
  simulation.name = std::move(name);
  simulation.scenario_json = R"({"population": 1000, "days": 10})";
  simulation.days = 10;
  simulation.replicates = 2;
  simulation.max_attempts = max_attempts;
  return simulation;
}

// Day totals whose every column is derived from (day, salt), so a rewrite
// with another salt is visible. Reals get a fraction that doubles store
// exactly (so equality holds after a round trip).
inline engine::DayTotals day_totals(std::int64_t day, std::int64_t salt = 0) {
  engine::DayTotals totals;
  std::int64_t value = 1000 + salt;
  for (const auto& column : engine::kDayColumns) {
    if (column.member != nullptr) {
      totals.*column.member = value++ * (day + 1);
    } else {
      totals.*column.real = static_cast<double>(value++ * (day + 1)) / 1024.0;
    }
  }
  totals.day = day;
  // Active timeline items in both words of the set, different per day and salt.
  totals.set_active(static_cast<std::size_t>(day + salt) % 64);
  totals.set_active(64 + static_cast<std::size_t>(3 * day + salt) % 38);
  return totals;
}

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<TestDatabase>(GetParam());
    store_ = open_migrated();
    ASSERT_NE(store_, nullptr);
  }

  // Another Store on the same database, as another worker would open it.
  std::unique_ptr<Store> open_migrated() {
    auto store = open_store(database_->url());
    EXPECT_TRUE(store.ok()) << store.error().message;
    if (!store) return nullptr;
    auto migrated = (*store)->migrate();
    EXPECT_TRUE(migrated.ok()) << migrated.error().message;
    return std::move(store).value();
  }

  std::string enqueue(const std::string& name, TimePoint now = kT0, int max_attempts = 3) {
    auto id = store_->enqueue(new_simulation(name, max_attempts), now);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : std::string();
  }

  SimulationRecord get(const std::string& id) {
    auto record = store_->get(id);
    EXPECT_TRUE(record.ok()) << record.error().message;
    return record.ok() ? *record : SimulationRecord{};
  }

  // Claims the next job for `worker`; fails the test if there is none.
  SimulationRecord claim(const std::string& worker, TimePoint now = kT0) {
    auto claimed = store_->claim(worker, kLease, now);
    EXPECT_TRUE(claimed.ok()) << claimed.error().message;
    EXPECT_TRUE(claimed.ok() && claimed->has_value());
    return claimed.ok() && claimed->has_value() ? **claimed : SimulationRecord{};
  }

  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<Store> store_;
};

}  // namespace outbreak::store::testing
