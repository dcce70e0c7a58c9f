// The scenario's parameter table and validation: names, order, bounds, and
// errors that name the field a person has to fix.
#include "outbreak/engine/scenario.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace outbreak::engine {
namespace {

bool names_field(const std::vector<FieldError>& errors, std::string_view field) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const FieldError& e) { return e.field == field && !e.message.empty(); });
}

std::string fields_of(const std::vector<FieldError>& errors) {
  std::string out;
  for (const FieldError& e : errors) out += e.field + ": " + e.message + "; ";
  return out;
}

TEST(Scenario, DefaultsValidateClean) {
  const auto errors = validate(Scenario{});
  EXPECT_TRUE(errors.empty()) << fields_of(errors);
}

TEST(Scenario, ParametersAreTheDocumentedKeysInOrder) {
  const std::vector<std::string_view> expected = {"population",
                                                  "age_shares",
                                                  "household_size",
                                                  "household_size_shares",
                                                  "school_min_age",
                                                  "school_max_age",
                                                  "class_size",
                                                  "retirement_age",
                                                  "employment_rate",
                                                  "office_size",
                                                  "office_size_sd",
                                                  "initial_infected",
                                                  "days",
                                                  "seed",
                                                  "replicates",
                                                  "latent_days",
                                                  "incubation_days",
                                                  "incubation_sd_days",
                                                  "presymptomatic_sd_days",
                                                  "sick_days",
                                                  "recovery_sd_days",
                                                  "asymptomatic_fraction",
                                                  "symptomatic_by_age",
                                                  "asymptomatic_infectiousness",
                                                  "infectiousness_peak_days",
                                                  "infectiousness_width_days",
                                                  "infectiousness_dispersion",
                                                  "hospital_by_age",
                                                  "critical_by_age",
                                                  "fatality_by_age",
                                                  "mortality_rate",
                                                  "hospital_delay_days",
                                                  "hospital_delay_sd_days",
                                                  "hospital_days",
                                                  "hospital_sd_days",
                                                  "critical_delay_days",
                                                  "critical_delay_sd_days",
                                                  "critical_days",
                                                  "critical_sd_days",
                                                  "home_infection_risk",
                                                  "work_infection_risk",
                                                  "school_infection_risk",
                                                  "community_contacts",
                                                  "community_infection_risk",
                                                  "symptomatic_isolation",
                                                  "contact_tracing",
                                                  "tracing_coverage",
                                                  "tracing_delay_days",
                                                  "isolation_days"};
  std::vector<std::string_view> names;
  for (const Parameter& p : parameters()) names.push_back(p.name);
  EXPECT_EQ(names, expected);
}

