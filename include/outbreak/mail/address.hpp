// E-mail addresses and header values: the checks made before anything a
// person typed goes into a mail header.
//
// Both are pure functions of their argument and thread-safe. They return
// kInvalidInput with a message that says what is wrong and what is allowed;
// the message never repeats the value (it may be long or hold control
// characters), so callers attach it to their own field name (the HTTP API
// answers 422 with field "email").
#pragma once

#include <string_view>

#include "outbreak/util/result.hpp"

namespace outbreak::mail {

// The longest address accepted, in bytes (RFC 5321's path limit less "<>").
inline constexpr std::size_t kMaxAddressLength = 254;

// A practical check of an addr-spec ("local@domain"), stricter than RFC 5322
// where that rejects only typos in practice: exactly one '@'; a local part of
// 1..64 characters from letters, digits and !#$%&'*+-/=?^_`{|}~ with single
// dots between them (no quoted strings, no comments); a domain of
// dot-separated labels of 1..63 letters, digits and hyphens, none starting or
// ending with a hyphen (a single label such as "localhost" is allowed); at
// most kMaxAddressLength in all. No surrounding spaces, no display name.
Status validate_address(std::string_view address);

// A value for a header (a display name, a subject): valid UTF-8 with no
// control characters (CR and LF above all, which would start a new header;
// also TAB, NUL and DEL) and at most 998 bytes.
Status validate_header_value(std::string_view value);

}  // namespace outbreak::mail
