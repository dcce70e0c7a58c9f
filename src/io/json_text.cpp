#include "outbreak/io/json_text.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace outbreak::io {
namespace {

using nlohmann::ordered_json;

// Builds the document like nlohmann's own DOM parser, and also keeps the
// position of a syntax error (number overflow included, which nlohmann
// reports without one) and the paths of keys given twice in one object.
class StrictParser : public nlohmann::detail::json_sax_dom_parser<ordered_json> {
 public:
  explicit StrictParser(ordered_json& root) : json_sax_dom_parser(root, false) {}

  bool start_object(std::size_t size) {
    open(true);
    return json_sax_dom_parser::start_object(size);
  }
  bool end_object() {
    frames_.pop_back();
    return json_sax_dom_parser::end_object();
  }
  bool start_array(std::size_t size) {
    open(false);
    return json_sax_dom_parser::start_array(size);
  }
  bool end_array() {
    frames_.pop_back();
    return json_sax_dom_parser::end_array();
  }
  bool key(std::string& name) {
    Frame& frame = frames_.back();
    frame.key = name;
    if (!frame.keys.insert(name).second) duplicates_.push_back(child_path());
    return json_sax_dom_parser::key(name);
  }
  bool null() {
    element();
    return json_sax_dom_parser::null();
  }
  bool boolean(bool value) {
    element();
    return json_sax_dom_parser::boolean(value);
  }
  bool number_integer(number_integer_t value) {
    element();
    return json_sax_dom_parser::number_integer(value);
  }
  bool number_unsigned(number_unsigned_t value) {
    element();
    return json_sax_dom_parser::number_unsigned(value);
  }
  bool number_float(number_float_t value, const string_t& text) {
    element();
    return json_sax_dom_parser::number_float(value, text);
  }
  bool string(string_t& value) {
    element();
    return json_sax_dom_parser::string(value);
  }
  bool binary(binary_t& value) {
    element();
    return json_sax_dom_parser::binary(value);
  }
  template <typename Exception>
  bool parse_error(std::size_t position, const std::string& /*token*/, const Exception& ex) {
    failed_ = true;
    position_ = position;
    reason_ = ex.what();
    return false;
  }

  bool failed() const { return failed_; }
  std::size_t position() const { return position_; }
  const std::string& reason() const { return reason_; }
  const std::vector<std::string>& duplicates() const { return duplicates_; }

 private:
  struct Frame {
    bool object = false;
    std::string path;
    std::set<std::string> keys;
    std::string key;
    std::size_t index = 0;
  };

  // The path of the value about to be read in the innermost container.
  std::string child_path() const {
    if (frames_.empty()) return "";
    const Frame& frame = frames_.back();
    if (!frame.object) return fmt::format("{}[{}]", frame.path, frame.index);
    return frame.path.empty() ? frame.key : fmt::format("{}.{}", frame.path, frame.key);
  }
  void element() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
  }
  void open(bool object) {
    std::string path = child_path();
    element();
    frames_.push_back(Frame{object, std::move(path), {}, {}, 0});
  }

  std::vector<Frame> frames_;
  std::vector<std::string> duplicates_;
  bool failed_ = false;
  std::size_t position_ = 0;
  std::string reason_;
};

// "line L, column C" (1-based; columns count UTF-8 characters) of the
// character at `offset`, as an editor shows it.
std::string line_and_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') {
      ++line;
      column = 1;
    } else if ((byte & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
      ++column;
    }
  }
  return fmt::format("line {}, column {}", line, column);
}

// nlohmann's message without its id, its own position and the raw token,
// which the caller replaces with an editor-style position.
std::string short_reason(std::string reason) {
  if (const auto end = reason.find("] ");
      reason.starts_with("[json.") && end != std::string::npos) {
    reason.erase(0, end + 2);
  }
  if (const auto end = reason.find(": ");
      reason.starts_with("parse error") && end != std::string::npos) {
    reason.erase(0, end + 2);
  }
  if (const auto start = reason.find("; last read: "); start != std::string::npos) {
    const auto next = reason.find("; ", start + 2);
    reason.erase(start, next == std::string::npos ? std::string::npos : next - start);
  }
  return reason;
}

}  // namespace

Result<ordered_json> parse_json_text(std::string_view text) {
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Error::invalid(
        fmt::format("malformed JSON: a NUL byte at byte {} ({}); JSON text cannot contain one", nul,
                    line_and_column(text, nul)));
  }
  ordered_json document;
  StrictParser parser(document);
  const bool parsed = ordered_json::sax_parse(text, &parser, nlohmann::detail::input_format_t::json,
                                              /*strict=*/true, /*ignore_comments=*/false);
  if (!parsed || parser.failed() || document.is_discarded()) {
    // nlohmann's position counts the offending character itself.
    const std::size_t offset = parser.position() == 0 ? 0 : parser.position() - 1;
    return Error::invalid(fmt::format("malformed JSON at {}: {}", line_and_column(text, offset),
                                      short_reason(parser.reason())));
  }
  if (!parser.duplicates().empty()) {
    std::vector<FieldError> fields;
    for (const std::string& path : parser.duplicates()) {
      fields.push_back({path, "duplicate key; each key may appear only once"});
    }
    return Error::invalid(fmt::format("duplicate key \"{}\": each key may appear only once in an "
                                      "object",
                                      parser.duplicates().front()),
                          std::move(fields));
  }
  return document;
}

}  // namespace outbreak::io
