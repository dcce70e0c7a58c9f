#include "outbreak/io/results_format.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "outbreak/io/scenario_json.hpp"

namespace outbreak::io {
namespace {

using engine::DayColumn;
using engine::DayTotals;
using engine::DayValues;
using engine::EnsembleResult;
using engine::kDayColumns;
using Buffer = fmt::memory_buffer;

// Means and percentiles of counts: six decimals lie far below their sampling
// error, so they are rounded there and printed in the shortest form that reads
// back to the same double; whole values print as integers.
std::string format_summary_value(double value) {
  if (!std::isfinite(value)) return fmt::format("{}", value);
  const double rounded = std::abs(value) < 1e9 ? std::round(value * 1e6) / 1e6 : value;
  if (std::trunc(rounded) == rounded && std::abs(rounded) < 9e15) {
    return fmt::format("{}", static_cast<std::int64_t>(rounded));
  }
  return fmt::format("{}", rounded);
}

// A real of one run (r_t): six significant digits are more than the model
// resolves, and keep the files short. NaN (not known) is written as `unknown`.
std::string format_real(double value, std::string_view unknown) {
  if (!std::isfinite(value)) return std::string(unknown);
  return fmt::format("{:.6g}", value);
}

// One cell of a run's day: counts as integers, reals as above.
std::string format_cell(const DayColumn& column, const DayTotals& totals,
                        std::string_view unknown) {
  if (column.member != nullptr) return fmt::format("{}", totals.*column.member);
  return format_real(totals.*column.real, unknown);
}

// The name of the active items in a row: the last CSV column, the last key
// of a JSON row.
constexpr std::string_view kActiveName = "interventions_active";

using ActiveSet = decltype(DayTotals::active);
constexpr std::size_t kActiveBits = 64 * std::tuple_size_v<ActiveSet>;

// The ids of the timeline items in `active`, ascending, separated by
// `separator` (nothing for none).
void append_active_ids(Buffer& out, const ActiveSet& active, std::string_view separator) {
  bool first = true;
  for (std::size_t id = 0; id < kActiveBits; ++id) {
    if (((active[id / 64] >> (id % 64)) & 1) == 0) continue;
    fmt::format_to(std::back_inserter(out), "{}{}", first ? "" : separator, id);
    first = false;
  }
}

void write(std::ostream& out, const Buffer& buffer) {
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
}

// --- JSON rows -------------------------------------------------------------

// After a row's columns: ,"interventions_active":[ids]}
void close_json_row(Buffer& row, const ActiveSet& active) {
  fmt::format_to(std::back_inserter(row), ",\"{}\":[", kActiveName);
  append_active_ids(row, active, ",");
  fmt::format_to(std::back_inserter(row), "]}}");
}

void append_json_row(Buffer& row, const DayTotals& totals) {
  for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
    fmt::format_to(std::back_inserter(row), "{}\"{}\":{}", c == 0 ? "{" : ",", kDayColumns[c].name,
                   format_cell(kDayColumns[c], totals, "null"));
  }
  close_json_row(row, totals.active);
}

void append_json_row(Buffer& row, const DayValues& values, const ActiveSet& active) {
  for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
    // JSON has no NaN or infinity; null is what JSON.stringify writes for them.
    const std::string value =
        std::isfinite(values[c]) ? format_summary_value(values[c]) : std::string("null");
    fmt::format_to(std::back_inserter(row), "{}\"{}\":{}", c == 0 ? "{" : ",", kDayColumns[c].name,
                   value);
  }
  close_json_row(row, active);
}

// One band of a run's totals by age, {"band": "0-9", "agents": ..., ...}.
void append_age_row(Buffer& row, const engine::AgeTotals& totals, std::size_t band) {
  fmt::format_to(std::back_inserter(row),
                 "{{\"band\":\"{}\",\"agents\":{},\"infected\":{},\"hospitalized\":{},"
                 "\"critical\":{},\"dead\":{}}}",
                 engine::kAgeBandLabels[band], totals.agents[band], totals.infected[band],
                 totals.hospitalized[band], totals.critical[band], totals.dead[band]);
}

void append(std::string& out, const Buffer& buffer) { out.append(buffer.data(), buffer.size()); }

// The summary series in their documented order, by the label they carry.
constexpr std::array<std::string_view, 3> kSeriesLabels = {"mean", "p5", "p95"};

// --- Whole documents, and the table ---------------------------------------

