// The policy timeline in scenario JSON and --set: reading, writing back, and
// every problem named by its item and field, all at once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "outbreak/io/scenario_json.hpp"

namespace outbreak::io {
namespace {

using engine::InterventionType;
using engine::Scenario;
using ::testing::Contains;
using ::testing::HasSubstr;

// Every problem of a scenario file: reading, then validation.
std::vector<FieldError> problems_of(const std::string& text) {
  const Result<Scenario> resolved = resolve_scenario(&text, {});
  if (resolved) return {};
  return resolved.error().fields;
}

::testing::Matcher<const FieldError&> Problem(const std::string& field, const std::string& part) {
  return ::testing::AllOf(::testing::Field(&FieldError::field, field),
                          ::testing::Field(&FieldError::message, HasSubstr(part)));
}

TEST(TimelineJson, ReadsEveryTypeWithItsDefaultsAndWritesItBack) {
  const std::string text = R"({"interventions": [
    {"type": "testing", "start_day": 0, "delay_days": 3, "daily_capacity": 250},
    {"type": "case_isolation", "start_day": 0, "isolate_on": "positive_test"},
    {"type": "contact_tracing", "name": "TTI", "start_day": 5, "end_day": 90,
     "mode": "contacts", "app_adoption": 0.4, "second_step": true},
    {"type": "distancing", "start_when": {"metric": "new_symptomatic_per_100k_7d", "above": 100},
     "end_when": {"metric": "hospitalized_per_100k", "below": 5}, "community_contacts_factor": 0.3},
    {"type": "closure", "start_day": 30, "end_day": 71, "workplaces": 0.5},
    {"type": "vaccination", "start_day": 10, "order": "random", "days": null}
  ]})";
  const Result<Scenario> first = resolve_scenario(&text, {});
  ASSERT_FALSE(first.ok());  // "days" is not a vaccination key
  EXPECT_THAT(first.error().fields,
              Contains(Problem("interventions[5].days", "unknown key for type vaccination")));

  std::string good = text;
  good.replace(good.find(R"(, "days": null)"), std::string(R"(, "days": null)").size(), "");
  const Result<Scenario> scenario = resolve_scenario(&good, {});
  ASSERT_TRUE(scenario.ok()) << describe(scenario.error());
  const auto& items = scenario->interventions;
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(items[0].type, InterventionType::kTesting);
  EXPECT_EQ(items[0][engine::item::kTestDelayDays], 3);
  EXPECT_EQ(items[0][engine::item::kSensitivity], 0.8) << "a default";
  EXPECT_EQ(items[1].choice(engine::item::kIsolateOn), engine::item::kOnPositiveTest);
  EXPECT_EQ(items[2].name, "TTI");
  EXPECT_EQ(items[2].end_day, 90);
  EXPECT_TRUE(items[2].flag(engine::item::kSecondStep));
  ASSERT_TRUE(items[3].start_when && items[3].end_when);
  EXPECT_EQ(items[3].start_when->threshold, 100);
  EXPECT_EQ(items[3].end_when->metric, engine::TriggerMetric::kHospitalizedPer100k);
  EXPECT_EQ(items[5].choice(engine::item::kOrder), engine::item::kRandom);

  // Written back in full and read again: the same scenario.
  const std::string written = scenario_to_json(*scenario).dump();
  const Result<Scenario> again = resolve_scenario(&written, {});
  ASSERT_TRUE(again.ok()) << describe(again.error());
  EXPECT_EQ(*again, *scenario);
  const auto json = scenario_to_json(*scenario)["interventions"];
  EXPECT_EQ(json[0]["daily_capacity"], 250);
  EXPECT_TRUE(json[1]["days"].is_number()) << "every parameter of the type is written";
  EXPECT_EQ(json[3]["start_when"]["above"], 100);
  EXPECT_FALSE(json[4].contains("start_when"));
}

TEST(TimelineJson, AStoredScenarioWithoutATimelineStillLoads) {
  const std::string old = R"({"population": 5000, "contact_tracing": true,
    "tracing_coverage": 0.8, "tracing_delay_days": 1, "isolation_days": 10})";
  const Result<Scenario> scenario = resolve_scenario(&old, {});
  ASSERT_TRUE(scenario.ok());
  EXPECT_TRUE(scenario->interventions.empty());
  ASSERT_EQ(scenario->timeline().size(), 1u);
  EXPECT_EQ(scenario->timeline()[0][engine::item::kCoverage], 0.8);
}