// Each name must point at the Scenario member of the same name: a mix-up here
// would make the JSON reader and --set write the wrong field.
TEST(Scenario, EveryParameterPointsAtItsOwnMember) {
  using I = std::int64_t Scenario::*;
  using R = double Scenario::*;
  using B = bool Scenario::*;
  using OI = std::optional<std::int64_t> Scenario::*;
  using OR = std::optional<double> Scenario::*;
  using A = std::vector<double> Scenario::*;
  auto check = [](std::string_view name, auto member) {
    const Parameter* p = find_parameter(name);
    ASSERT_NE(p, nullptr) << name;
    using M = decltype(member);
    ASSERT_TRUE(std::holds_alternative<M>(p->member)) << name << " has the wrong kind";
    EXPECT_TRUE(std::get<M>(p->member) == member) << name << " points at another member";
  };
  check("population", I{&Scenario::population});
  check("age_shares", A{&Scenario::age_shares});
  check("household_size", OI{&Scenario::household_size});
  check("household_size_shares", A{&Scenario::household_size_shares});
  check("school_min_age", I{&Scenario::school_min_age});
  check("school_max_age", I{&Scenario::school_max_age});
  check("class_size", I{&Scenario::class_size});
  check("retirement_age", I{&Scenario::retirement_age});
  check("employment_rate", R{&Scenario::employment_rate});
  check("office_size", I{&Scenario::office_size});
  check("office_size_sd", R{&Scenario::office_size_sd});
  check("initial_infected", I{&Scenario::initial_infected});
  check("days", I{&Scenario::days});
  check("seed", I{&Scenario::seed});
  check("replicates", I{&Scenario::replicates});
  check("latent_days", R{&Scenario::latent_days});
  check("incubation_days", R{&Scenario::incubation_days});
  check("incubation_sd_days", R{&Scenario::incubation_sd_days});
  check("presymptomatic_sd_days", R{&Scenario::presymptomatic_sd_days});
  check("sick_days", R{&Scenario::sick_days});
  check("recovery_sd_days", R{&Scenario::recovery_sd_days});
  check("asymptomatic_fraction", OR{&Scenario::asymptomatic_fraction});
  check("symptomatic_by_age", A{&Scenario::symptomatic_by_age});
  check("asymptomatic_infectiousness", R{&Scenario::asymptomatic_infectiousness});
  check("infectiousness_peak_days", R{&Scenario::infectiousness_peak_days});
  check("infectiousness_width_days", R{&Scenario::infectiousness_width_days});
  check("infectiousness_dispersion", R{&Scenario::infectiousness_dispersion});
  check("hospital_by_age", A{&Scenario::hospital_by_age});
  check("critical_by_age", A{&Scenario::critical_by_age});
  check("fatality_by_age", A{&Scenario::fatality_by_age});
  check("mortality_rate", OR{&Scenario::mortality_rate});
  check("hospital_delay_days", R{&Scenario::hospital_delay_days});
  check("hospital_delay_sd_days", R{&Scenario::hospital_delay_sd_days});
  check("hospital_days", R{&Scenario::hospital_days});
  check("hospital_sd_days", R{&Scenario::hospital_sd_days});
  check("critical_delay_days", R{&Scenario::critical_delay_days});
  check("critical_delay_sd_days", R{&Scenario::critical_delay_sd_days});
  check("critical_days", R{&Scenario::critical_days});
  check("critical_sd_days", R{&Scenario::critical_sd_days});
  check("home_infection_risk", R{&Scenario::home_infection_risk});
  check("work_infection_risk", R{&Scenario::work_infection_risk});
  check("school_infection_risk", R{&Scenario::school_infection_risk});
  check("community_contacts", I{&Scenario::community_contacts});
  check("community_infection_risk", R{&Scenario::community_infection_risk});
  check("symptomatic_isolation", B{&Scenario::symptomatic_isolation});
  check("contact_tracing", B{&Scenario::contact_tracing});
  check("tracing_coverage", R{&Scenario::tracing_coverage});
  check("tracing_delay_days", I{&Scenario::tracing_delay_days});
  check("isolation_days", I{&Scenario::isolation_days});
}

TEST(Scenario, KindsMatchMemberTypes) {
  for (const Parameter& p : parameters()) {
    const ParameterKind want = std::visit(
        [](auto member) {
          using T = std::remove_cvref_t<decltype(std::declval<Scenario>().*member)>;
          if constexpr (std::is_same_v<T, std::int64_t>) return ParameterKind::kInteger;
          if constexpr (std::is_same_v<T, double>) return ParameterKind::kReal;
          if constexpr (std::is_same_v<T, bool>) return ParameterKind::kBoolean;
          if constexpr (std::is_same_v<T, std::optional<std::int64_t>>) {
            return ParameterKind::kOptionalInteger;
          }
          if constexpr (std::is_same_v<T, std::optional<double>>)
            return ParameterKind::kOptionalReal;
          return ParameterKind::kRealArray;
        },
        p.member);
    EXPECT_EQ(p.kind(), want) << p.name;
    if (want == ParameterKind::kRealArray) {
      EXPECT_GT(p.length, 0u) << p.name;
      EXPECT_EQ(p.labels.size(), p.length) << p.name;
    }
  }
  EXPECT_EQ(find_parameter("contact_tracing")->kind(), ParameterKind::kBoolean);
  EXPECT_EQ(find_parameter("household_size")->kind(), ParameterKind::kOptionalInteger);
  EXPECT_EQ(find_parameter("age_shares")->kind(), ParameterKind::kRealArray);
}

// The values of a parameter in a scenario: none for an unset optional, every
// entry of an array.
std::vector<double> values_of(const Scenario& s, const Parameter& p) {
  return std::visit(
      [&](auto member) -> std::vector<double> {
        using T = std::remove_cvref_t<decltype(s.*member)>;
        const T& v = s.*member;
        if constexpr (std::is_same_v<T, std::vector<double>>) {
          return v;
        } else if constexpr (std::is_same_v<T, std::optional<std::int64_t>> ||
                             std::is_same_v<T, std::optional<double>>) {
          if (!v) return {};
          return {static_cast<double>(*v)};
        } else {
          return {static_cast<double>(v)};
        }
      },
      p.member);
}

