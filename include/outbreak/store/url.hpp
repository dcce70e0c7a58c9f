// Database URLs: parsing, and redaction of passwords for messages and logs.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outbreak/util/result.hpp"

namespace outbreak::store {

enum class Backend { kSqlite, kPostgres, kMysql };

struct DatabaseUrl {
  Backend backend = Backend::kSqlite;
  std::string path;  // SQLite: the file path as given (absolute or relative)
  // PostgreSQL and MySQL/MariaDB, percent-decoded. Empty host on
  // PostgreSQL: libpq's default (a local socket); on MySQL only with a
  // `socket` parameter. MySQL's port is always set (3306 if not given).
  std::string user;
  std::string password;
  std::string host;
  std::optional<int> port;
  std::string database;
  // ?key=value: passed to libpq; on MySQL one of kMysqlUrlParameters.
  std::vector<std::pair<std::string, std::string>> params;
};

inline constexpr int kMysqlDefaultPort = 3306;

// The query parameters a MySQL/MariaDB URL may have: `socket` (the path of
// the server's Unix socket, used instead of host and port) and
// `connect_timeout` (seconds, 1..3600; default 10).
inline constexpr std::string_view kMysqlUrlParameters[] = {"socket", "connect_timeout"};

// Parses `url`: sqlite://PATH, postgresql:// (or postgres://) and mysql://
// (or mariadb://) user:password@host:port/database. Errors (kInvalidInput,
// the message names the problem and the redacted URL): unknown or missing
// scheme, empty SQLite path, query parameters on a SQLite URL, a port that
// is not 1..65535, bad percent escapes, a missing database name on a
// PostgreSQL or MySQL URL; on MySQL also a missing user or host (without
// `socket`) and an unknown or bad query parameter. Pure; thread-safe.
Result<DatabaseUrl> parse_database_url(std::string_view url);

// `text` with its "%XX" escapes decoded (as in the user and password of a
// URL); nullopt for an escape that is not two hex digits.
std::optional<std::string> percent_decode(std::string_view text);

// `url` with the password (if any) replaced by "***", also in a query
// parameter named password; safe to log even when `url` is malformed (a raw
// '?' in the password included, though it may then hide more).
std::string redact_url(std::string_view url);

// The libpq keyword=value connection string for a PostgreSQL URL (values
// quoted); contains the password, so never log it.
std::string postgres_conninfo(const DatabaseUrl& url);

// A last guard on messages from libraries: `text` with every URL in it
// redacted (redact_url), and `secret` replaced by "***" where it stands as a
// password (user:secret@host, password=secret). Elsewhere the same letters
// are other words ("Connection refused", "postgresql://"), and stay: the
// libraries never echo the password.
std::string scrub(std::string text, std::string_view secret);

}  // namespace outbreak::store
