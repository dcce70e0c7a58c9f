// libFuzzer target for the request head scanner (src/serve/request_head.hpp),
// which the server runs on every byte a client sends before its request is
// routed. The first four input bytes choose the limits and a split point;
// the rest is the connection's bytes. Checked: no crash or overread under
// the sanitizers, the head found ends with a blank CRLF line within the
// limits, and feeding the bytes in two pieces gives the verdict of feeding
// them at once.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "serve/request_head.hpp"

namespace {

using outbreak::serve::detail::declared_body_length;
using outbreak::serve::detail::HeadLimits;
using outbreak::serve::detail::HeadScan;
using outbreak::serve::detail::HeadState;
using outbreak::serve::detail::scan_head;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  HeadLimits limits;
  limits.max_bytes = 1 + (static_cast<std::size_t>(data[0]) | (data[1] & 0x0f) << 8);
  limits.max_headers = data[2] % 64;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 4), size - 4);
  const std::size_t split = bytes.empty() ? 0 : data[3] % (bytes.size() + 1);

  HeadScan whole;
  const HeadState state = scan_head(bytes, limits, whole);
  HeadScan pieces;
  scan_head(bytes.substr(0, split), limits, pieces);
  check(scan_head(bytes, limits, pieces) == state);
  check(pieces.head_bytes == whole.head_bytes);

  if (state == HeadState::kComplete) {
    check(whole.head_bytes >= 3 && whole.head_bytes <= limits.max_bytes);
    check(whole.head_bytes <= bytes.size());
    const std::string_view head = bytes.substr(0, whole.head_bytes);
    check(head.substr(head.size() - 2) == "\r\n");
    check(head[head.size() - 3] == '\n');
    check(whole.lines >= 2 && whole.lines - 2 <= limits.max_headers);
    declared_body_length(head);
  }
  if (state == HeadState::kTooLarge) check(bytes.size() >= limits.max_bytes);
  if (state == HeadState::kIncomplete) check(bytes.size() < limits.max_bytes);
  return 0;
}
