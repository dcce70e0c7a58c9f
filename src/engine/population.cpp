#include "outbreak/engine/population.hpp"

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "population_build.hpp"

namespace outbreak::engine {
namespace {

using namespace population_build;

// Agents per chunk of the parallel passes. Chunks are fixed by the
// population size alone, so the result does not depend on the threads.
constexpr std::uint64_t kChunkAgents = std::uint64_t{1} << 16;
// Slots of a home, grown-ups first.
constexpr std::array<Role, kRoles> kSlotOrder = {kParent, kElder, kAdult, kChild};

using YearHistogram = std::array<std::uint32_t, kYears>;

// Homes split into chunks of about kChunkAgents agents: chunk c has, of
// each home type t, the homes floor(c * n_t / chunks) ... floor((c + 1) *
// n_t / chunks) - 1, so every chunk has nearly the same mix of homes.
struct Chunks {
  std::uint64_t count = 1;
  std::vector<std::uint64_t> agent_begin;  // count + 1 entries
  std::vector<RoleCounts> role_begin;      // role slots in the chunks before

  static std::uint64_t homes_before(const HomePlan& plan, std::size_t t, std::uint64_t c,
                                    std::uint64_t count) {
    return c * plan.counts[t] / count;
  }
};

Chunks make_chunks(const HomePlan& plan, std::uint64_t agents) {
  Chunks chunks;
  chunks.count = std::max<std::uint64_t>(1, (agents + kChunkAgents - 1) / kChunkAgents);
  for (std::uint64_t c = 0; c <= chunks.count; ++c) {
    std::uint64_t begin = 0;
    RoleCounts roles{};
    for (std::size_t t = 0; t < plan.types.size(); ++t) {
      const std::uint64_t homes = Chunks::homes_before(plan, t, c, chunks.count);
      begin += homes * plan.types[t].size;
      for (std::size_t r = 0; r < kRoles; ++r) roles[r] += homes * plan.types[t].slots[r];
    }
    chunks.agent_begin.push_back(begin);
    chunks.role_begin.push_back(roles);
  }
  return chunks;
}

// A home type's slots as 8-byte patterns (for homes of up to 8) and in full.
struct HomePattern {
  std::uint8_t size = 0;
  std::array<std::uint8_t, 8> sizes{};
  std::array<std::uint8_t, 8> roles{};
  std::vector<std::uint8_t> all_roles;
};

std::vector<HomePattern> home_patterns(const HomePlan& plan) {
  std::vector<HomePattern> patterns;
  for (const HomeType& type : plan.types) {
    HomePattern p;
    p.size = type.size;
    for (Role r : kSlotOrder) p.all_roles.insert(p.all_roles.end(), type.slots[r], r);
    for (std::size_t k = 0; k < 8; ++k) {
      p.sizes[k] = type.size;
      p.roles[k] = k < p.all_roles.size() ? p.all_roles[k] : 0;
    }
    patterns.push_back(std::move(p));
  }
  return patterns;
}

// Everything the parallel passes read, and the arrays they fill.
struct Build {
  std::uint64_t seed;
  const HomePlan& plan;
  const std::vector<HomePattern>& patterns;
  const Chunks& chunks;
  const AgeSource& ages;
  std::uint8_t* age;
  std::uint8_t* home_offset;
  std::uint8_t* home_size;
  PlaceId* place_of;
};

// The home types of chunk c, in keyed random order (type order for legacy
// blocks, which keeps the remainder home last).
std::vector<std::uint8_t> chunk_homes(const Build& b, std::uint64_t c) {
  std::vector<std::uint8_t> homes;
  for (std::size_t t = 0; t < b.plan.types.size(); ++t) {
    const std::uint64_t n = Chunks::homes_before(b.plan, t, c + 1, b.chunks.count) -
                            Chunks::homes_before(b.plan, t, c, b.chunks.count);
    homes.insert(homes.end(), n, static_cast<std::uint8_t>(t));
  }
  if (b.plan.shuffled) {
    WordStream words(b.seed, static_cast<std::uint32_t>(c), 0, Purpose::kHouseholds);
    shuffle(homes.data(), homes.size(), words);
  }
  return homes;
}

// The ages for role r's slots in chunk c, in keyed random order.
std::vector<std::uint8_t> chunk_ages(const Build& b, std::uint64_t c, std::size_t r) {
  const std::uint64_t first = b.chunks.role_begin[c][r];
  const std::uint64_t n = b.chunks.role_begin[c + 1][r] - first;
  std::vector<std::uint8_t> ages;
  ages.reserve(n);
  b.ages.for_each(r, first, n, [&](std::uint8_t age) { ages.push_back(age); });
  WordStream words(b.seed, static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(1 + r),
                   Purpose::kAges);
  shuffle(ages.data(), ages.size(), words);
  return ages;
}

// Writes the homes of a chunk (agents begin ... end - 1) and the role of
// each agent's slot. Homes of up to 8 take fixed 8-byte copies, which
// avoids a hard-to-predict loop per home.
void write_homes(const Build& b, const std::vector<std::uint8_t>& homes, std::uint64_t begin,
                 std::uint64_t end, std::uint8_t* roles) {
  static constexpr std::array<std::uint8_t, 8> kOffsets = {0, 1, 2, 3, 4, 5, 6, 7};
  std::uint64_t a = begin;
  for (std::uint8_t t : homes) {
    const HomePattern& p = b.patterns[t];
    if (p.size <= 8 && a + 8 <= end) {
      std::memcpy(b.home_offset + a, kOffsets.data(), 8);
      std::memcpy(b.home_size + a, p.sizes.data(), 8);
      std::memcpy(roles + (a - begin), p.roles.data(), 8);
    } else {
      for (std::uint8_t k = 0; k < p.size; ++k) {
        b.home_offset[a + k] = k;
        b.home_size[a + k] = p.size;
        roles[a - begin + k] = p.all_roles[k];
      }
    }
    a += p.size;
  }
}

// Pass 1: the homes and ages of chunk c; counts its agents by age.
void build_chunk(const Build& b, std::uint64_t c, YearHistogram& counts) {
  const std::uint64_t begin = b.chunks.agent_begin[c];
  const std::uint64_t n = b.chunks.agent_begin[c + 1] - begin;
  std::vector<std::uint8_t> roles(n + 8);
  write_homes(b, chunk_homes(b, c), begin, begin + n, roles.data());
  std::array<std::vector<std::uint8_t>, kRoles> ages;
  std::array<const std::uint8_t*, kRoles> next{};
  for (std::size_t r = 0; r < kRoles; ++r) {
    ages[r] = chunk_ages(b, c, r);
    next[r] = ages[r].data();
  }
  counts.fill(0);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint8_t age = *next[roles[i]]++;
    b.age[begin + i] = age;
    ++counts[age];
  }
}

std::uint64_t scale(std::uint64_t x, std::uint64_t numerator, std::uint64_t denominator) {
  return denominator == 0
             ? 0
             : static_cast<std::uint64_t>(static_cast<Uint128>(x) * numerator / denominator);
}

// Pass 2: seats for the pupils and the employed of chunk c. `before`: agents
// of each age in earlier chunks; `here`: in this chunk.
void seat_chunk(const Build& b, const PlaceLayout& layout, AgentId* seats, std::uint64_t c,
                const YearHistogram& before, const YearHistogram& here) {
  std::uint64_t working_before = 0;
  std::uint64_t working_here = 0;
  for (int y = 0; y < kYears; ++y) {
    if (layout.working[y]) working_before += before[y], working_here += here[y];
  }
  // The employed are apportioned to the chunks by working-age agents and
  // chosen within a chunk by selection sampling (exactly `needed` of them).
  const std::uint64_t employed = scale(layout.employed, working_before, layout.working_age);
  std::uint64_t needed =
      scale(layout.employed, working_before + working_here, layout.working_age) - employed;
  std::uint64_t remaining = working_here;
  // The next seat of a pupil of each age and of an employed agent.
  std::vector<DealCursor> pupil;
  for (int y = 0; y < kYears; ++y) pupil.emplace_back(layout.pupils_of_age[y], before[y]);
  DealCursor worker(layout.workers, employed);
  WordStream words(b.seed, static_cast<std::uint32_t>(c), 1, Purpose::kWorkplaces);
  const std::uint64_t end = b.chunks.agent_begin[c + 1];
  for (auto a = static_cast<AgentId>(b.chunks.agent_begin[c]); a < end; ++a) {
    const std::uint8_t y = b.age[a];
    b.place_of[a] = kNoPlace;
    if (layout.in_school[y]) {
      seats[pupil[y].seat()] = a;
      pupil[y].advance();
    } else if (layout.working[y]) {
      if (std::uint64_t{words.next()} * remaining < needed << 32) {
        seats[worker.seat()] = a;
        worker.advance();
        --needed;
      }
      --remaining;
    }
  }
}

struct SeatBlock {
  std::uint64_t begin;
  std::uint64_t end;
  Purpose purpose;
};

// The blocks of every Deal, each school age's then the workplaces'.
std::vector<SeatBlock> seat_blocks(const PlaceLayout& layout) {
  std::vector<SeatBlock> blocks;
  const auto split = [&](const Deal& deal, Purpose purpose) {
    for (std::uint64_t k = 0; k < deal.blocks; ++k) {
      blocks.push_back({deal.block_begin(k), deal.block_begin(k + 1), purpose});
    }
  };
  for (int y = 0; y < kYears; ++y) {
    if (layout.in_school[y]) split(layout.pupils_of_age[y], Purpose::kSchools);
  }
  split(layout.workers, Purpose::kOfficeShuffle);
  return blocks;
}

// Pass 3: shuffles the seats of a block, then tells their agents their place.
void settle_block(const Build& b, const SeatBlock& block, std::uint32_t index, AgentId* seats,
                  const std::uint32_t* place_begin, std::uint32_t places) {
  WordStream words(b.seed, index, 0, block.purpose);
  shuffle(seats + block.begin, block.end - block.begin, words);
  auto p = static_cast<PlaceId>(
      std::upper_bound(place_begin, place_begin + places + 1, block.begin) - place_begin - 1);
  constexpr std::uint64_t kAhead = 16;  // the writes go all over place_of: fetch early
  for (std::uint64_t s = block.begin; s < block.end; ++s) {
    if (s + kAhead < block.end) __builtin_prefetch(b.place_of + seats[s + kAhead], 1);
    while (place_begin[p + 1] <= s) ++p;
    b.place_of[seats[s]] = p;
  }
}

// Exclusive prefix sums of the chunks' age counts.
std::vector<YearHistogram> counts_before(const std::vector<YearHistogram>& counts) {
  std::vector<YearHistogram> before(counts.size());
  YearHistogram sum{};
  for (std::size_t c = 0; c < counts.size(); ++c) {
    before[c] = sum;
    for (int y = 0; y < kYears; ++y) sum[y] += counts[c][y];
  }
  return before;
}

// Where each place's seats begin, plus the total seats at the end.
BigArray<std::uint32_t> place_begins(const std::vector<std::uint32_t>& sizes) {
  BigArray<std::uint32_t> begins(sizes.size() + 1);
  std::uint32_t begin = 0;
  for (std::size_t p = 0; p < sizes.size(); ++p) {
    begins[p] = begin;
    begin += sizes[p];
  }
  begins[sizes.size()] = begin;
  return begins;
}

template <typename Body>
void for_each_index(std::uint64_t n, const Body& body) {
  tbb::parallel_for(std::uint64_t{0}, n, body);
}

}  // namespace

