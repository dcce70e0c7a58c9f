#include "outbreak/serve/events.hpp"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <limits>
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

std::string event_id(DayKey key) {
  if (key.claim <= 1) return fmt::format("{}:{}", key.replicate + 1, key.day);
  return fmt::format("{}:{}:{}", key.claim, key.replicate + 1, key.day);
}

std::optional<DayKey> parse_event_id(std::string_view text) {
  std::int64_t claim = 1;
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  if (text.find(':', colon + 1) != std::string_view::npos) {
    // "c:r:d": a later try's day.
    const auto value = whole(text.substr(0, colon));
    if (!value || *value < 1 || *value > std::numeric_limits<int>::max()) return std::nullopt;
    claim = *value;
    text.remove_prefix(colon + 1);
    colon = text.find(':');
  }
  const auto replicate = whole(text.substr(0, colon));
  const auto day = whole(text.substr(colon + 1));
  if (!replicate || !day || *replicate < 1 || *day < 0) return std::nullopt;
  return DayKey{*replicate - 1, *day, static_cast<int>(claim)};
}

std::string day_event(std::int64_t replicate, const engine::DayTotals& totals, int claim) {
  // The row as the results write it, {"day":...}, with the replicate first.
  const std::string row = io::json_day_row(totals);
  return fmt::format("id: {}\nevent: day\ndata: {{\"replicate\":{},{}\n\n",
                     event_id({replicate, totals.day, claim}), replicate + 1,
                     std::string_view(row).substr(1));
}