TEST(TimelineJson, EveryProblemIsNamedByItsItemAndFieldAllAtOnce) {
  const auto problems = problems_of(R"({"interventions": [
    {"type": "lockdown", "start_day": 1},
    {"type": "distancing", "start_day": 10, "end_day": 5, "factor": 2},
    {"type": "contact_tracing", "start_day": 0, "coverage": 1.5, "delay_days": -1},
    {"type": "distancing", "start_when": {"metric": "deaths", "above": 5}},
    {"type": "closure", "start_when": {"metric": "hospitalized_per_100k", "above": 5},
     "end_when": {"metric": "hospitalized_per_100k", "below": 10}},
    {"type": "testing", "start_day": 0, "seek_probability": 0, "daily_capacity": -3},
    {"start_day": 0},
    {"type": "vaccination"},
    "distancing"
  ]})");
  EXPECT_THAT(problems,
              Contains(Problem("interventions[0].type", "must be one of distancing, closure")));
  EXPECT_THAT(problems,
              Contains(Problem("interventions[1].factor", "unknown key for type distancing")));
  EXPECT_THAT(problems, Contains(Problem("interventions[3].start_when.metric", "must be one of")));
  EXPECT_THAT(problems, Contains(Problem("interventions[6].type", "is missing")));
  EXPECT_THAT(problems, Contains(Problem("interventions[7].start_day", "is missing")));
  EXPECT_THAT(problems, Contains(Problem("interventions[8]", "must be an object")));
  // Reading problems come first; the ranges are checked once everything reads.
  const auto ranges = problems_of(R"({"interventions": [
    {"type": "distancing", "start_day": 10, "end_day": 5},
    {"type": "contact_tracing", "start_day": 0, "coverage": 1.5, "delay_days": -1},
    {"type": "closure", "start_when": {"metric": "hospitalized_per_100k", "above": 5},
     "end_when": {"metric": "hospitalized_per_100k", "below": 10}},
    {"type": "testing", "start_day": 0, "seek_probability": 0, "daily_capacity": -3},
    {"type": "vaccination", "start_day": 0, "efficacy_infection": 0.9, "efficacy_severe": 0.5}
  ]})");
  EXPECT_THAT(ranges,
              Contains(Problem("interventions[0].end_day", "must not be before start_day (10)")));
  EXPECT_THAT(ranges, Contains(Problem("interventions[1].coverage", "between 0 and 1")));
  EXPECT_THAT(ranges, Contains(Problem("interventions[1].delay_days", "between 0 and 30")));
  EXPECT_THAT(ranges, Contains(Problem("interventions[1].type", "no testing item tests anyone")));
  EXPECT_THAT(ranges, Contains(Problem("interventions[2].end_when.below",
                                       "must not exceed start_when.above (5)")));
  EXPECT_THAT(ranges,
              Contains(Problem("interventions[3].daily_capacity", "between 0 and 100,000")));
  EXPECT_THAT(ranges, Contains(Problem("interventions[4].efficacy_severe",
                                       "at least the efficacy against infection")));
}

TEST(TimelineJson, ATimelineThatTracesFromTestsButTestsNobodyIsRefused) {
  const auto problems = problems_of(R"({"interventions": [
    {"type": "contact_tracing", "start_day": 0},
    {"type": "case_isolation", "start_day": 0, "isolate_on": "positive_test"}]})");
  EXPECT_THAT(problems, Contains(Problem("interventions[0].type", "starts from positive tests")));
  EXPECT_THAT(problems, Contains(Problem("interventions[1].type", "starts from positive tests")));
  EXPECT_TRUE(problems_of(R"({"interventions": [
    {"type": "contact_tracing", "start_day": 0, "start_from": "symptoms"}]})")
                  .empty())
      << "tracing from symptoms needs no test";
}

TEST(TimelineJson, MoreThanAHundredItemsAreRefused) {
  std::string text = R"({"interventions": [)";
  for (int i = 0; i < 101; ++i)
    text += std::string(i ? "," : "") + R"({"type": "closure", "start_day": 1})";
  text += "]}";
  EXPECT_THAT(problems_of(text), Contains(Problem("interventions", "at most 100 items, got 101")));
}

TEST(TimelineJson, WrongTypesOfValuesAreNamed) {
  const auto problems = problems_of(R"({"interventions": [
    {"type": "contact_tracing", "start_day": "today", "mode": "people", "second_step": 1,
     "lookback_days": 2.5, "name": 7, "start_from": "symptoms"}], "days": 30})");
  EXPECT_THAT(problems, Contains(Problem("interventions[0].start_day", "must be an integer")));
  EXPECT_THAT(problems,
              Contains(Problem("interventions[0].mode", "must be one of contacts, places")));
  EXPECT_THAT(problems, Contains(Problem("interventions[0].second_step", "must be true or false")));
  EXPECT_THAT(problems, Contains(Problem("interventions[0].lookback_days", "whole number")));
  EXPECT_THAT(problems, Contains(Problem("interventions[0].name", "must be a string")));
  EXPECT_THAT(problems_of(R"({"interventions": {"type": "closure"}})"),
              Contains(Problem("interventions", "must be an array")));
}

TEST(TimelineJson, SetTakesTheTimelineAsJsonText) {
  const std::vector<std::string> set = {
      R"(interventions=[{"type": "closure", "start_day": 3, "schools": 0.5}])"};
  const Result<Scenario> scenario = resolve_scenario(nullptr, set);
  ASSERT_TRUE(scenario.ok()) << describe(scenario.error());
  ASSERT_EQ(scenario->interventions.size(), 1u);
  EXPECT_EQ(scenario->interventions[0][engine::item::kSchools], 0.5);
  const Result<Scenario> bad =
      resolve_scenario(nullptr, std::vector<std::string>{"interventions=[{"});
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().fields, Contains(Problem("interventions", "must be a JSON array")));
}

}  // namespace
}  // namespace outbreak::io
