#include "outbreak/io/scenario_json.hpp"

#include "outbreak/io/json_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace outbreak::io {
namespace {

using engine::Parameter;
using engine::Scenario;
using nlohmann::ordered_json;

// 2^63, exactly representable: the smallest double beyond int64's range.
constexpr double kInt64Limit = 9'223'372'036'854'775'808.0;

// "what: N problems", with every field. The count is taken before the fields
// move, since argument evaluation order is unspecified.
Error invalid_fields(std::string_view what, std::vector<FieldError> fields) {
  std::string message =
      fmt::format("{}: {} problem{}", what, fields.size(), fields.size() == 1 ? "" : "s");
  return Error::invalid(std::move(message), std::move(fields));
}

std::string unknown_key_message(std::string_view key) {
  const std::string_view nearest = engine::nearest_parameter(key);
  if (nearest.empty()) return "unknown key";
  return fmt::format("unknown key; did you mean \"{}\"?", nearest);
}

// --- Reading one value ---------------------------------------------------------

// A JSON value as a message shows it: numbers and booleans as written,
// strings quoted and clipped, containers by kind.
template <typename Json>
std::string shown(const Json& value) {
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 40) {
    std::size_t cut = 37;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return value.is_string() ? "the string " + text : text;
}

Result<std::int64_t> whole_number(double value, std::string_view shown_value) {
  if (!std::isfinite(value) || std::trunc(value) != value) {
    return Error::invalid(fmt::format("must be a whole number, got {}", shown_value));
  }
  if (value < -kInt64Limit || value >= kInt64Limit) {
    return Error::invalid(fmt::format("must fit in a 64-bit integer, got {}", shown_value));
  }
  return static_cast<std::int64_t>(value);
}

// What a key of type T takes, for "must be ..., got ..." messages; an
// optional key also takes null.
template <typename T>
constexpr std::string_view expected_value() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  if constexpr (std::is_same_v<T, double>) return "a number";
  if constexpr (std::is_same_v<T, std::int64_t>) return "an integer";
  if constexpr (std::is_same_v<T, std::optional<double>>) return "a number or null";
  if constexpr (std::is_same_v<T, std::optional<std::int64_t>>) return "an integer or null";
  return "";
}

// An array's `count` entries, entry i read by `read(i)`; a bad entry is
// named `name[i]`, and every bad entry is reported.
template <typename ReadEntry>
Result<std::vector<double>> read_entries(const Parameter& p, std::size_t count, ReadEntry read) {
  std::vector<FieldError> problems;
  std::vector<double> entries;
  for (std::size_t i = 0; i < count; ++i) {
    Result<double> entry = read(i);
    if (entry) {
      entries.push_back(*entry);
    } else {
      problems.push_back({fmt::format("{}[{}]", p.name, i), entry.error().message});
    }
  }
  if (!problems.empty()) return Error::invalid("", std::move(problems));
  return entries;
}

// Integers as JSON integers or, because people write 1e6 for a population,
// as numbers with an exactly integral value.
template <typename Json>
Result<std::int64_t> integer_from_json(const Json& value, std::string_view expected) {
  if (value.is_number_unsigned()) {
    const auto n = value.template get<std::uint64_t>();
    if (n <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(n);
    }
    return Error::invalid(fmt::format("must fit in a 64-bit integer, got {}", n));
  }
  if (value.is_number_integer()) return value.template get<std::int64_t>();
  if (value.is_number_float()) return whole_number(value.template get<double>(), shown(value));
  return Error::invalid(fmt::format("must be {}, got {}", expected, shown(value)));
}

template <typename Json>
Result<double> real_from_json(const Json& value, std::string_view expected) {
  if (value.is_number()) return value.template get<double>();
  return Error::invalid(fmt::format("must be {}, got {}", expected, shown(value)));
}

