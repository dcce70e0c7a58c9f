// Interventions and transmission channels: effects in the right direction,
// exact no-op settings, channels that must stay silent, and mortality.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "engine/test_support.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/engine/simulation.hpp"

namespace outbreak::engine {
namespace {

using testing::expect_valid_series;
using testing::run_series;
using testing::small_scenario;

// The library defaults, spelled out by small_scenario(), at 20,000 agents.
Scenario baseline() {
  Scenario s = small_scenario();
  s.population = 20'000;
  s.days = 180;
  s.initial_infected = 20;
  return s;
}

std::int64_t final_total(const Scenario& s, std::uint64_t seed) {
  return run_series(s, seed, 2).back().total_infected;
}

std::int64_t column_sum(const std::vector<DayTotals>& rows, std::int64_t DayTotals::*member) {
  std::int64_t sum = 0;
  for (const DayTotals& d : rows) sum += d.*member;
  return sum;
}

std::int64_t column_max(const std::vector<DayTotals>& rows, std::int64_t DayTotals::*member) {
  std::int64_t best = 0;
  for (const DayTotals& d : rows) best = std::max(best, d.*member);
  return best;
}

// --- direction of the effects ------------------------------------------------

TEST(Interventions, ContactTracingReducesInfectionsForEachSeed) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Scenario off = baseline();
    Scenario on = baseline();
    on.contact_tracing = true;
    const auto rows_off = run_series(off, seed, 2);
    const auto rows_on = run_series(on, seed, 2);
    expect_valid_series(on, rows_on);
    ASSERT_GT(rows_off.back().total_infected, 10 * off.initial_infected)
        << "the baseline must have an epidemic to reduce";
    EXPECT_LT(rows_on.back().total_infected, rows_off.back().total_infected);
    EXPECT_EQ(column_max(rows_off, &DayTotals::isolated), 0);
    EXPECT_GT(column_max(rows_on, &DayTotals::isolated), 0);
  }
}

TEST(Interventions, SymptomaticIsolationReducesInfectionsForEachSeed) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Scenario on = baseline();
    on.symptomatic_isolation = true;
    const auto rows_on = run_series(on, seed, 2);
    expect_valid_series(on, rows_on);
    EXPECT_EQ(column_max(rows_on, &DayTotals::isolated), 0)
        << "self-isolation is not quarantine and is not counted as such";
    EXPECT_LT(rows_on.back().total_infected, final_total(baseline(), seed));
  }
}

// --- settings that must change nothing ----------------------------------------------

// The series without the record of which timeline items were in force (an
// item in force that does nothing still shows there).
std::vector<DayTotals> effects(std::vector<DayTotals> series) {
  for (DayTotals& d : series) d.active = {};
  return series;
}

TEST(Interventions, TracingThatFindsNobodyChangesNothing) {
  const Scenario off = baseline();
  const auto reference = run_series(off, 3, 2);
  Scenario no_coverage = off;
  no_coverage.contact_tracing = true;
  no_coverage.tracing_coverage = 0;
  EXPECT_EQ(effects(run_series(no_coverage, 3, 2)), reference);
  Scenario no_days = off;
  no_days.contact_tracing = true;
  no_days.isolation_days = 0;
  EXPECT_EQ(effects(run_series(no_days, 3, 2)), reference);
  Scenario only_settings = off;  // tracing parameters without tracing
  only_settings.tracing_coverage = 1;
  only_settings.tracing_delay_days = 0;
  only_settings.isolation_days = 30;
  EXPECT_EQ(run_series(only_settings, 3, 2), reference);
}

TEST(Interventions, SymptomaticIsolationWithoutSymptomsChangesNothing) {
  Scenario off = baseline();
  off.asymptomatic_fraction = 1;
  Scenario on = off;
  on.symptomatic_isolation = true;
  const auto reference = run_series(off, 2, 2);
  ASSERT_GT(reference.back().total_infected, 10 * off.initial_infected);
  EXPECT_EQ(effects(run_series(on, 2, 2)), reference);
}

