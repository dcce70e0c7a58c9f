// What the event and results routes read from a request: the Last-Event-ID
// (serve::parse_event_id), the `replicate` and `format` query parameters
// and the simulation id in the path. Properties: a resume point that parses
// is a valid day key whose id (serve::event_id) parses back to it; a
// replicate that parses lies in 1..N; only "json" and "csv" are formats;
// an accepted simulation id is a lowercase UUID.
#include <string>

#include "fuzz_support.hpp"
#include "outbreak/serve/documents.hpp"
#include "outbreak/serve/events.hpp"
#include "serve/query.hpp"

using namespace outbreak;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::as_text(data, size);

  if (const auto key = serve::parse_event_id(text)) {
    fuzz::check(key->replicate >= 0 && key->day >= 0, "a resume point is a valid day key");
    const std::string id = serve::event_id(*key);
    const auto again = serve::parse_event_id(id);
    fuzz::check(again && *again == *key, "an event id parses back to its day key");
  }

  const std::int64_t replicates = size == 0 ? 1 : 1 + data[0] % 100;
  if (auto replicate = serve::detail::parse_replicate(text, replicates)) {
    fuzz::check(*replicate >= 0 && *replicate < replicates, "a replicate lies in 1..N");
    fuzz::check(text == std::to_string(*replicate + 1) || text.starts_with('0'),
                "a replicate is its decimal number");
  }
  if (auto format = serve::detail::parse_results_format(text)) {
    fuzz::check(text == "json" || text == "csv", "only json and csv are formats");
  }
  (void)serve::detail::is_json_media_type(text);

  if (serve::is_simulation_id(text)) {
    fuzz::check(
        text.size() == 36 && text.find_first_not_of("0123456789abcdef-") == std::string_view::npos,
        "a simulation id is a lowercase UUID");
  }
  return 0;
}
