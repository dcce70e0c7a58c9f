// The MySQL/MariaDB dialect of the store core (src/store/mysql/
// mysql_dialect): its SQL text, the session's statements and bulk writes,
// the migration lock, wake-ups by polling, and the classification of its
// errors into the core's fault kinds; against the test server.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <thread>

#include <errmsg.h>
#include <fmt/format.h>
#include <mysqld_error.h>

#include "outbreak/store/url.hpp"
#include "store/mysql/mysql_dialect.hpp"
#include "store/mysql/mysql_migrations.hpp"
#include "store/mysql_test_support.hpp"
#include "store/test_database.hpp"

namespace outbreak::store::mysql {
namespace {

using core::FaultKind;
using core::Value;
using namespace std::chrono_literals;

std::vector<std::string_view> names(std::initializer_list<std::string_view> list) { return list; }

TEST(mysql_dialect, WritesMysqlsSql) {
  const MysqlDialect dialect;
  EXPECT_EQ(dialect.name(), "mysql");
  EXPECT_EQ(dialect.time_param(), "?");
  EXPECT_EQ(dialect.select_time("s.created_at"), "s.created_at");
  EXPECT_EQ(dialect.upsert_clause(names({"a", "b"}), names({"c", "d"})),
            " ON DUPLICATE KEY UPDATE c = VALUES(c), d = VALUES(d)");
  EXPECT_EQ(dialect.ignore_clause(names({"a", "b"})), " ON DUPLICATE KEY UPDATE a = a");
  EXPECT_EQ(dialect.upsert_clause(names({"a"}), {}), " ON DUPLICATE KEY UPDATE a = a");
  EXPECT_EQ(dialect.skip_locked(), " FOR UPDATE SKIP LOCKED");
  EXPECT_EQ(dialect.lock_rows(), " FOR UPDATE");
  EXPECT_EQ(dialect.migrations().size(), detail::mysql_migrations().size());
}

TEST(mysql_dialect, ErrorsMapToTheCoresFaultKinds) {
  const MysqlDialect dialect;
  const auto kind = [&](unsigned int code) {
    return dialect.classify(MysqlError(code, mysql::classify(code), "x"));
  };
  EXPECT_EQ(kind(CR_CONN_HOST_ERROR), FaultKind::kUnavailable);
  EXPECT_EQ(kind(CR_SERVER_GONE_ERROR), FaultKind::kUnavailable);
  EXPECT_EQ(kind(CR_SERVER_LOST), FaultKind::kUnavailable);
  EXPECT_EQ(kind(ER_ACCESS_DENIED_ERROR), FaultKind::kUnavailable);
  EXPECT_EQ(kind(ER_BAD_DB_ERROR), FaultKind::kUnavailable);
  EXPECT_EQ(kind(ER_LOCK_WAIT_TIMEOUT), FaultKind::kUnavailable);
  EXPECT_EQ(kind(ER_LOCK_DEADLOCK), FaultKind::kRetry);
  EXPECT_EQ(kind(ER_RECORD_FILE_FULL), FaultKind::kNoSpace);
  EXPECT_EQ(kind(ER_DISK_FULL), FaultKind::kNoSpace);
  EXPECT_EQ(kind(ER_DUP_ENTRY), FaultKind::kConstraint);
  EXPECT_EQ(kind(ER_NO_REFERENCED_ROW_2), FaultKind::kConstraint);
  EXPECT_EQ(kind(ER_CONSTRAINT_FAILED), FaultKind::kConstraint);
  EXPECT_EQ(kind(ER_WARN_DATA_OUT_OF_RANGE), FaultKind::kData);
  EXPECT_EQ(kind(ER_PARSE_ERROR), FaultKind::kInternal);
  EXPECT_EQ(dialect.classify(core::Fault(FaultKind::kNoSpace, "full")), FaultKind::kNoSpace);
  EXPECT_EQ(dialect.classify(std::runtime_error("?")), FaultKind::kInternal);
}

class MysqlDialectTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<testing::TestDatabase>(GetParam());
    auto parsed = parse_database_url(database_->url());
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    backend_ = make_mysql_backend(*parsed, redact_url(database_->url()));
    session_ = dynamic_cast<MysqlSession*>(backend_.session.get());
    ASSERT_NE(session_, nullptr);
  }
  void TearDown() override {
    backend_ = {};
    database_.reset();
  }
  void migrate() {
    const auto& dialect = *backend_.dialect;
    dialect.lock_migrations(*session_);
    session_->execute_script(dialect.create_migrations_table());
    for (const auto& migration : dialect.migrations()) {
      session_->execute_script(migration.sql);
      const Value version = std::int64_t{migration.version};
      session_->execute("INSERT INTO schema_migrations (version) VALUES (?)", {&version, 1});
    }
    dialect.unlock_migrations(*session_);
  }
  std::int64_t count(const std::string& sql) {
    auto rows = session_->query(sql, {});
    EXPECT_TRUE(rows->next());
    return rows->int64(0);
  }
  // The same database on a connection of the test's own.
  Connection other() { return Connection(options_for(database_->url())); }

