// The JSON API: submit, read and cancel simulations; the scenario's
// parameters.
#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "http.hpp"
#include "outbreak/engine/estimate.hpp"
#include "outbreak/serve/documents.hpp"
#include "outbreak/serve/submission.hpp"
#include "outbreak/serve/trusted_proxies.hpp"
#include "query.hpp"

namespace outbreak::serve::detail {
namespace {

using httplib::Request;
using httplib::Response;

constexpr std::string_view kIdPattern = "([^/]+)";

bool is_json(const Request& request) {
  return is_json_media_type(request.get_header_value("Content-Type"));
}

void send_retry_after(Response& response, std::chrono::milliseconds wait, std::string_view code,
                      std::string_view message) {
  const auto seconds = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil(static_cast<double>(wait.count()) / 1000)));
  response.set_header("Retry-After", std::to_string(seconds));
  send_error(response, 429, code, message);
}

void submit(Context& context, const Request& request, Response& response) {
  if (!is_json(request)) {
    return send_error(response, 415, "unsupported_media_type",
                      "send the submission as Content-Type: application/json");
  }
  if (request.body.size() > context.config.max_body_bytes) {
    return send_error(
        response, 413, "payload_too_large",
        fmt::format("the body may be at most {} bytes", context.config.max_body_bytes));
  }
  const auto wait = context.limiter.take(request.remote_addr, std::chrono::steady_clock::now());
  if (wait.count() > 0) {
    return send_retry_after(
        response, wait, "rate_limited",
        fmt::format("at most {} submissions per minute from one address; try again later",
                    context.config.submissions_per_minute));
  }
  auto simulation = parse_submission(request.body, context.config.limits);
  if (!simulation) {
    const Error& error = simulation.error();
    if (error.fields.empty()) return send_error(response, 400, "invalid_json", error.message);
    return send_error(response, 422, "invalid_scenario", error.message, error.fields);
  }
  auto store = borrow_store(context, response);
  if (!store) return;
  auto counts = (*store)->count_by_status();
  if (!counts) {
    if (counts.error().code == ErrorCode::kIo) store->discard();
    return send_store_error(response, counts.error());
  }
  if (counts->queued >= context.config.max_queued) {
    return send_retry_after(
        response, std::chrono::seconds(30), "queue_full",
        fmt::format("{} simulations are already waiting; try again later", counts->queued));
  }
  if (!context.config.public_url_set && request.has_header("X-Forwarded-Proto") &&
      request.has_header("X-Forwarded-Host")) {
    simulation->link_base = forwarded_link_base(request.get_header_value("X-Forwarded-Proto"),
                                                request.get_header_value("X-Forwarded-Host"));
  }
  auto id = (*store)->enqueue(*simulation, std::chrono::system_clock::now());
  if (!id) {
    if (id.error().code == ErrorCode::kIo) store->discard();
    return send_store_error(response, id.error());
  }
  nlohmann::ordered_json body;
  body["id"] = *id;
  body["status"] = "queued";
  body["links"] = links(*id);
  response.set_header("Location", fmt::format("/api/v1/simulations/{}", *id));
  send_json(response, 201, body);
}

// 200 with the simulation document of `job`, its age totals read with `store`.
void send_simulation(StorePool::Lease& store, const store::SimulationRecord& job,
                     Response& response) {
  auto age_totals = store->age_totals(job.id);
  if (!age_totals) {
    if (age_totals.error().code == ErrorCode::kIo) store.discard();
    return send_store_error(response, age_totals.error());
  }
  auto figures = store->figures(job.id);
  if (!figures) {
    if (figures.error().code == ErrorCode::kIo) store.discard();
    return send_store_error(response, figures.error());
  }
  Result<std::optional<std::int64_t>> position = std::optional<std::int64_t>{};
  if (job.status == store::JobStatus::kQueued) position = store->queue_position(job.id);
  if (!position) {
    if (position.error().code == ErrorCode::kIo) store.discard();
    return send_store_error(response, position.error());
  }
  send_json(response, 200, simulation_document(job, *age_totals, *figures, *position));
}

