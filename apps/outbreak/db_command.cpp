#include "db_command.hpp"

#include <iostream>

#include "database.hpp"
#include "exit_status.hpp"
#include "outbreak/store/url.hpp"

namespace outbreak::cli {

int db_migrate_command(const std::string& database) {
  const std::string url = database_url(database);
  auto store = open_database(url, /*migrate=*/true);
  if (!store) return report(store.error());
  auto version = (*store)->schema_version();
  if (!version) return report(version.error());
  std::cout << store::redact_url(url) << ": schema version " << *version << '\n' << std::flush;
  return kExitSuccess;
}

}  // namespace outbreak::cli
