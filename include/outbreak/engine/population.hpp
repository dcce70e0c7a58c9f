// Population: ages, who lives with whom, and who spends the day with whom
// (school classes and workplaces). Immutable once built.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "outbreak/engine/big_array.hpp"
#include "outbreak/engine/scenario.hpp"

namespace outbreak::engine {

using AgentId = std::uint32_t;
using PlaceId = std::uint32_t;
inline constexpr PlaceId kNoPlace = 0xFFFF'FFFFu;

// Homes are consecutive blocks of agent ids: agents are numbered home by
// home, so a home is (first agent, size) and an agent finds its home from
// two bytes (its offset in the home and the home's size).
//
// Daytime places are school classes and workplaces, numbered classes first
// (0 ... classes() - 1), then workplaces. Their members are stored in one
// seat array: place p owns seats place_begin(p) ... place_begin(p) +
// place_size(p) - 1. An agent has at most one daytime place.
//
// The build depends only on (scenario, seed), never on the thread count;
// docs/model.md#population describes the algorithm.
class Population {
 public:
  // Builds with up to `threads` threads (0 = all hardware threads). The
  // scenario must be valid (engine::validate); otherwise throws
  // std::invalid_argument. Throws std::bad_alloc when memory runs out.
  Population(const Scenario& scenario, std::uint64_t seed, int threads);

  std::uint32_t size() const { return size_; }

  // Age in whole years, 0 ... kMaxAge.
  int age(AgentId a) const { return age_[a]; }
  std::size_t band(AgentId a) const { return age_band(age_[a]); }
  const std::uint8_t* age_address(AgentId a) const { return age_.data() + a; }  // for prefetching

  // Homes.
  std::uint32_t homes() const { return homes_; }
  AgentId home_begin(AgentId a) const { return a - home_offset_[a]; }
  std::uint32_t home_size(AgentId a) const { return home_size_[a]; }
  AgentId home_end(AgentId a) const { return home_begin(a) + home_size_[a]; }
  // For prefetching: where the agent's home offset and home size are kept.
  const std::uint8_t* home_offset_address(AgentId a) const { return home_offset_.data() + a; }
  const std::uint8_t* home_size_address(AgentId a) const { return home_size_.data() + a; }

  // Daytime places.
  std::uint32_t places() const { return places_; }
  std::uint32_t classes() const { return classes_; }  // places 0 ... classes() - 1 are classes
  bool is_class(PlaceId p) const { return p < classes_; }
  PlaceId place_of(AgentId a) const { return place_of_[a]; }  // kNoPlace: stays home by day
  const PlaceId* place_of_address(AgentId a) const { return place_of_.data() + a; }
  std::uint32_t place_begin(PlaceId p) const { return place_begin_[p]; }
  std::uint32_t place_size(PlaceId p) const { return place_begin_[p + 1] - place_begin_[p]; }
  std::span<const AgentId> place_members(PlaceId p) const {
    return {seats_.data() + place_begin_[p], place_size(p)};
  }
  // The agent in seat `seat` (see above).
  AgentId seat(std::uint32_t seat) const { return seats_[seat]; }
  const AgentId* seat_address(std::uint32_t seat) const { return seats_.data() + seat; }

  // Agents of each age band.
  const std::array<std::int64_t, kAgeBands>& agents_by_band() const { return by_band_; }

  // Bytes held by this object.
  std::size_t memory_bytes() const;

 private:
  std::uint32_t size_ = 0;
  std::uint32_t homes_ = 0;
  std::uint32_t places_ = 0;
  std::uint32_t classes_ = 0;
  std::array<std::int64_t, kAgeBands> by_band_{};
  // Not vectors, so that a parallel build is the first to touch their pages.
  BigArray<std::uint8_t> age_;
  BigArray<std::uint8_t> home_offset_;  // position of the agent in its home
  BigArray<std::uint8_t> home_size_;    // size of the agent's home
  BigArray<PlaceId> place_of_;
  BigArray<std::uint32_t> place_begin_;  // places_ + 1 entries
  BigArray<AgentId> seats_;
};

}  // namespace outbreak::engine
