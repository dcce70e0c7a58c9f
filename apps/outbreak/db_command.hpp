// `outbreak db migrate`: create or upgrade the database's tables.
#pragma once

#include <string>

namespace outbreak::cli {

// Applies missing migrations under the store's lock and prints the schema
// version. Exit 2 for a bad URL or a database newer than this binary, 1 for
// an unreachable one.
int db_migrate_command(const std::string& database);

}  // namespace outbreak::cli
