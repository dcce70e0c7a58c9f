// A URL of a backend this binary was built without is refused with an error
// that names the CMake option, and never reaches a driver.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "outbreak/store/open.hpp"
#include "store/backends.hpp"

namespace outbreak::store::testing {
namespace {

TEST(store_backends, SqliteIsAlwaysBuilt) {
  EXPECT_TRUE(detail::require_built(Backend::kSqlite, {}, "sqlite://x.db").ok());
}

TEST(store_backends, PostgresqlLeftOutNamesItsOption) {
  const auto refused =
      detail::require_built(Backend::kPostgres, {.postgresql = false}, "postgresql://me:***@h/db");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(refused.error().message,
            "cannot open postgresql://me:***@h/db: this outbreak was built without PostgreSQL "
            "support (OUTBREAK_WITH_POSTGRESQL=OFF); rebuild it with OUTBREAK_WITH_POSTGRESQL=ON");
  EXPECT_TRUE(
      detail::require_built(Backend::kPostgres, {.postgresql = true}, "postgresql://h/db").ok());
}

TEST(store_backends, MysqlLeftOutNamesItsOption) {
  for (const char* url : {"mysql://me:***@h/db", "mariadb://me:***@h/db"}) {
    const auto refused = detail::require_built(Backend::kMysql, {.mysql = false}, url);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidInput);
    EXPECT_EQ(refused.error().message,
              fmt::format("cannot open {}: this outbreak was built without MySQL/MariaDB support "
                          "(OUTBREAK_WITH_MYSQL=OFF); rebuild it with OUTBREAK_WITH_MYSQL=ON",
                          url));
  }
  EXPECT_TRUE(detail::require_built(Backend::kMysql, {.mysql = true}, "mysql://h/db").ok());
}

// The test tree is configured with every backend (see tests/CMakeLists.txt).
TEST(store_backends, ThisBinaryHasPostgresql) { EXPECT_TRUE(detail::built_backends().postgresql); }
TEST(store_backends, ThisBinaryHasMysql) { EXPECT_TRUE(detail::built_backends().mysql); }

}  // namespace
}  // namespace outbreak::store::testing