TEST(Scenario, EveryDefaultLiesWithinItsRange) {
  const Scenario defaults;
  for (const Parameter& p : parameters()) {
    EXPECT_FALSE(p.description.empty()) << p.name;
    EXPECT_FALSE(p.group.empty()) << p.name;
    if (p.kind() == ParameterKind::kBoolean) continue;
    EXPECT_LE(p.min, p.max) << p.name;
    const std::vector<double> values = values_of(defaults, p);
    if (p.kind() == ParameterKind::kRealArray) {
      EXPECT_EQ(values.size(), p.length) << p.name;
    }
    for (double value : values) {
      EXPECT_GE(value, p.min) << p.name;
      EXPECT_LE(value, p.max) << p.name;
    }
  }
}

// The legacy keys are unset by default: the age-structured model is the default.
TEST(Scenario, LegacyKeysAreUnsetByDefault) {
  const Scenario s;
  EXPECT_FALSE(s.household_size.has_value());
  EXPECT_FALSE(s.asymptomatic_fraction.has_value());
  EXPECT_FALSE(s.mortality_rate.has_value());
}

TEST(Scenario, FindParameterFindsEveryKeyAndNothingElse) {
  for (const Parameter& p : parameters()) {
    EXPECT_EQ(find_parameter(p.name), &p);
  }
  EXPECT_EQ(find_parameter("Population"), nullptr);
  EXPECT_EQ(find_parameter(""), nullptr);
  EXPECT_EQ(find_parameter("populations"), nullptr);
}

// Setting one field just outside its range must produce an error naming it,
// for every numeric parameter (the cross-field rules may add more errors).
TEST(Scenario, EveryNumericFieldIsRangeChecked) {
  for (const Parameter& p : parameters()) {
    if (p.kind() == ParameterKind::kBoolean) continue;
    for (const bool below : {true, false}) {
      Scenario s;
      std::string field(p.name);
      std::visit(
          [&](auto member) {
            using T = std::remove_cvref_t<decltype(s.*member)>;
            const double real = below ? p.min - 0.01 : p.max + 0.01;
            const auto whole =
                below ? static_cast<std::int64_t>(p.min) - 1 : static_cast<std::int64_t>(p.max) + 1;
            if constexpr (std::is_same_v<T, double> || std::is_same_v<T, std::optional<double>>) {
              s.*member = real;
            } else if constexpr (std::is_same_v<T, std::int64_t> ||
                                 std::is_same_v<T, std::optional<std::int64_t>>) {
              s.*member = whole;
            } else if constexpr (std::is_same_v<T, std::vector<double>>) {
              (s.*member)[2] = real;
              field += "[2]";
            }
          },
          p.member);
      const auto errors = validate(s);
      EXPECT_TRUE(names_field(errors, field))
          << p.name << (below ? " below min" : " above max") << ": " << fields_of(errors);
    }
  }
}

TEST(Scenario, OutOfRangeValuesNameTheirField) {
  Scenario s;
  s.population = 0;
  s.initial_infected = 0;
  auto errors = validate(s);
  EXPECT_EQ(errors.size(), 1u) << fields_of(errors);
  EXPECT_TRUE(names_field(errors, "population")) << fields_of(errors);

  s = Scenario{};
  s.employment_rate = 1.5;
  errors = validate(s);
  EXPECT_EQ(errors.size(), 1u) << fields_of(errors);
  EXPECT_TRUE(names_field(errors, "employment_rate")) << fields_of(errors);

  s = Scenario{};
  s.days = 0;
  errors = validate(s);
  EXPECT_EQ(errors.size(), 1u) << fields_of(errors);
  EXPECT_TRUE(names_field(errors, "days")) << fields_of(errors);
}

TEST(Scenario, NonFiniteRealsAreRejected) {
  Scenario s;
  s.employment_rate = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(names_field(validate(s), "employment_rate"));
  s = Scenario{};
  s.home_infection_risk = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(names_field(validate(s), "home_infection_risk"));
}

TEST(Scenario, BoundsThemselvesAreAccepted) {
  Scenario s;
  s.population = 1;
  s.initial_infected = 1;
  s.employment_rate = 1;
  s.days = 1;
  s.asymptomatic_fraction = 0;
  s.mortality_rate = 1;
  s.community_contacts = 0;
  s.tracing_delay_days = 0;
  s.isolation_days = 0;
  const auto errors = validate(s);
  EXPECT_TRUE(errors.empty()) << fields_of(errors);
}

