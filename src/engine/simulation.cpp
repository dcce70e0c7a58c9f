// The daily step. docs/model.md describes the model; docs/architecture.md the
// data layout. In short: disease progress is a pure function of the days
// since infection, so agents infected on the same day form a cohort that
// changes state together, and a day only touches
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
#include "outbreak/engine/simulation.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "outbreak/engine/random.hpp"

namespace outbreak::engine {
namespace {

constexpr std::int16_t kNever = std::numeric_limits<std::int16_t>::max();
// Agent flags. The kCounted* bits record what sync() has added for the agent.
constexpr std::uint8_t kAsymptomatic = 1;
constexpr std::uint8_t kDead = 2;
constexpr std::uint8_t kCountedOut = 4;  // infectious and out and about
constexpr std::uint8_t kCountedSelfIsolating = 8;
constexpr std::uint8_t kCountedMask = kCountedOut | kCountedSelfIsolating;
constexpr std::uint32_t kCommunityBlock = 1u << 16;

// What one thread produced in one phase; folded into the simulation after it.
// The next success of one infectious agent's transmission walk. Cells number
// (infectious day, member) pairs day by day: cell = day_offset * members + i.
// The walk carries what it needs so that following it does not look up the
// source agent again (each look-up would be a cache miss).
struct Walk {
  AgentId source;
  std::uint32_t first;   // first agent of the home, or first seat of the office
  std::uint32_t cell;    // the successful cell
  std::int16_t start;    // first infectious day
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

void sort_unique(std::vector<std::uint32_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

class Simulation::Impl {
 public:
  Impl(const Scenario& scenario, Population population, std::uint64_t seed, int threads);

  const DayTotals& today() const { return today_; }
  bool finished() const { return today_.day >= s_.days; }
  const DayTotals& step();
  const Population& population() const { return pop_; }
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
  std::uint32_t members(const Walk& w, Route route) const {
    const std::uint32_t size = route == Route::kHome ? pop_.household_size() : pop_.office_size();
    const std::uint32_t end = route == Route::kHome ? n_ : pop_.employed();
    return std::min(size, end - w.first);
  }
  std::uint32_t cells(const Walk& w, Route route) const {
    return members(w, route) * static_cast<std::uint32_t>(s_.sick_days - s_.latent_days);
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
};

Simulation::Impl::Impl(const Scenario& scenario, Population population, std::uint64_t seed,
                       int threads)
    : s_(scenario),
      pop_(std::move(population)),
      seed_(seed),
      arena_(threads > 0 ? threads : tbb::task_arena::automatic),
      n_(pop_.size()),
      tallies_([&] {
        Tally exemplar;
        exemplar.end_delta.assign(static_cast<std::size_t>(scenario.isolation_days) + 2, 0);
        for (auto& ring : exemplar.walks)
          ring.resize(static_cast<std::size_t>(scenario.sick_days) + 1);
        return exemplar;
      }()) {
  if (!validate(s_).empty()) throw std::invalid_argument("Simulation: invalid scenario");
  if (static_cast<std::int64_t>(n_) != s_.population ||
      static_cast<std::int64_t>(pop_.household_size()) != s_.household_size ||
      static_cast<std::int64_t>(pop_.office_size()) != s_.office_size) {
    throw std::invalid_argument("Simulation: the population was built for another scenario");
  }
  infected_day_ = BigArray<std::int16_t>(n_);
  flags_ = BigArray<std::uint8_t>(n_);
  quarantine_until_ = BigArray<std::int16_t>(n_);
  arena_.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n_, 1 << 16), [&](const auto& r) {
      std::fill(infected_day_.data() + r.begin(), infected_day_.data() + r.end(), kNever);
      std::fill(flags_.data() + r.begin(), flags_.data() + r.end(), std::uint8_t{0});
      std::fill(quarantine_until_.data() + r.begin(), quarantine_until_.data() + r.end(),
                std::int16_t{0});
    });
  });
  const double base[2] = {s_.home_infection_risk, s_.work_infection_risk};
  for (int route = 0; route < 2; ++route) {
    risk_[route][0] = base[route];
    risk_[route][1] = base[route] * s_.asymptomatic_infectiousness;
    for (int weight = 0; weight < 2; ++weight) {
      const double p = risk_[route][weight];
      inv_log_escape_[route][weight] = (p > 0 && p < 1) ? 1 / det_log1p(-p) : 0;
    }
  }
  const auto days = static_cast<std::size_t>(s_.sick_days) + 1;
  cohorts_.resize(days);
  trace_queue_.resize(static_cast<std::size_t>(s_.tracing_delay_days) + 1);
  releases_.resize(static_cast<std::size_t>(s_.isolation_days) + 2);
  quarantine_ends_.assign(static_cast<std::size_t>(s_.days + s_.isolation_days) + 3, 0);
  seed_initial_infections();
}

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
                            __builtin_prefetch(pop_.office_of_address(next));
                          }
                          body(agents[i], tally);
                        }
                      });
  });
}

