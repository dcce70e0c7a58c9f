#include "outbreak/mail/address.hpp"

#include <string>

#include <fmt/format.h>

#include "mail/encoding.hpp"

namespace outbreak::mail {
namespace {

constexpr std::size_t kMaxLocalLength = 64;
constexpr std::size_t kMaxLabelLength = 63;
constexpr std::size_t kMaxHeaderValueLength = 998;

constexpr std::string_view kLocalAllowed =
    "letters, digits, the characters !#$%&'*+-/=?^_`{|}~ and single dots between them";
constexpr std::string_view kDomainAllowed =
    "dot-separated labels of letters, digits and hyphens, such as example.org";

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 atext.
bool is_atext(char c) {
  return is_alnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

Error bad_address(std::string_view problem, std::string_view allowed) {
  return Error::invalid(fmt::format("not a valid e-mail address: {}; expected name@domain with {}",
                                    problem, allowed));
}

Status check_local(std::string_view local) {
  if (local.empty()) return bad_address("nothing before the '@'", kLocalAllowed);
  if (local.size() > kMaxLocalLength) {
    return bad_address(
        fmt::format("the part before the '@' is longer than {} characters", kMaxLocalLength),
        kLocalAllowed);
  }
  if (local.front() == '.' || local.back() == '.') {
    return bad_address("the part before the '@' starts or ends with a dot", kLocalAllowed);
  }
  if (local.find("..") != std::string_view::npos) {
    return bad_address("two dots in a row before the '@'", kLocalAllowed);
  }
  for (const char c : local) {
    if (c != '.' && !is_atext(c)) {
      return bad_address("a character that is not allowed before the '@'", kLocalAllowed);
    }
  }
  return Ok{};
}

Status check_label(std::string_view label) {
  if (label.empty()) {
    return bad_address("the domain has an empty label (a leading, trailing or double dot)",
                       kDomainAllowed);
  }
  if (label.size() > kMaxLabelLength) {
    return bad_address(
        fmt::format("a label of the domain is longer than {} characters", kMaxLabelLength),
        kDomainAllowed);
  }
  if (label.front() == '-' || label.back() == '-') {
    return bad_address("a label of the domain starts or ends with a hyphen", kDomainAllowed);
  }
  for (const char c : label) {
    if (c != '-' && !is_alnum(c)) {
      return bad_address("a character that is not allowed in the domain", kDomainAllowed);
    }
  }
  return Ok{};
}

Status check_domain(std::string_view domain) {
  if (domain.empty()) return bad_address("nothing after the '@'", kDomainAllowed);
  for (;;) {
    const auto dot = domain.find('.');
    if (Status label = check_label(domain.substr(0, dot)); !label) return label;
    if (dot == std::string_view::npos) return Ok{};
    domain = domain.substr(dot + 1);
  }
}

}  // namespace

Status validate_address(std::string_view address) {
  if (address.empty()) return bad_address("it is empty", kLocalAllowed);
  if (address.size() > kMaxAddressLength) {
    return bad_address(fmt::format("it is longer than {} characters", kMaxAddressLength),
                       kDomainAllowed);
  }
  const auto at = address.find('@');
  if (at == std::string_view::npos) return bad_address("it has no '@'", kDomainAllowed);
  if (address.find('@', at + 1) != std::string_view::npos) {
    return bad_address("it has more than one '@'", kLocalAllowed);
  }
  if (Status local = check_local(address.substr(0, at)); !local) return local;
  return check_domain(address.substr(at + 1));
}

Status validate_header_value(std::string_view value) {
  if (value.size() > kMaxHeaderValueLength) {
    return Error::invalid(fmt::format("longer than {} bytes; shorten it", kMaxHeaderValueLength));
  }
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '\r' || byte == '\n') {
      return Error::invalid(
          "contains a line break (CR or LF), which is not allowed in a mail header; use one line");
    }
    if (byte < 0x20 || byte == 0x7F) {
      return Error::invalid(fmt::format(
          "contains the control character 0x{:02X}; only printable characters are allowed",
          static_cast<unsigned>(byte)));
    }
  }
  if (!detail::is_valid_utf8(value)) {
    return Error::invalid("is not valid UTF-8 text; use UTF-8");
  }
  return Ok{};
}

}  // namespace outbreak::mail
