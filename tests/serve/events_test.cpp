// Event streams of a real `outbreak serve` process, on each backend. The
// server runs no workers; an `outbreak worker` process starts only once the
// streams are open, so that they see the job go from queued to its end.
#include <sys/socket.h>

#include <csignal>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "serve/event_reader.hpp"
#include "serve/serve_fixture.hpp"

namespace outbreak::serve::testing {
namespace {

class EventsTest : public ServeTest {
 protected:
  std::string events_path(const std::string& id) { return "/api/v1/simulations/" + id + "/events"; }
};

using Key = std::pair<std::int64_t, std::int64_t>;  // (replicate 1-based, day)

// Checks the stream's shape: days in (replicate, day) order, each once,
// with the id "r:d", and a final status as the last event; returns the days.
std::vector<Key> days_in(const std::vector<SseEvent>& events, const std::string& final_status) {
  std::vector<Key> days;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const json data = json::parse(events[i].data);
    if (events[i].event == "status") {
      EXPECT_TRUE(data.contains("progress")) << events[i].data;
      EXPECT_TRUE(data.contains("error")) << events[i].data;
      if (data["status"] == final_status) {
        EXPECT_EQ(i + 1, events.size()) << "a final status is the last event";
      }
      continue;
    }
    EXPECT_EQ(events[i].event, "day");
    const Key key{data["replicate"], data["day"]};
    EXPECT_EQ(events[i].id, fmt::format("{}:{}", key.first, key.second));
    EXPECT_TRUE(data.contains("currently_infected")) << events[i].data;
    EXPECT_TRUE(data.contains("infections_community")) << events[i].data;
    EXPECT_TRUE(data.contains("infections_school")) << events[i].data;
    EXPECT_TRUE(data["r_t"].is_null() || data["r_t"].is_number()) << events[i].data;
    EXPECT_TRUE(data["interventions_active"].is_array()) << events[i].data;
    if (!days.empty()) {
      EXPECT_LT(days.back(), key) << "in order, each once";
    }
    days.push_back(key);
  }
  if (!events.empty()) {
    EXPECT_EQ(events.back().event, "status");
    EXPECT_EQ(json::parse(events.back().data)["status"], final_status);
  }
  return days;
}

std::vector<Key> every_day(std::int64_t replicates, std::int64_t days, Key after = {0, -1}) {
  std::vector<Key> keys;
  for (std::int64_t r = 1; r <= replicates; ++r) {
    for (std::int64_t d = 0; d <= days; ++d) {
      if (Key{r, d} > after) keys.emplace_back(r, d);
    }
  }
  return keys;
}

TEST_P(EventsTest, AStreamFollowsAJobFromQueuedToSucceededAndCloses) {
  start(0);
  // Long enough (about a second) for days to arrive over several polls.
  const std::string id = submit(scenario(400'000, 100, 3));
  EventReader reader(server_->port(), events_path(id));
  ASSERT_TRUE(reader.wait_for("\"status\":\"queued\"", seconds(20))) << reader.text();
  EXPECT_EQ(reader.content_type(), "text/event-stream");
  const auto worker = start_worker();
  ASSERT_TRUE(reader.wait_closed(seconds(60))) << "the server ends the stream";
  EXPECT_EQ(reader.status(), 200);

  const std::vector<SseEvent> events = reader.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().event, "status") << "the status comes first";
  EXPECT_EQ(json::parse(events.front().data)["status"], "queued");
  EXPECT_EQ(days_in(events, "succeeded"), every_day(3, 100));
  std::set<std::string> statuses;
  for (const SseEvent& event : events) {
    if (event.event == "status") statuses.insert(json::parse(event.data)["status"]);
  }
  EXPECT_TRUE(statuses.contains("succeeded"));
  const json last = json::parse(events.back().data);
  EXPECT_EQ(last["progress"]["fraction"], 1.0);
  EXPECT_TRUE(last["error"].is_null());
}

TEST_P(EventsTest, AStreamResumesAfterLastEventId) {
  start(0);
  const std::string id = submit(scenario(2000, 40, 2));
  const auto worker = start_worker();
  ASSERT_TRUE(wait_for_status(id, "succeeded"));

  // A finished job: its days, then its final status, then the end.
  EventReader all(server_->port(), events_path(id));
  ASSERT_TRUE(all.wait_closed(seconds(30)));
  EXPECT_EQ(days_in(all.events(), "succeeded"), every_day(2, 40));
  EXPECT_EQ(all.events().front().event, "day");

  EventReader header(server_->port(), events_path(id), {{"Last-Event-ID", "1:30"}});
  ASSERT_TRUE(header.wait_closed(seconds(30)));
  EXPECT_EQ(days_in(header.events(), "succeeded"), every_day(2, 40, {1, 30}));

  EventReader query(server_->port(), events_path(id) + "?last_event_id=2:10");
  ASSERT_TRUE(query.wait_closed(seconds(30)));
  EXPECT_EQ(days_in(query.events(), "succeeded"), every_day(2, 40, {2, 10}));
}

// The days of a stream after its last status event with `attempts`, as
// (replicate, day), each checked to carry the id of claim `claim`.
std::vector<Key> days_after_restart(const std::vector<SseEvent>& events, int attempts, int claim) {
  std::vector<Key> days;
  bool restarted = false;
  for (const SseEvent& event : events) {
    const json data = json::parse(event.data);
    if (event.event == "status") {
      if (data["status"] == "running" && data["attempts"] == attempts) restarted = true;
      continue;
    }
    if (!restarted) continue;
    const Key key{data["replicate"], data["day"]};
    EXPECT_EQ(event.id, fmt::format("{}:{}:{}", claim, key.first, key.second));
    days.push_back(key);
  }
  EXPECT_TRUE(restarted) << "a status event with the new attempt";
  return days;
}

TEST_P(EventsTest, AJobClaimedAgainAfterItsWorkerWasLostIsStreamedFromItsFirstDay) {
  start(0);
  const std::string id = submit(scenario(200'000, 300, 8));
  EventReader live(server_->port(), events_path(id));
  // A worker with a short lease computes a few days, then dies.
  auto lost = std::make_unique<ChildProcess>(
      std::vector<std::string>{"worker", "--database", database_->url(), "--poll-seconds", "0.05",
                               "--lease-seconds", "1"},
      Environment{}, path("lost-worker.log"));
  ASSERT_TRUE(live.wait_for("id: 1:3\n", seconds(60))) << live.text();
  lost->signal(SIGKILL);
  ASSERT_TRUE(lost->wait(seconds(10)).has_value());
  lost.reset();
  const std::vector<SseEvent> before = live.events();
  std::string last_id;
  for (const SseEvent& event : before) {
    if (!event.id.empty()) last_id = event.id;
  }
  ASSERT_FALSE(last_id.empty());
  ASSERT_EQ(last_id.find(':'), last_id.rfind(':')) << "the first try's ids are r:d";
  EXPECT_EQ(simulation(id)["status"], "running");

  // Another worker takes the job once the lease has expired, and runs it
  // again from its first day.
  auto second = std::make_unique<ChildProcess>(
      std::vector<std::string>{"worker", "--database", database_->url(), "--poll-seconds", "0.05",
                               "--lease-seconds", "1"},
      Environment{}, path("second-worker.log"));
  ASSERT_TRUE(wait_for_status(id, "succeeded", seconds(120)));
  const json document = simulation(id);
  EXPECT_EQ(document["attempts"], 2);
  EXPECT_EQ(document["max_attempts"], 3);

  // The viewer that stayed: a status with attempts 2, then every day of the
  // new try from the first one, and the final status.
  ASSERT_TRUE(live.wait_closed(seconds(60)));
  const auto events = live.events();
  EXPECT_EQ(days_after_restart(events, 2, 2), every_day(8, 300));
  EXPECT_EQ(json::parse(events.back().data)["status"], "succeeded");

  // A viewer resuming with an id of the first try gets the new try's days
  // from its start too.
  EventReader resumed(server_->port(), events_path(id), {{"Last-Event-ID", last_id}});
  ASSERT_TRUE(resumed.wait_closed(seconds(30)));
  std::vector<Key> days;
  for (const SseEvent& event : resumed.events()) {
    if (event.event != "day") continue;
    const json data = json::parse(event.data);
    EXPECT_EQ(event.id,
              fmt::format("2:{}:{}", data["replicate"].get<int>(), data["day"].get<int>()));
    days.emplace_back(data["replicate"], data["day"]);
  }
  EXPECT_EQ(days, every_day(8, 300));
  // One resuming within the new try goes on after its id.
  EventReader within(server_->port(), events_path(id), {{"Last-Event-ID", "2:8:250"}});
  ASSERT_TRUE(within.wait_closed(seconds(30)));
  std::size_t count = 0;
  for (const SseEvent& event : within.events()) count += event.event == "day" ? 1 : 0;
  EXPECT_EQ(count, 50u);

  // The stored days are the second try's only: what a fresh run gives.
  const json results = get_json("/api/v1/simulations/" + id + "/results");
  ASSERT_EQ(results["replicates"].size(), 8u);
  for (const json& replicate : results["replicates"]) EXPECT_EQ(replicate["days"].size(), 301u);
  second.reset();
}

TEST_P(EventsTest, ManyViewersShareOneWatcher) {
  start(0);
  const std::string id = submit(scenario(2000, 30));
  std::vector<std::unique_ptr<EventReader>> readers;
  for (int i = 0; i < 12; ++i) {
    readers.push_back(std::make_unique<EventReader>(server_->port(), events_path(id)));
  }
  for (auto& reader : readers) ASSERT_TRUE(reader->wait_for("event: status", seconds(20)));
  auto metrics = client().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("\noutbreak_event_streams 12\n"), std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("\noutbreak_event_watchers 1\n"), std::string::npos)
      << metrics->body;

  const auto worker = start_worker();
  for (auto& reader : readers) {
    ASSERT_TRUE(reader->wait_closed(seconds(60)));
    EXPECT_EQ(days_in(reader->events(), "succeeded"), every_day(1, 30));
  }
  EXPECT_TRUE(wait_until([&] {
    auto after = client().Get("/metrics");
    return after && after->body.find("\noutbreak_event_watchers 0\n") != std::string::npos &&
           after->body.find("\noutbreak_event_streams 0\n") != std::string::npos;
  })) << "the watcher goes with its last viewer";
}

// The value of the gauge `name` in a /metrics text; -1 if absent.
std::int64_t gauge(const std::string& metrics, const std::string& name) {
  const std::string line = "\n" + name + " ";
  const auto at = metrics.find(line);
  if (at == std::string::npos) return -1;
  return std::stoll(metrics.substr(at + line.size()));
}

// The bytes of the largest replicate's day events in `events`.
std::size_t largest_replicate_bytes(const std::vector<SseEvent>& events) {
  std::map<std::string, std::size_t> bytes;
  for (const SseEvent& event : events) {
    if (event.event != "day") continue;
    // "id: r:d\nevent: day\ndata: ...\n\n"
    bytes[event.id.substr(0, event.id.find(':'))] +=
        event.id.size() + event.data.size() + std::string("id: \nevent: day\ndata: \n\n").size();
  }
  std::size_t most = 0;
  for (const auto& [replicate, size] : bytes) most = std::max(most, size);
  return most;
}

TEST_P(EventsTest, SlowViewersGetEveryDayWhileTheServerBuffersLittle) {
  // A small buffer, and a job whose events (about 12 MB) far exceed it and
  // what the sockets can hold.
  start(0, {{"OUTBREAK_STREAM_BUFFER_BYTES", "4096"}});
  const std::string id = submit(
      R"({"population": 10, "days": 3650, "replicates": 10, "seed": 7, "initial_infected": 2})");
  ASSERT_FALSE(id.empty());

  // The slow viewer: a small receive buffer, and it stops reading after its
  // first bytes until told to go on.
  std::mutex mu;
  std::condition_variable resumed;
  bool go_on = false;
  std::atomic<bool> got_first{false};
  std::string slow_text;
  std::thread slow([&] {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(seconds(60));
    client.set_socket_options([](socket_t sock) {
      const int size = 4096;
      setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    });
    client.Get(events_path(id), [&](const char* data, std::size_t length) {
      std::unique_lock lock(mu);
      slow_text.append(data, length);
      got_first = true;
      resumed.wait(lock, [&] { return go_on; });
      return true;
    });
  });
  ASSERT_TRUE(wait_until([&] { return got_first.load(); }, seconds(20)));

  // What the watcher holds, sampled while the job runs.
  std::atomic<bool> sampling{true};
  std::int64_t most_buffered = -1;
  std::thread sampler([&] {
    httplib::Client metrics_client("127.0.0.1", server_->port());
    while (sampling) {
      if (auto metrics = metrics_client.Get("/metrics")) {
        most_buffered =
            std::max(most_buffered, gauge(metrics->body, "outbreak_event_buffer_bytes"));
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  });

  // The job runs while the slow viewer reads nothing, until a viewer that
  // keeps reading has had 2 MB: far more than the buffer and the sockets
  // hold, and well within the server's write timeout (5 s), which would
  // drop a viewer that reads nothing for longer.
  const auto worker = start_worker();
  EventReader fast(server_->port(), events_path(id));
  ASSERT_TRUE(wait_until([&] { return fast.text().size() > 2'000'000; }, seconds(60)));
  {
    const std::lock_guard lock(mu);
    go_on = true;
  }
  resumed.notify_all();
  // The viewer that kept reading gets every day.
  ASSERT_TRUE(fast.wait_closed(seconds(120)));
  const std::vector<SseEvent> fast_events = fast.events();
  EXPECT_EQ(days_in(fast_events, "succeeded"), every_day(10, 3650));
  slow.join();
  sampling = false;
  sampler.join();

  // The slow viewer fell far behind the buffer and still got every day
  // once, from the store, on the same connection.
  EXPECT_EQ(days_in(parse_events(slow_text), "succeeded"), every_day(10, 3650));
  // The watcher never held more than the buffer and the replicate it was
  // adding (not the job's 12 MB).
  EXPECT_GE(most_buffered, 0) << "the gauge is exported";
  EXPECT_LE(most_buffered, static_cast<std::int64_t>(4096 + largest_replicate_bytes(fast_events)));
}

TEST_P(EventsTest, AViewerCutOffMidStreamResumesWithoutLosingOrRepeatingDays) {
  start(0, {{"OUTBREAK_STREAM_BUFFER_BYTES", "4096"}});
  const std::string id = submit(
      R"({"population": 10, "days": 3650, "replicates": 3, "seed": 7, "initial_infected": 2})");
  const auto worker = start_worker();
  // The client goes away after about 100 kB, in the middle of an event.
  std::string cut;
  {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(seconds(60));
    client.Get(events_path(id), [&](const char* data, std::size_t length) {
      cut.append(data, length);
      return cut.size() < 100'000;
    });
  }
  std::vector<SseEvent> first = parse_events(cut);
  std::string last_day;
  for (const SseEvent& event : first) {
    if (event.event == "day") last_day = event.id;
  }
  ASSERT_FALSE(last_day.empty());
  EventReader rest(server_->port(), events_path(id), {{"Last-Event-ID", last_day}});
  ASSERT_TRUE(rest.wait_closed(seconds(60)));
  std::vector<SseEvent> whole;
  for (const SseEvent& event : first) {
    if (event.event == "day") whole.push_back(event);
  }
  for (const SseEvent& event : rest.events()) whole.push_back(event);
  EXPECT_EQ(days_in(whole, "succeeded"), every_day(3, 3650));
}

TEST_P(EventsTest, StreamsBeyondTheCapAre429) {
  start(0, {{"OUTBREAK_MAX_STREAMS", "1"}});
  const std::string id = submit(scenario(2000, 30));
  EventReader first(server_->port(), events_path(id));
  ASSERT_TRUE(first.wait_for("event: status", seconds(20)));
  auto second = client().Get(events_path(id));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 429);
  EXPECT_EQ(error_code(second), "too_many_streams");
}

INSTANTIATE_TEST_SUITE_P(serve, EventsTest, ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::serve::testing
