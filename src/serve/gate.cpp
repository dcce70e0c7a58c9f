#include "gate.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace outbreak::serve::detail {
namespace {

constexpr std::uint64_t kListenerId = 0;
constexpr std::uint64_t kWakeId = 1;
// A refused connection is read (and what it sends thrown away) for a while
// before it is closed: closing a socket with unread bytes sends a reset,
// which can make the client lose the refusal it was about to read.
constexpr auto kDrainTime = std::chrono::seconds(2);
constexpr std::size_t kMaxDrainBytes = 1 << 20;
constexpr std::size_t kMaxDraining = 1024;
// How long accepting pauses when the process is out of file descriptors.
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

constexpr std::uint32_t kConnectionEvents = EPOLLIN | EPOLLRDHUP | EPOLLET;

std::string numeric_host(const sockaddr* address, socklen_t length, int* port) {
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> service{};
  if (getnameinfo(address, length, host.data(), host.size(), service.data(), service.size(),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "unknown";
  }
  *port = std::atoi(service.data());
  return host.data();
}

}  // namespace

Result<Listener> open_listener(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return Error::make(ErrorCode::kIo,
                       fmt::format("cannot resolve {}: {}", host, gai_strerror(rc)));
  }
  std::string why = "no address";
  for (addrinfo* info = found; info != nullptr; info = info->ai_next) {
    const int fd = ::socket(info->ai_family, info->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, info->ai_addr, info->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      sockaddr_storage bound{};
      socklen_t length = sizeof bound;
      int bound_port = port;
      if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) == 0) {
        numeric_host(reinterpret_cast<sockaddr*>(&bound), length, &bound_port);
      }
      freeaddrinfo(found);
      return Listener{fd, bound_port};
    }
    why = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(found);
  return Error::make(ErrorCode::kIo, fmt::format("cannot listen on {}:{}: {}", host, port, why));
}

Gate::Gate(Listener listener, GateOptions options, Refusal refusal, Handoff handoff,
           jobs::Logger& log)
    : listener_(listener),
      options_(options),
      refusal_(std::move(refusal)),
      handoff_(std::move(handoff)),
      log_(log),
      epoll_(epoll_create1(EPOLL_CLOEXEC)),
      wake_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      peek_buffer_(options.head.max_bytes) {}

Gate::~Gate() {
  close_all();
  if (listener_.fd >= 0) ::close(listener_.fd);
  if (wake_ >= 0) ::close(wake_);
  if (epoll_ >= 0) ::close(epoll_);
}

Status Gate::run() {
  if (epoll_ < 0 || wake_ < 0) {
    return Error::make(ErrorCode::kIo,
                       fmt::format("cannot watch connections: {}", std::strerror(errno)));
  }
  epoll_event listen_event{EPOLLIN, {.u64 = kListenerId}};
  epoll_event wake_event{EPOLLIN, {.u64 = kWakeId}};
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_.fd, &listen_event) != 0 ||
      epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &wake_event) != 0) {
    return Error::make(ErrorCode::kIo,
                       fmt::format("cannot watch connections: {}", std::strerror(errno)));
  }
  std::array<epoll_event, 128> events{};
  Clock::time_point resume_accepting;
  while (!stopping_.load()) {
    int timeout_ms = -1;
    const Clock::time_point now = Clock::now();
    if (!deadlines_.empty()) {
      const auto wait =
          std::chrono::ceil<std::chrono::milliseconds>(deadlines_.begin()->first - now);
      timeout_ms = static_cast<int>(std::max<std::int64_t>(0, wait.count()));
    }
    if (!accepting_) {
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(resume_accepting - now);
      const int pause_ms = static_cast<int>(std::max<std::int64_t>(0, wait.count()));
      timeout_ms = timeout_ms < 0 ? pause_ms : std::min(timeout_ms, pause_ms);
    }
    const int count =
        epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (count < 0 && errno != EINTR) {
      return Error::make(ErrorCode::kIo,
                         fmt::format("waiting on connections failed: {}", std::strerror(errno)));
    }
    for (int i = 0; i < count; ++i) {
      const std::uint64_t id = events[static_cast<std::size_t>(i)].data.u64;
      const std::uint32_t what = events[static_cast<std::size_t>(i)].events;
      if (id == kListenerId) {
        accept_all();
        if (!accepting_) resume_accepting = Clock::now() + kAcceptPause;
      } else if (id == kWakeId) {
        std::uint64_t ignored = 0;
        [[maybe_unused]] const ssize_t n = ::read(wake_, &ignored, sizeof ignored);
      } else {
        on_event(id, what);
      }
    }
    take_back_returned();
    while (!deadlines_.empty() && deadlines_.begin()->first <= Clock::now()) {
      on_deadline(deadlines_.begin()->second);
    }
    if (!accepting_ && Clock::now() >= resume_accepting) {
      accepting_ = epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_.fd, &listen_event) == 0;
      if (!accepting_) resume_accepting = Clock::now() + kAcceptPause;
    }
  }
  // No new connections; the ones waiting for a head or idle are closed, the
  // ones being served are closed when given back (close_all()).
  ::close(listener_.fd);
  listener_.fd = -1;
  take_back_returned();
  std::vector<std::uint64_t> waiting;
  for (const auto& [id, connection] : connections_) {
    if (connection.phase != Phase::kBusy) waiting.push_back(id);
  }
  for (const std::uint64_t id : waiting) close(id);
  return Ok{};
}