void show(Context& context, const Request& request, Response& response) {
  auto store = borrow_store(context, response);
  if (!store) return;
  auto job = find_job(request, response, *store);
  if (!job) return;
  send_simulation(*store, *job, response);
}

void cancel(Context& context, const Request& request, Response& response) {
  auto store = borrow_store(context, response);
  if (!store) return;
  auto job = find_job(request, response, *store);
  if (!job) return;
  if (job->status != store::JobStatus::kCancelled) {
    auto cancelled = (*store)->cancel(job->id, std::chrono::system_clock::now());
    if (!cancelled) {
      if (cancelled.error().code == ErrorCode::kIo) store->discard();
      if (cancelled.error().code != ErrorCode::kInvalidInput) {
        return send_store_error(response, cancelled.error());
      }
      return send_error(
          response, 409, "conflict",
          fmt::format("simulation {} has finished; there is nothing to cancel", job->id));
    }
    auto reread = (*store)->get(job->id);
    if (!reread) return send_store_error(response, reread.error());
    job = std::move(reread).value();
  }
  send_simulation(*store, *job, response);
}

// The early R0 and doubling time of a scenario, without simulating
// (engine::estimate); docs/api.md, "Estimate".
void estimate(Context& context, const Request& request, Response& response) {
  if (!is_json(request)) {
    return send_error(response, 415, "unsupported_media_type",
                      "send the scenario as Content-Type: application/json");
  }
  if (request.body.size() > context.config.max_body_bytes) {
    return send_error(
        response, 413, "payload_too_large",
        fmt::format("the body may be at most {} bytes", context.config.max_body_bytes));
  }
  auto scenario = parse_scenario_request(request.body, context.config.limits);
  if (!scenario) {
    const Error& error = scenario.error();
    if (error.fields.empty()) return send_error(response, 400, "invalid_json", error.message);
    return send_error(response, 422, "invalid_scenario", error.message, error.fields);
  }
  const engine::Estimate result = engine::estimate(*scenario);
  const auto optional = [](const std::optional<double>& value) -> nlohmann::ordered_json {
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json body;
  body["r0"] = result.r0;
  body["generation_time_days"] = result.generation_time_days;
  body["growth_rate_per_day"] = optional(result.growth_rate_per_day);
  body["doubling_time_days"] = optional(result.doubling_time_days);
  body["halving_time_days"] = optional(result.halving_time_days);
  send_json(response, 200, body);
}

}  // namespace

void add_api_routes(httplib::Server& http, Context& context) {
  const std::string simulation = fmt::format("/api/v1/simulations/{}", kIdPattern);
  add_route(http, context, "POST", "/api/v1/simulations", "/api/v1/simulations",
            [&context](const Request& request, Response& response) {
              submit(context, request, response);
            });
  add_route(
      http, context, "GET", simulation, "/api/v1/simulations/{id}",
      [&context](const Request& request, Response& response) { show(context, request, response); });
  add_route(http, context, "POST", simulation + "/cancel", "/api/v1/simulations/{id}/cancel",
            [&context](const Request& request, Response& response) {
              cancel(context, request, response);
            });
  add_route(http, context, "GET", "/api/v1/scenario", "/api/v1/scenario",
            [&context](const Request&, Response& response) {
              // Changes only with the server's settings: kept for five minutes.
              response.set_header("Cache-Control", "public, max-age=300");
              send_json(response, 200, scenario_description(context.config.limits));
            });
  add_route(http, context, "POST", "/api/v1/scenario/estimate", "/api/v1/scenario/estimate",
            [&context](const Request& request, Response& response) {
              estimate(context, request, response);
            });
}

}  // namespace outbreak::serve::detail
