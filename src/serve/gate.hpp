// The connection gate: the server's only accept loop. One thread accepts
// connections, counts them per client address and waits, with epoll and
// recv(MSG_PEEK), until a connection's whole request head has arrived
// within the head limits and deadline. Only then is the connection handed
// to a request thread, which serves that one request and gives the
// connection back (to wait for its next head, or to be closed). So a
// client that sends its head slowly, or never, holds a file descriptor and
// a few hundred bytes, never a request thread. docs/architecture.md says
// why it is built this way.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outbreak/jobs/log.hpp"
#include "outbreak/serve/trusted_proxies.hpp"
#include "outbreak/util/result.hpp"
#include "request_head.hpp"

namespace outbreak::serve::detail {

struct GateOptions {
  HeadLimits head;
  std::chrono::milliseconds head_timeout{10'000};  // from accept (or first byte) to a whole head
  std::chrono::milliseconds keep_alive_timeout{5'000};  // idle between requests
  std::size_t max_connections_per_client = 64;
  std::size_t max_requests_per_connection = 100;
  // A connection from one of these is counted, while it carries a request,
  // under the client its X-Forwarded-For names, and not at all in between:
  // a proxy's connections are shared by its clients.
  TrustedProxies trusted_proxies;
};

// A connection whose head has arrived in full, for a request thread. The
// gate still owns the socket: the thread reads and writes it, then calls
// Gate::give_back(id, ...) exactly once and never touches it again.
struct Arrival {
  std::uint64_t id = 0;
  int fd = -1;
  std::size_t head_bytes = 0;  // unread on the socket, then maybe a body
  std::string remote_ip;       // the client: the peer, or whom a trusted proxy forwards for
  int remote_port = 0;         // the peer's
  bool proxied = false;        // the peer is a trusted proxy
  bool last = false;           // the connection closes after this request
};

// A listening TCP socket bound to host:port (0: any free port), as a
// non-blocking descriptor with the port it got. Errors: kIo.
struct Listener {
  int fd = -1;
  int port = 0;
};
Result<Listener> open_listener(const std::string& host, int port);

class Gate {
 public:
  // The bytes of a whole response refusing a connection (status, error
  // code, message for a person); the connection is closed after it.
  using Refusal =
      std::function<std::string(int status, std::string_view code, std::string_view message)>;
  // Called on the gate thread for each complete head; must not block (it
  // queues the work for a request thread).
  using Handoff = std::function<void(Arrival)>;

  // Takes ownership of `listener`. `log` must outlive the gate.
  Gate(Listener listener, GateOptions options, Refusal refusal, Handoff handoff, jobs::Logger& log);
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;
  ~Gate();  // closes every socket still open

  // Accepts and watches connections until stop(); blocks. Errors: kIo when
  // epoll cannot be set up.
  Status run();
  // Makes run() return soon; thread-safe, idempotent, also before run().
  void stop();
  // From a request thread: the request on `id` is done. With `keep_alive`
  // the connection waits for its next head (unless the gate is stopping),
  // otherwise it is closed. Thread-safe.
  void give_back(std::uint64_t id, bool keep_alive);
  // After run() has returned and every handed-off connection has been
  // given back: closes them all.
  void close_all();

 private:
  enum class Phase { kHead, kIdle, kBusy, kDraining };
  struct Connection {
    int fd = -1;
    std::string ip;        // the peer
    std::string client;    // counted in per_client_ under this (the peer, or whom it forwards for)
    bool proxied = false;  // the peer is a trusted proxy
    int port = 0;
    Phase phase = Phase::kHead;
    std::chrono::steady_clock::time_point deadline;
    HeadScan scan;
    std::size_t seen = 0;  // bytes peeked so far
    std::size_t requests = 0;
    std::size_t drained = 0;
    bool counted = true;  // in per_client_ (a refused connection no longer is)
  };
  using Clock = std::chrono::steady_clock;

  void accept_all();
  void on_event(std::uint64_t id, std::uint32_t events);
  void on_readable(std::uint64_t id, Connection& connection, bool peer_closed);
  void on_deadline(std::uint64_t id);
  void take_back_returned();
  void watch(std::uint64_t id, Connection& connection, Phase phase, Clock::duration timeout);
  void refuse(std::uint64_t id, Connection& connection, int status, std::string_view code,
              std::string_view message);
  void close(std::uint64_t id);
  void set_deadline(std::uint64_t id, Connection& connection, Clock::time_point deadline);
  void uncount(std::uint64_t id, Connection& connection);
  std::size_t reap_closed(const std::string& client);
  // Counts `connection` under `client`; false after refusing it (too many).
  bool count(std::uint64_t id, Connection& connection, const std::string& client);

  Listener listener_;
  const GateOptions options_;
  Refusal refusal_;
  Handoff handoff_;
  jobs::Logger& log_;
  int epoll_ = -1;
  int wake_ = -1;  // eventfd: stop() and give_back()
  std::atomic<bool> stopping_{false};
  bool accepting_ = true;  // false while out of file descriptors

  // Gate thread only (and close_all() after run()).
  std::uint64_t next_id_ = 2;  // 0: the listener, 1: the eventfd
  std::map<std::uint64_t, Connection> connections_;
  std::map<std::string, std::set<std::uint64_t>> per_client_;  // open connections by address
  std::set<std::pair<Clock::time_point, std::uint64_t>> deadlines_;
  std::size_t draining_ = 0;
  std::vector<char> peek_buffer_;

  std::mutex returned_mu_;
  std::vector<std::pair<std::uint64_t, bool>> returned_;
};

}  // namespace outbreak::serve::detail
