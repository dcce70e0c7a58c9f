// The web UI's pages and files, health checks and metrics.
#include <fmt/format.h>

#include "http.hpp"
#include "outbreak/serve/documents.hpp"
#include "outbreak/store/open.hpp"

#include "outbreak/web/assets.hpp"

namespace outbreak::serve::detail {
namespace {

using httplib::Request;
using httplib::Response;

// The embedded file at `path`, or false when there is none.
bool send_asset(Response& response, std::string_view path, int status = 200) {
  if (const web::Asset* asset = web::find_asset(path)) {
    response.status = status;
    response.body.assign(asset->body.data(), asset->body.size());
    response.set_header("Content-Type", std::string(asset->content_type));
    // No fingerprints in the file names: browsers must revalidate.
    response.set_header("Cache-Control", "no-cache");
    return true;
  }
  return false;
}

void page(Response& response, std::string_view path, int status = 200) {
  if (!send_asset(response, path, status)) {
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
  page(response, "/simulation.html", status);
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

}  // namespace

void add_page_routes(httplib::Server& http, Context& context) {
  add_route(http, context, "GET", "/healthz", "/healthz", [](const Request&, Response& response) {
    send_json(response, 200, {{"status", "ok"}});
  });
  add_route(http, context, "GET", "/readyz", "/readyz",
            [&context](const Request&, Response& response) { ready(context, response); });
  add_route(http, context, "GET", "/metrics", "/metrics",
            [&context](const Request&, Response& response) { metrics(context, response); });
  add_route(http, context, "GET", "/", "/",
            [](const Request&, Response& response) { page(response, "/index.html"); });
  add_route(http, context, "GET", "/compare", "/compare",
            [](const Request&, Response& response) { page(response, "/compare.html"); });
  add_route(http, context, "GET", "/simulations/([^/]+)", "/simulations/{id}",
            [&context](const Request& request, Response& response) {
              simulation_page(context, request, response);
            });
  add_route(http, context, "GET", "/assets/.+", "/assets/{path}",
            [](const Request& request, Response& response) {
              if (!send_asset(response, request.path)) {
                send_error(response, 404, "not_found", fmt::format("no file {}", request.path));
              }
            });
}

}  // namespace outbreak::serve::detail
