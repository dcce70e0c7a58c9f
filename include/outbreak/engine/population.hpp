// Population: who lives with whom and who works with whom. Immutable once built.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "outbreak/engine/big_array.hpp"
#include "outbreak/engine/scenario.hpp"

namespace outbreak::engine {

using AgentId = std::uint32_t;
using PlaceId = std::uint32_t;
inline constexpr PlaceId kNoPlace = 0xFFFF'FFFFu;

// Homes are consecutive blocks of `household_size` agent ids (the last home
// takes the remainder), so a home needs no storage. Offices take the
// employed agents in a seeded pseudo-random order: agent ids are shuffled by
// a keyed bijection before offices are filled, so an agent's office does not
// depend on its home (housemates share an office only by chance). The build is parallel and its
// result depends only on (scenario, seed), never on the thread count.
class Population {
 public:
  // Builds with up to `threads` threads (0 = all hardware threads). The
  // scenario must be valid (engine::validate); otherwise throws
  // std::invalid_argument.
  Population(const Scenario& scenario, std::uint64_t seed, int threads);

  std::uint32_t size() const { return size_; }
  std::uint32_t household_size() const { return household_size_; }
  std::uint32_t office_size() const { return office_size_; }
  std::uint32_t homes() const { return (size_ + household_size_ - 1) / household_size_; }
  std::uint32_t offices() const {
    return static_cast<std::uint32_t>((std::uint64_t{employed_} + office_size_ - 1) / office_size_);
  }
  std::uint32_t employed() const { return employed_; }

  PlaceId home_of(AgentId a) const { return a / household_size_; }
  AgentId home_begin(PlaceId h) const { return h * household_size_; }
  AgentId home_end(PlaceId h) const {
    const std::uint64_t end = std::uint64_t{h + 1} * household_size_;
    return end < size_ ? static_cast<AgentId>(end) : size_;
  }
  PlaceId office_of(AgentId a) const { return office_of_[a]; }
  const PlaceId* office_of_address(AgentId a) const {
    return office_of_.data() + a;
  }  // for prefetching
  std::span<const AgentId> office_members(PlaceId o) const;
  // The agent in office seat `seat` (office seat / office_size).
  AgentId seat(std::uint32_t seat) const { return members_[seat]; }
  const AgentId* seat_address(std::uint32_t seat) const { return members_.data() + seat; }

  // Bytes held by this object.
  std::size_t memory_bytes() const;

 private:
  std::uint32_t size_;
  std::uint32_t household_size_;
  std::uint32_t office_size_;
  std::uint32_t employed_;
  // Not vectors, so that the parallel build is the first to touch their
  // pages (no serial zero-fill of hundreds of megabytes).
  BigArray<PlaceId> office_of_;  // kNoPlace for agents without an office
  BigArray<AgentId> members_;    // office o: members_[o * office_size_ ...]
};

}  // namespace outbreak::engine
