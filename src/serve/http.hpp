// What the route handlers share (internal to the serve module): the
// server's parts, JSON responses, and route registration with the
// bookkeeping every request gets (metrics label, errors as JSON).
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "outbreak/jobs/log.hpp"
#include "outbreak/serve/config.hpp"
#include "outbreak/serve/events.hpp"
#include "outbreak/serve/metrics.hpp"
#include "outbreak/serve/rate_limit.hpp"
#include "outbreak/serve/store_pool.hpp"
#include "outbreak/util/result.hpp"
#include "results.hpp"

namespace outbreak::serve::detail {

// Per-request facts the access log needs after the response is written:
// when routing began, the route pattern, and the bytes an event stream
// wrote. Keyed by the Request's address, which is stable for its life.
class RequestTracker {
 public:
  struct Entry {
    std::chrono::steady_clock::time_point start;
    std::string route = "unmatched";
    std::shared_ptr<std::atomic<std::uint64_t>> streamed;
  };

  void begin(const httplib::Request& request);
  void set_route(const httplib::Request& request, std::string_view route);
  // A counter the request's event stream adds its bytes to.
  std::shared_ptr<std::atomic<std::uint64_t>> stream_counter(const httplib::Request& request);
  // Forgets the request; an entry with start = now if it was never begun
  // (a request rejected before routing).
  Entry end(const httplib::Request& request);

 private:
  std::mutex mu_;
  std::unordered_map<const httplib::Request*, Entry> entries_;
};

// The routes' paths and methods, for answering 405 with an Allow header.
// Filled while the server is configured, read-only once it listens.
class RouteTable {
 public:
  void add(std::string_view method, const std::string& pattern);
  // The methods the routes matching `path` accept, GET with HEAD; empty
  // when no route matches.
  std::vector<std::string> methods_for(const std::string& path) const;

 private:
  struct Entry {
    std::string method;
    std::regex pattern;
  };
  std::vector<Entry> entries_;
};

// Headers every response carries: no framing, no inline script, no
// referrer, no content sniffing.
const httplib::Headers& security_headers();

// The server's parts, for the handlers. Everything is thread-safe.
struct Context {
  const ServerConfig& config;
  jobs::Logger& log;
  Metrics& metrics;
  StorePool& stores;
  RateLimiter& limiter;
  EventHub& events;
  RequestTracker& tracker;
  ResultsCache& results;
  RouteTable& routes;
};

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

// Registers `handler` for `method` ("GET" or "POST") and `pattern` (an
// httplib regex), labelled `route` in metrics and logs. An exception from
// the handler becomes a 500 JSON error, never a stack trace. The responses
// of routes under /api/ get `Vary: Accept-Encoding` and, unless the
// handler set one, `Cache-Control: no-cache` (GET) or `no-store` (POST).
void add_route(httplib::Server& http, Context& context, std::string_view method,
               const std::string& pattern, std::string route, Handler handler);

void send_json(httplib::Response& response, int status, const nlohmann::ordered_json& body);
// An error document, with `Cache-Control: no-store` (replacing any other).
void send_error(httplib::Response& response, int status, std::string_view code,
                std::string_view message, const std::vector<FieldError>& fields = {});
// The response for a store error: 404 not_found, 503 unavailable (kIo),
// 507 (kResource), 409 conflict (kInvalidInput). Any other error is a bug
// or data this binary cannot read: thrown as std::runtime_error, which the
// route's wrapper (add_route) logs and answers with a 500 that says nothing
// more, as docs/api.md promises.
void send_store_error(httplib::Response& response, const Error& error);

// The error code of a bare HTTP status, for responses no handler wrote.
std::string_view code_for_status(int status);

// Time-consuming work shared by handlers: the store, borrowed for one call.
// Sends 503 and returns nullopt when no store can be had.
std::optional<StorePool::Lease> borrow_store(Context& context, httplib::Response& response);

// The job whose id is the route's first match, read with `store`; nullopt
// after sending 404 (no such job, or not an id) or 503.
std::optional<store::SimulationRecord> find_job(const httplib::Request& request,
                                                httplib::Response& response,
                                                StorePool::Lease& store);

void add_api_routes(httplib::Server& http, Context& context);
void add_stream_routes(httplib::Server& http, Context& context);
void add_page_routes(httplib::Server& http, Context& context);
// True when an Accept header asks for text/html (q above 0) and does not
// rank application/json above it: what a browser's address bar sends.
bool prefers_html(std::string_view accept);
// For a request no route matched: a path outside /api/ asked for by a
// browser (prefers_html) gets the 404 page (web/src/404.html) and true;
// anything else false, and keeps its JSON error.
bool send_not_found_page(const httplib::Request& request, httplib::Response& response);
// GET and POST /mail/confirm/{token}: confirming a mail address.
void add_mail_routes(httplib::Server& http, Context& context);

}  // namespace outbreak::serve::detail