// The mean of `day` for the table: a real column is unknown unless every
// replicate knows it that day (as in ResultsWriter::summary_row).
DayValues table_mean(const EnsembleResult& result, std::size_t covered, std::size_t day) {
  DayValues values = result.summary.mean[day];
  for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
    if (kDayColumns[c].real == nullptr) continue;
    for (std::size_t r = 0; r < covered; ++r) {
      const auto& series = result.replicates[r];
      if (day >= series.size() || std::isnan(kDayColumns[c].value(series[day]))) {
        values[c] = std::numeric_limits<double>::quiet_NaN();
        break;
      }
    }
  }
  return values;
}

// csv or json through ResultsWriter, written to `out` a few rows at a time.
void write_document(std::ostream& out, Format format, const engine::Scenario& scenario,
                    const EnsembleResult& result, SummaryCoverage coverage) {
  constexpr std::size_t kFlushBytes = 64 << 10;
  std::string text;
  const auto flush = [&](bool always) {
    if (!always && text.size() < kFlushBytes) return;
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    text.clear();
  };
  ResultsWriter writer(format, scenario, result.replicates.size());
  writer.set_summary_coverage(coverage);
  writer.head(text);
  for (std::size_t r = 0; r < result.replicates.size(); ++r) {
    // Replicate r runs with seed + r (see engine/ensemble.hpp).
    writer.replicate_start(text, static_cast<std::int64_t>(r) + 1);
    for (const DayTotals& totals : result.replicates[r]) {
      writer.day(text, totals);
      flush(false);
    }
    writer.replicate_end(text, format == Format::kJson && r < result.age_totals.size()
                                   ? &result.age_totals[r]
                                   : nullptr);
  }
  if (result.replicates.size() > 1 && (!coverage.partial || !result.summary.mean.empty())) {
    writer.summary_start(text);
    const std::array<const std::vector<DayValues>*, 3> series = {
        &result.summary.mean, &result.summary.p5, &result.summary.p95};
    for (std::size_t s = 0; s < series.size(); ++s) {
      writer.series_start(text, s);
      for (std::size_t day = 0; day < series[s]->size(); ++day) {
        writer.summary_row(text, day, (*series[s])[day]);
        flush(false);
      }
      writer.series_end(text);
    }
  }
  writer.tail(text);
  flush(true);
}

using TableRow = std::array<std::string, kDayColumns.size()>;

// A real in the table (r_t): two decimals are what a reader compares.
std::string table_real(double value) {
  return std::isfinite(value) ? fmt::format("{:.2f}", value) : std::string("-");
}

// With several replicates, the mean rounded to whole agents: a terminal
// table is for reading trends, the other formats carry the exact values.
std::vector<TableRow> table_rows(const EnsembleResult& result, SummaryCoverage coverage) {
  std::vector<TableRow> rows;
  if (result.replicates.size() > 1) {
    const std::size_t covered = coverage.replicates == 0
                                    ? result.replicates.size()
                                    : std::min(coverage.replicates, result.replicates.size());
    for (std::size_t day = 0; day < result.summary.mean.size(); ++day) {
      const DayValues mean = table_mean(result, covered, day);
      TableRow& row = rows.emplace_back();
      for (std::size_t c = 0; c < row.size(); ++c) {
        const bool count = kDayColumns[c].member != nullptr && std::isfinite(mean[c]);
        row[c] = count ? fmt::format("{}", std::llround(mean[c])) : table_real(mean[c]);
      }
    }
  } else if (result.replicates.size() == 1) {
    for (const DayTotals& totals : result.replicates.front()) {
      TableRow& row = rows.emplace_back();
      for (std::size_t c = 0; c < row.size(); ++c) {
        const DayColumn& column = kDayColumns[c];
        row[c] = column.member != nullptr ? fmt::format("{}", totals.*column.member)
                                          : table_real(totals.*column.real);
      }
    }
  }
  return rows;
}

void write_table_row(std::ostream& out, const TableRow& cells,
                     const std::array<std::size_t, kDayColumns.size()>& widths) {
  Buffer line;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    fmt::format_to(std::back_inserter(line), "{}{:>{}}", c == 0 ? "" : "  ", cells[c], widths[c]);
  }
  fmt::format_to(std::back_inserter(line), "\n");
  write(out, line);
}

