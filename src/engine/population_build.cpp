#include "population_build.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "outbreak/engine/distributions.hpp"

// Keyed streams of the population build (purpose: entity, day):
//   kAges:          band, 0: which years of a band get the rounding extras;
//                   chunk, 1 + role: order of that role's ages in the chunk;
//                   role, 5: offsets of the age strides.
//   kHouseholds:    chunk, 0: order of the homes in the chunk.
//   kSchools:       seat block, 0: order of its seats.
//   kWorkplaces:    place / 4, 0: workplace sizes; chunk, 1: who is employed.
//   kOfficeShuffle: seat block, 0: order of its seats.

namespace outbreak::engine::population_build {
namespace {

constexpr double kGoldenFraction = 0.6180339887498949;  // (sqrt(5) - 1) / 2
// Home composition (docs/model.md#population).
constexpr double kChildrenWithOneParent = 0.10;  // in two-person homes
constexpr double kEldersAlone = 0.35;
constexpr double kEldersInCouples = 0.45;
constexpr int kMaxWorkplace = 65'535;
constexpr std::uint64_t kMaxBatch = std::uint64_t{1} << 22;  // workplace sizes drawn at a time

std::uint64_t offset_draw(std::uint64_t seed, std::uint32_t entity, std::uint32_t day,
                          Purpose purpose, std::uint64_t n) {
  return uniform_below(philox(seed, entity, day, purpose, 0), n);
}

std::uint64_t sum_years(const YearCounts& years, int begin, int end) {
  std::uint64_t sum = 0;
  for (int y = std::max(begin, 0); y < std::min(end, kYears); ++y) sum += years[y];
  return sum;
}

// apportion() with integer weights, exactly: no share exceeds its weight
// when total <= the sum of the weights.
std::vector<std::uint64_t> apportion_exact(std::uint64_t total,
                                           const std::vector<std::uint64_t>& weights) {
  const std::uint64_t sum = std::accumulate(weights.begin(), weights.end(), std::uint64_t{0});
  std::vector<std::uint64_t> out(weights.size());
  if (sum == 0) return out;
  std::vector<std::uint64_t> remainder(weights.size());
  std::uint64_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const Uint128 exact = static_cast<Uint128>(total) * weights[i];
    out[i] = static_cast<std::uint64_t>(exact / sum);
    remainder[i] = static_cast<std::uint64_t>(exact % sum);
    given += out[i];
  }
  std::vector<std::size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  for (std::size_t k = 0; given < total; ++k, ++given) ++out[order[k]];
  return out;
}

}  // namespace

Stride::Stride(std::uint64_t n, std::uint64_t offset) : n_(std::max<std::uint64_t>(n, 1)) {
  step_ = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::llround(static_cast<double>(n_) * kGoldenFraction)));
  while (std::gcd(step_, n_) != 1) ++step_;
  offset_ = offset % n_;
}

std::vector<std::uint64_t> apportion(std::uint64_t total, const std::vector<double>& weights,
                                     const std::vector<std::size_t>& tie_order) {
  const std::size_t n = weights.size();
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<std::uint64_t> out(n, 0);
  std::vector<double> remainder(n, -1);  // zero weights never get an extra
  std::vector<std::size_t> rank(n);
  std::uint64_t given = 0;
  for (std::size_t i = 0; i < n; ++i) {
    rank[tie_order.empty() ? i : tie_order[i]] = i;
    if (!(weights[i] > 0)) continue;
    const double exact = static_cast<double>(total) * (weights[i] / sum);
    out[i] = std::min(static_cast<std::uint64_t>(std::floor(exact)), total);
    remainder[i] = exact - std::floor(exact);
    given += out[i];
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return remainder[a] != remainder[b] ? remainder[a] > remainder[b] : rank[a] < rank[b];
  });
  const auto positive = static_cast<std::size_t>(
      std::count_if(weights.begin(), weights.end(), [](double w) { return w > 0; }));
  if (positive == 0) return out;
  for (std::size_t k = 0; given < total; k = (k + 1) % positive, ++given) ++out[order[k]];
  // Floating-point rounding may overshoot by a unit: take it back from the
  // smallest remainders.
  for (std::size_t k = positive; given > total;) {
    k = (k == 0 ? positive : k) - 1;
    if (out[order[k]] > 0) --out[order[k]], --given;
  }
  return out;
}

