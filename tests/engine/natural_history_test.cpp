// The natural history as the simulation produces it: courses, severity by
// age, the line list and R_t, each checked against what the scenario asks
// for, with tolerances from the binomial or sampling spread.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "engine/test_support.hpp"
#include "outbreak/engine/ensemble.hpp"
#include "outbreak/engine/line_list.hpp"
#include "outbreak/engine/population.hpp"
#include "outbreak/engine/simulation.hpp"

namespace outbreak::engine {
namespace {

using testing::small_scenario;

// Records rows, settled R_t values and every infection.
class LineList final : public DayObserver {
 public:
  void on_day(const DayTotals& totals) override { rows.push_back(totals); }
  void on_r_t(std::int64_t day, double r_t) override {
    EXPECT_LT(day, static_cast<std::int64_t>(rows.size()) + 1);
    EXPECT_EQ(settled.count(day), 0u) << "day " << day << " settled twice";
    settled[day] = r_t;
  }
  bool wants_infections() const override { return true; }
  void on_infections(std::span<const Infection> day) override {
    EXPECT_TRUE(std::is_sorted(day.begin(), day.end(),
                               [](const auto& a, const auto& b) { return a.agent < b.agent; }));
    infections.insert(infections.end(), day.begin(), day.end());
  }

  std::vector<DayTotals> rows;
  std::map<std::int64_t, double> settled;
  std::vector<Infection> infections;
};

LineList run_line_list(const Scenario& s, std::uint64_t seed, int threads) {
  Simulation simulation(s, Population(s, seed, threads), seed, threads);
  LineList list;
  EXPECT_TRUE(simulation.run(list).ok());
  return list;
}

// The default model on a population large enough for a full wave.
Scenario default_scenario(std::int64_t population) {
  Scenario s;
  s.population = population;
  s.days = 200;
  s.initial_infected = 50;
  return s;
}

TEST(NaturalHistory, LineListIsATransmissionTree) {
  const Scenario s = default_scenario(30'000);
  const LineList list = run_line_list(s, 3, 2);
  ASSERT_GT(list.infections.size(), 1000u) << "the epidemic did not take off";
  std::map<std::uint32_t, const Infection*> by_agent;
  for (const Infection& x : list.infections) {
    EXPECT_TRUE(by_agent.emplace(x.agent, &x).second) << "agent " << x.agent << " infected twice";
  }
  EXPECT_EQ(static_cast<std::int64_t>(list.infections.size()), list.rows.back().total_infected);
  std::int64_t seeds = 0;
  for (const Infection& x : list.infections) {
    SCOPED_TRACE(::testing::Message() << "agent " << x.agent);
    EXPECT_LE(x.day_infected, x.day_infectious);
    if (x.day_symptoms != kNoDay) {
      EXPECT_LE(x.day_infectious, x.day_symptoms);
    }
    EXPECT_LT(x.day_infectious, x.day_resolved);
    if (x.day_hospital != kNoDay) {
      EXPECT_NE(x.day_symptoms, kNoDay);
      EXPECT_LE(x.day_symptoms, x.day_hospital);
      EXPECT_LT(x.day_hospital, x.day_resolved);
    }
    if (x.day_critical != kNoDay) {
      EXPECT_LE(x.day_hospital, x.day_critical);
    }
    if (x.route == InfectionRoute::kSeed) {
      EXPECT_EQ(x.infector, kNoInfector);
      EXPECT_EQ(x.day_infected, 0);
      ++seeds;
      continue;
    }
    const auto source = by_agent.find(x.infector);
    ASSERT_NE(source, by_agent.end()) << "infector " << x.infector << " was never infected";
    const Infection& from = *source->second;
    // Infectious on the day it infected: after its latent period, before the
    // end of its infectiousness, not yet in hospital.
    EXPECT_LT(from.day_infected, x.day_infected);
    EXPECT_LE(from.day_infectious, x.day_infected);
    EXPECT_LT(x.day_infected, from.day_resolved);
    if (from.day_hospital != kNoDay) {
      EXPECT_LT(x.day_infected, from.day_hospital);
    }
  }
  EXPECT_EQ(seeds, s.initial_infected);
}

// R_t of a settled day is the mean number of infections caused by that day's cases.
TEST(NaturalHistory, RtMatchesTheLineList) {
  const Scenario s = default_scenario(30'000);
  const LineList list = run_line_list(s, 4, 2);
  std::map<std::int64_t, std::int64_t> infected_on;
  std::map<std::int64_t, std::int64_t> caused;
  std::map<std::uint32_t, std::int32_t> day_of;
  for (const Infection& x : list.infections) {
    ++infected_on[x.day_infected];
    day_of[x.agent] = x.day_infected;
  }
  for (const Infection& x : list.infections) {
    if (x.infector != kNoInfector) ++caused[day_of[x.infector]];
  }
  ASSERT_GT(list.settled.size(), 20u);
  for (const auto& [day, r_t] : list.settled) {
    EXPECT_DOUBLE_EQ(r_t, static_cast<double>(caused[day]) / static_cast<double>(infected_on[day]))
        << "day " << day;
  }
  // Days settle once their cases stop being infectious, so the last days of
  // a run in full swing cannot be known yet.
  EXPECT_FALSE(list.settled.count(s.days));
}

TEST(NaturalHistory, LineListAndRtDoNotDependOnThreads) {
  const Scenario s = default_scenario(20'000);
  const LineList one = run_line_list(s, 5, 1);
  for (int threads : {2, 3}) {
    const LineList many = run_line_list(s, 5, threads);
    EXPECT_EQ(one.rows, many.rows) << threads << " threads";
    EXPECT_EQ(one.infections, many.infections) << threads << " threads";
    EXPECT_EQ(one.settled, many.settled) << threads << " threads";
  }
}

// With spreads of 0 every case takes the fixed course of the scenario.
TEST(NaturalHistory, ZeroSpreadGivesTheFixedCourse) {
  Scenario s = small_scenario();
  const LineList list = run_line_list(s, 1, 2);
  ASSERT_GT(list.infections.size(), 50u);
  for (const Infection& x : list.infections) {
    EXPECT_EQ(x.day_infectious - x.day_infected, 3);
    if (x.day_symptoms != kNoDay) {
      EXPECT_EQ(x.day_symptoms - x.day_infected, 5);
    }
    EXPECT_EQ(x.day_resolved - x.day_infected, 13);
    EXPECT_EQ(x.day_hospital, kNoDay);
  }
}

// The drawn incubation periods have the scenario's mean and spread (the
// lognormal discretised to days adds about 1/12 day^2 of variance).
TEST(NaturalHistory, IncubationPeriodsFollowTheirDistribution) {
  Scenario s = default_scenario(40'000);
  s.asymptomatic_fraction = 0;  // every case shows symptoms
  s.mortality_rate = 0;
  const LineList list = run_line_list(s, 6, 2);
  double sum = 0;
  double squares = 0;
  std::int64_t n = 0;
  for (const Infection& x : list.infections) {
    const double days = x.day_symptoms - x.day_infected;
    sum += days;
    squares += days * days;
    ++n;
  }
  ASSERT_GT(n, 5000);
  const double mean = sum / static_cast<double>(n);
  const double sd = std::sqrt(squares / static_cast<double>(n) - mean * mean);
  const double expected_sd = std::sqrt(s.incubation_sd_days * s.incubation_sd_days + 1.0 / 12);
  // Five standard errors; the cap at 1 day and the rounding shift the mean
  // by under 0.05 days for these parameters.
  EXPECT_NEAR(mean, s.incubation_days, 5 * expected_sd / std::sqrt(static_cast<double>(n)) + 0.05);
  EXPECT_NEAR(sd, expected_sd, 0.1 * expected_sd);
}

// Deaths and admissions by age band follow the scenario's severity: with
// every agent infected (risks of 1), each band's deaths are binomial with
// the band's fatality ratio.
TEST(NaturalHistory, SeverityFollowsAgeBands) {
  Scenario s;
  s.population = 200'000;
  s.age_shares = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.15};
  s.initial_infected = 200'000;
  s.days = 250;
  s.community_contacts = 0;
  for (double& p : s.fatality_by_age) p = std::min(p * 3, 0.2);  // more deaths: a sharper test
  for (std::size_t b = 0; b < kAgeBands; ++b) {
    s.fatality_by_age[b] =
        std::min(s.fatality_by_age[b], s.symptomatic_by_age[b] * s.hospital_by_age[b]);
  }
  ASSERT_TRUE(validate(s).empty());
  Simulation simulation(s, Population(s, 7, 2), 7, 2);
  testing::Recorder recorder;
  ASSERT_TRUE(simulation.run(recorder).ok());
  const AgeTotals& totals = simulation.age_totals();
  for (std::size_t b = 0; b < kAgeBands; ++b) {
    SCOPED_TRACE(::testing::Message() << "band " << kAgeBandLabels[b]);
    const auto n = static_cast<double>(totals.infected[b]);
    EXPECT_EQ(totals.infected[b], totals.agents[b]);
    const auto within = [n](double count, double p) {
      const double sd = std::sqrt(n * p * (1 - p));
      EXPECT_NEAR(count, n * p, 5 * sd + 1);
    };
    within(static_cast<double>(totals.dead[b]), s.fatality_by_age[b]);
    within(static_cast<double>(totals.hospitalized[b]),
           s.symptomatic_by_age[b] * s.hospital_by_age[b]);
    within(static_cast<double>(totals.critical[b]),
           s.symptomatic_by_age[b] * s.hospital_by_age[b] * s.critical_by_age[b]);
  }
  const DayTotals& last = recorder.rows.back();
  std::int64_t dead = 0;
  for (std::int64_t d : totals.dead) dead += d;
  EXPECT_EQ(last.dead, dead);
  EXPECT_EQ(last.hospitalized, 0);  // everyone has left hospital by day 250
}

// Hospital occupancy is admissions minus discharges, and deaths happen in
// hospital unless the flat mortality rule is used.
TEST(NaturalHistory, HospitalCountsAreConsistent) {
  const Scenario s = default_scenario(30'000);
  const LineList list = run_line_list(s, 8, 2);
  std::int64_t admitted = 0;
  std::int64_t deaths = 0;
  for (const DayTotals& d : list.rows) {
    admitted += d.new_hospitalizations;
    deaths += d.new_deaths;
    EXPECT_LE(d.critical, d.hospitalized);
    EXPECT_LE(d.hospitalized, admitted);
  }
  EXPECT_EQ(deaths, list.rows.back().dead);
  std::int64_t admitted_by_day_end = 0;
  for (const Infection& x : list.infections) {
    if (x.day_hospital != kNoDay && x.day_hospital <= s.days) ++admitted_by_day_end;
    if (x.outcome == Outcome::kDead) {
      EXPECT_NE(x.day_hospital, kNoDay);
    }
  }
  EXPECT_EQ(admitted, admitted_by_day_end);
}

}  // namespace
}  // namespace outbreak::engine
