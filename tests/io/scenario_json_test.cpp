#include "outbreak/io/scenario_json.hpp"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace outbreak::io {
namespace {

using engine::Scenario;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// A field error for `field` whose message contains `part`. (Built from
// header-only matchers: io_tests links gtest_main, not gmock.)
::testing::Matcher<const FieldError&> Problem(const std::string& field, const std::string& part) {
  return ::testing::AllOf(::testing::Field(&FieldError::field, field),
                          ::testing::Field(&FieldError::message, HasSubstr(part)));
}

// The single field error of reading `text` onto a default scenario.
FieldError only_error_of(const std::string& text) {
  Scenario scenario;
  const Status status = read_scenario_json(text, scenario);
  EXPECT_FALSE(status.ok()) << text;
  if (status.ok() || status.error().fields.size() != 1) {
    ADD_FAILURE() << "expected exactly one field error for " << text;
    return {};
  }
  return status.error().fields.front();
}

Scenario read_ok(const std::string& text) {
  Scenario scenario;
  const Status status = read_scenario_json(text, scenario);
  EXPECT_TRUE(status.ok()) << describe(status.error());
  return scenario;
}

// --- read_scenario_json: syntax ---------------------------------------------

TEST(ReadScenarioJson, MalformedJsonNamesLineAndColumn) {
  Scenario scenario;
  const Status status = read_scenario_json("{\n  \"population\": 10,\n  oops\n}", scenario);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidInput);
  EXPECT_THAT(status.error().message, HasSubstr("line 3, column 3"));
  EXPECT_THAT(status.error().message, HasSubstr("invalid literal"));
  EXPECT_TRUE(status.error().fields.empty());
}

TEST(ReadScenarioJson, TruncatedJsonPointsPastTheEnd) {
  Scenario scenario;
  const Status status = read_scenario_json("{\"days\": 5,", scenario);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message, HasSubstr("line 1, column 12"));
  EXPECT_THAT(status.error().message, HasSubstr("end of input"));
}

TEST(ReadScenarioJson, ColumnsCountCharactersNotBytes) {
  Scenario scenario;
  const Status status = read_scenario_json("{\"\xC3\xA9\xC3\xA9\xC3\xA9\": ]}", scenario);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message, HasSubstr("line 1, column 9"));
}

TEST(ReadScenarioJson, NumberOverflowHasAPosition) {
  Scenario scenario;
  const Status status = read_scenario_json("{\n  \"days\": 1e400\n}", scenario);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message, HasSubstr("line 2"));
  EXPECT_THAT(status.error().message, HasSubstr("1e400"));
}

TEST(ReadScenarioJson, TopLevelMustBeAnObject) {
  Scenario scenario;
  const Status status = read_scenario_json("[1, 2]", scenario);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidInput);
  EXPECT_THAT(status.error().message, HasSubstr("must be an object"));
  EXPECT_THAT(status.error().message, HasSubstr("got an array"));
}

// --- read_scenario_json: keys -----------------------------------------------

TEST(ReadScenarioJson, UnknownKeySuggestsTheNearestOne) {
  const FieldError error = only_error_of(R"({"populaton": 1000})");
  EXPECT_EQ(error.field, "populaton");
  EXPECT_THAT(error.message, HasSubstr("unknown key"));
  EXPECT_THAT(error.message, HasSubstr("did you mean \"population\"?"));
}

TEST(ReadScenarioJson, UnknownKeyFarFromAllSuggestsNothing) {
  const FieldError error = only_error_of(R"({"zzzzzzzzzzzz": 1})");
  EXPECT_EQ(error.field, "zzzzzzzzzzzz");
  EXPECT_THAT(error.message, HasSubstr("unknown key"));
  EXPECT_THAT(error.message, Not(HasSubstr("did you mean")));
}

TEST(ReadScenarioJson, DuplicateKeyIsAnError) {
  const FieldError error = only_error_of(R"({"days": 10, "days": 20})");
  EXPECT_EQ(error.field, "days");
  EXPECT_THAT(error.message, HasSubstr("duplicate"));
}

