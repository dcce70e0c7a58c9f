// Internal to the engine: the simulation's state and the helpers its
// parts share. simulation.cpp holds the day loop and the disease course,
// transmission.cpp the transmission walks and the community term,
// tracing.cpp contact tracing and quarantine.
//
// docs/model.md describes the model; docs/architecture.md the data layout. In short: disease
// progress is a pure function of the days since infection, so agents infected on the same day form
// a cohort that changes state together, and a day only touches
//   - the cohorts that change state today (become infectious, show symptoms,
//     recover or die) and the agents whose quarantine starts or ends;
//   - the transmissions that happen today at home or at work, found by
//     walks (below) and kept in a queue by day;
//   - the agents hit by a community contact, found by geometric skips.
//
// Transmission walks. Each infectious agent independently infects each
// housemate (and each office mate, when both are at work) with a fixed daily
// probability, so the successful (day, housemate) pairs of one infectious
// agent are the successes of independent Bernoulli trials over a grid of
// infectious days x members. When an agent becomes infectious, the engine
// draws the gap to its first success on that grid; on that day the success
// infects the housemate if still susceptible (at work: if both are present),
// and the walk draws the gap to the next success. This is exactly the
// per-day model (a susceptible with k infectious housemates escapes with
// probability (1 - risk)^k), but the work is proportional to infections, not
// to infectious agent-days: most walks have no success at all.
//
// sync() keeps the community's running counts in line with an agent's state;
// it is idempotent, so events may be applied in any order. Every draw is
// keyed by (seed, agent or place, day, purpose) and every shared count is an
// integer sum, so the result does not depend on the thread count.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "outbreak/engine/big_array.hpp"
#include "outbreak/engine/random.hpp"
#include "outbreak/engine/simulation.hpp"

namespace outbreak::engine {

constexpr std::int16_t kNever = std::numeric_limits<std::int16_t>::max();
// Agent flags. The kCounted* bits record what sync() has added for the agent.
constexpr std::uint8_t kAsymptomatic = 1;
constexpr std::uint8_t kDead = 2;
constexpr std::uint8_t kCountedOut = 4;  // infectious and out and about
constexpr std::uint8_t kCountedSelfIsolating = 8;
constexpr std::uint8_t kCountedMask = kCountedOut | kCountedSelfIsolating;
constexpr std::uint32_t kCommunityBlock = 1u << 16;

// The next success of one infectious agent's transmission walk. Cells number
// (infectious day, member) pairs day by day: cell = day_offset * members + i.
// The walk carries what it needs so that following it does not look up the
// source agent again (each look-up would be a cache miss).
struct Walk {
  AgentId source;
  std::uint32_t first;   // first agent of the home, or first seat of the office
  std::uint32_t cell;    // the successful cell
  std::int16_t start;    // first infectious day
  std::uint16_t size;    // members of the place
  std::uint8_t reduced;  // 1 if the source is asymptomatic
};

enum class Route { kHome, kWork };

// Counts one thread produced in one phase; summed into the day after it.
struct Counts {
  std::int64_t recovered = 0;
  std::int64_t died = 0;
  std::int64_t new_home = 0;
  std::int64_t new_work = 0;
  std::int64_t new_community = 0;
  std::int64_t new_symptomatic_course = 0;  // new infections that will show symptoms
  std::int64_t circulating_full = 0;        // changes of the running counts
  std::int64_t circulating_reduced = 0;
  std::int64_t self_isolating = 0;
  std::int64_t quarantine_new = 0;
  std::int64_t quarantine_lost = 0;  // quarantined agents who died

