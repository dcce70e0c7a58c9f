// The web UI's pages and files, health checks and metrics.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "encoding.hpp"
#include "http.hpp"
#include "outbreak/serve/documents.hpp"
#include "outbreak/store/open.hpp"

#include "outbreak/web/assets.hpp"

namespace outbreak::serve::detail {
namespace {

using httplib::Request;
using httplib::Response;

// The embedded file at `path`, or false when there is none. Files under
// their content-hashed names may be kept for a year; the rest (the pages,
// and the files under their plain names) are revalidated with their ETag.
// The brotli or gzip copy made at build time goes to clients that take it.
bool send_asset(const Request& request, Response& response, std::string_view path,
                int status = 200) {
  const web::Asset* asset = web::find_asset(path);
  if (asset == nullptr) return false;
  // The build's copies only: a file without them goes as it is.
  Coding coding = choose_coding(accept_encoding(request), !asset->brotli.empty());
  if (coding == Coding::kGzip && asset->gzip.empty()) coding = Coding::kIdentity;
  // What is sent is final: httplib must not compress it again.
  let_httplib_compress(request, false);
  std::string etag(asset->etag);
  if (coding == Coding::kGzip) etag.insert(etag.size() - 1, "-gzip");
  if (coding == Coding::kBrotli) etag.insert(etag.size() - 1, "-br");
  response.set_header("ETag", etag);
  response.set_header("Cache-Control",
                      asset->immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (!asset->gzip.empty() || !asset->brotli.empty()) {
    response.set_header("Vary", "Accept-Encoding");
  }
  if (status == 200 && request.has_header("If-None-Match") &&
      none_match(request.get_header_value("If-None-Match"), etag)) {
    response.status = 304;
    return true;
  }
  const std::string_view body = coding == Coding::kGzip     ? asset->gzip
                                : coding == Coding::kBrotli ? asset->brotli
                                                            : asset->body;
  response.status = status;
  response.body.assign(body.data(), body.size());
  response.set_header("Content-Type", std::string(asset->content_type));
  if (coding == Coding::kGzip) response.set_header("Content-Encoding", "gzip");
  if (coding == Coding::kBrotli) response.set_header("Content-Encoding", "br");
  return true;
}

void page(const Request& request, Response& response, std::string_view path, int status = 200) {
  if (!send_asset(request, response, path, status)) {
    send_error(response, 404, "not_found", fmt::format("no web UI file {}", path));
  }
}

// The results page, with status 404 (but the same page, which says so)
// when the simulation does not exist.
void simulation_page(Context& context, const Request& request, Response& response) {
  const std::string id = request.matches[1];
  int status = 404;
  if (is_simulation_id(id)) {
    auto store = borrow_store(context, response);
    if (!store) return;
    auto job = (*store)->get(id);
    if (job) {
      status = 200;
    } else if (job.error().code != ErrorCode::kNotFound) {
      if (job.error().code == ErrorCode::kIo) store->discard();
      return send_store_error(response, job.error());
    }
  }
  page(request, response, "/simulation.html", status);
}

// Ready when a new connection to the database works, it has the tables and
// a write commits (not so on a full disk):
// a fresh connection, not a pooled one, so that a database that went away
// is noticed even while pooled connections linger (an unlinked SQLite
// file, a dropped PostgreSQL database).
void ready(Context& context, Response& response) {
  auto store = store::open_store(context.stores.url());
  Result<int> version = store ? (*store)->schema_version() : Result<int>(store.error());
  if (!version) {
    return send_error(response, 503, "unavailable",
                      "the database is not reachable: " + version.error().message);
  }
  if (*version == 0) {
    return send_error(response, 503, "unavailable", "the database has no outbreak tables");
  }
  // Reachable is not enough: a full disk refuses every submission.
  if (Status writable = (*store)->check_writable(); !writable) {
    return send_error(response, 503, "unavailable",
                      "the database cannot store anything: " + writable.error().message);
  }
  send_json(response, 200, {{"status", "ready"}});
}

void metrics(Context& context, Response& response) {
  LiveValues live;
  live.event_streams = context.events.open_streams();
  live.event_watchers = context.events.watchers();
  live.event_buffer_bytes = context.events.buffered_bytes();
  if (auto store = context.stores.borrow()) {
    auto counts = (*store)->count_by_status();
    if (counts) {
      live.jobs = *counts;
    } else if (counts.error().code == ErrorCode::kIo) {
      store->discard();
    }
  }
  response.status = 200;
  response.body = context.metrics.render(live);
  response.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The q of one media range ("text/html;level=1;q=0.8"); 1 without one, 0
// when it cannot be read.
double quality(std::string_view params) {
  while (!params.empty()) {
    const std::size_t semicolon = params.find(';');
    const std::string_view param = trim(params.substr(0, semicolon));
    params = semicolon == std::string_view::npos ? "" : params.substr(semicolon + 1);
    if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
    try {
      return std::stod(std::string(param.substr(2)));
    } catch (const std::exception&) {
      return 0;
    }
  }
  return 1;
}

}  // namespace

bool prefers_html(std::string_view accept) {
  double html = 0;
  double json = 0;
  while (!accept.empty()) {
    const std::size_t comma = accept.find(',');
    const std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? "" : accept.substr(comma + 1);
    const std::size_t semicolon = range.find(';');
    const std::string type = lower(trim(range.substr(0, semicolon)));
    const double q = semicolon == std::string_view::npos ? 1 : quality(range.substr(semicolon + 1));
    if (type == "text/html") html = std::max(html, q);
    if (type == "application/json") json = std::max(json, q);
  }
  return html > 0 && json <= html;
}

bool send_not_found_page(const Request& request, Response& response) {
  const std::string_view path = request.path;
  if (path == "/api" || path.starts_with("/api/")) return false;
  if (!prefers_html(request.get_header_value("Accept"))) return false;
  return send_asset(request, response, "/404.html", 404);
}

void add_page_routes(httplib::Server& http, Context& context) {
  add_route(http, context, "GET", "/healthz", "/healthz", [](const Request&, Response& response) {
    send_json(response, 200, {{"status", "ok"}});
  });
  add_route(http, context, "GET", "/readyz", "/readyz",
            [&context](const Request&, Response& response) { ready(context, response); });
  add_route(http, context, "GET", "/metrics", "/metrics",
            [&context](const Request&, Response& response) { metrics(context, response); });
  add_route(http, context, "GET", "/", "/", [](const Request& request, Response& response) {
    page(request, response, "/index.html");
  });
  add_route(
      http, context, "GET", "/compare", "/compare",
      [](const Request& request, Response& response) { page(request, response, "/compare.html"); });
  add_route(http, context, "GET", "/simulations/([^/]+)", "/simulations/{id}",
            [&context](const Request& request, Response& response) {
              simulation_page(context, request, response);
            });
  add_route(http, context, "GET", "/assets/.+", "/assets/{path}",
            [](const Request& request, Response& response) {
              if (!send_asset(request, response, request.path)) {
                send_error(response, 404, "not_found", fmt::format("no file {}", request.path));
              }
            });
}

}  // namespace outbreak::serve::detail
