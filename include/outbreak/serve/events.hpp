// Server-sent events of running simulations (GET /api/v1/simulations/{id}/events).
//
// One watcher per simulation being viewed, shared by all its viewers: it
// polls the store (the job with get(), new days with results() of the
// replicates that advanced) every EventOptions::poll and appends events,
// formatted once, to an in-memory log of the newest events, at most
// EventOptions::buffer_bytes (older ones are dropped from it). Each viewer
// (an EventStream) first reads the days it has not seen and the log no
// longer holds from the store itself, one replicate at a time, then follows
// the log, so a thousand viewers of one running job cost one poll per
// interval. A viewer that falls behind the log (a client slower than the
// job) goes back to reading the store, so the server holds no more for it
// than one replicate's days; a client that stops reading is cut off by the
// server's write timeout, and reconnecting with Last-Event-ID resumes after
// the last day it got. The
// watcher starts with the first viewer and stops after the last one
// leaves, or once the job has reached a final status.
//
// A stream sends, in order:
//   - while the job is not finished: a `status` event with its status now;
//   - every stored day (after the resume point, if any), as `day` events
//     with ids "r:d" (replicate 1-based, day), in (replicate, day) order;
//   - new days as they are stored, and a `status` event on each change;
//   - a final status (succeeded, failed, cancelled) as the very last event,
//     after which the stream ends. A job that had already finished gets its
//     days and then its final status.
// When the job is claimed again (its worker was lost: a new try starts from
// its first day, its earlier days deleted), a `status` event with the new
// `attempts` comes first, then the new try's days from day 0, whose ids
// carry the claim ("2:1:0"); a viewer that resumes with the id of an
// earlier try's day gets the current try's days from its start.
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
#include <vector>

#include <nlohmann/json.hpp>

#include "outbreak/engine/day_totals.hpp"
#include "outbreak/jobs/log.hpp"
#include "outbreak/serve/metrics.hpp"
#include "outbreak/serve/store_pool.hpp"
#include "outbreak/store/store.hpp"

namespace outbreak::serve {

struct EventOptions {
  std::chrono::milliseconds poll{200};
  std::chrono::milliseconds keepalive{15'000};
  int max_streams = 256;               // open() refuses more
  std::size_t buffer_bytes = 1 << 20;  // event text a watcher keeps (see above)
};

// A day's place in a job: the try it belongs to (the job's claims when it
// was computed; 0 before any), the replicate (0-based) and the day. A
// later try's days come after every day of an earlier one.
struct DayKey {
  std::int64_t replicate = -1;
  std::int64_t day = -1;
  int claim = 0;
  std::strong_ordering operator<=>(const DayKey& other) const {
    if (const auto c = claim <=> other.claim; c != 0) return c;
    if (const auto c = replicate <=> other.replicate; c != 0) return c;
    return day <=> other.day;
  }
  bool operator==(const DayKey&) const = default;
};

// The SSE id of a day: "r:d" with r 1-based for the first try (claim 0 or
// 1), "c:r:d" for a later one.
std::string event_id(DayKey key);
// The inverse of event_id (a Last-Event-ID): "r:d" is claim 1; nullopt for
// anything else.
std::optional<DayKey> parse_event_id(std::string_view text);

// The complete SSE text of one event (ending with a blank line).
std::string day_event(std::int64_t replicate, const engine::DayTotals& totals, int claim = 1);
// {"status", "progress", "error", "attempts", "max_attempts",
// "queue_position", and with a final status "figures"}; `figures` is the
// figures document (null: none), used only with a final status.
std::string status_event(const store::SimulationRecord& job,
                         std::optional<std::int64_t> queue_position = {},
                         const nlohmann::ordered_json& figures = nullptr);

class Feed;  // one watched simulation (events.cpp)

// One viewer. Not thread-safe: one request thread reads it.
class EventStream {
 public:
  EventStream(std::shared_ptr<Feed> feed, StorePool& stores, std::optional<DayKey> after,
              std::chrono::milliseconds keepalive, std::atomic<std::int64_t>& open_streams);
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;
  ~EventStream();

  // Blocks until there is something to send, the keep-alive interval
  // passes, or the hub shuts down; appends the text to send (about 64 KiB
  // at most) to `out`. Returns whether the stream goes on after `out`:
  // false after the final status, at shutdown, and when the days can no
  // longer be read (a store error, a job restarted from day 0; the viewer
  // resumes with Last-Event-ID).
  bool next(std::string& out);

  // Whether the stream ended early (see next()).
  bool dropped() const { return dropped_; }

 private:
  enum class Mode { kStart, kCatchUp, kFollow, kDone };

  bool start(std::string& out);
  bool catch_up(std::string& out);
  bool follow(std::string& out);
  // Switches to following the log (the feed's lock held).
  void begin_following(std::string& out);
  // Appends log events from next_seq_ while `out` has room (lock held).
  void append_log(std::string& out);

  std::shared_ptr<Feed> feed_;
  StorePool& stores_;
  DayKey cursor_;  // the last day sent (or the resume point)
  std::chrono::milliseconds keepalive_;
  std::atomic<std::int64_t>& open_streams_;
  Mode mode_ = Mode::kStart;
  // Lock held: a viewer whose position is in an earlier try than the
  // feed's starts over at the current try's first day.
  void follow_restart();

  std::string sent_status_;             // the last status event sent
  std::uint64_t next_seq_ = 0;          // following: the next log event to send
  std::int64_t read_replicate_ = 0;     // catching up: the replicate read next
  std::vector<store::DayRow> pending_;  // catching up: rows read, not yet sent
  int pending_claim_ = 0;               // the try they belong to
  std::size_t pending_next_ = 0;
  bool dropped_ = false;
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
  // Event text the watchers hold, all together. Thread-safe.
  std::int64_t buffered_bytes() const;
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
