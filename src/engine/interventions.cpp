// The intervention types' parameter tables, the effective timeline, and the
// validation of timeline items. Defaults and their sources: docs/model.md.
#include <cmath>
#include <cstring>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "interventions_check.hpp"
#include "outbreak/engine/scenario.hpp"

namespace outbreak::engine {
namespace {

using K = ItemValueKind;
constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();

constexpr std::array<std::string_view, 2> kIsolateOnChoices = {"symptoms", "positive_test"};
constexpr std::array<std::string_view, 2> kModeChoices = {"contacts", "places"};
constexpr std::array<std::string_view, 2> kStartFromChoices = {"positive_test", "symptoms"};
constexpr std::array<std::string_view, 2> kOrderChoices = {"oldest_first", "random"};

constexpr std::array kDistancing = {
    ItemParameter{"community_contacts_factor", "Community contacts factor", "factor",
                  "Multiplies the number of community contacts per day.", K::kReal, 0.25, 0, 1},
    ItemParameter{"work_factor", "Workplace risk factor", "factor",
                  "Multiplies the daily transmission risk between colleagues at work.", K::kReal,
                  0.75, 0, 1},
};

constexpr std::array kClosure = {
    ItemParameter{"schools", "Schools closed", "fraction",
                  "Share of school classes closed; their pupils stay at home by day.", K::kReal, 1,
                  0, 1},
    ItemParameter{"workplaces", "Workplaces closed", "fraction",
                  "Share of workplaces closed; their workers stay at home by day.", K::kReal, 0, 0,
                  1},
};

constexpr std::array kCaseIsolation = {
    ItemParameter{"isolate_on", "Isolate on", "",
                  "What sends a case home: its symptoms (and a positive test, for cases without "
                  "symptoms), or only a positive test.",
                  K::kChoice, item::kOnSymptoms, 0, 1, kIsolateOnChoices},
    ItemParameter{"compliance", "Isolation compliance", "probability",
                  "Probability that a case isolates at all.", K::kReal, 0.7, 0, 1},
    ItemParameter{"dropout", "Isolation dropout", "probability per day",
                  "Daily probability that an isolating case stops isolating.", K::kReal, 0.01, 0,
                  1},
    ItemParameter{"household_factor", "Household risk factor", "factor",
                  "Multiplies an isolating case's transmission to its housemates.", K::kReal, 1, 0,
                  1},
    ItemParameter{"days", "Isolation length", "days",
                  "Days of isolation from its start; unset (null): until no longer infectious.",
                  K::kOptionalReal, 10, 1, 365},
};

constexpr std::array kTesting = {
    ItemParameter{"seek_probability", "Test seeking", "probability per day",
                  "Daily probability that an agent with symptoms, not yet tested, takes a test.",
                  K::kReal, 0.5, 0, 1},
    ItemParameter{"delay_days", "Test result delay", "days",
                  "Days from taking a test until its result.", K::kInteger, 2, 0, 30},
    ItemParameter{"sensitivity", "Test sensitivity", "probability",
                  "Probability that a test of an infected agent is positive.", K::kReal, 0.8, 0, 1},
    ItemParameter{"specificity", "Test specificity", "probability",
                  "Probability that a test of an agent who is not infected is negative.", K::kReal,
                  0.999, 0, 1},
    ItemParameter{"insensitive_days", "Days before a test detects", "days",
                  "Days after infection on which a test of an infected agent is still negative.",
                  K::kInteger, 3, 0, 30},
    ItemParameter{"daily_capacity", "Daily test capacity", "tests per day per 100,000",
                  "Most tests a day per 100,000 agents; the rest wait for the next day. Unset "
                  "(null): no limit.",
                  K::kOptionalReal, kUnset, 0, 100'000},
    ItemParameter{"test_traced_contacts", "Test traced contacts", "",
                  "Traced contacts are tested on the day their quarantine starts.", K::kBoolean, 0,
                  0, 1},
};

constexpr std::array kContactTracing = {
    ItemParameter{"mode", "Tracing mode", "",
                  "contacts: trace people (housemates, place mates present, app contacts); "
                  "places: quarantine the whole home and daytime place of a detected case.",
                  K::kChoice, item::kContacts, 0, 1, kModeChoices},
    ItemParameter{"start_from", "Tracing starts from", "",
                  "What starts tracing: a positive test, or (as the original model did) symptom "
                  "onset, detected with probability coverage.",
                  K::kChoice, item::kFromPositiveTest, 0, 1, kStartFromChoices},
    ItemParameter{"coverage", "Tracing coverage", "probability",
                  "Probability that each housemate or place mate is found (mode contacts), or that "
                  "a case is detected (start_from symptoms).",
                  K::kReal, 0.8, 0, 1},
    ItemParameter{"app_adoption", "App adoption", "fraction",
                  "Share of agents using a tracing app; community contacts are traced when both "
                  "sides use it.",
                  K::kReal, 0, 0, 1},
    ItemParameter{"lookback_days", "Look-back period", "days",
                  "Contacts of the last this many days before the result are traced.", K::kInteger,
                  7, 0, 30},
    ItemParameter{"delay_days", "Tracing delay", "days",
                  "Days from the index case's result until quarantine.", K::kInteger, 1, 0, 30},
    ItemParameter{"quarantine_days", "Quarantine length", "days",
                  "Days a traced contact stays at home.", K::kInteger, 14, 0, 365},
    ItemParameter{"compliance", "Quarantine compliance", "probability",
                  "Probability that a traced contact quarantines at all.", K::kReal, 0.9, 0, 1},
    ItemParameter{"dropout", "Quarantine dropout", "probability per day",
                  "Daily probability that a quarantined contact stops quarantining.", K::kReal,
                  0.03, 0, 1},
    ItemParameter{"second_step", "Trace contacts of contacts", "",
                  "Also trace the contacts of traced contacts (mode contacts).", K::kBoolean, 0, 0,
                  1},
};

constexpr std::array kVaccination = {
    ItemParameter{"doses_per_day", "Doses per day", "doses per day per 100,000",
                  "Agents vaccinated each day.", K::kReal, 500, 0, 100'000},
    ItemParameter{"order", "Vaccination order", "",
                  "oldest_first: by ten-year age band, oldest band first, at random within a "
                  "band; random: at random.",
                  K::kChoice, item::kOldestFirst, 0, 1, kOrderChoices},
    ItemParameter{"min_age", "Youngest age vaccinated", "years", "Youngest age vaccinated.",
                  K::kInteger, 18, 0, kMaxAge},
    ItemParameter{"efficacy_infection", "Efficacy against infection", "probability",
                  "Reduction of a protected agent's risk of infection per exposure.", K::kReal, 0.7,
                  0, 1},
    ItemParameter{"efficacy_severe", "Efficacy against severe disease", "probability",
                  "Reduction of a protected agent's risk of admission to hospital (and death), "
                  "infection included; at least the efficacy against infection.",
                  K::kReal, 0.9, 0, 1},
    ItemParameter{"days_to_protection", "Days to protection", "days",
                  "Days from the dose until protection.", K::kInteger, 21, 0, 365},
};

constexpr std::array kTypes = {
    InterventionTypeInfo{InterventionType::kDistancing, "distancing", "Distancing",
                         "Fewer community contacts and, optionally, less transmission at work.",
                         kDistancing},
    InterventionTypeInfo{InterventionType::kClosure, "closure", "Closure",
                         "Closes a share of school classes and workplaces.", kClosure},
    InterventionTypeInfo{InterventionType::kCaseIsolation, "case_isolation", "Case isolation",
                         "Cases with symptoms or a positive test stay at home.", kCaseIsolation},
    InterventionTypeInfo{InterventionType::kTesting, "testing", "Testing",
                         "Agents with symptoms (and, optionally, traced contacts) are tested.",
                         kTesting},
    InterventionTypeInfo{InterventionType::kContactTracing, "contact_tracing", "Contact tracing",
                         "The contacts of detected cases are found and quarantined.",
                         kContactTracing},
    InterventionTypeInfo{InterventionType::kVaccination, "vaccination", "Vaccination",
                         "Agents are vaccinated, oldest first or at random.", kVaccination},
};

bool same_value(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

std::string format_number(double v) { return number_text(v); }

}  // namespace

bool Intervention::operator==(const Intervention& o) const {
  if (type != o.type || name != o.name || start_day != o.start_day || end_day != o.end_day ||
      start_when != o.start_when || end_when != o.end_when) {
    return false;
  }
  for (std::size_t i = 0; i < kMaxItemValues; ++i) {
    if (!same_value(values[i], o.values[i])) return false;
  }
  return true;
}

std::span<const InterventionTypeInfo> intervention_types() { return kTypes; }

const InterventionTypeInfo& type_info(InterventionType type) {
  return kTypes[static_cast<std::size_t>(type)];
}

const InterventionTypeInfo* find_intervention_type(std::string_view name) {
  for (const InterventionTypeInfo& t : kTypes) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Intervention make_intervention(InterventionType type) {
  Intervention out;
  out.type = type;
  const auto& params = type_info(type).parameters;
  for (std::size_t i = 0; i < params.size(); ++i) out.values[i] = params[i].default_value;
  return out;
}

std::vector<Intervention> Scenario::timeline() const {
  std::vector<Intervention> out = interventions;
  if (symptomatic_isolation) {
    Intervention x = make_intervention(InterventionType::kCaseIsolation);
    x.name = "symptomatic_isolation";
    x.values[item::kIsolateOn] = item::kOnSymptoms;
    x.values[item::kCompliance] = 1;
    x.values[item::kDropout] = 0;
    x.values[item::kHouseholdFactor] = 1;
    x.values[item::kDays] = kUnset;
    out.push_back(x);
  }
  if (contact_tracing) {
    Intervention x = make_intervention(InterventionType::kContactTracing);
    x.name = "contact_tracing";
    x.values[item::kMode] = item::kPlaces;
    x.values[item::kStartFrom] = item::kFromSymptoms;
    x.values[item::kCoverage] = tracing_coverage;
    x.values[item::kTraceDelayDays] = static_cast<double>(tracing_delay_days);
    x.values[item::kQuarantineDays] = static_cast<double>(isolation_days);
    x.values[item::kQuarantineCompliance] = 1;
    x.values[item::kQuarantineDropout] = 0;
    out.push_back(x);
  }
  return out;
}

void check_interventions(const Scenario& s, std::vector<FieldError>& errors) {
  const std::vector<Intervention>& items = s.interventions;
  if (items.size() > kMaxInterventions) {
    errors.push_back({"interventions", fmt::format("must have at most {} items, got {}",
                                                   kMaxInterventions, items.size())});
    return;
  }
  bool tests = false;  // does any item test anyone?
  for (const Intervention& x : items) {
    if (x.type == InterventionType::kTesting &&
        (x[item::kSeekProbability] > 0 || x.flag(item::kTestTracedContacts))) {
      tests = true;
    }
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Intervention& x = items[i];
    const std::string at = fmt::format("interventions[{}]", i);
    const InterventionTypeInfo& info = type_info(x.type);
    if (x.name.size() > 80) {
      errors.push_back(
          {at + ".name", fmt::format("must have at most 80 characters, got {}", x.name.size())});
    }
    if (x.start_day < 0 || x.start_day > 3650) {
      errors.push_back({at + ".start_day",
                        range_message(0, 3650, "days", "", static_cast<double>(x.start_day))});
    }
    if (x.end_day && *x.end_day < x.start_day) {
      errors.push_back({at + ".end_day", fmt::format("must not be before start_day ({}), got {}",
                                                     x.start_day, *x.end_day)});
    }
    for (const auto* trigger : {&x.start_when, &x.end_when}) {
      if (!*trigger) continue;
      const bool start = trigger == &x.start_when;
      const double v = (*trigger)->threshold;
      if (!std::isfinite(v) || v < 0 || v > 100'000) {
        errors.push_back({fmt::format("{}.{}.{}", at, start ? "start_when" : "end_when",
                                      start ? "above" : "below"),
                          range_message(0, 100'000, "per 100,000", "", v)});
      }
    }
    if (x.start_when && x.end_when && x.start_when->metric == x.end_when->metric &&
        x.end_when->threshold > x.start_when->threshold) {
      errors.push_back(
          {at + ".end_when.below",
           fmt::format("must not exceed start_when.above ({}) on the same metric, got {}: the "
                       "item would switch off as soon as it switched on",
                       format_number(x.start_when->threshold),
                       format_number(x.end_when->threshold))});
    }
    for (std::size_t p = 0; p < info.parameters.size(); ++p) {
      const ItemParameter& param = info.parameters[p];
      const double v = x.values[p];
      if (param.kind == K::kOptionalReal && std::isnan(v)) continue;
      const bool whole = param.kind != K::kReal && param.kind != K::kOptionalReal;
      if (!std::isfinite(v) || v < param.min || v > param.max || (whole && std::trunc(v) != v)) {
        errors.push_back({fmt::format("{}.{}", at, param.name),
                          range_message(param.min, param.max, param.unit, "", v)});
      }
    }
    if (x.type == InterventionType::kVaccination &&
        x[item::kEfficacySevere] < x[item::kEfficacyInfection]) {
      errors.push_back(
          {at + ".efficacy_severe",
           fmt::format(
               "must be at least the efficacy against infection ({}), got {}: protection against "
               "severe disease includes protection against infection",
               format_number(x[item::kEfficacyInfection]),
               format_number(x[item::kEfficacySevere]))});
    }
    const bool needs_test = (x.type == InterventionType::kContactTracing &&
                             x.choice(item::kStartFrom) == item::kFromPositiveTest) ||
                            (x.type == InterventionType::kCaseIsolation &&
                             x.choice(item::kIsolateOn) == item::kOnPositiveTest);
    if (needs_test && !tests) {
      errors.push_back(
          {at + ".type",
           fmt::format("{} starts from positive tests, but no testing item tests anyone: add a "
                       "\"testing\" item (seek_probability above 0)",
                       info.name)});
    }
  }
}

}  // namespace outbreak::engine
