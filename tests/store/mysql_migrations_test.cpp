// The MySQL/MariaDB schema (src/store/mysql/mysql_migrations): the same
// tables and columns, in the same order, as on SQLite; InnoDB and utf8mb4
// everywhere; every version safe to run again; migrators racing on one
// database serialised by GET_LOCK.
#include <gtest/gtest.h>

#include <latch>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "outbreak/store/open.hpp"
#include "outbreak/store/url.hpp"
#include "store/migrations.hpp"
#include "store/mysql/mysql_db.hpp"
#include "store/mysql/mysql_migrations.hpp"
#include "store/mysql_test_support.hpp"
#include "store/test_database.hpp"

namespace outbreak::store::mysql {
namespace {

using testing::TestDatabase;

constexpr std::string_view kId = "00000000-0000-4000-8000-000000000001";

void run_migration(Connection& db, const detail::Migration& migration) {
  for (const auto& statement : split_statements(migration.sql)) db.execute(statement);
}

// Applies the versions above the database's, up to `up_to`, under the
// migration lock, recording each in schema_migrations.
void migrate(Connection& db, int up_to = detail::latest_schema_version()) {
  ASSERT_EQ(db.query(detail::kMysqlMigrationLock).int64(0, 0), 1) << "the lock was not granted";
  db.execute(detail::kMysqlVersionTable);
  const auto version = db.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  for (const auto& migration : detail::mysql_migrations()) {
    if (migration.version <= version.int64(0, 0) || migration.version > up_to) continue;
    run_migration(db, migration);
    db.execute("INSERT INTO schema_migrations (version) VALUES (?)",
               {std::int64_t{migration.version}});
  }
  db.query(detail::kMysqlMigrationUnlock);
}

class MysqlMigrations : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<TestDatabase>(GetParam());
    db_ = std::make_unique<Connection>(options_for(database_->url()));
  }
  void TearDown() override {
    db_.reset();
    database_.reset();
  }
  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<Connection> db_;
};

TEST_P(MysqlMigrations, VersionsMatchTheOtherBackends) {
  const auto& mysql = detail::mysql_migrations();
  const auto& sqlite = detail::sqlite_migrations();
  ASSERT_EQ(mysql.size(), sqlite.size());
  for (std::size_t i = 0; i < mysql.size(); ++i) {
    EXPECT_EQ(mysql[i].version, sqlite[i].version);
    EXPECT_EQ(mysql[i].description, sqlite[i].description);
  }
  EXPECT_EQ(mysql.back().version, detail::latest_schema_version());
}

TEST_P(MysqlMigrations, TablesAndColumnsAreThoseOfSqliteInTheSameOrder) {
  migrate(*db_);
  TestDatabase sqlite("sqlite");
  {
    auto store = open_store(sqlite.url());
    ASSERT_TRUE(store.ok()) << store.error().message;
    ASSERT_TRUE((*store)->migrate().ok());
  }
  const std::string sqlite_tables = sqlite.query(
      "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' "
      "AND name NOT LIKE 'sqlite_%' ORDER BY name)");
  const std::string mysql_tables =
      db_->query(
             "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY BINARY TABLE_NAME "
             "SEPARATOR ',') FROM information_schema.TABLES WHERE "
             "TABLE_SCHEMA = DATABASE()")
          .text(0, 0);
  EXPECT_EQ(mysql_tables, sqlite_tables);
  std::size_t start = 0;
  while (start < sqlite_tables.size()) {
    const auto comma = sqlite_tables.find(',', start);
    const std::string table = sqlite_tables.substr(start, comma - start);
    start = comma == std::string::npos ? sqlite_tables.size() : comma + 1;
    const std::string sqlite_columns = sqlite.query(
        fmt::format("SELECT group_concat(name, ',') FROM pragma_table_info('{}')", table));
    const std::string mysql_columns =
        db_->query(
               "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION SEPARATOR ',') FROM "
               "information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
               {table})
            .text(0, 0);
    EXPECT_EQ(mysql_columns, sqlite_columns) << table;
  }
}

