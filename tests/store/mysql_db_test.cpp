// The Connector/C layer of the MySQL/MariaDB store (src/store/mysql/mysql_db):
// error classification, parameters and their literals, rows, transactions,
// connection errors that name the part of the URL at fault, and
// reconnection; against the throwaway MariaDB server of the tests.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <thread>

#include <errmsg.h>
#include <fmt/format.h>
#include <mysqld_error.h>

#include "outbreak/store/url.hpp"
#include "store/mysql/mysql_db.hpp"
#include "store/mysql_test_support.hpp"
#include "store/test_database.hpp"

namespace outbreak::store::mysql {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::TestDatabase;

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// The fault and message of connecting to `url`; fails the test if it connects.
std::pair<Fault, std::string> connect_failure(const std::string& url) {
  try {
    Connection connection(options_for(url));
  } catch (const MysqlError& e) {
    return {e.fault(), e.what()};
  }
  ADD_FAILURE() << "connected to " << redact_url(url);
  return {Fault::kOther, ""};
}

TEST(mysql_classify, ErrorNumbersMeanOneThing) {
  const std::vector<std::pair<unsigned int, Fault>> cases = {
      {CR_CONNECTION_ERROR, Fault::kConnection},           // 2002
      {CR_CONN_HOST_ERROR, Fault::kConnection},            // 2003
      {CR_UNKNOWN_HOST, Fault::kConnection},               // 2005
      {CR_SERVER_GONE_ERROR, Fault::kConnection},          // 2006
      {CR_SERVER_LOST, Fault::kConnection},                // 2013
      {CR_SERVER_LOST_EXTENDED, Fault::kConnection},       // 2055
      {ER_SERVER_SHUTDOWN, Fault::kConnection},            // 1053
      {ER_CONNECTION_KILLED, Fault::kConnection},          // 1927
      {ER_CON_COUNT_ERROR, Fault::kConnection},            // 1040
      {ER_ACCESS_DENIED_ERROR, Fault::kAccessDenied},      // 1045
      {ER_DBACCESS_DENIED_ERROR, Fault::kAccessDenied},    // 1044
      {ER_BAD_DB_ERROR, Fault::kUnknownDatabase},          // 1049
      {ER_DUP_ENTRY, Fault::kDuplicateKey},                // 1062
      {ER_LOCK_DEADLOCK, Fault::kRetry},                   // 1213
      {ER_LOCK_WAIT_TIMEOUT, Fault::kRetry},               // 1205
      {ER_RECORD_FILE_FULL, Fault::kDiskFull},             // 1114
      {ER_DISK_FULL, Fault::kDiskFull},                    // 1021
      {ER_BAD_NULL_ERROR, Fault::kConstraint},             // 1048
      {ER_NO_REFERENCED_ROW_2, Fault::kConstraint},        // 1452
      {ER_CONSTRAINT_FAILED, Fault::kConstraint},          // 4025
      {ER_DATA_TOO_LONG, Fault::kConstraint},              // 1406
      {ER_WARN_DATA_OUT_OF_RANGE, Fault::kData},           // 1264
      {ER_TRUNCATED_WRONG_VALUE_FOR_FIELD, Fault::kData},  // 1366
      {ER_PARSE_ERROR, Fault::kOther},                     // 1064
      {ER_NO_SUCH_TABLE, Fault::kOther},                   // 1146
  };
  for (const auto& [code, fault] : cases) {
    EXPECT_EQ(classify(code), fault) << code << " is " << to_string(classify(code));
  }
}

TEST(mysql_sql, SplitsStatementsOutsideQuotes) {
  const auto statements = split_statements(
      "CREATE TABLE a (x TEXT DEFAULT ';');\n"
      "  INSERT INTO a VALUES ('it''s; fine', \"x;y\", `c;d`);;\n"
      "-- a comment; with a semicolon\n"
      "SELECT 1  \n");
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_EQ(statements[0], "CREATE TABLE a (x TEXT DEFAULT ';')");
  EXPECT_EQ(statements[1], "INSERT INTO a VALUES ('it''s; fine', \"x;y\", `c;d`)");
  EXPECT_EQ(statements[2], "SELECT 1");
  EXPECT_EQ(quote_identifier("we`ird"), "`we``ird`");
}

TEST(mysql_connect, RefusedPortIsAConnectionFaultNamingHostAndPort) {
  // Port 1 on loopback: nothing listens there.
  const auto [fault, message] = connect_failure("mysql://me:s3cr%40t@127.0.0.1:1/db");
  EXPECT_EQ(fault, Fault::kConnection);
  EXPECT_TRUE(message.starts_with("cannot connect: ")) << message;
  EXPECT_NE(message.find("no server answers at host '127.0.0.1' port 1"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("s3cr"), std::string::npos) << message;
}

TEST(mysql_connect, MissingSocketIsAConnectionFaultNamingIt) {
  const auto [fault, message] =
      connect_failure("mysql://me:s3cr%40t@/db?socket=/nonexistent-outbreak/mysqld.sock");
  EXPECT_EQ(fault, Fault::kConnection);
  EXPECT_NE(message.find("socket '/nonexistent-outbreak/mysqld.sock'"), std::string::npos)
      << message;
  EXPECT_EQ(message.find("s3cr"), std::string::npos) << message;
}

// ---- Against the test server ----------------------------------------------

class MysqlDb : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<TestDatabase>(GetParam());
    connection_ = std::make_unique<Connection>(options_for(database_->url()));
  }
  void TearDown() override {
    connection_.reset();
    database_.reset();
  }
  // The test database's URL with `user`, `password` and `database` changed.
  std::string url_with(const std::string& user, const std::string& password,
                       const std::string& database) const {
    auto parsed = parse_database_url(database_->url());
    return fmt::format("mysql://{}:{}@{}:{}/{}", user, password, parsed->host, *parsed->port,
                       database);
  }
  Fault fault_of(const std::function<void()>& call) {
    try {
      call();
    } catch (const MysqlError& e) {
      return e.fault();
    }
    ADD_FAILURE() << "no error";
    return Fault::kOther;
  }

  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<Connection> connection_;
};