// Floyd's algorithm: k distinct agents, uniformly, with keyed draws.
void Simulation::Impl::seed_initial_infections() {
  const auto k = static_cast<std::uint32_t>(s_.initial_infected);
  Tally& tally = tallies_.local();
  for (std::uint64_t j = n_ - k; j < n_; ++j) {
    const Draw d = philox(seed_, static_cast<std::uint32_t>(j), 0, Purpose::kInitialInfection, 0);
    auto pick = static_cast<AgentId>(uniform_below(d, j + 1));
    if (infected_day_[pick] != kNever) pick = static_cast<AgentId>(j);
    infect(pick, 0, tally);
  }
  fold(0);
  today_ = DayTotals{};
  today_.susceptible = s_.population - k;
  today_.exposed = k;
  today_.currently_infected = k;
  today_.total_infected = k;
  today_.new_infections = k;
}

const DayTotals& Simulation::Impl::step() {
  if (finished()) throw std::logic_error("Simulation::step: the run is finished");
  const auto t = static_cast<std::int16_t>(today_.day + 1);
  day_ = Counts{};
  end_quarantines(t);
  advance_cohorts(t);
  fold(t);
  transmit_at_home(t);
  fold(t);  // home infections first: a later route finds them taken
  transmit_at_work(t);
  fold(t);
  transmit_in_community(t);
  fold(t);
  quarantined_ -= quarantine_ends_[static_cast<std::size_t>(t) + 1];
  trace(t);
  fold(t);
  count(t);
  return today_;
}

void Simulation::Impl::end_quarantines(std::int16_t t) {
  std::vector<AgentId>& due = releases_[ring_slot(t, releases_.size())];
  sort_unique(due);
  each_agent(due, [&](AgentId a, Tally& tally) {
    if (quarantine_until_[a] == t) sync(a, t, tally);  // else extended: a later entry exists
  });
  due.clear();
}

void Simulation::Impl::advance_cohorts(std::int16_t t) {
  if (Cohort* ending = cohort(t - s_.sick_days)) {
    each_agent(ending->agents, [&](AgentId a, Tally& tally) { resolve(a, t, tally); });
    std::vector<AgentId>().swap(ending->agents);  // as for the walks: no peak-sized slots
    ending->symptomatic_course = 0;
  }
  if (Cohort* infectious = cohort(t - s_.latent_days)) {
    each_agent(infectious->agents, [&](AgentId a, Tally& tally) {
      sync(a, t, tally);
      if (quarantine_until_[a] > t) tally.released.push_back(a);
      start_walks(a, tally);
    });
  }
  // Symptom onset changes nothing unless it triggers tracing or isolation.
  const bool tracing = s_.contact_tracing && s_.isolation_days > 0;
  Cohort* onset = cohort(t - s_.incubation_days);
  if (onset == nullptr || (!tracing && !s_.symptomatic_isolation)) return;
  each_agent(onset->agents, [&](AgentId a, Tally& tally) {
    if (flags_[a] & kAsymptomatic) return;
    if (tracing && bernoulli(philox(seed_, a, 0, Purpose::kDetection, 0), s_.tracing_coverage)) {
      tally.detected.push_back(a);
    }
    if (s_.symptomatic_isolation) sync(a, t, tally);
  });
}