TEST(Scenario, InitialInfectedMayNotExceedPopulation) {
  Scenario s;
  s.population = 100;
  s.initial_infected = 101;
  auto errors = validate(s);
  EXPECT_TRUE(names_field(errors, "initial_infected")) << fields_of(errors);
  s.initial_infected = 100;
  errors = validate(s);
  EXPECT_TRUE(errors.empty()) << fields_of(errors);
}

TEST(Scenario, DiseaseCourseMustBeOrdered) {
  Scenario s;
  s.latent_days = 4;
  s.incubation_days = 3;  // symptoms before infectiousness
  auto errors = validate(s);
  EXPECT_TRUE(names_field(errors, "incubation_days")) << fields_of(errors);

  s = Scenario{};
  s.incubation_days = s.latent_days;  // equal is allowed without a presymptomatic spread
  s.presymptomatic_sd_days = 0;
  EXPECT_TRUE(validate(s).empty()) << fields_of(validate(s));
  s.presymptomatic_sd_days = 1;  // a gamma of mean 0 with a spread does not exist
  EXPECT_TRUE(names_field(validate(s), "presymptomatic_sd_days")) << fields_of(validate(s));

  s = Scenario{};
  s.sick_days = s.incubation_days;  // must be strictly greater
  errors = validate(s);
  EXPECT_TRUE(names_field(errors, "sick_days")) << fields_of(errors);
  s.sick_days = s.incubation_days - 1;
  errors = validate(s);
  EXPECT_TRUE(names_field(errors, "sick_days")) << fields_of(errors);
}

TEST(Scenario, ReportsEveryErrorAtOnce) {
  Scenario s;
  s.population = 0;
  s.employment_rate = 1.5;
  s.days = 0;
  s.incubation_days = 2;  // below latent_days
  const auto errors = validate(s);
  for (std::string_view field :
       {"population", "employment_rate", "days", "initial_infected", "incubation_days"}) {
    EXPECT_TRUE(names_field(errors, field)) << field << " missing in: " << fields_of(errors);
  }
  EXPECT_GE(errors.size(), 5u);
}

TEST(Scenario, NearestParameterSuggestsCloseNamesOnly) {
  EXPECT_EQ(nearest_parameter("populaton"), "population");
  EXPECT_EQ(nearest_parameter("sick_day"), "sick_days");
  EXPECT_EQ(nearest_parameter("age_share"), "age_shares");
  EXPECT_EQ(nearest_parameter("contact_tracin"), "contact_tracing");
  EXPECT_EQ(nearest_parameter("population"), "population");
  EXPECT_TRUE(nearest_parameter("xyzzy_nothing").empty());
}

TEST(Scenario, SharesMustSumToOne) {
  Scenario s;
  s.age_shares[0] += 1e-6;
  auto errors = validate(s);
  EXPECT_TRUE(names_field(errors, "age_shares")) << fields_of(errors);
  s = Scenario{};
  s.age_shares[0] += 1e-12;  // within 1e-9
  EXPECT_TRUE(validate(s).empty()) << fields_of(validate(s));
  s = Scenario{};
  s.household_size_shares[1] -= 0.01;
  EXPECT_TRUE(names_field(validate(s), "household_size_shares"));
  s.household_size = 4;  // the shares are not used then
  EXPECT_TRUE(validate(s).empty()) << fields_of(validate(s));
}

TEST(Scenario, ArraysNeedTheirLengthAndEachEntryInRange) {
  Scenario s;
  s.symptomatic_by_age.pop_back();
  s.hospital_by_age[3] = 1.5;
  s.critical_by_age[8] = -0.1;
  s.age_shares[4] = std::numeric_limits<double>::quiet_NaN();
  const auto errors = validate(s);
  EXPECT_TRUE(names_field(errors, "symptomatic_by_age")) << fields_of(errors);
  EXPECT_TRUE(names_field(errors, "hospital_by_age[3]")) << fields_of(errors);
  EXPECT_TRUE(names_field(errors, "critical_by_age[8]")) << fields_of(errors);
  EXPECT_TRUE(names_field(errors, "age_shares[4]")) << fields_of(errors);
}

