// The database a command works on: --database, else OUTBREAK_DATABASE_URL,
// else the default file in the working directory.
#pragma once

#include <memory>
#include <string>

#include "outbreak/store/store.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::cli {

// The URL to use given the --database flag (empty when not given).
std::string database_url(const std::string& flag);

// Opens the store at `url` and migrates it (under the store's lock), or only
// checks that it is migrated and not newer than this binary when `migrate`
// is false. Errors: kInvalidInput (malformed URL, schema too new, not yet
// migrated), kIo (unreachable); messages never contain a password.
Result<std::unique_ptr<store::Store>> open_database(const std::string& url, bool migrate);

}  // namespace outbreak::cli
