#include "outbreak/serve/trusted_proxies.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace outbreak::serve {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// A bare address, no port or brackets.
std::optional<IpAddress> parse_bare(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN] = {};
  std::memcpy(buffer, text.data(), text.size());
  IpAddress address;
  if (inet_pton(AF_INET, buffer, address.bytes.data()) == 1) return address;
  if (inet_pton(AF_INET6, buffer, address.bytes.data()) != 1) return std::nullopt;
  constexpr std::array<std::uint8_t, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped.begin(), kMapped.end(), address.bytes.begin())) {
    std::copy(address.bytes.begin() + 12, address.bytes.end(), address.bytes.begin());
    std::fill(address.bytes.begin() + 4, address.bytes.end(), 0);
    return address;
  }
  address.v6 = true;
  return address;
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.size() <= 5 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string IpAddress::text() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buffer, sizeof buffer);
  return buffer;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  text = trim(text);
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && all_digits(rest.substr(1)))) return std::nullopt;
    auto address = parse_bare(text.substr(1, close - 1));
    if (address && !address->v6) return std::nullopt;  // brackets are for IPv6
    return address;
  }
  // One colon: IPv4 with a port; more: IPv6 without one.
  if (const auto colon = text.find(':');
      colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    if (!all_digits(text.substr(colon + 1))) return std::nullopt;
    auto address = parse_bare(text.substr(0, colon));
    if (address && address->v6) return std::nullopt;
    return address;
  }
  return parse_bare(text);
}

bool Cidr::contains(const IpAddress& address) const {
  if (address.v6 != network.v6) return false;
  const int whole = prefix / 8;
  if (!std::equal(network.bytes.begin(), network.bytes.begin() + whole, address.bytes.begin())) {
    return false;
  }
  const int bits = prefix % 8;
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
  return (network.bytes[static_cast<std::size_t>(whole)] & mask) ==
         (address.bytes[static_cast<std::size_t>(whole)] & mask);
}

Result<Cidr> parse_cidr(std::string_view text) {
  const std::string_view entry = trim(text);
  const auto bad = [&] {
    return Error::invalid(fmt::format(
        "\"{}\" is not an address range such as 10.0.0.0/8, 2001:db8::/32 or 127.0.0.1", entry));
  };
  const auto slash = entry.find('/');
  auto address = parse_bare(entry.substr(0, slash));
  if (!address) return bad();
  Cidr cidr{*address, address->v6 ? 128 : 32};
  if (slash != std::string_view::npos) {
    const std::string_view digits = entry.substr(slash + 1);
    int prefix = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty() || prefix < 0 ||
        prefix > cidr.prefix) {
      return bad();
    }
    cidr.prefix = prefix;
  }
  // The host bits are cleared, so that 10.1.2.3/8 means 10.0.0.0/8.
  for (int bit = cidr.prefix; bit < 128; ++bit) {
    cidr.network.bytes[static_cast<std::size_t>(bit / 8)] &=
        static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  }
  return cidr;
}

Result<TrustedProxies> TrustedProxies::parse(std::string_view list) {
  TrustedProxies proxies;
  if (trim(list).empty()) return proxies;
  while (true) {
    const auto comma = list.find(',');
    auto cidr = parse_cidr(list.substr(0, comma));
    if (!cidr) return cidr.error();
    proxies.ranges_.push_back(*cidr);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return proxies;
}

bool TrustedProxies::trusts(const IpAddress& address) const {
  return std::any_of(ranges_.begin(), ranges_.end(),
                     [&](const Cidr& cidr) { return cidr.contains(address); });
}

bool TrustedProxies::trusts(std::string_view peer) const {
  if (ranges_.empty()) return false;
  const auto address = parse_ip(peer);
  return address && trusts(*address);
}

std::string TrustedProxies::client_address(std::string_view peer,
                                           std::string_view forwarded_for) const {
  const auto peer_address = parse_ip(peer);
  if (!peer_address || !trusts(*peer_address)) return std::string(peer);
  IpAddress client = *peer_address;
  while (!forwarded_for.empty()) {
    const auto comma = forwarded_for.rfind(',');
    const std::string_view entry =
        comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
    forwarded_for =
        comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
    if (trim(entry).empty()) continue;
    const auto address = parse_ip(entry);
    if (!address) break;  // not written by a proxy: what is left of it cannot be believed
    client = *address;
    if (!trusts(client)) break;
  }
  return client.text();
}

std::string forwarded_for_in_head(std::string_view head) {
  constexpr std::string_view kName = "x-forwarded-for:";
  std::string joined;
  std::size_t start = head.find('\n');  // past the request line
  while (start != std::string_view::npos && start + 1 < head.size()) {
    const std::size_t line_start = start + 1;
    const std::size_t end = head.find('\n', line_start);
    const std::string_view line = head.substr(
        line_start, end == std::string_view::npos ? std::string_view::npos : end - line_start);
    if (line.size() >= kName.size() &&
        std::equal(kName.begin(), kName.end(), line.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      const std::string_view value = trim(line.substr(kName.size()));
      if (!value.empty()) {
        if (!joined.empty()) joined += ", ";
        joined += value;
      }
    }
    start = end;
  }
  return joined;
}

namespace {

// The first entry of a comma-separated header value, spaces and tabs trimmed.
std::string_view first_entry(std::string_view value) {
  value = value.substr(0, value.find(','));
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

bool host_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == ':' || c == '[' || c == ']';
}

}  // namespace

std::optional<std::string> forwarded_link_base(std::string_view proto, std::string_view host) {
  proto = first_entry(proto);
  host = first_entry(host);
  std::string scheme(proto);
  for (char& c : scheme) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (scheme != "http" && scheme != "https") return std::nullopt;
  if (host.empty() || host.size() > 255) return std::nullopt;
  for (const char c : host) {
    if (!host_character(c)) return std::nullopt;
  }
  return scheme + "://" + std::string(host);
}

}  // namespace outbreak::serve
