// The one policy for JSON text that comes from outside: a scenario file read
// by `outbreak run` and `outbreak validate`, and a request body of the HTTP
// API. Both refuse the same things, so a file that validates is one the API
// accepts and the other way round.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "outbreak/util/result.hpp"

namespace outbreak::io {

// Parses `text` as one JSON value (RFC 8259) and refuses, with kInvalidInput:
//   - malformed JSON, anything but whitespace after the value included:
//     "malformed JSON at line L, column C: <reason>" (columns count UTF-8
//     characters), no fields;
//   - a NUL byte anywhere (JSON text cannot contain one, and readers that
//     stop at it would ignore what follows): "malformed JSON: a NUL byte at
//     byte N (line L, column C); JSON text cannot contain one", no fields;
//   - a key given twice in one object, at any depth (nlohmann would keep the
//     last one silently): the message names the first such key by its path
//     ("duplicate key \"scenario.days\": each key may appear only once in an
//     object"), and Error::fields holds every one, by path ("a", "a.b",
//     "a[1].c"), with the message "duplicate key; each key may appear only
//     once".
// The document keeps the text's key order. Pure; thread-safe.
Result<nlohmann::ordered_json> parse_json_text(std::string_view text);

}  // namespace outbreak::io
