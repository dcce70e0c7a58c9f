// Results of an ensemble as CSV, JSON or a human-readable table.
#pragma once

#include <ostream>
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
//   "seed", "days": [{column: value}, ...]}], "summary": {"mean": [...],
//   "p5": [...], "p95": [...]}} (summary only with several replicates).
// - table: aligned columns for a terminal; with several replicates the mean
//   per day, rounded, under a line that says so.
// Counts print as integers; summary values (csv, json) are rounded to six
// decimals and print as integers when whole. Replicate r (1-based) has seed
// scenario.seed + r - 1. Output is deterministic; a failed write is left in
// `out`'s state for the caller to check.
void write_results(std::ostream& out, Format format, const engine::Scenario& scenario,
                   const engine::EnsembleResult& result);

}  // namespace outbreak::io
