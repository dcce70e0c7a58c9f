#include "mail/encoding.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace outbreak::mail::detail {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kHex = "0123456789ABCDEF";
// "=?UTF-8?B?" and "?=" around the base64 text of an encoded-word.
constexpr std::size_t kWordOverhead = 12;
// RFC 2047: an encoded-word is at most 75 characters: 45 bytes of text.
constexpr std::size_t kMaxWordBytes = 45;
// RFC 2045: encoded lines of at most 76 characters, soft break included.
constexpr std::size_t kQpLineLimit = 76;

std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

bool is_plain_ascii(std::string_view value) {
  const bool printable = std::all_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7F;
  });
  // "=?" could be read back as the start of an encoded-word.
  return printable && value.find("=?") == std::string_view::npos;
}

// Encoded-words for `value`, folded so that lines stay within the limit.
std::string encoded_words(std::string_view clean, std::size_t& column) {
  std::string out;
  std::size_t i = 0;
  while (i < clean.size()) {
    if (i > 0) {
      out += "\r\n ";
      column = 1;
    }
    const std::size_t room = column + kWordOverhead < kHeaderLineLimit
                                 ? (kHeaderLineLimit - column - kWordOverhead) / 4 * 3
                                 : 0;
    const std::size_t budget = std::min(room, kMaxWordBytes);
    std::size_t end = i;
    while (end < clean.size()) {
      const std::size_t length =
          std::min(utf8_length(static_cast<unsigned char>(clean[end])), clean.size() - end);
      if (end > i && end - i + length > budget) break;
      end += length;
    }
    const std::string text = base64(clean.substr(i, end - i));
    out += "=?UTF-8?B?" + text + "?=";
    column += kWordOverhead + text.size();
    i = end;
  }
  return out;
}

}  // namespace

std::string without_controls(std::string_view value) {
  std::string out(value);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) c = ' ';
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      code = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      code = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      code = lead & 0x07u;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0u) != 0x80u) return false;
      code = (code << 6) | (next & 0x3Fu);
    }
    const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
    const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
    if (overlong || surrogate || code > 0x10FFFF) return false;
    i += length;
  }
  return true;
}

std::string base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::array<std::uint32_t, 3> b{};
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    for (std::size_t k = 0; k < n; ++k) b[k] = static_cast<unsigned char>(bytes[i + k]);
    const std::uint32_t word = (b[0] << 16) | (b[1] << 8) | b[2];
    out += kBase64Alphabet[(word >> 18) & 0x3F];
    out += kBase64Alphabet[(word >> 12) & 0x3F];
    out += n > 1 ? kBase64Alphabet[(word >> 6) & 0x3F] : '=';
    out += n > 2 ? kBase64Alphabet[word & 0x3F] : '=';
  }
  return out;
}

std::string quoted_printable(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto byte = static_cast<unsigned char>(line[i]);
      const bool at_end = i + 1 == line.size();
      const bool literal =
          (byte >= 33 && byte <= 126 && byte != '=') || ((byte == ' ' || byte == '\t') && !at_end);
      std::string token(1, static_cast<char>(byte));
      if (!literal) token = {'=', kHex[byte >> 4], kHex[byte & 0x0F]};
      // Leave room for the '=' of a soft break.
      if (column + token.size() > kQpLineLimit - 1) {
        out += "=\r\n";
        column = 0;
      }
      out += token;
      column += token.size();
    }
    if (last) break;
    out += "\r\n";
    start = end + 1;
  }
  return out;
}

std::string encode_unstructured(std::string_view raw_value, std::size_t column) {
  const std::string clean = without_controls(raw_value);
  const std::string_view value = clean;
  if (!is_plain_ascii(value)) return encoded_words(value, column);
  // Fold before a space once a line would grow past the limit; unfolding
  // (removing the CRLF) gives the value back unchanged.
  std::string out;
  const std::size_t first_column = column;
  std::size_t start = 0;
  for (;;) {
    const auto space = value.find(' ', start);
    const std::string_view word =
        value.substr(start, space == std::string_view::npos ? value.size() - start : space - start);
    if (start > 0) {
      if (column + 1 + word.size() > kHeaderLineLimit && column > first_column) {
        out += "\r\n";
        column = 0;
      }
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  return out;
}

std::string encode_phrase(std::string_view raw_name, std::size_t& column) {
  const std::string name = without_controls(raw_name);
  if (!is_plain_ascii(name)) return encoded_words(name, column);
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  column += out.size();
  return out;
}

}  // namespace outbreak::mail::detail
