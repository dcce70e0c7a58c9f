// The request head scanner (src/serve/request_head.hpp): where a head ends,
// the byte and header-line limits, and that feeding it in pieces gives the
// same verdict as feeding it at once.
#include "serve/request_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace outbreak::serve::detail {
namespace {

HeadState scan_once(std::string_view bytes, const HeadLimits& limits, HeadScan* out = nullptr) {
  HeadScan scan;
  const HeadState state = scan_head(bytes, limits, scan);
  if (out != nullptr) *out = scan;
  return state;
}

std::string head_with(int headers, std::size_t value_bytes = 10) {
  std::string head = "GET /healthz HTTP/1.1\r\n";
  for (int i = 0; i < headers; ++i) {
    head += "X-H" + std::to_string(i) + ": " + std::string(value_bytes, 'v') + "\r\n";
  }
  return head + "\r\n";
}

TEST(RequestHead, FindsTheEndOfACompleteHead) {
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  HeadScan scan;
  EXPECT_EQ(scan_once(head + "body bytes", HeadLimits{}, &scan), HeadState::kComplete);
  EXPECT_EQ(scan.head_bytes, head.size());
}

TEST(RequestHead, AHeadWithoutHeadersEndsAtItsBlankLine) {
  HeadScan scan;
  EXPECT_EQ(scan_once("GET / HTTP/1.0\r\n\r\n", HeadLimits{}, &scan), HeadState::kComplete);
  EXPECT_EQ(scan.head_bytes, 18u);
}

TEST(RequestHead, IncompleteUntilTheBlankLine) {
  EXPECT_EQ(scan_once("", HeadLimits{}), HeadState::kIncomplete);
  EXPECT_EQ(scan_once("GET / HTTP/1.1\r\nHost: x\r\n", HeadLimits{}), HeadState::kIncomplete);
  EXPECT_EQ(scan_once("GET / HTTP/1.1\r\nHost: x\r\n\r", HeadLimits{}), HeadState::kIncomplete);
  // A bare LF line is no end (cpp-httplib skips such lines), and an empty
  // first line is the request line, not the end.
  EXPECT_EQ(scan_once("GET / HTTP/1.1\r\nHost: x\n\n", HeadLimits{}), HeadState::kIncomplete);
  EXPECT_EQ(scan_once("\r\n", HeadLimits{}), HeadState::kIncomplete);
  EXPECT_EQ(scan_once("\r\n\r\n", HeadLimits{}), HeadState::kComplete);
}

TEST(RequestHead, TooManyHeaderLines) {
  const HeadLimits limits{1 << 20, 100};
  EXPECT_EQ(scan_once(head_with(100), limits), HeadState::kComplete);
  EXPECT_EQ(scan_once(head_with(101), limits), HeadState::kTooManyHeaders);
  // Known as soon as the line one too many has ended.
  const std::string head = head_with(101);
  const std::size_t end_of_101st = head.size() - 2;
  EXPECT_EQ(scan_once(std::string_view(head).substr(0, end_of_101st), limits),
            HeadState::kTooManyHeaders);
  EXPECT_EQ(scan_once(std::string_view(head).substr(0, end_of_101st - 1), limits),
            HeadState::kIncomplete);
}

TEST(RequestHead, TooManyBytes) {
  const std::string head = head_with(3, 1000);
  HeadLimits limits{head.size(), 100};
  EXPECT_EQ(scan_once(head, limits), HeadState::kComplete) << "exactly the limit is allowed";
  limits.max_bytes = head.size() - 1;
  EXPECT_EQ(scan_once(head, limits), HeadState::kTooLarge);
  // A head that has reached the limit without ending is refused at once,
  // without waiting for more bytes; one byte fewer still waits.
  EXPECT_EQ(scan_once(std::string(limits.max_bytes, 'a'), limits), HeadState::kTooLarge);
  EXPECT_EQ(scan_once(std::string(limits.max_bytes - 1, 'a'), limits), HeadState::kIncomplete);
  // Only the first max_bytes bytes count: what follows a head is its body.
  EXPECT_EQ(scan_once(head + std::string(1 << 20, 'b'), HeadLimits{head.size(), 100}),
            HeadState::kComplete);
}

TEST(RequestHead, PiecesGiveTheSameVerdictAsTheWhole) {
  const HeadLimits limits{4096, 20};
  for (const std::string& bytes : {head_with(5), head_with(21), head_with(3, 2000),
                                   std::string("GET / HTTP/1.1\r\nA: b\r\n\r\nbody")}) {
    HeadScan whole;
    const HeadState expected = scan_head(bytes, limits, whole);
    for (std::size_t step = 1; step < 40; step += 3) {
      HeadScan scan;
      HeadState state = HeadState::kIncomplete;
      for (std::size_t size = 0; size <= bytes.size(); size += step) {
        state = scan_head(std::string_view(bytes).substr(0, size), limits, scan);
      }
      state = scan_head(bytes, limits, scan);
      EXPECT_EQ(state, expected) << "step " << step;
      EXPECT_EQ(scan.head_bytes, whole.head_bytes) << "step " << step;
    }
  }
}

TEST(RequestHead, AVerdictIsFinal) {
  HeadScan scan;
  const HeadLimits limits{1024, 1};
  EXPECT_EQ(scan_head("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n", limits, scan),
            HeadState::kTooManyHeaders);
  EXPECT_EQ(scan_head("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", limits, scan),
            HeadState::kTooManyHeaders);
}

TEST(RequestHead, DeclaredBodyLength) {
  EXPECT_EQ(declared_body_length("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0u);
  EXPECT_EQ(declared_body_length("POST / HTTP/1.1\r\ncontent-length:  42 \r\n\r\n"), 42u);
  EXPECT_EQ(declared_body_length("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            std::nullopt);
  EXPECT_EQ(declared_body_length("POST / HTTP/1.1\r\nContent-Length: 4x\r\n\r\n"), std::nullopt);
  EXPECT_EQ(declared_body_length("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n"), std::nullopt);
  EXPECT_EQ(
      declared_body_length("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"),
      std::nullopt);
  EXPECT_EQ(declared_body_length("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"),
            std::nullopt);
  // The request line is not a header, whatever it contains.
  EXPECT_EQ(declared_body_length("Content-Length: 5\r\n\r\n"), 0u);
}

}  // namespace
}  // namespace outbreak::serve::detail
