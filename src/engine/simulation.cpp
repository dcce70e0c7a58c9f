// The day loop, the events of each case's course, and the counts; see
// simulation_impl.hpp for how the engine works.
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>

#include "simulation_impl.hpp"

namespace outbreak::engine {

Counts& Counts::operator+=(const Counts& o) {
  new_home += o.new_home;
  new_work += o.new_work;
  new_school += o.new_school;
  new_community += o.new_community;
  away += o.away;
  quarantine_new += o.quarantine_new;
  quarantine_lost += o.quarantine_lost;
  isolation_new += o.isolation_new;
  isolation_lost += o.isolation_lost;
  tests += o.tests;
  positive_tests += o.positive_tests;
  traced += o.traced;
  vaccinated += o.vaccinated;
  return *this;
}

namespace {

// log(1 - p), -inf for p = 1.
double log_escape(double p) {
  if (p >= 1) return -std::numeric_limits<double>::infinity();
  return p > 0 ? det_log1p(-p) : 0.0;
}

Tally exemplar_tally(std::size_t stay, std::size_t ring) {
  Tally exemplar;
  exemplar.end_delta.assign(stay + 2, 0);
  exemplar.isolation_end_delta.assign(stay + 2, 0);
  for (auto& walks : exemplar.walks) walks.resize(ring);
  for (auto& d : exemplar.deltas) d.assign(NaturalHistory::kMaxCourseDays + 2, 0);
  exemplar.secondary.assign(ring, 0);
  exemplar.pending.assign(ring, 0);
  exemplar.weight_delta.assign(ring * NaturalHistory::kBuckets, 0);
  return exemplar;
}

}  // namespace

Simulation::Impl::Impl(const Scenario& scenario, Population population, std::uint64_t seed,
                       int threads)
    : s_(scenario),
      pop_(std::move(population)),
      seed_(seed),
      arena_(threads > 0 ? threads : tbb::task_arena::automatic),
      history_(scenario),
      n_(pop_.size()),
      after_onset_max_(NaturalHistory::kMaxStageDays),
      tallies_(exemplar_tally(kMaxStay, kRing)) {
  if (!validate(s_).empty()) throw std::invalid_argument("Simulation: invalid scenario");
  if (static_cast<std::int64_t>(n_) != s_.population) {
    throw std::invalid_argument("Simulation: the population was built for another scenario");
  }
  agents_ = BigArray<AgentState>(n_);
  arena_.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, n_, 1 << 16), [&](const auto& r) {
      std::fill(agents_.data() + r.begin(), agents_.data() + r.end(),
                AgentState{kNever, 0, 0, 0, 0, 0, 0, 0});
    });
  });
  log_escape_[0] = log_escape(s_.home_infection_risk);
  log_escape_[1] = log_escape(s_.work_infection_risk);
  log_escape_[2] = log_escape(s_.school_infection_risk);
  events_.resize(kRing);
  trace_queue_.resize(kTraceRing);
  releases_.resize(kRing);
  quarantine_ends_.assign(static_cast<std::size_t>(s_.days) + kMaxStay + 3, 0);
  isolation_ends_.assign(static_cast<std::size_t>(s_.days) + kMaxStay + 3, 0);
  tests_due_.resize(kRing);
  results_due_.resize(kRing);
  items_ = s_.timeline();
  item_state_.resize(items_.size());
  campaigns_.resize(items_.size());
  policy_.resize(static_cast<std::size_t>(s_.days) + 1);
  for (const Intervention& x : items_) {
    switch (x.type) {
      case InterventionType::kCaseIsolation:
      case InterventionType::kTesting:
        onset_matters_ = true;
        break;
      case InterventionType::kContactTracing:
        if (x.choice(item::kStartFrom) == item::kFromSymptoms) onset_matters_ = true;
        if (x.choice(item::kMode) == item::kContacts && x[item::kAppAdoption] > 0 &&
            s_.community_contacts > 0) {
          by_source_ = true;
        }
        break;
      case InterventionType::kVaccination:
        if (vaccine_ == nullptr) vaccine_ = &x;
        break;
      default:
        break;
    }
  }
  while ((std::uint64_t{1} << permutation_bits_) < n_) ++permutation_bits_;
  for (const Intervention& x : items_) {
    double dropout = 0;
    if (x.type == InterventionType::kCaseIsolation) dropout = x[item::kDropout];
    if (x.type == InterventionType::kContactTracing) dropout = x[item::kQuarantineDropout];
    dropout_.push_back(dropout);
    inverse_log_keep_.push_back(dropout > 0 && dropout < 1 ? 1 / det_log1p(-dropout) : 0);
  }
  if (vaccine_ != nullptr) {
    vaccinated_on_ = BigArray<std::int16_t>(n_);
    std::fill(vaccinated_on_.data(), vaccinated_on_.data() + n_, kNever);
  }
  for (const Intervention& x : items_) {
    if (x.type == InterventionType::kTesting) positive_.assign((std::size_t{n_} + 63) / 64, 0);
  }
  for (auto& d : deltas_) d.assign(kRing, 0);
  weights_.assign(kRing * NaturalHistory::kBuckets, 0);
  by_onset_.resize(kRing * NaturalHistory::kBuckets);
  infected_on_.assign(kRing, 0);
  secondary_.assign(kRing, 0);
  still_infectious_.assign(kRing, 0);
  age_totals_.agents = pop_.agents_by_band();
  seed_initial_infections();
}

