#include "encoding.hpp"

#include <brotli/encode.h>
#include <zlib.h>

#include <array>
#include <cctype>
#include <stdexcept>

namespace outbreak::serve::detail {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// A qvalue (RFC 9110, 12.4.2) in thousandths: "0", "0.5", "1.000"; nullopt
// if it is not one.
std::optional<int> parse_qvalue(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  int whole = text[0] - '0';
  if (text.size() == 1) return whole * 1000;
  if (text[1] != '.' || text.size() > 5) return std::nullopt;
  int thousandths = 0;
  int scale = 100;
  for (const char c : text.substr(2)) {
    if (c < '0' || c > '9') return std::nullopt;
    thousandths += (c - '0') * scale;
    scale /= 10;
  }
  if (whole == 1 && thousandths != 0) return std::nullopt;
  return whole * 1000 + thousandths;
}

// One element of Accept-Encoding: its coding and weight; nullopt if its
// parameters do not parse.
struct Element {
  std::string_view coding;
  int weight = 1000;
};

std::optional<Element> parse_element(std::string_view text) {
  const std::size_t semicolon = text.find(';');
  Element element{trim(text.substr(0, semicolon)), 1000};
  if (element.coding.empty()) return std::nullopt;
  std::string_view rest =
      semicolon == std::string_view::npos ? std::string_view() : text.substr(semicolon + 1);
  while (!rest.empty()) {
    const std::size_t next = rest.find(';');
    const std::string_view parameter = trim(rest.substr(0, next));
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    const std::size_t equals = parameter.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    if (!equal_ignoring_case(trim(parameter.substr(0, equals)), "q")) continue;
    const auto weight = parse_qvalue(trim(parameter.substr(equals + 1)));
    if (!weight) return std::nullopt;
    element.weight = *weight;
  }
  return element;
}

}  // namespace

std::string_view coding_name(Coding coding) {
  switch (coding) {
    case Coding::kBrotli:
      return "br";
    case Coding::kGzip:
      return "gzip";
    case Coding::kIdentity:
      break;
  }
  return "identity";
}

Coding choose_coding(std::optional<std::string_view> accept_encoding, bool allow_brotli) {
  if (!accept_encoding) return Coding::kIdentity;
  // The weight of each coding as listed (-1: not listed), and of `*`.
  std::array<int, 3> listed = {-1, -1, -1};
  int any = -1;
  std::string_view rest = *accept_encoding;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (trim(item).empty()) continue;
    const auto element = parse_element(item);
    if (!element) continue;
    int* weight = nullptr;
    if (equal_ignoring_case(element->coding, "br")) {
      weight = &listed[static_cast<std::size_t>(Coding::kBrotli)];
    } else if (equal_ignoring_case(element->coding, "gzip") ||
               equal_ignoring_case(element->coding, "x-gzip")) {
      weight = &listed[static_cast<std::size_t>(Coding::kGzip)];
    } else if (equal_ignoring_case(element->coding, "identity")) {
      weight = &listed[static_cast<std::size_t>(Coding::kIdentity)];
    } else if (element->coding == "*") {
      weight = &any;
    } else {
      continue;  // a coding this server does not send
    }
    *weight = std::max(*weight, element->weight);
  }
  const auto weight_of = [&](Coding coding) {
    const int weight = listed[static_cast<std::size_t>(coding)];
    if (weight >= 0) return weight;
    if (any >= 0) return any;
    // Not listed and no `*`: refused, except identity.
    return coding == Coding::kIdentity ? 1 : 0;
  };
  Coding best = Coding::kIdentity;
  int best_weight = 0;
  for (const Coding coding : {Coding::kBrotli, Coding::kGzip, Coding::kIdentity}) {
    if (coding == Coding::kBrotli && !allow_brotli) continue;
    const int weight = weight_of(coding);
    if (weight > best_weight) {
      best = coding;
      best_weight = weight;
    }
  }
  return best;
}

std::optional<std::string> accept_encoding(const httplib::Request& request) {
  const auto [first, last] = request.headers.equal_range("Accept-Encoding");
  if (first == last) return std::nullopt;
  std::string joined;
  for (auto it = first; it != last; ++it) {
    if (!joined.empty()) joined += ", ";
    joined += it->second;
  }
  return joined;
}

std::string gzip_compress(std::string_view text) {
  z_stream stream{};
  // 15 + 16: a gzip header and trailer around the deflate stream.
  if (deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("zlib: deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(text.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  const auto size = stream.total_out;
  deflateEnd(&stream);
  if (result != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
  out.resize(size);
  return out;
}

std::string brotli_compress(std::string_view text, int quality) {
  std::size_t size = BrotliEncoderMaxCompressedSize(text.size());
  if (size == 0) size = text.size() + 1024;
  std::string out(size, '\0');
  if (BrotliEncoderCompress(quality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, text.size(),
                            reinterpret_cast<const std::uint8_t*>(text.data()), &size,
                            reinterpret_cast<std::uint8_t*>(out.data())) != BROTLI_TRUE) {
    throw std::runtime_error("brotli: compression failed");
  }
  out.resize(size);
  return out;
}

bool none_match(std::string_view if_none_match, std::string_view etag) {
  const auto opaque = [](std::string_view tag) {
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    return tag;
  };
  const std::string_view wanted = opaque(etag);
  std::string_view rest = trim(if_none_match);
  if (rest == "*") return true;
  bool matched = false;
  bool any = false;
  while (!rest.empty()) {
    // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE
    std::size_t start = rest.starts_with("W/") ? 2 : 0;
    if (rest.size() <= start || rest[start] != '"') return false;
    const std::size_t end = rest.find('"', start + 1);
    if (end == std::string_view::npos) return false;
    const std::string_view tag = rest.substr(start, end - start + 1);
    for (const char c : tag.substr(1, tag.size() - 2)) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x21 || byte == 0x7f) return false;  // etagc: no controls, no spaces
    }
    matched = matched || tag == wanted;
    any = true;
    rest = trim(rest.substr(end + 1));
    if (rest.empty()) break;
    if (rest.front() != ',') return false;
    while (!rest.empty() && (rest.front() == ',' || rest.front() == ' ' || rest.front() == '\t')) {
      rest.remove_prefix(1);
    }
  }
  return any && matched;
}

void let_httplib_compress(const httplib::Request& request, bool gzip) {
  auto& headers = const_cast<httplib::Headers&>(request.headers);
  headers.erase("Accept-Encoding");
  if (gzip) headers.emplace("Accept-Encoding", "gzip");
}

void compress_as_chosen(const httplib::Request& request, const httplib::Response& response) {
  if (response.has_header("Content-Encoding")) return let_httplib_compress(request, false);
  const std::optional<std::string> accepted = accept_encoding(request);
  let_httplib_compress(request, choose_coding(accepted, false) == Coding::kGzip);
}

}  // namespace outbreak::serve::detail
