// Scenario <-> JSON, and the CLI's key=value overrides.
//
// Reading is split from validation so that a file and --set flags can be
// combined first and checked once ("flags win"): the readers check syntax,
// key names and types; engine::validate checks ranges and combinations.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "outbreak/engine/scenario.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::io {

// Applies the keys of a JSON object onto `scenario`. The text is read by
// parse_json_text (outbreak/io/json_text.hpp), the policy the HTTP API uses
// too: malformed JSON, trailing bytes and NUL bytes are refused (message with
// line and column, no fields), and so are keys given twice at any depth
// (each by its path in Error::fields). Then these errors (kInvalidInput),
// all collected: a top-level value that is not an object (no fields), unknown
// keys (with the nearest valid key as a suggestion), wrong types (an
// integer key given 2.5 or "10", a boolean given 1, an array key given
// anything but an array) and array entries that are not numbers (naming the
// entry as `key[i]`). Integer keys accept numbers with an exactly integral
// value, such as 1e6; real keys any number, 3 included; optional keys also
// null, which unsets them. Ranges, an array's length included, are not
// checked here but by engine::validate. Keys not present keep their value;
// on error `scenario` is unchanged.
Status read_scenario_json(std::string_view text, engine::Scenario& scenario);

// Same for an already parsed JSON value.
Status read_scenario_json(const nlohmann::json& value, engine::Scenario& scenario);
Status read_scenario_json(const nlohmann::ordered_json& value, engine::Scenario& scenario);

// Text again: nlohmann::json converts implicitly from strings, so without
// these a std::string or a literal would match both overloads above.
Status read_scenario_json(const std::string& text, engine::Scenario& scenario);
Status read_scenario_json(const char* text, engine::Scenario& scenario);

// Applies "key=value" assignments in order (later ones win). Values are read
// by the key's type: integers (also 1e6), finite real numbers, booleans
// (exactly true or false), "null" for an optional key (unsets it), and
// comma-separated numbers for an array ("age_shares=0.1,0.2,..."). Errors
// collected as above, naming the key and the value (an array entry as
// `key[i]`); on error `scenario` is unchanged.
Status apply_assignments(std::span<const std::string> assignments, engine::Scenario& scenario);

// Applies the assignments of the engine preset `name` (engine::presets()).
// Errors: kInvalidInput with the field "preset" and the valid names if there
// is no such preset; `scenario` is then unchanged.
Status apply_preset(std::string_view name, engine::Scenario& scenario);

// Defaults, then the preset if one is named, then an optional scenario
// file's text, then the assignments, then engine::validate: the one entry
// point for the CLI. Every problem is reported at once in Error::fields (an
// unknown preset as the field "preset"); validate runs only if everything
// could be read. A malformed file is named in Error::message.
Result<engine::Scenario> resolve_scenario(const std::string* file_text,
                                          std::span<const std::string> assignments,
                                          std::optional<std::string_view> preset = std::nullopt);

// The complete scenario (every key, defaults filled in) as a JSON object in
// the documented key order: unset optional keys as null, arrays as arrays.
nlohmann::ordered_json scenario_to_json(const engine::Scenario& scenario);

// Timeline items as JSON: type, name (if set), start_day, end_day and the
// triggers (if set), then every parameter of the type.
nlohmann::ordered_json interventions_to_json(const std::vector<engine::Intervention>& items);

// The error's message, then one indented "field: message" line per field,
// for a terminal; no trailing newline.
std::string describe(const Error& error);

}  // namespace outbreak::io