// Floyd's algorithm: k distinct agents, uniformly, with keyed draws.
void Simulation::Impl::seed_initial_infections() {
  const auto k = static_cast<std::uint32_t>(s_.initial_infected);
  Tally& tally = tallies_.local();
  for (std::uint64_t j = n_ - k; j < n_; ++j) {
    const Draw d = philox(seed_, static_cast<std::uint32_t>(j), 0, Purpose::kInitialInfection, 0);
    auto pick = static_cast<AgentId>(uniform_below(d, j + 1));
    if (agents_[pick].infected != kNever) pick = static_cast<AgentId>(j);
    infect(pick, 0, kNoInfector, InfectionRoute::kSeed, tally);
  }
  apply_policy(0);
  fold(0);
  count(0);
  settle_reproduction(0);
  if (nothing_left(0)) ended_on_ = 0;
}

const DayTotals& Simulation::Impl::step() {
  if (finished()) throw std::logic_error("Simulation::step: the run is finished");
  const auto t = static_cast<std::int16_t>(today_.day + 1);
  day_ = Counts{};
  settled_.clear();
  infections_.clear();
  if (ended_on_ && early_stop_) {
    quiet_step(t);
    return today_;
  }
  // Nobody with this onset day can still be infectious.
  const std::int64_t expired = t - after_onset_max_ - 1;
  if (expired >= 0) {
    for (int b = 0; b < NaturalHistory::kBuckets; ++b) {
      std::vector<AgentId>().swap(
          by_onset_[weight_index(expired, NaturalHistory::bucket_begin(b))]);
    }
  }
  case_events_.clear();
  apply_policy(t);
  isolating_ -= isolation_ends_[static_cast<std::size_t>(t)];
  end_quarantines(t);
  run_events(t);
  fold(t);
  run_tests(t);
  vaccinate(t);
  fold(t);
  // One route after the other, so that an agent reached by two routes on
  // the same day is counted where the earlier one found it.
  transmit_at_home(t);
  settle_hits(Route::kHome, t);
  transmit_at_places(t);
  settle_hits(Route::kDay, t);
  transmit_in_community(t);
  fold(t);
  quarantined_ -= quarantine_ends_[static_cast<std::size_t>(t) + 1];
  trace(t);
  fold(t);
  count(t);
  settle_reproduction(t);
  if (!ended_on_ && nothing_left(t)) ended_on_ = t;
  return today_;
}

