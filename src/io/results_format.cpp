#include "outbreak/io/results_format.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
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

// The summary series in their documented order, with the label they carry in
// the output.
std::array<std::pair<std::string_view, const std::vector<DayValues>*>, 3> summary_series(
    const EnsembleResult& result) {
  return {
      {{"mean", &result.summary.mean}, {"p5", &result.summary.p5}, {"p95", &result.summary.p95}}};
}

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

// A summary row of `day` whose real columns are NaN unless every replicate
// knows the value that day: a mean over the replicates that happen to know
// r_t would be biased towards the ones whose cases ended early.
DayValues summary_row(const EnsembleResult& result, std::size_t day, DayValues values) {
  for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
    if (kDayColumns[c].real == nullptr) continue;
    for (const auto& series : result.replicates) {
      if (day >= series.size() || std::isnan(kDayColumns[c].value(series[day]))) {
        values[c] = std::numeric_limits<double>::quiet_NaN();
        break;
      }
    }
  }
  return values;
}

void write(std::ostream& out, const Buffer& buffer) {
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
}

// --- CSV -------------------------------------------------------------------

void write_csv(std::ostream& out, const EnsembleResult& result) {
  const bool several = result.replicates.size() > 1;
  Buffer row;
  for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
    fmt::format_to(std::back_inserter(row), "{}{}", c == 0 ? "" : ",", kDayColumns[c].name);
  }
  fmt::format_to(std::back_inserter(row), "{}\n", several ? ",replicate" : "");
  write(out, row);
  for (std::size_t r = 0; r < result.replicates.size(); ++r) {
    for (const DayTotals& totals : result.replicates[r]) {
      row.clear();
      for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
        fmt::format_to(std::back_inserter(row), "{}{}", c == 0 ? "" : ",",
                       format_cell(kDayColumns[c], totals, ""));
      }
      if (several) fmt::format_to(std::back_inserter(row), ",{}", r + 1);
      fmt::format_to(std::back_inserter(row), "\n");
      write(out, row);
    }
  }
  if (!several) return;
  for (const auto& [label, series] : summary_series(result)) {
    for (std::size_t day = 0; day < series->size(); ++day) {
      row.clear();
      for (double value : summary_row(result, day, (*series)[day])) {
        fmt::format_to(std::back_inserter(row), "{},",
                       std::isfinite(value) ? format_summary_value(value) : std::string());
      }
      fmt::format_to(std::back_inserter(row), "{}\n", label);
      write(out, row);
    }
  }
}

// --- JSON ------------------------------------------------------------------
// Written row by row rather than built as one document: a large ensemble
// (1000 replicates of 3650 days) would need gigabytes as a JSON tree.

void append_json_row(Buffer& row, const DayTotals& totals) {
  for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
    fmt::format_to(std::back_inserter(row), "{}\"{}\":{}", c == 0 ? "{" : ",", kDayColumns[c].name,
                   format_cell(kDayColumns[c], totals, "null"));
  }
  fmt::format_to(std::back_inserter(row), "}}");
}

void append_json_row(Buffer& row, const DayValues& values) {
  for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
    // JSON has no NaN or infinity; null is what JSON.stringify writes for them.
    const std::string value =
        std::isfinite(values[c]) ? format_summary_value(values[c]) : std::string("null");
    fmt::format_to(std::back_inserter(row), "{}\"{}\":{}", c == 0 ? "{" : ",", kDayColumns[c].name,
                   value);
  }
  fmt::format_to(std::back_inserter(row), "}}");
}

// One band of a run's totals by age, {"band": "0-9", "agents": ..., ...}.
void append_age_row(Buffer& row, const engine::AgeTotals& totals, std::size_t band) {
  fmt::format_to(std::back_inserter(row),
                 "{{\"band\":\"{}\",\"agents\":{},\"infected\":{},\"hospitalized\":{},"
                 "\"critical\":{},\"dead\":{}}}",
                 engine::kAgeBandLabels[band], totals.agents[band], totals.infected[band],
                 totals.hospitalized[band], totals.critical[band], totals.dead[band]);
}

