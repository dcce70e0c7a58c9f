// Metrics: the counters behind GET /metrics, in the Prometheus text
// exposition format (version 0.0.4).
//
// The server feeds HTTP counters and the in-process workers feed simulated
// agent-days; the job gauges come from the store at scrape time (so they
// cover every worker on the database, not only this process's). Other
// modules add their own families through add_source().
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "outbreak/store/store.hpp"

namespace outbreak::serve {

// Values read when /metrics is asked for.
struct LiveValues {
  std::optional<store::StatusCounts> jobs;  // nullopt: the database did not answer
  std::int64_t event_streams = 0;           // open event streams
  std::int64_t event_watchers = 0;          // simulations being watched
  std::int64_t event_buffer_bytes = 0;      // event text the watchers hold
};

class Metrics {
 public:
  // Upper bounds of the request duration histogram, in seconds.
  static constexpr std::array<double, 11> kDurationBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                              0.5,   1,    2.5,   5,    10};

  // One answered request. `route` is the pattern ("/api/v1/simulations/{id}"),
  // never the raw path, so that the number of series stays bounded; methods
  // other than the usual ones count as "other". Thread-safe.
  void observe_request(std::string_view route, std::string_view method, int status,
                       std::chrono::duration<double> duration);

  // Agent-days just stored by an in-process worker. Thread-safe, lock-free.
  void add_agent_days(std::int64_t agent_days) { agent_days_.fetch_add(agent_days); }
  // One poll of the store by an event watcher. Thread-safe, lock-free.
  void add_event_poll() { event_polls_.fetch_add(1); }
  // One connection the connection gate refused before routing (431, 408,
  // 429 too_many_connections), by its error code. Thread-safe.
  void add_refusal(int status, std::string_view code);

  // Adds a writer of further metric families (complete with # HELP and
  // # TYPE lines), called on every scrape; e.g. the mail sender's counters.
  // `source` must be thread-safe and outlive this object. Thread-safe.
  void add_source(std::function<void(std::string& out)> source);

  // The whole exposition. Thread-safe.
  std::string render(const LiveValues& live) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kDurationBuckets.size()> buckets{};  // not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  void render_http(std::string& out) const;

  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> durations_;
  std::map<std::pair<int, std::string>, std::uint64_t> refusals_;
  std::vector<std::function<void(std::string&)>> sources_;
  std::atomic<std::int64_t> agent_days_{0};
  std::atomic<std::int64_t> event_polls_{0};
};

// `value` as a Prometheus label value: backslash, double quote and newline
// escaped.
std::string escape_label(std::string_view value);

}  // namespace outbreak::serve