// Nothing can change after day t when no agent is infected or in hospital
// (so no event is due and no walk or community draw can find anyone), nobody
// is isolating or quarantined, no test, result or trace is pending, and no
// vaccination item could still give a dose. Items that only change rates
// (distancing, closure, isolation, testing, tracing) cannot change a count
// then; their triggers still switch them, which quiet_step() keeps. Once
// true it stays true: nothing brings an infection in from outside.
bool Simulation::Impl::nothing_left(std::int16_t t) const {
  if (state_[kExposed] != 0 || state_[kInfectious] != 0 || state_[kSymptomatic] != 0 ||
      state_[kHospitalized] != 0 || state_[kCritical] != 0 || quarantined_ != 0 ||
      isolating_ != 0 || away_ != 0 || !tests_waiting_.empty()) {
    return false;
  }
  for (std::size_t k = 0; k < items_.size(); ++k) {
    const Intervention& x = items_[k];
    if (x.type != InterventionType::kVaccination || campaigns_[k].done || item_state_[k].done) {
      continue;
    }
    if (!x.end_day || *x.end_day > t) return false;
  }
  const auto empty = [](const auto& rings) {
    return std::all_of(rings.begin(), rings.end(), [](const auto& v) { return v.empty(); });
  };
  if (!empty(events_) || !empty(trace_queue_) || !empty(releases_) || !empty(tests_due_) ||
      !empty(results_due_)) {
    return false;
  }
  for (const auto& ring : deltas_) {
    if (std::any_of(ring.begin(), ring.end(), [](std::int64_t v) { return v != 0; })) return false;
  }
  const auto later = static_cast<std::size_t>(t) + 1;
  const auto none_after = [&](const std::vector<std::int64_t>& ends) {
    return later >= ends.size() || std::all_of(ends.begin() + static_cast<std::ptrdiff_t>(later),
                                               ends.end(), [](std::int64_t v) { return v == 0; });
  };
  if (!none_after(quarantine_ends_) || !none_after(isolation_ends_)) return false;
  for (const Tally& x : tallies_) {
    for (const auto& ring : x.walks) {
      if (!empty(ring)) return false;
    }
  }
  return true;
}

// A day after ended_on_day(): only what can still differ from the day
// before, the timeline (triggers see the last 7 days' onsets fall to 0) and
// the totals, exactly as step() would produce them.
void Simulation::Impl::quiet_step(std::int16_t t) {
  case_events_.clear();
  apply_policy(t);
  count(t);
  settle_reproduction(t);
}

void Simulation::Impl::end_quarantines(std::int16_t t) {
  std::vector<AgentId>& due = releases_[ring_slot(t, releases_.size())];
  sort_unique(due);
  each_agent(due, [&](AgentId a, Tally& tally) {
    const AgentState& s = agents_[a];
    // Else extended: a later entry exists.
    if (s.quarantine_until == t || s.isolate_until == t) sync(a, t, tally);
  });
  due.clear();
}

void Simulation::Impl::run_events(std::int16_t t) {
  std::vector<AgentId>& due = events_[ring_slot(t, kRing)];
  each_agent(due, [&](AgentId a, Tally& tally) { event(a, t, tally); });
  std::vector<AgentId>().swap(due);  // as for the walks: no peak-sized slots
}

Course Simulation::Impl::course_of(AgentId a) const {
  Course c = history_.draw(seed_, a, pop_.band(a));
  history_.complete(seed_, a, pop_.band(a), c);
  return c;
}

std::int64_t Simulation::Impl::weight_of(AgentId a) const {
  const AgentState& s = agents_[a];
  double m = history_.multiplier(s.slice);
  if (s.flags & kAsymptomatic) m *= s_.asymptomatic_infectiousness;
  return static_cast<std::int64_t>(m * kWeightUnit + 0.5);
}

// What happens to agent a today, then when its next event is.
void Simulation::Impl::event(AgentId a, std::int16_t t, Tally& tally) {
  tally.touched = true;
  AgentState& s = agents_[a];
  const int e = t - s.infected;
  const bool hospital = (s.flags & kHospitalCase) != 0;
  Course c;  // only hospital cases need more of their course than the state holds
  if (hospital) c = course_of(a);
  if (e == s.latent) {
    sync(a, t, tally);
    if (s.quarantine_until > t) tally.released.emplace_back(s.quarantine_until, a);
    start_walks(a, t, tally);
  }
  if (e == s.incubation && (s.flags & kAsymptomatic) == 0) {
    on_onset(a, t, tally);
    sync(a, t, tally);
  }
  if (hospital && e == c.hospital) {
    s.flags |= kInHospital;
    ++tally.hospitalized_by_band[pop_.band(a)];
    if (c.critical != Course::kNoEvent && s.infected + c.critical <= s_.days) {
      ++tally.critical_by_band[pop_.band(a)];
    }
    sync(a, t, tally);
  }
  if (e == s.end) {
    sync(a, t, tally);
    ++tally.pending[ring_slot(s.infected, kRing)];
  }
  // Admitted cases transmit to nobody until they resolve: one discharged
  // before the end of its infectious period convalesces in isolation.
  if (hospital && e == c.resolved) {
    s.flags &= static_cast<std::uint8_t>(~kInHospital);
    sync(a, t, tally);
  }
  const int resolved = hospital ? c.resolved : s.end;
  if (e == resolved && (s.flags & kDies)) die(a, t, tally);
  const int next = next_event(s, c, e);
  if (next > e) tally.events.emplace_back(s.infected + next, a);
}