// An array of numbers. Its length is left to engine::validate, like every
// other range, so that a wrong length is reported together with the other
// range problems.
template <typename Json>
Result<std::vector<double>> array_from_json(const Parameter& p, const Json& value) {
  if (!value.is_array()) {
    return Error::invalid(fmt::format("must be an array of {} numbers ({}), got {}", p.length,
                                      fmt::join(p.labels, ", "), shown(value)));
  }
  return read_entries(p, value.size(),
                      [&](std::size_t i) { return real_from_json(value[i], "a number"); });
}

template <typename V>
Result<std::optional<V>> as_optional(Result<V> value) {
  if (!value) return value.error();
  return std::optional<V>(*value);
}

template <typename T, typename Json>
Result<T> from_json(const Parameter& p, const Json& value) {
  constexpr std::string_view kExpected = expected_value<T>();
  if constexpr (std::is_same_v<T, bool>) {
    if (value.is_boolean()) return value.template get<bool>();
    return Error::invalid(fmt::format("must be {}, got {}", kExpected, shown(value)));
  } else if constexpr (std::is_same_v<T, double>) {
    return real_from_json(value, kExpected);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return integer_from_json(value, kExpected);
  } else if constexpr (std::is_same_v<T, std::vector<double>>) {
    return array_from_json(p, value);
  } else if constexpr (std::is_same_v<T, std::optional<double>>) {
    if (value.is_null()) return T{};  // null unsets the key
    return as_optional(real_from_json(value, kExpected));
  } else {
    if (value.is_null()) return T{};
    return as_optional(integer_from_json(value, kExpected));
  }
}

// from_chars skips no '+', but a leading '+' is a harmless way to write a number.
std::string_view without_plus(std::string_view text) {
  if (text.size() > 1 && text[0] == '+' && text[1] != '-' && text[1] != '+') text.remove_prefix(1);
  return text;
}

Result<double> real_from_text(std::string_view text, std::string_view expected = "a number") {
  const std::string_view digits = without_plus(text);
  double value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return Error::invalid(fmt::format("is out of range for a real number, got \"{}\"", text));
  }
  if (ec != std::errc{} || end != digits.data() + digits.size()) {
    return Error::invalid(fmt::format("must be {}, got \"{}\"", expected, text));
  }
  if (!std::isfinite(value)) {
    return Error::invalid(fmt::format("must be a finite number, got \"{}\"", text));
  }
  return value;
}

Result<std::int64_t> integer_from_text(std::string_view text,
                                       std::string_view expected = "an integer") {
  const std::string_view digits = without_plus(text);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (end == digits.data() + digits.size()) {
    if (ec == std::errc{}) return value;
    if (ec == std::errc::result_out_of_range) {
      return Error::invalid(fmt::format("must fit in a 64-bit integer, got {}", text));
    }
  }
  // As in JSON files, 1e6 and 1000000.0 are whole numbers too.
  const Result<double> real = real_from_text(text);
  if (!real) return Error::invalid(fmt::format("must be {}, got \"{}\"", expected, text));
  return whole_number(*real, text);
}

std::vector<std::string_view> split_at_commas(std::string_view text) {
  std::vector<std::string_view> parts;
  if (text.empty()) return parts;  // no entries, rather than one empty entry
  std::size_t from = 0;
  for (std::size_t comma = 0; (comma = text.find(',', from)) != std::string_view::npos;
       from = comma + 1) {
    parts.push_back(text.substr(from, comma - from));
  }
  parts.push_back(text.substr(from));
  return parts;
}

// Comma-separated numbers, "0.1,0.2,..."; no spaces, as for every other
// value. As in JSON, the length is left to engine::validate.
Result<std::vector<double>> array_from_text(const Parameter& p, std::string_view text) {
  const std::vector<std::string_view> parts = split_at_commas(text);
  return read_entries(p, parts.size(), [&](std::size_t i) { return real_from_text(parts[i]); });
}

