// The policy timeline: when items are in force, triggers, and what each type
// of intervention does, checked exactly where the model makes it exact and
// by direction elsewhere.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "outbreak/engine/line_list.hpp"
#include "outbreak/engine/population.hpp"
#include "outbreak/engine/simulation.hpp"
#include "test_support.hpp"

namespace outbreak::engine {
namespace {

using testing::Recorder;
using testing::run_series;
using testing::small_scenario;

Intervention item_of(InterventionType type, std::int64_t start = 0,
                     std::optional<std::int64_t> end = std::nullopt) {
  Intervention x = make_intervention(type);
  x.start_day = start;
  x.end_day = end;
  return x;
}

// A run's rows, infections and case events.
struct TimelineRun {
  std::vector<DayTotals> rows;
  std::vector<Infection> infections;
  std::vector<CaseEvent> events;
  std::unique_ptr<Population> population;
};

class LineRecorder final : public DayObserver {
 public:
  explicit LineRecorder(TimelineRun& run) : run_(run) {}
  void on_day(const DayTotals& totals) override { run_.rows.push_back(totals); }
  bool wants_infections() const override { return true; }
  void on_infections(std::span<const Infection> infections) override {
    run_.infections.insert(run_.infections.end(), infections.begin(), infections.end());
  }
  void on_case_events(std::span<const CaseEvent> events) override {
    run_.events.insert(run_.events.end(), events.begin(), events.end());
  }