// The first day after `e` on which something happens that changes what the
// case does: onset matters only under isolation or tracing.
int Simulation::Impl::next_event(const AgentState& s, const Course& c, int e) const {
  int next = std::numeric_limits<int>::max();
  const auto consider = [&](int day) {
    if (day > e && day < next) next = day;
  };
  consider(s.latent);
  if ((s.flags & kAsymptomatic) == 0 && onset_matters_) {
    consider(s.incubation);
  }
  consider(s.end);
  if (s.flags & kHospitalCase) {
    consider(c.hospital);
    consider(c.resolved);
  }
  return next == std::numeric_limits<int>::max() ? e : next;
}

void Simulation::Impl::die(AgentId a, std::int16_t t, Tally& tally) {
  tally.touched = true;
  AgentState& s = agents_[a];
  s.flags |= kDead;
  ++tally.dead_by_band[pop_.band(a)];
  if (s.quarantine_until > t) {
    ++tally.counts.quarantine_lost;
    --tally.end_delta[static_cast<std::size_t>(s.quarantine_until - t)];
  }
  if (s.isolate_until > t) {
    ++tally.counts.isolation_lost;
    --tally.isolation_end_delta[static_cast<std::size_t>(s.isolate_until - t)];
  }
  sync(a, t, tally);
}

// Brings agent a's share of the community counts in line with its state on
// `day`.
void Simulation::Impl::sync(AgentId a, std::int16_t day, Tally& tally) {
  AgentState& s = agents_[a];
  const std::uint8_t flags = s.flags;
  const bool dead = (flags & kDead) != 0;
  const bool in_hospital = (flags & kInHospital) != 0;
  const int e = day - s.infected;
  const bool infected = s.infected != kNever && s.latent > 0;
  const bool infectious = infected && e >= s.latent && e < s.end && !dead && !in_hospital;
  const bool quarantined = s.quarantine_until > day;
  const bool isolating = s.isolate_until > day && !in_hospital;
  std::uint8_t want = 0;
  if (infectious && !quarantined && !isolating) want |= kCountedOut;
  if (!dead && !quarantined && (isolating || in_hospital)) want |= kCountedAway;
  const std::uint8_t have = flags & kCountedMask;
  if (want == have) return;
  if ((want ^ have) & kCountedOut) {
    tally.touched = true;
    const std::int64_t w = weight_of(a);
    tally.weight_delta[weight_index(s.infected + s.incubation, s.slice)] +=
        (want & kCountedOut) ? w : -w;
  }
  if ((want ^ have) & kCountedAway) tally.counts.away += (want & kCountedAway) ? 1 : -1;
  s.flags = static_cast<std::uint8_t>((flags & ~kCountedMask) | want);
}

