#include "outbreak/io/scenario_json.hpp"

#include <cstdint>
#include <optional>
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

TEST(ReadScenarioJson, RealKeyAcceptsIntegralNumbers) {
  // Files of the first version wrote durations as integers.
  const Scenario scenario = read_ok(R"({"latent_days": 3, "sick_days": 13})");
  EXPECT_EQ(scenario.latent_days, 3.0);
  EXPECT_EQ(scenario.sick_days, 13.0);
}

TEST(ReadScenarioJson, RealKeyRejectsNonNumbers) {
  EXPECT_THAT(only_error_of(R"({"employment_rate": "0.5"})"),
              Problem("employment_rate", "must be a number, got the string \"0.5\""));
  EXPECT_THAT(only_error_of(R"({"employment_rate": null})"),
              Problem("employment_rate", "must be a number, got null"));
  EXPECT_THAT(only_error_of(R"({"employment_rate": false})"),
              Problem("employment_rate", "must be a number, got false"));
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
  ASSERT_TRUE(apply({"employment_rate=1e-3", "latent_days=3"}, scenario));
  EXPECT_EQ(scenario.employment_rate, 0.001);
  EXPECT_EQ(scenario.latent_days, 3.0);
  EXPECT_THAT(only_assignment_error("employment_rate=high"),
              Problem("employment_rate", "must be a number, got \"high\""));
  EXPECT_THAT(only_assignment_error("employment_rate=nan"),
              Problem("employment_rate", "must be a finite number"));
  EXPECT_THAT(only_assignment_error("employment_rate=inf"),
              Problem("employment_rate", "must be a finite number"));
  EXPECT_THAT(only_assignment_error("employment_rate=0.5%"), Problem("employment_rate", "number"));
  EXPECT_THAT(only_assignment_error("employment_rate=null"),
              Problem("employment_rate", "must be a number, got \"null\""))
      << "only optional keys can be unset";
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

// --- Optional keys: a value, or null for unset -----------------------------------

TEST(OptionalKeys, JsonNullUnsetsAndANumberSets) {
  Scenario scenario;
  scenario.household_size = 3;
  ASSERT_TRUE(read_scenario_json(R"({"household_size": null, "mortality_rate": 0.02})", scenario));
  EXPECT_EQ(scenario.household_size, std::nullopt);
  EXPECT_EQ(scenario.mortality_rate, 0.02);
  EXPECT_EQ(read_ok(R"({"household_size": 1e1})").household_size, 10);
  EXPECT_EQ(read_ok(R"({"asymptomatic_fraction": 0})").asymptomatic_fraction, 0.0)
      << "0 is a value, not unset";
}

TEST(OptionalKeys, JsonWrongTypesSayNullIsAllowed) {
  EXPECT_THAT(only_error_of(R"({"household_size": "3"})"),
              Problem("household_size", "must be an integer or null, got the string \"3\""));
  EXPECT_THAT(only_error_of(R"({"household_size": 2.5})"),
              Problem("household_size", "must be a whole number, got 2.5"));
  EXPECT_THAT(only_error_of(R"({"mortality_rate": false})"),
              Problem("mortality_rate", "must be a number or null, got false"));
  EXPECT_THAT(only_error_of(R"({"mortality_rate": [0.1]})"),
              Problem("mortality_rate", "must be a number or null, got an array"));
}

TEST(OptionalKeys, SetNullUnsetsAndANumberSets) {
  Scenario scenario;
  scenario.mortality_rate = 0.5;
  ASSERT_TRUE(apply({"mortality_rate=null", "household_size=3"}, scenario));
  EXPECT_EQ(scenario.mortality_rate, std::nullopt);
  EXPECT_EQ(scenario.household_size, 3);
  ASSERT_TRUE(apply({"household_size=null"}, scenario));
  EXPECT_EQ(scenario.household_size, std::nullopt);
  EXPECT_THAT(only_assignment_error("household_size=three"),
              Problem("household_size", "must be an integer or null, got \"three\""));
  EXPECT_THAT(only_assignment_error("mortality_rate=NULL"),
              Problem("mortality_rate", "must be a number or null, got \"NULL\""));
  EXPECT_THAT(only_assignment_error("mortality_rate=nan"),
              Problem("mortality_rate", "must be a finite number"));
}

TEST(OptionalKeys, RoundTripKeepsSetAndUnset) {
  for (const std::optional<double> rate :
       {std::optional<double>(), std::optional<double>(0.0), std::optional<double>(0.125)}) {
    Scenario original;
    original.mortality_rate = rate;
    original.household_size = rate ? std::optional<std::int64_t>(2) : std::nullopt;
    Scenario read_back;
    read_back.mortality_rate = 0.9;
    read_back.household_size = 9;
    ASSERT_TRUE(read_scenario_json(scenario_to_json(original).dump(), read_back));
    EXPECT_EQ(read_back.mortality_rate, original.mortality_rate);
    EXPECT_EQ(read_back.household_size, original.household_size);
  }
}

// --- Arrays: one number per band ----------------------------------------------------

const std::string kShares = "[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2]";

TEST(ArrayKeys, JsonArrayOfNumbers) {
  const Scenario scenario = read_ok(R"({"age_shares": )" + kShares +
                                    R"(, "hospital_by_age": [0, 0, 0, 0, 0, 0, 0, 0, 1]})");
  EXPECT_EQ(scenario.age_shares,
            (std::vector<double>{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2}));
  EXPECT_EQ(scenario.hospital_by_age, (std::vector<double>{0, 0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(ArrayKeys, JsonBadEntriesAreNamedByIndexAllAtOnce) {
  Scenario scenario;
  const Status status = read_scenario_json(
      R"({"age_shares": [0.1, 0.1, 0.1, "x", 0.1, null, 0.1, 0.1, 0.2], "days": 2.5})", scenario);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().fields,
              ElementsAre(Problem("age_shares[3]", "must be a number, got the string \"x\""),
                          Problem("age_shares[5]", "must be a number, got null"),
                          Problem("days", "whole number")));
  EXPECT_EQ(scenario, Scenario{});
}

TEST(ArrayKeys, JsonNonArrayNamesTheLengthAndLabels) {
  EXPECT_THAT(only_error_of(R"({"age_shares": 0.5})"),
              Problem("age_shares",
                      "must be an array of 9 numbers (0-9, 10-19, 20-29, 30-39, 40-49, "
                      "50-59, 60-69, 70-79, 80+), got 0.5"));
  EXPECT_THAT(only_error_of(R"({"household_size_shares": {"1": 0.5}})"),
              Problem("household_size_shares", "(1, 2, 3, 4, 5, 6+), got an object"));
}

TEST(ArrayKeys, WrongLengthIsReportedByValidateWithLengthAndLabels) {
  // Read as given, so that the length is reported with the other range
  // problems (see resolve_scenario).
  EXPECT_EQ(read_ok(R"({"age_shares": [0.5, 0.5]})").age_shares, (std::vector<double>{0.5, 0.5}));
  const std::string file = R"({"age_shares": [0.5, 0.5], "days": 0})";
  const Result<Scenario> scenario = resolve_scenario(&file, {});
  ASSERT_FALSE(scenario.ok());
  EXPECT_THAT(scenario.error().fields,
              ::testing::Contains(Problem("age_shares",
                                          "must have 9 entries (0-9, 10-19, 20-29, "
                                          "30-39, 40-49, 50-59, 60-69, 70-79, 80+), "
                                          "got 2")));
  EXPECT_THAT(scenario.error().fields, ::testing::Contains(Problem("days", "got 0")));
}

TEST(ArrayKeys, SetReadsCommaSeparatedNumbers) {
  Scenario scenario;
  ASSERT_TRUE(apply(
      {"age_shares=0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.2", "household_size_shares=1,0,0,0,0,+0"},
      scenario));
  EXPECT_EQ(scenario.age_shares,
            (std::vector<double>{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2}));
  EXPECT_EQ(scenario.household_size_shares, (std::vector<double>{1, 0, 0, 0, 0, 0}));
}

TEST(ArrayKeys, SetBadEntriesAreNamedByIndex) {
  Scenario scenario;
  const Status status = apply({"age_shares=0.1,0.1,x,0.1,,0.1,0.1,0.1,inf"}, scenario);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().fields,
              ElementsAre(Problem("age_shares[2]", "must be a number, got \"x\""),
                          Problem("age_shares[4]", "must be a number, got \"\""),
                          Problem("age_shares[8]", "must be a finite number, got \"inf\"")));
  EXPECT_EQ(scenario, Scenario{});
  EXPECT_THAT(only_assignment_error("age_shares=0.5, 0.5"),
              Problem("age_shares[1]", "must be a number, got \" 0.5\""));
}

TEST(ArrayKeys, SetWrongLengthIsLeftToValidate) {
  Scenario scenario;
  ASSERT_TRUE(apply({"age_shares=1"}, scenario));
  EXPECT_EQ(scenario.age_shares, std::vector<double>{1});
  ASSERT_TRUE(apply({"age_shares="}, scenario));
  EXPECT_TRUE(scenario.age_shares.empty()) << "an empty value is no entries, not one empty entry";
  const std::vector<std::string> assignments = {"symptomatic_by_age=0.5,0.5,0.5"};
  const Result<Scenario> resolved = resolve_scenario(nullptr, assignments);
  ASSERT_FALSE(resolved.ok());
  EXPECT_THAT(resolved.error().fields,
              ElementsAre(Problem("symptomatic_by_age", "must have 9 entries (0-9, 10-19")));
}

TEST(ArrayKeys, EntryRangesAreNamedByIndexByValidate) {
  const std::vector<std::string> assignments = {"hospital_by_age=0,0,0,0,1.5,0,0,0,-1"};
  const Result<Scenario> scenario = resolve_scenario(nullptr, assignments);
  ASSERT_FALSE(scenario.ok());
  EXPECT_THAT(scenario.error().fields,
              ::testing::Contains(Problem("hospital_by_age[4]", "got 1.5")));
  EXPECT_THAT(scenario.error().fields,
              ::testing::Contains(Problem("hospital_by_age[8]", "got -1")));
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

// --- Presets ----------------------------------------------------------------------

TEST(Presets, OriginalAppliesTheFirstModel) {
  const Result<Scenario> scenario = resolve_scenario(nullptr, {}, "original");
  ASSERT_TRUE(scenario.ok()) << describe(scenario.error());
  EXPECT_EQ(scenario->household_size, 3);
  EXPECT_EQ(scenario->office_size, 20);
  EXPECT_EQ(scenario->office_size_sd, 0.0);
  EXPECT_EQ(scenario->employment_rate, 0.6);
  EXPECT_EQ(scenario->latent_days, 3.0);
  EXPECT_EQ(scenario->sick_days, 13.0);
  EXPECT_EQ(scenario->asymptomatic_fraction, 0.3);
  EXPECT_EQ(scenario->mortality_rate, 0.01);
  EXPECT_EQ(scenario->home_infection_risk, 0.02);
  EXPECT_EQ(scenario->age_shares, (std::vector<double>{0, 0, 0, 1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(scenario->population, Scenario{}.population) << "keys it leaves out keep defaults";
}

TEST(Presets, EveryPresetResolves) {
  for (const engine::Preset& preset : engine::presets()) {
    const Result<Scenario> scenario = resolve_scenario(nullptr, {}, preset.name);
    EXPECT_TRUE(scenario.ok()) << preset.name << ": " << describe(scenario.error());
  }
}

TEST(Presets, FileThenSetApplyOnTop) {
  const std::string file = R"({"household_size": 5, "mortality_rate": null, "days": 30})";
  const std::vector<std::string> assignments = {"household_size=4"};
  const Result<Scenario> scenario = resolve_scenario(&file, assignments, "original");
  ASSERT_TRUE(scenario.ok()) << describe(scenario.error());
  EXPECT_EQ(scenario->household_size, 4) << "--set wins over the file";
  EXPECT_EQ(scenario->mortality_rate, std::nullopt) << "the file wins over the preset";
  EXPECT_EQ(scenario->days, 30);
  EXPECT_EQ(scenario->asymptomatic_fraction, 0.3) << "from the preset";
}

TEST(Presets, UnknownPresetListsTheValidNames) {
  const Result<Scenario> scenario = resolve_scenario(nullptr, {}, "orignal");
  ASSERT_FALSE(scenario.ok());
  EXPECT_EQ(scenario.error().code, ErrorCode::kInvalidInput);
  EXPECT_THAT(
      scenario.error().fields,
      ElementsAre(Problem("preset", "unknown preset \"orignal\"; valid presets: original")));
}

TEST(Presets, UnknownPresetComesWithTheOtherProblems) {
  const std::string file = R"({"dayz": 5})";
  const std::vector<std::string> assignments = {"seed=x"};
  const Result<Scenario> scenario = resolve_scenario(&file, assignments, "");
  ASSERT_FALSE(scenario.ok());
  EXPECT_THAT(scenario.error().fields,
              ElementsAre(Problem("preset", "unknown preset \"\""), Problem("dayz", "unknown key"),
                          Problem("seed", "must be an integer")));
}

TEST(Presets, ApplyPresetLeavesTheScenarioAloneWhenUnknown) {
  Scenario scenario;
  EXPECT_FALSE(apply_preset("nope", scenario).ok());
  EXPECT_EQ(scenario, Scenario{});
  ASSERT_TRUE(apply_preset("original", scenario).ok());
  EXPECT_EQ(scenario.household_size, 3);
}

// --- Files of the first version -------------------------------------------------------

// Exactly what the first version wrote (every key it knew, in its order).
constexpr const char* kFirstVersionScenario =
    R"({"population":100000,"household_size":3,"office_size":20,"employment_rate":0.6,)"
    R"("initial_infected":10,"days":180,"seed":1,"replicates":1,"latent_days":3,)"
    R"("incubation_days":5,"sick_days":13,"asymptomatic_fraction":0.3,)"
    R"("asymptomatic_infectiousness":0.75,"mortality_rate":0.01,"home_infection_risk":0.02,)"
    R"("work_infection_risk":0.01,"community_contacts":10,"community_infection_risk":0.01,)"
    R"("symptomatic_isolation":false,"contact_tracing":false,"tracing_coverage":0.5,)"
    R"("tracing_delay_days":2,"isolation_days":14})";

TEST(FirstVersionFiles, ReadAndValidateWithTheOriginalMapping) {
  const std::string file = kFirstVersionScenario;
  const Result<Scenario> scenario = resolve_scenario(&file, {});
  ASSERT_TRUE(scenario.ok()) << describe(scenario.error());
  EXPECT_EQ(scenario->household_size, 3);
  EXPECT_EQ(scenario->mortality_rate, 0.01);
  EXPECT_EQ(scenario->asymptomatic_fraction, 0.3);
  EXPECT_EQ(scenario->latent_days, 3.0);
  EXPECT_EQ(scenario->incubation_days, 5.0);
  EXPECT_EQ(scenario->sick_days, 13.0);
  EXPECT_EQ(scenario->employment_rate, 0.6);
  // Keys the first version did not have keep their defaults.
  const Scenario defaults;
  EXPECT_EQ(scenario->age_shares, defaults.age_shares);
  EXPECT_EQ(scenario->household_size_shares, defaults.household_size_shares);
  EXPECT_EQ(scenario->school_min_age, defaults.school_min_age);
  EXPECT_EQ(scenario->office_size_sd, defaults.office_size_sd);
  EXPECT_EQ(scenario->incubation_sd_days, defaults.incubation_sd_days);
  EXPECT_EQ(scenario->symptomatic_by_age, defaults.symptomatic_by_age);
  EXPECT_EQ(scenario->fatality_by_age, defaults.fatality_by_age);
  EXPECT_EQ(scenario->hospital_days, defaults.hospital_days);
  EXPECT_EQ(scenario->school_infection_risk, defaults.school_infection_risk);
}

TEST(FirstVersionFiles, StoredJobsReadOntoDefaultsAndValidate) {
  // How a worker reads a job queued by the first version.
  Scenario scenario;
  ASSERT_TRUE(read_scenario_json(std::string(kFirstVersionScenario), scenario).ok());
  EXPECT_TRUE(engine::validate(scenario).empty());
  const nlohmann::json parsed = nlohmann::json::parse(kFirstVersionScenario);
  Scenario from_value;
  ASSERT_TRUE(read_scenario_json(parsed, from_value).ok());
  EXPECT_EQ(from_value, scenario);
}

// --- scenario_to_json ---------------------------------------------------------

TEST(ScenarioToJson, EveryParameterInTableOrderWithItsType) {
  const nlohmann::ordered_json json = scenario_to_json(Scenario{});
  std::vector<std::string> keys;
  for (const auto& [key, value] : json.items()) keys.push_back(key);
  std::vector<std::string> expected;
  for (const engine::Parameter& p : engine::parameters()) expected.emplace_back(p.name);
  expected.emplace_back("interventions");  // the timeline, after the flat keys
  EXPECT_EQ(keys, expected);

  EXPECT_TRUE(json["population"].is_number_integer());
  EXPECT_EQ(json["population"], 100'000);
  EXPECT_TRUE(json["employment_rate"].is_number_float());
  EXPECT_EQ(json["employment_rate"], Scenario{}.employment_rate);
  EXPECT_TRUE(json["contact_tracing"].is_boolean());
  EXPECT_TRUE(json["household_size"].is_null()) << "unset by default";
  EXPECT_TRUE(json["mortality_rate"].is_null());
  ASSERT_TRUE(json["age_shares"].is_array());
  EXPECT_EQ(json["age_shares"].get<std::vector<double>>(), Scenario{}.age_shares);
  EXPECT_EQ(json["household_size_shares"].size(), engine::kHouseholdSizes);
}

TEST(ScenarioToJson, SetOptionalsAreNumbers) {
  Scenario scenario;
  scenario.household_size = 3;
  scenario.asymptomatic_fraction = 0.25;
  const nlohmann::ordered_json json = scenario_to_json(scenario);
  EXPECT_TRUE(json["household_size"].is_number_integer());
  EXPECT_EQ(json["household_size"], 3);
  EXPECT_EQ(json["asymptomatic_fraction"], 0.25);
  EXPECT_TRUE(json["mortality_rate"].is_null());
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
  original.household_size = 4;
  original.age_shares = {0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 + 1e-17, 0.2 / 3};
  original.hospital_by_age.back() = 1.0 / 3.0;

  Scenario read_back;
  read_back.days = 1;                     // every key must be overwritten
  read_back.asymptomatic_fraction = 0.5;  // ... unset ones too
  ASSERT_TRUE(read_scenario_json(scenario_to_json(original).dump(), read_back));
  EXPECT_EQ(read_back, original);
}

// --- describe -----------------------------------------------------------------

TEST(Describe, MessageThenOneLinePerField) {
  const Error error = Error::invalid(
      "invalid scenario: 2 problems",
      {{"population", "must be between 1 and 4,000,000,000 agents, got 0"}, {"days", "bad"}});
  EXPECT_EQ(describe(error),
            "invalid scenario: 2 problems\n"
            "  population: must be between 1 and 4,000,000,000 agents, got 0\n"
            "  days: bad");
  EXPECT_EQ(describe(Error::invalid("just this")), "just this");
}

}  // namespace
}  // namespace outbreak::io
