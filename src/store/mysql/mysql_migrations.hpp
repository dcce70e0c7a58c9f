// The schema on MySQL/MariaDB as numbered migrations: the same versions,
// tables and columns as on SQLite and PostgreSQL (src/store/migrations.cpp),
// in MySQL's dialect.
#pragma once

#include <span>
#include <string_view>

#include "store/migrations.hpp"

namespace outbreak::store::detail {

// Versions 1..latest_schema_version(), in order. Each version's SQL is one
// or more statements separated by ';' (run one at a time: MySQL commits
// after each DDL statement, so a version is not one transaction; every
// statement is written to be run again safely, with IF NOT EXISTS, so that a
// version cut short is completed by the next migrate).
std::span<const Migration> mysql_migrations();

// The table of applied versions, created before the first version.
inline constexpr std::string_view kMysqlVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at "
    "DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 "
    "COLLATE = utf8mb4_bin";

// Serialise migrators of one database (GET_LOCK names are server-wide, so
// the name holds a digest of the database's): the lock is held by the
// session until kMysqlMigrationUnlock. GET_LOCK returns 1 when it got the
// lock, 0 after waiting kMysqlMigrationLockSeconds.
inline constexpr int kMysqlMigrationLockSeconds = 300;
inline constexpr std::string_view kMysqlMigrationLock =
    "SELECT GET_LOCK(CONCAT('outbreak.migrate.', MD5(DATABASE())), 300)";
inline constexpr std::string_view kMysqlMigrationUnlock =
    "SELECT RELEASE_LOCK(CONCAT('outbreak.migrate.', MD5(DATABASE())))";

}  // namespace outbreak::store::detail
