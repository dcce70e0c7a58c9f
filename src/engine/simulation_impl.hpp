// Internal to the engine: the simulation's state and the helpers its
// parts share. simulation.cpp holds the day loop, the events of each case's
// course and the counts; transmission.cpp the transmission walks and the
// community term; policy.cpp the timeline, case isolation, testing and
// vaccination; tracing.cpp contact tracing and quarantine.
//
// docs/model.md describes the model; docs/architecture.md the data layout. In short: each case
// draws its whole course when it is infected (natural_history.hpp), so the engine knows on that
// day when it will become infectious, show symptoms, go to hospital and resolve. The counts of
// each state change by amounts registered at infection (a ring of deltas by day), and a day only
// touches
//   - the cases with an event today that changes what they do (become infectious, show symptoms
//     under isolation or tracing, enter or leave hospital, stop being infectious, die) and the
//     agents whose quarantine starts or ends;
//   - the transmissions that happen today at home or at the daytime place, found by walks (below)
//     and kept in a queue by day;
//   - the agents hit by a community contact, found by geometric skips.
//
// Transmission walks. Each infectious agent independently infects each
// member of its home (and of its school class or workplace, when both are
// there) with a daily probability that follows its infectiousness, so the
// successful (day, member) pairs of one infectious agent are the successes
// of independent Bernoulli trials over a grid of infectious days x members.
// The walk draws the geometric gap to the next success with the agent's
// largest daily probability and keeps a success with the ratio of that day's
// probability to the largest (thinning), which is exactly the per-day model
// but costs per successful contact rather than per infectious agent-day.
//
// sync() keeps the community's running weights in line with an agent's
// state; it is idempotent, so events may be applied in any order. Every draw
// is keyed by (seed, agent or place, day, purpose), every shared count is an
// integer sum, and every list whose order matters is sorted, so the result
// does not depend on the thread count.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "natural_history.hpp"
#include "outbreak/engine/big_array.hpp"
#include "outbreak/engine/random.hpp"
#include "outbreak/engine/simulation.hpp"