// Brings agent a's share of the community counts in line with its state on
// `day`.
void Simulation::Impl::sync(AgentId a, std::int16_t day, Tally& tally) {
  const std::uint8_t flags = flags_[a];
  const int elapsed = day - infected_day_[a];
  const bool infectious = infected_day_[a] != kNever && elapsed >= s_.latent_days &&
                          elapsed < s_.sick_days && (flags & kDead) == 0;
  const bool reduced = (flags & kAsymptomatic) != 0;
  const bool symptomatic = infectious && !reduced && elapsed >= s_.incubation_days;
  const bool quarantined = quarantine_until_[a] > day;
  const bool isolating = symptomatic && s_.symptomatic_isolation;
  std::uint8_t want = 0;
  if (infectious && !quarantined && !isolating) want |= kCountedOut;
  if (isolating && !quarantined) want |= kCountedSelfIsolating;
  const std::uint8_t have = flags & kCountedMask;
  if (want == have) return;
  Counts& c = tally.counts;
  if ((want ^ have) & kCountedOut) {
    (reduced ? c.circulating_reduced : c.circulating_full) += (want & kCountedOut) ? 1 : -1;
  }
  if ((want ^ have) & kCountedSelfIsolating) {
    c.self_isolating += (want & kCountedSelfIsolating) ? 1 : -1;
  }
  flags_[a] = static_cast<std::uint8_t>((flags & ~kCountedMask) | want);
}

void Simulation::Impl::resolve(AgentId a, std::int16_t t, Tally& tally) {
  const bool dies = (flags_[a] & kAsymptomatic) == 0 &&
                    bernoulli(philox(seed_, a, 0, Purpose::kDeath, 0), s_.mortality_rate);
  if (dies) {
    flags_[a] |= kDead;
    ++tally.counts.died;
    const std::int16_t until = quarantine_until_[a];
    if (until > t) {
      ++tally.counts.quarantine_lost;
      --tally.end_delta[static_cast<std::size_t>(until - t)];
    }
  } else {
    ++tally.counts.recovered;
  }
  sync(a, t, tally);
}

// Infects a on day t if it is still susceptible; the atomic claim makes two
// transmissions to the same agent on the same day count once.
bool Simulation::Impl::infect(AgentId a, std::int16_t t, Tally& tally) {
  std::int16_t expected = kNever;
  if (!std::atomic_ref<std::int16_t>(infected_day_[a])
           .compare_exchange_strong(expected, t, std::memory_order_relaxed)) {
    return false;
  }
  const Draw d = philox(seed_, a, 0, Purpose::kAsymptomatic, 0);
  if (bernoulli(d, s_.asymptomatic_fraction)) {
    flags_[a] = kAsymptomatic;
  } else {
    flags_[a] = 0;
    ++tally.counts.new_symptomatic_course;
  }
  tally.infected.push_back(a);
  return true;
}

// The first successful cell at or after `from`, or cells() if none is left.
// The draw is keyed by `from`, which only grows along a walk.
std::uint32_t Simulation::Impl::next_cell(const Walk& w, Route route, std::uint32_t from) const {
  const int r = static_cast<int>(route);
  const double p = risk_[r][w.reduced];
  const std::uint32_t end = cells(w, route);
  if (!(p > 0) || from >= end) return end;
  if (p >= 1) return from;
  const Purpose purpose =
      route == Route::kHome ? Purpose::kHomeTransmission : Purpose::kWorkTransmission;
  const Draw d = philox(seed_, w.source, 0, purpose, from);
  const double u = 1 - to_unit(d.v[0], d.v[1]);  // in (0, 1]
  // Most walks have no success at all; settle those without a logarithm.
  if (from == 0 && u <= none_succeed(p, end)) return end;
  const std::uint64_t gap = geometric_gap(u, inv_log_escape_[r][w.reduced], end - from);
  return from + static_cast<std::uint32_t>(gap);
}

// Called on the day a becomes infectious: draws the first success of its
// home and work walks.
void Simulation::Impl::start_walks(AgentId a, Tally& tally) {
  Walk w{};
  w.source = a;
  w.start = static_cast<std::int16_t>(infected_day_[a] + s_.latent_days);
  w.reduced = (flags_[a] & kAsymptomatic) ? 1 : 0;
  w.first = pop_.home_begin(pop_.home_of(a));
  w.cell = next_cell(w, Route::kHome, 0);
  if (w.cell < cells(w, Route::kHome)) queue(w, Route::kHome, tally);

  const PlaceId office = pop_.office_of(a);
  if (office == kNoPlace) return;
  w.first = office * pop_.office_size();
  w.cell = next_cell(w, Route::kWork, 0);
  if (w.cell < cells(w, Route::kWork)) queue(w, Route::kWork, tally);
}