void Gate::stop() {
  stopping_.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_, &one, sizeof one);
}

void Gate::give_back(std::uint64_t id, bool keep_alive) {
  {
    const std::lock_guard lock(returned_mu_);
    returned_.emplace_back(id, keep_alive);
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_, &one, sizeof one);
}

void Gate::close_all() {
  for (auto& [id, connection] : connections_) ::close(connection.fd);
  connections_.clear();
  per_client_.clear();
  deadlines_.clear();
  draining_ = 0;
}

void Gate::accept_all() {
  while (accepting_) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = accept4(listener_.fd, reinterpret_cast<sockaddr*>(&address), &length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The pending connections stay in the backlog until descriptors free up.
        log_.warn("http_accept_paused", {{"error", std::strerror(errno)}});
        epoll_ctl(epoll_, EPOLL_CTL_DEL, listener_.fd, nullptr);
        accepting_ = false;
      }
      return;  // EAGAIN: all accepted
    }
    // Without it, small responses on a kept-alive connection wait for the
    // client's delayed ACK (Nagle): tens of milliseconds per request.
    const int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    const std::uint64_t id = next_id_++;
    Connection& connection = connections_[id];
    connection.fd = fd;
    connection.ip = numeric_host(reinterpret_cast<sockaddr*>(&address), length, &connection.port);
    connection.proxied = options_.trusted_proxies.trusts(connection.ip);
    connection.counted = false;
    watch(id, connection, Phase::kHead, options_.head_timeout);
    // A proxy's connections are counted once their heads name the client.
    if (connections_.count(id) != 0 && !connection.proxied) count(id, connection, connection.ip);
  }
}

bool Gate::count(std::uint64_t id, Connection& connection, const std::string& client) {
  if (connection.counted && connection.client == client) return true;
  uncount(id, connection);
  connection.client = client;
  connection.counted = true;
  const std::set<std::uint64_t>& open = per_client_[client];
  per_client_[client].insert(id);
  if (open.size() > options_.max_connections_per_client &&
      reap_closed(client) > options_.max_connections_per_client) {
    refuse(id, connection, 429, "too_many_connections",
           fmt::format("at most {} connections per client address are allowed",
                       options_.max_connections_per_client));
    return false;
  }
  return true;
}

void Gate::watch(std::uint64_t id, Connection& connection, Phase phase, Clock::duration timeout) {
  connection.phase = phase;
  connection.scan = HeadScan{};
  connection.seen = 0;
  set_deadline(id, connection, Clock::now() + timeout);
  epoll_event event{kConnectionEvents, {.u64 = id}};
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, connection.fd, &event) != 0) close(id);
}

void Gate::set_deadline(std::uint64_t id, Connection& connection, Clock::time_point deadline) {
  deadlines_.erase({connection.deadline, id});
  connection.deadline = deadline;
  deadlines_.emplace(deadline, id);
}

void Gate::on_event(std::uint64_t id, std::uint32_t events) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;  // closed earlier in this round
  Connection& connection = it->second;
  const bool peer_closed = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
  if (connection.phase == Phase::kDraining) {
    // Edge-triggered: read until there is nothing left.
    for (;;) {
      const ssize_t n = ::recv(connection.fd, peek_buffer_.data(), peek_buffer_.size(), 0);
      if (n > 0) {
        connection.drained += static_cast<std::size_t>(n);
        if (connection.drained > kMaxDrainBytes) return close(id);
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return close(id);
      if (errno != EINTR) return;
    }
  }
  if (connection.phase == Phase::kHead || connection.phase == Phase::kIdle) {
    on_readable(id, connection, peer_closed);
  }
}

