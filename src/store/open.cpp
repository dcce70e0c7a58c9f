#include "outbreak/store/open.hpp"

#include "outbreak/store/url.hpp"
#include "store/mysql/mysql_dialect.hpp"
#include "store/postgres/postgres_dialect.hpp"
#include "store/sqlite/sqlite_dialect.hpp"

namespace outbreak::store {

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  auto parsed = parse_database_url(url);
  if (!parsed) return parsed.error();
  const std::string display = redact_url(url);
  if (parsed->backend == Backend::kSqlite) return sqlite::open_sqlite_store(parsed->path, display);
  if (parsed->backend == Backend::kMysql) return mysql::open_mysql_store(*parsed, display);
  return postgres::open_postgres_store(*parsed, display);
}

}  // namespace outbreak::store
