// open_store: the one place that turns a database URL into a Store.
#pragma once

#include <memory>
#include <string_view>

#include "outbreak/store/store.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::store {

// The URL used when OUTBREAK_DATABASE_URL is not set: a file in the working
// directory.
inline constexpr std::string_view kDefaultDatabaseUrl = "sqlite://./outbreak.db";

// Opens a store; the caller owns it. Accepted URLs (see parse_database_url):
//   sqlite:///abs/path.db, sqlite://./rel.db, sqlite://rel.db
//   postgresql://user:pass@host:port/db?key=value  (also postgres://)
// Does not migrate: call Store::migrate() next. SQLite creates the file if it
// is missing (not its folder). Errors: kInvalidInput for a malformed URL or
// one of a backend this binary was built without (the message names the
// CMake option, e.g. OUTBREAK_WITH_POSTGRESQL), kIo for a file that cannot
// be opened or a server that cannot be reached;
// every message names the URL with its password redacted. Thread-safe.
Result<std::unique_ptr<Store>> open_store(std::string_view url);

}  // namespace outbreak::store