TEST(ReadScenarioJson, NestedKeysAreNotTopLevelDuplicates) {
  // The inner "days" is part of a (wrongly typed) value, not a second key.
  const FieldError error = only_error_of(R"({"days": {"days": 1}})");
  EXPECT_EQ(error.field, "days");
  EXPECT_THAT(error.message, HasSubstr("got an object"));
}

TEST(ReadScenarioJson, AppliesKnownKeysAndKeepsTheOthers) {
  Scenario scenario;
  scenario.days = 7;
  ASSERT_TRUE(read_scenario_json(
      R"({"population": 5000, "employment_rate": 0.25, "contact_tracing": true})", scenario));
  EXPECT_EQ(scenario.population, 5000);
  EXPECT_EQ(scenario.employment_rate, 0.25);
  EXPECT_TRUE(scenario.contact_tracing);
  EXPECT_EQ(scenario.days, 7);
  EXPECT_EQ(scenario.seed, Scenario{}.seed);
}

TEST(ReadScenarioJson, EmptyObjectChangesNothing) { EXPECT_EQ(read_ok("{}"), Scenario{}); }

TEST(ReadScenarioJson, RangesAreLeftToValidate) {
  EXPECT_EQ(read_ok(R"({"population": -5})").population, -5);
  EXPECT_EQ(read_ok(R"({"mortality_rate": 7.5})").mortality_rate, 7.5);
}

// --- read_scenario_json: types ------------------------------------------------

TEST(ReadScenarioJson, IntegerKeyAcceptsWholeNumbers) {
  EXPECT_EQ(read_ok(R"({"population": 250000})").population, 250000);
  EXPECT_EQ(read_ok(R"({"population": 1e6})").population, 1'000'000);
  EXPECT_EQ(read_ok(R"({"population": 20.0})").population, 20);
  EXPECT_EQ(read_ok(R"({"seed": 9223372036854775807})").seed, INT64_MAX);
}

TEST(ReadScenarioJson, IntegerKeyRejectsFractions) {
  const FieldError error = only_error_of(R"({"days": 2.5})");
  EXPECT_EQ(error.field, "days");
  EXPECT_EQ(error.message, "must be a whole number, got 2.5");
}

TEST(ReadScenarioJson, IntegerKeyRejectsOtherTypes) {
  EXPECT_THAT(only_error_of(R"({"days": "10"})"),
              Problem("days", "must be an integer, got the string \"10\""));
  EXPECT_THAT(only_error_of(R"({"days": null})"), Problem("days", "must be an integer, got null"));
  EXPECT_THAT(only_error_of(R"({"days": true})"), Problem("days", "must be an integer, got true"));
  EXPECT_THAT(only_error_of(R"({"days": [10]})"),
              Problem("days", "must be an integer, got an array"));
}

TEST(ReadScenarioJson, IntegerKeyRejectsValuesBeyondInt64) {
  EXPECT_THAT(only_error_of(R"({"seed": 9223372036854775808})"),
              Problem("seed", "must fit in a 64-bit integer, got 9223372036854775808"));
  EXPECT_THAT(only_error_of(R"({"seed": 1e30})"), Problem("seed", "must fit in a 64-bit integer"));
  EXPECT_THAT(only_error_of(R"({"seed": -1e19})"), Problem("seed", "must fit in a 64-bit integer"));
}

TEST(ReadScenarioJson, RealKeyAcceptsAnyNumber) {
  EXPECT_EQ(read_ok(R"({"employment_rate": 1})").employment_rate, 1.0);
  EXPECT_EQ(read_ok(R"({"employment_rate": 0.125})").employment_rate, 0.125);
  EXPECT_EQ(read_ok(R"({"employment_rate": 5e-1})").employment_rate, 0.5);
}

TEST(ReadScenarioJson, RealKeyRejectsNonNumbers) {
  EXPECT_THAT(only_error_of(R"({"mortality_rate": "0.5"})"),
              Problem("mortality_rate", "must be a number, got the string \"0.5\""));
  EXPECT_THAT(only_error_of(R"({"mortality_rate": null})"),
              Problem("mortality_rate", "must be a number, got null"));
  EXPECT_THAT(only_error_of(R"({"mortality_rate": false})"),
              Problem("mortality_rate", "must be a number, got false"));
}

