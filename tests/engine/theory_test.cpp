// The model against theory, with tolerances derived from the sampling
// distributions, not tuned: the final size of an epidemic in one well-mixed
// group (a central limit theorem), and the calibration of each transmission
// channel (binomial counts, further below).
//
// Setting. N agents share one office (office_size = population = N,
// employment_rate = 1) and live alone (household_size = 1); there are no
// community contacts, no asymptomatic cases, no deaths and no
// interventions. A case infected on day d is infectious on days
// d + latent_days .. d + sick_days - 1, i.e. for exactly D = sick_days -
// latent_days days. On each of those days every susceptible office mate
// escapes it independently with probability 1 - beta (the engine draws one
// Bernoulli per susceptible with 1 - (1 - beta)^k for k infectious mates,
// which is the same thing as independent per-pair trials).
//
// Random-graph view. Then each ordered pair (infective i, susceptible j) has
// an independent total escape probability (1 - beta)^D, whatever the timing:
// this is a Reed-Frost-type epidemic, and its final size is the number of
// agents reachable from the i0 initial cases in a random directed graph with
// edge probability pi = 1 - (1 - beta)^D. Write
//   R0' = -(N - 1) D ln(1 - beta)
// so that (1 - beta)^D = exp(-R0' / (N - 1)); R0' = beta (N - 1) D + O(beta^2)
// equals the usual R0 to first order.
//
// Law of large numbers. A susceptible escapes all Z eventual cases with
// probability exp(-R0' Z / (N - 1)) ~ exp(-R0' z), z = Z / N, so with
// eps = i0 / N the attack rate (initial cases included) solves
//   z = eps + (1 - eps) (1 - exp(-R0' z)),
// whose largest root we find by fixed-point iteration from z = 1 (the map is
// a contraction there because R0' (1 - z) < 1 at the major-outbreak root).
// The N / (N - 1) factor we drop shifts z by O(1/N), far inside the
// tolerances below.
//
// Central limit theorem. For a major outbreak with a fixed infectious period
// (von Bahr & Martin-Lof 1980; Andersson & Britton 2000, Thm 4.3 with zero
// variance of the infectious period),
//   sqrt(N) (Z / N - z) -> Normal(0, sigma^2),
//   sigma^2 = z (1 - z) / (1 - R0 (1 - z))^2,
// where we ignore eps in sigma (it changes sigma by well under 1%). With
// i0 = 20 initial cases a minor outbreak has probability about q^20 where
// q = exp(-R0 (1 - q)) is the extinction probability of one case's line
// (q ~ 0.20 for R0 = 2, 0.42 for R0 = 1.5), i.e. below 1e-7: every run is a
// major outbreak.
//
// Assertions. Over K = 8 seeds the mean of Z / N must lie within
// 4 sigma / sqrt(K N) of z, and each single run within 5 sigma / sqrt(N).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "engine/test_support.hpp"
#include "outbreak/engine/population.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/engine/simulation.hpp"