  std::unique_ptr<testing::TestDatabase> database_;
  core::Backend backend_;
  MysqlSession* session_ = nullptr;
};

TEST_P(MysqlDialectTest, StatementsBindTheCoresValues) {
  session_->ensure_open();
  session_->execute_script(
      "CREATE TABLE t (id BIGINT PRIMARY KEY, d DOUBLE, s TEXT, b BOOLEAN, at DATETIME(6));"
      "CREATE TABLE u (id BIGINT PRIMARY KEY)");
  const store::TimePoint at = std::chrono::sys_days(std::chrono::year(2026) / 3 / 4) + 5h + 6min +
                              7s + 890ms + 123us + 400ns;  // below microseconds: dropped
  const std::vector<Value> row = {std::int64_t{1}, 0.5, std::string("it's"), true, at};
  EXPECT_EQ(session_->execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", row), 1);
  const std::vector<Value> none = {std::int64_t{2}, std::monostate{}, std::monostate{},
                                   std::monostate{}, std::monostate{}};
  EXPECT_EQ(session_->execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", none), 1);
  auto rows = session_->query("SELECT d, s, b, at FROM t ORDER BY id", {});
  ASSERT_TRUE(rows->next());
  EXPECT_EQ(rows->real(0), 0.5);
  EXPECT_EQ(rows->text(1), "it's");
  EXPECT_TRUE(rows->boolean(2));
  EXPECT_EQ(rows->time(3), std::chrono::floor<std::chrono::microseconds>(at));
  ASSERT_TRUE(rows->next());
  EXPECT_TRUE(rows->is_null(0));
  EXPECT_EQ(rows->optional_text(1), std::nullopt);
  EXPECT_EQ(rows->optional_time(3), std::nullopt);
  EXPECT_FALSE(rows->next());
  // An UPDATE counts the rows it matched, also when no value changes.
  const Value same = 0.5;
  EXPECT_EQ(session_->execute("UPDATE t SET d = ? WHERE id = 1", {&same, 1}), 1);
  EXPECT_EQ(session_->execute("UPDATE t SET d = 1 WHERE id = 99", {}), 0);
}

TEST_P(MysqlDialectTest, TransactionsCommitAndRollBack) {
  session_->execute_script("CREATE TABLE t (id BIGINT PRIMARY KEY)");
  session_->begin(core::TxnMode::kWrite);
  session_->execute("INSERT INTO t VALUES (1)", {});
  session_->commit();
  session_->begin(core::TxnMode::kWrite);
  session_->execute("INSERT INTO t VALUES (2)", {});
  session_->rollback();
  EXPECT_EQ(count("SELECT COUNT(*) FROM t"), 1);
}

TEST_P(MysqlDialectTest, BatchesInsertAndUpsertManyRows) {
  session_->execute_script(
      "CREATE TABLE days (sim VARCHAR(8), day BIGINT, n BIGINT, r DOUBLE, s TEXT, "
      "PRIMARY KEY (sim, day))");
  core::RowBatch batch{"days",
                       {{"sim", core::ColumnType::kText},
                        {"day", core::ColumnType::kInt64},
                        {"n", core::ColumnType::kInt64},
                        {"r", core::ColumnType::kReal},
                        {"s", core::ColumnType::kText}},
                       {},
                       {}};
  // Enough rows for several statements of at most kMaxBatchBytes.
  const std::string padding(200, 'x');
  constexpr std::int64_t kRows = 20000;
  for (std::int64_t day = 0; day < kRows; ++day) {
    batch.values.insert(batch.values.end(),
                        {std::string("a"), day, day * 2,
                         day % 2 == 0 ? Value(std::monostate{}) : Value(day / 4.0), padding});
  }
  session_->begin(core::TxnMode::kWrite);
  session_->write_batch(batch);
  session_->commit();
  EXPECT_EQ(count("SELECT COUNT(*) FROM days"), kRows);
  EXPECT_EQ(count("SELECT COUNT(*) FROM days WHERE r IS NULL"), kRows / 2);
  EXPECT_EQ(count("SELECT SUM(n) FROM days"), kRows * (kRows - 1));

  // With a key, existing rows are replaced and new ones added.
  batch.key = {"sim", "day"};
  batch.values = {std::string("a"),   std::int64_t{1},  std::int64_t{-1}, 9.5,
                  std::string("new"), std::string("b"), std::int64_t{1},  std::int64_t{7},
                  std::monostate{},   std::string("b")};
  session_->begin(core::TxnMode::kWrite);
  session_->write_batch(batch);
  session_->commit();
  EXPECT_EQ(count("SELECT COUNT(*) FROM days"), kRows + 1);
  auto rows = session_->query("SELECT n, r, s FROM days WHERE sim = 'a' AND day = 1", {});
  ASSERT_TRUE(rows->next());
  EXPECT_EQ(rows->int64(0), -1);
  EXPECT_EQ(rows->real(1), 9.5);
  EXPECT_EQ(rows->text(2), "new");
}

TEST_P(MysqlDialectTest, MigrationsAreLockedAndRecorded) {
  const auto& dialect = *backend_.dialect;
  EXPECT_FALSE(dialect.has_migrations_table(*session_));
  dialect.lock_migrations(*session_);
  Connection other_session = other();
  EXPECT_EQ(other_session
                .query("SELECT IS_FREE_LOCK(CONCAT('outbreak.migrate.', "
                       "MD5(DATABASE())))")
                .int64(0, 0),
            0)
      << "the lock is held";
  dialect.unlock_migrations(*session_);
  EXPECT_EQ(other_session
                .query("SELECT IS_FREE_LOCK(CONCAT('outbreak.migrate.', "
                       "MD5(DATABASE())))")
                .int64(0, 0),
            1)
      << "and released";
  migrate();
  EXPECT_TRUE(dialect.has_migrations_table(*session_));
  EXPECT_EQ(count("SELECT MAX(version) FROM schema_migrations"), detail::latest_schema_version());
  EXPECT_NO_THROW(dialect.write_nothing(*session_));
}

TEST_P(MysqlDialectTest, AServerErrorIsClassifiedForTheCore) {
  migrate();
  const auto kind_of = [&](std::string_view sql) {
    try {
      session_->execute(sql, {});
    } catch (const std::exception& e) {
      return backend_.dialect->classify(e);
    }
    ADD_FAILURE() << "no error from " << sql;
    return FaultKind::kInternal;
  };
  EXPECT_EQ(kind_of("INSERT INTO outbox (simulation_id, kind, recipient, created_at, "
                    "next_attempt_at) VALUES ('none', 'accepted', 'a@b', NOW(), NOW())"),
            FaultKind::kConstraint);
  EXPECT_EQ(kind_of("SELEC 1"), FaultKind::kInternal);
  auto rows = session_->query("SELECT 'text'", {});
  ASSERT_TRUE(rows->next());
  try {
    (void)rows->int64(0);
    ADD_FAILURE() << "text read as a number";
  } catch (const std::exception& e) {
    EXPECT_EQ(backend_.dialect->classify(e), FaultKind::kData);
  }
}

TEST_P(MysqlDialectTest, AKilledSessionIsReopenedBeforeTheNextCall) {
  const auto id = count("SELECT CONNECTION_ID()");
  other().execute(fmt::format("KILL CONNECTION {}", id));
  // ensure_open() replaces a connection the server dropped; the kill takes
  // effect at once, but the test waits for the socket to say so.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!session_->connection().broken() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  session_->ensure_open();
  EXPECT_NE(count("SELECT CONNECTION_ID()"), id);
}

TEST_P(MysqlDialectTest, WaitForWorkSeesJobsQueuedElsewhere) {
  migrate();
  auto& signal = *backend_.signal;
  EXPECT_TRUE(signal.wait_for_work(Duration(0))) << "the first call claims at once";
  EXPECT_FALSE(signal.wait_for_work(Duration(50))) << "nothing changed";
  // Another process enqueues a job.
  other().execute(
      "INSERT INTO simulations (id, name, status, scenario_json, created_at, days, replicates, "
      "max_attempts) VALUES ('j1', 'x', 'queued', '{}', NOW(3), 1, 1, 3)");
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(signal.wait_for_work(Duration(30000)));
  EXPECT_LT(std::chrono::steady_clock::now() - before, 29s) << "woken, not timed out";
  EXPECT_FALSE(signal.wait_for_work(Duration(20))) << "the change was seen once";
  // A job released back to the queue changes the fingerprint too.
  other().execute("UPDATE simulations SET status = 'running', claims = 1 WHERE id = 'j1'");
  EXPECT_TRUE(signal.wait_for_work(Duration(30000)));
  other().execute("UPDATE simulations SET status = 'queued' WHERE id = 'j1'");
  EXPECT_TRUE(signal.wait_for_work(Duration(30000)));
}

INSTANTIATE_TEST_SUITE_P(store, MysqlDialectTest, ::testing::Values("mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::store::mysql
