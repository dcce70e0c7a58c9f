// A small reader of the messages render() writes, written independently of
// the encoders in src/mail/, so that the tests check the encoding against a
// second reading of the standards: header unfolding, RFC 2047 encoded-words
// (B and Q), quoted-printable, base64 and multipart bodies.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outbreak::mail::testing {

struct Entity {
  // Headers in order, unfolded (CRLF before whitespace removed), names as
  // written, values without the leading space.
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> raw_header_lines;  // the folded lines as written
  std::string body;                           // everything after the blank line

  // The first header called `name` (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
};

// Splits at the first CRLF CRLF. Lines must end in CRLF.
Entity parse_entity(std::string_view text);

// The parts of a multipart body with `boundary`; empty if the structure is
// broken (no closing delimiter).
std::vector<Entity> parse_multipart(std::string_view body, std::string_view boundary);

// The value of parameter `name` in a header value such as
// `multipart/alternative; boundary="x"`.
std::optional<std::string> header_parameter(std::string_view value, std::string_view name);

std::string decode_base64(std::string_view text);
std::string decode_quoted_printable(std::string_view text);
// Decodes every =?charset?B|Q?...?= word; whitespace between adjacent words
// is dropped, as RFC 2047 says.
std::string decode_encoded_words(std::string_view text);

}  // namespace outbreak::mail::testing
