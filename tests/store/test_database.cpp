#include "store/test_database.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <mysql.h>
#include <sqlite3.h>
#include <pqxx/pqxx>

#include "outbreak/store/store.hpp"
#include "outbreak/store/url.hpp"

namespace outbreak::store::testing {
namespace {

std::string conninfo(const std::string& url) {
  auto parsed = parse_database_url(url);
  if (!parsed) throw std::runtime_error(parsed.error().message);
  return postgres_conninfo(*parsed);
}

std::string sqlite_query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("sqlite open");
  sqlite3_busy_timeout(db, 10000);
  sqlite3_stmt* stmt = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error("sqlite prepare: " + message);
  }
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0)) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
  const std::string message = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (rc != SQLITE_DONE) throw std::runtime_error("sqlite step: " + message);
  return out;
}

std::string postgres_query(const std::string& url, const std::string& sql) {
  pqxx::connection conn(conninfo(url));
  pqxx::nontransaction txn(conn);
  const auto result = txn.exec(sql);
  if (result.empty() || result.columns() == 0 || result[0][0].is_null()) return "";
  return result[0][0].as<std::string>();
}

void sqlite_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("sqlite open");
  sqlite3_busy_timeout(db, 10000);
  char* error = nullptr;
  const std::string script = "BEGIN; " + sql + "; COMMIT;";
  const int rc = sqlite3_exec(db, script.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error("sqlite exec: " + message);
}

void postgres_exec(const std::string& url, const std::string& sql) {
  pqxx::connection conn(conninfo(url));
  pqxx::work txn(conn);
  txn.exec(sql);
  txn.commit();
}

