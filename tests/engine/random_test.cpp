// Counter-based randomness: the generator itself, the deterministic
// logarithms, and the distributions built on them. The statistical checks use
// tolerances from the sampling distribution (5 standard deviations, or a
// chi-square quantile at p = 1e-6), so a correct implementation fails them
// with negligible probability and they are fixed by the keys anyway.
#include "outbreak/engine/random.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

namespace outbreak::engine {
namespace {

bool same(const Draw& a, const Draw& b) {
  return a.v[0] == b.v[0] && a.v[1] == b.v[1] && a.v[2] == b.v[2] && a.v[3] == b.v[3];
}

double relative_error(double got, double want) { return std::abs(got - want) / std::abs(want); }

// --- det_log / det_log1p ------------------------------------------------------

TEST(DetLog, MatchesStdLogOnAGridOfTheUnitInterval) {
  constexpr int kPoints = 200'000;
  for (int k = 0; k < kPoints; ++k) {
    const double x = (k + 0.5) / kPoints;  // (0, 1)
    ASSERT_LE(relative_error(det_log(x), std::log(x)), 1e-15) << "x = " << x;
  }
}

TEST(DetLog, MatchesStdLogOnKeyedUniformsAndNearOne) {
  for (std::uint32_t i = 0; i < 100'000; ++i) {
    const Draw d = philox(99, i, 0, Purpose::kCommunityTransmission, 0);
    const double x = 1 - to_unit(d.v[0], d.v[1]);  // (0, 1], as the skipper uses it
    if (x == 1) continue;
    ASSERT_LE(relative_error(det_log(x), std::log(x)), 1e-15) << "x = " << x;
  }
  // Near 1 the result is tiny; relative accuracy must hold there too.
  for (double h = 1e-15; h < 0.1; h *= 1.7) {
    ASSERT_LE(relative_error(det_log(1 - h), std::log(1 - h)), 1e-15) << "h = " << h;
    ASSERT_LE(relative_error(det_log(1 + h), std::log(1 + h)), 1e-15) << "h = " << h;
  }
  EXPECT_EQ(det_log(1.0), 0.0);
}

TEST(DetLog, MatchesStdLogOverTheWholeExponentRange) {
  for (int e = -1021; e <= 1023; ++e) {
    for (double m : {1.0, 1.2345678901234567, 1.4142135623730951, 1.5, 1.9999999999999998}) {
      const double x = std::ldexp(m, e);
      if (x == 1) continue;
      ASSERT_LE(relative_error(det_log(x), std::log(x)), 1e-15) << "x = " << x;
    }
  }
  for (double x : {2.0, 10.0, 1e10, 1e100, 1e300, std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::min()}) {
    EXPECT_LE(relative_error(det_log(x), std::log(x)), 1e-15) << "x = " << x;
  }
}

TEST(DetLog1p, IsAccurateForTinyArguments) {
  // |x| from 1e-12 to 1e-3, both signs, on a logarithmic grid.
  for (int k = 0; k <= 9'000; ++k) {
    const double magnitude = std::pow(10.0, -12.0 + k / 1000.0);
    for (double x : {magnitude, -magnitude}) {
      ASSERT_LE(relative_error(det_log1p(x), std::log1p(x)), 1e-14) << "x = " << x;
    }
  }
}

TEST(DetLog1p, IsAccurateForModerateArguments) {
  for (double x : {-0.999, -0.9, -0.5, -0.01, 0.01, 0.5, 1.0, 3.0, 1e6}) {
    EXPECT_LE(relative_error(det_log1p(x), std::log1p(x)), 1e-14) << "x = " << x;
  }
}

// --- philox -------------------------------------------------------------------

TEST(Philox, IsPhilox4x32With10RoundsKnownAnswers) {
  // Known-answer vectors published with Random123 (kat_vectors): counter
  // words = (entity, day, purpose, index), key = (low, high) half of the seed.
  const Draw zero = philox(0, 0, 0, static_cast<Purpose>(0), 0);
  EXPECT_TRUE(same(zero, Draw{{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}));
  const Draw ones = philox(~std::uint64_t{0}, 0xffffffff, 0xffffffff,
                           static_cast<Purpose>(0xffffffff), 0xffffffff);
  EXPECT_TRUE(same(ones, Draw{{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}));
  const Draw pi = philox(0x299f31d0a4093822, 0x243f6a88, 0x85a308d3,
                         static_cast<Purpose>(0x13198a2e), 0x03707344);
  EXPECT_TRUE(same(pi, Draw{{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}));
}

TEST(Philox, SameKeySameDrawAnyChangeOfKeyAnotherDraw) {
  const Draw base = philox(42, 7, 3, Purpose::kHomeTransmission, 0);
  EXPECT_TRUE(same(base, philox(42, 7, 3, Purpose::kHomeTransmission, 0)));
  EXPECT_FALSE(same(base, philox(43, 7, 3, Purpose::kHomeTransmission, 0)));
  EXPECT_FALSE(same(base, philox(42 + (std::uint64_t{1} << 32), 7, 3, Purpose::kHomeTransmission,
                                 0)));  // high seed bits count
  EXPECT_FALSE(same(base, philox(42, 8, 3, Purpose::kHomeTransmission, 0)));
  EXPECT_FALSE(same(base, philox(42, 7, 4, Purpose::kHomeTransmission, 0)));
  EXPECT_FALSE(same(base, philox(42, 7, 3, Purpose::kWorkTransmission, 0)));
  EXPECT_FALSE(same(base, philox(42, 7, 3, Purpose::kHomeTransmission, 1)));
  // Swapping entity and day must not alias either.
  EXPECT_FALSE(same(philox(42, 3, 7, Purpose::kHomeTransmission, 0), base));
}

// --- to_unit / bernoulli --------------------------------------------------------

TEST(ToUnit, CoversHalfOpenUnitInterval) {
  EXPECT_EQ(to_unit(0, 0), 0.0);
  EXPECT_EQ(to_unit(0xffffffff, 0xffffffff), 1.0 - 0x1.0p-53);
  EXPECT_EQ(to_unit(0x80000000, 0), 0.5);
}

class BernoulliFrequency : public ::testing::TestWithParam<double> {};

TEST_P(BernoulliFrequency, MatchesPWithinFiveStandardDeviations) {
  const double p = GetParam();
  constexpr std::uint32_t kDraws = 200'000;
  std::int64_t hits = 0;
  for (std::uint32_t i = 0; i < kDraws; ++i) {
    hits += bernoulli(philox(2024, i, 5, Purpose::kAsymptomatic, 0), p) ? 1 : 0;
  }
  const double frequency = static_cast<double>(hits) / kDraws;
  const double sd = std::sqrt(p * (1 - p) / kDraws);
  EXPECT_NEAR(frequency, p, 5 * sd);
}

INSTANTIATE_TEST_SUITE_P(Probabilities, BernoulliFrequency, ::testing::Values(0.01, 0.3, 0.9));

TEST(Bernoulli, ClampsProbabilitiesOutsideTheUnitInterval) {
  for (std::uint32_t i = 0; i < 10'000; ++i) {
    const Draw d = philox(5, i, 0, Purpose::kDeath, 0);
    ASSERT_FALSE(bernoulli(d, 0.0));
    ASSERT_FALSE(bernoulli(d, -0.5));
    ASSERT_TRUE(bernoulli(d, 1.0));
    ASSERT_TRUE(bernoulli(d, 1.5));
  }
}

// --- uniform_below ---------------------------------------------------------------

TEST(UniformBelow, StaysInRange) {
  for (std::uint64_t n : {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{7},
                          std::uint64_t{1000}, (std::uint64_t{1} << 33) + 7, ~std::uint64_t{0}}) {
    for (std::uint32_t i = 0; i < 20'000; ++i) {
      const std::uint64_t v = uniform_below(philox(11, i, 0, Purpose::kInitialInfection, 0), n);
      ASSERT_LT(v, n) << "n = " << n;
    }
  }
}

// Pearson's chi-square over `bins` equally likely cells: bins - 1 degrees of
// freedom because the total is fixed.
double chi_square(const std::vector<std::int64_t>& counts, double expected_per_bin) {
  double statistic = 0;
  for (std::int64_t c : counts) {
    const double diff = static_cast<double>(c) - expected_per_bin;
    statistic += diff * diff / expected_per_bin;
  }
  return statistic;
}

// Upper 1e-6 quantile of the chi-square distribution with 9 degrees of freedom.
constexpr double kChiSquare9At1e6 = 44.81;

TEST(UniformBelow, IsRoughlyUniformForASmallRange) {
  constexpr std::uint32_t kDraws = 200'000;
  std::vector<std::int64_t> counts(10, 0);
  for (std::uint32_t i = 0; i < kDraws; ++i) {
    ++counts[uniform_below(philox(12, i, 1, Purpose::kInitialInfection, 0), 10)];
  }
  // 10 cells, 9 degrees of freedom.
  EXPECT_LT(chi_square(counts, kDraws / 10.0), kChiSquare9At1e6);
}

TEST(UniformBelow, IsRoughlyUniformForALargeRange) {
  // n above 2^32 exercises the high bits; cells are tenths of [0, n).
  constexpr std::uint64_t kN = 3'000'000'007ULL * 3;
  constexpr std::uint32_t kDraws = 200'000;
  std::vector<std::int64_t> counts(10, 0);
  for (std::uint32_t i = 0; i < kDraws; ++i) {
    const std::uint64_t v = uniform_below(philox(13, i, 1, Purpose::kInitialInfection, 0), kN);
    ++counts[static_cast<std::size_t>(v / (kN / 10 + 1))];
  }
  // 10 cells, 9 degrees of freedom.
  EXPECT_LT(chi_square(counts, kDraws / 10.0), kChiSquare9At1e6);
}

// --- BernoulliSkipper / for_each_success -------------------------------------------

std::vector<std::uint64_t> skipper_set(std::uint64_t seed, std::uint32_t entity, double p,
                                       std::uint64_t n) {
  BernoulliSkipper skipper(seed, entity, 9, Purpose::kWorkTransmission, p, n);
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = skipper.next(); i < n; i = skipper.next()) {
    out.push_back(i);
    if (out.size() > n) break;  // guards against a skipper that never ends
  }
  EXPECT_EQ(skipper.next(), n) << "a finished skipper keeps returning n";
  return out;
}

std::vector<std::uint64_t> success_set(std::uint64_t seed, std::uint32_t entity, double p,
                                       std::uint64_t n) {
  std::vector<std::uint64_t> out;
  for_each_success(seed, entity, 9, Purpose::kWorkTransmission, p, n,
                   [&](std::uint64_t i) { out.push_back(i); });
  return out;
}

void expect_strictly_increasing_below(const std::vector<std::uint64_t>& v, std::uint64_t n) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    ASSERT_LT(v[i], n);
    if (i > 0) {
      ASSERT_LT(v[i - 1], v[i]);
    }
  }
}

std::vector<std::uint64_t> all_indices(std::uint64_t n) {
  std::vector<std::uint64_t> v(n);
  for (std::uint64_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

using SetFn = std::vector<std::uint64_t> (*)(std::uint64_t, std::uint32_t, double, std::uint64_t);

struct SuccessCase {
  const char* name;
  SetFn sets;
  std::uint64_t n;
};

void PrintTo(const SuccessCase& c, std::ostream* os) { *os << c.name; }

class Successes : public ::testing::TestWithParam<SuccessCase> {};

TEST_P(Successes, ExtremeProbabilities) {
  const SuccessCase c = GetParam();
  for (std::uint32_t key = 0; key < 50; ++key) {
    EXPECT_TRUE(c.sets(1, key, 0.0, c.n).empty());
    EXPECT_TRUE(c.sets(1, key, -0.25, c.n).empty());
    EXPECT_TRUE(c.sets(1, key, std::numeric_limits<double>::quiet_NaN(), c.n).empty());
    EXPECT_EQ(c.sets(1, key, 1.0, c.n), all_indices(c.n));
    EXPECT_EQ(c.sets(1, key, 1.5, c.n), all_indices(c.n));
    EXPECT_TRUE(c.sets(1, key, 0.5, 0).empty());
  }
}

TEST_P(Successes, SameKeySameSetOtherKeyOtherSet) {
  const SuccessCase c = GetParam();
  const auto base = c.sets(77, 5, 0.4, c.n);
  EXPECT_EQ(base, c.sets(77, 5, 0.4, c.n));
  // With n = 10 two keys agree with probability sum_k C(10,k)^2 0.4^2k 0.6^(20-2k)
  // ~ 0.05, so ask for a difference among several keys.
  int differing = 0;
  for (std::uint32_t entity = 6; entity < 16; ++entity) {
    differing += c.sets(77, entity, 0.4, c.n) != base ? 1 : 0;
  }
  EXPECT_GE(differing, 5);
  differing = 0;
  for (std::uint64_t seed = 78; seed < 88; ++seed) {
    differing += c.sets(seed, 5, 0.4, c.n) != base ? 1 : 0;
  }
  EXPECT_GE(differing, 5);
}

TEST_P(Successes, CountsHaveMeanAndVarianceOfBinomial) {
  const SuccessCase c = GetParam();
  constexpr int kKeys = 4'000;
  for (double p : {0.01, 0.05, 0.3, 0.8}) {
    SCOPED_TRACE(::testing::Message() << "p = " << p);
    double sum = 0;
    double sum_squares = 0;
    for (std::uint32_t key = 0; key < kKeys; ++key) {
      const auto set = c.sets(31, key, p, c.n);
      expect_strictly_increasing_below(set, c.n);
      const auto k = static_cast<double>(set.size());
      sum += k;
      sum_squares += k * k;
    }
    const double n = static_cast<double>(c.n);
    const double mean = sum / kKeys;
    const double variance = (sum_squares - sum * mean) / (kKeys - 1);
    const double binomial_variance = n * p * (1 - p);
    // Mean within 5 standard errors of n p.
    EXPECT_NEAR(mean, n * p, 5 * std::sqrt(binomial_variance / kKeys));
    // The sample variance has relative standard error about sqrt(2 / (K - 1))
    // for near-normal counts; allow 5 of them plus the excess kurtosis term
    // (1 - 6p(1-p)) / (n p (1-p)) of the binomial.
    const double excess = (1 - 6 * p * (1 - p)) / binomial_variance;
    const double rse = std::sqrt((2.0 + excess) / (kKeys - 1));
    EXPECT_NEAR(variance / binomial_variance, 1.0, 5 * rse);
  }
}

TEST_P(Successes, EveryIndexSucceedsWithProbabilityP) {
  const SuccessCase c = GetParam();
  constexpr int kKeys = 4'000;
  constexpr double kP = 0.3;
  std::vector<std::int64_t> hits(c.n, 0);
  for (std::uint32_t key = 0; key < kKeys; ++key) {
    for (std::uint64_t i : c.sets(57, key, kP, c.n)) ++hits[i];
  }
  const double sd = std::sqrt(kP * (1 - kP) / kKeys);
  // The first and last index are where a skipping scheme goes wrong.
  EXPECT_NEAR(static_cast<double>(hits.front()) / kKeys, kP, 5 * sd);
  EXPECT_NEAR(static_cast<double>(hits.back()) / kKeys, kP, 5 * sd);
  // Ten groups of indices: each count is an independent Binomial(K n/10, p)
  // because different indices are independent trials, so
  // sum (O - E)^2 / (E (1 - p)) is chi-square with 10 degrees of freedom.
  constexpr double kChiSquare10At1e6 = 46.86;
  const std::uint64_t group = c.n / 10;
  double statistic = 0;
  for (std::uint64_t g = 0; g < 10; ++g) {
    std::int64_t observed = 0;
    for (std::uint64_t i = g * group; i < (g + 1) * group; ++i) observed += hits[i];
    const double expected = kKeys * static_cast<double>(group) * kP;
    const double diff = static_cast<double>(observed) - expected;
    statistic += diff * diff / (expected * (1 - kP));
  }
  EXPECT_LT(statistic, kChiSquare10At1e6);
}

INSTANTIATE_TEST_SUITE_P(Paths, Successes,
                         ::testing::Values(SuccessCase{"ForEachSuccessDirect", &success_set, 10},
                                           SuccessCase{"ForEachSuccessSkip", &success_set, 1000},
                                           SuccessCase{"SkipperSmall", &skipper_set, 10},
                                           SuccessCase{"SkipperLarge", &skipper_set, 1000}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ForEachSuccess, SkipPathUsesTheSkipperDraws) {
  // Above 16 trials for_each_success must visit exactly what the skipper
  // yields for the same key, so both can be reasoned about as one scheme.
  for (std::uint32_t key = 0; key < 200; ++key) {
    EXPECT_EQ(success_set(3, key, 0.2, 500), skipper_set(3, key, 0.2, 500));
  }
}

}  // namespace
}  // namespace outbreak::engine