bool Simulation::Impl::at_work(AgentId a, std::int16_t t) const {
  if (quarantine_until_[a] > t) return false;
  if (!s_.symptomatic_isolation) return true;
  const bool symptomatic =
      (flags_[a] & kAsymptomatic) == 0 && t - infected_day_[a] >= s_.incubation_days;
  return !symptomatic;
}

void Simulation::Impl::queue(const Walk& w, Route route, Tally& tally) {
  auto& ring = tally.walks[static_cast<int>(route)];
  std::vector<Walk>& slot = ring[ring_slot(day_of(w, route), ring.size())];
  grow_for(slot, 1);
  slot.push_back(w);
}

// Takes today's successes of the route's walks: try_infect(source, target,
// tally) decides, then each walk moves on to its next success.
template <typename Infect>
void Simulation::Impl::walk(Route route, std::int16_t t, const Infect& try_infect) {
  // Today's walks from every thread's ring; taking them out first keeps the
  // rings free for the walks that move on to later days.
  std::vector<std::vector<Walk>> batches;
  for (Tally& x : tallies_) {
    auto& ring = x.walks[static_cast<int>(route)];
    std::vector<Walk>& due = ring[ring_slot(t, ring.size())];
    if (!due.empty()) batches.push_back(std::move(due));
    due = {};
  }
  // Targets are in no memory order: fetch the seat two steps ahead and the
  // target's state one step ahead, so that the cache misses overlap.
  const auto target_of = [&](const Walk& w, std::uint32_t m) {
    const std::uint32_t index = w.first + w.cell % m;
    return route == Route::kHome ? index : pop_.seat(index);
  };
  for (const std::vector<Walk>& due : batches) {
    arena_.execute([&] {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, due.size(), 256), [&](const auto& r) {
        Tally& tally = tallies_.local();
        for (std::size_t i = r.begin(); i != r.end(); ++i) {
          if (route == Route::kWork && i + 16 < r.end()) {
            const Walk& ahead = due[i + 16];
            __builtin_prefetch(pop_.seat_address(ahead.first + ahead.cell % members(ahead, route)));
            __builtin_prefetch(&quarantine_until_[ahead.source]);
          }
          if (i + 8 < r.end()) {
            const Walk& ahead = due[i + 8];
            const AgentId target = target_of(ahead, members(ahead, route));
            __builtin_prefetch(&infected_day_[target]);
            __builtin_prefetch(&quarantine_until_[target]);
          }
          Walk w = due[i];
          const std::uint32_t m = members(w, route);
          const auto today_end = static_cast<std::uint32_t>((t - w.start + 1) * m);
          while (w.cell < today_end) {
            const AgentId target = target_of(w, m);
            if (target != w.source) try_infect(w.source, target, tally);
            w.cell = next_cell(w, route, w.cell + 1);
          }
          if (w.cell < cells(w, route)) queue(w, route, tally);
        }
      });
    });
  }
}

void Simulation::Impl::transmit_at_home(std::int16_t t) {
  walk(Route::kHome, t, [&](AgentId, AgentId target, Tally& tally) {
    if (infect(target, t, tally)) ++tally.counts.new_home;
  });
}

void Simulation::Impl::transmit_at_work(std::int16_t t) {
  walk(Route::kWork, t, [&](AgentId source, AgentId target, Tally& tally) {
    if (infected_day_[target] != kNever || quarantine_until_[target] > t) return;
    if (!at_work(source, t)) return;
    if (infect(target, t, tally)) ++tally.counts.new_work;
  });
}

