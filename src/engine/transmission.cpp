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

// The first successful cell at or after `from` with the walk's largest daily
// probability, or cells() if none is left. The draw is keyed by `from`,
// which only grows along a walk.
std::uint32_t Simulation::Impl::next_cell(const Walk& w, Route route, std::uint32_t from) const {
  const std::uint32_t end = cells(w);
  if (from >= end) return end;
  const double log_q = w.log_q;
  if (std::isinf(log_q)) return from;  // a daily probability of 1
  const Draw d = philox(seed_, w.source, 0, purpose_of(w, route), from);
  const double u = 1 - to_unit(d.v[0], d.v[1]);  // in (0, 1]
  // Most walks have no success at all; settle those with one comparison.
  if (from == 0 && u <= det_exp(log_q * end)) return end;
  const std::uint64_t gap = geometric_gap(u, 1 / log_q, end - from);
  return from + static_cast<std::uint32_t>(gap);
}

// Thinning: a candidate success on day t stands with probability (that
// day's probability) / (the walk's largest), so that each cell succeeds with
// exactly that day's probability.
bool Simulation::Impl::keep(const Walk& w, Route route, std::int16_t t) const {
  if (history_.flat_profile()) return true;
  const double weight = history_.profile(t - w.onset);
  const double log_q = w.log_q;
  double ratio = weight;  // the limit for a daily probability of 1
  if (!std::isinf(log_q)) ratio = (1 - det_exp(weight * log_q)) / (1 - det_exp(log_q));
  if (ratio >= 1) return true;
  const Draw d = philox(seed_, w.source, 1, purpose_of(w, route), w.cell);
  return to_unit(d.v[0], d.v[1]) < ratio;
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
    w.cell = next_cell(w, route, 0);
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
  if (s.quarantine_until > t || (s.flags & kInHospital)) return false;
  if (!s_.symptomatic_isolation || (s.flags & kAsymptomatic)) return true;
  const int e = t - s.infected;
  return e < s.incubation || e >= s.end;
}

void Simulation::Impl::queue(const Walk& w, Route route, Tally& tally) {
  auto& ring = tally.walks[static_cast<int>(route)];
  std::vector<Walk>& slot = ring[ring_slot(day_of(w), ring.size())];
  grow_for(slot, 1);
  slot.push_back(w);
}

// Takes today's successes of the route's walks: on_hit(walk, target, tally)
// decides, then each walk moves on to its next success.
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
  const auto target_of = [&](const Walk& w) {
    const std::uint32_t index = w.first + w.cell % w.size;
    return route == Route::kHome ? index : pop_.seat(index);
  };
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
            const AgentId target = target_of(w);
            if (target != w.source) on_hit(w, target, tally);
            w.cell = next_cell(w, route, w.cell + 1);
          }
          if (w.cell < cells(w)) queue(w, route, tally);
        }
      });
    });
  }
}

void Simulation::Impl::transmit_at_home(std::int16_t t) {
  walk(Route::kHome, t, [&](const Walk& w, AgentId target, Tally& tally) {
    if (agents_[target].infected != kNever) return;
    if (agents_[w.source].flags & kInHospital) return;
    if (!keep(w, Route::kHome, t)) return;
    tally.hits.push_back((Hit{target} << 32) | w.source);
  });
}

void Simulation::Impl::transmit_at_places(std::int16_t t) {
  walk(Route::kDay, t, [&](const Walk& w, AgentId target, Tally& tally) {
    const AgentState& s = agents_[target];
    if (s.infected != kNever || s.quarantine_until > t) return;
    if (!at_place(w.source, t)) return;
    if (!keep(w, Route::kDay, t)) return;
    tally.hits.push_back((Hit{target} << 32) | w.source);
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
    InfectionRoute how = InfectionRoute::kHome;
    if (route == Route::kDay) {
      how = pop_.is_class(pop_.place_of(source)) ? InfectionRoute::kSchool : InfectionRoute::kWork;
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
  if (!(total > 0)) return;
  const double contact = std::min(1.0, s_.community_infection_risk * total /
                                           static_cast<double>(circulating));
  const double p = 1 - none_succeed(contact, static_cast<std::uint64_t>(s_.community_contacts));
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
                       if (s.infected != kNever || s.quarantine_until > t) return;
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
