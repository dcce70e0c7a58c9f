#include "mail/mime_reader.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace outbreak::mail::testing {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  throw std::invalid_argument(std::string("not a hex digit: ") + c);
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<std::string> Entity::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

Entity parse_entity(std::string_view text) {
  Entity entity;
  const auto end = text.find("\r\n\r\n");
  const std::string_view head = text.substr(0, end);
  entity.body = end == std::string_view::npos ? "" : std::string(text.substr(end + 4));
  std::size_t start = 0;
  while (start < head.size()) {
    auto eol = head.find("\r\n", start);
    if (eol == std::string_view::npos) eol = head.size();
    const std::string line(head.substr(start, eol - start));
    entity.raw_header_lines.push_back(line);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !entity.headers.empty()) {
      entity.headers.back().second += line;  // unfolding keeps the whitespace
    } else {
      const auto colon = line.find(':');
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      entity.headers.emplace_back(line.substr(0, colon), value);
    }
    start = eol + 2;
  }
  return entity;
}

std::vector<Entity> parse_multipart(std::string_view body, std::string_view boundary) {
  const std::string delimiter = "--" + std::string(boundary);
  std::vector<Entity> parts;
  // The first delimiter starts a line (the preamble before it is ignored).
  auto position = body.find(delimiter + "\r\n");
  if (position == std::string_view::npos || (position > 0 && body[position - 1] != '\n')) {
    return {};
  }
  position += delimiter.size() + 2;
  for (;;) {
    const auto next = body.find("\r\n" + delimiter, position);
    if (next == std::string_view::npos) return {};
    parts.push_back(parse_entity(body.substr(position, next - position)));
    const auto after = next + 2 + delimiter.size();
    if (body.substr(after, 2) == "--") return parts;
    if (body.substr(after, 2) != "\r\n") return {};
    position = after + 2;
  }
}

std::optional<std::string> header_parameter(std::string_view value, std::string_view name) {
  const std::string key = std::string(name) + "=";
  for (auto position = value.find(key); position != std::string_view::npos;
       position = value.find(key, position + 1)) {
    if (position > 0 && value[position - 1] != ' ' && value[position - 1] != ';' &&
        value[position - 1] != '\t') {
      continue;
    }
    std::string_view rest = value.substr(position + key.size());
    if (!rest.empty() && rest.front() == '"') {
      const auto close = rest.find('"', 1);
      return std::string(rest.substr(1, close - 1));
    }
    return std::string(rest.substr(0, rest.find(';')));
  }
  return std::nullopt;
}

std::string decode_base64(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') break;
    const int value = base64_value(c);
    if (value < 0) continue;  // line breaks
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::string decode_quoted_printable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
      continue;
    }
    if (text.substr(i + 1, 2) == "\r\n") {  // soft line break
      i += 2;
      continue;
    }
    out += static_cast<char>(hex(text.at(i + 1)) * 16 + hex(text.at(i + 2)));
    i += 2;
  }
  return out;
}

std::string decode_encoded_words(std::string_view text) {
  std::string out;
  std::string pending_space;  // whitespace after a word, dropped if another word follows
  bool after_word = false;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 2) == "=?") {
      const auto q1 = text.find('?', i + 2);
      const auto q2 = q1 == std::string_view::npos ? q1 : text.find('?', q1 + 1);
      const auto end = q2 == std::string_view::npos ? q2 : text.find("?=", q2 + 1);
      if (end != std::string_view::npos) {
        const char encoding = static_cast<char>(std::toupper(text[q1 + 1]));
        const std::string_view payload = text.substr(q2 + 1, end - q2 - 1);
        std::string decoded;
        if (encoding == 'B') {
          decoded = decode_base64(payload);
        } else {
          std::string q(payload);
          std::replace(q.begin(), q.end(), '_', ' ');
          decoded = decode_quoted_printable(q);
        }
        if (!after_word) out += pending_space;
        pending_space.clear();
        out += decoded;
        after_word = true;
        i = end + 2;
        continue;
      }
    }
    if (text[i] == ' ' || text[i] == '\t') {
      pending_space += text[i];
    } else {
      out += pending_space;
      pending_space.clear();
      out += text[i];
      after_word = false;
    }
    ++i;
  }
  return out + pending_space;
}

}  // namespace outbreak::mail::testing
