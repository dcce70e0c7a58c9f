// Server-sent events of running simulations (GET /api/v1/simulations/{id}/events).
//
// One watcher per simulation being viewed, shared by all its viewers: it
// polls the store (the job with get(), new days with results() of the
// replicates that advanced) every EventOptions::poll and appends events,
// formatted once, to an in-memory log. Each viewer (an EventStream) blocks
// until the log grows and sends what it has not sent yet, so a thousand
// viewers of one job cost one poll per interval. The watcher starts with the
// first viewer and stops after the last one leaves, or once the job has
// reached a final status.
//
// A stream sends, in order:
//   - while the job is not finished: a `status` event with its status now;
//   - every stored day (after the resume point, if any), as `day` events
//     with ids "r:d" (replicate 1-based, day), in (replicate, day) order;
//   - new days as they are stored, and a `status` event on each change;
//   - a final status (succeeded, failed, cancelled) as the very last event,
//     after which the stream ends. A job that had already finished gets its
//     days and then its final status.
// An idle stream gets a ": keep-alive" comment every EventOptions::keepalive.
#pragma once

#include <atomic>
#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "outbreak/engine/day_totals.hpp"
#include "outbreak/jobs/log.hpp"
#include "outbreak/serve/metrics.hpp"
#include "outbreak/serve/store_pool.hpp"
#include "outbreak/store/store.hpp"

namespace outbreak::serve {

struct EventOptions {
  std::chrono::milliseconds poll{200};
  std::chrono::milliseconds keepalive{15'000};
  int max_streams = 256;  // open() refuses more
};

// A day's place in a job: the replicate (0-based) and the day.
struct DayKey {
  std::int64_t replicate = -1;
  std::int64_t day = -1;
  auto operator<=>(const DayKey&) const = default;
};

// The SSE id of a day: "r:d" with r 1-based.
std::string event_id(DayKey key);
// The inverse of event_id (a Last-Event-ID); nullopt for anything else.
std::optional<DayKey> parse_event_id(std::string_view text);

// The complete SSE text of one event (ending with a blank line).
std::string day_event(std::int64_t replicate, const engine::DayTotals& totals);
std::string status_event(const store::SimulationRecord& job);

class Feed;  // one watched simulation (events.cpp)

// One viewer. Not thread-safe: one request thread reads it.
class EventStream {
 public:
  EventStream(std::shared_ptr<Feed> feed, std::optional<DayKey> after,
              std::chrono::milliseconds keepalive, std::atomic<std::int64_t>& open_streams);
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;
  ~EventStream();

  // Blocks until there is something to send, the keep-alive interval
  // passes, or the hub shuts down; appends the text to send to `out`.
  // Returns whether the stream goes on after `out`: false after the final
  // status and at shutdown.
  bool next(std::string& out);

 private:
  void append_backlog(std::string& out, std::size_t end) const;

  std::shared_ptr<Feed> feed_;
  std::optional<DayKey> after_;  // resume after this day
  std::chrono::milliseconds keepalive_;
  std::atomic<std::int64_t>& open_streams_;
  std::size_t next_ = 0;  // first log entry not yet looked at
  bool started_ = false;
  bool done_ = false;
};

class EventHub {
 public:
  // All references must outlive the hub and every stream it opened.
  EventHub(StorePool& stores, Metrics& metrics, jobs::Logger& log, EventOptions options);
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;
  ~EventHub();  // shutdown()

  // A stream of simulation `id` (which the caller has checked exists),
  // resuming after `after` if given. nullptr when max_streams are open or
  // after shutdown(). Thread-safe.
  std::unique_ptr<EventStream> open(const std::string& id, std::optional<DayKey> after);

  // Ends every stream (their next() returns false) and refuses new ones.
  // Thread-safe; idempotent.
  void shutdown();

  // Whether shutdown() has been called. Thread-safe.
  bool shut_down() const;
  std::int64_t open_streams() const { return open_streams_.load(); }
  // Simulations with a live watcher. Thread-safe.
  std::int64_t watchers() const;

 private:
  StorePool& stores_;
  Metrics& metrics_;
  jobs::Logger& log_;
  EventOptions options_;
  std::atomic<std::int64_t> open_streams_{0};
  mutable std::mutex mu_;
  bool shut_down_ = false;
  std::map<std::string, std::weak_ptr<Feed>> feeds_;
};

}  // namespace outbreak::serve