void Gate::on_readable(std::uint64_t id, Connection& connection, bool peer_closed) {
  const ssize_t n =
      ::recv(connection.fd, peek_buffer_.data(), peek_buffer_.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (peer_closed) close(id);
      return;
    }
    return close(id);
  }
  if (n == 0) return close(id);  // closed with nothing unread
  if (connection.phase == Phase::kIdle) {
    // The next request has begun: from now on its head has a deadline.
    connection.phase = Phase::kHead;
    set_deadline(id, connection, Clock::now() + options_.head_timeout);
  }
  connection.seen = static_cast<std::size_t>(n);
  const std::string_view bytes(peek_buffer_.data(), connection.seen);
  switch (scan_head(bytes, options_.head, connection.scan)) {
    case HeadState::kComplete: {
      std::string client = connection.ip;
      if (connection.proxied) {
        client = options_.trusted_proxies.client_address(
            connection.ip, forwarded_for_in_head(bytes.substr(0, connection.scan.head_bytes)));
        if (!count(id, connection, client)) return;
      }
      epoll_ctl(epoll_, EPOLL_CTL_DEL, connection.fd, nullptr);
      deadlines_.erase({connection.deadline, id});
      connection.phase = Phase::kBusy;
      ++connection.requests;
      Arrival arrival;
      arrival.id = id;
      arrival.fd = connection.fd;
      arrival.head_bytes = connection.scan.head_bytes;
      arrival.remote_ip = client;
      arrival.remote_port = connection.port;
      arrival.proxied = connection.proxied;
      arrival.last = connection.requests >= options_.max_requests_per_connection;
      handoff_(std::move(arrival));
      return;
    }
    case HeadState::kTooLarge:
      return refuse(id, connection, 431, "request_header_fields_too_large",
                    fmt::format("the request line and headers may be at most {} bytes",
                                options_.head.max_bytes));
    case HeadState::kTooManyHeaders:
      return refuse(
          id, connection, 431, "request_header_fields_too_large",
          fmt::format("a request may have at most {} header lines", options_.head.max_headers));
    case HeadState::kIncomplete:
      // Nothing more can come once the client has closed its side.
      if (peer_closed) close(id);
      return;
  }
}

void Gate::on_deadline(std::uint64_t id) {
  Connection& connection = connections_.at(id);
  deadlines_.erase({connection.deadline, id});
  if (connection.phase == Phase::kHead && connection.seen > 0) {
    return refuse(id, connection, 408, "request_timeout",
                  fmt::format("the request line and headers must arrive within {} ms",
                              options_.head_timeout.count()));
  }
  close(id);  // silent: idle, never spoke, or done draining
}

void Gate::refuse(std::uint64_t id, Connection& connection, int status, std::string_view code,
                  std::string_view message) {
  log_.warn("http_refused",
            {{"status", std::to_string(status)},
             {"code", std::string(code)},
             {"remote", connection.client.empty() ? connection.ip : connection.client}});
  // A client that reconnects at once after a refusal must not find its
  // old connection, still draining, counted against it; draining
  // connections have their own bound (kMaxDraining).
  uncount(id, connection);
  const std::string response = refusal_(status, code, message);
  [[maybe_unused]] const ssize_t sent =
      ::send(connection.fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(connection.fd, SHUT_WR);
  if (draining_ >= kMaxDraining) return close(id);
  ++draining_;
  connection.phase = Phase::kDraining;
  set_deadline(id, connection, Clock::now() + kDrainTime);
  // What already arrived (an oversized head) is waiting: throw it away now.
  on_event(id, 0);
}

void Gate::take_back_returned() {
  std::vector<std::pair<std::uint64_t, bool>> returned;
  {
    const std::lock_guard lock(returned_mu_);
    returned.swap(returned_);
  }
  for (const auto& [id, keep_alive] : returned) {
    const auto it = connections_.find(id);
    if (it == connections_.end()) continue;
    if (keep_alive && !stopping_.load()) {
      // A proxy's next request on this connection may be for someone else.
      if (it->second.proxied) uncount(id, it->second);
      watch(id, it->second, Phase::kIdle, options_.keep_alive_timeout);
    } else {
      close(id);
    }
  }
}

void Gate::close(std::uint64_t id) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& connection = it->second;
  if (connection.phase == Phase::kDraining) --draining_;
  deadlines_.erase({connection.deadline, id});
  ::close(connection.fd);  // also leaves the epoll set
  uncount(id, connection);
  connections_.erase(it);
}

void Gate::uncount(std::uint64_t id, Connection& connection) {
  if (!connection.counted) return;
  connection.counted = false;
  const auto client = per_client_.find(connection.client);
  if (client == per_client_.end()) return;
  client->second.erase(id);
  if (client->second.empty()) per_client_.erase(client);
}

std::size_t Gate::reap_closed(const std::string& client_address) {
  // A client that closes a connection and opens the next at once may be
  // accepted before the gate has seen the close: find such connections
  // (idle, or silent since accepted) whose end is already waiting, and
  // close them before counting.
  std::vector<std::uint64_t> ended;
  for (const std::uint64_t id : per_client_[client_address]) {
    const Connection& connection = connections_.at(id);
    const bool quiet = connection.phase == Phase::kIdle ||
                       (connection.phase == Phase::kHead && connection.seen == 0);
    if (!quiet) continue;
    char byte = 0;
    const ssize_t n = ::recv(connection.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      ended.push_back(id);
    }
  }
  for (const std::uint64_t id : ended) close(id);
  const auto client = per_client_.find(client_address);
  return client == per_client_.end() ? 0 : client->second.size();
}

}  // namespace outbreak::serve::detail