// Infects susceptible agent a on day t: draws its course, registers the
// changes of the counts it will cause, and schedules its first event.
void Simulation::Impl::infect(AgentId a, std::int16_t t, AgentId infector, InfectionRoute route,
                              Tally& tally) {
  tally.touched = true;
  const std::size_t band = pop_.band(a);
  Course c = history_.draw(seed_, a, band);
  history_.complete(seed_, a, band, c);
  AgentState& s = agents_[a];
  if ((c.hospital != Course::kNoEvent || c.dies) && protected_by_vaccine(a, t)) {
    // Protection against severe disease given infection: (1 - e_severe) / (1 - e_infection).
    const double ei = (*vaccine_)[item::kEfficacyInfection];
    const double keep = ei >= 1 ? 0 : (1 - (*vaccine_)[item::kEfficacySevere]) / (1 - ei);
    if (!bernoulli(philox(seed_, a, 0, Purpose::kVaccineSevere, 0), keep)) {
      c.hospital = c.critical = c.discharge = Course::kNoEvent;
      c.resolved = c.end;
      c.dies = false;
    }
  }
  s.infected = t;
  s.latent = static_cast<std::uint8_t>(c.latent);
  s.incubation = static_cast<std::uint8_t>(c.incubation);
  s.end = static_cast<std::uint8_t>(c.end);
  s.slice = static_cast<std::uint16_t>(c.slice);
  s.flags = static_cast<std::uint8_t>((c.symptomatic ? 0 : kAsymptomatic) |
                                      (c.hospital != Course::kNoEvent ? kHospitalCase : 0) |
                                      (c.dies ? kDies : 0));
  auto& d = tally.deltas;
  const auto at = [](int offset) { return static_cast<std::size_t>(offset); };
  ++d[kExposed][0];
  --d[kExposed][at(c.latent)];
  ++d[kInfectious][at(c.latent)];
  --d[kInfectious][at(c.resolved)];
  if (c.symptomatic) {
    ++d[kOnset][at(c.incubation)];
    ++d[kSymptomatic][at(c.incubation)];
    --d[kSymptomatic][at(c.resolved)];
  }
  if (c.hospital != Course::kNoEvent) {
    ++d[kHospitalized][at(c.hospital)];
    --d[kHospitalized][at(c.discharge)];
    ++d[kNewHospital][at(c.hospital)];
    if (c.critical != Course::kNoEvent) {
      ++d[kCritical][at(c.critical)];
      --d[kCritical][at(c.discharge)];
    }
  }
  ++d[c.dies ? kDeadDelta : kRecovered][at(c.resolved)];
  tally.events.emplace_back(t + c.latent, a);
  tally.infected.push_back(std::uint64_t{a} << 32 | weight_index(t + c.incubation, c.slice));
  ++tally.infected_by_band[band];
  if (infector != kNoInfector) {
    ++tally.secondary[ring_slot(agents_[infector].infected, kRing)];
  }
  switch (route) {
    case InfectionRoute::kHome:
      ++tally.counts.new_home;
      break;
    case InfectionRoute::kWork:
      ++tally.counts.new_work;
      break;
    case InfectionRoute::kSchool:
      ++tally.counts.new_school;
      break;
    case InfectionRoute::kCommunity:
      ++tally.counts.new_community;
      break;
    case InfectionRoute::kSeed:
      break;
  }
  if (collect_ || t == 0) {
    const auto day = [t](int offset) {
      return offset == Course::kNoEvent ? kNoDay : static_cast<std::int32_t>(t + offset);
    };
    tally.infections.push_back(Infection{a, pop_.age(a), t, infector, route, day(c.latent),
                                         c.symptomatic ? day(c.incubation) : kNoDay,
                                         day(c.hospital), day(c.critical), day(c.resolved),
                                         c.dies ? Outcome::kDead : Outcome::kRecovered});
  }
}

// Moves what the threads produced in the last phase into the simulation.
void Simulation::Impl::fold(std::int16_t t) {
  for (Tally& x : tallies_) {
    day_ += x.counts;
    away_ += x.counts.away;
    quarantined_ += x.counts.quarantine_new - x.counts.quarantine_lost;
    isolating_ += x.counts.isolation_new - x.counts.isolation_lost;
    vaccinated_ += x.counts.vaccinated;
    x.counts = Counts{};
    for (std::size_t i = 0; i < x.end_delta.size(); ++i) {
      quarantine_ends_[static_cast<std::size_t>(t) + i] += x.end_delta[i];
      x.end_delta[i] = 0;
      isolation_ends_[static_cast<std::size_t>(t) + i] += x.isolation_end_delta[i];
      x.isolation_end_delta[i] = 0;
    }
    append(day_infected_, x.infected);
    for (const auto& [day, entry] : x.detected) {
      trace_queue_[ring_slot(day, kTraceRing)].push_back(entry);
    }
    reset_buffer(x.detected);
    for (const auto& [day, a] : x.tests) tests_due_[ring_slot(day, kRing)].push_back(a);
    reset_buffer(x.tests);
    append(infections_, x.infections);
    append(case_events_, x.case_events);
    for (const auto& [day, a] : x.released) releases_[ring_slot(day, kRing)].push_back(a);
    reset_buffer(x.released);
    for (const auto& [day, a] : x.events) events_[ring_slot(day, kRing)].push_back(a);
    reset_buffer(x.events);
    if (!x.touched) continue;
    x.touched = false;
    for (std::size_t k = 0; k < kDeltaKinds; ++k) {
      for (std::size_t off = 0; off < x.deltas[k].size(); ++off) {
        deltas_[k][ring_slot(t + static_cast<std::int64_t>(off), kRing)] += x.deltas[k][off];
        x.deltas[k][off] = 0;
      }
    }
    for (std::size_t i = 0; i < kRing; ++i) {
      secondary_[i] += x.secondary[i];
      still_infectious_[i] -= x.pending[i];
      x.secondary[i] = x.pending[i] = 0;
    }
    for (std::size_t i = 0; i < weights_.size(); ++i) {
      weights_[i] += x.weight_delta[i];
      x.weight_delta[i] = 0;
    }
    for (std::size_t b = 0; b < kAgeBands; ++b) {
      age_totals_.infected[b] += std::exchange(x.infected_by_band[b], 0);
      age_totals_.hospitalized[b] += std::exchange(x.hospitalized_by_band[b], 0);
      age_totals_.critical[b] += std::exchange(x.critical_by_band[b], 0);
      age_totals_.dead[b] += std::exchange(x.dead_by_band[b], 0);
    }
  }
}