namespace outbreak::engine {

constexpr std::int16_t kNever = std::numeric_limits<std::int16_t>::max();
// Agent flags. The kCounted* bits record what sync() has added for the agent.
constexpr std::uint8_t kAsymptomatic = 1;
constexpr std::uint8_t kDead = 2;
constexpr std::uint8_t kCountedOut = 4;  // infectious and out and about
constexpr std::uint8_t kCountedAway =
    8;  // alive, not quarantined, at home with symptoms or in hospital
constexpr std::uint8_t kCountedMask = kCountedOut | kCountedAway;
constexpr std::uint8_t kInHospital = 16;
constexpr std::uint8_t kHospitalCase =
    32;                             // will be admitted (its stay is drawn again when needed)
constexpr std::uint8_t kDies = 64;  // the case will die when it resolves
constexpr std::uint8_t kIsolatedAtOnset = 128;  // isolated from symptom onset
constexpr std::uint32_t kCommunityBlock = 1u << 16;
// Community weights are sums of multipliers in units of 2^-16, as integers,
// so that their sum does not depend on the order of the additions.
constexpr double kWeightUnit = 65536.0;

// Everything the engine keeps per agent: 12 bytes (plus a day of vaccination
// and a bit for a positive test when the timeline has such items). Course days count from
// the infection day; `latent` is 0 until the infection is settled.
struct AgentState {
  std::int16_t infected;          // kNever if never infected
  std::int16_t quarantine_until;  // a traced contact at home on day d iff d < value
  std::int16_t isolate_until;     // a case isolating at home on day d iff d < value
  std::uint16_t slice;            // infectiousness multiplier slice
  std::uint8_t flags;
  std::uint8_t latent;
  std::uint8_t incubation;
  std::uint8_t end;  // first day no longer infectious
};

// The next success of one infectious agent's transmission walk. Cells number
// (infectious day, member) pairs day by day: cell = day_offset * size + i.
// The walk carries what it needs so that following it rarely looks up the
// source agent (each look-up is a cache miss).
struct Walk {
  AgentId source;
  std::uint32_t first;   // first agent of the home, or first seat of the place
  std::uint32_t cell;    // the successful cell
  float log_q;           // log(1 - largest daily probability); -inf if it is 1
  std::uint32_t accept;  // the uniform word that decides the thinning of `cell`
  std::int16_t start;    // first infectious day
  std::int16_t onset;    // symptom onset (the profile's reference day)
  std::uint16_t size;    // members of the place
  std::uint8_t days;     // infectious days
  std::uint8_t school;   // 1 if the place is a school class
};

enum class Route { kHome, kDay, kCommunity };

// An index case whose contacts `item` traces on the day it is queued for;
// step 1 marks a traced contact whose own contacts are traced (second step).
struct TraceEntry {
  AgentId agent;
  std::uint16_t item;
  std::uint8_t step;
  auto operator<=>(const TraceEntry&) const = default;
};

// An index case's daytime place, traced: its mates are found once per place
// and day, however many index cases it has (trace_contacts).
struct PlaceVisit {
  PlaceId place;
  std::int16_t last_present;  // the last day in the window the index case was there
  AgentId index;
  std::uint8_t step;
  auto operator<=>(const PlaceVisit&) const = default;
};

// A contact found by tracing: quarantined from tomorrow until `until`.
struct Notice {
  AgentId agent;
  std::int16_t until;
  std::uint16_t item;
  std::uint8_t step;
  bool found_by_app;
  auto operator<=>(const Notice&) const = default;
};

// Counts one thread produced in one phase; summed into the day after it.
struct Counts {
  std::int64_t new_home = 0;
  std::int64_t new_work = 0;
  std::int64_t new_school = 0;
  std::int64_t new_community = 0;
  std::int64_t away = 0;  // changes of the number of agents counted away
  std::int64_t quarantine_new = 0;
  std::int64_t quarantine_lost = 0;  // quarantined agents who died
  std::int64_t isolation_new = 0;
  std::int64_t isolation_lost = 0;  // isolating agents who died
  std::int64_t tests = 0;
  std::int64_t positive_tests = 0;
  std::int64_t traced = 0;
  std::int64_t vaccinated = 0;

