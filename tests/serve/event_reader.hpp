// Reading a server-sent event stream in the background, for the tests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace outbreak::serve::testing {

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
};

// The complete events in `text` (comments and a trailing partial event left
// out), in order.
std::vector<SseEvent> parse_events(const std::string& text);

// GETs `target` on 127.0.0.1:`port` on its own thread and collects what
// arrives until the server ends the response.
class EventReader {
 public:
  EventReader(int port, std::string target, httplib::Headers headers = {});
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;
  ~EventReader();  // stops a stream that has not ended, then joins

  // Waits until the text received contains `needle`; false on timeout.
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout);
  // Waits until the server has ended the response; false on timeout.
  bool wait_closed(std::chrono::milliseconds timeout);
  std::string text() const;
  std::vector<SseEvent> events() const { return parse_events(text()); }
  int status() const;  // the HTTP status, once ended (or -1)
  std::string content_type() const;

 private:
  httplib::Client client_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::string text_;
  bool closed_ = false;
  int status_ = -1;
  std::string content_type_;
  std::thread thread_;
};

}  // namespace outbreak::serve::testing
