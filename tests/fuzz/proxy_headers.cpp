// libFuzzer target for the request headers a proxy or a browser sends that
// choose what the server answers: Accept-Encoding (choose_coding),
// If-None-Match (none_match), OUTBREAK_TRUSTED_PROXIES with X-Forwarded-For
// (TrustedProxies), and X-Forwarded-Proto/Host (forwarded_link_base). The
// input is split at NUL bytes into up to four fields. Checked: no crash
// under the sanitizers; a coding chosen without brotli is never brotli; `*`
// and a tag's own value always match; the client address is the peer or an
// address from the header; a link base is http(s):// and a host without
// '/', '@' or spaces.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "outbreak/serve/trusted_proxies.hpp"
#include "serve/encoding.hpp"

namespace {

using outbreak::serve::forwarded_link_base;
using outbreak::serve::TrustedProxies;
using outbreak::serve::detail::choose_coding;
using outbreak::serve::detail::Coding;
using outbreak::serve::detail::none_match;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (fields.size() < 3) {
    const std::size_t nul = input.find('\0', start);
    if (nul == std::string_view::npos) break;
    fields.push_back(input.substr(start, nul - start));
    start = nul + 1;
  }
  fields.push_back(input.substr(start));
  while (fields.size() < 4) fields.emplace_back();

  // Accept-Encoding.
  (void)choose_coding(fields[0]);
  check(choose_coding(fields[0], false) != Coding::kBrotli);

  // If-None-Match against a strong tag made of the second field's safe bytes.
  std::string tag = "\"";
  for (const char c : fields[1]) {
    if (c > 0x20 && c < 0x7f && c != '"') tag += c;
  }
  tag += '"';
  (void)none_match(fields[0], tag);
  check(none_match("*", tag));
  check(none_match(tag, tag));
  check(none_match("W/" + tag, tag));

  // Trusted proxies and X-Forwarded-For.
  if (auto proxies = TrustedProxies::parse(fields[2]); proxies) {
    const std::string client = proxies->client_address("127.0.0.1", fields[3]);
    check(client == "127.0.0.1" || !client.empty());
    (void)proxies->trusts(fields[3]);
  }

  // X-Forwarded-Proto and -Host.
  if (auto base = forwarded_link_base(fields[0], fields[3]); base) {
    check(base->starts_with("http://") || base->starts_with("https://"));
    const std::string_view host = std::string_view(*base).substr(base->find("://") + 3);
    check(!host.empty() && host.size() <= 255);
    check(host.find_first_of("/@ \t\r\n\"<>\\") == std::string_view::npos);
  }
  return 0;
}
