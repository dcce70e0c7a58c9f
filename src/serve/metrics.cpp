#include "outbreak/serve/metrics.hpp"

#include <iterator>

#include <fmt/format.h>

namespace outbreak::serve {
namespace {

constexpr std::array<std::string_view, 7> kMethods = {"GET",    "HEAD",    "POST", "PUT",
                                                      "DELETE", "OPTIONS", "PATCH"};

std::string_view known_method(std::string_view method) {
  for (std::string_view known : kMethods) {
    if (method == known) return known;
  }
  return "other";
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void sample(std::string& out, std::string_view name, std::int64_t value) {
  fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
}

void render_jobs(std::string& out, const store::StatusCounts& jobs) {
  family(out, "outbreak_jobs", "gauge", "Simulation jobs in the database, by status.");
  for (const auto status :
       {store::JobStatus::kQueued, store::JobStatus::kRunning, store::JobStatus::kSucceeded,
        store::JobStatus::kFailed, store::JobStatus::kCancelled}) {
    fmt::format_to(std::back_inserter(out), "outbreak_jobs{{status=\"{}\"}} {}\n",
                   store::to_string(status), jobs.of(status));
  }
  family(out, "outbreak_queue_depth", "gauge", "Jobs waiting for a worker (status queued).");
  sample(out, "outbreak_queue_depth", jobs.queued);
  family(out, "outbreak_jobs_finished_total", "counter",
         "Jobs that ended succeeded, failed or cancelled, counted in the database (all workers); "
         "a retry takes one back.");
  sample(out, "outbreak_jobs_finished_total", jobs.succeeded + jobs.failed + jobs.cancelled);
  family(out, "outbreak_jobs_failed_total", "counter",
         "Jobs that ended failed, counted in the database (all workers); a retry takes one back.");
  sample(out, "outbreak_jobs_failed_total", jobs.failed);
}

}  // namespace

std::string escape_label(std::string_view value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Metrics::observe_request(std::string_view route, std::string_view method, int status,
                              std::chrono::duration<double> duration) {
  const double seconds = duration.count();
  std::size_t bucket = 0;
  while (bucket < kDurationBuckets.size() && seconds > kDurationBuckets[bucket]) ++bucket;
  const std::lock_guard lock(mu_);
  ++requests_[{std::string(route), std::string(known_method(method)), status}];
  Histogram& histogram = durations_[std::string(route)];
  if (bucket < kDurationBuckets.size()) ++histogram.buckets[bucket];
  ++histogram.count;
  histogram.sum += seconds;
}

void Metrics::add_source(std::function<void(std::string& out)> source) {
  const std::lock_guard lock(mu_);
  sources_.push_back(std::move(source));
}

void Metrics::add_refusal(int status, std::string_view code) {
  const std::lock_guard lock(mu_);
  ++refusals_[{status, std::string(code)}];
}

void Metrics::render_http(std::string& out) const {
  family(out, "outbreak_http_requests_total", "counter",
         "HTTP requests answered, by route pattern, method and status.");
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    fmt::format_to(std::back_inserter(out),
                   "outbreak_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                   escape_label(route), method, status, count);
  }
  family(out, "outbreak_http_refused_total", "counter",
         "Connections refused before routing (request head too large or too slow, too many "
         "connections from one address), by status and error code.");
  for (const auto& [key, count] : refusals_) {
    fmt::format_to(std::back_inserter(out),
                   "outbreak_http_refused_total{{status=\"{}\",code=\"{}\"}} {}\n", key.first,
                   escape_label(key.second), count);
  }
  family(out, "outbreak_http_request_duration_seconds", "histogram",
         "Time from routing a request to the end of its response (for event streams: the "
         "stream's life), by route pattern.");
  for (const auto& [route, histogram] : durations_) {
    const std::string label = escape_label(route);
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < kDurationBuckets.size(); ++b) {
      cumulative += histogram.buckets[b];
      fmt::format_to(std::back_inserter(out),
                     "outbreak_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                     label, kDurationBuckets[b], cumulative);
    }
    fmt::format_to(std::back_inserter(out),
                   "outbreak_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n"
                   "outbreak_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n"
                   "outbreak_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                   label, histogram.count, label, histogram.sum, label, histogram.count);
  }
}

std::string Metrics::render(const LiveValues& live) const {
  std::string out;
  family(out, "outbreak_database_up", "gauge",
         "Whether the database answered this scrape (1) or not (0).");
  sample(out, "outbreak_database_up", live.jobs ? 1 : 0);
  if (live.jobs) render_jobs(out, *live.jobs);
  family(out, "outbreak_agent_days_simulated_total", "counter",
         "Agent-days (agents times days) simulated and stored by this process's workers.");
  sample(out, "outbreak_agent_days_simulated_total", agent_days_.load());
  family(out, "outbreak_event_streams", "gauge", "Open event streams.");
  sample(out, "outbreak_event_streams", live.event_streams);
  family(out, "outbreak_event_watchers", "gauge",
         "Simulations whose events are being watched; one store poll per interval each.");
  sample(out, "outbreak_event_watchers", live.event_watchers);
  family(out, "outbreak_event_buffer_bytes", "gauge",
         "Event text held by the watchers (each at most OUTBREAK_STREAM_BUFFER_BYTES plus one "
         "replicate's days).");
  sample(out, "outbreak_event_buffer_bytes", live.event_buffer_bytes);
  family(out, "outbreak_event_polls_total", "counter", "Store polls by event watchers.");
  sample(out, "outbreak_event_polls_total", event_polls_.load());
  std::vector<std::function<void(std::string&)>> sources;
  {
    const std::lock_guard lock(mu_);
    render_http(out);
    sources = sources_;  // called without the lock: a slow source must not block requests
  }
  for (const auto& source : sources) source(out);
  return out;
}

}  // namespace outbreak::serve