TEST_P(MysqlDb, SessionIsUtf8mb4InUtcAndStrict) {
  Connection& db = *connection_;
  EXPECT_EQ(db.query("SELECT @@session.time_zone").text(0, 0), "+00:00");
  EXPECT_EQ(db.query("SELECT @@character_set_connection").text(0, 0), "utf8mb4");
  EXPECT_NE(db.query("SELECT @@session.sql_mode").text(0, 0).find("STRICT_ALL_TABLES"),
            std::string::npos);
}

TEST_P(MysqlDb, ParametersRoundTripExactly) {
  Connection& db = *connection_;
  db.execute(
      "CREATE TABLE t (id BIGINT PRIMARY KEY, i BIGINT, d DOUBLE, b BOOLEAN, s TEXT, "
      "at DATETIME(6))");
  const std::vector<std::int64_t> ints = {0, -1, std::numeric_limits<std::int64_t>::min(),
                                          std::numeric_limits<std::int64_t>::max()};
  const std::vector<double> doubles = {0.0, 0.1, -2.5, 1e300, 5e-324, 123456789.125, 1e21};
  const std::vector<std::string> texts = {"",
                                          "it's",
                                          "back\\slash",
                                          "quote\" and `tick`",
                                          std::string("nul\0byte", 8),
                                          "emoji \xF0\x9F\xA6\xA0 and \xC3\xA9",
                                          "?",
                                          "'; DROP TABLE t; --"};
  const TimePoint time =
      std::chrono::sys_days(std::chrono::year(2026) / 11 / 30) + 13h + 5min + 7s + 42ms;
  std::int64_t id = 0;
  for (std::size_t i = 0; i < texts.size(); ++i, ++id) {
    db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
               {id, ints[i % ints.size()], doubles[i % doubles.size()], i % 2 == 0, texts[i],
                time + std::chrono::microseconds(i)});
  }
  db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
             {id, nullable(std::optional<std::int64_t>()), std::monostate{}, std::monostate{},
              nullable(std::optional<std::string>()), std::monostate{}});
  const Rows rows = db.query("SELECT i, d, b, s, at FROM t ORDER BY id");
  ASSERT_EQ(rows.size(), texts.size() + 1);
  ASSERT_EQ(rows.columns(), 5u);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(rows.int64(i, 0), ints[i % ints.size()]) << i;
    EXPECT_EQ(rows.real(i, 1), doubles[i % doubles.size()]) << i;
    EXPECT_EQ(rows.boolean(i, 2), i % 2 == 0) << i;
    EXPECT_EQ(rows.text(i, 3), texts[i]) << i;
    EXPECT_EQ(rows.time(i, 4), time + std::chrono::microseconds(i)) << i;
  }
  const std::size_t last = texts.size();
  for (std::size_t column = 0; column < 5; ++column) EXPECT_TRUE(rows.is_null(last, column));
  EXPECT_EQ(rows.optional_int64(last, 0), std::nullopt);
  EXPECT_EQ(rows.optional_time(last, 4), std::nullopt);
  EXPECT_EQ(fault_of([&] { (void)rows.int64(last, 0); }), Fault::kData) << "NULL is no integer";
  EXPECT_EQ(fault_of([&] { (void)rows.int64(0, 3); }), Fault::kData) << "text is no integer";
  EXPECT_EQ(fault_of([&] { (void)rows.time(0, 3); }), Fault::kData) << "text is no time";
  EXPECT_EQ(fault_of([&] { (void)rows.text(99, 0); }), Fault::kOther) << "no such row";
}

