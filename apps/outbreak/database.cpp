#include "database.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "outbreak/store/open.hpp"
#include "outbreak/store/url.hpp"

namespace outbreak::cli {

std::string database_url(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("OUTBREAK_DATABASE_URL");
  if (env != nullptr && *env != '\0') return env;
  return std::string(store::kDefaultDatabaseUrl);
}

Result<std::unique_ptr<store::Store>> open_database(const std::string& url, bool migrate) {
  auto store = store::open_store(url);
  if (!store) return store.error();
  if (migrate) {
    if (Status migrated = (*store)->migrate(); !migrated) return migrated.error();
    return store;
  }
  auto version = (*store)->schema_version();
  if (!version) return version.error();
  if (*version == 0) {
    return Error::invalid(fmt::format(
        "database {} has no outbreak tables yet; run `outbreak db migrate` or submit a job first",
        store::redact_url(url)));
  }
  // migrate() on an up-to-date database changes nothing and refuses a newer one.
  if (Status checked = (*store)->migrate(); !checked) return checked.error();
  return store;
}

}  // namespace outbreak::cli
