// Population: exact age counts, homes composed by age (or fixed blocks),
// school classes by single year of age, workplaces of drawn sizes, and a
// result that depends on (scenario, seed) only.
#include "outbreak/engine/population.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/test_support.hpp"

namespace outbreak::engine {
namespace {

constexpr int kChildUntil = 18;  // children are younger (docs/model.md#population)
constexpr int kOlderFrom = 65;

// The defaults of the population keys, with homes composed by age.
Scenario composed(std::int64_t n) {
  Scenario s = testing::small_scenario();
  const Scenario defaults;
  s.population = n;
  s.initial_infected = 0;
  s.age_shares = defaults.age_shares;
  s.household_size = std::nullopt;
  s.household_size_shares = defaults.household_size_shares;
  s.school_min_age = defaults.school_min_age;
  s.school_max_age = defaults.school_max_age;
  s.class_size = defaults.class_size;
  s.retirement_age = defaults.retirement_age;
  s.employment_rate = defaults.employment_rate;
  s.office_size = defaults.office_size;
  s.office_size_sd = defaults.office_size_sd;
  return s;
}

// The "original model": every agent 30-39, homes of 3, workplaces of 20.
Scenario original(std::int64_t n) {
  Scenario s = composed(n);
  s.age_shares = {0, 0, 0, 1, 0, 0, 0, 0, 0};
  s.household_size = 3;
  s.employment_rate = 0.6;
  s.office_size = 20;
  s.office_size_sd = 0;
  return s;
}

// Largest remainder over the bands, ties to the lower band.
std::vector<std::int64_t> band_targets(std::int64_t n, const std::vector<double>& shares) {
  const double sum = std::accumulate(shares.begin(), shares.end(), 0.0);
  std::vector<std::int64_t> out(shares.size());
  std::vector<double> remainder(shares.size());
  std::int64_t given = 0;
  for (std::size_t b = 0; b < shares.size(); ++b) {
    const double exact = static_cast<double>(n) * (shares[b] / sum);
    out[b] = static_cast<std::int64_t>(std::floor(exact));
    remainder[b] = shares[b] > 0 ? exact - std::floor(exact) : -1;
    given += out[b];
  }
  std::vector<std::size_t> order(shares.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  for (std::size_t k = 0; given < n; ++k, ++given) ++out[order[k]];
  return out;
}

struct Home {
  AgentId begin;
  std::uint32_t size;
};

std::vector<Home> homes_of(const Population& p) {
  std::vector<Home> homes;
  for (AgentId a = 0; a < p.size(); a += p.home_size(a)) homes.push_back({a, p.home_size(a)});
  return homes;
}

// Everything a Population holds, for comparing two builds.
struct Snapshot {
  std::vector<int> ages;
  std::vector<AgentId> home_begins;
  std::vector<std::uint32_t> home_sizes;
  std::vector<PlaceId> places;
  std::vector<std::uint32_t> place_begins;
  std::vector<AgentId> seats;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const Population& p) {
  Snapshot s;
  for (AgentId a = 0; a < p.size(); ++a) {
    s.ages.push_back(p.age(a));
    s.home_begins.push_back(p.home_begin(a));
    s.home_sizes.push_back(p.home_size(a));
    s.places.push_back(p.place_of(a));
  }
  for (PlaceId q = 0; q <= p.places(); ++q) s.place_begins.push_back(p.place_begin(q));
  for (std::uint32_t k = 0; k < p.place_begin(p.places()); ++k) s.seats.push_back(p.seat(k));
  return s;
}

std::int64_t count_ages(const Population& p, int from, int to) {  // ages from ... to - 1
  std::int64_t n = 0;
  for (AgentId a = 0; a < p.size(); ++a) n += p.age(a) >= from && p.age(a) < to ? 1 : 0;
  return n;
}

// --- Ages ---------------------------------------------------------------

TEST(PopulationAges, BandCountsAreTheLargestRemainderTargets) {
  const std::vector<std::vector<double>> share_sets = {
      Scenario{}.age_shares,
      std::vector<double>(kAgeBands, 1.0 / kAgeBands),
      {0.5, 0, 0, 0, 0, 0, 0, 0, 0.5},
      {0, 0, 0, 1, 0, 0, 0, 0, 0}};
  for (const auto& shares : share_sets) {
    for (std::int64_t n : {1, 2, 7, 999, 10'007, 200'000}) {
      Scenario s = composed(n);
      s.age_shares = shares;
      const Population p(s, 3, 2);
      const auto want = band_targets(n, shares);
      std::vector<std::int64_t> counted(kAgeBands, 0);
      for (AgentId a = 0; a < p.size(); ++a) {
        ASSERT_GE(p.age(a), 0);
        ASSERT_LE(p.age(a), kMaxAge);
        ASSERT_EQ(p.band(a), age_band(p.age(a)));
        ++counted[p.band(a)];
      }
      for (std::size_t b = 0; b < kAgeBands; ++b) {
        EXPECT_EQ(counted[b], want[b]) << "n=" << n << " band " << kAgeBandLabels[b];
        EXPECT_EQ(p.agents_by_band()[b], want[b]) << "n=" << n << " band " << kAgeBandLabels[b];
      }
    }
  }
}

// Bands of ten years are split evenly over their years; 80+ spans 80 ... 99
// with weights 20, 19, ..., 1. Either way a year's count is its exact share
// of the band, rounded up or down.
TEST(PopulationAges, YearsWithinABandFollowTheirWeights) {
  const Population p(composed(200'000), 5, 2);
  std::vector<std::int64_t> per_year(kMaxAge + 1, 0);
  for (AgentId a = 0; a < p.size(); ++a) ++per_year[p.age(a)];
  for (std::size_t b = 0; b < kAgeBands; ++b) {
    const int first = static_cast<int>(b) * 10;
    const int span = b + 1 < kAgeBands ? 10 : kMaxAge + 1 - first;
    const double total_weight = b + 1 < kAgeBands ? 10 : span * (span + 1) / 2.0;
    for (int i = 0; i < span; ++i) {
      const double weight = b + 1 < kAgeBands ? 1 : span - i;
      const double exact = static_cast<double>(p.agents_by_band()[b]) * weight / total_weight;
      EXPECT_LT(std::fabs(static_cast<double>(per_year[first + i]) - exact), 1.0)
          << "age " << first + i;
    }
  }
}

// --- Homes --------------------------------------------------------------

TEST(PopulationHomes, HomesPartitionTheIds) {
  for (const Scenario& s : {composed(10'007), original(10'007), composed(1), original(2)}) {
    const Population p(s, 9, 2);
    std::uint64_t covered = 0;
    for (const Home& h : homes_of(p)) {
      ASSERT_GE(h.size, 1u);
      for (AgentId a = h.begin; a < h.begin + h.size; ++a) {
        ASSERT_LT(a, p.size());
        ASSERT_EQ(p.home_begin(a), h.begin) << "agent " << a;
        ASSERT_EQ(p.home_size(a), h.size) << "agent " << a;
        ASSERT_EQ(p.home_end(a), h.begin + h.size) << "agent " << a;
      }
      covered += h.size;
    }
    EXPECT_EQ(covered, p.size());
    EXPECT_EQ(homes_of(p).size(), p.homes());
  }
}

// Homes of each size: expected H * share of the H homes, within 5 binomial
// standard deviations (the build apportions them, so they are much closer).
TEST(PopulationHomes, SizesFollowTheShares) {
  const Scenario s = composed(200'000);
  const Population p(s, 2, 2);
  std::vector<double> per_size(kHouseholdSizes + 1, 0);
  for (const Home& h : homes_of(p)) {
    ASSERT_LE(h.size, kHouseholdSizes);
    ++per_size[h.size];
  }
  const double homes = p.homes();
  for (std::size_t k = 0; k < kHouseholdSizes; ++k) {
    const double share = s.household_size_shares[k];
    const double sd = std::sqrt(homes * share * (1 - share));
    EXPECT_NEAR(per_size[k + 1], homes * share, 5 * sd + 1) << "homes of " << k + 1;
  }
}

TEST(PopulationHomes, AFixedSizeMakesConsecutiveBlocks) {
  for (std::int64_t size : {1, 3, 7, 100}) {
    Scenario s = original(10'007);
    s.household_size = size;
    const Population p(s, 4, 2);
    const std::int64_t full = 10'007 / size;
    const std::int64_t rest = 10'007 % size;
    ASSERT_EQ(p.homes(), static_cast<std::uint32_t>(full + (rest > 0 ? 1 : 0)));
    for (AgentId a = 0; a < p.size(); ++a) {
      ASSERT_EQ(p.home_begin(a), a / size * size) << "agent " << a;
      ASSERT_EQ(p.home_size(a), a / size < full ? size : rest) << "agent " << a;
    }
  }
}

TEST(PopulationHomes, EveryChildLivesWithAnAdultOfParentalAge) {
  for (std::uint64_t seed : {1, 2}) {
    const Population p(composed(200'000), seed, 2);
    for (const Home& h : homes_of(p)) {
      bool child = false;
      bool parent = false;
      for (AgentId a = h.begin; a < h.begin + h.size; ++a) {
        child = child || p.age(a) < kChildUntil;
        parent = parent || (p.age(a) >= 20 && p.age(a) < 60);
      }
      ASSERT_TRUE(!child || parent) << "home at " << h.begin << " of " << h.size;
    }
  }
}

// About 35% of people 65+ live alone and 45% in couples with each other;
// the other 20% are spread over all adult slots, about half of which are in
// homes of 1-2. That gives about 90% at the defaults.
TEST(PopulationHomes, OlderPeopleMostlyLiveAloneOrInPairs) {
  const Population p(composed(200'000), 6, 2);
  std::int64_t older = 0;
  std::int64_t in_small_homes = 0;
  for (AgentId a = 0; a < p.size(); ++a) {
    if (p.age(a) < kOlderFrom) continue;
    ++older;
    in_small_homes += p.home_size(a) <= 2 ? 1 : 0;
  }
  const double share = static_cast<double>(in_small_homes) / static_cast<double>(older);
  RecordProperty("older_in_homes_of_1_2", std::to_string(share));
  EXPECT_GT(share, 0.85);
  EXPECT_LT(share, 0.97);
}

// At the defaults about two thirds of the homes of 3+ have children.
TEST(PopulationHomes, LargerHomesAreMostlyFamilies) {
  const Population p(composed(200'000), 6, 2);
  std::int64_t large = 0;
  std::int64_t families = 0;
  for (const Home& h : homes_of(p)) {
    if (h.size < 3) continue;
    ++large;
    bool child = false;
    for (AgentId a = h.begin; a < h.begin + h.size; ++a) child = child || p.age(a) < kChildUntil;
    families += child ? 1 : 0;
  }
  EXPECT_GT(static_cast<double>(families) / static_cast<double>(large), 0.6);
}

// --- Schools ------------------------------------------------------------

TEST(PopulationSchools, EachClassHoldsOneAgeAndEveryPupil) {
  Scenario s = composed(200'000);
  s.class_size = 23;
  const Population p(s, 8, 2);
  std::vector<std::int64_t> classes_of_age(kMaxAge + 1, 0);
  std::vector<std::uint32_t> smallest(kMaxAge + 1, 1'000'000);
  std::vector<std::uint32_t> largest(kMaxAge + 1, 0);
  for (PlaceId c = 0; c < p.classes(); ++c) {
    ASSERT_TRUE(p.is_class(c));
    const auto members = p.place_members(c);
    ASSERT_GE(members.size(), 1u);
    ASSERT_LE(members.size(), static_cast<std::size_t>(s.class_size));
    const int age = p.age(members[0]);
    for (AgentId a : members) ASSERT_EQ(p.age(a), age) << "class " << c;
    ++classes_of_age[age];
    smallest[age] = std::min<std::uint32_t>(smallest[age], p.place_size(c));
    largest[age] = std::max<std::uint32_t>(largest[age], p.place_size(c));
  }
  for (int age = 0; age <= kMaxAge; ++age) {
    const bool school_age = age >= s.school_min_age && age <= s.school_max_age;
    const std::int64_t pupils = count_ages(p, age, age + 1);
    EXPECT_EQ(classes_of_age[age], school_age ? (pupils + s.class_size - 1) / s.class_size : 0)
        << "age " << age;
    if (classes_of_age[age] > 0) {
      EXPECT_LE(largest[age] - smallest[age], 1u) << "age " << age;
    }
  }
  for (AgentId a = 0; a < p.size(); ++a) {
    const bool school_age = p.age(a) >= s.school_min_age && p.age(a) <= s.school_max_age;
    ASSERT_EQ(p.place_of(a) != kNoPlace && p.is_class(p.place_of(a)), school_age)
        << "agent " << a << " aged " << p.age(a);
  }
}

// Classes are filled in keyed shuffled order: classmates are spread over
// the ids (so over the homes), not neighbours. For random pairs of ids the
// mean distance is N / 3.
TEST(PopulationSchools, ClassesMixHomes) {
  const Population p(composed(200'000), 12, 2);
  double distance = 0;
  std::int64_t pairs = 0;
  std::int64_t housemates = 0;
  for (PlaceId c = 0; c < p.classes(); ++c) {
    const auto m = p.place_members(c);
    for (std::size_t i = 1; i < m.size(); ++i) {
      distance += std::fabs(static_cast<double>(m[i]) - static_cast<double>(m[i - 1]));
      housemates += p.home_begin(m[i]) == p.home_begin(m[i - 1]) ? 1 : 0;
      ++pairs;
    }
  }
  ASSERT_GT(pairs, 0);
  EXPECT_GT(distance / static_cast<double>(pairs), 200'000 / 5.0);
  EXPECT_LT(static_cast<double>(housemates) / static_cast<double>(pairs), 0.01);
}

// --- Workplaces ---------------------------------------------------------

TEST(PopulationWork, EmployedAreTheRoundedShareOfTheWorkingAge) {
  for (double rate : {0.0, 0.37, 0.75, 1.0}) {
    Scenario s = composed(50'001);
    s.employment_rate = rate;
    const Population p(s, 13, 2);
    const std::int64_t working_age =
        count_ages(p, static_cast<int>(s.school_max_age) + 1, static_cast<int>(s.retirement_age));
    std::int64_t employed = 0;
    for (AgentId a = 0; a < p.size(); ++a) {
      const PlaceId q = p.place_of(a);
      if (q == kNoPlace || p.is_class(q)) continue;
      ++employed;
      ASSERT_GT(p.age(a), s.school_max_age) << "agent " << a;
      ASSERT_LT(p.age(a), s.retirement_age) << "agent " << a;
    }
    EXPECT_EQ(employed, std::llround(rate * static_cast<double>(working_age))) << "rate " << rate;
    EXPECT_EQ(employed, p.place_begin(p.places()) - p.place_begin(p.classes()));
  }
}

// Workplace sizes are lognormal with mean office_size and sd office_size_sd
// (rounded, at least 1); the last takes the remainder, so it is left out.
TEST(PopulationWork, WorkplaceSizesHaveTheMeanOfficeSize) {
  const Scenario s = composed(400'000);
  const Population p(s, 14, 2);
  const std::uint32_t workplaces = p.places() - p.classes();
  ASSERT_GT(workplaces, 1000u);
  double sum = 0;
  std::uint32_t largest = 0;
  for (PlaceId q = p.classes(); q + 1 < p.places(); ++q) {
    sum += p.place_size(q);
    largest = std::max(largest, p.place_size(q));
    ASSERT_GE(p.place_size(q), 1u);
  }
  const double n = workplaces - 1;
  EXPECT_NEAR(sum / n, static_cast<double>(s.office_size), 5 * s.office_size_sd / std::sqrt(n));
  EXPECT_GT(largest, 3u * static_cast<std::uint32_t>(s.office_size));  // a long tail
}

TEST(PopulationWork, ZeroSpreadGivesExactSizes) {
  Scenario s = composed(100'003);
  s.office_size = 17;
  s.office_size_sd = 0;
  const Population p(s, 15, 2);
  ASSERT_GT(p.places(), p.classes());
  for (PlaceId q = p.classes(); q + 1 < p.places(); ++q) ASSERT_EQ(p.place_size(q), 17u);
  EXPECT_GE(p.place_size(p.places() - 1), 1u);
  EXPECT_LE(p.place_size(p.places() - 1), 17u);
}

// The employed are a random subset: the number among the first half of the
// working-age agents (by id) is hypergeometric, sd about sqrt(W) / 4 at 50%.
TEST(PopulationWork, TheEmployedAreSpreadOverAllIds) {
  Scenario s = composed(100'000);
  s.employment_rate = 0.5;
  const Population p(s, 16, 2);
  std::vector<bool> employed;
  for (AgentId a = 0; a < p.size(); ++a) {
    if (p.age(a) <= s.school_max_age || p.age(a) >= s.retirement_age) continue;
    employed.push_back(p.place_of(a) != kNoPlace);
  }
  const auto half = static_cast<std::ptrdiff_t>(employed.size() / 2);
  const auto first_half = std::count(employed.begin(), employed.begin() + half, true);
  const double sd = std::sqrt(static_cast<double>(employed.size())) / 4;
  EXPECT_NEAR(static_cast<double>(first_half), static_cast<double>(half) / 2, 5 * sd);
}

// Workplaces do not follow homes: the chance that a colleague is also a
// housemate is about (home size - 1) / employed, tiny.
TEST(PopulationWork, WorkplacesMixHomes) {
  const Population p(composed(200'000), 17, 2);
  std::int64_t pairs = 0;
  std::int64_t housemates = 0;
  for (PlaceId q = p.classes(); q < p.places(); ++q) {
    const auto m = p.place_members(q);
    for (std::size_t i = 1; i < m.size(); ++i, ++pairs) {
      housemates += p.home_begin(m[i]) == p.home_begin(m[0]) ? 1 : 0;
    }
  }
  ASSERT_GT(pairs, 0);
  EXPECT_LT(static_cast<double>(housemates) / static_cast<double>(pairs), 0.005);
}

// --- Seats, determinism, memory -----------------------------------------

TEST(PopulationSeats, SeatsAndPlacesAgree) {
  for (const Scenario& s : {composed(60'000), original(60'000)}) {
    const Population p(s, 18, 2);
    std::vector<int> seen(p.size(), 0);
    EXPECT_EQ(p.place_begin(0), 0u);
    for (PlaceId q = 0; q < p.places(); ++q) {
      ASSERT_LE(p.place_size(q), 65'535u);
      ASSERT_GE(p.place_size(q), 1u);
      for (AgentId a : p.place_members(q)) {
        ASSERT_LT(a, p.size());
        ASSERT_EQ(p.place_of(a), q) << "agent " << a;
        ++seen[a];
      }
    }
    for (AgentId a = 0; a < p.size(); ++a) {
      ASSERT_EQ(seen[a], p.place_of(a) == kNoPlace ? 0 : 1) << "agent " << a;
    }
  }
}

TEST(PopulationDeterminism, ThreadCountDoesNotMatterAndSeedsDo) {
  for (const Scenario& s : {composed(300'001), original(150'001)}) {
    const Snapshot one = snapshot(Population(s, 5, 1));
    EXPECT_EQ(one, snapshot(Population(s, 5, 2)));
    EXPECT_EQ(one, snapshot(Population(s, 5, 3)));
    EXPECT_EQ(one, snapshot(Population(s, 5, 0)));
    const Snapshot other = snapshot(Population(s, 6, 2));
    std::int64_t same_place = 0;
    for (std::size_t a = 0; a < one.places.size(); ++a) {
      same_place += one.places[a] == other.places[a] && one.places[a] != kNoPlace ? 1 : 0;
    }
    EXPECT_NE(one.ages, other.ages);
    EXPECT_LT(same_place, static_cast<std::int64_t>(one.places.size()) / 100);
  }
}

// About 1 (age) + 2 (home) + 4 (place) + 4 (seat) bytes per agent, plus 4
// per place.
TEST(PopulationMemory, AtMostTwelveBytesPerAgent) {
  for (const Scenario& s : {composed(500'000), original(500'000)}) {
    const Population p(s, 1, 2);
    const std::size_t seats = p.place_begin(p.places());
    EXPECT_GE(p.memory_bytes(), std::size_t{p.size()} * 7 + seats * 4 + p.places() * 4);
    EXPECT_LE(p.memory_bytes(), std::size_t{p.size()} * 12);
  }
}

// --- Edge cases ---------------------------------------------------------

TEST(PopulationEdgeCases, OneAgent) {
  for (const Scenario& s : {composed(1), original(1)}) {
    const Population p(s, 1, 2);
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p.homes(), 1u);
    EXPECT_EQ(p.home_size(0), 1u);
    EXPECT_EQ(p.home_begin(0), 0u);
    EXPECT_LE(p.places(), 1u);
    EXPECT_EQ(p.place_begin(p.places()), p.place_of(0) == kNoPlace ? 0u : 1u);
  }
}

TEST(PopulationEdgeCases, FewerAgentsThanAHome) {
  Scenario s = original(2);
  s.household_size = 5;
  const Population fixed(s, 1, 1);
  EXPECT_EQ(fixed.homes(), 1u);
  EXPECT_EQ(fixed.home_size(1), 2u);
  s = composed(4);
  s.household_size_shares = {0, 0, 0, 0, 0, 1};  // only homes of 6
  const Population composed_homes(s, 1, 1);
  EXPECT_EQ(composed_homes.homes(), 1u);
  EXPECT_EQ(composed_homes.home_size(0), 4u);
}

TEST(PopulationEdgeCases, TheOriginalModel) {
  const Population p(original(10'000), 3, 2);
  EXPECT_EQ(p.agents_by_band()[3], 10'000);
  for (AgentId a = 0; a < p.size(); ++a) {
    ASSERT_GE(p.age(a), 30);
    ASSERT_LE(p.age(a), 39);
    ASSERT_EQ(p.home_size(a), a < 9'999 ? 3u : 1u);
  }
  EXPECT_EQ(p.classes(), 0u);
  EXPECT_EQ(p.place_begin(p.places()), 6'000u);  // 0.6 of 10,000 working-age agents
  for (PlaceId q = 0; q + 1 < p.places(); ++q) ASSERT_EQ(p.place_size(q), 20u);
}

TEST(PopulationEdgeCases, NobodyOrEverybodyEmployed) {
  Scenario s = composed(20'000);
  s.employment_rate = 0;
  const Population none(s, 2, 2);
  EXPECT_EQ(none.places(), none.classes());
  s.employment_rate = 1;
  const Population all(s, 2, 2);
  for (AgentId a = 0; a < all.size(); ++a) {
    const bool working_age = all.age(a) > s.school_max_age && all.age(a) < s.retirement_age;
    if (working_age) {
      ASSERT_NE(all.place_of(a), kNoPlace) << "agent " << a;
    }
  }
}

// Age structures the composition rules cannot fully honour still build the
// exact counts: with only children, homes have no adult (documented).
TEST(PopulationEdgeCases, ExtremeAgeStructures) {
  for (const std::vector<double>& shares : {std::vector<double>{1, 0, 0, 0, 0, 0, 0, 0, 0},
                                            {0, 0, 0, 0, 0, 0, 0, 0, 1},
                                            {0.6, 0.3, 0, 0, 0, 0, 0, 0, 0.1},
                                            {0, 0, 0, 0, 0, 0, 1, 0, 0}}) {
    Scenario s = composed(30'000);
    s.age_shares = shares;
    const Population p(s, 4, 2);
    const auto want = band_targets(30'000, shares);
    for (std::size_t b = 0; b < kAgeBands; ++b) EXPECT_EQ(p.agents_by_band()[b], want[b]);
    std::uint64_t covered = 0;
    for (const Home& h : homes_of(p)) covered += h.size;
    EXPECT_EQ(covered, p.size());
  }
}

TEST(PopulationValidation, AnInvalidScenarioThrows) {
  Scenario s = composed(1000);
  s.population = 0;
  EXPECT_THROW(Population(s, 1, 1), std::invalid_argument);
  s = composed(1000);
  s.household_size = 0;
  EXPECT_THROW(Population(s, 1, 1), std::invalid_argument);
  s = composed(1000);
  s.retirement_age = s.school_max_age;
  EXPECT_THROW(Population(s, 1, 1), std::invalid_argument);
}

}  // namespace
}  // namespace outbreak::engine