// --- exact consequences ---------------------------------------------------------------

// Symptoms start with infectiousness and symptomatic agents stay home where
// they live alone: nobody can ever be infected beyond the seeded cases.
TEST(Interventions, IsolationFromTheFirstInfectiousDayStopsAllSpread) {
  Scenario s = baseline();
  s.household_size = 1;
  s.asymptomatic_fraction = 0;
  s.latent_days = 4;
  s.incubation_days = 4;
  s.days = 60;
  const auto without = run_series(s, 1, 2);
  ASSERT_GT(without.back().total_infected, 10 * s.initial_infected) << "control must spread";
  s.symptomatic_isolation = true;
  const auto rows = run_series(s, 1, 2);
  expect_valid_series(s, rows);
  EXPECT_EQ(rows.back().total_infected, s.initial_infected);
}

// One case, no transmission, every case traced: exactly its office (which
// includes itself; it lives alone) is quarantined, for isolation_days days,
// starting tracing_delay_days after symptom onset (or the day after).
TEST(Interventions, TracingQuarantinesExactlyHomeAndOffice) {
  Scenario s = small_scenario();
  s.population = 1'000;
  s.household_size = 1;
  s.office_size = 10;
  s.employment_rate = 1;
  s.initial_infected = 1;
  s.home_infection_risk = 0;
  s.work_infection_risk = 0;
  s.community_contacts = 0;
  s.asymptomatic_fraction = 0;
  s.mortality_rate = 0;
  s.contact_tracing = true;
  s.tracing_coverage = 1;
  s.tracing_delay_days = 2;
  s.isolation_days = 7;
  s.days = 40;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    const auto rows = run_series(s, seed, 2);
    expect_valid_series(s, rows);
    std::int64_t first = -1;
    std::int64_t days_at_ten = 0;
    for (const DayTotals& d : rows) {
      EXPECT_TRUE(d.isolated == 0 || d.isolated == 10) << "day " << d.day << ": " << d.isolated;
      if (d.isolated == 10) {
        if (first < 0) first = d.day;
        ++days_at_ten;
      }
    }
    const std::int64_t due = s.incubation_days + s.tracing_delay_days;
    EXPECT_TRUE(first == due || first == due + 1) << "quarantine first counted on day " << first;
    EXPECT_EQ(days_at_ten, s.isolation_days);
  }
}

// --- silent channels ---------------------------------------------------------------------

TEST(Channels, EachChannelContributesInTheBaseline) {
  const auto rows = run_series(baseline(), 1, 2);
  EXPECT_GT(column_sum(rows, &DayTotals::infections_home), 0);
  EXPECT_GT(column_sum(rows, &DayTotals::infections_work), 0);
  EXPECT_GT(column_sum(rows, &DayTotals::infections_community), 0);
}

struct Silent {
  const char* name;
  void (*apply)(Scenario&);
  std::int64_t DayTotals::*column;
};

void PrintTo(const Silent& c, std::ostream* os) { *os << c.name; }

class SilentChannel : public ::testing::TestWithParam<Silent> {};