TEST(Scenario, SpreadsMustMakeADistribution) {
  Scenario s;
  s.hospital_delay_days = 0;
  s.hospital_delay_sd_days = 1;  // mean 0 with a spread
  s.critical_sd_days = 11 * s.critical_days;
  s.incubation_sd_days = -1;
  s.recovery_sd_days = std::numeric_limits<double>::quiet_NaN();
  const auto errors = validate(s);
  for (std::string_view field :
       {"hospital_delay_sd_days", "critical_sd_days", "incubation_sd_days", "recovery_sd_days"}) {
    EXPECT_TRUE(names_field(errors, field)) << field << ": " << fields_of(errors);
  }
}

TEST(Scenario, SchoolAndWorkingAgesMustNotBeEmpty) {
  Scenario s;
  s.school_min_age = 10;
  s.school_max_age = 9;
  EXPECT_TRUE(names_field(validate(s), "school_max_age"));
  s = Scenario{};
  s.retirement_age = s.school_max_age;
  EXPECT_TRUE(names_field(validate(s), "retirement_age"));
}

TEST(Scenario, FatalityCannotExceedTheHospitalisedShare) {
  Scenario s;
  s.fatality_by_age[0] = 0.01;  // 0.29 x 0.001 are admitted at 0-9
  auto errors = validate(s);
  EXPECT_TRUE(names_field(errors, "fatality_by_age[0]")) << fields_of(errors);
  s.mortality_rate = 0.01;  // the flat rule replaces fatality_by_age
  EXPECT_TRUE(validate(s).empty()) << fields_of(validate(s));
}

TEST(Scenario, PresetsApplyToTheDefaultsAndNameRealKeys) {
  ASSERT_FALSE(presets().empty());
  const Preset* original = find_preset("original");
  ASSERT_NE(original, nullptr);
  EXPECT_EQ(original->title, "Original model");
  for (const Preset& preset : presets()) {
    for (std::string_view assignment : preset.assignments) {
      const auto key = assignment.substr(0, assignment.find('='));
      if (key == "interventions") continue;  // the timeline, read (and checked) as JSON in io
      EXPECT_NE(find_parameter(key), nullptr) << preset.name << ": " << assignment;
    }
  }
  EXPECT_EQ(find_preset("nope"), nullptr);
}

TEST(Scenario, MaxSeedLeavesRoomForReplicates) {
  // seed + replicate index must stay an exactly representable JSON number.
  const Parameter* seed = find_parameter("seed");
  ASSERT_NE(seed, nullptr);
  const Parameter* replicates = find_parameter("replicates");
  ASSERT_NE(replicates, nullptr);
  EXPECT_EQ(seed->max, static_cast<double>(kMaxSeed));
  EXPECT_LE(kMaxSeed + static_cast<std::int64_t>(replicates->max), (std::int64_t{1} << 53) - 1);
  Scenario s;
  s.seed = kMaxSeed;
  EXPECT_TRUE(validate(s).empty());
  s.seed = kMaxSeed + 1;
  EXPECT_TRUE(names_field(validate(s), "seed"));
}

// Every key a form shows has a human label; the labels are distinct so that
// a message naming one is unambiguous; a dependency names a switch.
TEST(Scenario, EveryParameterHasALabelAndValidHints) {
  std::vector<std::string_view> labels;
  std::size_t advanced = 0;
  for (const Parameter& p : parameters()) {
    EXPECT_FALSE(p.label.empty()) << p.name;
    EXPECT_NE(p.label, p.name) << "a label is not the key";
    EXPECT_TRUE(std::isupper(static_cast<unsigned char>(p.label[0]))) << p.label;
    EXPECT_EQ(std::count(labels.begin(), labels.end(), p.label), 0) << p.label;
    labels.push_back(p.label);
    if (p.advanced) ++advanced;
    if (!p.depends_on.empty()) {
      const Parameter* on = find_parameter(p.depends_on);
      ASSERT_NE(on, nullptr) << p.name << " depends on " << p.depends_on;
      EXPECT_EQ(on->kind(), ParameterKind::kBoolean) << p.name;
      EXPECT_FALSE(on->advanced) << "a visible field must not hang on a folded switch";
    }
  }
  EXPECT_GT(advanced, 0u);
  EXPECT_LT(advanced, parameters().size());
  for (std::string_view basic : {"population", "days", "replicates", "initial_infected",
                                 "symptomatic_isolation", "contact_tracing"}) {
    EXPECT_FALSE(find_parameter(basic)->advanced) << basic;
  }
  EXPECT_EQ(find_parameter("tracing_delay_days")->depends_on, "contact_tracing");
  EXPECT_EQ(find_parameter("isolation_days")->depends_on, "contact_tracing");
  for (const InterventionTypeInfo& t : intervention_types()) {
    for (const ItemParameter& p : t.parameters) {
      EXPECT_FALSE(p.label.empty()) << t.name << "." << p.name;
    }
  }
}

