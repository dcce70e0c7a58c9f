// The line list: one record per infection (who infected whom, when, where,
// and how the case went), and per-age-band totals of a run.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "outbreak/engine/scenario.hpp"

namespace outbreak::engine {

enum class InfectionRoute : std::uint8_t { kSeed, kHome, kWork, kSchool, kCommunity };
enum class Outcome : std::uint8_t { kRecovered, kDead };

inline constexpr std::string_view route_name(InfectionRoute r) {
  constexpr std::array<std::string_view, 5> kNames = {"seed", "home", "work", "school",
                                                      "community"};
  return kNames[static_cast<std::size_t>(r)];
}
inline constexpr std::string_view outcome_name(Outcome o) {
  return o == Outcome::kDead ? "dead" : "recovered";
}

// A day that never comes in this case's course.
inline constexpr std::int32_t kNoDay = -1;
inline constexpr std::uint32_t kNoInfector = 0xFFFF'FFFFu;

// One infection, with the whole course the case will take (days are
// absolute simulation days). The course is known at infection; a writer
// shows days after the last simulated day as empty and the outcome of a
// case resolved after it as "active".
struct Infection {
  std::uint32_t agent = 0;
  std::int32_t age = 0;
  std::int32_t day_infected = 0;
  std::uint32_t infector = kNoInfector;  // kNoInfector for the initial infections
  InfectionRoute route = InfectionRoute::kSeed;
  std::int32_t day_infectious = kNoDay;
  std::int32_t day_symptoms = kNoDay;  // kNoDay for asymptomatic cases
  std::int32_t day_hospital = kNoDay;
  std::int32_t day_critical = kNoDay;
  std::int32_t day_resolved = kNoDay;  // recovery (end of infectiousness or discharge) or death
  Outcome outcome = Outcome::kRecovered;

  bool operator==(const Infection&) const = default;
};

// What interventions did to an agent on a day after its infection (or to an
// agent never infected): a positive test result, the start of its isolation,
// or being told to quarantine by contact tracing.
enum class CaseEventKind : std::uint8_t { kPositive, kIsolated, kTraced };
struct CaseEvent {
  std::uint32_t agent = 0;
  std::int16_t day = 0;
  CaseEventKind kind = CaseEventKind::kPositive;

  bool operator==(const CaseEvent&) const = default;
};

// Totals by age band over a whole run (up to and including its last day).
struct AgeTotals {
  std::array<std::int64_t, kAgeBands> agents{};        // population by band
  std::array<std::int64_t, kAgeBands> infected{};      // ever infected (initial cases included)
  std::array<std::int64_t, kAgeBands> hospitalized{};  // ever admitted
  std::array<std::int64_t, kAgeBands> critical{};      // ever in critical care
  std::array<std::int64_t, kAgeBands> dead{};

  bool operator==(const AgeTotals&) const = default;
};

}  // namespace outbreak::engine
