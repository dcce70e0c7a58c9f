// Upgrading a database: rows written by an older outbreak stay readable
// after the newer migrations, on every backend.
#include <array>
#include <cmath>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "outbreak/store/open.hpp"
#include "outbreak/store/store.hpp"
#include "store/migrations.hpp"
#include "store/mysql/mysql_migrations.hpp"
#include "store/test_database.hpp"

namespace outbreak::store::testing {
namespace {

constexpr std::string_view kOldId = "00000000-0000-4000-8000-000000000001";

class StoreMigration : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { database_ = std::make_unique<TestDatabase>(GetParam()); }

  bool sqlite() const { return GetParam() == "sqlite"; }
  bool mariadb() const { return GetParam() == "mariadb"; }
  // 2026-01-01 00:00 UTC as a literal of the backend's time type.
  std::string t0() const {
    return mariadb() ? "'2026-01-01 00:00:00.000000'" : "'2026-01-01T00:00:00.000000Z'";
  }

  // The schema exactly as an outbreak that knew up to `version` left it.
  void create_schema_up_to(int version) {
    const auto& migrations = sqlite()    ? detail::sqlite_migrations()
                             : mariadb() ? detail::mysql_migrations()
                                         : detail::postgres_migrations();
    // As migrate() creates it on each backend.
    std::string script =
        sqlite() ? "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT "
                   "NOT NULL);\n"
        : mariadb() ? std::string(detail::kMysqlVersionTable) + ";\n"
                    : "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at "
                      "TIMESTAMPTZ NOT NULL DEFAULT now());\n";
    for (const detail::Migration& migration : migrations) {
      if (migration.version > version) continue;
      // MySQL's migrations do not end their last statement with ';'.
      script += std::string(migration.sql) + (mariadb() ? ";\n" : "\n");
      script += "INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                std::to_string(migration.version) + ", " + t0() + ");\n";
    }
    database_->exec(script);
  }

  // A finished job of two replicates with the 14 day columns of version 2.
  void insert_version_2_rows() {
    database_->exec(
        "INSERT INTO simulations (id, name, status, scenario_json, created_at, days, replicates, "
        "max_attempts) VALUES ('" +
        std::string(kOldId) +
        "', 'old', 'succeeded', '{\"population\": 1000, \"days\": 1, \"replicates\": 2}', " + t0() +
        ", 1, 2, 3);\n"
        "INSERT INTO simulation_days (simulation_id, replicate, day, susceptible, exposed, "
        "infectious, symptomatic, currently_infected, isolated, recovered, dead, total_infected, "
        "new_infections, infections_home, infections_work, infections_community) VALUES ('" +
        std::string(kOldId) + "', 0, 0, 990, 10, 0, 0, 10, 0, 0, 0, 10, 10, 0, 0, 0), ('" +
        std::string(kOldId) + "', 0, 1, 985, 12, 3, 1, 15, 0, 0, 0, 15, 5, 2, 2, 1);\n" +
        "INSERT INTO simulation_summary (simulation_id, day, statistic, susceptible, exposed, "
        "infectious, symptomatic, currently_infected, isolated, recovered, dead, total_infected, "
        "new_infections, infections_home, infections_work, infections_community) VALUES ('" +
        std::string(kOldId) + "', 0, 'mean', 990, 10, 0, 0, 10, 0, 0, 0, 10, 10, 0, 0, 0.5)");
  }

  std::unique_ptr<Store> open_and_migrate() {
    auto store = open_store(database_->url());
    EXPECT_TRUE(store.ok()) << store.error().message;
    if (!store) return nullptr;
    auto migrated = (*store)->migrate();
    EXPECT_TRUE(migrated.ok()) << migrated.error().message;
    return std::move(store).value();
  }

  std::unique_ptr<TestDatabase> database_;
};

TEST_P(StoreMigration, Version2RowsReadBackWithDefaultsAfterMigratingTo3) {
  create_schema_up_to(2);
  insert_version_2_rows();
  auto store = open_and_migrate();
  ASSERT_NE(store, nullptr);
  auto version = store->schema_version();
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(*version, detail::latest_schema_version());

  auto rows = store->results(kOldId, std::nullopt);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  engine::DayTotals expected;  // new columns: 0, r_t unknown
  expected.day = 1;
  expected.susceptible = 985;
  expected.exposed = 12;
  expected.infectious = 3;
  expected.symptomatic = 1;
  expected.currently_infected = 15;
  expected.total_infected = 15;
  expected.new_infections = 5;
  expected.infections_home = 2;
  expected.infections_work = 2;
  expected.infections_community = 1;
  EXPECT_EQ((*rows)[1], (DayRow{0, expected}));
  EXPECT_TRUE(std::isnan((*rows)[1].totals.r_t));
  EXPECT_EQ((*rows)[1].totals.hospitalized, 0);
  EXPECT_EQ((*rows)[1].totals.infections_school, 0);

  auto summary = store->summary(kOldId);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  ASSERT_EQ(summary->mean.size(), 1u);
  for (std::size_t c = 0; c < engine::kDayColumns.size(); ++c) {
    const std::string_view name = engine::kDayColumns[c].name;
    const double value = summary->mean[0][c];
    if (name == "r_t") {
      EXPECT_TRUE(std::isnan(value));
    } else if (name == "susceptible") {
      EXPECT_EQ(value, 990);
    } else if (name == "infections_community") {
      EXPECT_EQ(value, 0.5);
    } else if (name == "new_deaths" || name == "hospitalized" || name == "infections_school") {
      EXPECT_EQ(value, 0) << name;
    }
  }
  auto ages = store->age_totals(kOldId);
  ASSERT_TRUE(ages.ok()) << ages.error().message;
  EXPECT_TRUE(ages->empty());
}

