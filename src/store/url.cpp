#include "outbreak/store/url.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace outbreak::store {
namespace {

Error bad_url(std::string_view url, std::string_view problem) {
  return Error::invalid(fmt::format("malformed database URL '{}': {}", redact_url(url), problem));
}

// Splits "host:port" or "[v6]:port" into the host and, if there is a ':',
// the port text.
std::pair<std::string_view, std::optional<std::string_view>> split_host_port(
    std::string_view hostport) {
  if (!hostport.empty() && hostport.front() == '[') {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) return {hostport, std::nullopt};
    const auto rest = hostport.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return {hostport.substr(1, close - 1), std::nullopt};
    return {hostport.substr(1, close - 1), rest.substr(1)};
  }
  const auto colon = hostport.rfind(':');
  if (colon == std::string_view::npos) return {hostport, std::nullopt};
  return {hostport.substr(0, colon), hostport.substr(colon + 1)};
}

std::optional<int> parse_port(std::string_view text) {
  int port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  return port;
}

Result<DatabaseUrl> parse_sqlite(std::string_view url, std::string_view rest) {
  if (rest.find('?') != std::string_view::npos) return bad_url(url, "SQLite URLs take no ?query");
  if (rest.empty()) return bad_url(url, "the SQLite file path is empty");
  DatabaseUrl out;
  out.backend = Backend::kSqlite;
  out.path = std::string(rest);
  return out;
}

Status parse_query(std::string_view url, std::string_view query, DatabaseUrl& out) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      // With an '@', the item is more likely the rest of a password with a
      // raw '?' than a query item: echoing it would show that rest.
      if (item.find('@') != std::string_view::npos) {
        return bad_url(url, "a '?' in the user name or password must be written %3F");
      }
      return bad_url(url, fmt::format("query item '{}' is not key=value", item));
    }
    auto key = percent_decode(item.substr(0, eq));
    auto value = percent_decode(item.substr(eq + 1));
    if (!key || !value) return bad_url(url, "bad percent escape in the query");
    out.params.emplace_back(std::move(*key), std::move(*value));
  }
  return Ok{};
}

Status parse_authority(std::string_view url, std::string_view authority, DatabaseUrl& out) {
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const auto userinfo = authority.substr(0, at);
    const auto colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    auto password = percent_decode(colon == std::string_view::npos ? std::string_view{}
                                                                   : userinfo.substr(colon + 1));
    if (!user || !password) return bad_url(url, "bad percent escape in the user or password");
    out.user = std::move(*user);
    out.password = std::move(*password);
    authority = authority.substr(at + 1);
  }
  const auto [host, port] = split_host_port(authority);
  out.host = std::string(host);
  if (port) {
    out.port = parse_port(*port);
    if (!out.port) return bad_url(url, fmt::format("port '{}' is not a number in 1..65535", *port));
  }
  return Ok{};
}

// scheme://user:password@host:port/database?query, the form of PostgreSQL
// and MySQL URLs, into `out`; `scheme` names the expected form in errors.
Status parse_server_url(std::string_view url, std::string_view rest, std::string_view scheme,
                        DatabaseUrl& out) {
  const auto question = rest.find('?');
  if (question != std::string_view::npos) {
    if (auto status = parse_query(url, rest.substr(question + 1), out); !status) return status;
    rest = rest.substr(0, question);
  }
  // The database is after the last '/', so that a raw '/' in a password does
  // not cut the authority short.
  const auto slash = rest.rfind('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) {
    return bad_url(url,
                   fmt::format("no database name (expected {}://user:pass@host:port/db)", scheme));
  }
  auto database = percent_decode(rest.substr(slash + 1));
  if (!database) return bad_url(url, "bad percent escape in the database name");
  out.database = std::move(*database);
  return parse_authority(url, rest.substr(0, slash), out);
}

Result<DatabaseUrl> parse_postgres(std::string_view url, std::string_view rest) {
  DatabaseUrl out;
  out.backend = Backend::kPostgres;
  if (auto status = parse_server_url(url, rest, "postgresql", out); !status) {
    return status.error();
  }
  return out;
}

// The value of `key` in `url`'s query, if it is there (the last one wins).
std::optional<std::string> param(const DatabaseUrl& url, std::string_view key) {
  std::optional<std::string> out;
  for (const auto& [name, value] : url.params) {
    if (name == key) out = value;
  }
  return out;
}

Status check_mysql_params(std::string_view url, const DatabaseUrl& out) {
  for (const auto& [key, value] : out.params) {
    if (std::find(std::begin(kMysqlUrlParameters), std::end(kMysqlUrlParameters), key) ==
        std::end(kMysqlUrlParameters)) {
      return bad_url(url, fmt::format("unknown query parameter '{}' (known: socket, "
                                      "connect_timeout)",
                                      key));
    }
    if (value.empty()) return bad_url(url, fmt::format("query parameter '{}' is empty", key));
    if (key == "connect_timeout") {
      int seconds = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec != std::errc{} || end != value.data() + value.size() || seconds < 1 ||
          seconds > 3600) {
        return bad_url(url, fmt::format("connect_timeout '{}' is not a number of seconds in "
                                        "1..3600",
                                        value));
      }
    }
  }
  return Ok{};
}

