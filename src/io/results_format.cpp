#include "outbreak/io/results_format.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "outbreak/io/scenario_json.hpp"

namespace outbreak::io {
namespace {

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
                       totals.*kDayColumns[c].member);
      }
      if (several) fmt::format_to(std::back_inserter(row), ",{}", r + 1);
      fmt::format_to(std::back_inserter(row), "\n");
      write(out, row);
    }
  }
  if (!several) return;
  for (const auto& [label, series] : summary_series(result)) {
    for (const DayValues& values : *series) {
      row.clear();
      for (double value : values) {
        fmt::format_to(std::back_inserter(row), "{},", format_summary_value(value));
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
                   totals.*kDayColumns[c].member);
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

// One row per line, so that the file stays readable and diffable.
template <typename Row>
void write_json_rows(std::ostream& out, const std::vector<Row>& rows, std::string_view indent) {
  Buffer line;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    line.clear();
    fmt::format_to(std::back_inserter(line), "{}", indent);
    append_json_row(line, rows[i]);
    fmt::format_to(std::back_inserter(line), "{}\n", i + 1 < rows.size() ? "," : "");
    write(out, line);
  }
}

void write_json_replicates(std::ostream& out, const engine::Scenario& scenario,
                           const EnsembleResult& result) {
  out << "  \"replicates\": [\n";
  for (std::size_t r = 0; r < result.replicates.size(); ++r) {
    // Replicate r runs with seed + r (see engine/ensemble.hpp).
    out << fmt::format("    {{\"replicate\": {}, \"seed\": {}, \"days\": [\n", r + 1,
                       scenario.seed + static_cast<std::int64_t>(r));
    write_json_rows(out, result.replicates[r], "      ");
    out << (r + 1 < result.replicates.size() ? "    ]},\n" : "    ]}\n");
  }
  out << "  ]";
}

void write_json_summary(std::ostream& out, const EnsembleResult& result) {
  out << "  \"summary\": {\n";
  const auto series = summary_series(result);
  for (std::size_t s = 0; s < series.size(); ++s) {
    out << fmt::format("    \"{}\": [\n", series[s].first);
    write_json_rows(out, *series[s].second, "      ");
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

// With several replicates, the mean rounded to whole agents: a terminal
// table is for reading trends, the other formats carry the exact values.
std::vector<TableRow> table_rows(const EnsembleResult& result) {
  std::vector<TableRow> rows;
  if (result.replicates.size() > 1) {
    for (const DayValues& mean : result.summary.mean) {
      TableRow& row = rows.emplace_back();
      for (std::size_t c = 0; c < row.size(); ++c) {
        row[c] = std::isfinite(mean[c]) ? fmt::format("{}", std::llround(mean[c]))
                                        : fmt::format("{}", mean[c]);
      }
    }
  } else if (result.replicates.size() == 1) {
    for (const DayTotals& totals : result.replicates.front()) {
      TableRow& row = rows.emplace_back();
      for (std::size_t c = 0; c < row.size(); ++c) {
        row[c] = fmt::format("{}", totals.*kDayColumns[c].member);
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