// A Connector/C connection for the tests' own SQL, apart from the store's
// code. Statements may be several, separated by ';'.
class MariadbConnection {
 public:
  explicit MariadbConnection(const std::string& url) : handle_(mysql_init(nullptr)) {
    auto parsed = parse_database_url(url);
    if (!parsed) throw std::runtime_error(parsed.error().message);
    if (handle_ == nullptr) throw std::runtime_error("mysql_init failed");
    const unsigned int timeout = 10;
    mysql_optionsv(handle_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(handle_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    mysql_optionsv(handle_, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
    std::string socket;
    for (const auto& [key, value] : parsed->params) {
      if (key == "socket") socket = value;
    }
    if (mysql_real_connect(handle_, socket.empty() ? parsed->host.c_str() : "localhost",
                           parsed->user.c_str(), parsed->password.c_str(), parsed->database.c_str(),
                           static_cast<unsigned int>(*parsed->port),
                           socket.empty() ? nullptr : socket.c_str(),
                           CLIENT_MULTI_STATEMENTS) == nullptr) {
      const std::string message = mysql_error(handle_);
      mysql_close(handle_);
      throw std::runtime_error("mariadb connect to " + redact_url(url) + ": " + message);
    }
  }
  MariadbConnection(const MariadbConnection&) = delete;
  MariadbConnection& operator=(const MariadbConnection&) = delete;
  ~MariadbConnection() { mysql_close(handle_); }

  // Runs `sql`; returns the first column of the first row of the first
  // result, "" if none or NULL.
  std::string run(const std::string& sql) {
    if (mysql_real_query(handle_, sql.data(), sql.size()) != 0) fail();
    std::string out;
    bool first = true;
    for (;;) {
      if (MYSQL_RES* result = mysql_store_result(handle_); result != nullptr) {
        MYSQL_ROW row = mysql_fetch_row(result);
        if (first && row != nullptr && mysql_num_fields(result) > 0 && row[0] != nullptr) {
          out = row[0];
        }
        first = false;
        mysql_free_result(result);
      } else if (mysql_field_count(handle_) != 0) {
        fail();
      }
      const int next = mysql_next_result(handle_);
      if (next > 0) fail();
      if (next < 0) break;
    }
    return out;
  }

  // The first column of every row of `sql` (one statement); NULLs skipped.
  std::vector<std::string> column(const std::string& sql) {
    if (mysql_real_query(handle_, sql.data(), sql.size()) != 0) fail();
    MYSQL_RES* result = mysql_store_result(handle_);
    if (result == nullptr) fail();
    std::vector<std::string> out;
    while (MYSQL_ROW row = mysql_fetch_row(result)) {
      if (row[0] != nullptr) out.emplace_back(row[0]);
    }
    mysql_free_result(result);
    return out;
  }

 private:
  [[noreturn]] void fail() {
    throw std::runtime_error("mariadb: " + std::string(mysql_error(handle_)));
  }
  MYSQL* handle_;
};

}  // namespace

std::string mariadb_server_url() {
  if (const char* url = std::getenv("OUTBREAK_TEST_MARIADB_URL"); url && *url) return url;
  const std::string file = OUTBREAK_TEST_MARIADB_URL_FILE;
  std::ifstream in(file);
  std::string url;
  if (!in || !std::getline(in, url) || url.empty()) {
    throw std::runtime_error(
        "no MariaDB server for the tests: OUTBREAK_TEST_MARIADB_URL is not set and " + file +
        " does not exist; run the tests through ctest (its `mariadb` fixture starts a server "
        "with scripts/test-mariadb) or set OUTBREAK_TEST_MARIADB_URL");
  }
  return url;
}

PrivateMariadb::PrivateMariadb(std::string dir) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  script("start");
}

PrivateMariadb::~PrivateMariadb() {
  try {
    script("stop");
  } catch (const std::exception&) {
    // Best effort: the data folder is named in dir_/datadir.
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string PrivateMariadb::url() const {
  std::ifstream in(dir_ + "/url");
  std::string url;
  std::getline(in, url);
  return url;
}

std::string PrivateMariadb::create_database(const std::string& name) const {
  MariadbConnection(url()).run("CREATE DATABASE " + name +
                               " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
  return with_database(url(), name);
}

void PrivateMariadb::restart() const { script("restart"); }

void PrivateMariadb::script(const std::string& command) const {
  const std::string log = dir_ + "/script.log";
  const std::string line = std::string(OUTBREAK_TEST_MARIADB_SCRIPT) + " " + command + " " + dir_ +
                           " >>" + log + " 2>&1";
  if (std::system(line.c_str()) != 0) {
    std::ifstream in(log);
    throw std::runtime_error("scripts/test-mariadb " + command + " failed:\n" +
                             std::string(std::istreambuf_iterator<char>(in), {}));
  }
}

std::string postgres_server_url() {
  if (const char* url = std::getenv("OUTBREAK_TEST_POSTGRES_URL"); url && *url) return url;
  const std::string file = OUTBREAK_TEST_POSTGRES_URL_FILE;
  std::ifstream in(file);
  std::string url;
  if (!in || !std::getline(in, url) || url.empty()) {
    throw std::runtime_error(
        "no PostgreSQL server for the tests: OUTBREAK_TEST_POSTGRES_URL is not set and " + file +
        " does not exist; run the tests through ctest (its `postgres` fixture starts a server "
        "with scripts/test-postgres) or set OUTBREAK_TEST_POSTGRES_URL");
  }
  return url;
}

std::string with_database(const std::string& url, const std::string& database) {
  const auto query = url.find('?');
  const auto slash = url.rfind('/', query == std::string::npos ? std::string::npos : query);
  std::string out = url.substr(0, slash + 1) + database;
  if (query != std::string::npos) out += url.substr(query);
  return out;
}

TestDatabase::TestDatabase(const std::string& backend) : backend_(backend) {
  const std::string unique = new_uuid_v4().substr(0, 8) + new_uuid_v4().substr(24);
  if (backend == "sqlite") {
    path_ = (std::filesystem::temp_directory_path() / ("outbreak-store-test-" + unique)).string();
    std::filesystem::create_directories(path_);
    url_ = "sqlite://" + path_ + "/test.db";
    return;
  }
  path_ = "outbreak_test_" + unique;
  if (backend == "mariadb") {
    const std::string server = mariadb_server_url();
    MariadbConnection(server).run("CREATE DATABASE " + path_ +
                                  " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
    url_ = with_database(server, path_);
    return;
  }
  if (backend != "postgresql") throw std::runtime_error("no test backend named " + backend);
  const std::string server = postgres_server_url();
  postgres_query(server, "CREATE DATABASE " + path_);
  url_ = with_database(server, path_);
}

TestDatabase::~TestDatabase() {
  try {
    if (backend_ == "sqlite") {
      std::filesystem::remove_all(path_);
    } else if (backend_ == "mariadb") {
      // As PostgreSQL's DROP DATABASE ... WITH (FORCE): end the sessions on
      // it first, so that they see a database that is gone, not one whose
      // tables vanished under them.
      MariadbConnection server(mariadb_server_url());
      for (const auto& id :
           server.column("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '" + path_ +
                         "' AND ID <> CONNECTION_ID()")) {
        try {
          server.run("KILL CONNECTION " + id);
        } catch (const std::exception&) {
          // It ended meanwhile.
        }
      }
      server.run("DROP DATABASE IF EXISTS " + path_);
    } else {
      postgres_query(postgres_server_url(), "DROP DATABASE IF EXISTS " + path_ + " WITH (FORCE)");
    }
  } catch (const std::exception&) {
    // Best effort: a leftover database dies with the throwaway server.
  }
}

std::string TestDatabase::query(const std::string& sql) const {
  if (backend_ == "sqlite") return sqlite_query(path_ + "/test.db", sql);
  if (backend_ == "mariadb") return MariadbConnection(url_).run(sql);
  return postgres_query(url_, sql);
}

int TestDatabase::drop_other_connections() const {
  if (backend_ == "postgresql") {
    return std::stoi(
        postgres_query(url_,
                       // With a timeout, each call returns once its backend
                       // has ended, not when it was only signalled: a call
                       // right after this one meets a closed connection.
                       "SELECT COUNT(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()"));
  }
  if (backend_ != "mariadb") throw std::runtime_error(backend_ + " has no connections to drop");
  MariadbConnection connection(url_);
  int dropped = 0;
  const std::vector<std::string> ids = connection.column(
      "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> "
      "CONNECTION_ID()");
  for (const auto& id : ids) {
    try {
      connection.run("KILL CONNECTION " + id);
      ++dropped;
    } catch (const std::exception&) {
      // It ended meanwhile.
    }
  }
  // KILL only marks a session; wait until each has ended, so that a call
  // right after this one meets a closed connection.
  std::string listed;
  for (const auto& id : ids) listed += (listed.empty() ? "" : ", ") + id;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (
      !listed.empty() &&
      connection
              .column("SELECT ID FROM information_schema.PROCESSLIST WHERE ID IN (" + listed + ")")
              .size() > 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("killed MariaDB sessions did not end within 10 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return dropped;
}

void TestDatabase::exec(const std::string& sql) const {
  if (backend_ == "sqlite") return sqlite_exec(path_ + "/test.db", sql);
  if (backend_ == "mariadb") {
    // DDL commits by itself on MariaDB: only data changes are undone if a
    // later statement fails.
    std::string body = sql;
    while (!body.empty() &&
           (body.back() == ';' || std::isspace(static_cast<unsigned char>(body.back())))) {
      body.pop_back();
    }
    MariadbConnection(url_).run("START TRANSACTION; " + body + "; COMMIT");
    return;
  }
  postgres_exec(url_, sql);
}

}  // namespace outbreak::store::testing
