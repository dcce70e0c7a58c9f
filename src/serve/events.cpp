#include "outbreak/serve/events.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <iterator>
#include <stop_token>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "outbreak/io/results_format.hpp"
#include "outbreak/serve/documents.hpp"

namespace outbreak::serve {
namespace {

bool is_final(store::JobStatus status) {
  return status == store::JobStatus::kSucceeded || status == store::JobStatus::kFailed ||
         status == store::JobStatus::kCancelled;
}

std::optional<std::int64_t> whole(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

// --- Formatting ---------------------------------------------------------------

std::string event_id(DayKey key) { return fmt::format("{}:{}", key.replicate + 1, key.day); }

std::optional<DayKey> parse_event_id(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto replicate = whole(text.substr(0, colon));
  const auto day = whole(text.substr(colon + 1));
  if (!replicate || !day || *replicate < 1 || *day < 0) return std::nullopt;
  return DayKey{*replicate - 1, *day};
}

std::string day_event(std::int64_t replicate, const engine::DayTotals& totals) {
  // The row as the results write it, {"day":...}, with the replicate first.
  const std::string row = io::json_day_row(totals);
  return fmt::format("id: {}\nevent: day\ndata: {{\"replicate\":{},{}\n\n",
                     event_id({replicate, totals.day}), replicate + 1,
                     std::string_view(row).substr(1));
}

std::string status_event(const store::SimulationRecord& job) {
  nlohmann::ordered_json data;
  data["status"] = store::to_string(job.status);
  data["progress"] = progress(job);
  data["error"] = job.error ? nlohmann::ordered_json(*job.error) : nullptr;
  return "event: status\ndata: " +
         data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

// --- Feed: one watched simulation ---------------------------------------------

struct Event {
  DayKey key;           // day events
  bool status = false;  // a status event
  bool final = false;   // a status event of a final status
  std::string text;
};

class Feed {
 public:
  Feed(std::string id, StorePool& stores, Metrics& metrics, jobs::Logger& log,
       std::chrono::milliseconds poll)
      : id_(std::move(id)), stores_(stores), metrics_(metrics), log_(log), poll_(poll) {}
  Feed(const Feed&) = delete;
  Feed& operator=(const Feed&) = delete;
  // The watcher (a jthread, the last member) is stopped and joined first.
  ~Feed() = default;

  void start() {
    watcher_ = std::jthread([this](std::stop_token stop) { watch(stop); });
  }
  void close() {
    {
      const std::lock_guard lock(mu);
      closed = true;
    }
    changed.notify_all();
  }

  // Shared with the viewers, guarded by `mu`.
  std::mutex mu;
  std::condition_variable changed;
  std::vector<Event> log;
  std::string status_text;  // the latest status event
  bool loaded = false;      // the first poll has succeeded
  bool final = false;       // the final status is in the log; no more events
  bool closed = false;      // the hub shut down

 private:
  void watch(std::stop_token stop);
  // One poll; returns whether the job has reached a final status.
  bool poll();
  void report(const Error& error);

  const std::string id_;
  StorePool& stores_;
  Metrics& metrics_;
  jobs::Logger& log_;
  const std::chrono::milliseconds poll_;
  // Watcher state, touched only by the watcher thread.
  DayKey last_;  // the last day appended
  std::optional<store::JobStatus> last_status_;
  bool failing_ = false;
  std::jthread watcher_;
};

void Feed::watch(std::stop_token stop) {
  std::mutex sleep_mu;
  std::condition_variable_any sleep;
  while (!stop.stop_requested()) {
    if (poll()) return;
    std::unique_lock lock(sleep_mu);
    sleep.wait_for(lock, stop, poll_, [] { return false; });
  }
}

void Feed::report(const Error& error) {
  // Once per outage, not once per poll.
  if (!failing_) log_.warn("event_poll_failed", {{"id", id_}, {"error", error.message}});
  failing_ = true;
}

bool Feed::poll() {
  metrics_.add_event_poll();
  auto lease = stores_.borrow();
  if (!lease) {
    report(lease.error());
    return false;
  }
  auto job = (*lease)->get(id_);
  if (!job) {
    if (job.error().code == ErrorCode::kIo) lease->discard();
    report(job.error());
    return false;
  }
  std::vector<Event> days;
  if (job->progress_replicate && job->progress_day) {
    const DayKey target{*job->progress_replicate, *job->progress_day};
    for (std::int64_t r = std::max<std::int64_t>(last_.replicate, 0);
         target > last_ && r <= target.replicate; ++r) {
      auto rows = (*lease)->results(id_, r);
      if (!rows) {
        if (rows.error().code == ErrorCode::kIo) lease->discard();
        report(rows.error());
        return false;
      }
      // Rows stored after get() may come too; they are in order all the same.
      for (const store::DayRow& row : *rows) {
        const DayKey key{row.replicate, row.totals.day};
        if (key <= last_) continue;
        days.push_back({key, false, false, day_event(row.replicate, row.totals)});
        last_ = key;
      }
    }
  }
  failing_ = false;
  const bool ended = is_final(job->status);
  const bool changed_status = last_status_ != job->status;
  last_status_ = job->status;
  {
    const std::lock_guard lock(mu);
    std::move(days.begin(), days.end(), std::back_inserter(log));
    if (changed_status) {
      // After the days: a final status must be the last event.
      status_text = status_event(*job);
      log.push_back({{}, true, ended, status_text});
    }
    loaded = true;
    final = ended;
  }
  changed.notify_all();
  return ended;
}

// --- EventStream ----------------------------------------------------------------

EventStream::EventStream(std::shared_ptr<Feed> feed, std::optional<DayKey> after,
                         std::chrono::milliseconds keepalive,
                         std::atomic<std::int64_t>& open_streams)
    : feed_(std::move(feed)), after_(after), keepalive_(keepalive), open_streams_(open_streams) {}

EventStream::~EventStream() { open_streams_.fetch_sub(1); }

void EventStream::append_backlog(std::string& out, std::size_t end) const {
  for (std::size_t i = 0; i < end; ++i) {
    const Event& event = feed_->log[i];
    if (!event.status && (!after_ || event.key > *after_)) out += event.text;
  }
}

bool EventStream::next(std::string& out) {
  if (done_) return false;
  Feed& feed = *feed_;
  std::unique_lock lock(feed.mu);
  const bool woken = feed.changed.wait_for(lock, keepalive_, [&] {
    return feed.closed || (feed.loaded && (!started_ || feed.log.size() > next_));
  });
  if (feed.closed) {
    done_ = true;
    return false;
  }
  if (!woken) {
    out += ": keep-alive\n\n";
    return true;
  }
  if (!started_) {
    // The status now first (unless final: that comes last), then the backlog.
    started_ = true;
    if (!feed.final) out += feed.status_text;
    append_backlog(out, feed.log.size());
    next_ = feed.log.size();
    if (feed.final) {
      out += feed.status_text;
      done_ = true;
    }
    return !done_;
  }
  for (; next_ < feed.log.size() && !done_; ++next_) {
    const Event& event = feed.log[next_];
    if (event.status) {
      out += event.text;
      done_ = event.final;
    } else if (!after_ || event.key > *after_) {
      out += event.text;
    }
  }
  return !done_;
}

// --- EventHub -------------------------------------------------------------------

EventHub::EventHub(StorePool& stores, Metrics& metrics, jobs::Logger& log, EventOptions options)
    : stores_(stores), metrics_(metrics), log_(log), options_(options) {}

EventHub::~EventHub() { shutdown(); }

std::unique_ptr<EventStream> EventHub::open(const std::string& id, std::optional<DayKey> after) {
  std::shared_ptr<Feed> feed;
  {
    const std::lock_guard lock(mu_);
    if (shut_down_ || open_streams_.load() >= options_.max_streams) return nullptr;
    std::erase_if(feeds_, [](const auto& entry) { return entry.second.expired(); });
    if (auto it = feeds_.find(id); it != feeds_.end()) feed = it->second.lock();
    if (feed == nullptr) {
      feed = std::make_shared<Feed>(id, stores_, metrics_, log_, options_.poll);
      feed->start();
      feeds_[id] = feed;
    }
    open_streams_.fetch_add(1);
  }
  return std::make_unique<EventStream>(std::move(feed), after, options_.keepalive, open_streams_);
}

void EventHub::shutdown() {
  std::vector<std::shared_ptr<Feed>> live;
  {
    const std::lock_guard lock(mu_);
    shut_down_ = true;
    for (const auto& [id, weak] : feeds_) {
      if (auto feed = weak.lock()) live.push_back(std::move(feed));
    }
  }
  for (const auto& feed : live) feed->close();
}

bool EventHub::shut_down() const {
  const std::lock_guard lock(mu_);
  return shut_down_;
}

std::int64_t EventHub::watchers() const {
  const std::lock_guard lock(mu_);
  return std::count_if(feeds_.begin(), feeds_.end(),
                       [](const auto& entry) { return !entry.second.expired(); });
}

}  // namespace outbreak::serve
