// Early stop: once nothing can change any more, the rest of a run is filled
// in cheaply, and every row is the one the full run gives.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "outbreak/engine/ensemble.hpp"
#include "outbreak/engine/scenario.hpp"

namespace outbreak::engine {
namespace {

// The default model (ages, hospital, deaths) in a town small enough to burn
// out well before the last day.
Scenario town(std::int64_t population = 3'000) {
  Scenario s;
  s.population = population;
  s.initial_infected = 3;
  s.days = 260;
  s.seed = 11;
  s.replicates = 4;
  return s;
}

Intervention item(InterventionType type, std::int64_t start, std::optional<std::int64_t> end) {
  Intervention x = make_intervention(type);
  x.start_day = start;
  x.end_day = end;
  return x;
}

// Scenarios that exercise every part the early stop must account for:
// hospital stays, isolation and quarantine, tests in flight, triggers that
// switch items after the last case, and vaccination.
std::vector<std::pair<std::string, Scenario>> scenarios() {
  std::vector<std::pair<std::string, Scenario>> out;
  out.emplace_back("default", town());

  Scenario flags = town();
  flags.symptomatic_isolation = true;
  flags.contact_tracing = true;
  flags.isolation_days = 30;
  out.emplace_back("isolation and tracing switches", flags);

  Scenario tti = town();
  Intervention testing = item(InterventionType::kTesting, 0, std::nullopt);
  testing.values[item::kTestTracedContacts] = 1;
  testing.values[item::kDailyCapacity] = 200;
  tti.interventions = {testing, item(InterventionType::kCaseIsolation, 0, std::nullopt),
                       item(InterventionType::kContactTracing, 5, std::nullopt)};
  tti.interventions[2].values[item::kSecondStep] = 1;
  tti.interventions[2].values[item::kAppAdoption] = 0.5;
  out.emplace_back("test, trace and isolate", tti);

  Scenario triggered = town();
  Intervention distancing = item(InterventionType::kDistancing, 0, std::nullopt);
  distancing.start_when = Trigger{TriggerMetric::kNewSymptomaticPer100k7d, 300};
  distancing.end_when = Trigger{TriggerMetric::kNewSymptomaticPer100k7d, 100};
  Intervention closure = item(InterventionType::kClosure, 0, std::nullopt);
  closure.end_when = Trigger{TriggerMetric::kHospitalizedPer100k, 1};
  Intervention late = item(InterventionType::kDistancing, 200, 230);  // after the last case
  triggered.interventions = {distancing, closure, late};
  out.emplace_back("triggers and a late item", triggered);

  Scenario vaccination = town();
  Intervention vaccine = item(InterventionType::kVaccination, 10, 90);
  vaccine.values[item::kDosesPerDay] = 2'000;
  vaccination.interventions = {vaccine};
  out.emplace_back("vaccination that ends", vaccination);

  Scenario none = town();
  none.initial_infected = 0;
  out.emplace_back("no infection at all", none);
  return out;
}

EnsembleResult run(const Scenario& s, bool early_stop) {
  EnsembleOptions options;
  options.threads = 2;
  options.early_stop = early_stop;
  auto result = run_ensemble(s, options);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? std::move(*result) : EnsembleResult{};
}

TEST(EarlyStop, RowsAreTheSameWithAndWithoutIt) {
  int ended_early = 0;
  for (const auto& [name, scenario] : scenarios()) {
    SCOPED_TRACE(name);
    const EnsembleResult full = run(scenario, false);
    const EnsembleResult quick = run(scenario, true);
    ASSERT_EQ(full.replicates.size(), static_cast<std::size_t>(scenario.replicates));
    ASSERT_EQ(quick.replicates.size(), full.replicates.size());
    EXPECT_EQ(quick.ended_on_day, full.ended_on_day) << "found the same way in both runs";
    EXPECT_EQ(quick.age_totals, full.age_totals);
    for (std::size_t r = 0; r < full.replicates.size(); ++r) {
      ASSERT_EQ(quick.replicates[r].size(), full.replicates[r].size());
      for (std::size_t day = 0; day < full.replicates[r].size(); ++day) {
        ASSERT_TRUE(quick.replicates[r][day] == full.replicates[r][day])
            << "replicate " << r + 1 << ", day " << day;
      }
      const std::optional<std::int64_t> ended = full.ended_on_day[r];
      if (!ended || *ended >= scenario.days) continue;
      ++ended_early;
      // After the day it ended, every row repeats its state.
      const DayTotals& last = full.replicates[r][static_cast<std::size_t>(*ended)];
      EXPECT_EQ(last.currently_infected, 0);
      EXPECT_EQ(last.hospitalized, 0);
      for (std::size_t day = static_cast<std::size_t>(*ended) + 1; day < full.replicates[r].size();
           ++day) {
        const DayTotals& row = full.replicates[r][day];
        EXPECT_EQ(row.day, static_cast<std::int64_t>(day));
        EXPECT_EQ(row.total_infected, last.total_infected);
        EXPECT_EQ(row.dead, last.dead);
        EXPECT_EQ(row.recovered, last.recovered);
        EXPECT_EQ(row.vaccinated, last.vaccinated);
        EXPECT_EQ(row.new_infections, 0);
        EXPECT_EQ(row.tests, 0);
      }
    }
  }
  // Most of these runs burn out long before day 260: the comparison above
  // must have covered filled-in days.
  EXPECT_GE(ended_early, 12);
}

TEST(EarlyStop, NoInfectionEndsOnDayZero) {
  Scenario s = town(500);
  s.initial_infected = 0;
  s.replicates = 1;
  const EnsembleResult result = run(s, true);
  ASSERT_EQ(result.ended_on_day.size(), 1u);
  EXPECT_EQ(result.ended_on_day[0], 0);
}

TEST(EarlyStop, AVaccinationStillGivingDosesKeepsTheRunGoing) {
  Scenario s = town(500);
  s.initial_infected = 0;
  s.replicates = 1;
  s.interventions = {item(InterventionType::kVaccination, 100, 150)};
  const EnsembleResult result = run(s, true);
  ASSERT_EQ(result.ended_on_day.size(), 1u);
  ASSERT_TRUE(result.ended_on_day[0].has_value());
  EXPECT_GE(*result.ended_on_day[0], 150) << "doses are given until day 150";
  EXPECT_GT(result.replicates[0].back().vaccinated, 0);
}

TEST(EarlyStop, ARunStillSpreadingOnItsLastDayHasNoEnd) {
  Scenario s = town(20'000);
  s.initial_infected = 20;
  s.days = 30;
  s.replicates = 1;
  const EnsembleResult result = run(s, true);
  ASSERT_EQ(result.ended_on_day.size(), 1u);
  EXPECT_FALSE(result.ended_on_day[0].has_value());
}

}  // namespace
}  // namespace outbreak::engine
