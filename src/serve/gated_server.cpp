#include "gated_server.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <string>

#include "request_head.hpp"

namespace outbreak::serve::detail {
namespace {

using Clock = std::chrono::steady_clock;

int to_ms(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

// Waits up to `timeout_ms` for `events` on `fd`; the revents, 0 on timeout.
short wait_for(int fd, short events, int timeout_ms) {
  pollfd entry{fd, events, 0};
  for (;;) {
    const int rc = ::poll(&entry, 1, std::max(timeout_ms, 0));
    if (rc > 0) return entry.revents;
    if (rc == 0 || errno != EINTR) return 0;
  }
}

// The connection as httplib's request processing sees it. The head was
// peeked by the gate, so it is read here in one piece and served from
// memory; after it, reads go to the socket and never ask for more than
// httplib does, so no byte of a next, pipelined request is consumed. The
// socket is non-blocking (the gate's); reads and writes wait with poll().
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(const Arrival& arrival, int read_timeout_ms, int write_timeout_ms,
                   Clock::time_point body_deadline)
      : arrival_(arrival),
        read_timeout_ms_(read_timeout_ms),
        write_timeout_ms_(write_timeout_ms),
        body_deadline_(body_deadline) {}

  // Reads the head the gate saw arrive; false if the socket failed.
  bool read_head() {
    head_.resize(arrival_.head_bytes);
    std::size_t got = 0;
    while (got < head_.size()) {
      const ssize_t n = ::recv(arrival_.fd, head_.data() + got, head_.size() - got, 0);
      if (n > 0) {
        got += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (wait_for(arrival_.fd, POLLIN, read_timeout_ms_) == 0) return false;
      } else {
        return false;
      }
    }
    return true;
  }

  const std::string& head() const { return head_; }
  std::size_t body_bytes_read() const { return body_bytes_read_; }
  bool failed() const { return failed_; }

  bool is_readable() const override {
    if (head_offset_ < head_.size()) return true;
    return (wait_for(arrival_.fd, POLLIN, read_timeout_ms_) & POLLIN) != 0;
  }

  bool is_writable() const override {
    const short revents = wait_for(arrival_.fd, POLLOUT, write_timeout_ms_);
    if ((revents & POLLOUT) == 0 || (revents & (POLLERR | POLLHUP)) != 0) return false;
    // A client that has gone away reads as end of stream.
    char byte = 0;
    return ::recv(arrival_.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) != 0;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (head_offset_ < head_.size()) {
      const std::size_t n = std::min(size, head_.size() - head_offset_);
      std::memcpy(ptr, head_.data() + head_offset_, n);
      head_offset_ += n;
      return static_cast<ssize_t>(n);
    }
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(body_deadline_ - Clock::now());
      if (left.count() <= 0) return fail();
      const ssize_t n = ::recv(arrival_.fd, ptr, size, 0);
      if (n >= 0) {
        body_bytes_read_ += static_cast<std::size_t>(n);
        return n;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return fail();
      const int wait_ms = static_cast<int>(std::min<std::int64_t>(left.count(), read_timeout_ms_));
      if (wait_for(arrival_.fd, POLLIN, wait_ms) == 0) return fail();
    }
  }

  ssize_t write(const char* ptr, size_t size) override {
    for (;;) {
      const ssize_t n = ::send(arrival_.fd, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) return n;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return fail();
      if (wait_for(arrival_.fd, POLLOUT, write_timeout_ms_) == 0) return fail();
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = arrival_.remote_ip;
    port = arrival_.remote_port;
  }

  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    std::array<char, NI_MAXHOST> host{};
    std::array<char, NI_MAXSERV> service{};
    if (getsockname(arrival_.fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        getnameinfo(reinterpret_cast<sockaddr*>(&address), length, host.data(), host.size(),
                    service.data(), service.size(), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
      return;
    }
    ip = host.data();
    port = std::atoi(service.data());
  }

  socket_t socket() const override { return arrival_.fd; }

 private:
  ssize_t fail() {
    failed_ = true;
    return -1;
  }

  const Arrival& arrival_;
  const int read_timeout_ms_;
  const int write_timeout_ms_;
  const Clock::time_point body_deadline_;
  std::string head_;
  std::size_t head_offset_ = 0;
  std::size_t body_bytes_read_ = 0;
  bool failed_ = false;
};

}  // namespace

bool GatedServer::serve(const Arrival& arrival) {
  try {
    ConnectionStream stream(arrival, to_ms(read_timeout_sec_, read_timeout_usec_),
                            to_ms(write_timeout_sec_, write_timeout_usec_),
                            Clock::now() + body_timeout_);
    if (!stream.read_head()) return false;
    bool connection_closed = false;
    // process_request is httplib's own handling of one request on a Stream
    // (parse, route, write the response); protected so that a server can
    // feed it from elsewhere than its own accept loop, as here.
    // X-Forwarded-Proto and -Host count only from a trusted proxy; from
    // anyone else the routes never see them.
    const auto setup = [&arrival](httplib::Request& request) {
      if (arrival.proxied) return;
      request.headers.erase("X-Forwarded-Proto");
      request.headers.erase("X-Forwarded-Host");
    };
    const bool written = process_request(stream, arrival.last, connection_closed, setup);
    if (!written || connection_closed || arrival.last || stream.failed()) return false;
    // A body left partly unread (refused, or never read by a route) would
    // be taken for the next request's head.
    const std::optional<std::size_t> body = declared_body_length(stream.head());
    return body && *body == stream.body_bytes_read();
  } catch (const std::exception&) {
    return false;  // the connection is closed; the handler's own errors are caught inside
  }
}

}  // namespace outbreak::serve::detail
