#include "store/test_database.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

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

}  // namespace

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
  const std::string server = postgres_server_url();
  path_ = "outbreak_test_" + unique;
  postgres_query(server, "CREATE DATABASE " + path_);
  url_ = with_database(server, path_);
}

TestDatabase::~TestDatabase() {
  try {
    if (backend_ == "sqlite") {
      std::filesystem::remove_all(path_);
    } else {
      postgres_query(postgres_server_url(), "DROP DATABASE IF EXISTS " + path_ + " WITH (FORCE)");
    }
  } catch (const std::exception&) {
    // Best effort: a leftover database dies with the throwaway server.
  }
}

std::string TestDatabase::query(const std::string& sql) const {
  if (backend_ == "sqlite") return sqlite_query(path_ + "/test.db", sql);
  return postgres_query(url_, sql);
}

void TestDatabase::exec(const std::string& sql) const {
  if (backend_ == "sqlite") return sqlite_exec(path_ + "/test.db", sql);
  postgres_exec(url_, sql);
}

}  // namespace outbreak::store::testing
