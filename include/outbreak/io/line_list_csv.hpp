// The line list as CSV: one row per infection, with exactly these columns:
// replicate, agent, age, day_infected, infector, route, day_infectious,
// day_symptoms, day_hospital, day_critical, day_resolved, outcome
#pragma once

#include <cstdint>
#include <ostream>
#include <span>

#include "outbreak/engine/line_list.hpp"

namespace outbreak::io {

// Writes the header line (ending in '\n').
void write_line_list_header(std::ostream& out);

// Writes one row per infection, in the order given, with `replicate` as its
// first cell (the CLI passes the 1-based number the results use). A day that
// never comes (engine::kNoDay) or comes after `last_day` (the run's last
// simulated day) is written empty;
// `infector` is empty for the initial infections; `outcome` is "active" when
// the case resolves after `last_day`, else "recovered" or "dead".
void write_line_list_rows(std::ostream& out, std::int64_t replicate,
                          std::span<const engine::Infection> infections, std::int64_t last_day);

}  // namespace outbreak::io