TEST_P(MysqlDb, PlaceholdersInQuotesStayAndCountsMustMatch) {
  Connection& db = *connection_;
  const Rows rows =
      db.query("SELECT '?', ?, \"?\", `?` FROM (SELECT 1 AS `?`) AS x", {std::string("a")});
  EXPECT_EQ(rows.text(0, 0), "?");
  EXPECT_EQ(rows.text(0, 1), "a");
  EXPECT_EQ(rows.text(0, 2), "?");
  EXPECT_EQ(fault_of([&] { db.query("SELECT ?, ?", {std::int64_t{1}}); }), Fault::kOther);
  EXPECT_EQ(fault_of([&] { db.query("SELECT 1", {std::int64_t{1}}); }), Fault::kOther);
  EXPECT_EQ(fault_of([&] { db.query("SELECT ?", {std::numeric_limits<double>::infinity()}); }),
            Fault::kData);
  EXPECT_EQ(db.query("SELECT 1").int64(0, 0), 1) << "the connection is still usable";
}

TEST_P(MysqlDb, ServerErrorsAreClassified) {
  Connection& db = *connection_;
  db.execute(
      "CREATE TABLE parent (id VARCHAR(8) PRIMARY KEY, n INTEGER NOT NULL CHECK (n >= 0)) "
      "ENGINE = InnoDB");
  db.execute(
      "CREATE TABLE child (id VARCHAR(8) PRIMARY KEY, parent VARCHAR(8) NOT NULL, FOREIGN KEY "
      "(parent) REFERENCES parent (id)) ENGINE = InnoDB");
  db.execute("INSERT INTO parent VALUES (?, ?)", {std::string("a"), std::int64_t{1}});
  const auto insert_parent = [&](Param id, Param n) {
    return [&db, id, n] { db.execute("INSERT INTO parent VALUES (?, ?)", {id, n}); };
  };
  EXPECT_EQ(fault_of(insert_parent(std::string("a"), std::int64_t{2})), Fault::kDuplicateKey);
  EXPECT_EQ(fault_of(insert_parent(std::string("b"), std::monostate{})), Fault::kConstraint);
  EXPECT_EQ(fault_of(insert_parent(std::string("c"), std::int64_t{-1})), Fault::kConstraint);
  EXPECT_EQ(fault_of(insert_parent(std::string("too long an id"), std::int64_t{1})),
            Fault::kConstraint);
  EXPECT_EQ(
      fault_of([&] { db.execute("INSERT INTO child VALUES ('x', ?)", {std::string("missing")}); }),
      Fault::kConstraint);
  EXPECT_EQ(fault_of([&] { db.execute("SELEC 1"); }), Fault::kOther);
  EXPECT_EQ(fault_of([&] { db.execute("SELECT * FROM no_such_table"); }), Fault::kOther);
  EXPECT_FALSE(db.broken()) << "errors of a statement leave the connection usable";
  EXPECT_EQ(db.query("SELECT COUNT(*) FROM parent").int64(0, 0), 1);
}

