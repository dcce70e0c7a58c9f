#include "outbreak/serve/server.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <exception>

#include <fmt/format.h>

#include "encoding.hpp"
#include "gate.hpp"
#include "gated_server.hpp"
#include "http.hpp"
#include "outbreak/serve/documents.hpp"
#include "outbreak/serve/events.hpp"
#include "outbreak/serve/rate_limit.hpp"
#include "outbreak/serve/store_pool.hpp"

namespace outbreak::serve {

using detail::Context;
using detail::RequestTracker;

namespace {

// A request with neither Content-Length nor chunked Transfer-Encoding has
// no body (RFC 9112, 6.3), but httplib would wait for one until the read
// timeout on POST, PUT, PATCH and DELETE. Saying so makes it read none.
void assume_no_body(const httplib::Request& request) {
  if (request.method != "POST" && request.method != "PUT" && request.method != "PATCH" &&
      request.method != "DELETE") {
    return;
  }
  if (request.has_header("Content-Length")) return;
  std::string coding = request.get_header_value("Transfer-Encoding");
  std::transform(coding.begin(), coding.end(), coding.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (coding.find("chunked") != std::string::npos) return;
  auto& headers = const_cast<httplib::Headers&>(request.headers);
  headers.emplace("Content-Length", "0");
}

const char* reason_phrase(int status) {
  switch (status) {
    case 408:
      return "Request Timeout";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Bad Request";
  }
}

// The whole response with which the gate refuses a connection: the usual
// JSON error document and headers, and the connection closes after it.
std::string refusal_response(int status, std::string_view code, std::string_view message) {
  std::string body = error_document(code, message, {}).dump();
  body += '\n';
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\nCache-Control: no-store\r\n",
      status, reason_phrase(status), body.size());
  for (const auto& [name, value] : detail::security_headers()) {
    out += fmt::format("{}: {}\r\n", name, value);
  }
  out += "\r\n";
  out += body;
  return out;
}

detail::GateOptions gate_options(const ServerConfig& config) {
  detail::GateOptions options;
  options.head.max_bytes = config.max_head_bytes;
  options.head.max_headers = static_cast<std::size_t>(config.max_headers);
  options.head_timeout = config.head_timeout;
  options.keep_alive_timeout = config.keep_alive_timeout;
  options.max_connections_per_client = static_cast<std::size_t>(config.max_connections_per_client);
  options.trusted_proxies = config.trusted_proxies;
  return options;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

}  // namespace

// Rendered results of finished jobs kept in memory (about a thousand
// 365-day documents); larger documents are streamed from the store on
// every request instead of being held.
constexpr std::size_t kResultsCacheBytes = 64 << 20;
constexpr std::size_t kResultsCacheEntryBytes = 2 << 20;

struct Server::Impl {
  Impl(const ServerConfig& config_in, jobs::Logger& log_in, std::unique_ptr<StorePool> stores_in)
      : config(config_in),
        log(log_in),
        stores(std::move(stores_in)),
        limiter(config.submissions_per_minute),
        events(*stores, metrics, log,
               EventOptions{config.event_poll, config.event_keepalive, config.max_streams,
                            config.stream_buffer_bytes}),
        results(kResultsCacheBytes, kResultsCacheEntryBytes),
        context{config, log, metrics, *stores, limiter, events, tracker, results, routes},
        http(config.body_timeout) {}

  void configure();
  void access_log(const httplib::Request& request, const httplib::Response& response);