TEST(ReadScenarioJson, BooleanKeyAcceptsOnlyTrueOrFalse) {
  EXPECT_TRUE(read_ok(R"({"symptomatic_isolation": true})").symptomatic_isolation);
  EXPECT_THAT(only_error_of(R"({"contact_tracing": 1})"),
              Problem("contact_tracing", "must be true or false, got 1"));
  EXPECT_THAT(only_error_of(R"({"contact_tracing": "true"})"),
              Problem("contact_tracing", "must be true or false, got the string \"true\""));
  EXPECT_THAT(only_error_of(R"({"contact_tracing": null})"),
              Problem("contact_tracing", "must be true or false, got null"));
}

TEST(ReadScenarioJson, LongStringsAreClippedInMessages) {
  const FieldError error = only_error_of(R"({"days": ")" + std::string(200, 'x') + "\"}");
  EXPECT_THAT(error.message, HasSubstr("..."));
  EXPECT_LT(error.message.size(), 100u);
}

// --- read_scenario_json: every problem at once --------------------------------

TEST(ReadScenarioJson, ReportsEveryProblemInFileOrder) {
  Scenario scenario;
  const Status status = read_scenario_json(
      R"({"populaton": 10, "days": 2.5, "population": 300, "contact_tracing": 1})", scenario);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidInput);
  EXPECT_THAT(status.error().message, HasSubstr("3 problems"));
  EXPECT_THAT(status.error().fields,
              ElementsAre(Problem("populaton", "did you mean"), Problem("days", "whole number"),
                          Problem("contact_tracing", "true or false")));
  EXPECT_EQ(scenario, Scenario{}) << "nothing is applied when anything is wrong";
}

TEST(ReadScenarioJson, ParsedValueOverload) {
  Scenario scenario;
  nlohmann::json value = {{"days", 30}, {"tracing_coverage", 0.75}};
  ASSERT_TRUE(read_scenario_json(value, scenario));
  EXPECT_EQ(scenario.days, 30);
  EXPECT_EQ(scenario.tracing_coverage, 0.75);

  const Status status = read_scenario_json(nlohmann::json{{"dayz", 1}, {"seed", "x"}}, scenario);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().fields.size(), 2u);
  EXPECT_FALSE(read_scenario_json(nlohmann::json(42), scenario).ok());
}

// --- apply_assignments --------------------------------------------------------

Status apply(const std::vector<std::string>& assignments, Scenario& scenario) {
  return apply_assignments(assignments, scenario);
}

FieldError only_assignment_error(const std::string& assignment) {
  Scenario scenario;
  const Status status = apply({assignment}, scenario);
  if (status.ok() || status.error().fields.size() != 1) {
    ADD_FAILURE() << "expected exactly one field error for " << assignment;
    return {};
  }
  return status.error().fields.front();
}

TEST(ApplyAssignments, ReadsEachKindAndLaterOnesWin) {
  Scenario scenario;
  ASSERT_TRUE(apply({"days=10", "employment_rate=0.75", "contact_tracing=true", "days=20",
                     "population=1e6", "seed=+42", "tracing_delay_days=-1"},
                    scenario));
  EXPECT_EQ(scenario.days, 20);
  EXPECT_EQ(scenario.employment_rate, 0.75);
  EXPECT_TRUE(scenario.contact_tracing);
  EXPECT_EQ(scenario.population, 1'000'000);
  EXPECT_EQ(scenario.seed, 42);
  EXPECT_EQ(scenario.tracing_delay_days, -1) << "ranges are left to validate";
}

TEST(ApplyAssignments, SplitsAtTheFirstEquals) {
  const FieldError error = only_assignment_error("days=1=2");
  EXPECT_EQ(error.field, "days");
  EXPECT_EQ(error.message, "must be an integer, got \"1=2\"");
}

TEST(ApplyAssignments, MissingEqualsNamesTheAssignment) {
  EXPECT_THAT(only_assignment_error("days10"), Problem("days10", "key=value"));
  EXPECT_THAT(only_assignment_error("=10"), Problem("=10", "key=value"));
}

