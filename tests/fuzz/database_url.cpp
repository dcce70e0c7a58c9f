// Database URLs (store::parse_database_url) and password redaction
// (store::redact_url, store::scrub). The first byte picks the mode:
//   - even: the rest is a URL as typed. Whatever it is, redaction copes; a
//     URL that parses with a password does not give that password back
//     when its redacted form is parsed again.
//   - odd: the rest is split at NUL bytes into user, password, host and
//     database, and a URL is built from them, percent-encoding what must
//     be: a postgresql:// URL if the first byte is 1 modulo 4, a mysql://
//     one if it is 3. It must parse back to the same parts; its redacted form must be
//     exactly the URL with "***" for the password; scrub must turn a message
//     holding the URL and "password=..." into the same message with "***"
//     in both places; and an error message must not depend on the password.
#include <array>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fuzz_support.hpp"
#include "outbreak/store/url.hpp"

using namespace outbreak;

namespace {

// Percent-encodes every byte outside unreserved characters.
std::string encoded(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    out += plain ? std::string(1, c) : fmt::format("%{:02X}", byte);
  }
  return out;
}

// A host name the URL can hold without escapes: letters, digits, '-', '.'.
std::string host_name(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.') out += c;
  }
  return out;
}

void raw_url(std::string_view url) {
  const std::string redacted = store::redact_url(url);
  (void)store::scrub(std::string(url), "secret");
  auto parsed = store::parse_database_url(url);
  if (!parsed) {
    fuzz::check(parsed.error().code == ErrorCode::kInvalidInput, "a bad URL is kInvalidInput");
    return;
  }
  if (parsed->backend == store::Backend::kSqlite || parsed->password.empty()) return;
  if (parsed->backend == store::Backend::kPostgres) (void)store::postgres_conninfo(*parsed);
  auto again = store::parse_database_url(redacted);
  if (again && parsed->password != "***") {
    fuzz::check(again->password != parsed->password,
                "the redacted URL does not hold the password any more");
  }
}

void built_url(std::string_view parts_text, bool mysql) {
  std::array<std::string, 4> parts;  // user, password, host, database
  std::size_t index = 0;
  for (const char c : parts_text) {
    if (c == '\0') {
      if (++index == parts.size()) break;
      continue;
    }
    parts[index] += c;
  }
  // Named references, not a structured binding: clang before 16 cannot
  // capture one in a lambda.
  const std::string& user = parts[0];
  const std::string& password = parts[1];
  const std::string& host_text = parts[2];
  const std::string& database = parts[3];
  if (user.empty() || password.empty() || database.empty()) return;
  // A MySQL URL needs a host (or a socket).
  const std::string host = mysql && host_name(host_text).empty() ? "h" : host_name(host_text);
  const std::string head = (mysql ? "mysql://" : "postgresql://") + encoded(user) + ":";
  const std::string tail = "@" + host + ":5432/" + encoded(database) +
                           (mysql ? "?connect_timeout=5" : "?sslmode=disable");
  const std::string url = head + encoded(password) + tail;

  auto parsed = store::parse_database_url(url);
  fuzz::check(parsed.ok(), "a URL built from percent-encoded parts parses");
  fuzz::check(parsed->user == user && parsed->password == password && parsed->host == host &&
                  parsed->database == database && parsed->port == 5432,
              "a URL parses back to the parts it was built from");
  const std::string redacted = store::redact_url(url);
  fuzz::check(redacted == head + "***" + tail, "redaction replaces exactly the password");

  // A message with the URL and the password as a library might write them
  // is scrubbed to the message with "***" in both places. (A password with
  // "://" in it reads as a URL of its own; redaction then hides more.)
  if (password.find("://") == std::string::npos) {
    const auto message = [&](std::string_view in_url, std::string_view alone) {
      return fmt::format("connection to {}{}{} failed: password={} rejected", head, in_url, tail,
                         alone);
    };
    fuzz::check(
        store::scrub(message(encoded(password), password), password) == message("***", "***"),
        "scrub hides the password in the URL and as password=");
  }
  // A broken URL's error message shows it redacted: the same message
  // whatever the password is.
  const auto refused_message = [&](const std::string& pass) {
    auto refused = store::parse_database_url(head + pass + "@" + host + ":0/" + encoded(database));
    fuzz::check(!refused.ok(), "port 0 is refused");
    return refused.error().message;
  };
  fuzz::check(refused_message(encoded(password)) == refused_message("other"),
              "an error message does not depend on the password");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest = fuzz::as_text(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    raw_url(rest);
  } else {
    built_url(rest, data[0] % 4 == 3);
  }
  return 0;
}
