// Results of an ensemble as CSV, JSON or a human-readable table.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "outbreak/engine/ensemble.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::io {

enum class Format { kTable, kCsv, kJson };

// "table" | "csv" | "json"; anything else is kInvalidInput naming the value
// and the allowed ones.
Result<Format> parse_format(std::string_view name);

// The replicates a summary covers: the first `replicates` of them (0: all),
// and whether the job had more (it stopped early, so the summary is over
// its complete runs only, docs/api.md#results).
struct SummaryCoverage {
  std::size_t replicates = 0;
  bool partial = false;
};

// Writes the results in `format`:
// - csv: a header row of the day columns; with one replicate, one row per
//   day. With several, a `replicate` column after them: rows of replicate
//   1..R, then rows of the summary whose `replicate` is mean, p5 or p95.
//   Last, `interventions_active`: the ids of the timeline items active that
//   day (DayTotals::active) separated by ';', empty for none; never quoted,
//   as it holds only digits and ';'.
// - json: {"scenario": {...}, "timeline": timeline_json(scenario), "columns":
//   [...], "replicates": [{"replicate", "seed", "days": [{column: value, ...,
//   "interventions_active": [ids]}, ...], "age_totals": [{"band": "0-9",
//   "agents", "infected", "hospitalized", "critical", "dead"}, ...]}],
//   "summary": {"replicates": N, "partial": false, "mean": [...], "p5": [...],
//   "p95": [...]}} (summary only with several replicates, and for a partial
//   coverage only when result.summary has days; N the replicates it covers;
//   age_totals only for replicates that result.age_totals covers). Written
//   line by line, never held whole.
// - table: aligned columns for a terminal, without the active items; with
//   several replicates the mean per day, rounded, under a line that says so
//   (and, for a partial coverage, how many of the replicates it covers).
// Counts print as integers; reals of a run (r_t) with six significant digits
// (table: two decimals); summary values (csv, json) are rounded to six
// decimals and print as integers when whole. An unknown value (r_t while NaN,
// and a summary of r_t unless every replicate knows it that day) is empty in
// csv, null in json and "-" in the table. Replicate r (1-based) has seed
// scenario.seed + r - 1. Output is deterministic; a failed write is left in
// `out`'s state for the caller to check.
// A summary row's active items (csv, json) are the union of the replicates'
// sets on that day: the items active that day in at least one replicate.
// `coverage` says which replicates result.summary covers (default: all).
void write_results(std::ostream& out, Format format, const engine::Scenario& scenario,
                   const engine::EnsembleResult& result, SummaryCoverage coverage = {});

// Writes csv or json results piece by piece, in exactly the bytes of
// write_results, so that a caller can send a large document while reading
// it (GET .../results reads one replicate at a time from the store). Each
// call appends to `out`. The order is head(); for every replicate in turn
// replicate_start(), day() for each of its days, replicate_end(); then,
// with several replicates (csv: and a summary), summary_start() and for
// each series series_start(), summary_row() for each of its days and
// series_end(); tail() last. Memory: a count per day of the real columns
// and the union of the active items per day, whatever the number of
// replicates. Not thread-safe.
class ResultsWriter {
 public:
  // `format` is kCsv or kJson; `replicates` is how many replicate_start()
  // calls follow (csv: a replicate column when more than one).
  ResultsWriter(Format format, const engine::Scenario& scenario, std::size_t replicates);

  // The replicates the summary covers (call before the first day()): a real
  // column of a summary row is known when each of those knew it.
  void set_summary_coverage(SummaryCoverage coverage) { coverage_ = coverage; }

  void head(std::string& out) const;
  // `number` is 1-based: its seed is scenario.seed + number - 1.
  void replicate_start(std::string& out, std::int64_t number);
  void day(std::string& out, const engine::DayTotals& totals);
  // A day of a replicate that is not written (a document of the summary
  // alone): only its active timeline items count, for the summary rows'
  // union. `day` counts from 0.
  void note_active(std::size_t day, const engine::DayTotals& totals);
  // `age_totals` (json only) when the replicate has them.
  void replicate_end(std::string& out, const engine::AgeTotals* age_totals = nullptr);
  void summary_start(std::string& out);
  // Series 0 = mean, 1 = p5, 2 = p95, in that order.
  void series_start(std::string& out, std::size_t series);
  // Row `day` of the series (days in order from 0); a real column is
  // unknown unless every replicate knew it that day; the active items are
  // those of any replicate written that day.
  void summary_row(std::string& out, std::size_t day, engine::DayValues values);
  void series_end(std::string& out);
  void tail(std::string& out) const;

 private:
  // How many replicates the summary covers.
  std::size_t summary_replicates() const {
    return coverage_.replicates == 0 ? replicates_ : coverage_.replicates;
  }

  Format format_;
  const engine::Scenario& scenario_;
  std::size_t replicates_;
  std::size_t started_ = 0;  // replicate_start() calls so far
  std::int64_t number_ = 0;  // the replicate being written
  std::size_t row_ = 0;      // its days written so far
  SummaryCoverage coverage_;
  bool summary_ = false;                         // summary_start() was called
  std::size_t series_ = 0;                       // the series being written
  std::vector<std::vector<std::size_t>> known_;  // [real column][day]: replicates that knew it
  std::vector<decltype(engine::DayTotals::active)> active_;  // [day]: union of the replicates' sets
  // [day][column]: the mean of a real column was unknown (summary without days)
  std::vector<std::array<bool, engine::kDayColumns.size()>> mean_unknown_;
};

// The effective timeline (Scenario::timeline(): the `interventions`, then the
// items of the flat keys) as interventions_to_json writes it, each item with
// its id first: {"id": 0, "type": ..., ...}. The ids are those of
// DayTotals::active and `interventions_active`.
nlohmann::ordered_json timeline_json(const engine::Scenario& scenario);

// One day of a run as the json format writes it: {"day":0,...,"r_t":null,...,
// "interventions_active":[0,2]} in column order, on one line (for documents
// built elsewhere).
std::string json_day_row(const engine::DayTotals& totals);

}  // namespace outbreak::io