TEST(ApplyAssignments, UnknownKeySuggestsTheNearestOne) {
  EXPECT_THAT(only_assignment_error("populaton=5"),
              Problem("populaton", "unknown key; did you mean \"population\"?"));
}

TEST(ApplyAssignments, IntegerValues) {
  EXPECT_THAT(only_assignment_error("days=2.5"),
              Problem("days", "must be a whole number, got 2.5"));
  EXPECT_THAT(only_assignment_error("days=ten"),
              Problem("days", "must be an integer, got \"ten\""));
  EXPECT_THAT(only_assignment_error("days="), Problem("days", "must be an integer, got \"\""));
  EXPECT_THAT(only_assignment_error("days= 5"), Problem("days", "must be an integer"));
  EXPECT_THAT(only_assignment_error("days=+-5"), Problem("days", "must be an integer"));
  EXPECT_THAT(only_assignment_error("seed=99999999999999999999"),
              Problem("seed", "must fit in a 64-bit integer"));
  EXPECT_THAT(only_assignment_error("seed=1e19"), Problem("seed", "must fit in a 64-bit integer"));
}

TEST(ApplyAssignments, RealValues) {
  Scenario scenario;
  ASSERT_TRUE(apply({"mortality_rate=1e-3"}, scenario));
  EXPECT_EQ(scenario.mortality_rate, 0.001);
  EXPECT_THAT(only_assignment_error("mortality_rate=high"),
              Problem("mortality_rate", "must be a number, got \"high\""));
  EXPECT_THAT(only_assignment_error("mortality_rate=nan"),
              Problem("mortality_rate", "must be a finite number"));
  EXPECT_THAT(only_assignment_error("mortality_rate=inf"),
              Problem("mortality_rate", "must be a finite number"));
  EXPECT_THAT(only_assignment_error("mortality_rate=0.5%"), Problem("mortality_rate", "number"));
}

TEST(ApplyAssignments, BooleanValuesAreExactlyTrueOrFalse) {
  Scenario scenario;
  scenario.contact_tracing = true;
  ASSERT_TRUE(apply({"contact_tracing=false"}, scenario));
  EXPECT_FALSE(scenario.contact_tracing);
  for (const char* value : {"1", "0", "True", "yes", ""}) {
    EXPECT_THAT(only_assignment_error(std::string("contact_tracing=") + value),
                Problem("contact_tracing", "must be true or false"))
        << value;
  }
}

TEST(ApplyAssignments, ReportsEveryProblemAndChangesNothing) {
  Scenario scenario;
  const Status status = apply({"days=30", "dayz=1", "seed=x", "contact_tracing"}, scenario);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidInput);
  EXPECT_THAT(status.error().message, HasSubstr("3 problems"));
  EXPECT_THAT(status.error().fields,
              ElementsAre(Problem("dayz", "unknown key"), Problem("seed", "must be an integer"),
                          Problem("contact_tracing", "key=value")));
  EXPECT_EQ(scenario, Scenario{});
}

// --- resolve_scenario ---------------------------------------------------------

TEST(ResolveScenario, DefaultsWithoutFileOrAssignments) {
  const Result<Scenario> scenario = resolve_scenario(nullptr, {});
  ASSERT_TRUE(scenario.ok()) << describe(scenario.error());
  EXPECT_EQ(*scenario, Scenario{});
}

TEST(ResolveScenario, AssignmentsOverrideTheFile) {
  const std::string file = R"({"days": 10, "population": 2000})";
  const std::vector<std::string> assignments = {"days=20"};
  const Result<Scenario> scenario = resolve_scenario(&file, assignments);
  ASSERT_TRUE(scenario.ok()) << describe(scenario.error());
  EXPECT_EQ(scenario->days, 20);
  EXPECT_EQ(scenario->population, 2000);
}