TEST(Scenario, NumbersAreWrittenWithThousandsSeparators) {
  EXPECT_EQ(number_text(0), "0");
  EXPECT_EQ(number_text(999), "999");
  EXPECT_EQ(number_text(1000), "1,000");
  EXPECT_EQ(number_text(10'000'000), "10,000,000");
  EXPECT_EQ(number_text(-30), "-30");
  EXPECT_EQ(number_text(-1234), "-1,234");
  EXPECT_EQ(number_text(0.0034), "0.0034");
  EXPECT_EQ(number_text(3.2), "3.2");
}

std::string message_of(const std::vector<FieldError>& errors, std::string_view field) {
  for (const FieldError& e : errors) {
    if (e.field == field) return e.message;
  }
  return "(no error for " + std::string(field) + ")";
}

TEST(Scenario, RangeMessagesQuoteTheRangeInForce) {
  Scenario s;
  s.population = 0;
  s.initial_infected = 0;
  EXPECT_EQ(message_of(validate(s), "population"),
            "must be between 1 and 4,000,000,000 agents, got 0");
  const std::array caps = {RangeCap{"population", 10'000'000, "on this server"}};
  EXPECT_EQ(message_of(validate(s, caps), "population"),
            "must be between 1 and 10,000,000 agents on this server, got 0");
  EXPECT_EQ(max_under(*find_parameter("population"), caps), 10'000'000);
  EXPECT_EQ(max_under(*find_parameter("days"), caps), 3650);
  s = Scenario{};
  s.population = 10'000'001;
  EXPECT_EQ(message_of(validate(s, caps), "population"),
            "must be between 1 and 10,000,000 agents on this server, got 10,000,001");
  EXPECT_TRUE(validate(s).empty()) << "the engine's own range is wider";
  // A cap above the table's range changes nothing.
  const std::array loose = {RangeCap{"days", 1e9, "on this server"}};
  s = Scenario{};
  s.days = 3651;
  EXPECT_EQ(message_of(validate(s, loose), "days"), "must be between 1 and 3,650 days, got 3,651");
  s = Scenario{};
  s.employment_rate = 1.5;
  EXPECT_EQ(message_of(validate(s), "employment_rate"),
            "must be between 0 and 1 (fraction), got 1.5");
  s = Scenario{};
  s.infectiousness_dispersion = 101;
  EXPECT_EQ(message_of(validate(s), "infectiousness_dispersion"),
            "must be between 0 and 100, got 101");
}

TEST(Scenario, MessagesNameOtherParametersByTheirLabels) {
  Scenario s;
  s.latent_days = 8;
  s.incubation_days = 5;
  s.sick_days = 13.5;
  auto errors = validate(s);
  EXPECT_EQ(message_of(errors, "incubation_days"),
            "must be at least the latent period (8 days), got 5: symptoms cannot start before "
            "infectiousness in this model");
  s = Scenario{};
  s.sick_days = 5;
  EXPECT_EQ(message_of(validate(s), "sick_days"),
            "must be greater than the incubation period (5.5 days), got 5");
  s = Scenario{};
  s.population = 100;
  s.initial_infected = 101;
  EXPECT_EQ(message_of(validate(s), "initial_infected"),
            "must not exceed the population (100 agents), got 101");
  s = Scenario{};
  s.hospital_days = 1;
  s.hospital_sd_days = 11;
  EXPECT_EQ(message_of(validate(s), "hospital_sd_days"),
            "must be at most 10 times its mean, the hospital stay (1 day), got 11");
  // No message names a parameter by its key when it means another one.
  s = Scenario{};
  s.school_min_age = 10;
  s.school_max_age = 8;
  s.retirement_age = 8;
  errors = validate(s);
  for (const FieldError& e : errors) {
    for (const Parameter& p : parameters()) {
      EXPECT_EQ(e.message.find(p.name), std::string::npos) << e.field << ": " << e.message;
    }
  }
}

}  // namespace
}  // namespace outbreak::engine
