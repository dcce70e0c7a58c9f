// Column lists built from engine::kDayColumns, shared by both backends
// (internal). Only the statements use these; the migrations spell their
// columns out, because a released migration must never change.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outbreak/engine/day_totals.hpp"
#include "outbreak/engine/ensemble.hpp"

namespace outbreak::store::detail {

inline constexpr std::size_t kDayColumnCount = engine::kDayColumns.size();

// The summary's series and the `statistic` value each is stored under.
using SummarySeries = std::vector<engine::DayValues> engine::Summary::*;
inline constexpr std::array<std::pair<std::string_view, SummarySeries>, 3> kStatistics = {{
    {"mean", &engine::Summary::mean},
    {"p5", &engine::Summary::p5},
    {"p95", &engine::Summary::p95},
}};

// The columns of simulation_age_totals after (simulation_id, replicate,
// band), with the AgeTotals series each one stores.
using AgeSeries = std::array<std::int64_t, engine::kAgeBands> engine::AgeTotals::*;
inline constexpr std::array<std::pair<std::string_view, AgeSeries>, 5> kAgeColumns = {{
    {"agents", &engine::AgeTotals::agents},
    {"infected", &engine::AgeTotals::infected},
    {"hospitalized", &engine::AgeTotals::hospitalized},
    {"critical", &engine::AgeTotals::critical},
    {"dead", &engine::AgeTotals::dead},
}};

// Whether day column `c` is a real (REAL / DOUBLE PRECISION, NULL while
// unknown) rather than a count.
inline bool is_real_column(std::size_t c) { return engine::kDayColumns[c].real != nullptr; }

// "agents, infected, hospitalized, critical, dead".
std::string age_column_list();

// "day, susceptible, ..." starting at column `first` (1 skips "day").
std::string day_column_list(std::size_t first);
// "?, ?, ..." (`count` of them).
std::string placeholders(std::size_t count);
// "susceptible = excluded.susceptible, ..." starting at column `first`.
std::string excluded_assignments(std::size_t first);
// "agents = excluded.agents, ..." for the age columns.
std::string excluded_age_assignments();

}  // namespace outbreak::store::detail