TEST_P(SilentChannel, StaysAtZeroWhileOthersSpread) {
  Scenario s = baseline();
  GetParam().apply(s);
  for (std::uint64_t seed = 1; seed <= 2; ++seed) {
    const auto rows = run_series(s, seed, 2);
    expect_valid_series(s, rows);
    ASSERT_GT(rows.back().total_infected, 2 * s.initial_infected) << "seed " << seed;
    for (const DayTotals& d : rows) {
      ASSERT_EQ(d.*GetParam().column, 0) << "day " << d.day;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Channels, SilentChannel,
    ::testing::Values(Silent{"NoEmploymentNoWork", [](Scenario& s) { s.employment_rate = 0; },
                             &DayTotals::infections_work},
                      Silent{"ZeroWorkRiskNoWork", [](Scenario& s) { s.work_infection_risk = 0; },
                             &DayTotals::infections_work},
                      Silent{"LivingAloneNoHome", [](Scenario& s) { s.household_size = 1; },
                             &DayTotals::infections_home},
                      Silent{"ZeroHomeRiskNoHome", [](Scenario& s) { s.home_infection_risk = 0; },
                             &DayTotals::infections_home},
                      Silent{"NoContactsNoCommunity", [](Scenario& s) { s.community_contacts = 0; },
                             &DayTotals::infections_community},
                      Silent{"ZeroContactRiskNoCommunity",
                             [](Scenario& s) { s.community_infection_risk = 0; },
                             &DayTotals::infections_community}),
    [](const auto& info) { return std::string(info.param.name); });

// --- mortality -----------------------------------------------------------------------------

Scenario to_the_end(double asymptomatic_fraction, double mortality_rate) {
  Scenario s = baseline();
  s.asymptomatic_fraction = asymptomatic_fraction;
  s.mortality_rate = mortality_rate;
  s.days = 365;
  return s;
}

// With no asymptomatic cases every resolved case died with its own
// independent Bernoulli(0.05) draw, so D ~ Binomial(R, 0.05).
TEST(Mortality, DeathsAmongResolvedSymptomaticCasesAreBinomial) {
  const Scenario s = to_the_end(0, 0.05);
  const auto rows = run_series(s, 1, 2);
  expect_valid_series(s, rows);
  const DayTotals& last = rows.back();
  EXPECT_EQ(last.currently_infected, 0) << "the epidemic should have ended";
  const double resolved = static_cast<double>(last.recovered + last.dead);
  ASSERT_GT(resolved, 1'000);
  const double p = 0.05;
  EXPECT_NEAR(static_cast<double>(last.dead) / resolved, p, 4 * std::sqrt(p * (1 - p) / resolved));
}

// With half the cases asymptomatic, each resolved case is symptomatic with
// probability 1/2 (its own keyed draw, made before it can affect anyone's
// infection, so independent of having been infected) and then dies with
// probability 0.05. Unconditionally each resolved case is therefore a
// Bernoulli(0.025) death, D ~ Binomial(R, 0.025): this includes the binomial
// variation of the symptomatic share. (Deaths feed back only through the
// community denominator, a negligible dependence.) 5 sigma band.
TEST(Mortality, OnlySymptomaticCasesDie) {
  const Scenario s = to_the_end(0.5, 0.05);
  const auto rows = run_series(s, 2, 2);
  expect_valid_series(s, rows);
  const DayTotals& last = rows.back();
  const double resolved = static_cast<double>(last.recovered + last.dead);
  ASSERT_GT(resolved, 1'000);
  EXPECT_GT(last.dead, 0);
  const double p = 0.5 * 0.05;
  EXPECT_NEAR(static_cast<double>(last.dead) / resolved, p, 5 * std::sqrt(p * (1 - p) / resolved));
}

TEST(Mortality, CertainDeathAndNoDeathExtremes) {
  // Every symptomatic case dies: nobody recovers.
  Scenario all_die = to_the_end(0, 1);
  all_die.days = 200;
  const auto rows = run_series(all_die, 1, 2);
  expect_valid_series(all_die, rows);
  ASSERT_GT(rows.back().dead, all_die.initial_infected);
  for (const DayTotals& d : rows) {
    ASSERT_EQ(d.recovered, 0) << "day " << d.day;
  }
  // Asymptomatic cases never die, even at mortality 1.
  Scenario none_die = to_the_end(1, 1);
  none_die.days = 200;
  const auto quiet = run_series(none_die, 1, 2);
  expect_valid_series(none_die, quiet);
  ASSERT_GT(quiet.back().recovered, none_die.initial_infected);
  EXPECT_EQ(quiet.back().dead, 0);
}

}  // namespace
}  // namespace outbreak::engine