  Counts& operator+=(const Counts& o);
};

// Day-indexed changes of the state counts, registered when a case is
// infected (its whole course is known then).
enum Delta : std::size_t {
  kExposed,
  kInfectious,
  kSymptomatic,
  kHospitalized,
  kCritical,
  kRecovered,
  kDeadDelta,
  kNewHospital,
  kOnset,
  kDeltaKinds
};

// A same-route hit on a susceptible agent: target in the high word, so that
// sorting puts the hits of one target together, the smallest source first.
using Hit = std::uint64_t;

// What one thread produced in one phase; folded into the simulation after it.
struct Tally {
  Counts counts;
  bool touched = false;                           // the arrays below hold something to fold
  std::vector<std::int64_t> end_delta;            // [until - today]: quarantines ending then
  std::vector<std::int64_t> isolation_end_delta;  // [until - today]: isolations ending then
  std::vector<std::uint64_t> infected;  // today's infections: agent << 32 | community list
  std::vector<Hit> hits;                // today's walk hits of the current route
  std::vector<std::pair<std::int64_t, TraceEntry>> detected;  // (due day, index case)
  std::vector<std::pair<std::int64_t, AgentId>> tests;        // (day, agent): tests to take
  std::vector<Notice> notices;                                // contacts found today
  std::vector<PlaceVisit> visits;                             // places of today's index cases
  std::vector<CaseEvent> case_events;                         // line list (when collected)
  std::vector<std::pair<std::int16_t, AgentId>> released;     // (day, agent): look at again then
  std::vector<std::pair<std::int64_t, AgentId>> events;       // (day, agent) of the next events
  std::vector<Infection> infections;                          // line-list records (when collected)
  // [kind][offset from today]: changes of the state counts on later days.
  std::array<std::vector<std::int64_t>, kDeltaKinds> deltas;
  std::vector<std::int64_t> secondary;  // [day infected % ring]: infections caused
  std::vector<std::int64_t> pending;  // [day infected % ring]: cases that stopped being infectious
  std::array<std::int64_t, kAgeBands> infected_by_band{};
  std::array<std::int64_t, kAgeBands> hospitalized_by_band{};
  std::array<std::int64_t, kAgeBands> critical_by_band{};
  std::array<std::int64_t, kAgeBands> dead_by_band{};
  // Community weights by (onset slot, bucket), changes.
  std::vector<std::int64_t> weight_delta;
  // Pending walks by route and by the day of their next success (a ring),
  // kept per thread so that no pass has to gather them serially.
  std::vector<std::vector<Walk>> walks[2];
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
  std::optional<std::int64_t> ended_on_day() const { return ended_on_; }
  void set_early_stop(bool on) { early_stop_ = on; }
  const Population& population() const { return pop_; }
  const AgeTotals& age_totals() const { return age_totals_; }
  std::size_t memory_bytes() const;
  // Collect line-list records from the next day on (day 0's are always kept).
  void collect_infections(bool on) { collect_ = on; }
  // The infections of the last day (sorted by agent), when collected.
  const std::vector<Infection>& infections() const { return infections_; }
  // Line-list events of the last day (sorted by agent), when collected.
  const std::vector<CaseEvent>& case_events() const { return case_events_; }
  // (day, r_t) of the days settled by the last step.
  const std::vector<std::pair<std::int64_t, double>>& settled() const { return settled_; }

 private:
  // Ring sizes: every offset a course can reach fits.
  static constexpr std::size_t kRing = 1024;

  // Longest stay at home an intervention can order, in days from today
  // (quarantine_days and isolation days are at most 365; a course ends
  // within 255 days of its infection).
  static constexpr std::size_t kMaxStay = 400;
  // Ring of the tracing queue: more days than the longest delay.
  static constexpr std::size_t kTraceRing = 64;

  // Phases of a day.
  void end_quarantines(std::int16_t t);
  void run_events(std::int16_t t);
  void transmit_at_home(std::int16_t t);
  void transmit_at_places(std::int16_t t);
  void transmit_in_community(std::int16_t t);
  void transmit_by_source(std::int16_t t, double contacts);
  void settle_hits(Route route, std::int16_t t);
  void trace(std::int16_t t);
  void fold(std::int16_t t);
  void count(std::int16_t t);
  void settle_reproduction(std::int16_t t);
  // Early stop (simulation.cpp): whether nothing can change after day t, and
  // the step of a day after that.
  bool nothing_left(std::int16_t t) const;
  void quiet_step(std::int16_t t);

  // The policy timeline (policy.cpp).
  void apply_policy(std::int16_t t);
  double metric(TriggerMetric m) const;
  void on_onset(AgentId a, std::int16_t t, Tally& tally);
  void isolate(AgentId a, std::int16_t t, const Intervention& x, bool at_onset, Tally& tally);
  void run_tests(std::int16_t t);
  void vaccinate(std::int16_t t);
  bool place_closed(PlaceId p, std::int64_t day) const;
  bool blocked_by_vaccine(AgentId a, std::int16_t t) const;
  bool protected_by_vaccine(AgentId a, std::int64_t t) const {
    return vaccine_ != nullptr && vaccinated_on_[a] != kNever &&
           t >= vaccinated_on_[a] + static_cast<std::int64_t>((*vaccine_)[item::kDaysToProtection]);
  }
  bool tested_positive(AgentId a) const {
    return !positive_.empty() && ((positive_[a / 64] >> (a % 64)) & 1) != 0;
  }
  bool uses_app(AgentId a, double adoption) const;
  std::uint32_t contacts_made(AgentId a, std::int64_t day) const;
  AgentId contact_partner(AgentId a, std::int64_t day, std::uint32_t j) const;
  std::uint64_t vaccination_order(std::uint64_t position, std::uint32_t item) const;