std::string status_event(const store::SimulationRecord& job,
                         std::optional<std::int64_t> queue_position,
                         const nlohmann::ordered_json& figures) {
  nlohmann::ordered_json data;
  data["status"] = store::to_string(job.status);
  data["progress"] = progress(job);
  data["error"] = job.error ? nlohmann::ordered_json(*job.error) : nullptr;
  data["attempts"] = job.attempts;
  data["max_attempts"] = job.max_attempts;
  data["queue_position"] = queue_position ? nlohmann::ordered_json(*queue_position) : nullptr;
  if (is_final(job.status)) data["figures"] = figures;
  return "event: status\ndata: " +
         data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

// --- Feed: one watched simulation ---------------------------------------------

// Text a viewer is handed per next(), so that what it holds (and what
// httplib copies while sending it) stays small.
constexpr std::size_t kPartBytes = 64 << 10;

struct Event {
  DayKey key;           // day events
  bool status = false;  // a status event
  bool final = false;   // a status event of a final status
  std::string text;
};

class Feed {
 public:
  Feed(std::string id, StorePool& stores, Metrics& metrics, jobs::Logger& log,
       std::chrono::milliseconds poll, std::size_t buffer_bytes)
      : id_(std::move(id)),
        stores_(stores),
        metrics_(metrics),
        log_(log),
        poll_(poll),
        buffer_bytes_(buffer_bytes) {}
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
  const std::string& id() const { return id_; }
  jobs::Logger& logger() { return log_; }
  std::size_t buffered_bytes() {
    const std::lock_guard lock(mu);
    return log_bytes_;
  }

  // Shared with the viewers, guarded by `mu`.
  std::mutex mu;
  std::condition_variable changed;
  std::deque<Event> log;        // the newest events
  std::uint64_t first_seq = 0;  // the sequence number of log.front()
  DayKey trimmed_through;       // days up to this one are not in the log
  std::string status_before;    // the newest status event no longer in the log
  std::string status_text;      // the latest status event
  int claim = 0;                // the try whose days the feed sends (the job's claims)
  bool loaded = false;          // the first poll has succeeded
  bool final = false;           // the final status is in the log; no more events
  bool closed = false;          // the hub shut down

 private:
  void watch(std::stop_token stop);
  // One poll; returns whether the job has reached a final status.
  bool poll();
  void report(const Error& error);
  // Appends `events` to the log and drops the oldest beyond the buffer.
  void publish(std::vector<Event>& events);

  const std::string id_;
  StorePool& stores_;
  Metrics& metrics_;
  jobs::Logger& log_;
  const std::chrono::milliseconds poll_;
  const std::size_t buffer_bytes_;
  // Watcher state, touched only by the watcher thread.
  DayKey last_;         // the last day appended
  int seen_claim_ = 0;  // the job's claims at the previous poll
  // What a status event reports besides progress: a change sends a new one.
  struct StatusKey {
    store::JobStatus status;
    int attempts;
    std::optional<std::int64_t> queue_position;
    bool operator==(const StatusKey&) const = default;
  };
  std::optional<StatusKey> last_status_;
  bool failing_ = false;
  std::size_t log_bytes_ = 0;  // text in `log` (changed under `mu`)
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

void Feed::publish(std::vector<Event>& events) {
  {
    const std::lock_guard lock(mu);
    const std::uint64_t batch = first_seq + log.size();
    for (Event& event : events) {
      log_bytes_ += event.text.size();
      log.push_back(std::move(event));
    }
    // Older events go once the log passes the buffer, but never this
    // batch: a viewer that had kept up is not dropped because one poll
    // brought more than the buffer (at most a replicate).
    while (log_bytes_ > buffer_bytes_ && first_seq < batch) {
      Event& oldest = log.front();
      if (oldest.status) {
        status_before = std::move(oldest.text);
      } else {
        trimmed_through = oldest.key;
      }
      log_bytes_ -= oldest.text.size();
      log.pop_front();
      ++first_seq;
    }
  }
  events.clear();
  changed.notify_all();
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
  bool first = false;
  {
    const std::lock_guard lock(mu);
    first = !loaded;
  }
  const bool ended = is_final(job->status);
  Result<std::optional<std::int64_t>> position = std::optional<std::int64_t>{};
  if (job->status == store::JobStatus::kQueued) position = (*lease)->queue_position(id_);
  Result<std::vector<store::RunFigures>> figures = std::vector<store::RunFigures>{};
  if (ended) figures = (*lease)->figures(id_);
  for (const Error* error :
       {position ? nullptr : &position.error(), figures ? nullptr : &figures.error()}) {
    if (error == nullptr) continue;
    if (error->code == ErrorCode::kIo) lease->discard();
    report(*error);
    return false;
  }
  const StatusKey status_key{job->status, job->attempts, *position};
  bool changed_status = last_status_ != status_key;
  last_status_ = status_key;
  const auto make_status = [&] {
    return Event{{},
                 true,
                 ended,
                 status_event(*job, *position, ended ? figures_document(*job, *figures) : nullptr)};
  };
  std::vector<Event> days;
  const int claim = job->claims;
  if (!first && claim != seen_claim_) {
    // Claimed again: the new try's days replace the earlier ones from day 0,
    // after a status event with its attempts.
    last_ = DayKey{-1, -1, claim};
    if (changed_status && !ended) {
      days.push_back(make_status());
      changed_status = false;
      const std::lock_guard lock(mu);
      status_text = days.back().text;
    }
  }
  seen_claim_ = claim;
  {
    const std::lock_guard lock(mu);
    this->claim = claim;
  }
  publish(days);
  if (job->progress_replicate && job->progress_day) {
    const DayKey target{*job->progress_replicate, *job->progress_day, claim};
    if (first) {
      // What is stored already, viewers read from the store themselves.
      last_ = target;
      const std::lock_guard lock(mu);
      trimmed_through = target;
    }
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
        const DayKey key{row.replicate, row.totals.day, claim};
        if (key <= last_) continue;
        days.push_back({key, false, false, day_event(row.replicate, row.totals, claim)});
        last_ = key;
      }
      publish(days);  // a replicate at a time, so that a poll holds one at most
    }
  }
  failing_ = false;
  // After the days: a final status must be the last event.
  if (changed_status) days.push_back(make_status());
  {
    const std::lock_guard lock(mu);
    if (changed_status) status_text = days.back().text;
    loaded = true;
    final = ended;
  }
  publish(days);
  return ended;
}

