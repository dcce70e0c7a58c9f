#include "outbreak/serve/submission.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "outbreak/engine/scenario.hpp"
#include "outbreak/io/json_text.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "outbreak/mail/address.hpp"
#include "outbreak/mail/templates.hpp"

namespace outbreak::serve {
namespace {

using json = nlohmann::ordered_json;

bool is_control(unsigned char byte) { return byte < 0x20 || byte == 0x7F; }

// C1 controls (U+0080..U+009F) are two bytes in UTF-8: C2 80..C2 9F.
bool has_control(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (is_control(byte)) return true;
    if (byte == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

std::size_t characters(std::string_view utf8) {
  std::size_t n = 0;
  for (const char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

void prefixed(std::vector<FieldError>& out, std::vector<FieldError> fields) {
  for (FieldError& field : fields) {
    out.push_back({"scenario." + field.field, std::move(field.message)});
  }
}

// What the caps of scenario_caps() cannot say: rows, not agents. A
// population of ten can still ask for years of days in many replicates, and
// every one of them is stored and served.
std::vector<FieldError> check_limits(const engine::Scenario& scenario, const Limits& limits) {
  std::vector<FieldError> errors;
  std::int64_t rows = 0;
  const bool overflow = __builtin_mul_overflow(scenario.days, scenario.replicates, &rows);
  if (scenario.days > 0 && scenario.replicates > 0 && (overflow || rows > limits.rows_per_job)) {
    errors.push_back(
        {"days", fmt::format("days x replicates ({} x {}) must be at most {} on this server "
                             "(OUTBREAK_MAX_ROWS_PER_JOB); ask for fewer days or replicates",
                             scenario.days, scenario.replicates, limits.rows_per_job)});
  }
  return errors;
}

// Reads the "scenario" member; appends its problems to `errors`.
engine::Scenario read_scenario(const json* value, const Limits& limits,
                               std::vector<FieldError>& errors) {
  engine::Scenario scenario;
  if (value == nullptr) {
    errors.push_back({"scenario",
                      "is required: an object of scenario keys (see GET "
                      "/api/v1/scenario), {} for every default"});
    return scenario;
  }
  if (!value->is_object()) {
    errors.push_back({"scenario",
                      "must be an object of scenario keys, such as "
                      "{\"population\": 1000}"});
    return scenario;
  }
  if (Status read = io::read_scenario_json(*value, scenario); !read) {
    prefixed(errors, read.error().fields);
    return scenario;
  }
  // Ranges only once every value could be read, as io::resolve_scenario does.
  const std::vector<engine::RangeCap> caps = scenario_caps(limits);
  std::vector<FieldError> problems = engine::validate(scenario, caps);
  std::vector<FieldError> capped = check_limits(scenario, limits);
  problems.insert(problems.end(), capped.begin(), capped.end());
  prefixed(errors, std::move(problems));
  return scenario;
}

}  // namespace

std::vector<engine::RangeCap> scenario_caps(const Limits& limits) {
  constexpr std::string_view kHere = "on this server";
  const auto cap = [&](std::string_view name, std::int64_t max) {
    return engine::RangeCap{name, static_cast<double>(max), kHere};
  };
  return {cap("population", limits.population), cap("initial_infected", limits.population),
          cap("days", limits.days), cap("replicates", limits.replicates)};
}

Status valid_email(std::string_view address) { return mail::validate_address(address); }

Status valid_name(std::string_view name) {
  if (characters(name) > kMaxNameLength) {
    return Error::invalid(fmt::format("must be at most {} characters long, got {}", kMaxNameLength,
                                      characters(name)));
  }
  if (has_control(name)) return Error::invalid("must not contain control characters");
  return Ok{};
}

Result<store::NewSimulation> parse_submission(std::string_view body, const Limits& limits) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Error::invalid(
        "the request body is empty; send a JSON object such as {\"name\": \"...\", "
        "\"scenario\": {}}");
  }
  // The one JSON policy of io::parse_json_text, which `outbreak validate`
  // applies too: no NUL byte, nothing after the value, no key twice.
  auto parsed = io::parse_json_text(body);
  if (!parsed) return Error::invalid(parsed.error().message);  // 400: no fields
  const json& document = *parsed;
  if (!document.is_object()) {
    return Error::invalid(
        "the request body must be a JSON object such as {\"name\": \"...\", \"scenario\": {}}");
  }
  std::vector<FieldError> errors;
  store::NewSimulation simulation;
  const json* scenario_value = nullptr;
  for (const auto& [key, value] : document.items()) {
    if (key == "scenario") {
      scenario_value = &value;
    } else if (key == "name") {
      if (!value.is_string()) {
        errors.push_back({"name", "must be a string"});
      } else if (Status ok = valid_name(value.get_ref<const std::string&>()); !ok) {
        errors.push_back({"name", ok.error().message});
      } else {
        // Format and bidi characters could reorder or hide the text around
        // the name on pages and in mails; they carry nothing a name needs.
        const std::string visible =
            mail::without_format_characters(value.get_ref<const std::string&>());
        simulation.name = std::string(trimmed(visible));
      }
    } else if (key == "email") {
      if (value.is_null()) continue;
      if (!value.is_string()) {
        errors.push_back({"email", "must be a string"});
        continue;
      }
      const std::string& address = value.get_ref<const std::string&>();
      if (address.empty()) continue;
      if (Status ok = valid_email(address); !ok) {
        errors.push_back({"email", ok.error().message});
      } else {
        simulation.email = address;
      }
    } else {
      errors.push_back({key, "unknown key; a submission has name, email and scenario"});
    }
  }
  const engine::Scenario scenario = read_scenario(scenario_value, limits, errors);
  if (!errors.empty()) {
    const std::size_t count = errors.size();
    return Error::invalid(
        fmt::format("invalid submission: {} problem{}", count, count == 1 ? "" : "s"),
        std::move(errors));
  }
  if (simulation.name.empty()) simulation.name = "simulation";
  simulation.scenario_json = io::scenario_to_json(scenario).dump();
  simulation.days = scenario.days;
  simulation.replicates = scenario.replicates;
  return simulation;
}

Result<engine::Scenario> parse_scenario_request(std::string_view body, const Limits& limits) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Error::invalid(
        "the request body is empty; send a JSON object such as {\"scenario\": {}}");
  }
  auto parsed = io::parse_json_text(body);
  if (!parsed) return Error::invalid(parsed.error().message);  // 400: no fields
  const json& document = *parsed;
  if (!document.is_object()) {
    return Error::invalid("the request body must be a JSON object such as {\"scenario\": {}}");
  }
  std::vector<FieldError> errors;
  const json* scenario_value = nullptr;
  for (const auto& [key, value] : document.items()) {
    if (key == "scenario") {
      scenario_value = &value;
    } else {
      errors.push_back({key, "unknown key; the request has only scenario"});
    }
  }
  engine::Scenario scenario = read_scenario(scenario_value, limits, errors);
  if (!errors.empty()) {
    const std::size_t count = errors.size();
    return Error::invalid(
        fmt::format("invalid scenario: {} problem{}", count, count == 1 ? "" : "s"),
        std::move(errors));
  }
  return scenario;
}

}  // namespace outbreak::serve
