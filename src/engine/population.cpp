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

// Temporary build (ages and composition come with the population builder):
// every agent 30, homes of household_size (3 if unset), workplaces of
// office_size filled in shuffled order.
Population::Population(const Scenario& scenario, std::uint64_t seed, int threads) {
  if (!validate(scenario).empty()) {
    throw std::invalid_argument("Population: the scenario is invalid (see engine::validate)");
  }
  size_ = static_cast<std::uint32_t>(scenario.population);
  const auto home = static_cast<std::uint32_t>(scenario.household_size.value_or(3));
  const auto office_size = static_cast<std::uint32_t>(scenario.office_size);
  const auto employed = static_cast<std::uint32_t>(
      std::llround(scenario.employment_rate * static_cast<double>(scenario.population)));
  homes_ = (size_ + home - 1) / home;
  places_ = static_cast<std::uint32_t>((std::uint64_t{employed} + office_size - 1) / office_size);
  classes_ = 0;
  age_ = BigArray<std::uint8_t>(size_);
  home_offset_ = BigArray<std::uint8_t>(size_);
  home_size_ = BigArray<std::uint8_t>(size_);
  place_of_ = BigArray<PlaceId>(size_);
  place_begin_ = BigArray<std::uint32_t>(std::size_t{places_} + 1);
  seats_ = BigArray<AgentId>(employed);
  for (std::uint32_t p = 0; p <= places_; ++p) {
    place_begin_[p] = std::min<std::uint32_t>(p * office_size, employed);
  }
  by_band_[3] = size_;
  const KeyedPermutation shuffle(seed, size_);
  tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
  arena.execute([&] {
    tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, size_, 1 << 16), [&](auto range) {
      for (std::uint32_t a = range.begin(); a != range.end(); ++a) {
        age_[a] = 30;
        const std::uint32_t begin = a / home * home;
        home_offset_[a] = static_cast<std::uint8_t>(a - begin);
        home_size_[a] = static_cast<std::uint8_t>(std::min(home, size_ - begin));
        place_of_[a] = kNoPlace;
      }
    });
    tbb::parallel_for(tbb::blocked_range<std::uint32_t>(0, employed, 1 << 16), [&](auto range) {
      for (std::uint32_t j = range.begin(); j != range.end(); ++j) {
        const auto agent = static_cast<AgentId>(shuffle(j));
        seats_[j] = agent;
        place_of_[agent] = j / office_size;
      }
    });
  });
}

std::size_t Population::memory_bytes() const {
  return sizeof(*this) + std::size_t{size_} * (3 + sizeof(PlaceId)) +
         (std::size_t{places_} + 1) * sizeof(std::uint32_t) +
         std::size_t{place_begin_[places_]} * sizeof(AgentId);
}

}  // namespace outbreak::engine