// mysql://user:password@host:port/database?socket=...&connect_timeout=...
Result<DatabaseUrl> parse_mysql(std::string_view url, std::string_view rest) {
  DatabaseUrl out;
  out.backend = Backend::kMysql;
  if (auto status = parse_server_url(url, rest, "mysql", out); !status) return status.error();
  if (auto status = check_mysql_params(url, out); !status) return status.error();
  if (out.user.empty()) {
    return bad_url(url, "no user name (expected mysql://user:pass@host:port/db)");
  }
  if (out.host.empty() && !param(out, "socket")) {
    return bad_url(url,
                   "no host (expected mysql://user:pass@host:port/db, or ?socket=PATH for a "
                   "local server's socket)");
  }
  if (!out.port) out.port = kMysqlDefaultPort;
  return out;
}

void quote_into(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out += ' ';
  out += key;
  out += "='";
  for (const char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
}

}  // namespace

namespace {

// The [begin, end) of the password in `url`'s user info: from the first ':'
// after the scheme to the last '@' before the query. With no '@' before the
// first '?', that '?' may be a raw one in the password, so the last '@' of
// all ends it: hiding too much beats showing a password.
std::optional<std::pair<std::size_t, std::size_t>> userinfo_password(std::string_view url) {
  const auto sep = url.find("://");
  const auto start = sep == std::string_view::npos ? 0 : sep + 3;
  auto at = url.rfind('@', url.find('?', start));
  if (at == std::string_view::npos || at < start) at = url.rfind('@');
  if (at == std::string_view::npos || at < start) return std::nullopt;
  const auto colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::nullopt;
  return std::pair(colon + 1, at);
}

// `text` with every URL in it (a word containing "://") redacted.
std::string redact_urls(std::string text) {
  constexpr std::string_view kSpace = " \t\r\n";
  // Each word once: the search goes on after the redacted word, so that a
  // word with two "://" in it is not redacted again and again.
  for (auto sep = text.find("://"); sep != std::string::npos;) {
    const auto space = text.find_last_of(kSpace, sep);
    const auto begin = space == std::string::npos ? 0 : space + 1;
    const auto end = std::min(text.find_first_of(kSpace, sep), text.size());
    const std::string redacted = redact_url(std::string_view(text).substr(begin, end - begin));
    text.replace(begin, end - begin, redacted);
    sep = text.find("://", begin + redacted.size());
  }
  return text;
}

// Whether text[begin, end) stands where a password is written: between the
// ':' and the '@' of a URL's user info, or as a password= value.
bool in_password_place(std::string_view text, std::size_t begin, std::size_t end) {
  const std::string_view before = text.substr(0, begin);
  if (before.ends_with(':') && text.substr(end).starts_with('@')) return true;
  return before.ends_with("password=") || before.ends_with("password='") ||
         before.ends_with("password=\"");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

Result<DatabaseUrl> parse_database_url(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return bad_url(url,
                   "no scheme (expected sqlite://PATH, postgresql://user:pass@host/db or "
                   "mysql://user:pass@host/db)");
  }
  const auto scheme = url.substr(0, sep);
  const auto rest = url.substr(sep + 3);
  if (scheme == "sqlite") return parse_sqlite(url, rest);
  if (scheme == "postgresql" || scheme == "postgres") return parse_postgres(url, rest);
  if (scheme == "mysql" || scheme == "mariadb") return parse_mysql(url, rest);
  return bad_url(url,
                 fmt::format("unknown scheme '{}' (expected sqlite, postgresql or mysql)", scheme));
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  if (const auto password = userinfo_password(out)) {
    out.replace(password->first, password->second - password->first, "***");
  }
  // password=... in the query.
  const auto query_start = out.find('?');
  if (query_start == std::string::npos) return out;
  for (auto pos = out.find("password=", query_start); pos != std::string::npos;
       pos = out.find("password=", pos + 1)) {
    const auto begin = pos + 9;
    const auto end = out.find('&', begin);
    out.replace(begin, (end == std::string::npos ? out.size() : end) - begin, "***");
  }
  return out;
}

std::string postgres_conninfo(const DatabaseUrl& url) {
  std::string out;
  if (!url.host.empty()) quote_into(out, "host", url.host);
  if (url.port) quote_into(out, "port", std::to_string(*url.port));
  if (!url.user.empty()) quote_into(out, "user", url.user);
  if (!url.password.empty()) quote_into(out, "password", url.password);
  quote_into(out, "dbname", url.database);
  bool has_timeout = false;
  for (const auto& [key, value] : url.params) {
    quote_into(out, key, value);
    has_timeout = has_timeout || key == "connect_timeout";
  }
  if (!has_timeout) quote_into(out, "connect_timeout", "10");
  return out;
}

std::string scrub(std::string text, std::string_view secret) {
  text = redact_urls(std::move(text));
  if (secret.empty()) return text;
  for (auto pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 1)) {
    if (in_password_place(text, pos, pos + secret.size())) text.replace(pos, secret.size(), "***");
  }
  return text;
}

}  // namespace outbreak::store
