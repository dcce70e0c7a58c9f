#include "store/sql_columns.hpp"

namespace outbreak::store::detail {

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

std::string excluded_assignments(std::size_t first) {
  std::string out;
  for (std::size_t i = first; i < kDayColumnCount; ++i) {
    if (!out.empty()) out += ", ";
    const auto name = engine::kDayColumns[i].name;
    out.append(name).append(" = excluded.").append(name);
  }
  return out;
}

std::string excluded_age_assignments() {
  std::string out;
  for (const auto& [name, series] : kAgeColumns) {
    if (!out.empty()) out += ", ";
    out.append(name).append(" = excluded.").append(name);
  }
  return out;
}

}  // namespace outbreak::store::detail
