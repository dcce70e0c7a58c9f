// The day loop, the disease course and the community counts; see
// simulation_impl.hpp for how the engine works.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "simulation_impl.hpp"

namespace outbreak::engine {

Simulation::Impl::Impl(const Scenario& scenario, Population population, std::uint64_t seed,
                       int threads)
    : s_(scenario),
      pop_(std::move(population)),
      seed_(seed),
      arena_(threads > 0 ? threads : tbb::task_arena::automatic),
      latent_days_(static_cast<int>(std::lround(scenario.latent_days))),
      incubation_days_(static_cast<int>(std::lround(scenario.incubation_days))),
      sick_days_(static_cast<int>(std::lround(scenario.sick_days))),
      asymptomatic_fraction_(scenario.asymptomatic_fraction.value_or(0.3)),
      mortality_rate_(scenario.mortality_rate.value_or(0.01)),
      n_(pop_.size()),
      tallies_([&] {
        Tally exemplar;
        exemplar.end_delta.assign(static_cast<std::size_t>(scenario.isolation_days) + 2, 0);
        for (auto& ring : exemplar.walks)
          ring.resize(static_cast<std::size_t>(std::lround(scenario.sick_days)) + 1);
        return exemplar;
      }()) {
  if (!validate(s_).empty()) throw std::invalid_argument("Simulation: invalid scenario");
  if (static_cast<std::int64_t>(n_) != s_.population) {
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
  const auto days = static_cast<std::size_t>(sick_days_) + 1;
  cohorts_.resize(days);
  trace_queue_.resize(static_cast<std::size_t>(s_.tracing_delay_days) + 1);
  releases_.resize(static_cast<std::size_t>(s_.isolation_days) + 2);
  quarantine_ends_.assign(static_cast<std::size_t>(s_.days + s_.isolation_days) + 3, 0);
  seed_initial_infections();
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
  // One route after the other, so that an agent reached by two routes on
  // the same day is counted where the earlier one found it.
  transmit_at_home(t);
  transmit_at_work(t);
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
  if (Cohort* ending = cohort(t - sick_days_)) {
    each_agent(ending->agents, [&](AgentId a, Tally& tally) { resolve(a, t, tally); });
    std::vector<AgentId>().swap(ending->agents);  // as for the walks: no peak-sized slots
    ending->symptomatic_course = 0;
  }
  if (Cohort* infectious = cohort(t - latent_days_)) {
    each_agent(infectious->agents, [&](AgentId a, Tally& tally) {
      sync(a, t, tally);
      if (quarantine_until_[a] > t) tally.released.push_back(a);
      start_walks(a, tally);
    });
  }
  // Symptom onset changes nothing unless it triggers tracing or isolation.
  const bool tracing = s_.contact_tracing && s_.isolation_days > 0;
  Cohort* onset = cohort(t - incubation_days_);
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
  const bool infectious = infected_day_[a] != kNever && elapsed >= latent_days_ &&
                          elapsed < sick_days_ && (flags & kDead) == 0;
  const bool reduced = (flags & kAsymptomatic) != 0;
  const bool symptomatic = infectious && !reduced && elapsed >= incubation_days_;
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
                    bernoulli(philox(seed_, a, 0, Purpose::kDeath, 0), mortality_rate_);
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
  if (bernoulli(d, asymptomatic_fraction_)) {
    flags_[a] = kAsymptomatic;
  } else {
    flags_[a] = 0;
    ++tally.counts.new_symptomatic_course;
  }
  tally.infected.push_back(a);
  return true;
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
  for (std::int64_t elapsed = 0; elapsed < sick_days_ && elapsed <= t; ++elapsed) {
    const Cohort& c = *cohort(t - elapsed);
    const auto size = static_cast<std::int64_t>(c.agents.size());
    (elapsed < latent_days_ ? d.exposed : d.infectious) += size;
    if (elapsed >= incubation_days_) d.symptomatic += c.symptomatic_course;
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
const AgeTotals& Simulation::age_totals() const { return impl_->age_totals(); }
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
  const std::uint64_t walks = n + employed;
  const std::uint64_t lists = n * 4 + walks * sizeof(Walk);
  return n * (5 + 4) + employed * 4 + lists + lists / 4 + (std::uint64_t{64} << 20);
}

}  // namespace outbreak::engine