TEST_P(MysqlDb, ConnectErrorsNameThePartOfTheUrlAtFault) {
  const auto parsed = parse_database_url(database_->url());
  const std::string database = parsed->database;
  const auto [denied, denied_message] = connect_failure(url_with("outbreak", "wr0ngpw", database));
  EXPECT_EQ(denied, Fault::kAccessDenied);
  EXPECT_NE(denied_message.find("refused user 'outbreak'"), std::string::npos) << denied_message;
  EXPECT_EQ(denied_message.find("wr0ngpw"), std::string::npos) << denied_message;

  const auto [missing, missing_message] =
      connect_failure(url_with("outbreak", parsed->password, "outbreak_no_such_database"));
  EXPECT_EQ(missing, Fault::kUnknownDatabase);
  EXPECT_NE(missing_message.find("database 'outbreak_no_such_database' does not exist"),
            std::string::npos)
      << missing_message;
  EXPECT_EQ(missing_message.find(parsed->password), std::string::npos) << missing_message;
}

TEST_P(MysqlDb, TransactionsCommitOrRollBack) {
  Connection& db = *connection_;
  db.execute("CREATE TABLE t (n BIGINT PRIMARY KEY) ENGINE = InnoDB");
  db.transaction([](Connection& c) { c.execute("INSERT INTO t VALUES (1)"); });
  EXPECT_THROW(db.transaction([](Connection& c) {
    c.execute("INSERT INTO t VALUES (2)");
    throw std::runtime_error("give up");
  }),
               std::runtime_error);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.query("SELECT COUNT(*), MAX(n) FROM t").int64(0, 0), 1);
  const auto sum =
      db.transaction([](Connection& c) { return c.query("SELECT SUM(n) FROM t").int64(0, 0); });
  EXPECT_EQ(sum, 1);
}

TEST_P(MysqlDb, EmptyTransactionsAndAFailedFirstStatement) {
  Connection& db = *connection_;
  db.execute("CREATE TABLE t (n BIGINT PRIMARY KEY) ENGINE = InnoDB");
  // Nothing in it: nothing to commit or roll back.
  db.begin();
  db.commit();
  db.begin();
  db.rollback();
  // The first statement fails: the transaction it opened is rolled back,
  // and the connection goes on.
  db.execute("INSERT INTO t VALUES (1)");
  db.begin();
  EXPECT_EQ(fault_of([&] { db.execute("INSERT INTO t VALUES (1)"); }), Fault::kDuplicateKey);
  db.rollback();
  // The rows a transaction wrote are its own until COMMIT.
  db.begin();
  db.execute("INSERT INTO t VALUES (2)");
  Connection other(options_for(database_->url()));
  EXPECT_EQ(other.query("SELECT COUNT(*) FROM t").int64(0, 0), 1) << "not committed yet";
  db.commit();
  EXPECT_EQ(other.query("SELECT COUNT(*) FROM t").int64(0, 0), 2);
  EXPECT_FALSE(db.in_transaction());
}

TEST_P(MysqlDb, DeadlocksAndLockWaitsAreRetried) {
  Connection& db = *connection_;
  db.execute("CREATE TABLE t (n BIGINT PRIMARY KEY, v BIGINT) ENGINE = InnoDB");
  db.execute("INSERT INTO t VALUES (1, 0)");
  // A real lock wait timeout: another session holds the row.
  Connection other(options_for(database_->url()));
  other.begin();
  other.execute("UPDATE t SET v = 1 WHERE n = 1");
  db.execute("SET SESSION innodb_lock_wait_timeout = 1");
  EXPECT_EQ(fault_of([&] {
              db.transaction([](Connection& c) { c.execute("UPDATE t SET v = 2 WHERE n = 1"); }, 1);
            }),
            Fault::kRetry);
  other.commit();
  // transaction() runs the body again after a kRetry fault, up to its limit.
  int tries = 0;
  db.transaction([&](Connection& c) {
    c.execute("UPDATE t SET v = v + 10 WHERE n = 1");
    if (++tries < 3) throw MysqlError(ER_LOCK_DEADLOCK, Fault::kRetry, "deadlock");
  });
  EXPECT_EQ(tries, 3);
  EXPECT_EQ(db.query("SELECT v FROM t").int64(0, 0), 11) << "only the last try committed";
  tries = 0;
  EXPECT_EQ(fault_of([&] {
              db.transaction(
                  [&](Connection&) {
                    ++tries;
                    throw MysqlError(ER_LOCK_DEADLOCK, Fault::kRetry, "deadlock");
                  },
                  4);
            }),
            Fault::kRetry);
  EXPECT_EQ(tries, 4);
}