YearCounts year_counts(const Scenario& s, std::uint64_t seed) {
  const auto bands = apportion(static_cast<std::uint64_t>(s.population), s.age_shares);
  YearCounts years{};
  for (std::size_t b = 0; b < kAgeBands; ++b) {
    const int first = static_cast<int>(b) * 10;
    const bool last = b + 1 == kAgeBands;
    const int span = last ? kYears - first : 10;
    // 80+: weights 20, 19, ..., 1 for 80 ... 99 (mean age about 86).
    std::vector<double> weights(static_cast<std::size_t>(span));
    for (int i = 0; i < span; ++i) weights[i] = last ? span - i : 1.0;
    std::vector<std::size_t> tie_order(weights.size());
    std::iota(tie_order.begin(), tie_order.end(), 0);
    WordStream words(seed, static_cast<std::uint32_t>(b), 0, Purpose::kAges);
    shuffle(tie_order.data(), tie_order.size(), words);
    const auto per_year = apportion(bands[b], weights, tie_order);
    for (int i = 0; i < span; ++i) years[first + i] = per_year[i];
  }
  return years;
}

std::array<std::uint64_t, 7> home_counts(const Scenario& s) {
  const auto& shares = s.household_size_shares;
  const auto n = static_cast<std::uint64_t>(s.population);
  const double sum = std::accumulate(shares.begin(), shares.end(), 0.0);
  double mean = 0;
  for (std::size_t k = 0; k < kHouseholdSizes; ++k) mean += (k + 1) * (shares[k] / sum);
  std::array<std::uint64_t, 7> homes{};
  std::vector<double> remainder(kHouseholdSizes);
  auto agents = std::int64_t{0};
  for (std::size_t k = 0; k < kHouseholdSizes; ++k) {
    const double exact = static_cast<double>(n) * (shares[k] / sum) / mean;
    homes[k + 1] = static_cast<std::uint64_t>(std::floor(exact));
    remainder[k] = exact - std::floor(exact);
    agents += static_cast<std::int64_t>((k + 1) * homes[k + 1]);
  }
  auto left = static_cast<std::int64_t>(n) - agents;
  for (std::size_t k = kHouseholdSizes; left < 0; --k) {  // rounding overshoot: drop homes
    while (left < 0 && homes[k] > 0) --homes[k], left += static_cast<std::int64_t>(k);
  }
  std::vector<std::size_t> order(kHouseholdSizes);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  for (bool added = true; left > 0 && added;) {
    added = false;
    for (std::size_t k : order) {
      if (shares[k] > 0 && static_cast<std::int64_t>(k + 1) <= left) {
        ++homes[k + 1], left -= static_cast<std::int64_t>(k + 1), added = true;
      }
    }
  }
  if (left > 0) ++homes[static_cast<std::size_t>(left)];  // fewer than the smallest size left
  return homes;
}

namespace {

struct PlanBuilder {
  HomePlan plan;

