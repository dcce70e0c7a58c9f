#include "store/backends.hpp"

#include <fmt/format.h>

namespace outbreak::store::detail {
namespace {

Error not_built(std::string_view display_url, std::string_view name, std::string_view option) {
  return Error::invalid(
      fmt::format("cannot open {}: this outbreak was built without {} support ({}=OFF); "
                  "rebuild it with {}=ON",
                  display_url, name, option, option));
}

}  // namespace

Status require_built(Backend backend, const BuiltBackends& built, std::string_view display_url) {
  switch (backend) {
    case Backend::kSqlite:
      return Ok{};
    case Backend::kPostgres:
      if (built.postgresql) return Ok{};
      return not_built(display_url, "PostgreSQL", "OUTBREAK_WITH_POSTGRESQL");
    case Backend::kMysql:
      if (built.mysql) return Ok{};
      return not_built(display_url, "MySQL/MariaDB", "OUTBREAK_WITH_MYSQL");
  }
  return Ok{};
}

}  // namespace outbreak::store::detail