TEST_P(MysqlMigrations, EveryTableIsInnodbWithUtf8mb4) {
  migrate(*db_);
  const Rows tables = db_->query(
      "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES WHERE "
      "TABLE_SCHEMA = DATABASE()");
  ASSERT_EQ(tables.size(), 8u);
  for (std::size_t i = 0; i < tables.size(); ++i) {
    EXPECT_EQ(tables.text(i, 1), "InnoDB") << tables.text(i, 0);
    EXPECT_EQ(tables.text(i, 2), "utf8mb4_bin") << tables.text(i, 0);
  }
}

TEST_P(MysqlMigrations, EveryVersionCanRunAgain) {
  migrate(*db_);
  // A version cut short (MySQL commits each DDL statement) is completed by
  // running it again: every statement of every version, run twice, is fine.
  for (const auto& migration : detail::mysql_migrations()) {
    EXPECT_NO_THROW(run_migration(*db_, migration)) << migration.version;
  }
  migrate(*db_);
  EXPECT_EQ(db_->query("SELECT COUNT(*), MAX(version) FROM schema_migrations").int64(0, 0),
            detail::latest_schema_version());
}

TEST_P(MysqlMigrations, RowsOfAnOldVersionReadBackAfterTheNewOnes) {
  migrate(*db_, 2);
  db_->execute(
      "INSERT INTO simulations (id, name, status, scenario_json, created_at, days, replicates, "
      "attempts, max_attempts) VALUES (?, 'old', 'succeeded', '{\"days\": 2}', "
      "'2026-01-01 00:00:00.123456', 2, 1, 2, 3)",
      {std::string(kId)});
  db_->execute(
      "INSERT INTO simulation_days (simulation_id, replicate, day, susceptible, exposed, "
      "infectious, symptomatic, currently_infected, isolated, recovered, dead, total_infected, "
      "new_infections, infections_home, infections_work, infections_community) VALUES "
      "(?, 0, 0, 990, 10, 0, 0, 10, 0, 0, 0, 10, 10, 0, 0, 0)",
      {std::string(kId)});
  migrate(*db_);
  const Rows job =
      db_->query("SELECT claims, created_at FROM simulations WHERE id = ?", {std::string(kId)});
  EXPECT_EQ(job.int64(0, 0), 2) << "claims starts at attempts";
  EXPECT_EQ(job.text(0, 1), "2026-01-01 00:00:00.123456") << "microseconds are kept";
  const Rows day =
      db_->query("SELECT hospitalized, r_t, vaccinated, active_interventions FROM simulation_days");
  EXPECT_EQ(day.int64(0, 0), 0);
  EXPECT_TRUE(day.is_null(0, 1));
  EXPECT_EQ(day.int64(0, 2), 0);
  EXPECT_TRUE(day.is_null(0, 3));
  // Deleting a job deletes its rows.
  db_->execute("DELETE FROM simulations WHERE id = ?", {std::string(kId)});
  EXPECT_EQ(db_->query("SELECT COUNT(*) FROM simulation_days").int64(0, 0), 0);
}

