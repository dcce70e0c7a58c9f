// Transmission at home and at work (walks) and in the community; see
// simulation_impl.hpp.
#include <algorithm>

#include "simulation_impl.hpp"

namespace outbreak::engine {

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
  w.start = static_cast<std::int16_t>(infected_day_[a] + latent_days_);
  w.reduced = (flags_[a] & kAsymptomatic) ? 1 : 0;
  // A place where the agent is alone has nobody to infect: no walk.
  w.first = pop_.home_begin(a);
  w.size = static_cast<std::uint16_t>(pop_.home_size(a));
  if (members(w, Route::kHome) > 1) {
    w.cell = next_cell(w, Route::kHome, 0);
    if (w.cell < cells(w, Route::kHome)) queue(w, Route::kHome, tally);
  }
  const PlaceId office = pop_.place_of(a);
  if (office == kNoPlace) return;
  w.first = pop_.place_begin(office);
  w.size = static_cast<std::uint16_t>(pop_.place_size(office));
  if (members(w, Route::kWork) > 1) {
    w.cell = next_cell(w, Route::kWork, 0);
    if (w.cell < cells(w, Route::kWork)) queue(w, Route::kWork, tally);
  }
}

bool Simulation::Impl::at_work(AgentId a, std::int16_t t) const {
  if (quarantine_until_[a] > t) return false;
  if (!s_.symptomatic_isolation) return true;
  const bool symptomatic =
      (flags_[a] & kAsymptomatic) == 0 && t - infected_day_[a] >= incubation_days_;
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

}  // namespace outbreak::engine
