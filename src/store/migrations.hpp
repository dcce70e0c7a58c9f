// The schema of each backend as numbered migrations. A migration, once
// released, never changes: later changes are new versions.
#pragma once

#include <span>
#include <string_view>

#include "outbreak/util/result.hpp"

namespace outbreak::store::detail {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;  // one or more statements separated by ';'
};

std::span<const Migration> sqlite_migrations();
std::span<const Migration> postgres_migrations();

// The highest version this binary knows (the same for both backends).
int latest_schema_version();

// The message for a database newer than this binary (kInvalidInput).
Error schema_too_new_error(int database_version);

}  // namespace outbreak::store::detail
