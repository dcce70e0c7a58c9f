// The line list as CSV: one row per infection, with exactly these columns:
// replicate, agent, age, day_infected, infector, route, day_infectious,
// day_symptoms, day_hospital, day_critical, day_resolved, outcome,
// day_positive, day_isolated, day_traced
#pragma once

#include <cstdint>
#include <ostream>
#include <span>
#include <unordered_map>
#include <vector>

#include "outbreak/engine/line_list.hpp"

namespace outbreak::io {

// Writes the header line (ending in '\n').
void write_line_list_header(std::ostream& out);

// What interventions did to one case (engine::kNoDay: nothing): the day it
// tested positive, started isolating, and was found by contact tracing.
struct CaseDays {
  std::int32_t positive = engine::kNoDay;
  std::int32_t isolated = engine::kNoDay;
  std::int32_t traced = engine::kNoDay;
};

// Writes one row per infection, in the order given, with `replicate` as its
// first cell (the CLI passes the 1-based number the results use). A day that
// never comes (engine::kNoDay) or comes after `last_day` (the run's last
// simulated day) is written empty;
// `infector` is empty for the initial infections; `outcome` is "active" when
// the case resolves after `last_day`, else "recovered" or "dead". `days`
// holds each infection's CaseDays (or is empty: none known).
void write_line_list_rows(std::ostream& out, std::int64_t replicate,
                          std::span<const engine::Infection> infections, std::int64_t last_day,
                          std::span<const CaseDays> days = {});

// One replicate's line list, kept until the replicate is over, because what
// interventions do to a case (engine::CaseEvent) comes after its infection.
// day_positive and day_isolated are the first such days on or after the
// infection; day_traced is the first day on or after it that tracing found
// the case or, if none, the last day tracing found it before its infection
// (a quarantined contact infected later).
class LineListBuffer {
 public:
  void add(std::span<const engine::Infection> infections);
  void add(std::span<const engine::CaseEvent> events);
  bool empty() const { return infections_.empty(); }
  // Writes the rows in the order the infections came, then forgets them.
  void write(std::ostream& out, std::int64_t replicate, std::int64_t last_day);

 private:
  std::vector<engine::Infection> infections_;
  std::vector<CaseDays> days_;
  std::unordered_map<std::uint32_t, std::size_t> index_;           // agent -> row
  std::unordered_map<std::uint32_t, std::int32_t> traced_before_;  // agents not yet infected
};

}  // namespace outbreak::io