// Today's totals from the running counts and the changes due today.
void Simulation::Impl::count(std::int16_t t) {
  const std::size_t slot = ring_slot(t, kRing);
  std::array<std::int64_t, kDeltaKinds> due{};
  for (std::size_t k = 0; k < kDeltaKinds; ++k) {
    due[k] = std::exchange(deltas_[k][slot], 0);
    state_[k] += due[k];
  }
  DayTotals& d = today_;
  const std::int64_t new_infections =
      t == 0 ? s_.initial_infected
             : day_.new_home + day_.new_work + day_.new_school + day_.new_community;
  d.day = t;
  d.exposed = state_[kExposed];
  d.infectious = state_[kInfectious];
  d.symptomatic = state_[kSymptomatic];
  d.hospitalized = state_[kHospitalized];
  d.critical = state_[kCritical];
  d.recovered = state_[kRecovered];
  d.dead = state_[kDeadDelta];
  d.new_hospitalizations = due[kNewHospital];
  d.new_deaths = due[kDeadDelta];
  d.currently_infected = d.exposed + d.infectious;
  d.isolated = quarantined_;
  d.quarantined = quarantined_;
  d.isolating = isolating_;
  d.new_symptomatic = due[kOnset];
  d.tests = day_.tests;
  d.positive_tests = day_.positive_tests;
  d.traced_contacts = day_.traced;
  d.vaccinated = vaccinated_;
  d.active = policy_[static_cast<std::size_t>(t)].active;
  onsets_[static_cast<std::size_t>(t) % onsets_.size()] = d.new_symptomatic;
  d.total_infected += new_infections;
  d.susceptible = s_.population - d.total_infected;
  d.new_infections = new_infections;
  d.infections_home = day_.new_home;
  d.infections_work = day_.new_work;
  d.infections_school = day_.new_school;
  d.infections_community = day_.new_community;
  d.r_t = std::numeric_limits<double>::quiet_NaN();
  // Today's cases join the community's lists in agent order, so that
  // drawing an infector from a list does not depend on the thread count.
  if (s_.community_contacts > 0) {
    tbb::parallel_sort(day_infected_.begin(), day_infected_.end());
    for (std::uint64_t x : day_infected_) {
      by_onset_[static_cast<std::uint32_t>(x)].push_back(static_cast<AgentId>(x >> 32));
    }
  }
  reset_buffer(day_infected_);
  if (!infections_.empty()) {
    std::sort(infections_.begin(), infections_.end(),
              [](const Infection& x, const Infection& y) { return x.agent < y.agent; });
  }
  if (!case_events_.empty()) {
    std::sort(case_events_.begin(), case_events_.end(), [](const CaseEvent& x, const CaseEvent& y) {
      return std::tie(x.agent, x.kind) < std::tie(y.agent, y.kind);
    });
  }
  infected_on_[slot] = new_infections;
  still_infectious_[slot] += new_infections;
}

// R_t of the days whose cases have all stopped being infectious.
void Simulation::Impl::settle_reproduction(std::int16_t t) {
  for (std::int64_t d = first_unsettled_; d <= t; ++d) {
    const std::size_t slot = ring_slot(d, kRing);
    if (still_infectious_[slot] != 0 || infected_on_[slot] < 0) continue;
    if (infected_on_[slot] > 0) {
      settled_.emplace_back(
          d, static_cast<double>(secondary_[slot]) / static_cast<double>(infected_on_[slot]));
    }
    infected_on_[slot] = -1;  // settled
    secondary_[slot] = 0;
  }
  while (first_unsettled_ <= t && infected_on_[ring_slot(first_unsettled_, kRing)] < 0) {
    infected_on_[ring_slot(first_unsettled_, kRing)] = 0;
    ++first_unsettled_;
  }
}

