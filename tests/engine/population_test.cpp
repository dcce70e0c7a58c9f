// Population: homes as consecutive id blocks, offices filled from a seeded
// shuffle, and a result that depends on (scenario, seed) only.
#include "outbreak/engine/population.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <vector>

#include "engine/test_support.hpp"

namespace outbreak::engine {
namespace {

using testing::small_scenario;

Scenario population_scenario(std::int64_t n, std::int64_t household, std::int64_t office,
                             double employment_rate) {
  Scenario s = small_scenario();
  s.population = n;
  s.household_size = household;
  s.office_size = office;
  s.employment_rate = employment_rate;
  s.initial_infected = 0;
  return s;
}

std::vector<PlaceId> offices_of(const Population& p) {
  std::vector<PlaceId> v(p.size());
  for (AgentId a = 0; a < p.size(); ++a) v[a] = p.office_of(a);
  return v;
}

std::vector<std::vector<AgentId>> members_of(const Population& p) {
  std::vector<std::vector<AgentId>> v(p.offices());
  for (PlaceId o = 0; o < p.offices(); ++o) {
    const auto m = p.office_members(o);
    v[o].assign(m.begin(), m.end());
  }
  return v;
}

struct Shape {
  std::int64_t n;
  std::int64_t household;
  std::int64_t office;
  double employment_rate;
};

void PrintTo(const Shape& c, std::ostream* os) {
  *os << "N=" << c.n << " household=" << c.household << " office=" << c.office
      << " employment=" << c.employment_rate;
}

class PopulationShape : public ::testing::TestWithParam<Shape> {};

TEST_P(PopulationShape, HomesAreConsecutiveBlocks) {
  const Shape c = GetParam();
  const Population p(population_scenario(c.n, c.household, c.office, c.employment_rate), 7, 2);
  ASSERT_EQ(p.size(), static_cast<std::uint32_t>(c.n));
  EXPECT_EQ(p.household_size(), static_cast<std::uint32_t>(c.household));
  const std::int64_t homes = (c.n + c.household - 1) / c.household;
  ASSERT_EQ(p.homes(), static_cast<std::uint32_t>(homes));
  for (AgentId a = 0; a < p.size(); ++a) {
    ASSERT_EQ(p.home_of(a), a / c.household) << "agent " << a;
  }
  std::int64_t covered = 0;
  for (PlaceId h = 0; h < p.homes(); ++h) {
    const std::int64_t size = p.home_end(h) - p.home_begin(h);
    const bool last = h + 1 == p.homes();
    const std::int64_t want = last ? c.n - (homes - 1) * c.household : c.household;
    ASSERT_EQ(size, want) << "home " << h;
    ASSERT_EQ(p.home_begin(h), static_cast<AgentId>(covered)) << "home " << h;
    for (AgentId a = p.home_begin(h); a < p.home_end(h); ++a) {
      ASSERT_EQ(p.home_of(a), h);
    }
    covered += size;
  }
  EXPECT_EQ(covered, c.n);
}

TEST_P(PopulationShape, OfficesPartitionTheEmployed) {
  const Shape c = GetParam();
  const Population p(population_scenario(c.n, c.household, c.office, c.employment_rate), 7, 2);
  const auto employed = static_cast<std::int64_t>(std::llround(c.employment_rate * c.n));
  ASSERT_EQ(p.employed(), static_cast<std::uint32_t>(employed));
  EXPECT_EQ(p.office_size(), static_cast<std::uint32_t>(c.office));
  const std::int64_t offices = (employed + c.office - 1) / c.office;
  ASSERT_EQ(p.offices(), static_cast<std::uint32_t>(offices));

  std::vector<int> seen(p.size(), 0);
  for (PlaceId o = 0; o < p.offices(); ++o) {
    const auto members = p.office_members(o);
    const bool last = o + 1 == p.offices();
    const std::int64_t want = last ? employed - (offices - 1) * c.office : c.office;
    ASSERT_EQ(static_cast<std::int64_t>(members.size()), want) << "office " << o;
    for (AgentId a : members) {
      ASSERT_LT(a, p.size());
      ++seen[a];
      ASSERT_EQ(p.office_of(a), o) << "agent " << a << " is listed in office " << o;
    }
  }
  std::int64_t with_office = 0;
  for (AgentId a = 0; a < p.size(); ++a) {
    ASSERT_LE(seen[a], 1) << "agent " << a << " is in two offices";
    if (seen[a] == 1) {
      ++with_office;
    } else {
      ASSERT_EQ(p.office_of(a), kNoPlace) << "agent " << a << " has an office but no seat";
    }
  }
  EXPECT_EQ(with_office, employed);
}

INSTANTIATE_TEST_SUITE_P(Shapes, PopulationShape,
                         ::testing::Values(Shape{10'007, 3, 20, 0.37},  // 3702.59 -> 3703
                                           Shape{10'000, 4, 7, 0.6}, Shape{20'000, 5, 5, 1.0},
                                           Shape{9'999, 1, 1, 0.5}, Shape{1'000, 100, 333, 0.999},
                                           Shape{1, 1, 1, 1.0}, Shape{50, 7, 10'000, 1.0},
                                           Shape{5'000, 3, 20, 0.0}));

TEST(Population, RoundsTheEmployedCountToNearest) {
  // 0.6 * 1001 = 600.6 -> 601; 0.4 * 1001 = 400.4 -> 400.
  EXPECT_EQ(Population(population_scenario(1001, 3, 20, 0.6), 1, 1).employed(), 601u);
  EXPECT_EQ(Population(population_scenario(1001, 3, 20, 0.4), 1, 1).employed(), 400u);
}

TEST(Population, NobodyWorksAtZeroEmployment) {
  const Population p(population_scenario(5'000, 3, 20, 0.0), 3, 2);
  EXPECT_EQ(p.employed(), 0u);
  EXPECT_EQ(p.offices(), 0u);
  for (AgentId a = 0; a < p.size(); ++a) {
    ASSERT_EQ(p.office_of(a), kNoPlace);
  }
}

TEST(Population, SameSeedSameOfficesOtherSeedOtherOffices) {
  const Scenario s = population_scenario(20'000, 3, 20, 0.6);
  const Population a(s, 11, 2);
  const Population b(s, 11, 2);
  const Population c(s, 12, 2);
  EXPECT_EQ(offices_of(a), offices_of(b));
  EXPECT_EQ(members_of(a), members_of(b));
  // Another seed: almost every agent's office changes (a uniform shuffle
  // keeps an agent's office with probability ~ 0.6 / offices).
  const auto oa = offices_of(a);
  const auto oc = offices_of(c);
  std::int64_t same = 0;
  for (std::size_t i = 0; i < oa.size(); ++i) same += oa[i] == oc[i] ? 1 : 0;
  EXPECT_LT(same, static_cast<std::int64_t>(oa.size()) / 2);
}

TEST(Population, ThreadCountDoesNotChangeThePopulation) {
  const Scenario s = population_scenario(300'001, 3, 20, 0.6);
  const Population one(s, 5, 1);
  const Population four(s, 5, 4);
  const Population all(s, 5, 0);
  EXPECT_EQ(offices_of(one), offices_of(four));
  EXPECT_EQ(members_of(one), members_of(four));
  EXPECT_EQ(offices_of(one), offices_of(all));
}

// If offices were filled in id order, an office of 5 with homes of 5 would
// largely be one household. For a uniform shuffle the chance that a given
// office mate is also a housemate is (household - 1) / (N - 1) ~ 2e-4.
TEST(Population, ShuffleSeparatesHousematesFromOfficeMates) {
  const Scenario s = population_scenario(20'000, 5, 5, 1.0);
  const Population p(s, 21, 2);
  std::int64_t pairs = 0;
  std::int64_t housemate_pairs = 0;
  std::int64_t sorted_offices = 0;
  for (PlaceId o = 0; o < p.offices(); ++o) {
    const auto m = p.office_members(o);
    bool sorted = true;
    for (std::size_t i = 0; i < m.size(); ++i) {
      if (i > 0 && m[i - 1] > m[i]) sorted = false;
      for (std::size_t j = i + 1; j < m.size(); ++j) {
        ++pairs;
        housemate_pairs += p.home_of(m[i]) == p.home_of(m[j]) ? 1 : 0;
      }
    }
    sorted_offices += sorted ? 1 : 0;
  }
  ASSERT_GT(pairs, 0);
  const double fraction = static_cast<double>(housemate_pairs) / static_cast<double>(pairs);
  EXPECT_LT(fraction, 0.01);
  // Five random ids are in increasing order with probability 1/120.
  EXPECT_LT(sorted_offices, static_cast<std::int64_t>(p.offices()) / 20);
}

// With half employed, the employed must be a random half, not the first ids:
// the number employed among the first N/2 ids is hypergeometric with mean
// N/4 and standard deviation sqrt(N/16 * N/(N-1)) ~ sqrt(N)/4.
TEST(Population, TheEmployedAreSpreadOverAllIds) {
  constexpr std::int64_t kN = 20'000;
  const Population p(population_scenario(kN, 3, 20, 0.5), 4, 2);
  std::int64_t first_half = 0;
  for (AgentId a = 0; a < kN / 2; ++a) first_half += p.office_of(a) != kNoPlace ? 1 : 0;
  const double sd = std::sqrt(static_cast<double>(kN)) / 4;
  EXPECT_NEAR(static_cast<double>(first_half), kN / 4.0, 5 * sd);
}

TEST(Population, InvalidScenarioThrows) {
  Scenario s = small_scenario();
  s.population = 0;
  EXPECT_THROW(Population(s, 1, 1), std::invalid_argument);
  s = small_scenario();
  s.household_size = 0;
  EXPECT_THROW(Population(s, 1, 1), std::invalid_argument);
}

TEST(Population, MemoryBytesCoversTheArrays) {
  const Population p(population_scenario(100'000, 3, 20, 0.6), 1, 2);
  // One office id per agent and one seat per employed agent, at least.
  EXPECT_GE(p.memory_bytes(), 100'000 * sizeof(PlaceId) + 60'000 * sizeof(AgentId));
}

}  // namespace
}  // namespace outbreak::engine
