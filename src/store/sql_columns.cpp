#include "store/sql_columns.hpp"

#include <charconv>

#include <fmt/format.h>

namespace outbreak::store::detail {

namespace {
constexpr std::size_t kActiveBits = 64 * std::tuple_size_v<decltype(engine::DayTotals::active)>;
}  // namespace

std::string active_ids_text(const std::array<std::uint64_t, 2>& active) {
  std::string out;
  for (std::size_t id = 0; id < kActiveBits; ++id) {
    if (((active[id / 64] >> (id % 64)) & 1) == 0) continue;
    if (!out.empty()) out += ',';
    out += std::to_string(id);
  }
  return out;
}

Result<std::array<std::uint64_t, 2>> parse_active_ids(std::string_view text) {
  std::array<std::uint64_t, 2> active{};
  if (text.empty()) return active;
  const auto bad = [&] {
    return Error::make(
        ErrorCode::kInternal,
        fmt::format("{} holds \"{}\"; expected timeline item ids below {} separated by commas",
                    kActiveColumn, text, kActiveBits));
  };
  const char* at = text.data();
  const char* const end = text.data() + text.size();
  while (true) {
    std::size_t id = 0;
    const auto [next, ec] = std::from_chars(at, end, id);
    if (ec != std::errc{} || id >= kActiveBits) return bad();
    active[id / 64] |= std::uint64_t{1} << (id % 64);
    if (next == end) return active;
    if (*next != ',') return bad();
    at = next + 1;  // an empty id after a trailing comma fails above
  }
}

std::string days_table_columns() { return day_column_list(0).append(", ").append(kActiveColumn); }

std::string day_column_list(std::size_t first) {
  std::string out;
  for (std::size_t i = first; i < kDayColumnCount; ++i) {
    if (!out.empty()) out += ", ";
    out += engine::kDayColumns[i].name;
  }
  return out;
}

std::string age_column_list() {
  std::string out;
  for (const auto& [name, series] : kAgeColumns) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string placeholders(std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

}  // namespace outbreak::store::detail
