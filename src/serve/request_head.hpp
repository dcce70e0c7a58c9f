// Where an HTTP/1.1 request head ends, and whether it stays within the
// server's limits, judged from the bytes received so far. Pure functions:
// no sockets, no allocation, no state outside the arguments, so that the
// connection gate (gate.hpp) can call them on every arrival of bytes and
// tests and the fuzzer can call them on anything.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace outbreak::serve::detail {

struct HeadLimits {
  std::size_t max_bytes = 32 << 10;  // the whole head: request line, header lines, blank line
  std::size_t max_headers = 100;     // header lines (the request line and blank line not counted)
};

enum class HeadState {
  kIncomplete,      // no verdict yet: wait for more bytes
  kComplete,        // the head ends within the limits (HeadScan::head_bytes)
  kTooLarge,        // the head cannot end within max_bytes
  kTooManyHeaders,  // more than max_headers header lines
};

// Progress through one head that arrives in pieces. Start from a
// value-initialised HeadScan and pass the same one with every longer
// prefix of the same bytes.
struct HeadScan {
  HeadState state = HeadState::kIncomplete;
  std::size_t scanned = 0;     // bytes already looked at
  std::size_t line_start = 0;  // where the line being read began
  std::size_t lines = 0;       // complete lines, the request line included
  std::size_t head_bytes = 0;  // kComplete: the head's length, its blank line included
};

// Reads `bytes` (the connection's bytes from the head's first one) from
// where `scan` stopped and returns the new state, also kept in `scan`.
// The rules match how cpp-httplib reads a head: lines end with LF; the
// first line is the request line; the head ends at the first later line
// that is exactly CRLF; every other line counts as a header line. A verdict
// other than kIncomplete is final: later calls return it unchanged. Only
// the first max_bytes bytes are ever looked at.
HeadState scan_head(std::string_view bytes, const HeadLimits& limits, HeadScan& scan);

// The body length a complete head declares: its Content-Length, 0 when it
// has none; nullopt when the length is not known from the head alone
// (Transfer-Encoding, a malformed or repeated Content-Length), after which
// the connection cannot safely carry another request.
std::optional<std::size_t> declared_body_length(std::string_view head);

}  // namespace outbreak::serve::detail
