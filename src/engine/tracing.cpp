// Contact tracing and quarantine; see simulation_impl.hpp.
#include <vector>

#include "simulation_impl.hpp"

namespace outbreak::engine {

// Index cases detected tracing_delay_days ago have every living member of
// their home and office quarantined from tomorrow for isolation_days days.
void Simulation::Impl::trace(std::int16_t t) {
  std::vector<AgentId>& due = trace_queue_[ring_slot(t, trace_queue_.size())];
  if (due.empty()) return;
  const auto until = static_cast<std::int16_t>(t + 1 + s_.isolation_days);
  // Each place once, so that every agent is written by one thread per pass.
  std::vector<PlaceId> places;
  places.reserve(due.size());
  for (AgentId a : due) places.push_back(pop_.home_begin(a));
  sort_unique(places);
  parallel_each(places, 64, [&](AgentId first, Tally& tally) {
    for (AgentId a = first; a < pop_.home_end(first); ++a) quarantine(a, t, until, tally);
  });
  places.clear();
  for (AgentId a : due) {
    if (pop_.place_of(a) != kNoPlace) places.push_back(pop_.place_of(a));
  }
  sort_unique(places);
  parallel_each(places, 8, [&](PlaceId o, Tally& tally) {
    for (AgentId a : pop_.place_members(o)) quarantine(a, t, until, tally);
  });
  due.clear();
}

void Simulation::Impl::quarantine(AgentId a, std::int16_t t, std::int16_t until, Tally& tally) {
  AgentState& s = agents_[a];
  if (s.flags & kDead) return;
  const std::int16_t previous = s.quarantine_until;
  if (previous >= until) return;  // already quarantined by another place today
  if (previous > t + 1) {
    --tally.end_delta[static_cast<std::size_t>(previous - t)];  // extended
  } else {
    ++tally.counts.quarantine_new;
  }
  ++tally.end_delta[static_cast<std::size_t>(until - t)];
  s.quarantine_until = until;
  if (s.infected != kNever) {
    sync(a, static_cast<std::int16_t>(t + 1), tally);
    tally.released.push_back(a);
  }
}

}  // namespace outbreak::engine
