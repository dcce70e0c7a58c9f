// TrustedProxies: the reverse proxies (by address range) whose
// X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host headers the
// server believes. Behind one, every connection comes from the proxy; the
// client is the rightmost address of X-Forwarded-For that is not itself a
// trusted proxy. A header from any other peer is ignored, so a client
// cannot pick the address its rate limit is counted under.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outbreak/util/result.hpp"

namespace outbreak::serve {

// An IPv4 or IPv6 address in network byte order; IPv4 (and IPv4-mapped
// IPv6, ::ffff:a.b.c.d) is kept as 4 bytes.
struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};

  // The address in its canonical text ("10.0.0.1", "2001:db8::1").
  std::string text() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// Parses "10.0.0.1", "2001:db8::1", "::ffff:10.0.0.1"; also with a port
// ("10.0.0.1:443", "[2001:db8::1]:443") or in brackets, as proxies write
// them in X-Forwarded-For. nullopt for anything else.
std::optional<IpAddress> parse_ip(std::string_view text);

// An address range: "10.0.0.0/8", "2001:db8::/32"; a bare address is a
// range of one.
struct Cidr {
  IpAddress network;
  int prefix = 0;

  bool contains(const IpAddress& address) const;
};

// Errors: kInvalidInput naming the text.
Result<Cidr> parse_cidr(std::string_view text);

class TrustedProxies {
 public:
  TrustedProxies() = default;  // trusts nobody

  // A comma-separated list of CIDRs ("127.0.0.1/32, 10.0.0.0/8, ::1");
  // spaces around entries are ignored, an empty list trusts nobody.
  // Errors: kInvalidInput naming the first entry that is not a CIDR.
  static Result<TrustedProxies> parse(std::string_view list);

  bool empty() const { return ranges_.empty(); }
  bool trusts(std::string_view peer) const;
  bool trusts(const IpAddress& address) const;

  // The client's address for a request from `peer` (the socket's address)
  // whose X-Forwarded-For headers, in order and joined with commas, are
  // `forwarded_for` (empty when it has none). From an untrusted peer: the
  // peer. From a trusted one: walking X-Forwarded-For from the right, the
  // first address that is not a trusted proxy; the leftmost when all are;
  // the one right of an entry that is not an address.
  std::string client_address(std::string_view peer, std::string_view forwarded_for) const;

 private:
  std::vector<Cidr> ranges_;
};

// Every X-Forwarded-For header line of a raw request head, in order, joined
// with ", " (the same list as one combined header); empty when none.
std::string forwarded_for_in_head(std::string_view head);

// The base of absolute links ("https://outbreak.example.org:8443") from a
// trusted proxy's X-Forwarded-Proto and X-Forwarded-Host values: the first
// entry of each comma-separated list, spaces trimmed. nullopt unless the
// scheme is http or https (any letter case) and the host is 1-255
// characters of letters, digits, '.', '-', ':', '[' and ']' (a name or an
// address, with a port), so that no header can smuggle a path, a user or
// markup into a link.
std::optional<std::string> forwarded_link_base(std::string_view proto, std::string_view host);

}  // namespace outbreak::serve
