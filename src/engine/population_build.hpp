// The serial planning behind Population: how many agents of each age, how
// many homes of each composition, which ages each kind of home slot takes,
// and how daytime places are laid out. Everything here costs O(years + home
// types + places); the per-agent passes are in population.cpp.
// docs/model.md#population describes the algorithm.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "outbreak/engine/random.hpp"
#include "outbreak/engine/scenario.hpp"

namespace outbreak::engine::population_build {

inline constexpr int kYears = kMaxAge + 1;
inline constexpr int kAdultAge = 18;   // children are younger
inline constexpr int kParentMin = 20;  // parents are 20 ... 59
inline constexpr int kParentEnd = 60;
inline constexpr int kElderAge = 65;  // "older people" in home composition
using YearCounts = std::array<std::uint64_t, kYears>;

// Sequential 32-bit words of one keyed Philox stream (seed, entity, day,
// purpose), four per call.
class WordStream {
 public:
  WordStream(std::uint64_t seed, std::uint32_t entity, std::uint32_t day, Purpose purpose)
      : seed_(seed), entity_(entity), day_(day), purpose_(purpose) {}

  std::uint32_t next() {
    if (used_ == 4) {
      draw_ = philox(seed_, entity_, day_, purpose_, calls_++);
      used_ = 0;
    }
    return draw_.v[used_++];
  }
  // Uniform in [0, n) for n > 0, without bias (multiply, reject the rare
  // uneven low part).
  std::uint32_t below(std::uint32_t n) {
    std::uint64_t m = std::uint64_t{next()} * n;
    if (static_cast<std::uint32_t>(m) < n) {
      const std::uint32_t threshold = (0u - n) % n;
      while (static_cast<std::uint32_t>(m) < threshold) m = std::uint64_t{next()} * n;
    }
    return static_cast<std::uint32_t>(m >> 32);
  }

 private:
  std::uint64_t seed_;
  std::uint32_t entity_;
  std::uint32_t day_;
  Purpose purpose_;
  std::uint32_t calls_ = 0;
  std::uint32_t used_ = 4;
  Draw draw_{};
};

// Fisher-Yates shuffle of first[0 .. n) with words from `words`.
template <typename T>
void shuffle(T* first, std::uint64_t n, WordStream& words) {
  for (std::uint64_t i = n; i > 1; --i) {
    std::swap(first[i - 1], first[words.below(static_cast<std::uint32_t>(i))]);
  }
}

// The bijection i -> (offset + i * step) mod n of [0, n), n < 2^32, with a
// golden-ratio step coprime with n: consecutive i land evenly spread over
// [0, n), so any run of them is a near-proportional sample of the range.
class Stride {
 public:
  Stride() = default;
  Stride(std::uint64_t n, std::uint64_t offset);
  std::uint64_t operator()(std::uint64_t i) const { return (offset_ + i * step_) % n_; }
  // The image of i + 1, given x, the image of i.
  std::uint64_t next(std::uint64_t x) const {
    return x >= n_ - step_ ? x - (n_ - step_) : x + step_;
  }

 private:
  std::uint64_t n_ = 1;
  std::uint64_t step_ = 0;
  std::uint64_t offset_ = 0;
};

// Largest-remainder apportionment of `total` over `weights` (>= 0, not all
// 0): floor(total * w / sum) each, then one more to the largest remainders;
// ties go first to the entry listed first in `tie_order` (default: index).
std::vector<std::uint64_t> apportion(std::uint64_t total, const std::vector<double>& weights,
                                     const std::vector<std::size_t>& tie_order = {});

// Exact number of agents of each age 0 ... kMaxAge.
YearCounts year_counts(const Scenario& s, std::uint64_t seed);

// Homes of 1 ... 6 agents (index 0 unused) summing to exactly s.population
// agents, from household_size_shares.
std::array<std::uint64_t, 7> home_counts(const Scenario& s);

// Home slots are filled by role; each role takes ages from its own pools.
enum Role : std::uint8_t { kChild, kParent, kElder, kAdult };
inline constexpr std::size_t kRoles = 4;
using RoleCounts = std::array<std::uint64_t, kRoles>;

// A home composition: its size and how many of its slots each role fills.
struct HomeType {
  std::uint8_t size = 0;
  std::array<std::uint8_t, kRoles> slots{};
};

struct HomePlan {
  std::vector<HomeType> types;
  std::vector<std::uint64_t> counts;  // homes of each type
  bool shuffled = true;               // false: homes stay in type order (legacy blocks)
  RoleCounts demand{};                // slots of each role
  std::uint64_t homes = 0;
};

// The homes of every composition (docs/model.md#population).
HomePlan plan_homes(const Scenario& s, const YearCounts& years);

// Ages by role. Each role gets a fixed multiset of ages: it takes agents
// from the age pools in its order of preference (see the .cpp), each year of
// a pool in proportion to what the pool has left, so that the roles together
// have exactly the year counts. A role's slots are numbered 0 ... demand - 1
// and a Stride spreads them over the role's multiset sorted by age, so any
// run of consecutive slots gets a near-proportional mix of its ages.
class AgeSource {
 public:
  AgeSource(const YearCounts& years, const RoleCounts& demand, std::uint64_t seed);