namespace outbreak::engine {
namespace {

using testing::expect_valid_series;
using testing::run_series;
using testing::small_scenario;

constexpr std::int64_t kN = 5'000;
constexpr std::int64_t kInitial = 20;
constexpr int kSeeds = 8;

Scenario one_office(double r0) {
  Scenario s = small_scenario();
  s.population = kN;
  s.household_size = 1;
  s.office_size = kN;
  s.employment_rate = 1;
  s.initial_infected = kInitial;
  s.days = 400;  // long enough for the epidemic to burn out
  s.latent_days = 2;
  s.incubation_days = 3;
  s.sick_days = 12;  // D = 10 infectious days
  s.asymptomatic_fraction = 0;
  s.asymptomatic_infectiousness = 1;
  s.mortality_rate = 0;
  s.home_infection_risk = 0;  // nobody to infect at home anyway
  s.community_contacts = 0;
  s.community_infection_risk = 0;
  s.symptomatic_isolation = false;
  s.contact_tracing = false;
  const auto infectious_days = static_cast<double>(s.sick_days - s.latent_days);
  s.work_infection_risk = r0 / (static_cast<double>(kN - 1) * infectious_days);
  return s;
}

struct Theory {
  double z;      // expected final attack rate, initial cases included
  double sigma;  // asymptotic standard deviation of sqrt(N) (Z/N - z)
};

Theory final_size_theory(const Scenario& s) {
  const double n = static_cast<double>(s.population);
  const auto infectious_days = static_cast<double>(s.sick_days - s.latent_days);
  const double r0 = -(n - 1) * infectious_days * std::log1p(-s.work_infection_risk);
  const double eps = static_cast<double>(s.initial_infected) / n;
  double z = 1;
  for (int i = 0; i < 10'000; ++i) {
    const double next = eps + (1 - eps) * (1 - std::exp(-r0 * z));
    if (std::abs(next - z) < 1e-15) break;
    z = next;
  }
  const double denominator = 1 - r0 * (1 - z);
  return Theory{z, std::sqrt(z * (1 - z) / (denominator * denominator))};
}

class FinalSize : public ::testing::TestWithParam<double> {};

TEST_P(FinalSize, MatchesReedFrostTheory) {
  const Scenario s = one_office(GetParam());
  const Theory theory = final_size_theory(s);
  const double n = static_cast<double>(kN);
  // Sanity of the theory itself: R0 = 2 gives z ~ 0.80, R0 = 1.5 z ~ 0.59.
  ASSERT_GT(theory.z, 0.5);
  ASSERT_LT(theory.z, 0.85);

  const double per_run = 5 * theory.sigma / std::sqrt(n);
  double sum = 0;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    const auto rows = run_series(s, seed, 2);
    ASSERT_EQ(rows.size(), static_cast<std::size_t>(s.days) + 1);
    expect_valid_series(s, rows);
    const DayTotals& last = rows.back();
    EXPECT_EQ(last.currently_infected, 0) << "the epidemic has not ended by day " << s.days;
    std::int64_t community = 0;
    std::int64_t home = 0;
    for (const DayTotals& d : rows) {
      community += d.infections_community;
      home += d.infections_home;
    }
    EXPECT_EQ(home, 0);
    EXPECT_EQ(community, 0);
    const double attack = static_cast<double>(last.total_infected) / n;
    EXPECT_NEAR(attack, theory.z, per_run);
    sum += attack;
  }
  const double mean = sum / kSeeds;
  EXPECT_NEAR(mean, theory.z, 4 * theory.sigma / std::sqrt(kSeeds * n))
      << "R0 = " << GetParam() << ", sigma = " << theory.sigma;
}

INSTANTIATE_TEST_SUITE_P(R0, FinalSize, ::testing::Values(2.0, 1.5));

// --- calibration of each channel --------------------------------------------------
//
// Pairs. With places of exactly two agents (homes of 2, or offices of 2 for
// agents who live alone) and no other channel, a pair in which exactly one
// agent is seeded on day 0 sees its second agent infected with probability
//   pi = 1 - (1 - r)^d,
// r the daily risk (scaled by asymptomatic_infectiousness for an
// asymptomatic source) and d the number of days the source transmits there
// (D = sick_days - latent_days, or fewer with symptomatic isolation at work);
// the second agent can infect nobody new. Pairs with two seeded agents have
// nobody to infect. So the secondary cases are S = sum over the M pairs with
// exactly one seed of independent Bernoulli(pi), where M counts the pairs
// hit once when k of N agents are seeded uniformly without replacement:
//   P(pair hit once) = p1 = 2 k (N - k) / (N (N - 1)),
//   P(two given pairs both hit once) = p11 = 4 k (k-1) (N-k) (N-k-1) / (N (N-1) (N-2) (N-3)),
//   E[M] = H p1, Var(M) = H p1 (1 - p1) + H (H - 1) (p11 - p1^2) for H = N / 2 pairs,
//   E[S] = pi E[M], Var(S) = pi (1 - pi) E[M] + pi^2 Var(M).
// The assertion is |S - E[S]| <= 5 sd(S). The transmissions must also fall
// on the source's transmitting days only, which is exact.

struct PairCase {
  const char* name;
  bool at_work;  // pairs are offices of 2 (agents live alone) instead of homes of 2
  double asymptomatic_fraction;
  double asymptomatic_infectiousness;
  bool symptomatic_isolation;
  double pi;  // expected probability that the unseeded agent of a pair is infected
  std::int64_t first_day;
  std::int64_t last_day;
};

void PrintTo(const PairCase& c, std::ostream* os) { *os << c.name; }

class PairTransmission : public ::testing::TestWithParam<PairCase> {};

TEST_P(PairTransmission, SecondaryCasesMatchTheBinomialModel) {
  const PairCase c = GetParam();
  constexpr std::int64_t kPeople = 200'000;
  constexpr std::int64_t kSeeded = 20'000;
  Scenario s = small_scenario();
  s.population = kPeople;
  s.household_size = c.at_work ? 1 : 2;
  s.office_size = 2;
  s.employment_rate = c.at_work ? 1 : 0;
  s.initial_infected = kSeeded;
  s.latent_days = 2;
  s.incubation_days = 3;
  s.sick_days = 5;  // D = 3 infectious days
  s.asymptomatic_fraction = c.asymptomatic_fraction;
  s.asymptomatic_infectiousness = c.asymptomatic_infectiousness;
  s.mortality_rate = 0;
  s.home_infection_risk = c.at_work ? 0 : 0.2;
  s.work_infection_risk = c.at_work ? 0.2 : 0;
  s.community_contacts = 0;
  s.symptomatic_isolation = c.symptomatic_isolation;
  s.contact_tracing = false;
  s.days = 12;

  const double n = kPeople;
  const double k = kSeeded;
  const double pairs = n / 2;
  const double p1 = 2 * k * (n - k) / (n * (n - 1));
  const double p11 = 4 * k * (k - 1) * (n - k) * (n - k - 1) / (n * (n - 1) * (n - 2) * (n - 3));
  const double mean_m = pairs * p1;
  const double var_m = pairs * p1 * (1 - p1) + pairs * (pairs - 1) * (p11 - p1 * p1);
  const double mean_s = c.pi * mean_m;
  const double sd_s = std::sqrt(c.pi * (1 - c.pi) * mean_m + c.pi * c.pi * var_m);

  for (std::uint64_t seed : {1u, 2u}) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    const auto rows = run_series(s, seed, 2);
    expect_valid_series(s, rows);
    std::int64_t secondary = 0;
    for (const DayTotals& d : rows) {
      const std::int64_t here = c.at_work ? d.infections_work : d.infections_home;
      const std::int64_t elsewhere = d.new_infections - here;
      if (d.day == 0) continue;  // the seeds
      EXPECT_EQ(elsewhere, 0) << "day " << d.day;
      secondary += here;
      if (d.day < c.first_day || d.day > c.last_day) {
        EXPECT_EQ(here, 0) << "transmission on day " << d.day;
      } else {
        EXPECT_GT(here, 0) << "no transmission on day " << d.day;
      }
    }
    EXPECT_NEAR(static_cast<double>(secondary), mean_s, 5 * sd_s);
  }
}