std::size_t Simulation::Impl::memory_bytes() const {
  const auto lists = [](const auto& rings) {
    std::size_t bytes = 0;
    for (const auto& v : rings) bytes += v.capacity() * sizeof(v[0]);
    return bytes;
  };
  std::size_t bytes = sizeof(*this) + pop_.memory_bytes() + std::size_t{n_} * sizeof(AgentState);
  bytes +=
      vaccinated_on_.size() * sizeof(std::int16_t) + positive_.capacity() * sizeof(std::uint64_t);
  bytes += lists(events_) + lists(trace_queue_) + lists(releases_) + lists(by_onset_);
  bytes += (quarantine_ends_.capacity() + isolation_ends_.capacity()) * sizeof(std::int64_t);
  bytes += lists(tests_due_) + lists(results_due_) + tests_waiting_.capacity() * sizeof(AgentId);
  bytes += policy_.capacity() * sizeof(DayPolicy);
  bytes += (weights_.size() + kDeltaKinds * kRing + 3 * kRing) * sizeof(std::int64_t);
  bytes +=
      day_infected_.capacity() * sizeof(std::uint64_t) + infections_.capacity() * sizeof(Infection);
  for (const Tally& x : tallies_) {
    bytes += sizeof(Tally) +
             (x.end_delta.capacity() + x.isolation_end_delta.capacity()) * sizeof(std::int64_t) +
             x.infected.capacity() * sizeof(std::uint64_t) +
             x.detected.capacity() * sizeof(x.detected[0]) +
             x.released.capacity() * sizeof(x.released[0]) +
             x.tests.capacity() * sizeof(x.tests[0]) + x.notices.capacity() * sizeof(Notice) +
             x.visits.capacity() * sizeof(PlaceVisit) + x.hits.capacity() * sizeof(Hit) +
             x.events.capacity() * sizeof(std::pair<std::int64_t, AgentId>) +
             x.infections.capacity() * sizeof(Infection);
    bytes +=
        (kDeltaKinds * (NaturalHistory::kMaxCourseDays + 2) + 2 * kRing + x.weight_delta.size()) *
        sizeof(std::int64_t);
    for (const auto& ring : x.walks) bytes += lists(ring);
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
std::optional<std::int64_t> Simulation::ended_on_day() const { return impl_->ended_on_day(); }
void Simulation::set_early_stop(bool on) { impl_->set_early_stop(on); }
const Population& Simulation::population() const { return impl_->population(); }
const AgeTotals& Simulation::age_totals() const { return impl_->age_totals(); }
std::size_t Simulation::memory_bytes() const { return impl_->memory_bytes(); }

Status Simulation::run(DayObserver& observer, std::stop_token stop) {
  const bool infections = observer.wants_infections();
  impl_->collect_infections(infections);
  const auto report = [&] {
    for (const auto& [day, r_t] : impl_->settled()) observer.on_r_t(day, r_t);
    if (infections) {
      observer.on_infections(impl_->infections());
      observer.on_case_events(impl_->case_events());
    }
    observer.on_day(today());
  };
  report();
  while (!finished()) {
    if (stop.stop_requested()) return Error::make(ErrorCode::kCancelled, "the run was cancelled");
    step();
    report();
  }
  return Ok{};
}

std::uint64_t estimate_memory_bytes(const Scenario& s) {
  const auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(s.population, 0));
  // The population holds 11 bytes per agent (age, home, daytime place and
  // seat) and 4 per place; the simulation 12 per agent (and 2 more with
  // vaccination, 1/8 with testing). The lists of cases
  // (events, the community's lists by onset, pending walks) hold about 4 + 4
  // + 24 bytes per case in flight; 16 bytes per agent covers half the
  // population in flight at once, which no wave of an epidemic reaches. The
  // 64 MiB cover the per-thread buffers, tables and the day's small lists.
  const std::uint64_t places = n / std::max<std::int64_t>(1, std::min(s.class_size, s.office_size));
  return n * (11 + 14 + 16) + places * 4 + (std::uint64_t{64} << 20);
}

}  // namespace outbreak::engine