// `count` rows, one per line, so that the file stays readable and diffable;
// `append(line, i)` formats row i.
template <typename Append>
void write_json_rows(std::ostream& out, std::size_t count, std::string_view indent, Append append) {
  Buffer line;
  for (std::size_t i = 0; i < count; ++i) {
    line.clear();
    fmt::format_to(std::back_inserter(line), "{}", indent);
    append(line, i);
    fmt::format_to(std::back_inserter(line), "{}\n", i + 1 < count ? "," : "");
    write(out, line);
  }
}

// `"days": [...]`, then `"age_totals": [...]` when the result has them (a
// run does; results read back from a store do not).
void write_json_replicate(std::ostream& out, const EnsembleResult& result, std::size_t r) {
  const std::vector<DayTotals>& days = result.replicates[r];
  write_json_rows(out, days.size(), "      ",
                  [&](Buffer& line, std::size_t d) { append_json_row(line, days[d]); });
  if (r >= result.age_totals.size()) return;
  out << "    ], \"age_totals\": [\n";
  write_json_rows(out, engine::kAgeBands, "      ", [&](Buffer& line, std::size_t band) {
    append_age_row(line, result.age_totals[r], band);
  });
}

void write_json_replicates(std::ostream& out, const engine::Scenario& scenario,
                           const EnsembleResult& result) {
  out << "  \"replicates\": [\n";
  for (std::size_t r = 0; r < result.replicates.size(); ++r) {
    // Replicate r runs with seed + r (see engine/ensemble.hpp).
    out << fmt::format("    {{\"replicate\": {}, \"seed\": {}, \"days\": [\n", r + 1,
                       scenario.seed + static_cast<std::int64_t>(r));
    write_json_replicate(out, result, r);
    out << (r + 1 < result.replicates.size() ? "    ]},\n" : "    ]}\n");
  }
  out << "  ]";
}

void write_json_summary(std::ostream& out, const EnsembleResult& result) {
  out << "  \"summary\": {\n";
  const auto series = summary_series(result);
  for (std::size_t s = 0; s < series.size(); ++s) {
    out << fmt::format("    \"{}\": [\n", series[s].first);
    const std::vector<DayValues>& rows = *series[s].second;
    write_json_rows(out, rows.size(), "      ", [&](Buffer& line, std::size_t day) {
      append_json_row(line, summary_row(result, day, rows[day]));
    });
    out << (s + 1 < series.size() ? "    ],\n" : "    ]\n");
  }
  out << "  }";
}

void write_json(std::ostream& out, const engine::Scenario& scenario, const EnsembleResult& result) {
  nlohmann::ordered_json columns = nlohmann::ordered_json::array();
  for (const auto& column : kDayColumns) columns.push_back(column.name);
  out << "{\n  \"scenario\": " << scenario_to_json(scenario).dump() << ",\n";
  out << "  \"columns\": " << columns.dump() << ",\n";
  write_json_replicates(out, scenario, result);
  if (result.replicates.size() > 1) {
    out << ",\n";
    write_json_summary(out, result);
  }
  out << "\n}\n";
}

// --- Table -----------------------------------------------------------------

using TableRow = std::array<std::string, kDayColumns.size()>;

// A real in the table (r_t): two decimals are what a reader compares.
std::string table_real(double value) {
  return std::isfinite(value) ? fmt::format("{:.2f}", value) : std::string("-");
}

// With several replicates, the mean rounded to whole agents: a terminal
// table is for reading trends, the other formats carry the exact values.
std::vector<TableRow> table_rows(const EnsembleResult& result) {
  std::vector<TableRow> rows;
  if (result.replicates.size() > 1) {
    for (std::size_t day = 0; day < result.summary.mean.size(); ++day) {
      const DayValues mean = summary_row(result, day, result.summary.mean[day]);
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

void write_table(std::ostream& out, const EnsembleResult& result) {
  if (result.replicates.size() > 1) {
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
  const std::vector<TableRow> rows = table_rows(result);
  for (const TableRow& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  write_table_row(out, header, widths);
  for (const TableRow& row : rows) write_table_row(out, row, widths);
}

}  // namespace

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
                   const engine::EnsembleResult& result) {
  switch (format) {
    case Format::kTable:
      write_table(out, result);
      return;
    case Format::kCsv:
      write_csv(out, result);
      return;
    case Format::kJson:
      write_json(out, scenario, result);
      return;
  }
}

}  // namespace outbreak::io