// r = 0.2 over D = 3 days: pi = 1 - 0.8^3 = 0.488. Asymptomatic sources at
// half infectiousness (half the hazard): 1 - 0.8^(3 x 0.5) = 0.2845. Isolating from symptom onset
// (day 3) leaves one working day (day 2): pi = 0.2.
INSTANTIATE_TEST_SUITE_P(
    Channels, PairTransmission,
    ::testing::Values(PairCase{"Home", false, 0.0, 1.0, false, 0.488, 2, 4},
                      PairCase{"Work", true, 0.0, 1.0, false, 0.488, 2, 4},
                      PairCase{"HomeAsymptomatic", false, 1.0, 0.5, false, 0.2845, 2, 4},
                      PairCase{"WorkAsymptomatic", true, 1.0, 0.5, false, 0.2845, 2, 4},
                      PairCase{"WorkWithIsolation", true, 0.0, 1.0, true, 0.2, 2, 2},
                      // Symptomatic isolation keeps the sick at home, where they still infect.
                      PairCase{"HomeWithIsolation", false, 0.0, 1.0, true, 0.488, 2, 4}),
    [](const auto& info) { return std::string(info.param.name); });

// Community. On the first infectious day of k seeded agents (day latent_days)
// all N agents circulate and k of them are infectious, so each of the N - k
// susceptible agents is infected independently with
//   p = 1 - (1 - risk * w / N)^contacts,  w = k (or a k for asymptomatic
// seeds of relative infectiousness a),
// and that day's infections are Binomial(N - k, p). Earlier days have none.
class CommunityTransmission : public ::testing::TestWithParam<double> {};

TEST_P(CommunityTransmission, FirstInfectiousDayIsBinomial) {
  const double asymptomatic_fraction = GetParam();
  constexpr std::int64_t kPeople = 100'000;
  constexpr std::int64_t kSeeded = 10'000;
  Scenario s = small_scenario();
  s.population = kPeople;
  s.household_size = 1;
  s.employment_rate = 0;
  s.initial_infected = kSeeded;
  s.latent_days = 2;
  s.incubation_days = 3;
  s.sick_days = 5;
  s.asymptomatic_fraction = asymptomatic_fraction;  // 0 or 1: the weight is exact
  s.asymptomatic_infectiousness = 0.5;
  s.community_contacts = 10;
  s.community_infection_risk = 0.05;
  s.days = 2;
  const double weight = (asymptomatic_fraction == 1 ? 0.5 : 1.0) * kSeeded;
  const double p = 1 - std::pow(1 - s.community_infection_risk * weight / kPeople,
                                static_cast<double>(s.community_contacts));
  const double trials = kPeople - kSeeded;
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const auto rows = run_series(s, seed, 2);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[1].new_infections, 0) << "nobody is infectious on day 1";
    EXPECT_EQ(rows[2].infections_home + rows[2].infections_work, 0);
    EXPECT_NEAR(static_cast<double>(rows[2].infections_community), trials * p,
                5 * std::sqrt(trials * p * (1 - p)))
        << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, CommunityTransmission, ::testing::Values(0.0, 1.0));

}  // namespace
}  // namespace outbreak::engine