// docs/model.md#population describes the algorithm.
Population::Population(const Scenario& scenario, std::uint64_t seed, int threads) {
  if (!validate(scenario).empty()) {
    throw std::invalid_argument("Population: the scenario is invalid (see engine::validate)");
  }
  size_ = static_cast<std::uint32_t>(scenario.population);
  const YearCounts years = year_counts(scenario, seed);
  for (int y = 0; y < kYears; ++y) by_band_[age_band(y)] += static_cast<std::int64_t>(years[y]);
  const HomePlan plan = plan_homes(scenario, years);
  homes_ = static_cast<std::uint32_t>(plan.homes);
  const AgeSource ages(years, plan.demand, seed);
  const Chunks chunks = make_chunks(plan, size_);
  age_ = BigArray<std::uint8_t>(size_);
  home_offset_ = BigArray<std::uint8_t>(size_);
  home_size_ = BigArray<std::uint8_t>(size_);
  place_of_ = BigArray<PlaceId>(size_);
  const std::vector<HomePattern> patterns = home_patterns(plan);
  const Build build{seed,
                    plan,
                    patterns,
                    chunks,
                    ages,
                    age_.data(),
                    home_offset_.data(),
                    home_size_.data(),
                    place_of_.data()};
  std::vector<YearHistogram> counts(chunks.count);
  tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
  PlaceLayout layout;
  arena.execute([&] {
    for_each_index(chunks.count, [&](std::uint64_t c) { build_chunk(build, c, counts[c]); });
    layout = plan_places(scenario, years, seed);
  });
  classes_ = layout.classes;
  places_ = static_cast<std::uint32_t>(layout.sizes.size());
  place_begin_ = place_begins(layout.sizes);
  seats_ = BigArray<AgentId>(place_begin_[places_]);
  const std::vector<YearHistogram> before = counts_before(counts);
  const std::vector<SeatBlock> blocks = seat_blocks(layout);
  arena.execute([&] {
    for_each_index(chunks.count, [&](std::uint64_t c) {
      seat_chunk(build, layout, seats_.data(), c, before[c], counts[c]);
    });
    for_each_index(blocks.size(), [&](std::uint64_t k) {
      settle_block(build, blocks[k], static_cast<std::uint32_t>(k), seats_.data(),
                   place_begin_.data(), places_);
    });
  });
}

std::size_t Population::memory_bytes() const {
  return sizeof(*this) + std::size_t{size_} * (3 + sizeof(PlaceId)) +
         (std::size_t{places_} + 1) * sizeof(std::uint32_t) +
         std::size_t{place_begin_[places_]} * sizeof(AgentId);
}

}  // namespace outbreak::engine