// Each of an agent's community_contacts daily contacts is with a random agent
// out and about today; it transmits with community_infection_risk, scaled for
// an asymptomatic contact.
void Simulation::Impl::transmit_in_community(std::int16_t t) {
  const std::int64_t circulating =
      s_.population - today_.dead - day_.died - quarantined_ - self_isolating_;
  if (circulating <= 0 || s_.community_contacts == 0) return;
  const double weight = static_cast<double>(circulating_full_) +
                        s_.asymptomatic_infectiousness * static_cast<double>(circulating_reduced_);
  const double share = weight / static_cast<double>(circulating);
  const double p = 1 - none_succeed(s_.community_infection_risk * share,
                                    static_cast<std::uint64_t>(s_.community_contacts));
  if (!(p > 0)) return;
  std::vector<std::uint32_t> blocks((std::size_t{n_} + kCommunityBlock - 1) / kCommunityBlock);
  for (std::size_t b = 0; b < blocks.size(); ++b) blocks[b] = static_cast<std::uint32_t>(b);
  parallel_each(blocks, 1, [&](std::uint32_t block, Tally& tally) {
    const AgentId begin = block * kCommunityBlock;
    const std::uint32_t n = std::min<std::uint32_t>(kCommunityBlock, n_ - begin);
    for_each_success(seed_, block, static_cast<std::uint32_t>(t), Purpose::kCommunityTransmission,
                     p, n, [&](std::uint64_t j) {
                       const AgentId a = begin + static_cast<AgentId>(j);
                       if (infected_day_[a] != kNever || quarantine_until_[a] > t) return;
                       if (infect(a, t, tally)) ++tally.counts.new_community;
                     });
  });
}

// Index cases detected tracing_delay_days ago have every living member of
// their home and office quarantined from tomorrow for isolation_days days.
void Simulation::Impl::trace(std::int16_t t) {
  std::vector<AgentId>& due = trace_queue_[ring_slot(t, trace_queue_.size())];
  if (due.empty()) return;
  const auto until = static_cast<std::int16_t>(t + 1 + s_.isolation_days);
  // Each place once, so that every agent is written by one thread per pass.
  std::vector<PlaceId> places;
  places.reserve(due.size());
  for (AgentId a : due) places.push_back(pop_.home_of(a));
  sort_unique(places);
  parallel_each(places, 64, [&](PlaceId h, Tally& tally) {
    for (AgentId a = pop_.home_begin(h); a < pop_.home_end(h); ++a) quarantine(a, t, until, tally);
  });
  places.clear();
  for (AgentId a : due) {
    if (pop_.office_of(a) != kNoPlace) places.push_back(pop_.office_of(a));
  }
  sort_unique(places);
  parallel_each(places, 8, [&](PlaceId o, Tally& tally) {
    for (AgentId a : pop_.office_members(o)) quarantine(a, t, until, tally);
  });
  due.clear();
}

void Simulation::Impl::quarantine(AgentId a, std::int16_t t, std::int16_t until, Tally& tally) {
  if (flags_[a] & kDead) return;
  const std::int16_t previous = quarantine_until_[a];
  if (previous >= until) return;  // already quarantined by another place today
  if (previous > t + 1) {
    --tally.end_delta[static_cast<std::size_t>(previous - t)];  // extended
  } else {
    ++tally.counts.quarantine_new;
  }
  ++tally.end_delta[static_cast<std::size_t>(until - t)];
  quarantine_until_[a] = until;
  const std::int16_t infected = infected_day_[a];
  if (infected != kNever && t + 1 - infected < s_.sick_days) {
    sync(a, static_cast<std::int16_t>(t + 1), tally);
    tally.released.push_back(a);
  }
}

// Moves what the threads produced in the last phase into the simulation.
void Simulation::Impl::fold(std::int16_t t) {
  Cohort& today = *cohort(t);
  std::vector<AgentId>& detected =  // due at t + delay: the ring's previous slot
      trace_queue_[ring_slot(t + static_cast<std::int64_t>(trace_queue_.size()) - 1,
                             trace_queue_.size())];
  for (Tally& x : tallies_) {
    day_ += x.counts;
    today.symptomatic_course += x.counts.new_symptomatic_course;
    circulating_full_ += x.counts.circulating_full;
    circulating_reduced_ += x.counts.circulating_reduced;
    self_isolating_ += x.counts.self_isolating;
    quarantined_ += x.counts.quarantine_new - x.counts.quarantine_lost;
    x.counts = Counts{};
    for (std::size_t i = 0; i < x.end_delta.size(); ++i) {
      quarantine_ends_[static_cast<std::size_t>(t) + i] += x.end_delta[i];
      x.end_delta[i] = 0;
    }
    append(today.agents, x.infected);
    append(detected, x.detected);
    for (AgentId a : x.released) {
      releases_[ring_slot(quarantine_until_[a], releases_.size())].push_back(a);
    }
    reset_buffer(x.released);
  }
}