template <typename T>
Result<T> from_text(const Parameter& p, std::string_view text) {
  constexpr std::string_view kExpected = expected_value<T>();
  if constexpr (std::is_same_v<T, bool>) {
    if (text == "true") return true;
    if (text == "false") return false;
    return Error::invalid(fmt::format("must be {}, got \"{}\"", kExpected, text));
  } else if constexpr (std::is_same_v<T, double>) {
    return real_from_text(text, kExpected);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return integer_from_text(text, kExpected);
  } else if constexpr (std::is_same_v<T, std::vector<double>>) {
    return array_from_text(p, text);
  } else if constexpr (std::is_same_v<T, std::optional<double>>) {
    if (text == "null") return T{};  // as in JSON, null unsets the key
    return as_optional(real_from_text(text, kExpected));
  } else {
    if (text == "null") return T{};
    return as_optional(integer_from_text(text, kExpected));
  }
}

// Stores what `read` makes of a value in the parameter's member, or records
// why it cannot: under the parameter's name, or under the names the reader
// gave (an array's entries). `read` is called with a null pointer of the
// member's type.
template <typename Read>
void assign(const Parameter& p, Scenario& scenario, std::vector<FieldError>& errors, Read read) {
  std::visit(
      [&](auto member) {
        using T = std::remove_reference_t<decltype(scenario.*member)>;
        Result<T> value = read(static_cast<T*>(nullptr));
        if (value) {
          scenario.*member = std::move(*value);
        } else if (value.error().fields.empty()) {
          errors.push_back({std::string(p.name), value.error().message});
        } else {
          const std::vector<FieldError>& fields = value.error().fields;
          errors.insert(errors.end(), fields.begin(), fields.end());
        }
      },
      p.member);
}

// --- The policy timeline -------------------------------------------------------

template <typename Json>
void read_trigger(const Json& value, bool start, const std::string& at,
                  std::optional<engine::Trigger>& out, std::vector<FieldError>& errors) {
  const std::string_view bound = start ? "above" : "below";
  if (!value.is_object()) {
    errors.push_back(
        {at, fmt::format(R"(must be an object like {{"metric": "{}", "{}": 50}}, got {})",
                         engine::kTriggerMetricNames[0], bound, shown(value))});
    return;
  }
  engine::Trigger trigger;
  bool has_metric = false;
  bool has_bound = false;
  for (const auto& entry : value.items()) {
    const std::string& key = entry.key();
    const Json& v = entry.value();
    if (key == "metric") {
      has_metric = true;
      const auto& names = engine::kTriggerMetricNames;
      const auto found = v.is_string()
                             ? std::find(names.begin(), names.end(), v.template get<std::string>())
                             : names.end();
      if (found == names.end()) {
        errors.push_back({at + ".metric", fmt::format("must be one of {}, got {}",
                                                      fmt::join(names, ", "), shown(v))});
      } else {
        trigger.metric = static_cast<engine::TriggerMetric>(found - names.begin());
      }
    } else if (key == bound) {
      has_bound = true;
      Result<double> x = real_from_json(v, "a number");
      if (x) {
        trigger.threshold = *x;
      } else {
        errors.push_back({at + "." + key, x.error().message});
      }
    } else {
      errors.push_back(
          {at + "." + key, fmt::format("unknown key; a {} trigger has \"metric\" and \"{}\"",
                                       start ? "start_when" : "end_when", bound)});
    }
  }
  if (!has_metric) errors.push_back({at + ".metric", "is missing"});
  if (!has_bound) errors.push_back({at + "." + std::string(bound), "is missing"});
  out = trigger;
}

template <typename Json>
Result<double> item_value_from_json(const engine::ItemParameter& p, const Json& v) {
  using K = engine::ItemValueKind;
  switch (p.kind) {
    case K::kReal:
      return real_from_json(v, "a number");
    case K::kOptionalReal:
      if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
      return real_from_json(v, "a number or null");
    case K::kInteger: {
      Result<std::int64_t> n = integer_from_json(v, "an integer");
      if (!n) return n.error();
      return static_cast<double>(*n);
    }
    case K::kBoolean:
      if (v.is_boolean()) return v.template get<bool>() ? 1.0 : 0.0;
      return Error::invalid(fmt::format("must be true or false, got {}", shown(v)));
    case K::kChoice:
      if (v.is_string()) {
        const auto text = v.template get<std::string>();
        for (std::size_t i = 0; i < p.choices.size(); ++i) {
          if (p.choices[i] == text) return static_cast<double>(i);
        }
      }
      return Error::invalid(
          fmt::format("must be one of {}, got {}", fmt::join(p.choices, ", "), shown(v)));
  }
  return Error::invalid("unsupported value");
}

