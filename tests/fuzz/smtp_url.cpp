// SMTP URLs (mail::parse_smtp_url). The first byte picks the mode:
//   - even: the rest is a URL as typed. A URL that parses is described
//     (mail::describe) without its credentials, and that description parses
//     back to the same server.
//   - odd: the rest is split at NUL bytes into user, password and host, and
//     a URL is built from them with percent-encoded credentials. It parses
//     back to the same parts, and no error message about a broken variant of
//     it holds the password.
#include <array>
#include <string>

#include <fmt/format.h>

#include "fuzz_support.hpp"
#include "outbreak/mail/smtp.hpp"

using namespace outbreak;

namespace {

std::string encoded(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '.' || c == '_' || c == '~';
    out += plain ? std::string(1, c) : fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return out;
}

void raw_url(std::string_view url) {
  auto parsed = mail::parse_smtp_url(url);
  if (!parsed) {
    fuzz::check(parsed.error().code == ErrorCode::kInvalidInput, "a bad URL is kInvalidInput");
    return;
  }
  fuzz::check(!parsed->host.empty(), "a parsed URL has a host");
  fuzz::check(parsed->port >= 1 && parsed->port <= 65535, "a parsed URL has a valid port");
  const std::string described = mail::describe(*parsed);
  mail::SmtpConfig without = *parsed;
  without.user = "someone";
  without.password = "other";
  fuzz::check(mail::describe(without) == described, "describe() shows no credentials");
  auto again = mail::parse_smtp_url(described);
  fuzz::check(again.ok(), "a described URL parses");
  fuzz::check(again->host == parsed->host && again->port == parsed->port &&
                  again->implicit_tls == parsed->implicit_tls && again->user.empty(),
              "a described URL names the same server without credentials");
}

void built_url(std::string_view parts_text) {
  std::array<std::string, 3> parts;  // user, password, host
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
  if (user.empty() || password.empty()) return;
  std::string host;
  for (const char c : host_text) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.') host += c;
  }
  if (host.empty()) host = "localhost";
  const std::string secret = encoded(password);
  const std::string url = "smtps://" + encoded(user) + ":" + secret + "@" + host + ":465";
  auto parsed = mail::parse_smtp_url(url);
  fuzz::check(parsed.ok(), "a URL built from percent-encoded parts parses");
  fuzz::check(parsed->user == user && parsed->password == password && parsed->host == host &&
                  parsed->port == 465 && parsed->implicit_tls,
              "a URL parses back to its parts");
  // Broken variants of the URL are refused with the same message whatever
  // the password is: it is redacted, never shown.
  const auto broken = [&](const std::string& pass) {
    const std::string credentials = encoded(user) + ":" + pass + "@";
    return std::array<std::string, 5>{
        "smtps://" + credentials + host + ":465/path", "smtps://" + credentials + host + "?q",
        "smtp://" + credentials + host + ":0", "imap://" + credentials + host,
        "smtp://" + credentials + "[" + host};
  };
  const auto with_secret = broken(encoded(password));
  const auto with_other = broken("other");
  for (std::size_t i = 0; i < with_secret.size(); ++i) {
    auto refused = mail::parse_smtp_url(with_secret[i]);
    auto other = mail::parse_smtp_url(with_other[i]);
    fuzz::check(!refused.ok() && !other.ok(), "a broken URL is refused");
    fuzz::check(refused.error().message == other.error().message,
                "an error message does not depend on the password");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest = fuzz::as_text(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    raw_url(rest);
  } else {
    built_url(rest);
  }
  return 0;
}
