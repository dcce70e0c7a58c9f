// The body of POST /api/v1/simulations (serve::parse_submission) and its
// Content-Type check. The input's first line is the Content-Type, the rest
// the body. Properties: a refused body is kInvalidInput, and its error
// document serialises; an accepted one has a clean name (no control
// characters, at most 200 characters), no e-mail address or a valid one
// without CR or LF, and a stored scenario that reads back, passes
// engine::validate and stays within the server's limits.
#include <string>

#include "fuzz_support.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "outbreak/mail/address.hpp"
#include "outbreak/serve/documents.hpp"
#include "outbreak/serve/submission.hpp"
#include "serve/query.hpp"

using namespace outbreak;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  const auto newline = input.find('\n');
  const std::string_view content_type = input.substr(0, newline);
  const std::string_view body =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  if (serve::detail::is_json_media_type(content_type)) {
    fuzz::check(content_type.size() >= 16, "a JSON media type names application/json");
  }

  serve::Limits limits;
  limits.population = 100'000;
  limits.days = 365;
  limits.replicates = 10;
  auto simulation = serve::parse_submission(body, limits);
  if (!simulation) {
    fuzz::check(simulation.error().code == ErrorCode::kInvalidInput,
                "a refused submission is kInvalidInput");
    (void)serve::error_document("invalid_scenario", simulation.error().message,
                                simulation.error().fields)
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return 0;
  }
  fuzz::check(!simulation->name.empty() && !fuzz::has_control(simulation->name),
              "an accepted name is not empty and has no control characters");
  fuzz::check(serve::valid_name(simulation->name).ok(), "an accepted name is valid");
  if (simulation->email) {
    fuzz::check(mail::validate_address(*simulation->email).ok(), "an accepted address is valid");
    fuzz::check(simulation->email->find_first_of("\r\n") == std::string::npos,
                "an accepted address has no CR or LF");
  }
  engine::Scenario scenario;
  fuzz::check(io::read_scenario_json(simulation->scenario_json, scenario).ok(),
              "the stored scenario reads back");
  fuzz::check(engine::validate(scenario).empty(), "the stored scenario is valid");
  fuzz::check(scenario.population <= limits.population && scenario.days <= limits.days &&
                  scenario.replicates <= limits.replicates,
              "the stored scenario is within the server's limits");
  fuzz::check(simulation->days == scenario.days && simulation->replicates == scenario.replicates,
              "the job's days and replicates are the scenario's");
  return 0;
}