TEST_P(MysqlDb, SkipLockedPassesOverRowsAnotherSessionHolds) {
  Connection& db = *connection_;
  db.execute("CREATE TABLE q (n BIGINT PRIMARY KEY) ENGINE = InnoDB");
  db.execute("INSERT INTO q VALUES (1), (2), (3)");
  Connection other(options_for(database_->url()));
  other.begin();
  EXPECT_EQ(other.query("SELECT n FROM q ORDER BY n LIMIT 1 FOR UPDATE SKIP LOCKED").int64(0, 0),
            1);
  db.begin();
  EXPECT_EQ(db.query("SELECT n FROM q ORDER BY n LIMIT 1 FOR UPDATE SKIP LOCKED").int64(0, 0), 2);
  db.commit();
  other.commit();
}

TEST_P(MysqlDb, AKilledConnectionIsNoticedAndReplaced) {
  Connection& db = *connection_;
  const auto id = db.query("SELECT CONNECTION_ID()").int64(0, 0);
  Connection other(options_for(database_->url()));
  other.execute(fmt::format("KILL CONNECTION {}", id));
  ASSERT_TRUE(wait_until([&] { return db.broken(); }, 10s)) << "the kill was not noticed";
  // The next statement outside a transaction reconnects first.
  EXPECT_NE(db.query("SELECT CONNECTION_ID()").int64(0, 0), id);
  EXPECT_FALSE(db.broken());

  // Killed inside a transaction: the transaction fails as a connection
  // fault (it may have been lost), and the next one runs on a new connection.
  db.begin();
  const auto in_txn = db.query("SELECT CONNECTION_ID()").int64(0, 0);
  other.execute(fmt::format("KILL CONNECTION {}", in_txn));
  EXPECT_EQ(fault_of([&] { db.query("SELECT 1"); }), Fault::kConnection);
  db.rollback();
  EXPECT_EQ(db.transaction([](Connection& c) { return c.query("SELECT 2").int64(0, 0); }), 2);
}

INSTANTIATE_TEST_SUITE_P(store, MysqlDb, ::testing::Values("mariadb"),
                         [](const auto& info) { return info.param; });

// ---- A server of the test's own, restarted --------------------------------

TEST(mysql_restart, AConnectionOutlivesAServerRestart) {
  // OUTBREAK_TEST_MARIADB_URL names a server the tests must not restart.
  const char* shared = std::getenv("OUTBREAK_TEST_MARIADB_URL");
  ASSERT_TRUE(shared == nullptr || *shared == '\0')
      << "this test starts its own server; unset OUTBREAK_TEST_MARIADB_URL";
  const auto dir = fs::temp_directory_path() /
                   fmt::format("outbreak-mariadb-restart-{:x}", std::random_device{}());
  testing::PrivateMariadb server(dir.string());
  Connection db(options_for(server.url()));
  db.execute("CREATE DATABASE restart_test");
  db.execute("CREATE TABLE restart_test.t (n BIGINT PRIMARY KEY) ENGINE = InnoDB");
  db.execute("INSERT INTO restart_test.t VALUES (1)");
  server.restart();
  ASSERT_TRUE(wait_until([&] { return db.broken(); }, 30s)) << "the restart was not noticed";
  // A transaction reconnects at its start: nothing is lost.
  const auto count = db.transaction([](Connection& c) {
    c.execute("INSERT INTO restart_test.t VALUES (2)");
    return c.query("SELECT COUNT(*) FROM restart_test.t").int64(0, 0);
  });
  EXPECT_EQ(count, 2);
  EXPECT_FALSE(db.broken());
}

}  // namespace
}  // namespace outbreak::store::mysql