TEST_P(MysqlMigrations, ConstraintsHoldAsOnTheOtherBackends) {
  migrate(*db_);
  const auto fault = [&](const std::string& sql) {
    try {
      db_->execute(sql);
    } catch (const MysqlError& e) {
      return e.fault();
    }
    return Fault::kOther;
  };
  EXPECT_EQ(fault("INSERT INTO simulations (id, name, status, scenario_json, created_at, days, "
                  "replicates, max_attempts) VALUES ('a', 'x', 'sleeping', '{}', "
                  "'2026-01-01 00:00:00', 1, 1, 1)"),
            Fault::kConstraint);
  EXPECT_EQ(fault("INSERT INTO simulations (id, name, status, scenario_json, created_at, days, "
                  "replicates, max_attempts) VALUES ('a', 'x', 'queued', 'not json', "
                  "'2026-01-01 00:00:00', 1, 1, 1)"),
            Fault::kConstraint);
  EXPECT_EQ(fault("INSERT INTO outbox (simulation_id, kind, recipient, created_at, "
                  "next_attempt_at) VALUES ('missing', 'accepted', 'a@b', '2026-01-01 00:00:00', "
                  "'2026-01-01 00:00:00')"),
            Fault::kConstraint);
  db_->execute(
      "INSERT INTO mail_addresses (address, token, created_at) VALUES ('a@b', 'Tok', "
      "'2026-01-01 00:00:00')");
  EXPECT_EQ(fault("INSERT INTO mail_addresses (address, token, created_at) VALUES ('c@d', 'Tok', "
                  "'2026-01-01 00:00:00')"),
            Fault::kDuplicateKey);
  // Text compares byte for byte, as on SQLite and PostgreSQL.
  db_->execute(
      "INSERT INTO mail_addresses (address, token, created_at) VALUES ('e@f', 'tok', "
      "'2026-01-01 00:00:00')");
  EXPECT_EQ(db_->query("SELECT address FROM mail_addresses WHERE token = 'tok'").text(0, 0), "e@f");
}

// The view of docs/database.md ("Connecting a BI tool"), as written there.
TEST_P(MysqlMigrations, TheDocumentedViewReadsPerDayMeansOverReplicates) {
  migrate(*db_);
  db_->execute(
      "INSERT INTO simulations (id, name, status, scenario_json, created_at, days, replicates, "
      "max_attempts) VALUES (?, 'x', 'succeeded', '{}', '2026-01-01 00:00:00', 1, 2, 3)",
      {std::string(kId)});
  for (const auto& [replicate, infected, r_t] :
       std::vector<std::tuple<std::int64_t, std::int64_t, Param>>{{0, 10, 1.5},
                                                                  {1, 20, std::monostate{}}}) {
    db_->execute(
        "INSERT INTO simulation_days (simulation_id, replicate, day, susceptible, exposed, "
        "infectious, symptomatic, currently_infected, isolated, recovered, dead, total_infected, "
        "new_infections, infections_home, infections_work, infections_community, r_t) VALUES "
        "(?, ?, 0, 0, 0, 0, 0, ?, 0, 0, 0, 0, 4, 0, 0, 0, ?)",
        {std::string(kId), replicate, infected, r_t});
  }
  db_->execute(R"sql(CREATE VIEW simulation_day_means AS
SELECT simulation_id, day, COUNT(*) AS replicates,
       AVG(currently_infected) AS currently_infected, AVG(new_infections) AS new_infections,
       AVG(hospitalized) AS hospitalized, AVG(dead) AS dead, AVG(r_t) AS r_t
FROM simulation_days
GROUP BY simulation_id, day)sql");
  const Rows means = db_->query(
      "SELECT replicates, currently_infected, new_infections, r_t FROM simulation_day_means "
      "WHERE simulation_id = ? ORDER BY day",
      {std::string(kId)});
  ASSERT_EQ(means.size(), 1u);
  EXPECT_EQ(means.int64(0, 0), 2);
  EXPECT_EQ(means.real(0, 1), 15.0);
  EXPECT_EQ(means.real(0, 2), 4.0);
  EXPECT_EQ(means.real(0, 3), 1.5) << "AVG skips a NULL r_t";
}

TEST_P(MysqlMigrations, RacingMigratorsAllSucceed) {
  constexpr int kMigrators = 4;
  std::latch start(kMigrators);
  std::vector<std::string> failures(kMigrators);
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] {
      try {
        Connection db(options_for(database_->url()));
        start.arrive_and_wait();
        migrate(db);
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& failure : failures) EXPECT_EQ(failure, "");
  const Rows versions = db_->query("SELECT COUNT(*), MAX(version) FROM schema_migrations");
  EXPECT_EQ(versions.int64(0, 0), detail::latest_schema_version());
  EXPECT_EQ(versions.int64(0, 1), detail::latest_schema_version());
}

INSTANTIATE_TEST_SUITE_P(store, MysqlMigrations, ::testing::Values("mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::store::mysql