TEST_P(StoreMigration, AMigratedDatabaseTakesRowsWithTheNewColumns) {
  create_schema_up_to(2);
  insert_version_2_rows();
  auto store = open_and_migrate();
  ASSERT_NE(store, nullptr);
  NewSimulation simulation;
  simulation.name = "new";
  simulation.scenario_json = R"({"population": 1000, "days": 1})";
  simulation.days = 1;
  const auto now = std::chrono::system_clock::now();
  auto id = store->enqueue(simulation, now);
  ASSERT_TRUE(id.ok()) << id.error().message;
  auto claimed = store->claim("w1", Duration(30'000), now);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  engine::DayTotals day;
  day.day = 0;
  day.hospitalized = 4;
  day.new_deaths = 1;
  day.r_t = 2.5;
  day.infections_school = 3;
  auto written = store->write_days(*id, "w1", 0, std::span(&day, 1), Duration(30'000), now);
  ASSERT_TRUE(written.ok()) << written.error().message;
  auto rows = store->results(*id, 0);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].totals, day);
}

TEST_P(StoreMigration, Version5JobsHaveNoFiguresAfterMigrating) {
  create_schema_up_to(5);
  insert_version_2_rows();
  auto store = open_and_migrate();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->schema_version(), detail::latest_schema_version());
  auto figures = store->figures(kOldId);
  ASSERT_TRUE(figures.ok()) << figures.error().message;
  EXPECT_TRUE(figures->empty());
}

TEST_P(StoreMigration, Version6JobsHaveNoLinkBaseAfterMigratingTo7) {
  create_schema_up_to(6);
  insert_version_2_rows();
  auto store = open_and_migrate();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->schema_version(), 7);
  auto job = store->get(kOldId);
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_FALSE(job->link_base.has_value());
}

TEST_P(StoreMigration, Version4RowsReadBackWithNoActiveInterventionsAfterMigratingTo5) {
  create_schema_up_to(4);
  insert_version_2_rows();  // version 4 has every column these rows fill
  auto store = open_and_migrate();
  ASSERT_NE(store, nullptr);
  auto version = store->schema_version();
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(*version, detail::latest_schema_version());
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_days WHERE active_interventions IS "
                             "NULL"),
            "2");

  auto rows = store->results(kOldId, std::nullopt);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  for (const DayRow& row : *rows) {
    EXPECT_EQ(row.totals.active, (std::array<std::uint64_t, 2>{})) << "day " << row.totals.day;
    EXPECT_EQ(row.totals.quarantined, 0);
    EXPECT_EQ(row.totals.vaccinated, 0);
  }
  EXPECT_EQ((*rows)[1].totals.susceptible, 985);
  auto one = store->results(kOldId, 0);
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(*one, *rows);
}

INSTANTIATE_TEST_SUITE_P(store, StoreMigration,
                         ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::store::testing

namespace outbreak::store::testing {
namespace {

// Many processes starting at once on a fresh SQLite file (serve and workers
// from one script) each open it, switch it to WAL and migrate it. The switch
// to WAL needs the file to itself and SQLite's busy handler does not cover
// every way two openers collide, so this failed now and then with "database
// is locked". Repeated on fresh files, from threads that start together.
TEST(SqliteOpen, ManyConnectionsOpeningAFreshFileAtOnceAllSucceed) {
  constexpr int kRounds = 40;
  constexpr int kConnections = 12;
  for (int round = 0; round < kRounds; ++round) {
    TestDatabase fresh("sqlite");
    std::latch start(kConnections);
    std::vector<std::string> errors(kConnections);
    {
      std::vector<std::jthread> threads;
      for (int i = 0; i < kConnections; ++i) {
        threads.emplace_back([&, i] {
          start.arrive_and_wait();
          auto store = open_store(fresh.url());
          if (!store) {
            errors[static_cast<std::size_t>(i)] = "open: " + store.error().message;
            return;
          }
          if (Status migrated = (*store)->migrate(); !migrated) {
            errors[static_cast<std::size_t>(i)] = "migrate: " + migrated.error().message;
          }
        });
      }
    }
    for (const std::string& error : errors) ASSERT_EQ(error, "") << "round " << round;
    EXPECT_EQ(fresh.query("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(fresh.query("SELECT COUNT(*) FROM schema_migrations"),
              std::to_string(detail::latest_schema_version()));
  }
}

}  // namespace
}  // namespace outbreak::store::testing