void write_table(std::ostream& out, const EnsembleResult& result, SummaryCoverage coverage) {
  if (coverage.partial && result.replicates.size() > 1) {
    out << fmt::format(
        "# partial: mean of the {} complete runs of {} (use --format csv or json for each "
        "replicate and the 5th/95th percentiles)\n",
        result.summary.mean.empty() ? 0 : coverage.replicates, result.replicates.size());
  } else if (result.replicates.size() > 1) {
    out << fmt::format(
        "# mean of {} replicates (use --format csv or json for each replicate and the 5th/95th "
        "percentiles)\n",
        result.replicates.size());
  }
  TableRow header;
  std::array<std::size_t, kDayColumns.size()> widths{};
  for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
    header[c] = std::string(kDayColumns[c].name);
    widths[c] = header[c].size();
  }
  const std::vector<TableRow> rows = table_rows(result, coverage);
  for (const TableRow& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  write_table_row(out, header, widths);
  for (const TableRow& row : rows) write_table_row(out, row, widths);
}

}  // namespace

// --- ResultsWriter ---------------------------------------------------------
// Rows are written one per line, so that files stay readable and diffable;
// a json row's separator is written before the next row, since a day does
// not know whether it is its replicate's last.

ResultsWriter::ResultsWriter(Format format, const engine::Scenario& scenario,
                             std::size_t replicates)
    : format_(format), scenario_(scenario), replicates_(replicates), known_(kDayColumns.size()) {}

void ResultsWriter::head(std::string& out) const {
  if (format_ == Format::kCsv) {
    Buffer row;
    for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
      fmt::format_to(std::back_inserter(row), "{}{}", c == 0 ? "" : ",", kDayColumns[c].name);
    }
    fmt::format_to(std::back_inserter(row), "{},{}\n", replicates_ > 1 ? ",replicate" : "",
                   kActiveName);
    append(out, row);
    return;
  }
  nlohmann::ordered_json columns = nlohmann::ordered_json::array();
  for (const auto& column : kDayColumns) columns.push_back(column.name);
  out += "{\n  \"scenario\": " + scenario_to_json(scenario_).dump() + ",\n";
  out += "  \"timeline\": " + timeline_json(scenario_).dump() + ",\n";
  out += "  \"columns\": " + columns.dump() + ",\n";
  out += "  \"replicates\": [\n";
}

void ResultsWriter::replicate_start(std::string& out, std::int64_t number) {
  ++started_;
  number_ = number;
  row_ = 0;
  if (format_ == Format::kJson) {
    fmt::format_to(std::back_inserter(out), "    {{\"replicate\": {}, \"seed\": {}, \"days\": [\n",
                   number, scenario_.seed + number - 1);
  }
}

void ResultsWriter::day(std::string& out, const DayTotals& totals) {
  if (active_.size() <= row_) active_.resize(row_ + 1);
  for (std::size_t w = 0; w < totals.active.size(); ++w) active_[row_][w] |= totals.active[w];
  const bool covered =
      coverage_.replicates == 0 || number_ <= static_cast<std::int64_t>(coverage_.replicates);
  for (std::size_t c = 0; c < kDayColumns.size() && covered; ++c) {
    if (kDayColumns[c].real == nullptr) continue;
    std::vector<std::size_t>& known = known_[c];
    if (known.size() <= row_) known.resize(row_ + 1, 0);
    if (!std::isnan(totals.*kDayColumns[c].real)) ++known[row_];
  }
  Buffer row;
  if (format_ == Format::kCsv) {
    for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
      fmt::format_to(std::back_inserter(row), "{}{}", c == 0 ? "" : ",",
                     format_cell(kDayColumns[c], totals, ""));
    }
    if (replicates_ > 1) fmt::format_to(std::back_inserter(row), ",{}", number_);
    fmt::format_to(std::back_inserter(row), ",");
    append_active_ids(row, totals.active, ";");
    fmt::format_to(std::back_inserter(row), "\n");
  } else {
    fmt::format_to(std::back_inserter(row), "{}      ", row_ == 0 ? "" : ",\n");
    append_json_row(row, totals);
  }
  append(out, row);
  ++row_;
}

void ResultsWriter::note_active(std::size_t day, const DayTotals& totals) {
  if (active_.size() <= day) active_.resize(day + 1);
  for (std::size_t w = 0; w < totals.active.size(); ++w) active_[day][w] |= totals.active[w];
}

