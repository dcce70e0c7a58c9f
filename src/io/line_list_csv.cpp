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
                std::int64_t last_day, const CaseDays& days) {
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
  fmt::format_to(std::back_inserter(row), ",{}", outcome_of(infection, last_day));
  append_day(row, days.positive, last_day);
  append_day(row, days.isolated, last_day);
  append_day(row, days.traced, last_day);
  fmt::format_to(std::back_inserter(row), "\n");
}

}  // namespace

void write_line_list_header(std::ostream& out) {
  out << "replicate,agent,age,day_infected,infector,route,day_infectious,day_symptoms,"
         "day_hospital,day_critical,day_resolved,outcome,day_positive,day_isolated,day_traced\n";
}

void write_line_list_rows(std::ostream& out, std::int64_t replicate,
                          std::span<const engine::Infection> infections, std::int64_t last_day,
                          std::span<const CaseDays> days) {
  // One write per block: an epidemic has millions of rows, and a write per
  // row would dominate.
  constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
  const CaseDays none;
  fmt::memory_buffer rows;
  for (std::size_t i = 0; i < infections.size(); ++i) {
    append_row(rows, replicate, infections[i], last_day, days.empty() ? none : days[i]);
    if (rows.size() >= kBlockBytes) {
      out.write(rows.data(), static_cast<std::streamsize>(rows.size()));
      rows.clear();
    }
  }
  out.write(rows.data(), static_cast<std::streamsize>(rows.size()));
}

void LineListBuffer::add(std::span<const engine::Infection> infections) {
  for (const Infection& infection : infections) {
    index_[infection.agent] = infections_.size();
    infections_.push_back(infection);
    CaseDays days;
    if (const auto before = traced_before_.find(infection.agent); before != traced_before_.end()) {
      days.traced = before->second;
      traced_before_.erase(before);
    }
    days_.push_back(days);
  }
}

void LineListBuffer::add(std::span<const engine::CaseEvent> events) {
  for (const engine::CaseEvent& event : events) {
    const auto row = index_.find(event.agent);
    if (row == index_.end()) {  // never infected (yet): only tracing matters later
      if (event.kind == engine::CaseEventKind::kTraced) traced_before_[event.agent] = event.day;
      continue;
    }
    CaseDays& days = days_[row->second];
    const Infection& infection = infections_[row->second];
    const auto first_since_infection = [&](std::int32_t& day) {
      if (event.day < infection.day_infected) return;
      if (day == engine::kNoDay || day < infection.day_infected) day = event.day;
    };
    switch (event.kind) {
      case engine::CaseEventKind::kPositive:
        first_since_infection(days.positive);
        break;
      case engine::CaseEventKind::kIsolated:
        first_since_infection(days.isolated);
        break;
      case engine::CaseEventKind::kTraced:
        first_since_infection(days.traced);
        break;
    }
  }
}

void LineListBuffer::write(std::ostream& out, std::int64_t replicate, std::int64_t last_day) {
  write_line_list_rows(out, replicate, infections_, last_day, days_);
  infections_.clear();
  days_.clear();
  index_.clear();
  traced_before_.clear();
}

}  // namespace outbreak::io