// Today's totals from the cohorts and the running counts.
void Simulation::Impl::count(std::int16_t t) {
  DayTotals& d = today_;
  d.day = t;
  d.exposed = d.infectious = d.symptomatic = 0;
  for (std::int64_t elapsed = 0; elapsed < s_.sick_days && elapsed <= t; ++elapsed) {
    const Cohort& c = *cohort(t - elapsed);
    const auto size = static_cast<std::int64_t>(c.agents.size());
    (elapsed < s_.latent_days ? d.exposed : d.infectious) += size;
    if (elapsed >= s_.incubation_days) d.symptomatic += c.symptomatic_course;
  }
  const std::int64_t new_infections = day_.new_home + day_.new_work + day_.new_community;
  d.currently_infected = d.exposed + d.infectious;
  d.isolated = quarantined_;
  d.recovered += day_.recovered;
  d.dead += day_.died;
  d.total_infected += new_infections;
  d.susceptible = s_.population - d.total_infected;
  d.new_infections = new_infections;
  d.infections_home = day_.new_home;
  d.infections_work = day_.new_work;
  d.infections_community = day_.new_community;
}

std::size_t Simulation::Impl::memory_bytes() const {
  std::size_t bytes = sizeof(*this) + pop_.memory_bytes();
  bytes += std::size_t{n_} * (2 * sizeof(std::int16_t) + sizeof(std::uint8_t));
  for (const Cohort& c : cohorts_) bytes += c.agents.capacity() * sizeof(AgentId);
  for (const auto& v : trace_queue_) bytes += v.capacity() * sizeof(AgentId);
  for (const auto& v : releases_) bytes += v.capacity() * sizeof(AgentId);
  bytes += quarantine_ends_.capacity() * sizeof(std::int64_t);
  for (const Tally& x : tallies_) {
    bytes +=
        sizeof(Tally) + x.end_delta.capacity() * sizeof(std::int64_t) +
        (x.infected.capacity() + x.detected.capacity() + x.released.capacity()) * sizeof(AgentId);
    for (const auto& ring : x.walks) {
      for (const auto& v : ring) bytes += v.capacity() * sizeof(Walk);
    }
  }
  return bytes;
}

Simulation::Simulation(const Scenario& scenario, Population population, std::uint64_t seed,
                       int threads)
    : impl_(std::make_unique<Impl>(scenario, std::move(population), seed, threads)) {}
Simulation::~Simulation() = default;
Simulation::Simulation(Simulation&&) noexcept = default;
Simulation& Simulation::operator=(Simulation&&) noexcept = default;

const DayTotals& Simulation::today() const { return impl_->today(); }
bool Simulation::finished() const { return impl_->finished(); }
const DayTotals& Simulation::step() { return impl_->step(); }
const Population& Simulation::population() const { return impl_->population(); }
std::size_t Simulation::memory_bytes() const { return impl_->memory_bytes(); }

Status Simulation::run(DayObserver& observer, std::stop_token stop) {
  observer.on_day(today());
  while (!finished()) {
    if (stop.stop_requested()) return Error::make(ErrorCode::kCancelled, "the run was cancelled");
    observer.on_day(step());
  }
  return Ok{};
}

std::uint64_t estimate_memory_bytes(const Scenario& s) {
  const auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(s.population, 0));
  const auto employed = static_cast<std::uint64_t>(
      std::llround(std::clamp(s.employment_rate, 0.0, 1.0) * static_cast<double>(n)));
  // An upper bound, for the worst case of every agent infectious at once:
  // agent state 5 B and office of each agent 4 B; office seats 4 B per
  // employed agent; each infected agent in one cohort list (4 B); a pending
  // home walk per agent and a work walk per employed agent (16 B each); lists
  // grow by a quarter at a time, so up to 25% more. The 64 MiB cover the
  // per-thread buffers, tables and the day's small lists.
  const std::uint64_t walks = (s.household_size > 1 ? n : 0) + employed;
  const std::uint64_t lists = n * 4 + walks * sizeof(Walk);
  return n * (5 + 4) + employed * 4 + lists + lists / 4 + (std::uint64_t{64} << 20);
}

}  // namespace outbreak::engine
