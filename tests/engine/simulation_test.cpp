// Simulation: the daily totals' invariants, reproducibility for any thread
// count, the run loop's contract, and memory accounting.
#include "outbreak/engine/simulation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <tuple>
#include <vector>

#include "engine/test_support.hpp"

namespace outbreak::engine {
namespace {

using testing::expect_valid_series;
using testing::Recorder;
using testing::run_series;
using testing::small_scenario;
using testing::without_r_t;

// --- invariants -------------------------------------------------------------

struct Variant {
  const char* name;
  void (*apply)(Scenario&);
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.name; }

class SimulationInvariants : public ::testing::TestWithParam<Variant> {};

TEST_P(SimulationInvariants, HoldOnEveryRowOfSeveralSeeds) {
  Scenario s = small_scenario();
  s.population = 20'000;
  s.initial_infected = 20;
  s.days = 120;
  GetParam().apply(s);
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    const auto rows = run_series(s, seed, 2);
    expect_valid_series(s, rows);
    // Each variant must actually produce an epidemic, or the checks above
    // would be checking nothing.
    EXPECT_GT(rows.back().total_infected, 2 * s.initial_infected);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Variants, SimulationInvariants,
    ::testing::Values(Variant{"Baseline", [](Scenario&) {}},
                      Variant{"Tracing", [](Scenario& s) { s.contact_tracing = true; }},
                      Variant{"Isolation", [](Scenario& s) { s.symptomatic_isolation = true; }},
                      Variant{"BothInterventionsFastTracing",
                              [](Scenario& s) {
                                s.contact_tracing = true;
                                s.symptomatic_isolation = true;
                                s.tracing_coverage = 0.9;
                                s.tracing_delay_days = 0;
                                s.isolation_days = 5;
                                s.community_contacts = 20;
                              }},
                      Variant{"NoAsymptomaticHighMortality",
                              [](Scenario& s) {
                                s.asymptomatic_fraction = 0;
                                s.mortality_rate = 0.2;
                                s.contact_tracing = true;
                              }},
                      Variant{"AllAsymptomatic",
                              [](Scenario& s) {
                                s.asymptomatic_fraction = 1;
                                s.asymptomatic_infectiousness = 1;
                                s.contact_tracing = true;
                              }},
                      Variant{"LatentEqualsIncubation",
                              [](Scenario& s) {
                                s.latent_days = 4;
                                s.incubation_days = 4;
                                s.sick_days = 12;
                                s.community_contacts = 20;
                                s.contact_tracing = true;
                                s.tracing_delay_days = 1;
                              }},
                      Variant{"BigOfficesSmallHomes",
                              [](Scenario& s) {
                                s.household_size = 1;
                                s.office_size = 500;
                                s.employment_rate = 0.9;
                                s.work_infection_risk = 0.001;
                                s.contact_tracing = true;
                              }}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Simulation, InitialRowHasOnlyTheSeededExposures) {
  Scenario s = small_scenario();
  s.initial_infected = 37;
  const Simulation simulation(s, Population(s, 9, 2), 9, 2);
  const DayTotals& d = simulation.today();
  EXPECT_EQ(d.day, 0);
  EXPECT_EQ(d.susceptible, s.population - 37);
  EXPECT_EQ(d.exposed, 37);
  EXPECT_EQ(d.infectious, 0);
  EXPECT_EQ(d.symptomatic, 0);
  EXPECT_EQ(d.currently_infected, 37);
  EXPECT_EQ(d.isolated, 0);
  EXPECT_EQ(d.recovered, 0);
  EXPECT_EQ(d.dead, 0);
  EXPECT_EQ(d.total_infected, 37);
  EXPECT_EQ(d.new_infections, 37);
  EXPECT_EQ(d.infections_home, 0);
  EXPECT_EQ(d.infections_work, 0);
  EXPECT_EQ(d.infections_community, 0);
  EXPECT_FALSE(simulation.finished());
}

// Seeding everybody leaves nobody to infect, however high the risks: if two
// initial picks were the same agent, someone would stay susceptible and be
// infected later.
TEST(Simulation, InitialInfectionsAreDistinctAgents) {
  Scenario s = small_scenario();
  s.population = 3'000;
  s.initial_infected = 3'000;
  s.home_infection_risk = 1;
  s.work_infection_risk = 1;
  s.community_infection_risk = 1;
  s.days = 30;
  for (std::uint64_t seed : {1u, 2u}) {
    const auto rows = run_series(s, seed, 2);
    expect_valid_series(s, rows);
    for (const DayTotals& d : rows) {
      EXPECT_EQ(d.susceptible, 0) << "day " << d.day;
      EXPECT_EQ(d.total_infected, 3'000) << "day " << d.day;
    }
    EXPECT_EQ(rows.back().recovered + rows.back().dead, 3'000);
  }
}

// --- reproducibility ----------------------------------------------------------

TEST(Simulation, ThreadCountDoesNotChangeTheSeries) {
  Scenario s = small_scenario();
  s.population = 20'000;
  s.initial_infected = 20;
  s.days = 150;
  s.contact_tracing = true;
  s.symptomatic_isolation = true;
  s.community_contacts = 25;  // keep the epidemic going despite the interventions
  const auto one = run_series(s, 4, 1);
  ASSERT_GT(one.back().total_infected, 200) << "too small an epidemic to compare";
  EXPECT_GT(one[60].isolated + one[90].isolated, 0);
  EXPECT_EQ(run_series(s, 4, 2), one);
  EXPECT_EQ(run_series(s, 4, 4), one);
  EXPECT_EQ(run_series(s, 4, 1), one);  // and the same again in one process
}

TEST(Simulation, ThreadCountDoesNotChangeTheSeriesWithoutInterventions) {
  Scenario s = small_scenario();
  s.population = 20'000;
  s.days = 100;
  const auto one = run_series(s, 8, 1);
  ASSERT_GT(one.back().total_infected, 200);
  EXPECT_EQ(run_series(s, 8, 3), one);
  EXPECT_EQ(run_series(s, 8, 0), one);
}

// Large enough that every parallel loop (community blocks of 2^16 agents,
// lists of thousands of agents, population chunks) is split among threads.
TEST(Simulation, ThreadCountDoesNotChangeALargerRun) {
  Scenario s = small_scenario();
  s.population = 300'000;
  s.initial_infected = 300;
  s.days = 70;
  s.contact_tracing = true;
  s.community_contacts = 15;
  const auto one = run_series(s, 12, 1);
  ASSERT_GT(one.back().total_infected, 30'000) << "too small an epidemic to compare";
  EXPECT_EQ(run_series(s, 12, 2), one);
  EXPECT_EQ(run_series(s, 12, 0), one);
}

TEST(Simulation, DifferentSeedsGiveDifferentSeries) {
  Scenario s = small_scenario();
  s.population = 20'000;
  s.days = 100;
  const auto a = run_series(s, 1, 2);
  const auto b = run_series(s, 2, 2);
  EXPECT_EQ(a.front().total_infected, b.front().total_infected);
  EXPECT_NE(a, b);
  EXPECT_NE(a.back().total_infected, b.back().total_infected);
}

TEST(Simulation, StepMatchesRunAndTodayTracksTheLastStep) {
  Scenario s = small_scenario();
  s.days = 40;
  s.contact_tracing = true;
  const auto rows = run_series(s, 6, 2);
  Simulation simulation(s, Population(s, 6, 2), 6, 2);
  std::vector<DayTotals> stepped{simulation.today()};
  while (!simulation.finished()) {
    const DayTotals& d = simulation.step();
    EXPECT_EQ(d, simulation.today());
    stepped.push_back(d);
  }
  EXPECT_EQ(stepped, without_r_t(rows));
}

TEST(Simulation, MovedSimulationContinuesTheSameRun) {
  Scenario s = small_scenario();
  s.days = 40;
  const auto rows = run_series(s, 6, 2);
  Simulation first(s, Population(s, 6, 2), 6, 2);
  for (int i = 0; i < 10; ++i) first.step();
  Simulation moved(std::move(first));
  EXPECT_EQ(moved.today(), without_r_t(rows)[10]);
  Recorder recorder;
  ASSERT_TRUE(moved.run(recorder).ok());
  ASSERT_EQ(recorder.rows.size(), rows.size() - 10);
  // Days settled before the move keep no r_t in the resumed run's rows.
  const auto resumed = without_r_t(recorder.rows);
  const auto full = without_r_t(rows);
  EXPECT_TRUE(std::equal(resumed.begin(), resumed.end(), full.begin() + 10));
  for (std::size_t i = 0; i < recorder.rows.size(); ++i) {
    const double r = recorder.rows[i].r_t;
    if (!std::isnan(r)) {
      EXPECT_EQ(r, rows[i + 10].r_t) << "day " << i + 10;
    }
  }
}

// --- run loop -------------------------------------------------------------------

TEST(Simulation, RunReportsEveryDayInOrder) {
  Scenario s = small_scenario();
  s.days = 17;
  Simulation simulation(s, Population(s, 1, 2), 1, 2);
  Recorder recorder;
  const Status status = simulation.run(recorder);
  EXPECT_TRUE(status.ok());
  ASSERT_EQ(recorder.rows.size(), 18u);
  for (std::size_t i = 0; i < recorder.rows.size(); ++i) {
    EXPECT_EQ(recorder.rows[i].day, static_cast<std::int64_t>(i));
  }
  EXPECT_TRUE(simulation.finished());
  EXPECT_EQ(simulation.today(), recorder.rows.back());
}

TEST(Simulation, RunWithAStoppedTokenReportsDayZeroAndCancels) {
  const Scenario s = small_scenario();
  Simulation simulation(s, Population(s, 1, 2), 1, 2);
  std::stop_source stop;
  stop.request_stop();
  Recorder recorder;
  const Status status = simulation.run(recorder, stop.get_token());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kCancelled);
  ASSERT_EQ(recorder.rows.size(), 1u);
  EXPECT_EQ(recorder.rows[0].day, 0);
  EXPECT_FALSE(simulation.finished());
}

TEST(Simulation, StopDuringTheRunEndsAfterTheCurrentDay) {
  const Scenario s = small_scenario();
  Simulation simulation(s, Population(s, 1, 2), 1, 2);
  std::stop_source stop;
  Recorder recorder(&stop, 5);
  const Status status = simulation.run(recorder, stop.get_token());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kCancelled);
  ASSERT_EQ(recorder.rows.size(), 6u);
  EXPECT_EQ(recorder.rows.back().day, 5);
  EXPECT_EQ(simulation.today().day, 5);
  // The run can be resumed where it stopped.
  Recorder rest;
  ASSERT_TRUE(simulation.run(rest).ok());
  EXPECT_EQ(rest.rows.front().day, 5);
  EXPECT_EQ(rest.rows.back().day, s.days);
}

TEST(Simulation, StepAfterTheLastDayThrows) {
  Scenario s = small_scenario();
  s.days = 3;
  Simulation simulation(s, Population(s, 1, 1), 1, 1);
  for (int i = 0; i < 3; ++i) simulation.step();
  EXPECT_TRUE(simulation.finished());
  EXPECT_THROW(simulation.step(), std::logic_error);
  EXPECT_EQ(simulation.today().day, 3);
}

TEST(Simulation, InvalidOrMismatchedInputsThrow) {
  const Scenario s = small_scenario();
  Scenario bad = s;
  bad.sick_days = bad.incubation_days;
  EXPECT_THROW(Simulation(bad, Population(s, 1, 1), 1, 1), std::invalid_argument);
  Scenario other = s;
  other.population = s.population + 1;
  EXPECT_THROW(Simulation(s, Population(other, 1, 1), 1, 1), std::invalid_argument);
}

// --- exact small cases ------------------------------------------------------------

// Nothing can transmit: the seeded cases run their course on schedule and
// nobody else is ever infected.
TEST(Simulation, WithoutTransmissionOnlyTheInitialCasesRunTheirCourse) {
  Scenario s = small_scenario();
  s.population = 2'000;
  s.initial_infected = 50;
  s.home_infection_risk = 0;
  s.work_infection_risk = 0;
  s.community_contacts = 0;
  s.community_infection_risk = 0;
  s.asymptomatic_fraction = 0;
  s.mortality_rate = 0;
  s.days = 30;
  const auto rows = run_series(s, 3, 2);
  expect_valid_series(s, rows);
  for (const DayTotals& d : rows) {
    SCOPED_TRACE(::testing::Message() << "day " << d.day);
    EXPECT_EQ(d.total_infected, 50);
    if (d.day > 0) {
      EXPECT_EQ(d.new_infections, 0);
    }
    EXPECT_EQ(d.exposed, d.day < s.latent_days ? 50 : 0);
    EXPECT_EQ(d.infectious, d.day >= s.latent_days && d.day < s.sick_days ? 50 : 0);
    EXPECT_EQ(d.symptomatic, d.day >= s.incubation_days && d.day < s.sick_days ? 50 : 0);
    EXPECT_EQ(d.recovered, d.day >= s.sick_days ? 50 : 0);
    EXPECT_EQ(d.dead, 0);
  }
}

// With certain transmission at home and no other contacts, one case infects
// exactly its housemates, on the first day it is infectious.
TEST(Simulation, CertainHomeTransmissionInfectsTheHouseholdOnTheFirstInfectiousDay) {
  Scenario s = small_scenario();
  s.population = 3'000;  // 1,000 full homes of 3
  s.household_size = 3;
  s.initial_infected = 1;
  s.employment_rate = 0;
  s.community_contacts = 0;
  s.home_infection_risk = 1;
  s.asymptomatic_infectiousness = 1;  // certain for every case
  s.days = 40;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const auto rows = run_series(s, seed, 2);
    expect_valid_series(s, rows);
    const auto first = static_cast<std::size_t>(s.latent_days);
    EXPECT_EQ(rows[first].infections_home, 2) << "seed " << seed;
    EXPECT_EQ(rows[first - 1].total_infected, 1) << "seed " << seed;
    EXPECT_EQ(rows.back().total_infected, 3) << "seed " << seed;
    EXPECT_EQ(rows.back().currently_infected, 0) << "seed " << seed;
  }
}

TEST(Simulation, CertainWorkTransmissionInfectsTheOfficeOnTheFirstInfectiousDay) {
  Scenario s = small_scenario();
  s.population = 1'000;
  s.household_size = 1;
  s.office_size = 10;
  s.employment_rate = 1;
  s.initial_infected = 1;
  s.community_contacts = 0;
  s.work_infection_risk = 1;
  s.asymptomatic_infectiousness = 1;  // certain for every case
  s.days = 40;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const auto rows = run_series(s, seed, 2);
    expect_valid_series(s, rows);
    EXPECT_EQ(rows[static_cast<std::size_t>(s.latent_days)].infections_work, 9) << seed;
    EXPECT_EQ(rows.back().total_infected, 10) << "seed " << seed;
  }
}

// --- memory -----------------------------------------------------------------------

TEST(Simulation, MemoryPerAgentIsSmallForAMillionAgents) {
  Scenario s = small_scenario();
  s.population = 1'000'000;
  s.initial_infected = 100;
  const Simulation simulation(s, Population(s, 1, 0), 1, 0);
  const double per_agent =
      static_cast<double>(simulation.memory_bytes()) / static_cast<double>(s.population);
  EXPECT_LE(per_agent, 32.0);
  // It must count the population and at least a byte of state per agent.
  EXPECT_GE(simulation.memory_bytes(),
            simulation.population().memory_bytes() + static_cast<std::size_t>(s.population));
  EXPECT_GE(estimate_memory_bytes(s), simulation.memory_bytes());
}

TEST(Simulation, EstimateCoversTheConstructedSimulation) {
  for (auto [n, household, office, rate] :
       {std::tuple{2'000, 1, 1, 1.0}, std::tuple{50'000, 3, 20, 0.6},
        std::tuple{200'000, 2, 10'000, 1.0}, std::tuple{300'000, 100, 5, 0.2}}) {
    Scenario s = small_scenario();
    s.population = n;
    s.household_size = household;
    s.office_size = office;
    s.employment_rate = rate;
    const Simulation simulation(s, Population(s, 1, 2), 1, 2);
    EXPECT_GE(estimate_memory_bytes(s), simulation.memory_bytes()) << "population " << n;
  }
}

// estimate_memory_bytes promises the most a run needs, so it must bound
// memory_bytes() on every day, not only after construction. The peak comes
// when many agents are infectious at once: here everyone is seeded on day 0
// and becomes infectious on day latent_days, with small risks so that the run
// stays fast while most infectious agents still have transmissions pending.
TEST(Simulation, EstimateBoundsTheFootprintThroughoutARun) {
  Scenario s = small_scenario();
  s.population = 1'000'000;
  s.initial_infected = s.population;
  s.household_size = 100;
  s.office_size = 10'000;
  s.employment_rate = 1;
  s.home_infection_risk = 0.0005;
  s.work_infection_risk = 0.00001;
  s.community_contacts = 0;
  s.asymptomatic_fraction = 0;
  s.days = s.latent_days + 1;
  const std::uint64_t estimate = estimate_memory_bytes(s);
  Simulation simulation(s, Population(s, 1, 0), 1, 0);
  EXPECT_GE(estimate, simulation.memory_bytes()) << "after construction";
  while (!simulation.finished()) {
    simulation.step();
    EXPECT_GE(estimate, simulation.memory_bytes()) << "day " << simulation.today().day;
  }
}

TEST(Simulation, EstimateGrowsLinearlyAndAtLeastAsFastAsTheRealFootprint) {
  Scenario s = small_scenario();
  auto estimate = [&](std::int64_t n) {
    s.population = n;
    return static_cast<double>(estimate_memory_bytes(s));
  };
  const double step = estimate(2'000'000) - estimate(1'000'000);
  EXPECT_GT(step, 0);
  // Equal steps in population give equal steps in the estimate (up to the
  // rounding of places per agent).
  EXPECT_NEAR(estimate(3'000'000) - estimate(2'000'000), step, 64);
  EXPECT_NEAR(estimate(101'000'000) - estimate(100'000'000), step, 64);
  // The real footprint per extra agent (measured between two sizes) must not
  // outgrow the estimate's.
  auto real = [&](std::int64_t n) {
    s.population = n;
    const Simulation simulation(s, Population(s, 1, 0), 1, 0);
    return static_cast<double>(simulation.memory_bytes());
  };
  const double real_slope = (real(600'000) - real(100'000)) / 500'000;
  EXPECT_GE(step / 1'000'000, real_slope);
}

}  // namespace
}  // namespace outbreak::engine