  void add(std::uint64_t count, std::uint64_t children, std::uint64_t parents, std::uint64_t elders,
           std::uint64_t adults) {
    if (count == 0) return;
    HomeType type;
    type.slots = {static_cast<std::uint8_t>(children), static_cast<std::uint8_t>(parents),
                  static_cast<std::uint8_t>(elders), static_cast<std::uint8_t>(adults)};
    type.size = static_cast<std::uint8_t>(children + parents + elders + adults);
    plan.types.push_back(type);
    plan.counts.push_back(count);
    for (std::size_t r = 0; r < kRoles; ++r) plan.demand[r] += count * type.slots[r];
    plan.homes += count;
  }
};

// Homes of 3 ... 6: two parents and size - 2 children, the children
// apportioned over the sizes by those slots. If they do not fit, every such
// home is a family and, largest first, homes take one parent and one child
// more. Returns the children still without a place.
std::uint64_t add_families(PlanBuilder& b, const std::array<std::uint64_t, 7>& homes,
                           std::uint64_t children) {
  std::vector<std::uint64_t> slots;
  for (std::uint64_t size = 3; size <= 6; ++size) slots.push_back((size - 2) * homes[size]);
  const std::uint64_t capacity = std::accumulate(slots.begin(), slots.end(), std::uint64_t{0});
  if (children <= capacity) {
    const auto per_size = apportion_exact(children, slots);
    for (std::uint64_t size = 3; size <= 6; ++size) {
      const std::uint64_t k = per_size[size - 3];
      const std::uint64_t full = k / (size - 2);
      const std::uint64_t part = k % (size - 2);
      b.add(full, size - 2, 2, 0, 0);
      b.add(part > 0 ? 1 : 0, part, 2, 0, size - 2 - part);
      b.add(homes[size] - full - (part > 0 ? 1 : 0), 0, 0, 0, size);
    }
    return 0;
  }
  std::uint64_t left = children - capacity;
  for (std::uint64_t size = 6; size >= 3; --size) {
    const std::uint64_t single = std::min(left, homes[size]);
    left -= single;
    b.add(single, size - 1, 1, 0, 0);
    b.add(homes[size] - single, size - 2, 2, 0, 0);
  }
  return left;
}

HomePlan plan_composed_homes(const Scenario& s, const YearCounts& years) {
  const auto homes = home_counts(s);
  const std::uint64_t children = sum_years(years, 0, kAdultAge);
  const std::uint64_t elders = sum_years(years, kElderAge, kYears);
  PlanBuilder b;
  auto pairs = std::min(static_cast<std::uint64_t>(
                            std::llround(kChildrenWithOneParent * static_cast<double>(children))),
                        homes[2]);
  const std::uint64_t left = add_families(b, homes, children - pairs);
  pairs += std::min(left, homes[2] - pairs);  // children beyond that stay in adult slots
  b.add(pairs, 1, 1, 0, 0);
  const auto couples = std::min(
      static_cast<std::uint64_t>(std::llround(kEldersInCouples * static_cast<double>(elders))) / 2,
      homes[2] - pairs);
  b.add(couples, 0, 0, 2, 0);
  b.add(homes[2] - pairs - couples, 0, 0, 0, 2);
  const auto alone =
      std::min(static_cast<std::uint64_t>(std::llround(kEldersAlone * static_cast<double>(elders))),
               homes[1]);
  b.add(alone, 0, 0, 1, 0);
  b.add(homes[1] - alone, 0, 0, 0, 1);
  return b.plan;
}

}  // namespace

HomePlan plan_homes(const Scenario& s, const YearCounts& years) {
  if (!s.household_size) return plan_composed_homes(s, years);
  const auto size = static_cast<std::uint64_t>(*s.household_size);
  const auto n = static_cast<std::uint64_t>(s.population);
  PlanBuilder b;
  b.add(n / size, 0, 0, 0, size);
  b.add(n % size > 0 ? 1 : 0, 0, 0, 0, n % size);  // the last home takes the remainder
  b.plan.shuffled = false;
  return b.plan;
}

namespace {

// Pools: children, parental age, other adults, older people.
std::size_t pool_of(int year) {
  if (year < kAdultAge) return 0;
  if (year >= kElderAge) return 3;
  return year >= kParentMin && year < kParentEnd ? 1 : 2;
}

// The pools each role takes its agents from, in order of preference.
constexpr std::array<std::array<std::uint8_t, 4>, kRoles> kPreferences = {{
    {0, 1, 2, 3},  // child
    {1, 2, 3, 0},  // parent
    {3, 2, 1, 0},  // elder
    {2, 1, 3, 0},  // adult: everything left
}};

// Takes `take` agents from pool p's remaining year counts, each year in
// proportion to what it has left, into `counts`.
void take_from_pool(std::size_t p, std::uint64_t take, YearCounts& left, YearCounts& counts) {
  std::vector<int> years;
  std::vector<std::uint64_t> weights;
  for (int y = 0; y < kYears; ++y) {
    if (pool_of(y) == p) years.push_back(y), weights.push_back(left[y]);
  }
  const auto taken = apportion_exact(take, weights);
  for (std::size_t k = 0; k < years.size(); ++k) {
    left[years[k]] -= taken[k];
    counts[years[k]] += taken[k];
  }
}

}  // namespace

AgeSource::AgeSource(const YearCounts& years, const RoleCounts& demand, std::uint64_t seed) {
  YearCounts left = years;
  for (std::uint32_t r = 0; r < kRoles; ++r) {
    YearCounts counts{};
    std::uint64_t need = demand[r];
    for (std::uint8_t p : kPreferences[r]) {
      std::uint64_t in_pool = 0;
      for (int y = 0; y < kYears; ++y) in_pool += pool_of(y) == p ? left[y] : 0;
      const std::uint64_t take = std::min(need, in_pool);
      if (take > 0) take_from_pool(p, take, left, counts);
      need -= take;
    }
    index_role(counts, roles_[r]);
    roles_[r].order = Stride(demand[r], offset_draw(seed, r, 5, Purpose::kAges, demand[r]));
  }
}

