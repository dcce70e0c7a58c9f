// Transmission at home and at the daytime place (walks) and in the
// community; see simulation_impl.hpp.
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <cmath>

#include "simulation_impl.hpp"

namespace outbreak::engine {
namespace {

Purpose purpose_of(const Walk& w, Route route) {
  if (route == Route::kHome) return Purpose::kHomeTransmission;
  return w.school ? Purpose::kSchoolTransmission : Purpose::kWorkTransmission;
}

}  // namespace

// The bound on the profile weight of a walk's day `day_offset` (from its
// start): 1 in the profile's core, its outer bound elsewhere.
double Simulation::Impl::weight_bound(const Walk& w, std::uint32_t day_offset) const {
  const int offset = w.start + static_cast<int>(day_offset) - w.onset;
  if (offset >= history_.core_begin() && offset <= history_.core_end()) return 1;
  return history_.outer_bound();
}

// Moves the walk to its first candidate cell at or after `from` (or to
// cells() if none is left), with the word that will decide its thinning.
// Candidates come at the daily probability of the day's weight bound, so the
// rate is piecewise constant over the grid; one uniform u places the next
// candidate by inverting the cumulative log-survival, segment by segment
// (exact: log u is spent over the cells it survives). The draw is keyed by
// `from`, which only grows along a walk.
void Simulation::Impl::advance(Walk& w, Route route, std::uint32_t from) const {
  const std::uint32_t end = cells(w);
  w.cell = end;
  if (from >= end) return;
  const double log_q = w.log_q;
  const Draw d = philox(seed_, w.source, 0, purpose_of(w, route), from);
  w.accept = d.v[2];
  if (std::isinf(log_q)) {  // a daily probability of 1: every cell is a candidate
    w.cell = from;
    return;
  }
  double budget = det_log(1 - to_unit(d.v[0], d.v[1]));  // log u, u in (0, 1]
  std::uint32_t cell = from;
  while (cell < end) {
    const std::uint32_t day = cell / w.size;
    const std::uint32_t day_end = std::min(end, (day + 1) * w.size);
    // Extend the segment over the following days with the same bound.
    const double bound = weight_bound(w, day);
    std::uint32_t segment_end = day_end;
    while (segment_end < end && weight_bound(w, segment_end / w.size) == bound) {
      segment_end = std::min(end, segment_end + w.size);
    }
    const double rate = log_q * bound;  // log(1 - p) per cell here, < 0
    const double spent = rate * (segment_end - cell);
    if (budget < spent) {  // survives the whole segment
      budget -= spent;
      cell = segment_end;
      continue;
    }
    const std::uint64_t gap = geometric_gap_from_log(budget, 1 / rate, segment_end - cell);
    w.cell =
        cell + static_cast<std::uint32_t>(std::min<std::uint64_t>(gap, segment_end - cell - 1));
    return;
  }
}

// Thinning: a candidate on day t stands with probability (that day's
// probability) / (the probability it was drawn with), so that each cell
// succeeds with exactly that day's probability.
bool Simulation::Impl::keep(const Walk& w, std::int16_t t) const {
  if (history_.flat_profile()) return true;
  const double weight = history_.profile(t - w.onset);
  const double bound = weight_bound(w, static_cast<std::uint32_t>(t - w.start));
  if (weight >= bound) return true;
  const double log_q = w.log_q;
  const double ratio =
      std::isinf(log_q) ? weight : det_expm1(weight * log_q) / det_expm1(bound * log_q);
  return static_cast<double>(w.accept) * 0x1.0p-32 < ratio;
}

// Called on the day a becomes infectious: draws the first success of its
// home and daytime-place walks.
void Simulation::Impl::start_walks(AgentId a, std::int16_t t, Tally& tally) {
  const AgentState& s = agents_[a];
  double m = history_.multiplier(s.slice);
  if (s.flags & kAsymptomatic) m *= s_.asymptomatic_infectiousness;
  Walk w{};
  w.source = a;
  w.start = t;
  w.onset = static_cast<std::int16_t>(s.infected + s.incubation);
  w.days = static_cast<std::uint8_t>(s.end - s.latent);
  // A place where the agent is alone has nobody to infect: no walk.
  const auto begin = [&](double log_escape, std::uint32_t first, std::uint32_t size, Route route) {
    w.first = first;
    w.size = static_cast<std::uint16_t>(size);
    w.log_q = static_cast<float>(m * log_escape);
    if (size <= 1 || !(w.log_q < 0)) return;
    advance(w, route, 0);
    if (w.cell < cells(w)) queue(w, route, tally);
  };
  begin(log_escape_[0], pop_.home_begin(a), pop_.home_size(a), Route::kHome);
  const PlaceId place = pop_.place_of(a);
  if (place == kNoPlace) return;
  w.school = pop_.is_class(place) ? 1 : 0;
  begin(log_escape_[w.school ? 2 : 1], pop_.place_begin(place), pop_.place_size(place),
        Route::kDay);
}

// Whether agent a is at its school or workplace on day t.
bool Simulation::Impl::at_place(AgentId a, std::int16_t t) const {
  const AgentState& s = agents_[a];
  if (s.quarantine_until > t || s.isolate_until > t || (s.flags & kInHospital)) return false;
  return !place_closed(pop_.place_of(a), t);
}

void Simulation::Impl::queue(const Walk& w, Route route, Tally& tally) {
  auto& ring = tally.walks[static_cast<int>(route)];
  std::vector<Walk>& slot = ring[ring_slot(day_of(w), ring.size())];
  grow_for(slot, 1);
  slot.push_back(w);
}

// Takes today's successes of the route's walks: on_hit(walk, tally) decides
// (the walk's cell names the target) and returns false when the walk can
// infect nobody any more; otherwise the walk moves on to its next success.
template <typename OnHit>
void Simulation::Impl::walk(Route route, std::int16_t t, const OnHit& on_hit) {
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
  const auto target_of = [&](const Walk& w) { return this->target_of(w, route); };
  for (const std::vector<Walk>& due : batches) {
    arena_.execute([&] {
      tbb::parallel_for(tbb::blocked_range<std::size_t>(0, due.size(), 256), [&](const auto& r) {
        Tally& tally = tallies_.local();
        for (std::size_t i = r.begin(); i != r.end(); ++i) {
          if (route == Route::kDay && i + 16 < r.end()) {
            const Walk& ahead = due[i + 16];
            __builtin_prefetch(pop_.seat_address(ahead.first + ahead.cell % ahead.size));
            __builtin_prefetch(&agents_[ahead.source]);
          }
          if (i + 8 < r.end()) __builtin_prefetch(&agents_[target_of(due[i + 8])]);
          Walk w = due[i];
          const auto today_end = static_cast<std::uint32_t>((t - w.start + 1) * w.size);
          while (w.cell < today_end) {
            if (!on_hit(w, tally)) {
              w.cell = cells(w);  // nobody left to infect: the walk ends
              break;
            }
            advance(w, route, w.cell + 1);
          }
          if (w.cell < cells(w)) queue(w, route, tally);
        }
      });
    });
  }
}

bool Simulation::Impl::someone_susceptible(const Walk& w) const {
  for (std::uint32_t i = 0; i < w.size; ++i) {
    if (agents_[w.first + i].infected == kNever) return true;
  }
  return false;
}

void Simulation::Impl::transmit_at_home(std::int16_t t) {
  // Thinning first: it needs no memory, and rejects half the candidates.
  walk(Route::kHome, t, [&](const Walk& w, Tally& tally) {
    if (!keep(w, t)) return true;
    const AgentId target = target_of(w, Route::kHome);
    if (target == w.source) return true;
    // A home is a few consecutive agents: once none is susceptible, the walk
    // is over (infections are never undone, so this changes no outcome).
    if (agents_[target].infected != kNever) return someone_susceptible(w);
    const AgentState& source = agents_[w.source];
    if (source.flags & kInHospital) return true;
    if (source.isolate_until > t) {  // isolating: housemates are less exposed
      const double factor = policy_[static_cast<std::size_t>(t)].household_factor;
      if (factor < 1 && !bernoulli(philox(seed_, w.source, static_cast<std::uint32_t>(t),
                                          Purpose::kHouseholdFactor, target),
                                   factor)) {
        return true;
      }
    }
    tally.hits.push_back((Hit{target} << 32) | w.source);
    return true;
  });
}

void Simulation::Impl::transmit_at_places(std::int16_t t) {
  walk(Route::kDay, t, [&](const Walk& w, Tally& tally) {
    if (!keep(w, t)) return true;
    const AgentId target = target_of(w, Route::kDay);
    if (target == w.source) return true;
    const AgentState& s = agents_[target];
    if (s.infected != kNever || s.quarantine_until > t || s.isolate_until > t) return true;
    if (!at_place(w.source, t)) return true;
    const double factor = policy_[static_cast<std::size_t>(t)].work_factor;
    if (!w.school && factor < 1 &&
        !bernoulli(
            philox(seed_, w.source, static_cast<std::uint32_t>(t), Purpose::kWorkFactor, target),
            factor)) {
      return true;
    }
    tally.hits.push_back((Hit{target} << 32) | w.source);
    return true;
  });
}

// Infects the targets of today's hits of one route. A target hit by several
// sources is infected once, by the smallest source id, whatever the order
// in which the threads found the hits.
void Simulation::Impl::settle_hits(Route route, std::int16_t t) {
  std::vector<Hit> hits;
  for (Tally& x : tallies_) append(hits, x.hits);
  tbb::parallel_sort(hits.begin(), hits.end());
  std::vector<Hit> first;
  first.reserve(hits.size());
  for (std::size_t i = 0; i < hits.size(); ++i) {
    if (i == 0 || (hits[i] >> 32) != (hits[i - 1] >> 32)) first.push_back(hits[i]);
  }
  std::vector<Hit>().swap(hits);
  parallel_each(first, 256, [&](Hit hit, Tally& tally) {
    const auto target = static_cast<AgentId>(hit >> 32);
    const auto source = static_cast<AgentId>(hit);
    if (vaccine_ != nullptr && blocked_by_vaccine(target, t)) return;
    InfectionRoute how = InfectionRoute::kHome;
    if (route == Route::kDay) {
      how = pop_.is_class(pop_.place_of(source)) ? InfectionRoute::kSchool : InfectionRoute::kWork;
    } else if (route == Route::kCommunity) {
      how = InfectionRoute::kCommunity;
    }
    infect(target, t, source, how, tally);
  });
  fold(t);
}

// Each of an agent's community_contacts daily contacts is with a random agent
// out and about today; it transmits with community_infection_risk times the
// contact's infectiousness that day.
void Simulation::Impl::transmit_in_community(std::int16_t t) {
  const std::int64_t dead = today_.dead + deltas_[kDeadDelta][ring_slot(t, kRing)];
  const std::int64_t circulating = s_.population - dead - quarantined_ - away_;
  if (circulating <= 0 || s_.community_contacts == 0) return;
  // Today's weight of each (onset day, bucket): the sampling table for infectors.
  cumulative_.clear();
  cumulative_index_.clear();
  double total = 0;
  for (std::int64_t onset = t - after_onset_max_; onset <= t + NaturalHistory::kMaxStageDays;
       ++onset) {
    if (onset < 0) continue;
    const double profile = history_.profile(static_cast<int>(t - onset));
    for (int b = 0; b < NaturalHistory::kBuckets; ++b) {
      const std::size_t i = weight_index(onset, NaturalHistory::bucket_begin(b));
      if (weights_[i] == 0) continue;
      total += profile * static_cast<double>(weights_[i]) / kWeightUnit;
      cumulative_.push_back(total);
      cumulative_index_.push_back(i);
    }
  }
  const double factor = policy_[static_cast<std::size_t>(t)].community_factor;
  if (by_source_) {
    transmit_by_source(t, static_cast<double>(s_.community_contacts) * factor *
                              static_cast<double>(n_) / static_cast<double>(circulating));
    return;
  }
  if (!(total > 0)) return;
  const double contact =
      std::min(1.0, s_.community_infection_risk * total / static_cast<double>(circulating));
  const double p =
      factor == 1
          ? 1 - none_succeed(contact, static_cast<std::uint64_t>(s_.community_contacts))
          : -det_expm1(static_cast<double>(s_.community_contacts) * factor * det_log1p(-contact));
  if (!(p > 0)) return;
  std::vector<std::uint32_t> blocks((std::size_t{n_} + kCommunityBlock - 1) / kCommunityBlock);
  for (std::size_t b = 0; b < blocks.size(); ++b) blocks[b] = static_cast<std::uint32_t>(b);
  parallel_each(blocks, 1, [&](std::uint32_t block, Tally& tally) {
    const AgentId begin = block * kCommunityBlock;
    const std::uint32_t n = std::min<std::uint32_t>(kCommunityBlock, n_ - begin);
    for_each_success(seed_, block, static_cast<std::uint32_t>(t), Purpose::kCommunityTransmission,
                     p, n, [&](std::uint64_t j) {
                       const AgentId a = begin + static_cast<AgentId>(j);
                       const AgentState& s = agents_[a];
                       if (s.infected != kNever || s.quarantine_until > t || s.isolate_until > t) {
                         return;
                       }
                       if (vaccine_ != nullptr && blocked_by_vaccine(a, t)) return;
                       infect(a, t, community_infector(a, t), InfectionRoute::kCommunity, tally);
                     });
  });
}

// The source of target's community infection on day t: an agent out and
// about and infectious today, drawn in proportion to its infectiousness
// today. First an (onset day, bucket) by today's weights, then a member of
// its list by rejection against the bucket's largest multiplier.
AgentId Simulation::Impl::community_infector(AgentId target, std::int16_t t) const {
  const auto day = static_cast<std::uint32_t>(t);
  const Draw pick = philox(seed_, target, day, Purpose::kInfector, 0);
  const double x = to_unit(pick.v[0], pick.v[1]) * cumulative_.back();
  const auto k = static_cast<std::size_t>(
      std::upper_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin());
  const std::size_t index = cumulative_index_[std::min(k, cumulative_.size() - 1)];
  const std::vector<AgentId>& list = by_onset_[index];
  const int bucket = static_cast<int>(index % NaturalHistory::kBuckets);
  const double limit = history_.bucket_max(bucket) * kWeightUnit;
  constexpr std::uint32_t kTries = 1u << 20;
  for (std::uint32_t attempt = 1; attempt <= kTries; ++attempt) {
    const Draw d = philox(seed_, target, day, Purpose::kInfector, attempt);
    const AgentId a = list[uniform_below(d, list.size())];
    if ((agents_[a].flags & kCountedOut) == 0) continue;
    if (to_unit(d.v[2], d.v[3]) * limit < static_cast<double>(weight_of(a))) return a;
  }
  // Not reached while the weights match the flags; a deterministic answer
  // all the same: the first member out and about.
  for (AgentId a : list) {
    if (agents_[a].flags & kCountedOut) return a;
  }
  return kNoInfector;
}

}  // namespace outbreak::engine

