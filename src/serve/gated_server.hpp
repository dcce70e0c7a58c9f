// cpp-httplib's request processing, fed by the connection gate (gate.hpp)
// instead of httplib's own accept loop: one request per hand-off, on a
// socket whose head has already arrived in full.
#pragma once

#include <httplib.h>

#include <chrono>

#include "gate.hpp"

namespace outbreak::serve::detail {

class GatedServer : public httplib::Server {
 public:
  // Whole-request bodies must arrive within `body_timeout`, on top of the
  // per-read timeout.
  explicit GatedServer(std::chrono::milliseconds body_timeout) : body_timeout_(body_timeout) {}

  // Reads, routes and answers the one request of `arrival` on the calling
  // thread (a request thread). Returns whether the connection may carry
  // another request: the client did not ask to close, the response was
  // written in full, and the request's body was read exactly. Never throws.
  bool serve(const Arrival& arrival);

  // httplib ends every response body that a content provider writes (event
  // streams, line lists) as soon as its listening socket reads as closed,
  // and that socket is its own accept loop's, which is not used here. So
  // the gate's listening socket stands in for it: set while serving, then
  // cleared when the server stops, which ends those bodies as httplib's
  // own stop() would. Thread-safe.
  void set_serving(int listener_fd) { svr_sock_ = listener_fd; }
  void clear_serving() { svr_sock_ = INVALID_SOCKET; }

 private:
  std::chrono::milliseconds body_timeout_;
};

}  // namespace outbreak::serve::detail
