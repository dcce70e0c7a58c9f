#include "serve/event_reader.hpp"

#include <sstream>

namespace outbreak::serve::testing {

std::vector<SseEvent> parse_events(const std::string& text) {
  std::vector<SseEvent> events;
  std::size_t start = 0;
  for (std::size_t end = text.find("\n\n"); end != std::string::npos;
       start = end + 2, end = text.find("\n\n", start)) {
    SseEvent event;
    bool any = false;
    std::istringstream block(text.substr(start, end - start));
    for (std::string line; std::getline(block, line);) {
      if (line.empty() || line[0] == ':') continue;
      const auto colon = line.find(": ");
      const std::string field = line.substr(0, colon);
      const std::string value = colon == std::string::npos ? "" : line.substr(colon + 2);
      if (field == "id") event.id = value;
      if (field == "event") event.event = value;
      if (field == "data") event.data += value;
      any = true;
    }
    if (any) events.push_back(std::move(event));
  }
  return events;
}

EventReader::EventReader(int port, std::string target, httplib::Headers headers)
    : client_("127.0.0.1", port) {
  client_.set_connection_timeout(std::chrono::seconds(10));
  client_.set_read_timeout(std::chrono::seconds(120));
  thread_ = std::thread([this, target = std::move(target), headers = std::move(headers)] {
    auto result = client_.Get(
        target, headers,
        [this](const httplib::Response& response) {
          const std::lock_guard lock(mu_);
          content_type_ = response.get_header_value("Content-Type");
          return true;
        },
        [this](const char* data, std::size_t size) {
          {
            const std::lock_guard lock(mu_);
            text_.append(data, size);
          }
          changed_.notify_all();
          return true;
        });
    {
      const std::lock_guard lock(mu_);
      closed_ = true;
      status_ = result ? result->status : -1;
    }
    changed_.notify_all();
  });
}

EventReader::~EventReader() {
  client_.stop();
  thread_.join();
}

bool EventReader::wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] {
    return text_.find(needle) != std::string::npos || closed_;
  }) && text_.find(needle) != std::string::npos;
}

bool EventReader::wait_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return closed_; });
}

std::string EventReader::text() const {
  const std::lock_guard lock(mu_);
  return text_;
}

int EventReader::status() const {
  const std::lock_guard lock(mu_);
  return status_;
}

std::string EventReader::content_type() const {
  const std::lock_guard lock(mu_);
  return content_type_;
}

}  // namespace outbreak::serve::testing