void ResultsWriter::replicate_end(std::string& out, const engine::AgeTotals* age_totals) {
  if (format_ == Format::kCsv) return;
  if (row_ > 0) out += "\n";
  if (age_totals != nullptr) {
    out += "    ], \"age_totals\": [\n";
    Buffer line;
    for (std::size_t band = 0; band < engine::kAgeBands; ++band) {
      line.clear();
      fmt::format_to(std::back_inserter(line), "      ");
      append_age_row(line, *age_totals, band);
      fmt::format_to(std::back_inserter(line), "{}\n", band + 1 < engine::kAgeBands ? "," : "");
      append(out, line);
    }
  }
  out += started_ < replicates_ ? "    ]},\n" : "    ]}\n";
}

void ResultsWriter::summary_start(std::string& out) {
  summary_ = true;
  if (format_ == Format::kJson) {
    fmt::format_to(std::back_inserter(out),
                   "  ],\n  \"summary\": {{\n    \"replicates\": {},\n    \"partial\": {},\n",
                   summary_replicates(), coverage_.partial ? "true" : "false");
  }
}

void ResultsWriter::series_start(std::string& out, std::size_t series) {
  series_ = series;
  row_ = 0;
  if (format_ == Format::kJson) {
    fmt::format_to(std::back_inserter(out), "    \"{}\": [\n", kSeriesLabels.at(series));
  }
}

void ResultsWriter::summary_row(std::string& out, std::size_t day, DayValues values) {
  // A mean over the replicates that happen to know r_t would be biased
  // towards the ones whose cases ended early: unknown unless all know it.
  // Without the replicates' days (started_ == 0), the stored mean says it:
  // it is unknown (NaN) unless every replicate knew the value.
  if (started_ == 0 && series_ == 0) {
    if (mean_unknown_.size() <= day) mean_unknown_.resize(day + 1);
    for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
      mean_unknown_[day][c] = kDayColumns[c].real != nullptr && std::isnan(values[c]);
    }
  }
  for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
    if (kDayColumns[c].real == nullptr) continue;
    const bool unknown = started_ == 0
                             ? day >= mean_unknown_.size() || mean_unknown_[day][c]
                             : day >= known_[c].size() || known_[c][day] < summary_replicates();
    if (unknown) values[c] = std::numeric_limits<double>::quiet_NaN();
  }
  // Items active on this day in any replicate.
  const ActiveSet active = day < active_.size() ? active_[day] : ActiveSet{};
  Buffer row;
  if (format_ == Format::kCsv) {
    for (double value : values) {
      fmt::format_to(std::back_inserter(row), "{},",
                     std::isfinite(value) ? format_summary_value(value) : std::string());
    }
    fmt::format_to(std::back_inserter(row), "{},", kSeriesLabels.at(series_));
    append_active_ids(row, active, ";");
    fmt::format_to(std::back_inserter(row), "\n");
  } else {
    fmt::format_to(std::back_inserter(row), "{}      ", row_ == 0 ? "" : ",\n");
    append_json_row(row, values, active);
  }
  append(out, row);
  ++row_;
}

void ResultsWriter::series_end(std::string& out) {
  if (format_ == Format::kCsv) return;
  if (row_ > 0) out += "\n";
  out += series_ + 1 < kSeriesLabels.size() ? "    ],\n" : "    ]\n";
}

void ResultsWriter::tail(std::string& out) const {
  if (format_ == Format::kJson) out += summary_ ? "  }\n}\n" : "  ]\n}\n";
}

nlohmann::ordered_json timeline_json(const engine::Scenario& scenario) {
  const nlohmann::ordered_json items = interventions_to_json(scenario.timeline());
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (std::size_t id = 0; id < items.size(); ++id) {
    nlohmann::ordered_json item = {{"id", id}};
    item.update(items[id]);
    out.push_back(std::move(item));
  }
  return out;
}

std::string json_day_row(const engine::DayTotals& totals) {
  Buffer row;
  append_json_row(row, totals);
  return fmt::to_string(row);
}

Result<Format> parse_format(std::string_view name) {
  if (name == "table") return Format::kTable;
  if (name == "csv") return Format::kCsv;
  if (name == "json") return Format::kJson;
  return Error::invalid(fmt::format("unknown format \"{}\"; allowed: table, csv, json", name));
}

void write_results(std::ostream& out, Format format, const engine::Scenario& scenario,
                   const engine::EnsembleResult& result, SummaryCoverage coverage) {
  switch (format) {
    case Format::kTable:
      write_table(out, result, coverage);
      return;
    case Format::kCsv:
    case Format::kJson:
      write_document(out, format, scenario, result, coverage);
      return;
  }
}

}  // namespace outbreak::io
