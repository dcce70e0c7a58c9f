// The scenario's parameter table and validation: names, order, bounds, and
// errors that name the field a person has to fix.
#include "outbreak/engine/scenario.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
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
                                                  "household_size",
                                                  "office_size",
                                                  "employment_rate",
                                                  "initial_infected",
                                                  "days",
                                                  "seed",
                                                  "replicates",
                                                  "latent_days",
                                                  "incubation_days",
                                                  "sick_days",
                                                  "asymptomatic_fraction",
                                                  "asymptomatic_infectiousness",
                                                  "mortality_rate",
                                                  "home_infection_risk",
                                                  "work_infection_risk",
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
  auto check = [](std::string_view name, auto member) {
    const Parameter* p = find_parameter(name);
    ASSERT_NE(p, nullptr) << name;
    using M = decltype(member);
    ASSERT_TRUE(std::holds_alternative<M>(p->member)) << name << " has the wrong kind";
    EXPECT_TRUE(std::get<M>(p->member) == member) << name << " points at another member";
  };
  check("population", I{&Scenario::population});
  check("household_size", I{&Scenario::household_size});
  check("office_size", I{&Scenario::office_size});
  check("employment_rate", R{&Scenario::employment_rate});
  check("initial_infected", I{&Scenario::initial_infected});
  check("days", I{&Scenario::days});
  check("seed", I{&Scenario::seed});
  check("replicates", I{&Scenario::replicates});
  check("latent_days", I{&Scenario::latent_days});
  check("incubation_days", I{&Scenario::incubation_days});
  check("sick_days", I{&Scenario::sick_days});
  check("asymptomatic_fraction", R{&Scenario::asymptomatic_fraction});
  check("asymptomatic_infectiousness", R{&Scenario::asymptomatic_infectiousness});
  check("mortality_rate", R{&Scenario::mortality_rate});
  check("home_infection_risk", R{&Scenario::home_infection_risk});
  check("work_infection_risk", R{&Scenario::work_infection_risk});
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
    const ParameterKind want =
        std::holds_alternative<std::int64_t Scenario::*>(p.member) ? ParameterKind::kInteger
        : std::holds_alternative<double Scenario::*>(p.member)     ? ParameterKind::kReal
                                                                   : ParameterKind::kBoolean;
    EXPECT_EQ(p.kind(), want) << p.name;
  }
  EXPECT_EQ(find_parameter("contact_tracing")->kind(), ParameterKind::kBoolean);
  EXPECT_EQ(find_parameter("employment_rate")->kind(), ParameterKind::kReal);
  EXPECT_EQ(find_parameter("days")->kind(), ParameterKind::kInteger);
}

TEST(Scenario, EveryDefaultLiesWithinItsRange) {
  const Scenario defaults;
  for (const Parameter& p : parameters()) {
    if (p.kind() == ParameterKind::kBoolean) continue;
    const double value =
        std::visit([&](auto member) { return static_cast<double>(defaults.*member); }, p.member);
    EXPECT_LE(p.min, p.max) << p.name;
    EXPECT_GE(value, p.min) << p.name;
    EXPECT_LE(value, p.max) << p.name;
    EXPECT_FALSE(p.description.empty()) << p.name;
    EXPECT_FALSE(p.group.empty()) << p.name;
  }
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
      std::visit(
          [&](auto member) {
            using T = std::remove_cvref_t<decltype(s.*member)>;
            if constexpr (std::is_same_v<T, double>) {
              s.*member = below ? p.min - 0.01 : p.max + 0.01;
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
              s.*member = below ? static_cast<std::int64_t>(p.min) - 1
                                : static_cast<std::int64_t>(p.max) + 1;
            }
          },
          p.member);
      const auto errors = validate(s);
      EXPECT_TRUE(names_field(errors, p.name))
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
  s.incubation_days = s.latent_days;  // equal is allowed
  EXPECT_TRUE(validate(s).empty()) << fields_of(validate(s));

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
  s.incubation_days = 2;  // below latent_days = 3
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
  EXPECT_EQ(nearest_parameter("contact_tracin"), "contact_tracing");
  EXPECT_EQ(nearest_parameter("population"), "population");
  EXPECT_TRUE(nearest_parameter("xyzzy_nothing").empty());
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

}  // namespace
}  // namespace outbreak::engine