std::string type_names() {
  std::vector<std::string_view> names;
  for (const auto& t : engine::intervention_types()) names.push_back(t.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

template <typename Json>
void read_item(const Json& value, const std::string& at, engine::Intervention& out,
               std::vector<FieldError>& errors) {
  if (!value.is_object()) {
    errors.push_back(
        {at,
         fmt::format(R"(must be an object like {{"type": "distancing", "start_day": 30}}, got {})",
                     shown(value))});
    return;
  }
  const auto type = value.find("type");
  if (type == value.end()) {
    errors.push_back({at + ".type", fmt::format("is missing; one of {}", type_names())});
    return;
  }
  const engine::InterventionTypeInfo* info =
      type->is_string() ? engine::find_intervention_type(type->template get<std::string>())
                        : nullptr;
  if (info == nullptr) {
    errors.push_back(
        {at + ".type", fmt::format("must be one of {}, got {}", type_names(), shown(*type))});
    return;
  }
  out = engine::make_intervention(info->type);
  bool has_start = false;
  for (const auto& entry : value.items()) {
    const std::string& key = entry.key();
    const Json& v = entry.value();
    const std::string field = at + "." + key;
    if (key == "type") continue;
    if (key == "name") {
      if (v.is_string()) {
        out.name = v.template get<std::string>();
      } else {
        errors.push_back({field, fmt::format("must be a string, got {}", shown(v))});
      }
    } else if (key == "start_day" || key == "end_day") {
      if (key == "end_day" && v.is_null()) continue;
      Result<std::int64_t> day = integer_from_json(v, "an integer");
      if (!day) {
        errors.push_back({field, day.error().message});
      } else if (key == "start_day") {
        has_start = true;
        out.start_day = *day;
      } else {
        out.end_day = *day;
      }
    } else if (key == "start_when" || key == "end_when") {
      if (v.is_null()) continue;
      if (key == "start_when") has_start = true;
      read_trigger(v, key == "start_when", field,
                   key == "start_when" ? out.start_when : out.end_when, errors);
    } else {
      const auto& params = info->parameters;
      const auto found =
          std::find_if(params.begin(), params.end(),
                       [&](const engine::ItemParameter& p) { return p.name == key; });
      if (found == params.end()) {
        std::vector<std::string_view> names = {"name", "start_day", "end_day", "start_when",
                                               "end_when"};
        for (const auto& p : params) names.push_back(p.name);
        errors.push_back({field, fmt::format("unknown key for type {}; valid keys: {}", info->name,
                                             fmt::join(names, ", "))});
        continue;
      }
      Result<double> x = item_value_from_json(*found, v);
      if (x) {
        out.values[static_cast<std::size_t>(found - params.begin())] = *x;
      } else {
        errors.push_back({field, x.error().message});
      }
    }
  }
  if (!has_start) {
    errors.push_back({at + ".start_day",
                      "is missing: give start_day, or start_when to start on a "
                      "trigger"});
  }
}

template <typename Json>
void read_interventions(const Json& value, std::vector<engine::Intervention>& out,
                        std::vector<FieldError>& errors) {
  if (!value.is_array()) {
    errors.push_back(
        {"interventions", fmt::format("must be an array of timeline items, got {}", shown(value))});
    return;
  }
  if (value.size() > engine::kMaxInterventions) {
    errors.push_back({"interventions", fmt::format("must have at most {} items, got {}",
                                                   engine::kMaxInterventions, value.size())});
    return;
  }
  std::vector<engine::Intervention> items(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    read_item(value[i], fmt::format("interventions[{}]", i), items[i], errors);
  }
  out = std::move(items);
}

ordered_json item_value_json(const engine::ItemParameter& p, double v) {
  using K = engine::ItemValueKind;
  switch (p.kind) {
    case K::kOptionalReal:
      if (std::isnan(v)) return nullptr;
      return v;
    case K::kInteger:
      return static_cast<std::int64_t>(v);
    case K::kBoolean:
      return v != 0;
    case K::kChoice:
      return std::string(p.choices[static_cast<std::size_t>(v)]);
    case K::kReal:
      break;
  }
  return v;
}

ordered_json trigger_json(const engine::Trigger& t, bool start) {
  ordered_json out;
  out["metric"] = std::string(engine::kTriggerMetricNames[static_cast<std::size_t>(t.metric)]);
  out[start ? "above" : "below"] = t.threshold;
  return out;
}

// --- Whole documents -----------------------------------------------------------

template <typename Json>
Status read_object(const Json& value, Scenario& scenario, std::vector<FieldError> errors = {}) {
  if (!value.is_object()) {
    return Error::invalid(fmt::format(
        "scenario JSON must be an object like {{\"population\": 1000}}, got {}", shown(value)));
  }
  Scenario updated = scenario;  // applied only if every key is good
  for (const auto& entry : value.items()) {
    // Not a structured binding: clang before 16 cannot capture one in a lambda.
    const std::string& key = entry.key();
    const Json& item = entry.value();
    if (key == "interventions") {
      read_interventions(item, updated.interventions, errors);
      continue;
    }
    const Parameter* p = engine::find_parameter(key);
    if (p == nullptr) {
      errors.push_back({key, unknown_key_message(key)});
      continue;
    }
    assign(*p, updated, errors,
           [&](auto* type) { return from_json<std::remove_pointer_t<decltype(type)>>(*p, item); });
  }
  if (!errors.empty()) {
    return invalid_fields("invalid scenario JSON", std::move(errors));
  }
  scenario = updated;
  return Ok{};
}

void apply_assignment(std::string_view assignment, Scenario& scenario,
                      std::vector<FieldError>& errors) {
  const auto equals = assignment.find('=');
  if (equals == std::string_view::npos || equals == 0) {
    errors.push_back({std::string(assignment), "must have the form key=value, e.g. days=90"});
    return;
  }
  const std::string_view key = assignment.substr(0, equals);
  const std::string_view text = assignment.substr(equals + 1);
  if (key == "interventions") {  // JSON text: interventions='[{"type": ...}]'
    auto document = parse_json_text(text);
    if (!document) {
      errors.push_back({"interventions", "must be a JSON array: " + document.error().message});
    } else {
      read_interventions(*document, scenario.interventions, errors);
    }
    return;
  }
  const Parameter* p = engine::find_parameter(key);
  if (p == nullptr) {
    errors.push_back({std::string(key), unknown_key_message(key)});
    return;
  }
  assign(*p, scenario, errors,
         [&](auto* type) { return from_text<std::remove_pointer_t<decltype(type)>>(*p, text); });
}

void append(std::vector<FieldError>& to, const std::vector<FieldError>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

std::string unknown_preset_message(std::string_view name) {
  std::vector<std::string_view> names;
  for (const engine::Preset& p : engine::presets()) names.push_back(p.name);
  return fmt::format("unknown preset \"{}\"; valid presets: {}", name, fmt::join(names, ", "));
}

// A member as JSON: an unset optional is null, an array a JSON array.
template <typename T>
ordered_json json_value(const T& value) {
  return value;
}
template <typename T>
ordered_json json_value(const std::optional<T>& value) {
  return value ? ordered_json(*value) : ordered_json(nullptr);
}

}  // namespace

Status read_scenario_json(std::string_view text, engine::Scenario& scenario) {
  auto document = parse_json_text(text);  // keeps the file's key order for the messages
  if (!document) return document.error();
  return read_object(*document, scenario);
}

Status read_scenario_json(const nlohmann::json& value, engine::Scenario& scenario) {
  return read_object(value, scenario);
}

Status read_scenario_json(const nlohmann::ordered_json& value, engine::Scenario& scenario) {
  return read_object(value, scenario);
}

Status read_scenario_json(const std::string& text, engine::Scenario& scenario) {
  return read_scenario_json(std::string_view(text), scenario);
}

Status read_scenario_json(const char* text, engine::Scenario& scenario) {
  return read_scenario_json(std::string_view(text), scenario);
}

Status apply_assignments(std::span<const std::string> assignments, engine::Scenario& scenario) {
  Scenario updated = scenario;  // applied only if every assignment is good
  std::vector<FieldError> errors;
  for (const std::string& assignment : assignments) apply_assignment(assignment, updated, errors);
  if (!errors.empty()) {
    return invalid_fields("invalid key=value assignments", std::move(errors));
  }
  scenario = updated;
  return Ok{};
}

Status apply_preset(std::string_view name, engine::Scenario& scenario) {
  const engine::Preset* preset = engine::find_preset(name);
  if (preset == nullptr) {
    std::string message = unknown_preset_message(name);
    return Error::invalid(message, {{"preset", message}});
  }
  const std::vector<std::string> assignments(preset->assignments.begin(),
                                             preset->assignments.end());
  if (Status applied = apply_assignments(assignments, scenario); !applied) {
    // The presets are the engine's own constants: one that does not read is a bug.
    return Error::make(ErrorCode::kInternal, fmt::format("preset \"{}\" does not apply: {}", name,
                                                         describe(applied.error())));
  }
  return Ok{};
}

Result<engine::Scenario> resolve_scenario(const std::string* file_text,
                                          std::span<const std::string> assignments,
                                          std::optional<std::string_view> preset) {
  Scenario scenario;
  std::vector<FieldError> problems;
  if (preset) {
    if (Status applied = apply_preset(*preset, scenario); !applied) {
      if (applied.error().code != ErrorCode::kInvalidInput) return applied.error();
      problems = applied.error().fields;
    }
  }
  std::string file_problem;  // malformed JSON or not an object: nothing to name a field after
  if (file_text != nullptr) {
    if (Status read = read_scenario_json(*file_text, scenario); !read) {
      append(problems, read.error().fields);
      if (read.error().fields.empty()) file_problem = read.error().message;
    }
  }
  if (Status set = apply_assignments(assignments, scenario); !set) {
    append(problems, set.error().fields);
  }
  if (!file_problem.empty()) return Error::invalid("scenario file: " + file_problem, problems);
  // Range checks only make sense once every value could be read; running them
  // on a half-read scenario would report defaults the user never wrote.
  if (problems.empty()) problems = engine::validate(scenario);
  if (!problems.empty()) {
    return invalid_fields("invalid scenario", std::move(problems));
  }
  return scenario;
}

nlohmann::ordered_json scenario_to_json(const engine::Scenario& scenario) {
  ordered_json out = ordered_json::object();
  for (const Parameter& p : engine::parameters()) {
    std::visit([&](auto member) { out[std::string(p.name)] = json_value(scenario.*member); },
               p.member);
  }
  out["interventions"] = interventions_to_json(scenario.interventions);
  return out;
}

nlohmann::ordered_json interventions_to_json(const std::vector<engine::Intervention>& items) {
  ordered_json list = ordered_json::array();
  for (const engine::Intervention& x : items) {
    const engine::InterventionTypeInfo& info = engine::type_info(x.type);
    ordered_json item;
    item["type"] = std::string(info.name);
    if (!x.name.empty()) item["name"] = x.name;
    item["start_day"] = x.start_day;
    if (x.end_day) item["end_day"] = *x.end_day;
    if (x.start_when) item["start_when"] = trigger_json(*x.start_when, true);
    if (x.end_when) item["end_when"] = trigger_json(*x.end_when, false);
    for (std::size_t p = 0; p < info.parameters.size(); ++p) {
      item[std::string(info.parameters[p].name)] = item_value_json(info.parameters[p], x.values[p]);
    }
    list.push_back(std::move(item));
  }
  return list;
}

std::string describe(const Error& error) {
  std::string out = error.message;
  for (const FieldError& field : error.fields) {
    out += field.field.empty() ? fmt::format("\n  {}", field.message)
                               : fmt::format("\n  {}: {}", field.field, field.message);
  }
  return out;
}

}  // namespace outbreak::io
