// A fresh, empty database per test, for each backend, so that tests can run
// in parallel: a SQLite file in its own temporary folder, or a PostgreSQL or
// MariaDB database created on the test server and dropped afterwards.
//
// The PostgreSQL server is OUTBREAK_TEST_POSTGRES_URL if set, else the one
// that CTest's `postgres` fixture started (scripts/test-postgres), whose URL
// is in the file OUTBREAK_TEST_POSTGRES_URL_FILE. Likewise the MariaDB
// server: OUTBREAK_TEST_MARIADB_URL, else the `mariadb` fixture's
// (scripts/test-mariadb), its URL in OUTBREAK_TEST_MARIADB_URL_FILE. Without
// either, creating a database throws with the reason, so the test fails
// instead of skipping.
#pragma once

#include <string>

namespace outbreak::store::testing {

class TestDatabase {
 public:
  explicit TestDatabase(const std::string& backend);  // "sqlite", "postgresql" or "mariadb"
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  ~TestDatabase();

  const std::string& url() const { return url_; }
  // Runs SQL outside the Store (to set up states the Store cannot make) and
  // returns the first column of the first row, "" if none or NULL.
  std::string query(const std::string& sql) const;
  // Runs one or more statements separated by ';' in one transaction (to
  // build an old schema by hand).
  void exec(const std::string& sql) const;
  // PostgreSQL and MariaDB: ends every session on the database but the one
  // asking (pg_terminate_backend, KILL), as an administrator or a failover
  // does; returns how many.
  int drop_other_connections() const;

 private:
  std::string backend_;
  std::string url_;
  std::string path_;  // SQLite: the folder; PostgreSQL and MariaDB: the database name
};

// A MariaDB server of a test's own (scripts/test-mariadb) in `dir`, for
// tests that restart it: restarting the shared one would break the tests
// running beside it. Stopped, and `dir` removed, when destroyed. Throws, with
// the script's output, if it cannot be started.
class PrivateMariadb {
 public:
  explicit PrivateMariadb(std::string dir);
  PrivateMariadb(const PrivateMariadb&) = delete;
  PrivateMariadb& operator=(const PrivateMariadb&) = delete;
  ~PrivateMariadb();

  // The server's URL (its `mysql` database).
  std::string url() const;
  // Creates database `name` on it; returns the URL of that database.
  std::string create_database(const std::string& name) const;
  // Stops the server and starts it again on the same port: every
  // connection is dropped. Returns once it accepts connections again.
  void restart() const;

 private:
  void script(const std::string& command) const;
  std::string dir_;
};

// The PostgreSQL server for tests (see above); throws if there is none.
std::string postgres_server_url();

// The MariaDB server for tests (see above); throws if there is none.
std::string mariadb_server_url();

// `url` with its database name replaced by `database`.
std::string with_database(const std::string& url, const std::string& database);

}  // namespace outbreak::store::testing
