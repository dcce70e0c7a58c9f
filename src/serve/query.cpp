#include "query.hpp"

#include <charconv>

#include <fmt/format.h>

namespace outbreak::serve::detail {

Result<io::Format> parse_results_format(std::string_view text) {
  if (text == "json") return io::Format::kJson;
  if (text == "csv") return io::Format::kCsv;
  return Error::invalid(fmt::format("format must be json or csv, got \"{}\"", text),
                        {{"format", "must be json or csv"}});
}

Result<std::int64_t> parse_replicate(std::string_view text, std::int64_t replicates) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > replicates) {
    return Error::invalid(
        fmt::format("must be a replicate number from 1 to {}, got \"{}\"", replicates, text));
  }
  return value - 1;
}

bool is_json_media_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.front() == ' ') media.remove_prefix(1);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  if (media.size() != kJson.size()) return false;
  for (std::size_t i = 0; i < media.size(); ++i) {
    const char c = media[i];
    const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != kJson[i]) return false;
  }
  return true;
}

}  // namespace outbreak::serve::detail
