// Reading the request values the handlers take from query parameters and
// headers (internal to the serve module): pure functions, so that unit
// tests and the fuzz targets can call them without a server.
#pragma once

#include <cstdint>
#include <string_view>

#include "outbreak/io/results_format.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::serve::detail {

// The `format` parameter of GET .../results: "json" or "csv" exactly.
// Errors: kInvalidInput, the message naming the value.
Result<io::Format> parse_results_format(std::string_view text);

// The `replicate` parameter of GET .../results: a decimal number from 1 to
// `replicates`, returned 0-based. Errors: kInvalidInput, the message
// ("must be a replicate number from 1 to N, got ...") naming the value.
Result<std::int64_t> parse_replicate(std::string_view text, std::int64_t replicates);

// Whether a Content-Type value names JSON: the media type before any ';'
// is application/json in any case, with spaces around it ignored.
bool is_json_media_type(std::string_view content_type);

}  // namespace outbreak::serve::detail