  // Tracing (tracing.cpp).
  void trace_places(std::int16_t t, const std::vector<TraceEntry>& entries, const Intervention& x);
  void trace_contacts(std::int16_t t, const std::vector<TraceEntry>& entries,
                      const Intervention& x);
  void find_contacts(const TraceEntry& e, std::int16_t t, const Intervention& x, Tally& tally);
  void notify(const Notice& n, std::int16_t t, Tally& tally);
  bool present_at_place(AgentId a, std::int64_t day, bool index) const;
  bool out_on(AgentId a, std::int64_t day) const;
  std::int16_t stay_until(AgentId a, std::int16_t t, Purpose purpose, const Intervention& x,
                          std::int64_t days) const;

  // Per agent.
  void sync(AgentId a, std::int16_t day, Tally& tally);
  void event(AgentId a, std::int16_t t, Tally& tally);
  void die(AgentId a, std::int16_t t, Tally& tally);
  int next_event(const AgentState& s, const Course& c, int e) const;
  void start_walks(AgentId a, std::int16_t t, Tally& tally);
  void infect(AgentId a, std::int16_t t, AgentId infector, InfectionRoute route, Tally& tally);
  bool quarantine(AgentId a, std::int16_t t, std::int16_t until, Tally& tally);
  bool at_place(AgentId a, std::int16_t t) const;
  Course course_of(AgentId a) const;        // the full course, drawn again
  std::int64_t weight_of(AgentId a) const;  // community weight in units of 2^-16
  std::size_t weight_index(std::int64_t onset_day, std::uint32_t slice) const {
    return static_cast<std::size_t>(onset_day) % kRing * NaturalHistory::kBuckets +
           static_cast<std::size_t>(NaturalHistory::bucket(slice));
  }

  // Transmission walks.
  std::uint32_t cells(const Walk& w) const { return std::uint32_t{w.size} * w.days; }
  std::int64_t day_of(const Walk& w) const { return w.start + w.cell / w.size; }
  AgentId target_of(const Walk& w, Route route) const {
    const std::uint32_t index = w.first + w.cell % w.size;
    return route == Route::kHome ? index : pop_.seat(index);
  }
  void advance(Walk& w, Route route, std::uint32_t from) const;
  double weight_bound(const Walk& w, std::uint32_t day_offset) const;
  bool keep(const Walk& w, std::int16_t t) const;
  bool someone_susceptible(const Walk& w) const;  // in the walk's home
  void queue(const Walk& w, Route route, Tally& tally);
  template <typename OnHit>
  void walk(Route route, std::int16_t t, const OnHit& on_hit);
  AgentId community_infector(AgentId target, std::int16_t t) const;

  void seed_initial_infections();
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
  NaturalHistory history_;
  std::uint32_t n_;
  bool collect_ = false;
  int after_onset_max_;  // longest infectious time after onset, in days

  BigArray<AgentState> agents_;
  // log(1 - risk) per daytime route (home, work, school) for a weight of 1.
  double log_escape_[3];

