// Column lists built from engine::kDayColumns, shared by both backends
// (internal). Only the statements use these; the migrations spell their
// columns out, because a released migration must never change.
#pragma once

#include <cstddef>
#include <string>

#include "outbreak/engine/day_totals.hpp"

namespace outbreak::store::detail {

inline constexpr std::size_t kDayColumnCount = engine::kDayColumns.size();

// "day, susceptible, ..." starting at column `first` (1 skips "day").
std::string day_column_list(std::size_t first);
// "?, ?, ..." (`count` of them).
std::string placeholders(std::size_t count);
// "susceptible = excluded.susceptible, ..." starting at column `first`.
std::string excluded_assignments(std::size_t first);

}  // namespace outbreak::store::detail
