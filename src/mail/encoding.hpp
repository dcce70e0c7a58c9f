// Encodings for mail text: UTF-8 checks, base64, quoted-printable (RFC 2045)
// and RFC 2047 encoded-words with header folding. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace outbreak::mail::detail {

// Header lines are kept to this many characters where a break is possible.
inline constexpr std::size_t kHeaderLineLimit = 78;

// Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `value` with every control character (CR, LF, TAB, NUL, DEL ...) replaced
// by a space: the last guard that keeps a value on its header line.
std::string without_controls(std::string_view value);

// Standard base64 with padding, no line breaks.
std::string base64(std::string_view bytes);

// Quoted-printable for a body part: line breaks ("\n" or "\r\n") become
// CRLF, encoded lines are at most 76 characters (soft breaks "=" CRLF), '='
// and every byte outside printable ASCII are =XX, and so is a space or tab
// at the end of a line.
std::string quoted_printable(std::string_view text);

// An unstructured header value (a subject) to follow "Name: ", where the
// line already holds `column` characters: printable ASCII is folded at
// spaces; anything else becomes RFC 2047 encoded-words (=?UTF-8?B?...?=),
// each at most 75 characters, never splitting a UTF-8 character, one per
// folded line. Control characters are replaced by spaces (callers validate
// first; this only guarantees that no value can start a new header).
std::string encode_unstructured(std::string_view value, std::size_t column);

// A display name as an RFC 5322 phrase: a quoted-string for printable ASCII,
// else encoded-words as above. `column` as above; returns the text and
// updates `column` to the column after it.
std::string encode_phrase(std::string_view name, std::size_t& column);

}  // namespace outbreak::mail::detail
