// The policy timeline: which items are in force each day, case isolation,
// testing and vaccination; see simulation_impl.hpp and docs/model.md.
#include <algorithm>
#include <cmath>

#include "simulation_impl.hpp"

namespace outbreak::engine {
namespace {

// A cheap keyed mix for the vaccination order's permutation rounds.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

// The timeline metrics, from the totals of the day before.
double Simulation::Impl::metric(TriggerMetric m) const {
  const double per_100k = 1e5 / static_cast<double>(n_);
  if (m == TriggerMetric::kHospitalizedPer100k) {
    return static_cast<double>(today_.hospitalized) * per_100k;
  }
  std::int64_t onsets = 0;
  for (std::int64_t x : onsets_) onsets += x;
  return static_cast<double>(onsets) * per_100k;
}

// Decides which items are in force on day t (triggers look at day t - 1)
// and what follows for the day's transmission, tests and tracing.
void Simulation::Impl::apply_policy(std::int16_t t) {
  DayPolicy& day = policy_[static_cast<std::size_t>(t)];
  day = DayPolicy{};
  isolation_item_ = testing_item_ = -1;
  tracing_items_.clear();
  vaccination_items_.clear();
  for (std::size_t k = 0; k < items_.size(); ++k) {
    const Intervention& x = items_[k];
    ItemState& state = item_state_[k];
    const bool in_window = t >= x.start_day && (!x.end_day || t <= *x.end_day);
    if (!in_window || state.done) continue;
    if (!x.start_when) {
      state.on = true;
    } else if (!state.on && t > 0 && metric(x.start_when->metric) > x.start_when->threshold) {
      state.on = true;
    }
    if (state.on && x.end_when && t > 0 && metric(x.end_when->metric) < x.end_when->threshold) {
      state.on = false;
      if (!x.start_when) state.done = true;
    }
    if (!state.on) continue;
    day.active[k / 64] |= std::uint64_t{1} << (k % 64);
    const int id = static_cast<int>(k);
    switch (x.type) {
      case InterventionType::kDistancing:
        day.community_factor *= x[item::kCommunityContactsFactor];
        day.work_factor *= x[item::kWorkFactor];
        break;
      case InterventionType::kClosure:
        day.schools_closed = std::max(day.schools_closed, x[item::kSchools]);
        day.workplaces_closed = std::max(day.workplaces_closed, x[item::kWorkplaces]);
        break;
      case InterventionType::kCaseIsolation:
        isolation_item_ = id;
        day.household_factor = x[item::kHouseholdFactor];
        break;
      case InterventionType::kTesting:
        testing_item_ = id;
        break;
      case InterventionType::kContactTracing:
        tracing_items_.push_back(id);
        break;
      case InterventionType::kVaccination:
        vaccination_items_.push_back(id);
        break;
    }
  }
}

// Closed places: a fixed random share of classes or workplaces, the same
// places whenever a closure of that share is in force (a larger share
// closes a superset).
bool Simulation::Impl::place_closed(PlaceId p, std::int64_t day) const {
  if (p == kNoPlace) return false;
  const DayPolicy& policy = policy_[static_cast<std::size_t>(day)];
  const double share = pop_.is_class(p) ? policy.schools_closed : policy.workplaces_closed;
  if (share <= 0) return false;
  if (share >= 1) return true;
  return bernoulli(philox(seed_, p, 0, Purpose::kClosure, 0), share);
}

bool Simulation::Impl::blocked_by_vaccine(AgentId a, std::int16_t t) const {
  if (!protected_by_vaccine(a, t)) return false;
  return bernoulli(philox(seed_, a, static_cast<std::uint32_t>(t), Purpose::kVaccineBlock, 0),
                   (*vaccine_)[item::kEfficacyInfection]);
}

// App use is a trait of the agent: the same agents use an app in every item
// and on every day (a larger adoption adds users).
bool Simulation::Impl::uses_app(AgentId a, double adoption) const {
  return bernoulli(philox(seed_, a, 0, Purpose::kAppUser, 0), adoption);
}

// Symptom onset of agent a today: what the timeline's items make of it.
void Simulation::Impl::on_onset(AgentId a, std::int16_t t, Tally& tally) {
  for (int k : tracing_items_) {
    const Intervention& x = items_[static_cast<std::size_t>(k)];
    if (x.choice(item::kStartFrom) != item::kFromSymptoms) continue;
    if (x.choice(item::kMode) == item::kPlaces && x[item::kQuarantineDays] <= 0) continue;
    if (bernoulli(philox(seed_, a, 0, Purpose::kDetection, 0), x[item::kCoverage])) {
      tally.detected.emplace_back(t + static_cast<std::int64_t>(x[item::kTraceDelayDays]),
                                  TraceEntry{a, static_cast<std::uint16_t>(k), 0});
    }
  }
  if (isolation_item_ >= 0) {
    const Intervention& x = items_[static_cast<std::size_t>(isolation_item_)];
    if (x.choice(item::kIsolateOn) == item::kOnSymptoms) isolate(a, t, x, true, tally);
  }
  AgentState& s = agents_[a];
  if (testing_item_ >= 0 && !tested_positive(a)) {
    const Intervention& x = items_[static_cast<std::size_t>(testing_item_)];
    const double p = x[item::kSeekProbability];
    if (p > 0) {
      // Days until the test: 0, 1, 2, ... with probability p(1 - p)^k.
      const Draw d = philox(seed_, a, 0, Purpose::kSeekTest, 0);
      const std::uint64_t wait =
          p >= 1 ? 0 : geometric_gap(1 - to_unit(d.v[0], d.v[1]), 1 / det_log1p(-p), 1000);
      const std::int64_t day = t + static_cast<std::int64_t>(wait);
      if (day < s.infected + s.end && day <= s_.days) tally.tests.emplace_back(day, a);
    }
  }
}

// Until when (exclusive) an agent told on day t to stay home for `days`
// days from `first` does so, dropping out each later day with probability
// `dropout`.
std::int16_t Simulation::Impl::stay_until(AgentId a, std::int16_t t, Purpose purpose,
                                          double dropout, std::int64_t days) const {
  std::int64_t stay = days;
  if (dropout > 0 && days > 1) {
    const Draw d = philox(seed_, a, static_cast<std::uint32_t>(t), purpose, 0);
    const std::uint64_t kept =
        dropout >= 1 ? 0
                     : geometric_gap(1 - to_unit(d.v[0], d.v[1]), 1 / det_log1p(-dropout),
                                     static_cast<std::uint64_t>(days));
    stay = std::min<std::int64_t>(days, 1 + static_cast<std::int64_t>(kept));
  }
  return static_cast<std::int16_t>(stay);
}

// Agent a, a case with symptoms from today (at_onset) or a positive result
// today, isolates at home under item x if it complies.
void Simulation::Impl::isolate(AgentId a, std::int16_t t, const Intervention& x, bool at_onset,
                               Tally& tally) {
  AgentState& s = agents_[a];
  if (s.flags & kDead) return;
  const double compliance = x[item::kCompliance];
  if (compliance < 1 &&
      !bernoulli(philox(seed_, a, 0, Purpose::kIsolationCompliance, 0), compliance)) {
    return;
  }
  const bool infected = s.infected != kNever && s.latent > 0;
  const std::int64_t infectious_end = infected ? s.infected + s.end : t;
  std::int64_t until =
      std::isnan(x[item::kDays]) ? infectious_end : t + static_cast<std::int64_t>(x[item::kDays]);
  if (x[item::kDropout] > 0) {
    until = std::min<std::int64_t>(
        until, t + stay_until(a, t, Purpose::kIsolationDropout, x[item::kDropout], until - t));
  }
  if (until <= t) return;
  const std::int16_t previous = s.isolate_until;
  if (previous >= until) return;
  if (previous > t) {
    --tally.isolation_end_delta[static_cast<std::size_t>(previous - t)];
  } else {
    ++tally.counts.isolation_new;
  }
  ++tally.isolation_end_delta[static_cast<std::size_t>(until - t)];
  s.isolate_until = static_cast<std::int16_t>(until);
  if (at_onset) s.flags |= kIsolatedAtOnset;
  tally.touched = true;
  sync(a, t, tally);
  // A case's own end of infectiousness is an event already.
  if (!infected || until != infectious_end) {
    tally.released.emplace_back(static_cast<std::int16_t>(until), a);
  }
  if (collect_) tally.case_events.push_back({a, t, CaseEventKind::kIsolated});
}

// Today's tests (up to the day's capacity; the rest wait for tomorrow) and
// today's positive results: isolation and tracing start from them.
void Simulation::Impl::run_tests(std::int16_t t) {
  Tally& tally = tallies_.local();
  std::vector<AgentId>& due = tests_due_[ring_slot(t, kRing)];
  if (testing_item_ < 0) {
    tests_waiting_.clear();  // no testing today: nobody is tested
    due.clear();
  } else if (!due.empty() || !tests_waiting_.empty()) {
    const Intervention& x = items_[static_cast<std::size_t>(testing_item_)];
    sort_unique(due);
    std::vector<AgentId> line = std::move(tests_waiting_);
    tests_waiting_.clear();
    std::vector<AgentId> waiting = line;
    std::sort(waiting.begin(), waiting.end());
    for (AgentId a : due) {
      if (!std::binary_search(waiting.begin(), waiting.end(), a)) line.push_back(a);
    }
    due.clear();
    std::size_t capacity = line.size();
    if (!std::isnan(x[item::kDailyCapacity])) {
      capacity = std::min<std::size_t>(
          capacity, static_cast<std::size_t>(
                        std::llround(x[item::kDailyCapacity] * static_cast<double>(n_) / 1e5)));
    }
    const auto delay = static_cast<std::int64_t>(x[item::kTestDelayDays]);
    for (std::size_t i = 0; i < line.size(); ++i) {
      const AgentId a = line[i];
      const AgentState& s = agents_[a];
      if (s.flags & kDead) continue;
      if (i >= capacity) {
        tests_waiting_.push_back(a);
        continue;
      }
      ++tally.counts.tests;
      tally.touched = true;
      const bool infected = s.infected != kNever && t < s.infected + s.end;
      const double p = infected ? x[item::kSensitivity] : 1 - x[item::kSpecificity];
      if (bernoulli(philox(seed_, a, static_cast<std::uint32_t>(t), Purpose::kTestResult, 0), p)) {
        results_due_[ring_slot(t + delay, kRing)].push_back(a);
      }
    }
  }
  std::vector<AgentId>& results = results_due_[ring_slot(t, kRing)];
  sort_unique(results);
  for (AgentId a : results) {
    AgentState& s = agents_[a];
    ++tally.counts.positive_tests;
    tally.touched = true;
    if (s.flags & kDead) continue;
    positive_[a / 64] |= std::uint64_t{1} << (a % 64);
    if (collect_) tally.case_events.push_back({a, t, CaseEventKind::kPositive});
    if (isolation_item_ >= 0) {
      isolate(a, t, items_[static_cast<std::size_t>(isolation_item_)], false, tally);
    }
    for (int k : tracing_items_) {
      const Intervention& x = items_[static_cast<std::size_t>(k)];
      if (x.choice(item::kStartFrom) != item::kFromPositiveTest) continue;
      tally.detected.emplace_back(t + static_cast<std::int64_t>(x[item::kTraceDelayDays]),
                                  TraceEntry{a, static_cast<std::uint16_t>(k), 0});
    }
  }
  results.clear();
}

// The agent at `position` (< population) of a vaccination item's order: a
// keyed permutation of [0, 2^bits) (a four-round Feistel network), applied
// again until it lands below the population size (cycle walking).
std::uint64_t Simulation::Impl::vaccination_order(std::uint64_t position,
                                                  std::uint32_t item) const {
  const int half = (permutation_bits_ + 1) / 2;
  const std::uint64_t mask = (std::uint64_t{1} << half) - 1;
  const std::uint64_t key =
      mix(seed_ ^ (std::uint64_t{item} << 40) ^ static_cast<std::uint64_t>(Purpose::kVaccineOrder));
  std::uint64_t x = position;
  do {
    std::uint64_t left = x >> half;
    std::uint64_t right = x & mask;
    for (std::uint64_t round = 0; round < 4; ++round) {
      const std::uint64_t next = left ^ (mix(right ^ key ^ (round << 56)) & mask);
      left = right;
      right = next;
    }
    x = (left << half) | right;
  } while (x >= n_);
  return x;
}

// Today's doses of every vaccination item in force, in each item's order.
void Simulation::Impl::vaccinate(std::int16_t t) {
  if (vaccination_items_.empty()) return;
  Tally& tally = tallies_.local();
  for (int k : vaccination_items_) {
    const Intervention& x = items_[static_cast<std::size_t>(k)];
    Campaign& c = campaigns_[static_cast<std::size_t>(k)];
    if (c.done) continue;
    c.owed += x[item::kDosesPerDay] * static_cast<double>(n_) / 1e5;
    auto doses = static_cast<std::int64_t>(std::floor(c.owed));
    c.owed -= static_cast<double>(doses);
    const bool oldest = x.choice(item::kOrder) == item::kOldestFirst;
    const auto min_age = static_cast<int>(x[item::kMinAge]);
    const auto youngest_band = static_cast<int>(age_band(min_age));
    while (doses > 0 && !c.done) {
      if (c.position >= n_) {
        c.position = 0;
        if (!oldest || --c.band < youngest_band) {
          c.done = true;
          break;
        }
      }
      // Cycle walking keeps the permutation a bijection of [0, n): each
      // agent comes exactly once per pass over the positions.
      const auto a =
          static_cast<AgentId>(vaccination_order(c.position++, static_cast<std::uint32_t>(k)));
      AgentState& s = agents_[a];
      if ((s.flags & kDead) || vaccinated_on_[a] != kNever || pop_.age(a) < min_age) continue;
      if (oldest && static_cast<int>(pop_.band(a)) != c.band) continue;
      vaccinated_on_[a] = t;
      ++tally.counts.vaccinated;
      tally.touched = true;
      --doses;
    }
  }
}

}  // namespace outbreak::engine
