// Results of an ensemble as CSV, JSON or a human-readable table.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "outbreak/engine/ensemble.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::io {

enum class Format { kTable, kCsv, kJson };

// "table" | "csv" | "json"; anything else is kInvalidInput naming the value
// and the allowed ones.
Result<Format> parse_format(std::string_view name);

// Writes the results in `format`:
// - csv: a header row of the day columns; with one replicate, one row per
//   day. With several, a trailing `replicate` column: rows of replicate
//   1..R, then rows of the summary whose `replicate` is mean, p5 or p95.
// - json: {"scenario": {...}, "columns": [...], "replicates": [{"replicate",
//   "seed", "days": [{column: value}, ...], "age_totals": [{"band": "0-9",
//   "agents", "infected", "hospitalized", "critical", "dead"}, ...]}],
//   "summary": {"mean": [...], "p5": [...], "p95": [...]}} (summary only with
//   several replicates; age_totals only for replicates that
//   result.age_totals covers). Written line by line, never held whole.
// - table: aligned columns for a terminal; with several replicates the mean
//   per day, rounded, under a line that says so.
// Counts print as integers; reals of a run (r_t) with six significant digits
// (table: two decimals); summary values (csv, json) are rounded to six
// decimals and print as integers when whole. An unknown value (r_t while NaN,
// and a summary of r_t unless every replicate knows it that day) is empty in
// csv, null in json and "-" in the table. Replicate r (1-based) has seed
// scenario.seed + r - 1. Output is deterministic; a failed write is left in
// `out`'s state for the caller to check.
void write_results(std::ostream& out, Format format, const engine::Scenario& scenario,
                   const engine::EnsembleResult& result);

// One day of a run as the json format writes it: {"day":0,...,"r_t":null,...}
// in column order, on one line (for documents built elsewhere).
std::string json_day_row(const engine::DayTotals& totals);

}  // namespace outbreak::io
