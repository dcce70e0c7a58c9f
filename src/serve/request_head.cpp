#include "request_head.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace outbreak::serve::detail {

HeadState scan_head(std::string_view bytes, const HeadLimits& limits, HeadScan& scan) {
  if (scan.state != HeadState::kIncomplete) return scan.state;
  const std::size_t end = std::min(bytes.size(), limits.max_bytes);
  const std::string_view looked_at = bytes.substr(0, end);
  while (scan.scanned < end) {
    const std::size_t newline = looked_at.find('\n', scan.scanned);
    if (newline == std::string_view::npos) {
      scan.scanned = end;
      break;
    }
    const std::string_view line = bytes.substr(scan.line_start, newline + 1 - scan.line_start);
    scan.scanned = newline + 1;
    scan.line_start = newline + 1;
    ++scan.lines;
    if (scan.lines > 1 && line == "\r\n") {
      scan.head_bytes = newline + 1;
      return scan.state = HeadState::kComplete;
    }
    // Lines after the request line, this one included.
    if (scan.lines - 1 > limits.max_headers) return scan.state = HeadState::kTooManyHeaders;
  }
  // Not over yet, and the next byte would be one too many.
  if (bytes.size() >= limits.max_bytes) return scan.state = HeadState::kTooLarge;
  return scan.state;
}

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::optional<std::size_t> declared_body_length(std::string_view head) {
  std::optional<std::size_t> length;
  bool first = true;
  while (!head.empty()) {
    const std::size_t newline = head.find('\n');
    const std::string_view line = head.substr(0, newline);
    head = newline == std::string_view::npos ? std::string_view() : head.substr(newline + 1);
    if (std::exchange(first, false)) continue;  // the request line
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trimmed(line.substr(colon + 1));
    if (equal_ignoring_case(name, "Transfer-Encoding")) return std::nullopt;
    if (!equal_ignoring_case(name, "Content-Length")) continue;
    if (length || value.empty() || value.size() > 18) return std::nullopt;
    std::size_t parsed = 0;
    for (const char c : value) {
      if (c < '0' || c > '9') return std::nullopt;
      parsed = parsed * 10 + static_cast<std::size_t>(c - '0');
    }
    length = parsed;
  }
  return length.value_or(0);
}

}  // namespace outbreak::serve::detail
