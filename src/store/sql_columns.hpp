// Column lists built from engine::kDayColumns, for the store core's
// statements (internal). Only the statements use these; the migrations
// spell their columns out, because a released migration must never change.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outbreak/engine/day_totals.hpp"
#include "outbreak/engine/ensemble.hpp"
#include "outbreak/util/result.hpp"

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

// The column of simulation_days after the day columns: the timeline items
// active that day (DayTotals::active), their ids ascending and separated by
// commas ("0,2"), empty for none. NULL (rows written before migration 5)
// reads as none.
inline constexpr std::string_view kActiveColumn = "active_interventions";

// The ids of `active` as kActiveColumn stores them: "0,63,64,101", "" for none.
std::string active_ids_text(const std::array<std::uint64_t, 2>& active);
// The set that active_ids_text() wrote; "" is none. Anything but ids below
// 128 separated by commas (a value outbreak did not write) is kInternal,
// naming the column and the text, on every backend.
Result<std::array<std::uint64_t, 2>> parse_active_ids(std::string_view text);

// The columns of simulation_days after (simulation_id, replicate): the day
// columns, then kActiveColumn.
std::string days_table_columns();

// "agents, infected, hospitalized, critical, dead".
std::string age_column_list();

// "day, susceptible, ..." starting at column `first` (1 skips "day").
std::string day_column_list(std::size_t first);
// "?, ?, ..." (`count` of them).
std::string placeholders(std::size_t count);

}  // namespace outbreak::store::detail
