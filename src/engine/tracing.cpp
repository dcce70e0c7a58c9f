// Contact tracing and quarantine; see simulation_impl.hpp and
// docs/model.md#contact-tracing.
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "simulation_impl.hpp"

namespace outbreak::engine {

// The index cases due today, item by item (an item no longer in force
// traces nobody).
void Simulation::Impl::trace(std::int16_t t) {
  std::vector<TraceEntry>& due = trace_queue_[ring_slot(t, kTraceRing)];
  if (due.empty()) return;
  std::sort(due.begin(), due.end(), [](const TraceEntry& x, const TraceEntry& y) {
    return std::tie(x.item, x.agent, x.step) < std::tie(y.item, y.agent, y.step);
  });
  due.erase(std::unique(due.begin(), due.end()), due.end());
  const std::array<std::uint64_t, 2>& active = policy_[static_cast<std::size_t>(t)].active;
  std::vector<TraceEntry> entries;
  for (std::size_t i = 0; i < due.size();) {
    const std::uint16_t k = due[i].item;
    entries.clear();
    for (; i < due.size() && due[i].item == k; ++i) entries.push_back(due[i]);
    if (((active[k / 64] >> (k % 64)) & 1) == 0) continue;
    const Intervention& x = items_[k];
    if (x.choice(item::kMode) == item::kPlaces) {
      trace_places(t, entries, x);
    } else {
      trace_contacts(t, entries, x);
    }
  }
  due.clear();
}

// Mode "places" (the original model): every living member of the index
// cases' homes and daytime places, the cases included, stays home from
// tomorrow for quarantine_days days.
void Simulation::Impl::trace_places(std::int16_t t, const std::vector<TraceEntry>& entries,
                                    const Intervention& x) {
  const auto days = static_cast<std::int64_t>(x[item::kQuarantineDays]);
  const double compliance = x[item::kQuarantineCompliance];
  const auto send_home = [&](AgentId a, Tally& tally) {
    if (compliance < 1 && !bernoulli(philox(seed_, a, static_cast<std::uint32_t>(t),
                                            Purpose::kQuarantineCompliance, 0),
                                     compliance)) {
      return;
    }
    const auto until =
        static_cast<std::int16_t>(t + 1 + stay_until(a, t, Purpose::kQuarantineDropout, x, days));
    if (quarantine(a, t, until, tally)) ++tally.counts.traced;
  };
  // Each place once, so that every agent is written by one thread per pass.
  std::vector<PlaceId> places;
  places.reserve(entries.size());
  for (const TraceEntry& e : entries) places.push_back(pop_.home_begin(e.agent));
  sort_unique(places);
  parallel_each(places, 64, [&](AgentId first, Tally& tally) {
    for (AgentId a = first; a < pop_.home_end(first); ++a) send_home(a, tally);
  });
  places.clear();
  for (const TraceEntry& e : entries) {
    if (pop_.place_of(e.agent) != kNoPlace) places.push_back(pop_.place_of(e.agent));
  }
  sort_unique(places);
  parallel_each(places, 8, [&](PlaceId o, Tally& tally) {
    for (AgentId a : pop_.place_members(o)) send_home(a, tally);
  });
}

// Mode "contacts": the index cases' contacts are found in parallel, then
// each contact found is told once (the longest quarantine wins).
void Simulation::Impl::trace_contacts(std::int16_t t, const std::vector<TraceEntry>& entries,
                                      const Intervention& x) {
  parallel_each(entries, 16,
                [&](const TraceEntry& e, Tally& tally) { find_contacts(e, t, x, tally); });
  // Place mates: each place once, for all of its index cases. A mate is
  // found by each other index case there with probability `coverage`, so
  // with 1 - (1 - coverage)^k for k of them (one draw, keyed by the place),
  // if it has not been at home since before the last day one of them was
  // there.
  std::vector<PlaceVisit> visits;
  for (Tally& tally : tallies_) append(visits, tally.visits);
  std::sort(visits.begin(), visits.end());
  std::vector<std::pair<std::size_t, std::size_t>> groups;  // [begin, end) in visits
  for (std::size_t i = 0; i < visits.size();) {
    std::size_t j = i;
    while (j < visits.size() && visits[j].place == visits[i].place) ++j;
    groups.emplace_back(i, j);
    i = j;
  }
  const double coverage = x[item::kCoverage];
  const auto until = static_cast<std::int16_t>(t + 1 + x[item::kQuarantineDays]);
  const auto item_id = static_cast<std::uint16_t>(&x - items_.data());
  parallel_each(groups, 1, [&](const std::pair<std::size_t, std::size_t>& g, Tally& tally) {
    const auto begin = visits.begin() + static_cast<std::ptrdiff_t>(g.first);
    const auto end = visits.begin() + static_cast<std::ptrdiff_t>(g.second);
    const PlaceId place = begin->place;
    std::int16_t last_present = 0;
    std::uint8_t step = 1;
    for (auto v = begin; v != end; ++v) {
      last_present = std::max(last_present, v->last_present);
      step = std::min(step, v->step);
    }
    const auto count = static_cast<double>(end - begin);
    const auto found_by = [&](double k) {
      return coverage >= 1 ? 1.0 : 1 - std::pow(1 - coverage, k);
    };
    const double by_all = found_by(count);
    const double by_others = found_by(count - 1);
    const std::span<const AgentId> mates = pop_.place_members(place);
    tally.touched = true;
    for (std::size_t i = 0; i < mates.size(); ++i) {
      // Mates are anywhere in memory: ask for their state early, so that
      // the cache misses overlap.
      if (i + 16 < mates.size()) __builtin_prefetch(&agents_[mates[i + 16]]);
      const AgentId b = mates[i];
      const bool index = std::any_of(begin, end, [&](const PlaceVisit& v) { return v.index == b; });
      if (index && count == 1) continue;  // its only index case
      const double p = index ? by_others : by_all;
      // The draw first: it needs no memory.
      if (!bernoulli(philox(seed_, b, static_cast<std::uint32_t>(t), Purpose::kTraceFind,
                            place | 0x8000'0000u),
                     p)) {
        continue;
      }
      const AgentState& s = agents_[b];
      if ((s.flags & (kDead | kInHospital)) != 0) continue;
      if (std::max(s.quarantine_until, s.isolate_until) > last_present) continue;
      tally.notices.push_back({b, until, item_id, step, false});
    }
  });
  std::vector<Notice> notices;
  for (Tally& tally : tallies_) append(notices, tally.notices);
  arena_.execute([&] { tbb::parallel_sort(notices.begin(), notices.end()); });
  std::vector<Notice> unique;
  unique.reserve(notices.size());
  for (const Notice& n : notices) {
    if (!unique.empty() && unique.back().agent == n.agent) {
      // Sorted: the last of an agent's notices has the latest `until`.
      unique.back() = n;
    } else {
      unique.push_back(n);
    }
  }
  parallel_each(unique, 64, [&](const Notice& n, Tally& tally) { notify(n, t, tally); });
}

// Whether agent a was at its daytime place on a past `day`, judged by the
// place's closure that day and the agent's present state: not in hospital
// or dead, not in quarantine (taken to cover the day), and, for an index
// case (which isolated from its symptom onset, if it did), before that.
bool Simulation::Impl::present_at_place(AgentId a, std::int64_t day, bool index) const {
  const AgentState& s = agents_[a];
  if (s.flags & (kDead | kInHospital)) return false;
  if (place_closed(pop_.place_of(a), day)) return false;
  if (index) {
    if ((s.flags & kIsolatedAtOnset) && day >= s.infected + s.incubation) return false;
    return true;
  }
  return s.quarantine_until <= day && s.isolate_until <= day;
}

// Whether agent a was out and about in the community on a past `day` (as
// present_at_place, without the place).
bool Simulation::Impl::out_on(AgentId a, std::int64_t day) const {
  const AgentState& s = agents_[a];
  if (s.flags & kDead) return false;
  if ((s.flags & kIsolatedAtOnset) && day >= s.infected + s.incubation && day < s.isolate_until) {
    return false;
  }
  return true;
}

// The contacts of index case e over the lookback window, the days before
// its result (or, in the second step, before it was told): housemates and
// place mates found with probability coverage, and, when both use the app,
// the community contacts it made, drawn again with the keys that drew them
// for transmission (transmit_by_source).
void Simulation::Impl::find_contacts(const TraceEntry& e, std::int16_t t, const Intervention& x,
                                     Tally& tally) {
  const AgentId a = e.agent;
  const auto delay = static_cast<std::int64_t>(x[item::kTraceDelayDays]);
  const std::int64_t last = t - delay - 1;  // the day before the result
  const std::int64_t first =
      std::max<std::int64_t>(0, last + 1 - static_cast<std::int64_t>(x[item::kLookbackDays]));
  const auto until = static_cast<std::int16_t>(t + 1 + x[item::kQuarantineDays]);
  const double coverage = x[item::kCoverage];
  const Notice base{0, until, e.item, e.step, false};
  const auto found = [&](AgentId b) {
    return bernoulli(philox(seed_, b, static_cast<std::uint32_t>(t), Purpose::kTraceFind, a),
                     coverage);
  };
  tally.touched = true;
  for (AgentId b = pop_.home_begin(a); b < pop_.home_end(a); ++b) {
    if (b != a && (agents_[b].flags & kDead) == 0 && found(b)) {
      Notice n = base;
      n.agent = b;
      tally.notices.push_back(n);
    }
  }
  if (last < first) return;
  const PlaceId place = pop_.place_of(a);
  if (place != kNoPlace) {
    // The last day in the window the index case was at its place: a mate
    // was there on one of the index's days unless it has been at home since
    // before that day (present_at_place judges by the present state).
    std::int64_t last_present = -1;
    for (std::int64_t d = last; d >= first && last_present < 0; --d) {
      if (present_at_place(a, d, true)) last_present = d;
    }
    if (last_present >= 0) {
      tally.visits.push_back(
          {place, static_cast<std::int16_t>(last_present), a, static_cast<std::uint8_t>(e.step)});
    }
  }
  const double adoption = x[item::kAppAdoption];
  if (!by_source_ || adoption <= 0 || !uses_app(a, adoption)) return;
  for (std::int64_t d = first; d <= last; ++d) {
    if (!out_on(a, d)) continue;
    const std::uint32_t made = contacts_made(a, d);
    for (std::uint32_t j = 0; j < made; ++j) {
      const AgentId b = contact_partner(a, d, j);
      if (b == a || !uses_app(b, adoption) || !out_on(b, d)) continue;
      Notice n = base;
      n.agent = b;
      n.found_by_app = true;
      tally.notices.push_back(n);
    }
  }
}

// Contact n.agent, found today, is told to stay home from tomorrow; it
// complies with the item's probability and drops out at its daily rate.
void Simulation::Impl::notify(const Notice& n, std::int16_t t, Tally& tally) {
  const AgentId b = n.agent;
  if (agents_[b].flags & kDead) return;
  const Intervention& x = items_[n.item];
  ++tally.counts.traced;
  tally.touched = true;
  if (collect_) tally.case_events.push_back({b, t, CaseEventKind::kTraced});
  const double compliance = x[item::kQuarantineCompliance];
  if (compliance < 1 &&
      !bernoulli(philox(seed_, b, static_cast<std::uint32_t>(t), Purpose::kQuarantineCompliance, 0),
                 compliance)) {
    return;
  }
  const auto days = static_cast<std::int64_t>(n.until - t - 1);
  const auto until =
      static_cast<std::int16_t>(t + 1 + stay_until(b, t, Purpose::kQuarantineDropout, x, days));
  if (days > 0) quarantine(b, t, until, tally);
  if (testing_item_ >= 0 &&
      items_[static_cast<std::size_t>(testing_item_)].flag(item::kTestTracedContacts) &&
      !tested_positive(b) && t + 1 <= s_.days) {
    tally.tests.emplace_back(t + 1, b);
  }
  if (x.flag(item::kSecondStep) && n.step == 0) {
    const auto delay =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(x[item::kTraceDelayDays]));
    tally.detected.emplace_back(t + delay, TraceEntry{b, n.item, 1});
  }
}

// Agent a stays home from tomorrow until `until` (exclusive), unless a
// longer stay is already ordered. Returns whether anything changed.
bool Simulation::Impl::quarantine(AgentId a, std::int16_t t, std::int16_t until, Tally& tally) {
  AgentState& s = agents_[a];
  if (s.flags & kDead) return false;
  const std::int16_t previous = s.quarantine_until;
  if (previous >= until) return false;  // already quarantined by another place today
  if (previous > t + 1) {
    --tally.end_delta[static_cast<std::size_t>(previous - t)];  // extended
  } else {
    ++tally.counts.quarantine_new;
  }
  ++tally.end_delta[static_cast<std::size_t>(until - t)];
  s.quarantine_until = until;
  if (s.infected != kNever) {
    sync(a, static_cast<std::int16_t>(t + 1), tally);
    tally.released.emplace_back(until, a);
  }
  return true;
}

}  // namespace outbreak::engine
