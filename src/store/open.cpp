#include "outbreak/store/open.hpp"

#include "outbreak/store/url.hpp"
#include "store/backends.hpp"
#include "store/sqlite/sqlite_dialect.hpp"

#if OUTBREAK_WITH_POSTGRESQL
#include "store/postgres/postgres_dialect.hpp"
#endif
#if OUTBREAK_WITH_MYSQL
#include "store/mysql/mysql_dialect.hpp"
#endif

namespace outbreak::store {

detail::BuiltBackends detail::built_backends() {
  return BuiltBackends{.postgresql = OUTBREAK_WITH_POSTGRESQL != 0,
                       .mysql = OUTBREAK_WITH_MYSQL != 0};
}

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  auto parsed = parse_database_url(url);
  if (!parsed) return parsed.error();
  const std::string display = redact_url(url);
  if (auto built = detail::require_built(parsed->backend, detail::built_backends(), display);
      !built) {
    return built.error();
  }
  if (parsed->backend == Backend::kSqlite) return sqlite::open_sqlite_store(parsed->path, display);
#if OUTBREAK_WITH_MYSQL
  if (parsed->backend == Backend::kMysql) return mysql::open_mysql_store(*parsed, display);
#endif
#if OUTBREAK_WITH_POSTGRESQL
  if (parsed->backend == Backend::kPostgres) return postgres::open_postgres_store(*parsed, display);
#endif
  return Error::make(ErrorCode::kInternal, "no backend for " + display);
}

}  // namespace outbreak::store