namespace outbreak::engine {

// How many community contacts agent a makes on `day` (drawn from the
// infectious side): the day's mean, rounded up or down at random.
std::uint32_t Simulation::Impl::contacts_made(AgentId a, std::int64_t day) const {
  const double mean = policy_[static_cast<std::size_t>(day)].contacts;
  const double whole = std::floor(mean);
  const Draw d = philox(seed_, a, static_cast<std::uint32_t>(day), Purpose::kContactCount, 0);
  return static_cast<std::uint32_t>(whole) + (bernoulli(d, mean - whole) ? 1 : 0);
}

// The agent a's j-th community contact on `day` is with: anyone, uniformly;
// the contact happens only if that agent is out and about that day.
AgentId Simulation::Impl::contact_partner(AgentId a, std::int64_t day, std::uint32_t j) const {
  return static_cast<AgentId>(uniform_below(
      philox(seed_, a, static_cast<std::uint32_t>(day), Purpose::kContactPartner, j), n_));
}

// Community transmission drawn from the infectious side, used when an app
// traces community contacts (which needs each contact to have an identity):
// every infectious agent out and about makes contacts_made() contacts with
// agents drawn uniformly, and each transmits with the agent's infectiousness
// times community_infection_risk. `contacts` is scaled by population /
// agents out and about, so that the contacts that happen (with agents out
// and about) average community_contacts x factor, as in the target-side
// draw: both draws give the same expected infections.
void Simulation::Impl::transmit_by_source(std::int16_t t, double contacts) {
  policy_[static_cast<std::size_t>(t)].contacts = contacts;
  // Today's lists with someone out and about in them, with today's profile.
  struct Chunk {
    const std::vector<AgentId>* list;
    std::size_t begin;
    std::size_t end;
    double profile;
  };
  std::vector<Chunk> chunks;
  constexpr std::size_t kChunk = 2048;
  for (std::int64_t onset = t - after_onset_max_; onset <= t + NaturalHistory::kMaxStageDays;
       ++onset) {
    if (onset < 0) continue;
    const double profile = history_.profile(static_cast<int>(t - onset));
    for (int b = 0; b < NaturalHistory::kBuckets; ++b) {
      const std::size_t i = weight_index(onset, NaturalHistory::bucket_begin(b));
      if (weights_[i] == 0) continue;
      const std::vector<AgentId>& list = by_onset_[i];
      for (std::size_t from = 0; from < list.size(); from += kChunk) {
        chunks.push_back({&list, from, std::min(list.size(), from + kChunk), profile});
      }
    }
  }
  const double risk = s_.community_infection_risk;
  parallel_each(chunks, 1, [&](const Chunk& c, Tally& tally) {
    for (std::size_t k = c.begin; k < c.end; ++k) {
      if (k + 16 < c.end) __builtin_prefetch(&agents_[(*c.list)[k + 16]]);
      const AgentId a = (*c.list)[k];
      if ((agents_[a].flags & kCountedOut) == 0) continue;
      const double q =
          std::min(1.0, risk * c.profile * static_cast<double>(weight_of(a)) / kWeightUnit);
      const std::uint32_t made = contacts_made(a, t);
      for_each_success(
          seed_, a, static_cast<std::uint32_t>(t), Purpose::kSourceContact, q, made,
          [&](std::uint64_t j) {
            const AgentId b = contact_partner(a, t, static_cast<std::uint32_t>(j));
            const AgentState& s = agents_[b];
            if (b == a || s.infected != kNever || s.quarantine_until > t || s.isolate_until > t) {
              return;
            }
            tally.touched = true;
            tally.hits.push_back((Hit{b} << 32) | a);
          });
    }
  });
  settle_hits(Route::kCommunity, t);
}

}  // namespace outbreak::engine