// --- EventStream ----------------------------------------------------------------

EventStream::EventStream(std::shared_ptr<Feed> feed, StorePool& stores, std::optional<DayKey> after,
                         std::chrono::milliseconds keepalive,
                         std::atomic<std::int64_t>& open_streams)
    : feed_(std::move(feed)),
      stores_(stores),
      cursor_(after.value_or(DayKey{})),
      keepalive_(keepalive),
      open_streams_(open_streams),
      read_replicate_(std::max<std::int64_t>(cursor_.replicate, 0)) {}

EventStream::~EventStream() { open_streams_.fetch_sub(1); }

bool EventStream::next(std::string& out) {
  switch (mode_) {
    case Mode::kStart:
      return start(out);
    case Mode::kCatchUp:
      return catch_up(out);
    case Mode::kFollow:
      return follow(out);
    case Mode::kDone:
      return false;
  }
  return false;
}

bool EventStream::start(std::string& out) {
  Feed& feed = *feed_;
  {
    std::unique_lock lock(feed.mu);
    const bool woken =
        feed.changed.wait_for(lock, keepalive_, [&] { return feed.closed || feed.loaded; });
    if (feed.closed) {
      mode_ = Mode::kDone;
      return false;
    }
    if (!woken) {
      out += ": keep-alive\n\n";
      return true;
    }
    // The status now first, unless final: that comes last.
    if (!feed.final) {
      out += feed.status_text;
      sent_status_ = feed.status_text;
    }
    follow_restart();
  }
  mode_ = Mode::kCatchUp;
  return catch_up(out);
}

bool EventStream::catch_up(std::string& out) {
  Feed& feed = *feed_;
  while (out.size() < kPartBytes) {
    for (; pending_next_ < pending_.size() && out.size() < kPartBytes; ++pending_next_) {
      const store::DayRow& row = pending_[pending_next_];
      const DayKey key{row.replicate, row.totals.day, pending_claim_};
      if (key <= cursor_) continue;
      out += day_event(row.replicate, row.totals, pending_claim_);
      cursor_ = key;
    }
    if (pending_next_ < pending_.size()) return true;
    std::vector<store::DayRow>().swap(pending_);
    pending_next_ = 0;
    DayKey through;
    int claim = 0;
    {
      const std::unique_lock lock(feed.mu);
      if (feed.closed) {
        mode_ = Mode::kDone;
        return false;
      }
      follow_restart();
      claim = feed.claim;
      if (cursor_ >= feed.trimmed_through) {
        mode_ = Mode::kFollow;
        begin_following(out);
        if (!out.empty()) return mode_ != Mode::kDone;
      } else {
        through = feed.trimmed_through;
      }
    }
    // Nothing new since the store: wait in follow(), which takes the lock
    // itself (it is not recursive).
    if (mode_ == Mode::kFollow) return follow(out);
    if (read_replicate_ > through.replicate) {
      mode_ = Mode::kDone;  // cannot happen: rows are stored in order
      return false;
    }
    auto lease = stores_.borrow();
    auto rows = lease ? (*lease)->results(feed.id(), read_replicate_)
                      : Result<std::vector<store::DayRow>>(lease.error());
    if (!rows) {
      if (lease && rows.error().code == ErrorCode::kIo) lease->discard();
      feed.logger().warn("event_read_failed", {{"id", feed.id()}, {"error", rows.error().message}});
      dropped_ = true;
      mode_ = Mode::kDone;
      return false;
    }
    pending_ = std::move(rows).value();
    pending_claim_ = claim;
    const bool progress = std::any_of(pending_.begin(), pending_.end(), [&](const auto& row) {
      return DayKey{row.replicate, row.totals.day, claim} > cursor_;
    });
    if (read_replicate_ < through.replicate) {
      ++read_replicate_;  // the rest comes from the next replicate, or the log
    } else if (!progress) {
      // The watcher saw days the store no longer has (a job retried from
      // the start): end here; the viewer reconnects.
      dropped_ = true;
      mode_ = Mode::kDone;
      return false;
    }
  }
  return true;
}