// Ranks by age, and a table of 1,024 buckets of ranks that says where to
// start looking for a rank's age (at most a few steps from there).
void AgeSource::index_role(const YearCounts& counts, Role& role) {
  std::uint64_t total = 0;
  for (int y = 0; y < kYears; ++y) {
    if (counts[y] == 0) continue;
    role.years.push_back(static_cast<std::uint8_t>(y));
    role.first.push_back(total);
    total += counts[y];
  }
  role.first.push_back(total);
  while ((total >> role.shift) > 1024) ++role.shift;
  role.bucket.assign((total >> role.shift) + 1, 0);
  std::size_t k = 0;
  for (std::size_t b = 0; b < role.bucket.size(); ++b) {
    while (k + 2 < role.first.size() && role.first[k + 1] <= (b << role.shift)) ++k;
    role.bucket[b] = static_cast<std::uint8_t>(k);
  }
}

namespace {

// Workplace sizes from the size distribution (at least 1), keyed by place,
// until `employed` agents are seated; the last one takes the remainder.
void add_workplaces(const Scenario& s, std::uint64_t employed, std::uint64_t seed,
                    std::vector<std::uint32_t>& sizes) {
  const DayDistribution distribution(Family::kLognormal, static_cast<double>(s.office_size),
                                     s.office_size_sd, kMaxWorkplace);
  std::vector<std::uint32_t> batch;
  std::uint64_t seated = 0;
  for (std::uint64_t first = 0; seated < employed; first += batch.size()) {
    // Blocks of four places share a Philox call; `first` stays a multiple of 4.
    const std::uint64_t guess = (employed - seated) / static_cast<std::uint64_t>(s.office_size);
    batch.assign(std::min<std::uint64_t>(guess + guess / 8 + 1024, kMaxBatch) / 4 * 4, 0);
    tbb::parallel_for(std::uint64_t{0}, batch.size() / 4, [&](std::uint64_t block) {
      const auto entity = static_cast<std::uint32_t>((first / 4) + block);
      const Draw d = philox(seed, entity, 0, Purpose::kWorkplaces, 0);
      for (std::size_t k = 0; k < 4; ++k) {
        batch[block * 4 + k] = static_cast<std::uint32_t>(std::max(1, distribution.sample(d.v[k])));
      }
    });
    for (std::size_t k = 0; k < batch.size() && seated < employed; ++k) {
      const std::uint64_t size = std::min<std::uint64_t>(batch[k], employed - seated);
      sizes.push_back(static_cast<std::uint32_t>(size));
      seated += size;
    }
  }
}

}  // namespace

PlaceLayout plan_places(const Scenario& s, const YearCounts& years, std::uint64_t seed) {
  PlaceLayout layout;
  const auto class_size = static_cast<std::uint64_t>(s.class_size);
  for (auto y = static_cast<int>(s.school_min_age); y <= s.school_max_age; ++y) {
    const std::uint64_t n = years[y];
    layout.in_school[y] = true;
    layout.pupils_of_age[y] = Deal(layout.pupils, n);
    layout.pupils += n;
    const std::uint64_t classes = (n + class_size - 1) / class_size;
    for (std::uint64_t c = 0; c < classes; ++c) {  // sizes differ by at most one
      layout.sizes.push_back(static_cast<std::uint32_t>(n / classes + (c < n % classes ? 1 : 0)));
    }
  }
  layout.classes = static_cast<std::uint32_t>(layout.sizes.size());
  for (auto y = static_cast<int>(s.school_max_age) + 1; y < s.retirement_age && y < kYears; ++y) {
    layout.working[y] = true;
    layout.working_age += years[y];
  }
  layout.employed = static_cast<std::uint64_t>(
      std::llround(s.employment_rate * static_cast<double>(layout.working_age)));
  layout.workers = Deal(layout.pupils, layout.employed);
  add_workplaces(s, layout.employed, seed, layout.sizes);
  return layout;
}

}  // namespace outbreak::engine::population_build