  const ServerConfig config;
  jobs::Logger& log;
  Metrics metrics;
  std::unique_ptr<StorePool> stores;
  RateLimiter limiter;
  EventHub events;
  RequestTracker tracker;
  detail::ResultsCache results;
  detail::RouteTable routes;
  Context context;
  detail::GatedServer http;  // after everything its handlers use, so destroyed first
  // Request threads, while run() runs; the gate hands complete heads to them.
  std::unique_ptr<httplib::ThreadPool> pool;
  std::unique_ptr<detail::Gate> gate;
  int port = 0;
  std::atomic<bool> stopping{false};
};

namespace {

// The path as the access log shows it: a mail confirmation link carries a
// secret token (anyone who has it can confirm the address), so the token is
// left out, as it is kept out of caches and referrers.
std::string loggable_path(const std::string& path) {
  constexpr std::string_view kConfirm = "/mail/confirm/";
  if (path.starts_with(kConfirm) && path.size() > kConfirm.size()) {
    return std::string(kConfirm) + "***";
  }
  return path;
}

}  // namespace

void Server::Impl::access_log(const httplib::Request& request, const httplib::Response& response) {
  const RequestTracker::Entry entry = tracker.end(request);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - entry.start;
  metrics.observe_request(entry.route, request.method, response.status, elapsed);
  const std::uint64_t bytes = entry.streamed != nullptr
                                  ? entry.streamed->load()
                                  : static_cast<std::uint64_t>(response.body.size());
  log.info("http_request", {{"method", request.method},
                            {"path", loggable_path(request.path)},
                            {"route", entry.route},
                            {"status", std::to_string(response.status)},
                            {"duration_ms", fmt::format("{:.3f}", elapsed.count() * 1000)},
                            {"bytes", std::to_string(bytes)},
                            {"remote", request.remote_addr}});
}

void Server::Impl::configure() {
  http.set_payload_max_length(config.max_body_bytes);
  // Only for the Keep-Alive response header: the gate closes idle
  // connections and counts the requests on each.
  http.set_keep_alive_timeout(
      static_cast<time_t>((config.keep_alive_timeout.count() + 999) / 1000));
  http.set_keep_alive_max_count(detail::GateOptions{}.max_requests_per_connection);
  http.set_default_headers(detail::security_headers());
  http.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response&) {
    tracker.begin(request);
    assume_no_body(request);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Responses no handler wrote (no route, a body over the limit, a request
  // httplib refused) get a JSON error too.
  http.set_error_handler(httplib::Server::HandlerWithResponse(
      [this, max_body = config.max_body_bytes](const httplib::Request& request,
                                               httplib::Response& response) {
        detail::compress_as_chosen(request, response);
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        // A route that exists, asked with a method it does not take: httplib
        // says 404 (400 for a method it has no handlers for at all).
        if (response.status == 404 || response.status == 400) {
          const std::vector<std::string> allowed = routes.methods_for(request.path);
          if (!allowed.empty() &&
              std::find(allowed.begin(), allowed.end(), request.method) == allowed.end()) {
            response.set_header("Allow", joined(allowed));
            detail::send_error(response, 405, "method_not_allowed",
                               fmt::format("{} is not allowed on {}; it takes {}", request.method,
                                           request.path, joined(allowed)));
            return httplib::Server::HandlerResponse::Handled;
          }
        }
        // A browser that follows a bad link gets a page, not JSON.
        if (response.status == 404 && detail::send_not_found_page(request, response)) {
          return httplib::Server::HandlerResponse::Handled;
        }
        const std::string_view code = detail::code_for_status(response.status);
        std::string message = fmt::format("the request was refused ({})", response.status);
        if (response.status == 404) message = "no such resource; see docs/api.md for the routes";
        if (response.status == 413)
          message = fmt::format("the body may be at most {} bytes", max_body);
        detail::send_error(response, response.status, code, message);
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_exception_handler([this](const httplib::Request& request, httplib::Response& response,
                                    std::exception_ptr error) {
    detail::compress_as_chosen(request, response);
    std::string what = "unknown exception";
    try {
      if (error) std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log.error("http_handler_failed", {{"error", what}});
    detail::send_error(response, 500, "internal", "an internal error occurred; it has been logged");
  });
  http.set_logger([this](const httplib::Request& request, const httplib::Response& response) {
    access_log(request, response);
  });
  detail::add_api_routes(http, context);
  detail::add_stream_routes(http, context);
  detail::add_page_routes(http, context);
  detail::add_mail_routes(http, context);
}

Result<std::unique_ptr<Server>> Server::create(const ServerConfig& config, jobs::Logger& log) {
  if (Status checked = check(config); !checked) return checked.error();
  auto stores = StorePool::open(config.database_url, config.store_connections);
  if (!stores) return stores.error();
  auto impl = std::make_unique<Impl>(config, log, std::move(stores).value());
  impl->configure();
  auto listener = detail::open_listener(config.host, config.port);
  if (!listener) {
    return Error::make(ErrorCode::kIo,
                       fmt::format("cannot listen on {}:{} (in use, or not an "
                                   "address of this machine): {}",
                                   config.host, config.port, listener.error().message));
  }
  impl->port = listener->port;
  impl->http.set_serving(listener->fd);
  Impl* parts = impl.get();
  impl->gate = std::make_unique<detail::Gate>(
      *listener, gate_options(config),
      [parts](int status, std::string_view code, std::string_view message) {
        parts->metrics.add_refusal(status, code);
        return refusal_response(status, code, message);
      },
      [parts](detail::Arrival arrival) {
        parts->pool->enqueue([parts, arrival = std::move(arrival)] {
          const bool keep_alive = parts->http.serve(arrival);
          parts->gate->give_back(arrival.id, keep_alive);
        });
      },
      log);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() = default;

int Server::port() const { return impl_->port; }

std::string Server::url() const {
  const bool ipv6 = impl_->config.host.find(':') != std::string::npos;
  return ipv6 ? fmt::format("http://[{}]:{}", impl_->config.host, impl_->port)
              : fmt::format("http://{}:{}", impl_->config.host, impl_->port);
}

Metrics& Server::metrics() { return impl_->metrics; }

Status Server::run() {
  Impl& impl = *impl_;
  // Each open event stream holds a request thread for its whole life, so
  // the pool is sized for the stream cap plus the ordinary requests.
  impl.pool = std::make_unique<httplib::ThreadPool>(
      static_cast<std::size_t>(impl.config.effective_http_threads()));
  Status ran = impl.gate->run();
  if (!ran) {
    impl.stopping.store(true);
    impl.events.shutdown();
    impl.http.clear_serving();
  }
  // Requests in flight finish (streams end with the event hub) and give
  // their connections back; then every connection is closed.
  impl.pool->shutdown();
  impl.pool.reset();
  impl.gate->close_all();
  if (!ran)
    return Error::make(ErrorCode::kIo,
                       fmt::format("serving on {} failed: {}", url(), ran.error().message));
  return Ok{};
}

void Server::stop() {
  impl_->stopping.store(true);
  impl_->events.shutdown();
  impl_->http.clear_serving();
  impl_->gate->stop();
}

}  // namespace outbreak::serve
