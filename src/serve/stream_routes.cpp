// Results and event streams of one simulation.
#include <charconv>

#include <fmt/format.h>

#include "http.hpp"
#include "outbreak/serve/documents.hpp"
#include "results.hpp"

namespace outbreak::serve::detail {
namespace {

using httplib::Request;
using httplib::Response;

// A name safe inside a quoted header parameter: letters, digits, '.', '-'
// and '_' kept, anything else '_'.
std::string file_name(std::string_view name, std::string_view id) {
  std::string out;
  for (const char c : name.substr(0, 80)) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
    out += safe ? c : '_';
  }
  if (out.empty()) out = "simulation";
  return fmt::format("{}-{}.csv", out, id.substr(0, 8));
}

void results(Context& context, const Request& request, Response& response) {
  const std::string format_name =
      request.has_param("format") ? request.get_param_value("format") : "json";
  if (format_name != "json" && format_name != "csv") {
    return send_error(response, 400, "invalid_parameter",
                      fmt::format("format must be json or csv, got \"{}\"", format_name),
                      {{"format", "must be json or csv"}});
  }
  auto store = borrow_store(context, response);
  if (!store) return;
  auto job = find_job(request, response, *store);
  if (!job) return;
  std::optional<std::int64_t> replicate;
  if (request.has_param("replicate")) {
    const std::string text = request.get_param_value("replicate");
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 1 ||
        value > job->replicates) {
      const std::string message =
          fmt::format("must be a replicate number from 1 to {}, got \"{}\"", job->replicates, text);
      return send_error(response, 400, "invalid_parameter", "replicate " + message,
                        {{"replicate", message}});
    }
    replicate = value - 1;
  }
  const io::Format format = format_name == "csv" ? io::Format::kCsv : io::Format::kJson;
  auto text = context.results.get(**store, *job, format, replicate);
  if (!text) {
    if (text.error().code == ErrorCode::kIo) store->discard();
    return send_store_error(response, text.error());
  }
  response.status = 200;
  response.body = **text;
  if (format == io::Format::kCsv) {
    response.set_header("Content-Type", "text/csv; charset=utf-8");
    response.set_header("Content-Disposition",
                        fmt::format("attachment; filename=\"{}\"", file_name(job->name, job->id)));
  } else {
    response.set_header("Content-Type", "application/json");
  }
}

void events(Context& context, const Request& request, Response& response) {
  std::optional<store::SimulationRecord> job;
  {
    // Back to the pool before streaming: the stream's watcher borrows its own.
    auto store = borrow_store(context, response);
    if (!store) return;
    job = find_job(request, response, *store);
  }
  if (!job) return;
  std::optional<DayKey> after;
  if (request.has_header("Last-Event-ID")) {
    after = parse_event_id(request.get_header_value("Last-Event-ID"));
  } else if (request.has_param("last_event_id")) {
    after = parse_event_id(request.get_param_value("last_event_id"));
  }
  std::shared_ptr<EventStream> stream = context.events.open(job->id, after);
  if (stream == nullptr && context.events.shut_down()) {
    response.set_header("Retry-After", "5");
    return send_error(response, 503, "unavailable", "the server is shutting down");
  }
  if (stream == nullptr) {
    response.set_header("Retry-After", "10");
    return send_error(response, 429, "too_many_streams",
                      fmt::format("{} event streams are open, the most this server allows; try "
                                  "again later or poll GET /api/v1/simulations/{{id}}",
                                  context.events.open_streams()));
  }
  auto written = context.tracker.stream_counter(request);
  response.status = 200;
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");  // tells nginx not to buffer the stream
  response.set_chunked_content_provider("text/event-stream",
                                        [stream, written](std::size_t, httplib::DataSink& sink) {
                                          std::string out;
                                          const bool more = stream->next(out);
                                          if (!out.empty()) {
                                            if (!sink.write(out.data(), out.size())) return false;
                                            written->fetch_add(out.size());
                                          }
                                          if (!more) sink.done();
                                          return true;
                                        });
}

}  // namespace

void add_stream_routes(httplib::Server& http, Context& context) {
  const std::string simulation = "/api/v1/simulations/([^/]+)";
  add_route(http, context, "GET", simulation + "/results", "/api/v1/simulations/{id}/results",
            [&context](const Request& request, Response& response) {
              results(context, request, response);
            });
  add_route(http, context, "GET", simulation + "/events", "/api/v1/simulations/{id}/events",
            [&context](const Request& request, Response& response) {
              events(context, request, response);
            });
}

}  // namespace outbreak::serve::detail
