// Content codings and validators of API responses (internal to the serve
// module): which coding a request's Accept-Encoding asks for, gzip and
// brotli compression of whole documents, and If-None-Match.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>

namespace outbreak::serve::detail {

// The codings a response can be sent in, in the server's order of
// preference when a client weighs them equally (smallest first).
enum class Coding { kBrotli, kGzip, kIdentity };

// The coding's token in Content-Encoding ("br", "gzip"; "identity").
std::string_view coding_name(Coding coding);

// The coding to send, given the request's Accept-Encoding (nullopt when it
// has none) and whether brotli may be chosen (false: only gzip or
// identity). Per RFC 9110, 12.5.3: tokens are case-insensitive, `x-gzip` is
// gzip, `*` covers the codings not listed, `q=0` refuses a coding, and the
// highest q wins (ties go to the smaller coding). Identity is acceptable
// unless refused (`identity;q=0`, or `*;q=0` without identity), and is also
// what is sent when nothing acceptable remains: the header is then
// disregarded rather than answered with 406. Unknown codings and elements
// that do not parse (a bad q-value) are ignored.
Coding choose_coding(std::optional<std::string_view> accept_encoding, bool allow_brotli = true);

// The request's Accept-Encoding, nullopt when it has none (several fields
// are joined with commas).
std::optional<std::string> accept_encoding(const httplib::Request& request);

// `text` compressed as a gzip member (zlib level 6).
std::string gzip_compress(std::string_view text);
// `text` compressed as a brotli stream at `quality` (0-11).
std::string brotli_compress(std::string_view text, int quality);

// The brotli quality of cached results. Measured on a 365-day results
// document of 183 KB (docs/benchmarks.md): under a millisecond for 5.5 KB,
// where quality 11 takes 95-180 ms for 4.2 KB and quality 9 no smaller
// than 5; gzip (level 6) gives 7.6 KB in about a millisecond.
constexpr int kBrotliQuality = 5;

// Whether an If-None-Match value matches `etag` (a quoted entity tag, with
// or without W/) under weak comparison (RFC 9110, 13.1.2): `*`, or a
// listed tag with the same opaque value. A value that does not parse as a
// list of entity tags matches nothing, so the full response is sent.
bool none_match(std::string_view if_none_match, std::string_view etag);

// httplib compresses a response itself (gzip, or brotli at its slowest
// setting) when the request's Accept-Encoding names the coding, matching
// substrings and ignoring q-values. A route that chose its coding with
// choose_coding() calls this to say which coding httplib should apply:
// gzip (for a streamed body), or none (identity, or a body that is already
// compressed). httplib owns the request as a non-const object and hands it
// to handlers as const, so editing its headers is allowed.
void let_httplib_compress(const httplib::Request& request, bool gzip);
// What every response that did not choose gets: none if `response` has a
// Content-Encoding already (precompressed bytes), else gzip if the
// client's Accept-Encoding prefers it to identity (choose_coding without
// brotli), else none. Never brotli: httplib's is at its slowest setting,
// seconds for a results document. Idempotent.
void compress_as_chosen(const httplib::Request& request, const httplib::Response& response);

}  // namespace outbreak::serve::detail