  Counts& operator+=(const Counts& o) {
    recovered += o.recovered;
    died += o.died;
    new_home += o.new_home;
    new_work += o.new_work;
    new_community += o.new_community;
    new_symptomatic_course += o.new_symptomatic_course;
    circulating_full += o.circulating_full;
    circulating_reduced += o.circulating_reduced;
    self_isolating += o.self_isolating;
    quarantine_new += o.quarantine_new;
    quarantine_lost += o.quarantine_lost;
    return *this;
  }
};

// What one thread produced in one phase; folded into the simulation after it.
struct Tally {
  Counts counts;
  std::vector<std::int64_t> end_delta;  // [until - today]: quarantines ending then
  std::vector<AgentId> infected;        // today's new infections
  std::vector<AgentId> detected;        // index cases found today
  std::vector<AgentId> released;        // look at again when their quarantine ends
  // Pending walks by route and by the day of their next success (a ring),
  // kept per thread so that no pass has to gather them serially.
  std::vector<std::vector<Walk>> walks[2];
};

struct Cohort {
  std::vector<AgentId> agents;  // infected on the same day, still unresolved
  std::int64_t symptomatic_course = 0;
};

// Makes room for `extra` more elements, growing by a quarter at a time
// rather than doubling: the lists that hold agents or walks are the largest
// allocations of a run, and doubling could leave half of one unused.
template <typename T>
void grow_for(std::vector<T>& v, std::size_t extra) {
  const std::size_t need = v.size() + extra;
  if (need > v.capacity()) v.reserve(std::max(need, v.capacity() + v.capacity() / 4 + 64));
}

// Empties a per-thread buffer; one that grew large on a peak day gives its
// memory back rather than holding it for the rest of the run.
template <typename T>
void reset_buffer(std::vector<T>& v) {
  constexpr std::size_t kKeepBytes = std::size_t{1} << 20;
  if (v.capacity() * sizeof(T) > kKeepBytes) {
    std::vector<T>().swap(v);
  } else {
    v.clear();
  }
}

template <typename T>
void append(std::vector<T>& to, std::vector<T>& from) {
  grow_for(to, from.size());
  to.insert(to.end(), from.begin(), from.end());
  reset_buffer(from);
}

inline void sort_unique(std::vector<std::uint32_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

class Simulation::Impl {
 public:
  Impl(const Scenario& scenario, Population population, std::uint64_t seed, int threads);

  const DayTotals& today() const { return today_; }
  bool finished() const { return today_.day >= s_.days; }
  const DayTotals& step();
  const Population& population() const { return pop_; }
  const AgeTotals& age_totals() const { return age_totals_; }
  std::size_t memory_bytes() const;

 private:
  // Phases of a day.
  void end_quarantines(std::int16_t t);
  void advance_cohorts(std::int16_t t);
  void transmit_at_home(std::int16_t t);
  void transmit_at_work(std::int16_t t);
  void transmit_in_community(std::int16_t t);
  void trace(std::int16_t t);
  void fold(std::int16_t t);
  void count(std::int16_t t);

  // Per agent.
  void sync(AgentId a, std::int16_t day, Tally& tally);
  void start_walks(AgentId a, Tally& tally);
  void resolve(AgentId a, std::int16_t t, Tally& tally);
  bool infect(AgentId a, std::int16_t t, Tally& tally);
  void quarantine(AgentId a, std::int16_t t, std::int16_t until, Tally& tally);
  bool at_work(AgentId a, std::int16_t t) const;

  // Transmission walks.
  std::uint32_t members(const Walk& w, Route) const { return w.size; }
  std::uint32_t cells(const Walk& w, Route route) const {
    return members(w, route) * static_cast<std::uint32_t>(sick_days_ - latent_days_);
  }
  std::int64_t day_of(const Walk& w, Route route) const {
    return w.start + w.cell / members(w, route);
  }
  std::uint32_t next_cell(const Walk& w, Route route, std::uint32_t from) const;
  void queue(const Walk& w, Route route, Tally& tally);
  template <typename Infect>
  void walk(Route route, std::int16_t t, const Infect& try_infect);

  void seed_initial_infections();
  Cohort* cohort(std::int64_t day) {
    return day < 0 ? nullptr : &cohorts_[static_cast<std::size_t>(day) % cohorts_.size()];
  }
  std::size_t ring_slot(std::int64_t day, std::size_t ring) const {
    return static_cast<std::size_t>(day) % ring;
  }
  // Runs body(items[i], tally) in parallel with the calling thread's tally.
  template <typename T, typename Body>
  void parallel_each(const std::vector<T>& items, std::size_t grain, const Body& body);
  // parallel_each over agents, fetching each agent's state a few iterations
  // ahead: the lists are in no memory order, so every agent is a cache miss,
  // and asking early lets many misses overlap.
  template <typename Body>
  void each_agent(const std::vector<AgentId>& agents, const Body& body);

  Scenario s_;
  Population pop_;
  std::uint64_t seed_;
  tbb::task_arena arena_;
  int latent_days_;
  int incubation_days_;
  int sick_days_;
  double asymptomatic_fraction_;
  double mortality_rate_;
  std::uint32_t n_;

  BigArray<std::int16_t> infected_day_;  // kNever if never infected
  BigArray<std::uint8_t> flags_;
  BigArray<std::int16_t> quarantine_until_;  // quarantined on day d iff d < value
  // Per route and weight (full, asymptomatic): daily risk and 1 / log(1 - risk).
  double risk_[2][2];
  double inv_log_escape_[2][2];

  std::vector<Cohort> cohorts_;                    // ring by infection day
  std::vector<std::vector<AgentId>> trace_queue_;  // ring by due day: index cases
  std::vector<std::vector<AgentId>> releases_;     // ring by quarantine end day
  std::vector<std::int64_t> quarantine_ends_;      // [d]: quarantines with until == d
  std::int64_t quarantined_ = 0;                   // living agents quarantined on the coming day
  std::int64_t circulating_full_ = 0;
  std::int64_t circulating_reduced_ = 0;
  std::int64_t self_isolating_ = 0;
  Counts day_;  // today's counts, folded from the threads' tallies
  tbb::enumerable_thread_specific<Tally> tallies_;
  DayTotals today_;
  AgeTotals age_totals_;
};

template <typename T, typename Body>
void Simulation::Impl::parallel_each(const std::vector<T>& items, std::size_t grain,
                                     const Body& body) {
  if (items.empty()) return;
  arena_.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, items.size(), grain),
                      [&](const auto& range) {
                        Tally& tally = tallies_.local();
                        for (std::size_t i = range.begin(); i != range.end(); ++i) {
                          body(items[i], tally);
                        }
                      });
  });
}

template <typename Body>
void Simulation::Impl::each_agent(const std::vector<AgentId>& agents, const Body& body) {
  constexpr std::size_t kAhead = 16;
  if (agents.empty()) return;
  arena_.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, agents.size(), 1024),
                      [&](const auto& range) {
                        Tally& tally = tallies_.local();
                        for (std::size_t i = range.begin(); i != range.end(); ++i) {
                          if (i + kAhead < range.end()) {
                            const AgentId next = agents[i + kAhead];
                            __builtin_prefetch(&infected_day_[next]);
                            __builtin_prefetch(&flags_[next]);
                            __builtin_prefetch(&quarantine_until_[next]);
                            __builtin_prefetch(pop_.place_of_address(next));
                          }
                          body(agents[i], tally);
                        }
                      });
  });
}

}  // namespace outbreak::engine
