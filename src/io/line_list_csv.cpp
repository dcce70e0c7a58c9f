#include "outbreak/io/line_list_csv.hpp"

#include <iterator>

#include <fmt/format.h>

namespace outbreak::io {
namespace {

using engine::Infection;

// A day of the case's course, empty when it never comes or comes after the
// run: the file describes what happened within the run.
void append_day(fmt::memory_buffer& row, std::int32_t day, std::int64_t last_day) {
  if (day == engine::kNoDay || day > last_day) {
    fmt::format_to(std::back_inserter(row), ",");
  } else {
    fmt::format_to(std::back_inserter(row), ",{}", day);
  }
}

std::string_view outcome_of(const Infection& infection, std::int64_t last_day) {
  const bool resolved =
      infection.day_resolved != engine::kNoDay && infection.day_resolved <= last_day;
  return resolved ? engine::outcome_name(infection.outcome) : std::string_view("active");
}

void append_row(fmt::memory_buffer& row, std::int64_t replicate, const Infection& infection,
                std::int64_t last_day) {
  fmt::format_to(std::back_inserter(row), "{},{},{},{},", replicate, infection.agent, infection.age,
                 infection.day_infected);
  if (infection.infector != engine::kNoInfector) {
    fmt::format_to(std::back_inserter(row), "{}", infection.infector);
  }
  fmt::format_to(std::back_inserter(row), ",{}", engine::route_name(infection.route));
  append_day(row, infection.day_infectious, last_day);
  append_day(row, infection.day_symptoms, last_day);
  append_day(row, infection.day_hospital, last_day);
  append_day(row, infection.day_critical, last_day);
  append_day(row, infection.day_resolved, last_day);
  fmt::format_to(std::back_inserter(row), ",{}\n", outcome_of(infection, last_day));
}

}  // namespace

void write_line_list_header(std::ostream& out) {
  out << "replicate,agent,age,day_infected,infector,route,day_infectious,day_symptoms,"
         "day_hospital,day_critical,day_resolved,outcome\n";
}

void write_line_list_rows(std::ostream& out, std::int64_t replicate,
                          std::span<const engine::Infection> infections, std::int64_t last_day) {
  // One write per call: a day of a large epidemic has hundreds of thousands
  // of rows, and a write per row would dominate.
  fmt::memory_buffer rows;
  for (const Infection& infection : infections) append_row(rows, replicate, infection, last_day);
  out.write(rows.data(), static_cast<std::streamsize>(rows.size()));
}

}  // namespace outbreak::io
