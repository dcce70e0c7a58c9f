#include "outbreak/engine/population.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <array>
#include <cmath>
#include <stdexcept>

#include "outbreak/engine/random.hpp"

namespace outbreak::engine {
namespace {

// A keyed pseudo-random bijection of [0, n): a balanced Feistel network over
// the smallest even-bit domain >= n, with cycle walking to stay inside [0, n).
// Each index is mapped independently, so the shuffle is parallel and needs no
// memory; six rounds of a strong 64-bit mixer make it statistically
// indistinguishable from a uniform shuffle for our purposes.
class KeyedPermutation {
 public:
  KeyedPermutation(std::uint64_t seed, std::uint64_t n) : n_(n) {
    while ((std::uint64_t{1} << (2 * half_bits_)) < n) ++half_bits_;
    mask_ = (std::uint64_t{1} << half_bits_) - 1;
    for (std::uint32_t r = 0; r < kRounds; ++r) {
      const Draw d = philox(seed, r, 0, Purpose::kOfficeShuffle, 0);
      keys_[r] = (std::uint64_t{d.v[0]} << 32) | d.v[1];
    }
  }

  std::uint64_t operator()(std::uint64_t index) const {
    std::uint64_t x = index;
    do {
      x = encrypt(x);
    } while (x >= n_);  // cycle walking: terminates because encrypt is a bijection
    return x;
  }

 private:
  static constexpr std::uint32_t kRounds = 6;

  static std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  std::uint64_t encrypt(std::uint64_t x) const {
    std::uint64_t left = x >> half_bits_;
    std::uint64_t right = x & mask_;
    for (std::uint32_t r = 0; r < kRounds; ++r) {
      const std::uint64_t next = left ^ (mix(right ^ keys_[r]) & mask_);
      left = right;
      right = next;
    }
    return (left << half_bits_) | right;
  }

  std::uint64_t n_;
  std::uint32_t half_bits_ = 1;
  std::uint64_t mask_ = 1;
  std::array<std::uint64_t, kRounds> keys_{};
};

}  // namespace

Population::Population(const Scenario& scenario, std::uint64_t seed, int threads) {
  if (!validate(scenario).empty()) {
    throw std::invalid_argument("Population: the scenario is invalid (see engine::validate)");
  }
  size_ = static_cast<std::uint32_t>(scenario.population);
  household_size_ = static_cast<std::uint32_t>(scenario.household_size);
  office_size_ = static_cast<std::uint32_t>(scenario.office_size);
  employed_ = static_cast<std::uint32_t>(
      std::llround(scenario.employment_rate * static_cast<double>(scenario.population)));
  const std::uint32_t employed = employed_;
  office_of_ = BigArray<PlaceId>(size_);
  members_ = BigArray<AgentId>(employed);
  const KeyedPermutation shuffle(seed, size_);
  const std::uint32_t office_size = office_size_;
  tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, size_, 1 << 16), [&](auto range) {
      for (std::uint32_t a = range.begin(); a != range.end(); ++a) office_of_[a] = kNoPlace;
    });
    // The j-th agent of the shuffled order fills seat j: office j / office_size.
    tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, employed, 1 << 16), [&](auto range) {
      for (std::uint32_t j = range.begin(); j != range.end(); ++j) {
        const auto agent = static_cast<AgentId>(shuffle(j));
        members_[j] = agent;
        office_of_[agent] = j / office_size;
      }
    });
  });
}

std::span<const AgentId> Population::office_members(PlaceId o) const {
  const std::size_t begin = std::size_t{o} * office_size_;
  const std::size_t end = std::min<std::size_t>(begin + office_size_, employed_);
  return {members_.data() + begin, end - begin};
}

std::size_t Population::memory_bytes() const {
  return sizeof(*this) + std::size_t{size_} * sizeof(PlaceId) +
         std::size_t{employed_} * sizeof(AgentId);
}

}  // namespace outbreak::engine