 private:
  TimelineRun& run_;
};

TimelineRun run_with_line_list(const Scenario& s, std::uint64_t seed, int threads = 2) {
  TimelineRun run;
  run.population = std::make_unique<Population>(s, seed, threads);
  Simulation simulation(s, Population(s, seed, threads), seed, threads);
  LineRecorder recorder(run);
  EXPECT_TRUE(simulation.run(recorder).ok());
  return run;
}

// A town with every age, schools and workplaces, and the default disease.
Scenario town(std::int64_t population = 20'000) {
  Scenario s;
  s.population = population;
  s.days = 120;
  s.initial_infected = 20;
  return s;
}

std::vector<DayTotals> effects(std::vector<DayTotals> series) {
  for (DayTotals& d : series) d.active = {};
  return series;
}

std::int64_t sum_of(const std::vector<DayTotals>& rows, std::int64_t DayTotals::*column,
                    std::int64_t from = 0, std::int64_t to = 1'000'000) {
  std::int64_t sum = 0;
  for (const DayTotals& d : rows) {
    if (d.day >= from && d.day <= to) sum += d.*column;
  }
  return sum;
}

// Mean final size over `seeds` seeds.
double mean_final_size(const Scenario& s, int seeds) {
  double sum = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    sum += static_cast<double>(
        run_series(s, static_cast<std::uint64_t>(seed), 2).back().total_infected);
  }
  return sum / seeds;
}

// --- when items are in force ----------------------------------------------------------

TEST(Timeline, AnItemIsInForceFromItsStartDayToItsEndDayInclusive) {
  Scenario s = small_scenario();
  s.interventions = {item_of(InterventionType::kDistancing, 10, 20),
                     item_of(InterventionType::kClosure, 15)};
  const auto rows = run_series(s, 1, 2);
  for (const DayTotals& d : rows) {
    SCOPED_TRACE(d.day);
    EXPECT_EQ(d.is_active(0), d.day >= 10 && d.day <= 20);
    EXPECT_EQ(d.is_active(1), d.day >= 15);
    EXPECT_FALSE(d.is_active(2));
  }
}

TEST(Timeline, TheFlatKeysAddTheirItemsAfterTheUsersItems) {
  Scenario s = small_scenario();
  s.symptomatic_isolation = true;
  s.contact_tracing = true;
  s.interventions = {item_of(InterventionType::kDistancing, 5)};
  const std::vector<Intervention> timeline = s.timeline();
  ASSERT_EQ(timeline.size(), 3u);
  EXPECT_EQ(timeline[1].type, InterventionType::kCaseIsolation);
  EXPECT_EQ(timeline[2].type, InterventionType::kContactTracing);
  EXPECT_EQ(timeline[2].choice(item::kMode), item::kPlaces);
  const auto rows = run_series(s, 1, 2);
  EXPECT_TRUE(rows[0].is_active(1) && rows[0].is_active(2) && !rows[0].is_active(0));
  EXPECT_TRUE(rows[5].is_active(0));
}

// The old keys and the items they stand for give the same run, row by row.
TEST(Timeline, FlatKeysRunExactlyAsTheirTimelineItems) {
  Scenario flat = small_scenario();
  flat.contact_tracing = true;
  flat.tracing_coverage = 0.7;
  flat.tracing_delay_days = 1;
  flat.isolation_days = 10;
  Scenario items = small_scenario();
  items.interventions = flat.timeline();
  EXPECT_EQ(run_series(items, 4, 2), run_series(flat, 4, 2));
  Scenario isolation = small_scenario();
  isolation.symptomatic_isolation = true;
  Scenario isolation_items = small_scenario();
  isolation_items.interventions = isolation.timeline();
  EXPECT_EQ(run_series(isolation_items, 4, 2), run_series(isolation, 4, 2));
}

// The metric of a trigger on day t, from the rows of the days before.
double metric_before(const std::vector<DayTotals>& rows, std::size_t t, TriggerMetric m,
                     std::int64_t population) {
  const double per_100k = 1e5 / static_cast<double>(population);
  if (m == TriggerMetric::kHospitalizedPer100k) {
    return static_cast<double>(rows[t - 1].hospitalized) * per_100k;
  }
  std::int64_t onsets = 0;
  for (std::size_t d = t >= 7 ? t - 7 : 0; d < t; ++d) onsets += rows[d].new_symptomatic;
  return static_cast<double>(onsets) * per_100k;
}

void expect_trigger_rule(const Scenario& s, const std::vector<DayTotals>& rows, std::size_t k,
                         int min_periods) {
  const Intervention& x = s.interventions[k];
  bool on = false;
  int periods = 0;
  for (std::size_t t = 1; t < rows.size(); ++t) {
    SCOPED_TRACE(::testing::Message() << "day " << t);
    if (!on &&
        metric_before(rows, t, x.start_when->metric, s.population) > x.start_when->threshold) {
      on = true;
      ++periods;
    }
    if (on && x.end_when &&
        metric_before(rows, t, x.end_when->metric, s.population) < x.end_when->threshold) {
      on = false;
    }
    ASSERT_EQ(rows[t].is_active(k), on);
  }
  EXPECT_GE(periods, min_periods) << "the scenario should switch the item on this often";
}

TEST(Timeline, ATriggeredItemSwitchesOnAndOffWithTheEpidemicSeveralTimes) {
  Scenario s = town();
  s.days = 300;
  Intervention lockdown = item_of(InterventionType::kDistancing);
  lockdown.values[item::kCommunityContactsFactor] = 0.05;
  lockdown.values[item::kWorkFactor] = 0.1;
  lockdown.start_when = Trigger{TriggerMetric::kNewSymptomaticPer100k7d, 150};
  lockdown.end_when = Trigger{TriggerMetric::kNewSymptomaticPer100k7d, 40};
  Intervention schools = item_of(InterventionType::kClosure);
  schools.start_when = Trigger{TriggerMetric::kNewSymptomaticPer100k7d, 150};
  schools.end_when = Trigger{TriggerMetric::kNewSymptomaticPer100k7d, 40};
  s.interventions = {lockdown, schools};
  const auto rows = run_series(s, 2, 2);
  expect_trigger_rule(s, rows, 0, 2);
  expect_trigger_rule(s, rows, 1, 2);
}

TEST(Timeline, AHospitalTriggerFollowsTheDayBeforesOccupancy) {
  Scenario s = town();
  Intervention x = item_of(InterventionType::kDistancing);
  x.start_when = Trigger{TriggerMetric::kHospitalizedPer100k, 20};
  x.end_when = Trigger{TriggerMetric::kHospitalizedPer100k, 5};
  s.interventions = {x};
  const auto rows = run_series(s, 3, 2);
  expect_trigger_rule(s, rows, 0, 1);
}

// --- distancing and closures ----------------------------------------------------------

TEST(Timeline, DistancingToZeroStopsCommunityAndWorkTransmissionWhileInForce) {
  Scenario s = town();
  Intervention x = item_of(InterventionType::kDistancing, 30, 50);
  x.values[item::kCommunityContactsFactor] = 0;
  x.values[item::kWorkFactor] = 0;
  s.interventions = {x};
  const auto rows = run_series(s, 1, 2);
  EXPECT_EQ(sum_of(rows, &DayTotals::infections_community, 30, 50), 0);
  EXPECT_EQ(sum_of(rows, &DayTotals::infections_work, 30, 50), 0);
  EXPECT_GT(sum_of(rows, &DayTotals::infections_community, 51), 0) << "and resumes after";
  EXPECT_GT(sum_of(rows, &DayTotals::infections_school, 30, 50), 0) << "schools are not work";
}

TEST(Timeline, HalvingCommunityContactsSlowsTheEpidemic) {
  Scenario s = town(10'000);
  s.days = 60;
  const double off = mean_final_size(s, 4);
  Intervention x = item_of(InterventionType::kDistancing);
  x.values[item::kCommunityContactsFactor] = 0.5;
  s.interventions = {x};
  EXPECT_LT(mean_final_size(s, 4), 0.8 * off);
}

TEST(Timeline, ClosingAllSchoolsAndWorkplacesStopsTransmissionThere) {
  Scenario s = town();
  Intervention x = item_of(InterventionType::kClosure, 25);
  x.values[item::kSchools] = 1;
  x.values[item::kWorkplaces] = 1;
  s.interventions = {x};
  const auto rows = run_series(s, 1, 2);
  ASSERT_GT(sum_of(rows, &DayTotals::infections_school, 0, 24) +
                sum_of(rows, &DayTotals::infections_work, 0, 24),
            0);
  EXPECT_EQ(sum_of(rows, &DayTotals::infections_school, 25), 0);
  EXPECT_EQ(sum_of(rows, &DayTotals::infections_work, 25), 0);
  EXPECT_GT(sum_of(rows, &DayTotals::infections_home, 25), 0);
}

TEST(Timeline, ClosingHalfTheWorkplacesRoughlyHalvesWorkInfectionsEarlyOn) {
  // Over the first weeks the epidemic is small and the closure's direct
  // effect dominates: half the workplaces, about half the infections there.
  Scenario s = town(40'000);
  s.days = 30;
  s.initial_infected = 200;
  Scenario closed = s;
  Intervention x = item_of(InterventionType::kClosure);
  x.values[item::kSchools] = 0;
  x.values[item::kWorkplaces] = 0.5;
  closed.interventions = {x};
  std::int64_t open_work = 0;
  std::int64_t closed_work = 0;
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    open_work += sum_of(run_series(s, seed, 2), &DayTotals::infections_work, 0, 10);
    closed_work += sum_of(run_series(closed, seed, 2), &DayTotals::infections_work, 0, 10);
  }
  ASSERT_GT(open_work, 100);
  const double ratio = static_cast<double>(closed_work) / static_cast<double>(open_work);
  EXPECT_GT(ratio, 0.3);
  EXPECT_LT(ratio, 0.7);
}

// --- case isolation and testing -------------------------------------------------------

TEST(Timeline, CaseIsolationNobodyCompliesWithChangesNothing) {
  Scenario s = town(10'000);
  const auto reference = run_series(s, 5, 2);
  Intervention x = item_of(InterventionType::kCaseIsolation);
  x.values[item::kCompliance] = 0;
  s.interventions = {x};
  EXPECT_EQ(effects(run_series(s, 5, 2)), reference);
}

TEST(Timeline, CaseIsolationReducesSpreadMoreWithMoreCompliance) {
  Scenario s = town(10'000);
  s.days = 60;
  Intervention x = item_of(InterventionType::kCaseIsolation);
  x.values[item::kDropout] = 0;
  x.values[item::kCompliance] = 0.3;
  s.interventions = {x};
  const double some = mean_final_size(s, 4);
  s.interventions[0].values[item::kCompliance] = 1;
  const double all = mean_final_size(s, 4);
  EXPECT_LT(all, some);
  const auto rows = run_series(s, 1, 2);
  EXPECT_GT(sum_of(rows, &DayTotals::isolating), 0);
  EXPECT_EQ(sum_of(rows, &DayTotals::quarantined), 0);
}

Scenario tested_town(double seek, std::int64_t delay, double sensitivity) {
  Scenario s = town(10'000);
  s.days = 80;
  Intervention x = item_of(InterventionType::kTesting);
  x.values[item::kSeekProbability] = seek;
  x.values[item::kTestDelayDays] = static_cast<double>(delay);
  x.values[item::kSensitivity] = sensitivity;
  x.values[item::kSpecificity] = 1;
  x.values[item::kInsensitiveDays] = 0;
  s.interventions = {x};
  return s;
}

// Everyone with symptoms takes a test on the day they start (nobody has one
// yet), and every result, positive, comes back `delay` days later.
TEST(Timeline, TestsFollowSymptomOnsetAndResultsTheirDelay) {
  const Scenario s = tested_town(1, 3, 1);
  const auto rows = run_series(s, 1, 2);
  ASSERT_GT(sum_of(rows, &DayTotals::tests), 50);
  for (std::size_t t = 1; t < rows.size(); ++t) {
    SCOPED_TRACE(t);
    EXPECT_EQ(rows[t].tests, rows[t].new_symptomatic);
    EXPECT_EQ(rows[t].positive_tests, t >= 4 ? rows[t - 3].tests : 0);
  }
}

TEST(Timeline, AnInsensitiveTestFindsNobody) {
  const auto rows = run_series(tested_town(1, 1, 0), 1, 2);
  EXPECT_GT(sum_of(rows, &DayTotals::tests), 50);
  EXPECT_EQ(sum_of(rows, &DayTotals::positive_tests), 0);
}

// Traced contacts are tested; with a test blind to infection, the only
// positive results are false positives of agents without one.
TEST(Timeline, FalsePositivesComeFromTheSpecificity) {
  Scenario s = tested_town(1, 0, 0);
  s.interventions[0].values[item::kTestTracedContacts] = 1;
  Intervention tracing = item_of(InterventionType::kContactTracing);
  tracing.values[item::kStartFrom] = item::kFromSymptoms;
  tracing.values[item::kCoverage] = 1;
  s.interventions.push_back(tracing);
  const auto exact = run_series(s, 1, 2);
  EXPECT_GT(sum_of(exact, &DayTotals::tests), sum_of(exact, &DayTotals::new_symptomatic));
  EXPECT_EQ(sum_of(exact, &DayTotals::positive_tests), 0);
  s.interventions[0].values[item::kSpecificity] = 0.9;
  const auto rows = run_series(s, 1, 2);
  const auto positives = static_cast<double>(sum_of(rows, &DayTotals::positive_tests));
  // Tests of traced contacts: every test but the symptomatic cases' own.
  const auto contacts = static_cast<double>(sum_of(rows, &DayTotals::tests) -
                                            sum_of(rows, &DayTotals::new_symptomatic));
  ASSERT_GT(contacts, 500);
  // Each test of a contact without a detectable infection is positive with
  // probability 0.1. Most traced contacts are not infected (the household
  // attack rate is about 20%, lower at places): between half and all of
  // them, give or take 5 binomial standard deviations.
  const double sd = std::sqrt(0.09 * contacts);
  EXPECT_LT(positives, 0.1 * contacts + 5 * sd);
  EXPECT_GT(positives, 0.05 * contacts - 5 * sd);
}

TEST(Timeline, ATestMissesInfectionsInTheirFirstDays) {
  Scenario s = tested_town(1, 0, 1);
  const auto all = run_series(s, 1, 2);
  // Symptoms start 1 to 3 days after infection for some cases only.
  s.interventions[0].values[item::kInsensitiveDays] = 3;
  const auto later = run_series(s, 1, 2);
  EXPECT_EQ(sum_of(later, &DayTotals::tests), sum_of(all, &DayTotals::tests));
  EXPECT_LT(sum_of(later, &DayTotals::positive_tests), sum_of(all, &DayTotals::positive_tests));
  EXPECT_GT(sum_of(later, &DayTotals::positive_tests), sum_of(all, &DayTotals::positive_tests) / 2);
  s.interventions[0].values[item::kInsensitiveDays] = 30;  // longer than any incubation here
  EXPECT_EQ(sum_of(run_series(s, 1, 2), &DayTotals::positive_tests), 0);
}

TEST(Timeline, TestsPerDayStayWithinTheCapacityAndTheRestWait) {
  Scenario s = tested_town(1, 1, 1);
  s.interventions[0].values[item::kDailyCapacity] = 50;  // 5 a day in 10,000
  const auto rows = run_series(s, 1, 2);
  std::int64_t wanted = 0;
  std::int64_t taken = 0;
  for (const DayTotals& d : rows) {
    EXPECT_LE(d.tests, 5) << d.day;
    wanted += d.new_symptomatic;
    taken += d.tests;
  }
  ASSERT_GT(wanted, 200);
  EXPECT_GE(taken, 5 * 60) << "a queue of waiting tests keeps the capacity busy";
}

TEST(Timeline, TheLaterTheSymptomaticSeekATestTheLaterTheResult) {
  const auto prompt = run_series(tested_town(1, 1, 1), 2, 2);
  const auto slow = run_series(tested_town(0.2, 1, 1), 2, 2);
  // The same epidemic (tests change nothing by themselves); with a 20% daily
  // chance, some cases recover before they seek a test.
  EXPECT_EQ(sum_of(prompt, &DayTotals::new_infections), sum_of(slow, &DayTotals::new_infections));
  EXPECT_LT(sum_of(slow, &DayTotals::tests), sum_of(prompt, &DayTotals::tests));
  EXPECT_GT(sum_of(slow, &DayTotals::tests), sum_of(prompt, &DayTotals::tests) / 2);
}

// --- contact tracing -----------------------------------------------------------------

Scenario traced_town(double coverage, double app, std::int64_t lookback) {
  Scenario s = tested_town(1, 0, 1);
  Intervention isolation = item_of(InterventionType::kCaseIsolation);
  isolation.values[item::kIsolateOn] = item::kOnPositiveTest;
  isolation.values[item::kCompliance] = 1;
  Intervention tracing = item_of(InterventionType::kContactTracing);
  tracing.values[item::kCoverage] = coverage;
  tracing.values[item::kAppAdoption] = app;
  tracing.values[item::kLookbackDays] = static_cast<double>(lookback);
  tracing.values[item::kTraceDelayDays] = 0;
  tracing.values[item::kQuarantineCompliance] = 1;
  tracing.values[item::kQuarantineDropout] = 0;
  s.interventions.push_back(isolation);
  s.interventions.push_back(tracing);
  return s;
}

std::set<std::pair<std::uint32_t, std::int16_t>> events_of(const TimelineRun& run,
                                                           CaseEventKind kind) {
  std::set<std::pair<std::uint32_t, std::int16_t>> out;
  for (const CaseEvent& e : run.events) {
    if (e.kind == kind) out.emplace(e.agent, e.day);
  }
  return out;
}

TEST(Timeline, TracingFromPositiveTestsFindsEveryHousemateTheSameDay) {
  const Scenario s = traced_town(1, 0, 0);
  const TimelineRun run = run_with_line_list(s, 1);
  const auto positives = events_of(run, CaseEventKind::kPositive);
  const auto traced = events_of(run, CaseEventKind::kTraced);
  ASSERT_GT(positives.size(), 20u);
  std::map<std::uint32_t, std::int32_t> died;
  for (const Infection& i : run.infections) {
    if (i.outcome == Outcome::kDead) died[i.agent] = i.day_resolved;
  }
  std::size_t housemates = 0;
  for (const auto& [agent, day] : positives) {
    const Population& pop = *run.population;
    for (AgentId b = pop.home_begin(agent); b < pop.home_end(agent); ++b) {
      if (b == agent || (died.count(b) && died[b] <= day)) continue;
      ++housemates;
      EXPECT_TRUE(traced.count({b, day})) << "housemate " << b << " of " << agent << " on " << day;
    }
  }
  EXPECT_GT(housemates, 0u);
  EXPECT_EQ(sum_of(run.rows, &DayTotals::traced_contacts),
            static_cast<std::int64_t>(traced.size()));
}

TEST(Timeline, TracingThatFindsNobodyQuarantinesNobody) {
  const auto rows = run_series(traced_town(0, 0, 7), 1, 2);
  EXPECT_GT(sum_of(rows, &DayTotals::positive_tests), 20);
  EXPECT_EQ(sum_of(rows, &DayTotals::traced_contacts), 0);
  EXPECT_EQ(sum_of(rows, &DayTotals::quarantined), 0);
}

// With everyone using the app, the community contacts an index case made in
// the lookback window include everyone it infected in the community then:
// tracing finds the very contacts that could transmit.
TEST(Timeline, AppTracingFindsTheCommunityContactsThatTransmitted) {
  const Scenario s = traced_town(0, 1, 5);
  const TimelineRun run = run_with_line_list(s, 3);
  std::map<std::uint32_t, std::int16_t> first_positive;
  for (const auto& [agent, day] : events_of(run, CaseEventKind::kPositive)) {
    first_positive.emplace(agent, day);
  }
  const auto traced = events_of(run, CaseEventKind::kTraced);
  std::size_t checked = 0;
  for (const Infection& i : run.infections) {
    if (i.route != InfectionRoute::kCommunity) continue;
    const auto index = first_positive.find(i.infector);
    if (index == first_positive.end()) continue;
    const std::int16_t result = index->second;
    if (i.day_infected < result - 5 || i.day_infected > result - 1) continue;
    if (i.outcome == Outcome::kDead && i.day_resolved <= result) continue;
    ++checked;
    EXPECT_TRUE(traced.count({i.agent, result}))
        << i.agent << " infected by " << i.infector << " on " << i.day_infected;
  }
  EXPECT_GT(checked, 10u);
  // Contacts that did not transmit are traced too.
  EXPECT_GT(traced.size(), 3 * checked);
}

TEST(Timeline, TracingContactsSlowsTheEpidemicBeyondIsolationAlone) {
  Scenario isolation_only = traced_town(0, 0, 7);
  Scenario traced = traced_town(0.9, 0.6, 7);
  isolation_only.days = traced.days = 60;
  EXPECT_LT(mean_final_size(traced, 4), mean_final_size(isolation_only, 4));
}

// --- vaccination ----------------------------------------------------------------------

Intervention vaccination(double doses, int order, double infection, double severe) {
  Intervention x = item_of(InterventionType::kVaccination);
  x.values[item::kDosesPerDay] = doses;
  x.values[item::kOrder] = order;
  x.values[item::kEfficacyInfection] = infection;
  x.values[item::kEfficacySevere] = severe;
  x.values[item::kDaysToProtection] = 0;
  return x;
}

TEST(Timeline, VaccinatingEveryAdultWithFullEfficacyLeavesOnlyChildrenToInfect) {
  Scenario s = town(10'000);
  s.interventions = {vaccination(100'000, item::kRandom, 1, 1)};
  const TimelineRun run = run_with_line_list(s, 1);
  std::int64_t adults = 0;
  for (AgentId a = 0; a < run.population->size(); ++a) adults += run.population->age(a) >= 18;
  EXPECT_EQ(run.rows[1].vaccinated, adults);
  EXPECT_EQ(run.rows.back().vaccinated, adults);
  std::size_t later = 0;
  for (const Infection& i : run.infections) {
    if (i.day_infected == 0) continue;
    ++later;
    EXPECT_LT(i.age, 18);
  }
  EXPECT_GT(later, 0u);
}

TEST(Timeline, OldestFirstProtectsTheOldestBandBeforeAnyoneElse) {
  Scenario s = town(20'000);
  // 10% of the population in one day: all of 80+ (5.1%) and part of 70-79.
  Intervention x = vaccination(10'000, item::kOldestFirst, 1, 1);
  x.end_day = 1;
  s.interventions = {x};
  const TimelineRun run = run_with_line_list(s, 1);
  std::map<std::size_t, int> infected_by_band;
  for (const Infection& i : run.infections) {
    if (i.day_infected > 0) ++infected_by_band[age_band(i.age)];
  }
  EXPECT_EQ(infected_by_band[8], 0);
  EXPECT_GT(infected_by_band[6], 0);
  EXPECT_EQ(run.rows.back().vaccinated, 2'000);
  s.interventions[0].values[item::kOrder] = item::kRandom;
  const TimelineRun random = run_with_line_list(s, 1);
  int old = 0;
  for (const Infection& i : random.infections) old += i.day_infected > 0 && i.age >= 80;
  EXPECT_GT(old, 0) << "a random order leaves most of the oldest unprotected";
}

TEST(Timeline, EfficacyAgainstSevereDiseaseKeepsProtectedCasesOutOfHospital) {
  Scenario s = town(10'000);
  s.interventions = {vaccination(100'000, item::kRandom, 0, 1)};
  s.interventions[0].values[item::kMinAge] = 0;
  const TimelineRun run = run_with_line_list(s, 1);
  std::size_t later = 0;
  for (const Infection& i : run.infections) {
    if (i.day_infected == 0) continue;
    ++later;
    EXPECT_EQ(i.day_hospital, kNoDay);
  }
  EXPECT_GT(later, 1000u) << "no protection against infection";
}

// --- determinism ----------------------------------------------------------------------

TEST(Timeline, EveryTypeTogetherGivesTheSameRunOnAnyThreadCount) {
  Scenario s = traced_town(0.8, 0.5, 7);
  s.interventions[0].values[item::kDailyCapacity] = 200;
  s.interventions[0].values[item::kTestTracedContacts] = 1;
  s.interventions[2].values[item::kSecondStep] = 1;
  s.interventions[2].values[item::kQuarantineDropout] = 0.05;
  Intervention lockdown = item_of(InterventionType::kDistancing);
  lockdown.start_when = Trigger{TriggerMetric::kNewSymptomaticPer100k7d, 100};
  lockdown.end_when = Trigger{TriggerMetric::kNewSymptomaticPer100k7d, 30};
  s.interventions.push_back(lockdown);
  Intervention closure = item_of(InterventionType::kClosure, 20, 40);
  closure.values[item::kWorkplaces] = 0.3;
  s.interventions.push_back(closure);
  s.interventions.push_back(vaccination(300, item::kOldestFirst, 0.6, 0.9));
  const TimelineRun one = run_with_line_list(s, 7, 1);
  const TimelineRun three = run_with_line_list(s, 7, 3);
  EXPECT_EQ(one.rows, three.rows);
  EXPECT_EQ(one.infections, three.infections);
  EXPECT_EQ(one.events, three.events);
  EXPECT_GT(sum_of(one.rows, &DayTotals::traced_contacts), 0);
  EXPECT_GT(one.rows.back().vaccinated, 0);
}

}  // namespace
}  // namespace outbreak::engine