  std::vector<std::vector<AgentId>> events_;                   // ring by day: agents with an event
  std::vector<std::vector<TraceEntry>> trace_queue_;           // ring by due day: index cases
  std::vector<std::vector<AgentId>> releases_;                 // ring by quarantine end day
  std::vector<std::int64_t> quarantine_ends_;                  // [d]: quarantines with until == d
  std::vector<std::int64_t> isolation_ends_;                   // [d]: isolations with until == d
  std::array<std::vector<std::int64_t>, kDeltaKinds> deltas_;  // ring by day
  // Community: weights and agents by (onset slot, bucket).
  std::vector<std::int64_t> weights_;
  std::vector<std::vector<AgentId>> by_onset_;
  std::vector<double> cumulative_;  // today's sampling table over (slot, bucket)
  std::vector<std::size_t> cumulative_index_;
  // R_t by infection day (ring): infections, infections caused, cases still infectious.
  std::vector<std::int64_t> infected_on_;
  std::vector<std::int64_t> secondary_;
  std::vector<std::int64_t> still_infectious_;
  std::int64_t first_unsettled_ = 0;
  std::vector<std::pair<std::int64_t, double>> settled_;
  std::vector<Infection> infections_;
  std::vector<std::uint64_t> day_infected_;  // today's infections, from every thread (as Tally)

  // The policy timeline: its items, whether each is switched on (triggers),
  // and what was in force on each day.
  struct ItemState {
    bool on = false;
    bool done = false;  // switched off by end_when without a start_when: for good
  };
  struct DayPolicy {
    std::array<std::uint64_t, 2> active{};
    double community_factor = 1;
    double work_factor = 1;
    double household_factor = 1;  // for isolating cases
    double schools_closed = 0;
    double workplaces_closed = 0;
    double contacts = 0;  // community contacts drawn per agent (by_source_)
  };
  struct Campaign {
    int band = static_cast<int>(kAgeBands) - 1;  // oldest_first: the band being vaccinated
    std::uint64_t position = 0;                  // in the item's order
    double owed = 0;                             // doses not yet given (a fraction of one)
    bool done = false;
  };
  std::vector<Intervention> items_;
  std::vector<ItemState> item_state_;
  std::vector<DayPolicy> policy_;  // [day]
  std::vector<Campaign> campaigns_;
  std::vector<double> dropout_;           // [item]: its daily drop-out probability (0: none)
  std::vector<double> inverse_log_keep_;  // [item]: 1 / log(1 - dropout)
  int isolation_item_ = -1;  // today's case_isolation, testing item (the last active one)
  int testing_item_ = -1;
  std::vector<int> tracing_items_;  // today's
  std::vector<int> vaccination_items_;
  const Intervention* vaccine_ = nullptr;  // the first vaccination item: efficacy for all
  bool onset_matters_ = false;             // some item acts on symptom onset
  bool by_source_ = false;  // community transmission drawn from the infectious side (app tracing)
  int permutation_bits_ = 1;
  std::array<std::int64_t, 7> onsets_{};           // symptom onsets of the last 7 days
  std::vector<std::vector<AgentId>> tests_due_;    // ring by day: tests to take
  std::vector<AgentId> tests_waiting_;             // over capacity: first in line tomorrow
  std::vector<std::vector<AgentId>> results_due_;  // ring by day: positive results
  std::vector<CaseEvent> case_events_;             // line list, today's (when collected)
  std::int64_t vaccinated_ = 0;
  BigArray<std::int16_t> vaccinated_on_;  // day of the dose, kNever if none (with vaccination)
  std::vector<std::uint64_t> positive_;   // bit per agent: has tested positive (with testing)

  std::optional<std::int64_t> ended_on_;  // ended_on_day()
  bool early_stop_ = true;
  std::int64_t quarantined_ = 0;  // living agents quarantined on the coming day
  std::int64_t isolating_ = 0;    // living agents isolating today
  std::int64_t away_ = 0;         // living, not quarantined, home with symptoms or in hospital
  std::array<std::int64_t, kDeltaKinds> state_{};  // running counts
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
                            __builtin_prefetch(&agents_[next]);
                            __builtin_prefetch(pop_.place_of_address(next));
                            __builtin_prefetch(pop_.home_offset_address(next));
                            __builtin_prefetch(pop_.home_size_address(next));
                            __builtin_prefetch(pop_.age_address(next));
                          }
                          body(agents[i], tally);
                        }
                      });
  });
}

}  // namespace outbreak::engine