  // Calls visit(age) for the slots first ... first + n - 1 of role r.
  template <typename Visit>
  void for_each(std::size_t r, std::uint64_t first, std::uint64_t n, Visit&& visit) const {
    const Role& role = roles_[r];
    std::uint64_t rank = n > 0 ? role.order(first) : 0;
    for (std::uint64_t k = 0; k < n; ++k, rank = role.order.next(rank)) {
      visit(role.year_of(rank));
    }
  }

 private:
  struct Role {
    std::vector<std::uint8_t> years;   // the ages with agents, increasing
    std::vector<std::uint64_t> first;  // rank of the first agent of years[k], then the total
    std::vector<std::uint8_t> bucket;  // k of rank b << shift
    int shift = 0;
    Stride order;
    std::uint8_t year_of(std::uint64_t rank) const {
      std::size_t k = bucket[rank >> shift];
      while (first[k + 1] <= rank) ++k;
      return years[k];
    }
  };
  static void index_role(const YearCounts& counts, Role& role);
  std::array<Role, kRoles> roles_;
};

// The seats of a group of members (the pupils of one age, or the
// employed) dealt like cards into `blocks` blocks of at most kSeatBlock:
// member rank r (ranks follow agent ids) goes to block r mod blocks, behind
// the members dealt there before. Each block thus gets an evenly spread
// sample of the group, and a run of consecutive ranks is written as short
// sequential runs, one per block (cache-friendly). The blocks are shuffled
// afterwards.
inline constexpr std::uint64_t kSeatBlock = std::uint64_t{1} << 16;
struct Deal {
  std::uint64_t begin = 0;  // the group's first seat
  std::uint64_t size = 0;
  std::uint64_t blocks = 1;

  Deal() = default;
  Deal(std::uint64_t first_seat, std::uint64_t members)
      : begin(first_seat), size(members), blocks((members + kSeatBlock - 1) / kSeatBlock) {
    blocks = std::max<std::uint64_t>(blocks, 1);
  }
  std::uint64_t block_begin(std::uint64_t k) const {
    return begin + k * (size / blocks) + std::min(k, size % blocks);
  }
};

// Walks a Deal rank by rank from a given rank.
class DealCursor {
 public:
  DealCursor(const Deal& deal, std::uint64_t rank)
      : deal_(&deal), block_(rank % deal.blocks), row_(rank / deal.blocks) {}
  std::uint64_t seat() const { return deal_->block_begin(block_) + row_; }
  void advance() {
    if (++block_ == deal_->blocks) block_ = 0, ++row_;
  }

 private:
  const Deal* deal_;
  std::uint64_t block_;
  std::uint64_t row_;
};

// Daytime places: school classes (by single year of age), then workplaces.
struct PlaceLayout {
  std::array<bool, kYears> in_school{};
  std::array<bool, kYears> working{};
  std::array<Deal, kYears> pupils_of_age{};  // seats of the classes of each age
  Deal workers;                              // seats of the workplaces
  std::uint64_t pupils = 0;
  std::uint64_t working_age = 0;
  std::uint64_t employed = 0;
  std::vector<std::uint32_t> sizes;  // members of each place, classes first
  std::uint32_t classes = 0;
};

// Classes and workplace sizes (workplace sizes drawn in parallel with the
// calling thread's task arena).
PlaceLayout plan_places(const Scenario& s, const YearCounts& years, std::uint64_t seed);

}  // namespace outbreak::engine::population_build