TEST(ResolveScenario, ValidationErrorsNameTheirFields) {
  const std::string file = R"({"population": 100})";
  const std::vector<std::string> assignments = {"initial_infected=500", "mortality_rate=2"};
  const Result<Scenario> scenario = resolve_scenario(&file, assignments);
  ASSERT_FALSE(scenario.ok());
  EXPECT_EQ(scenario.error().code, ErrorCode::kInvalidInput);
  EXPECT_THAT(scenario.error().message, HasSubstr("invalid scenario"));
  EXPECT_THAT(scenario.error().fields, ::testing::Contains(Problem("initial_infected", "100")));
  EXPECT_THAT(scenario.error().fields, ::testing::Contains(Problem("mortality_rate", "got 2")));
}

TEST(ResolveScenario, ReadErrorsFromFileAndAssignmentsComeTogether) {
  const std::string file = R"({"population": 0, "dayz": 5})";
  const std::vector<std::string> assignments = {"days=ten", "seed=x"};
  const Result<Scenario> scenario = resolve_scenario(&file, assignments);
  ASSERT_FALSE(scenario.ok());
  EXPECT_THAT(scenario.error().fields,
              ElementsAre(Problem("dayz", "unknown key"), Problem("days", "must be an integer"),
                          Problem("seed", "must be an integer")));
}

TEST(ResolveScenario, ValidationWaitsUntilEverythingCouldBeRead) {
  // The file reads fine but population=0 would fail validation; that is not
  // reported while another value could not even be read.
  const std::string file = R"({"population": 0})";
  const std::vector<std::string> assignments = {"seed=x"};
  const Result<Scenario> scenario = resolve_scenario(&file, assignments);
  ASSERT_FALSE(scenario.ok());
  EXPECT_THAT(scenario.error().fields, ElementsAre(Problem("seed", "must be an integer")));
}

TEST(ResolveScenario, MalformedFileIsNamedAlongsideAssignmentErrors) {
  const std::string file = "{\n\"days\": 10,,\n}";
  const std::vector<std::string> assignments = {"seed=x"};
  const Result<Scenario> scenario = resolve_scenario(&file, assignments);
  ASSERT_FALSE(scenario.ok());
  EXPECT_THAT(scenario.error().message, HasSubstr("line 2, column 12"));
  EXPECT_THAT(scenario.error().fields, ElementsAre(Problem("seed", "must be an integer")));
}

// --- scenario_to_json ---------------------------------------------------------

TEST(ScenarioToJson, EveryParameterInTableOrderWithItsType) {
  const nlohmann::ordered_json json = scenario_to_json(Scenario{});
  std::vector<std::string> keys;
  for (const auto& [key, value] : json.items()) keys.push_back(key);
  std::vector<std::string> expected;
  for (const engine::Parameter& p : engine::parameters()) expected.emplace_back(p.name);
  EXPECT_EQ(keys, expected);

  EXPECT_TRUE(json["population"].is_number_integer());
  EXPECT_EQ(json["population"], 100'000);
  EXPECT_TRUE(json["employment_rate"].is_number_float());
  EXPECT_EQ(json["employment_rate"], 0.6);
  EXPECT_TRUE(json["contact_tracing"].is_boolean());
}

TEST(ScenarioToJson, RoundTripsThroughTheReader) {
  Scenario original;
  original.population = 4'000'000'000;
  original.seed = engine::kMaxSeed;
  original.employment_rate = 0.1 + 0.2;  // not exactly 0.3: needs every digit
  original.mortality_rate = 1e-7;
  original.symptomatic_isolation = true;
  original.contact_tracing = true;
  original.isolation_days = 0;

  Scenario read_back;
  read_back.days = 1;  // every key must be overwritten
  ASSERT_TRUE(read_scenario_json(scenario_to_json(original).dump(), read_back));
  EXPECT_EQ(read_back, original);
}

// --- describe -----------------------------------------------------------------

TEST(Describe, MessageThenOneLinePerField) {
  const Error error = Error::invalid(
      "invalid scenario: 2 problems",
      {{"population", "must be between 1 and 4000000000 (agents), got 0"}, {"days", "bad"}});
  EXPECT_EQ(describe(error),
            "invalid scenario: 2 problems\n"
            "  population: must be between 1 and 4000000000 (agents), got 0\n"
            "  days: bad");
  EXPECT_EQ(describe(Error::invalid("just this")), "just this");
}

}  // namespace
}  // namespace outbreak::io
