// Shared by the tests of the MySQL/MariaDB backend's own parts.
#pragma once

#include <stdexcept>
#include <string>

#include "outbreak/store/url.hpp"
#include "store/mysql/mysql_db.hpp"

namespace outbreak::store::mysql {

// The connection options of `url`, a mysql:// URL; throws if it is malformed.
inline ConnectOptions options_for(const std::string& url) {
  auto parsed = parse_database_url(url);
  if (!parsed) throw std::runtime_error(parsed.error().message);
  return connect_options(*parsed);
}

}  // namespace outbreak::store::mysql
