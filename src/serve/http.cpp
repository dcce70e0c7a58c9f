#include "http.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>

#include <fmt/format.h>

#include "encoding.hpp"
#include "outbreak/serve/documents.hpp"

namespace outbreak::serve::detail {

void RequestTracker::begin(const httplib::Request& request) {
  const std::lock_guard lock(mu_);
  entries_[&request] = Entry{std::chrono::steady_clock::now(), "unmatched", nullptr};
}

void RequestTracker::set_route(const httplib::Request& request, std::string_view route) {
  const std::lock_guard lock(mu_);
  entries_[&request].route = std::string(route);
}

std::shared_ptr<std::atomic<std::uint64_t>> RequestTracker::stream_counter(
    const httplib::Request& request) {
  const std::lock_guard lock(mu_);
  auto& counter = entries_[&request].streamed;
  if (counter == nullptr) counter = std::make_shared<std::atomic<std::uint64_t>>(0);
  return counter;
}

RequestTracker::Entry RequestTracker::end(const httplib::Request& request) {
  const std::lock_guard lock(mu_);
  const auto it = entries_.find(&request);
  if (it == entries_.end()) return Entry{std::chrono::steady_clock::now(), "unmatched", nullptr};
  Entry entry = std::move(it->second);
  entries_.erase(it);
  return entry;
}

void RouteTable::add(std::string_view method, const std::string& pattern) {
  entries_.push_back({std::string(method), std::regex(pattern)});
}

std::vector<std::string> RouteTable::methods_for(const std::string& path) const {
  std::vector<std::string> methods;
  const auto add = [&methods](const std::string& method) {
    if (std::find(methods.begin(), methods.end(), method) == methods.end()) {
      methods.push_back(method);
    }
  };
  for (const Entry& entry : entries_) {
    if (!std::regex_match(path, entry.pattern)) continue;
    add(entry.method);
    if (entry.method == "GET") add("HEAD");
  }
  return methods;
}

const httplib::Headers& security_headers() {
  static const httplib::Headers headers = {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'self'"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Content-Type-Options", "nosniff"},
  };
  return headers;
}

void send_json(httplib::Response& response, int status, const nlohmann::ordered_json& body) {
  response.status = status;
  // Strings that are not valid UTF-8 (an old record, say) must not throw.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.body += '\n';
  response.set_header("Content-Type", "application/json");
}

void send_error(httplib::Response& response, int status, std::string_view code,
                std::string_view message, const std::vector<FieldError>& fields) {
  // An error is never kept by a browser, proxy or CDN: the next try may
  // well succeed.
  response.headers.erase("Cache-Control");
  response.headers.erase("ETag");
  response.set_header("Cache-Control", "no-store");
  send_json(response, status, error_document(code, message, fields));
}

void send_store_error(httplib::Response& response, const Error& error) {
  switch (error.code) {
    case ErrorCode::kNotFound:
    case ErrorCode::kLeaseLost:
      return send_error(response, 404, "not_found", error.message);
    case ErrorCode::kIo:
      response.set_header("Retry-After", "5");
      return send_error(response, 503, "unavailable",
                        "the database is not reachable right now; try again shortly");
    case ErrorCode::kResource:
      response.set_header("Retry-After", "60");
      return send_error(response, 507, "insufficient_storage",
                        "the database has no space left to store this; try again once space "
                        "has been freed");
    case ErrorCode::kInvalidInput:
      return send_error(response, 409, "conflict", error.message);
    default:
      // A bug or data this binary cannot read: the details go to the log,
      // through the server's exception handler, never into the response.
      throw std::runtime_error(error.message);
  }
}

std::string_view code_for_status(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "payload_too_large";
    case 414:
      return "uri_too_long";
    case 415:
      return "unsupported_media_type";
    case 416:
      return "range_not_satisfiable";
    case 429:
      return "rate_limited";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "internal" : "bad_request";
  }
}

std::optional<StorePool::Lease> borrow_store(Context& context, httplib::Response& response) {
  auto lease = context.stores.borrow();
  if (!lease) {
    send_store_error(response, lease.error());
    return std::nullopt;
  }
  return std::move(lease).value();
}

std::optional<store::SimulationRecord> find_job(const httplib::Request& request,
                                                httplib::Response& response,
                                                StorePool::Lease& store) {
  const std::string id = request.matches[1];
  if (!is_simulation_id(id)) {
    send_error(response, 404, "not_found", fmt::format("no simulation with id {}", id));
    return std::nullopt;
  }
  auto job = store->get(id);
  if (!job) {
    if (job.error().code == ErrorCode::kIo) store.discard();
    send_store_error(response, job.error());
    return std::nullopt;
  }
  return std::move(job).value();
}

void add_route(httplib::Server& http, Context& context, std::string_view method,
               const std::string& pattern, std::string route, Handler handler) {
  const bool api = route.starts_with("/api/");
  auto wrapped = [&context, api, post = method == "POST", route = std::move(route),
                  handler = std::move(handler)](const httplib::Request& request,
                                                httplib::Response& response) {
    context.tracker.set_route(request, route);
    try {
      handler(request, response);
      // API responses say how they may be kept unless the route did: the
      // answer to a POST not at all, that to a GET only if revalidated.
      // httplib compresses JSON for clients that accept gzip, so a cache
      // must tell them apart.
      if (api && !response.has_header("Cache-Control")) {
        response.set_header("Cache-Control", post ? "no-store" : "no-cache");
      }
      if (api && !response.has_header("Vary")) response.set_header("Vary", "Accept-Encoding");
      compress_as_chosen(request, response);
    } catch (const std::exception& e) {
      context.log.error("http_handler_failed", {{"route", route}, {"error", e.what()}});
      response = httplib::Response();
      response.headers = security_headers();
      send_error(response, 500, "internal", "an internal error occurred; it has been logged");
    } catch (...) {
      context.log.error("http_handler_failed", {{"route", route}, {"error", "unknown exception"}});
      response = httplib::Response();
      response.headers = security_headers();
      send_error(response, 500, "internal", "an internal error occurred; it has been logged");
    }
  };
  context.routes.add(method, pattern);
  if (method == "POST") {
    http.Post(pattern, std::move(wrapped));
  } else {
    http.Get(pattern, std::move(wrapped));
  }
}

}  // namespace outbreak::serve::detail
