// Results, event streams and the line list of one simulation.
#include <atomic>
#include <charconv>
#include <limits>
#include <optional>
#include <sstream>
#include <stop_token>
#include <utility>

#include <fmt/format.h>

#include "encoding.hpp"
#include "http.hpp"
#include "outbreak/engine/ensemble.hpp"
#include "outbreak/io/line_list_csv.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "outbreak/serve/documents.hpp"
#include "query.hpp"
#include "results.hpp"

namespace outbreak::serve::detail {
namespace {

using httplib::Request;
using httplib::Response;

// Bytes of a results document read before they are sent as one chunk.
constexpr std::size_t kResultsPartBytes = 64 << 10;

// Bytes of line-list rows collected before they are sent as one chunk.
constexpr std::streamoff kLineListChunkBytes = 64 << 10;

// A name safe inside a quoted header parameter: letters, digits, '.', '-'
// and '_' kept, anything else '_'; `suffix` ends it.
std::string file_name(std::string_view name, std::string_view id,
                      std::string_view suffix = ".csv") {
  std::string out;
  for (const char c : name.substr(0, 80)) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
    out += safe ? c : '_';
  }
  if (out.empty()) out = "simulation";
  return fmt::format("{}-{}{}", out, id.substr(0, 8), suffix);
}

void set_download(Response& response, const std::string& name) {
  // The Content-Type comes with the body (set_content or a content provider).
  response.set_header("Content-Disposition", fmt::format("attachment; filename=\"{}\"", name));
}

// A results response streamed as it is read (an unfinished job, or a
// finished document larger than the cache keeps).
struct ResultsResponse {
  std::unique_ptr<ResultsDocument> document;
  std::string pending;  // read before streaming began: sent first
  std::shared_ptr<std::atomic<std::uint64_t>> written;
};

// Reads and sends the next part of `state`'s document; false when the
// response must end short (a store error, the client gone).
bool send_results_part(Context& context, ResultsResponse& state, httplib::DataSink& sink) {
  std::string part = std::move(state.pending);
  state.pending.clear();
  bool more = true;
  if (part.empty()) {
    auto lease = context.stores.borrow();
    if (!lease) {
      context.log.warn("results_read_failed", {{"error", lease.error().message}});
      return false;
    }
    auto next = state.document->next(**lease, part, kResultsPartBytes);
    if (!next) {
      if (next.error().code == ErrorCode::kIo) lease->discard();
      // Past the headers an error can only cut the response short.
      context.log.warn("results_read_failed", {{"error", next.error().message}});
      return false;
    }
    more = *next;
  }
  if (!part.empty()) {
    if (!sink.write(part.data(), part.size())) return false;
    state.written->fetch_add(part.size());
  }
  if (!more) sink.done();
  return true;
}

constexpr const char* kImmutable = "public, max-age=31536000, immutable";

// The content type of a results document.
const char* results_type(io::Format format) {
  return format == io::Format::kCsv ? "text/csv; charset=utf-8" : "application/json";
}

// The Content-Disposition file name of a results download.
std::string results_file_name(const std::string& name, const std::string& id, io::Format format,
                              bool partial) {
  return file_name(name, id,
                   fmt::format("{}{}", partial ? "-partial" : "",
                               format == io::Format::kCsv ? ".csv" : ".json"));
}

// 304 when the request's If-None-Match holds `etag`; whether it was sent.
bool send_not_modified(const Request& request, Response& response, const std::string& etag) {
  const std::string if_none_match = request.get_header_value("If-None-Match");
  if (if_none_match.empty() || !none_match(if_none_match, etag)) return false;
  let_httplib_compress(request, false);
  response.status = 304;
  response.set_header("ETag", etag);
  // No body. httplib says "Content-Length: 0" (its clients, among others,
  // would wait for a body of the length of the representation).
  return true;
}

// Sends the finished document `cached` in the coding the request asks for
// as it is, or 304. `download_name`: empty unless a download.
void send_cached_results(Context& context, const Request& request, Response& response,
                         std::shared_ptr<const CachedResults> cached, io::Format format,
                         const std::string& download_name) {
  const Coding coding = choose_coding(accept_encoding(request));
  const std::string etag = finished_etag(cached->key, coding);
  if (send_not_modified(request, response, etag)) return;
  let_httplib_compress(request, false);
  // The status is left to httplib: 200, or 206 for a Range request (a
  // range of the bytes of this coding, as RFC 9110 has it).
  response.set_header("ETag", etag);
  if (coding != Coding::kIdentity) {
    response.set_header("Content-Encoding", std::string(coding_name(coding)));
  }
  if (!download_name.empty()) set_download(response, download_name);
  // Written from the kept bytes, not copied into the response first.
  const std::string& bytes = cached->bytes(coding);
  response.set_content_provider(
      bytes.size(), results_type(format),
      [cached = std::move(cached), &bytes, written = context.tracker.stream_counter(request)](
          std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        if (!sink.write(bytes.data() + offset, length)) return false;
        written->fetch_add(length);
        return true;
      });
}

// The parameters of a results request when each of them is valid whatever
// the job (the replicate checked for its form only); nullopt otherwise.
struct ResultsQuery {
  io::Format format = io::Format::kJson;
  std::optional<std::int64_t> replicate;
  bool summary_only = false;
  bool download = false;
};

std::optional<ResultsQuery> plain_results_query(const Request& request) {
  ResultsQuery query;
  auto format = parse_results_format(request.has_param("format") ? request.get_param_value("format")
                                                                 : "json");
  if (!format) return std::nullopt;
  query.format = *format;
  if (request.has_param("replicate")) {
    auto replicate = parse_replicate(request.get_param_value("replicate"),
                                     std::numeric_limits<std::int64_t>::max());
    if (!replicate) return std::nullopt;
    query.replicate = *replicate;
  }
  if (request.has_param("part")) {
    if (request.get_param_value("part") != "summary" || query.format != io::Format::kJson ||
        query.replicate) {
      return std::nullopt;
    }
    query.summary_only = true;
  }
  query.download = query.format == io::Format::kCsv;
  if (request.has_param("download")) {
    const std::string value = request.get_param_value("download");
    if (value != "0" && value != "1") return std::nullopt;
    query.download = value == "1";
  }
  return query;
}

void results(Context& context, const Request& request, Response& response) {
  response.set_header("Vary", "Accept-Encoding");
  // A succeeded job's kept document is answered from memory: the job is
  // never run again, so the store need not be asked.
  if (const auto query = plain_results_query(request)) {
    const std::string id = request.matches[1];
    if (auto cached = context.results.find_succeeded(
            ResultsCache::variant(id, query->format, query->replicate, query->summary_only))) {
      response.set_header("Cache-Control", kImmutable);
      const std::string download_name =
          query->download ? results_file_name(cached->name, id, query->format, false) : "";
      return send_cached_results(context, request, response, std::move(cached), query->format,
                                 download_name);
    }
  }
  const auto parsed_format = parse_results_format(
      request.has_param("format") ? request.get_param_value("format") : "json");
  if (!parsed_format) {
    return send_error(response, 400, "invalid_parameter", parsed_format.error().message,
                      parsed_format.error().fields);
  }
  auto store = borrow_store(context, response);
  if (!store) return;
  auto job = find_job(request, response, *store);
  if (!job) return;
  std::optional<std::int64_t> replicate;
  if (request.has_param("replicate")) {
    auto value = parse_replicate(request.get_param_value("replicate"), job->replicates);
    if (!value) {
      const std::string& message = value.error().message;
      return send_error(response, 400, "invalid_parameter", "replicate " + message,
                        {{"replicate", message}});
    }
    replicate = *value;
  }
  const io::Format format = *parsed_format;
  bool summary_only = false;
  if (request.has_param("part")) {
    const std::string part = request.get_param_value("part");
    const char* problem = part != "summary"             ? "must be summary"
                          : format != io::Format::kJson ? "is for format=json only"
                          : replicate.has_value()       ? "cannot be combined with replicate"
                                                        : nullptr;
    if (problem != nullptr) {
      return send_error(response, 400, "invalid_parameter",
                        fmt::format("part {}, got \"{}\"", problem, part), {{"part", problem}});
    }
    summary_only = true;
  }
  bool download = format == io::Format::kCsv;
  if (request.has_param("download")) {
    const std::string value = request.get_param_value("download");
    if (value != "0" && value != "1") {
      return send_error(response, 400, "invalid_parameter",
                        fmt::format("download must be 0 or 1, got \"{}\"", value),
                        {{"download", "must be 0 or 1"}});
    }
    download = value == "1";
  }
  auto coverage = summary_coverage(**store, *job);
  if (!coverage) {
    if (coverage.error().code == ErrorCode::kIo) store->discard();
    return send_store_error(response, coverage.error());
  }
  const char* type = results_type(format);
  const std::string download_name =
      download ? results_file_name(job->name, job->id, format, coverage->partial) : "";
  // Finished results never change unless a failed or cancelled job is
  // retried: those of a succeeded job may be kept by anyone for a year,
  // the others are revalidated (their ETag changes when they finish again).
  const std::string key = ResultsCache::key(*job, format, replicate, summary_only);
  const bool immutable = !key.empty() && job->status == store::JobStatus::kSucceeded;
  response.set_header("Cache-Control", immutable ? kImmutable : "no-cache");
  const std::optional<std::string> accepted = accept_encoding(request);
  const std::optional<std::string_view> accepted_view =
      accepted ? std::optional<std::string_view>(*accepted) : std::nullopt;
  const auto not_modified = [&](const std::string& etag) {
    return send_not_modified(request, response, etag);
  };
  const auto send_cached = [&](std::shared_ptr<const CachedResults> cached) {
    send_cached_results(context, request, response, std::move(cached), format, download_name);
  };
  if (auto cached = context.results.find(key)) return send_cached(std::move(cached));
  // Streamed documents are sent as they are read, in gzip or identity.
  const Coding streamed = choose_coding(accepted_view, false);
  if (!key.empty()) {
    // Finished but not kept (yet): the client may hold it from before in
    // any coding this request could get.
    for (const Coding coding : {choose_coding(accepted_view), streamed}) {
      if (not_modified(results_etag(*job, key, format, replicate, summary_only, false, coding))) {
        return;
      }
    }
  }
  auto opened = ResultsDocument::open(**store, *job, format, replicate, *coverage, summary_only);
  if (!opened) {
    if (opened.error().code == ErrorCode::kIo) store->discard();
    return send_store_error(response, opened.error());
  }
  std::unique_ptr<ResultsDocument> document = std::move(opened).value();
  std::string etag =
      results_etag(*job, key, format, replicate, summary_only, document->has_summary(), streamed);
  if (key.empty() && not_modified(etag)) return;
  std::string first;
  if (!key.empty()) {
    // Read whole while it fits the cache, compressed once and kept; a
    // larger one is streamed from what has been read.
    auto more = document->next(**store, first, context.results.max_entry_bytes() + 1);
    if (!more) {
      if (more.error().code == ErrorCode::kIo) store->discard();
      return send_store_error(response, more.error());
    }
    if (!*more && first.size() <= context.results.max_entry_bytes()) {
      context.results.offer(key, first, *job, format, replicate, summary_only);
      auto cached = context.results.find(key);
      // Not kept (the cache is smaller than the document): compressed anyway.
      if (cached == nullptr) {
        CachedResults compressed = CachedResults::compress(std::move(first));
        compressed.key = key;
        cached = std::make_shared<const CachedResults>(std::move(compressed));
      }
      return send_cached(std::move(cached));
    }
    // gzip made while streaming is not byte for byte the kept one's.
    if (streamed == Coding::kGzip) etag = "W/" + etag;
  }
  let_httplib_compress(request, streamed == Coding::kGzip);
  response.status = 200;
  response.set_header("ETag", etag);
  if (!download_name.empty()) set_download(response, download_name);
  // Sent a part at a time, each read with a store borrowed for that part
  // only, so that neither a large job nor a slow client holds memory or a
  // connection.
  auto state = std::make_shared<ResultsResponse>(ResultsResponse{
      std::move(document), std::move(first), context.tracker.stream_counter(request)});
  response.set_chunked_content_provider(type,
                                        [&context, state](std::size_t, httplib::DataSink& sink) {
                                          return send_results_part(context, *state, sink);
                                        });
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
  response.set_chunked_content_provider(
      "text/event-stream", [&context, stream, written, id = job->id, remote = request.remote_addr](
                               std::size_t, httplib::DataSink& sink) {
        std::string out;
        const bool more = stream->next(out);
        if (!out.empty()) {
          if (!sink.write(out.data(), out.size())) return false;
          written->fetch_add(out.size());
        }
        if (!more) {
          if (stream->dropped()) {
            context.log.info("event_stream_ended_early", {{"id", id}, {"remote", remote}});
          }
          sink.done();
        }
        return true;
      });
}

// The reason the line list of `job` (its scenario read) cannot be had from
// this server, with the status to send; nullopt when it can.
std::optional<std::pair<int, std::string>> line_list_refusal(const store::SimulationRecord& job,
                                                             const engine::Scenario& scenario,
                                                             const Limits& limits) {
  // The size first: a job too large for this server will never do.
  const std::int64_t agents = scenario.population * scenario.replicates;
  if (agents <= limits.line_list_agents) {
    if (job.status == store::JobStatus::kSucceeded) return std::nullopt;
    return std::pair{409, fmt::format("simulation {} is {}: its line list is made by running it "
                                      "again, which is possible once it has succeeded",
                                      job.id, store::to_string(job.status))};
  }
  return std::pair{
      413,
      fmt::format("the line list of simulation {} covers {} agents ({} x {} replicates), more "
                  "than this server makes (OUTBREAK_MAX_LINE_LIST_AGENTS = {}); make it with the "
                  "command line instead: save the \"scenario\" of GET /api/v1/simulations/{} as "
                  "scenario.json and run `outbreak run --scenario scenario.json --line-list "
                  "line-list.csv`",
                  job.id, agents, scenario.population, scenario.replicates, limits.line_list_agents,
                  job.id)};
}

// Runs `scenario` again, writing each day's infections to `sink` as CSV rows
// in chunks as they come; false if the client went away or the server is
// shutting down (the run is then stopped).
bool stream_line_list(Context& context, const engine::Scenario& scenario, httplib::DataSink& sink,
                      std::atomic<std::uint64_t>& written) {
  std::ostringstream chunk;
  io::write_line_list_header(chunk);
  std::stop_source stop;
  const auto send = [&] {
    const std::string text = chunk.str();
    // Emptied in place: GCC 12 under the sanitizers warns falsely about
    // move-assigning an ostringstream.
    chunk.str(std::string());
    chunk.clear();
    if (text.empty()) return true;
    if (context.events.shut_down() || !sink.write(text.data(), text.size())) return false;
    written.fetch_add(text.size());
    return true;
  };
  engine::EnsembleOptions options;
  options.threads = context.config.worker_threads;
  options.stop = stop.get_token();
  // A replicate's rows are sent once it is over: what interventions do to a
  // case comes after its infection.
  io::LineListBuffer buffer;
  std::int64_t buffered = 0;
  const auto flush = [&] {
    // Replicates from 1, as the results and `outbreak run --line-list` number them.
    buffer.write(chunk, buffered + 1, scenario.days);
    if (chunk.tellp() >= kLineListChunkBytes && !send()) stop.request_stop();
  };
  options.on_infections = [&](std::int64_t replicate,
                              std::span<const engine::Infection> infections) {
    if (replicate != buffered) {
      flush();
      buffered = replicate;
    }
    buffer.add(infections);
    if (!sink.is_writable()) stop.request_stop();
  };
  options.on_case_events = [&](std::int64_t, std::span<const engine::CaseEvent> events) {
    buffer.add(events);
  };
  auto ran = engine::run_ensemble(scenario, options);
  if (ran) flush();
  if (!ran) {
    if (ran.error().code != ErrorCode::kCancelled) {
      context.log.error("line_list_failed", {{"error", ran.error().message}});
    }
    return false;
  }
  if (!send()) return false;
  sink.done();
  return true;
}

void line_list(Context& context, const Request& request, Response& response) {
  std::optional<store::SimulationRecord> job;
  {
    // Back to the pool before the long run.
    auto store = borrow_store(context, response);
    if (!store) return;
    job = find_job(request, response, *store);
  }
  if (!job) return;
  engine::Scenario scenario;
  if (Status read = io::read_scenario_json(job->scenario_json, scenario); !read) {
    return send_error(response, 409, "conflict",
                      "the stored scenario no longer reads: " + read.error().message);
  }
  if (auto refusal = line_list_refusal(*job, scenario, context.config.limits)) {
    const auto& [status, message] = *refusal;
    return send_error(response, status, status == 409 ? "conflict" : "line_list_too_large",
                      message);
  }
  auto written = context.tracker.stream_counter(request);
  response.status = 200;
  response.set_header(
      "Content-Disposition",
      fmt::format("attachment; filename=\"{}\"", file_name(job->name, job->id, "-line-list.csv")));
  response.set_chunked_content_provider(
      "text/csv; charset=utf-8",
      [&context, scenario, written](std::size_t, httplib::DataSink& sink) {
        // Past the headers an error can only cut the response short.
        try {
          return stream_line_list(context, scenario, sink, *written);
        } catch (const std::exception& e) {
          context.log.error("line_list_failed", {{"error", e.what()}});
          return false;
        }
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
  add_route(http, context, "GET", simulation + "/line-list", "/api/v1/simulations/{id}/line-list",
            [&context](const Request& request, Response& response) {
              line_list(context, request, response);
            });
}

}  // namespace outbreak::serve::detail