void EventStream::follow_restart() {
  const Feed& feed = *feed_;
  if (feed.claim <= cursor_.claim) return;
  cursor_ = DayKey{-1, -1, feed.claim};
  read_replicate_ = 0;
  std::vector<store::DayRow>().swap(pending_);
  pending_next_ = 0;
}

void EventStream::begin_following(std::string& out) {
  Feed& feed = *feed_;
  // Past the last day already sent; the status as of that point, if it
  // changed while the viewer caught up (unless the final one will follow).
  std::size_t position = 0;
  for (std::size_t i = feed.log.size(); i-- > 0;) {
    if (!feed.log[i].status && feed.log[i].key <= cursor_) {
      position = i + 1;
      break;
    }
  }
  const std::string* status = &feed.status_before;
  for (std::size_t i = position; i-- > 0;) {
    if (feed.log[i].status) {
      status = &feed.log[i].text;
      break;
    }
  }
  if (!feed.final && !status->empty() && *status != sent_status_) {
    out += *status;
    sent_status_ = *status;
  }
  next_seq_ = feed.first_seq + position;
  append_log(out);
}

void EventStream::append_log(std::string& out) {
  Feed& feed = *feed_;
  const std::uint64_t end = feed.first_seq + feed.log.size();
  for (; next_seq_ < end && out.size() < kPartBytes && mode_ != Mode::kDone; ++next_seq_) {
    const Event& event = feed.log[next_seq_ - feed.first_seq];
    if (event.status) {
      out += event.text;
      sent_status_ = event.text;
      if (event.final) mode_ = Mode::kDone;
    } else if (event.key > cursor_) {
      out += event.text;
      cursor_ = event.key;
    }
  }
}

bool EventStream::follow(std::string& out) {
  Feed& feed = *feed_;
  std::unique_lock lock(feed.mu);
  const bool woken = feed.changed.wait_for(lock, keepalive_, [&] {
    return feed.closed || next_seq_ < feed.first_seq ||
           feed.first_seq + feed.log.size() > next_seq_;
  });
  if (feed.closed) {
    mode_ = Mode::kDone;
    return false;
  }
  if (next_seq_ < feed.first_seq) {
    // Events it has not been sent are gone from the log: the viewer reads
    // more slowly than the job runs. It goes on from the store, at its pace.
    lock.unlock();
    mode_ = Mode::kCatchUp;
    read_replicate_ = std::max<std::int64_t>(cursor_.replicate, 0);
    return catch_up(out);
  }
  if (!woken) {
    out += ": keep-alive\n\n";
    return true;
  }
  append_log(out);
  return mode_ != Mode::kDone;
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
      feed =
          std::make_shared<Feed>(id, stores_, metrics_, log_, options_.poll, options_.buffer_bytes);
      feed->start();
      feeds_[id] = feed;
    }
    open_streams_.fetch_add(1);
  }
  return std::make_unique<EventStream>(std::move(feed), stores_, after, options_.keepalive,
                                       open_streams_);
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

std::int64_t EventHub::buffered_bytes() const {
  std::vector<std::shared_ptr<Feed>> live;
  {
    const std::lock_guard lock(mu_);
    for (const auto& [id, weak] : feeds_) {
      if (auto feed = weak.lock()) live.push_back(std::move(feed));
    }
  }
  std::int64_t bytes = 0;
  for (const auto& feed : live) bytes += static_cast<std::int64_t>(feed->buffered_bytes());
  return bytes;
}

std::int64_t EventHub::watchers() const {
  const std::lock_guard lock(mu_);
  return std::count_if(feeds_.begin(), feeds_.end(),
                       [](const auto& entry) { return !entry.second.expired(); });
}

}  // namespace outbreak::serve
