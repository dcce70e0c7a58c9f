// engine::estimate: R0, the generation interval and the growth rate from
// the formulas of docs/model.md ("Estimating R0 and the doubling time"),
// checked in cases computed by hand, for monotonicity, and against R0
// measured in simulations.
#include "outbreak/engine/estimate.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "engine/test_support.hpp"
#include "outbreak/engine/line_list.hpp"
#include "outbreak/engine/population.hpp"
#include "outbreak/engine/simulation.hpp"

namespace outbreak::engine {
namespace {

// The original model (test_support) with a fixed course: infectious on days
// 3 ... 12 after infection (10 days), flat profile, no individual variation.
Scenario fixed_course() {
  Scenario s = testing::small_scenario();
  s.asymptomatic_fraction = 0;
  s.home_infection_risk = 0;
  s.work_infection_risk = 0;
  s.school_infection_risk = 0;
  s.community_contacts = 0;
  return s;
}

TEST(Estimate, NoRiskMeansNoTransmission) {
  const Estimate zero = estimate(fixed_course());
  EXPECT_EQ(zero.r0, 0);
  EXPECT_FALSE(zero.growth_rate_per_day);
  EXPECT_FALSE(zero.doubling_time_days);
  EXPECT_FALSE(zero.halving_time_days);
  Scenario s;
  s.home_infection_risk = 0;
  s.work_infection_risk = 0;
  s.school_infection_risk = 0;
  s.community_infection_risk = 0;
  EXPECT_EQ(estimate(s).r0, 0);
}

// Community only: R0 = contacts x risk x infectious days, and the
// generation interval is uniform on days 3 ... 12.
TEST(Estimate, CommunityOnlyIsContactsTimesRiskTimesDays) {
  Scenario s = fixed_course();
  s.community_contacts = 10;
  s.community_infection_risk = 0.02;
  const Estimate e = estimate(s);
  EXPECT_NEAR(e.r0, 10 * 0.02 * 10, 1e-9);
  EXPECT_NEAR(e.generation_time_days, 7.5, 1e-9);
  for (std::size_t d = 0; d < e.generation_interval.size(); ++d) {
    EXPECT_NEAR(e.generation_interval[d], d >= 3 && d <= 12 ? 0.1 : 0.0, 1e-12) << d;
  }
  ASSERT_TRUE(e.growth_rate_per_day);
  double lotka = 0;
  for (int d = 3; d <= 12; ++d) lotka += 0.1 * std::exp(-*e.growth_rate_per_day * d);
  EXPECT_NEAR(e.r0 * lotka, 1, 1e-9);
  ASSERT_TRUE(e.doubling_time_days);
  EXPECT_NEAR(*e.doubling_time_days, std::log(2.0) / *e.growth_rate_per_day, 1e-12);
  EXPECT_FALSE(e.halving_time_days);
  EXPECT_EQ(e.route_shares[3], 1);

  // Half the cases without symptoms, at 0.4 of the infectiousness.
  s.asymptomatic_fraction = 0.5;
  s.asymptomatic_infectiousness = 0.4;
  EXPECT_NEAR(estimate(s).r0, 2 * (0.5 + 0.5 * 0.4), 1e-9);

  // Below 1 the epidemic halves.
  s.community_infection_risk = 0.005;
  const Estimate low = estimate(s);
  EXPECT_NEAR(low.r0, 0.5 * (0.5 + 0.5 * 0.4), 1e-9);
  ASSERT_TRUE(low.growth_rate_per_day);
  EXPECT_LT(*low.growth_rate_per_day, 0);
  EXPECT_FALSE(low.doubling_time_days);
  ASSERT_TRUE(low.halving_time_days);
  EXPECT_NEAR(*low.halving_time_days, std::log(2.0) / -*low.growth_rate_per_day, 1e-12);
}

// Workplaces of exactly 2, everyone employed, living alone, and community
// contacts (R_c = contacts x risk x 10 days per case). A colleague is infected
// with g = 1 - (1 - beta)^10 over the 10 days; with gamma-distributed
// infectiousness of shape k, g = 1 - (1 + 10 lambda / k)^-k, lambda =
// -ln(1 - beta). A case infected in the community makes R_c community cases
// and g colleague cases; a colleague case only R_c (its workplace is used
// up): the next-generation matrix [[R_c, R_c], [g, 0]] has the largest
// eigenvalue (R_c + sqrt(R_c^2 + 4 R_c g)) / 2.
TEST(Estimate, PairsOfColleaguesAndCommunity) {
  Scenario s = fixed_course();
  s.population = 20'000;
  s.household_size = 1;
  s.employment_rate = 1;
  s.office_size = 2;
  s.work_infection_risk = 0.05;
  s.community_contacts = 5;
  s.community_infection_risk = 0.02;
  const double rc = 5 * 0.02 * 10;
  const auto expected = [&](double g) { return (rc + std::sqrt(rc * rc + 4 * rc * g)) / 2; };
  EXPECT_NEAR(estimate(s).r0, expected(1 - std::pow(0.95, 10)), 1e-7);
  s.infectiousness_dispersion = 1;
  EXPECT_NEAR(estimate(s).r0, expected(1 - 1 / (1 - 10 * std::log(0.95))), 1e-7);
}

// Workplaces alone, however large and risky, cannot make an epidemic grow:
// each workplace's outbreak ends within it.
TEST(Estimate, IsolatedWorkplacesGiveNoGrowth) {
  Scenario s = fixed_course();
  s.population = 20'000;
  s.household_size = 1;
  s.employment_rate = 1;
  s.office_size = 20;
  s.work_infection_risk = 0.05;
  EXPECT_NEAR(estimate(s).r0, 0, 1e-6);
}

// Homes of 2 only: a case infected at home has nobody left to infect there,
// so home transmission alone cannot make an epidemic grow.
TEST(Estimate, HomesOfTwoAloneGiveNoGrowth) {
  Scenario s = fixed_course();
  s.household_size = 2;
  s.population = 10'000;
  s.home_infection_risk = 0.5;
  EXPECT_NEAR(estimate(s).r0, 0, 1e-6);
}

TEST(Estimate, RisesWithEveryRisk) {
  const Scenario base;
  const double r0 = estimate(base).r0;
  const auto check = [&](const char* what, auto change) {
    Scenario s = base;
    change(s);
    EXPECT_GT(estimate(s).r0, r0 + 1e-6) << what;
  };
  check("home", [](Scenario& s) { s.home_infection_risk *= 1.5; });
  check("school", [](Scenario& s) { s.school_infection_risk *= 1.5; });
  check("work", [](Scenario& s) { s.work_infection_risk *= 1.5; });
  check("community risk", [](Scenario& s) { s.community_infection_risk *= 1.5; });
  check("community contacts", [](Scenario& s) { s.community_contacts += 5; });
  check("asymptomatic infectiousness", [](Scenario& s) { s.asymptomatic_infectiousness = 0.7; });
  check("longer illness", [](Scenario& s) { s.sick_days += 3; });
  // Each risk on top of community transmission (a place alone cannot make
  // an epidemic grow). Above 1 the reproduction number rises with every
  // risk; below 1 it need not (a larger risk ends a place's outbreak in
  // fewer generations), but whether it exceeds 1 is monotone.
  for (int route = 0; route < 4; ++route) {
    Scenario s = base;
    s.home_infection_risk = route == 0 ? 0.1 : 0;
    s.school_infection_risk = route == 1 ? 0.05 : 0;
    s.work_infection_risk = route == 2 ? 0.003 : 0;
    s.community_infection_risk = route == 3 ? 0.04 : 0.03;
    double previous = estimate(s).r0;
    ASSERT_GT(previous, 1) << route;
    for (int step = 0; step < 4; ++step) {
      s.home_infection_risk *= route == 0 ? 1.4 : 1;
      s.school_infection_risk *= route == 1 ? 1.4 : 1;
      s.work_infection_risk *= route == 2 ? 1.4 : 1;
      s.community_infection_risk *= route == 3 ? 1.4 : 1;
      const double next = estimate(s).r0;
      EXPECT_GT(next, previous) << "route " << route << " step " << step;
      previous = next;
    }
  }
}

TEST(Estimate, LeavesInterventionsOut) {
  Scenario s;
  const double r0 = estimate(s).r0;
  s.symptomatic_isolation = true;
  s.contact_tracing = true;
  EXPECT_EQ(estimate(s).r0, r0);
}

// The estimate against simulation: R0 measured as the mean number of
// secondary cases of the cases infected while fewer than 1% of the agents
// had been infected (as bench/model_check does), per seed. The tolerance is
// four standard errors of the mean over seeds, from the seeds' own spread.
class Offspring final : public DayObserver {
 public:
  void on_day(const DayTotals& totals) override { rows.push_back(totals); }
  bool wants_infections() const override { return true; }
  void on_infections(std::span<const Infection> day) override {
    infections.insert(infections.end(), day.begin(), day.end());
  }
  std::vector<DayTotals> rows;
  std::vector<Infection> infections;
};

double measured_r0(const Scenario& s, std::uint64_t seed) {
  Simulation simulation(s, Population(s, seed, 1), seed, 1);
  Offspring o;
  EXPECT_TRUE(simulation.run(o).ok());
  std::int64_t early_day = -1;
  for (const DayTotals& d : o.rows) {
    if (static_cast<double>(d.total_infected) < 0.01 * static_cast<double>(s.population)) {
      early_day = d.day;
    }
  }
  std::unordered_map<std::uint32_t, double> children;
  for (const Infection& x : o.infections) {
    if (x.infector != kNoInfector) children[x.infector] += 1;
  }
  double cases = 0, offspring = 0;
  for (const Infection& x : o.infections) {
    if (x.day_infected > early_day || x.day_resolved > s.days) continue;
    cases += 1;
    offspring += children[x.agent];
  }
  return cases > 0 ? offspring / cases : NAN;
}

void expect_agrees_with_simulation(const Scenario& s, const char* what) {
  constexpr int kSeeds = 8;
  double sum = 0, squares = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    const double r = measured_r0(s, static_cast<std::uint64_t>(seed));
    ASSERT_TRUE(std::isfinite(r)) << what << " seed " << seed;
    sum += r;
    squares += r * r;
  }
  const double mean = sum / kSeeds;
  const double sd = std::sqrt((squares - sum * sum / kSeeds) / (kSeeds - 1));
  const double tolerance = 4 * sd / std::sqrt(double{kSeeds});
  const double r0 = estimate(s).r0;
  EXPECT_NEAR(r0, mean, tolerance) << what << ": simulated " << mean << " (sd " << sd << ")";
}

TEST(Estimate, AgreesWithSimulatedR0) {
  // Community only, the default course (profile, spreads, asymptomatic
  // share by age, hospital, individual variation).
  Scenario community;
  community.population = 40'000;
  community.initial_infected = 20;
  community.days = 150;
  community.home_infection_risk = 0;
  community.school_infection_risk = 0;
  community.work_infection_risk = 0;
  community.community_contacts = 25;
  expect_agrees_with_simulation(community, "community only");

  // The original model (homes of 3, workplaces of 20, community contacts),
  // with risks at which a case infects well under one of its colleagues:
  // the formula leaves out the depletion of susceptibles within a place,
  // which matters where a place's own outbreak grows (docs/model.md).
  Scenario original = testing::small_scenario();
  original.population = 40'000;
  original.initial_infected = 20;
  original.days = 200;
  original.home_infection_risk = 0.1;
  original.work_infection_risk = 0.002;
  original.community_infection_risk = 0.015;
  expect_agrees_with_simulation(original, "homes of 3, workplaces of 20");
}

}  // namespace
}  // namespace outbreak::engine
