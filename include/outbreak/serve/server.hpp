// Server: the HTTP API, event streams, web UI and metrics of `outbreak
// serve` (docs/api.md). In-process workers are not part of it: the caller
// runs them (jobs::run_workers) and feeds metrics() through WorkerOptions.
#pragma once

#include <memory>
#include <string>

#include "outbreak/jobs/log.hpp"
#include "outbreak/serve/config.hpp"
#include "outbreak/serve/metrics.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::serve {

class Server {
 public:
  // Checks `config`, opens its store connections (the database must be
  // migrated already) and binds the listening socket, so that port() is
  // known before run(). `log` must outlive the Server; it gets one
  // `http_request` line per answered request. Errors: kInvalidInput (bad
  // config), those of store::open_store, kIo when the address cannot be
  // bound.
  static Result<std::unique_ptr<Server>> create(const ServerConfig& config, jobs::Logger& log);

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server();  // requires run() to have returned (or never to have been called)

  // The bound port (the real one when the config asked for port 0).
  int port() const;
  // "http://host:port", for people and tests.
  std::string url() const;

  // Counters; add_agent_days() and add_source() may be fed from any thread.
  Metrics& metrics();

  // Serves requests until stop(); blocks. Errors: kIo if serving fails.
  Status run();

  // Ends every event stream, stops accepting connections, closes those
  // waiting for a request and lets requests in flight finish; run() then
  // returns Ok (at once if stop() came first). Thread-safe (but not
  // async-signal-safe: call it from a thread that saw the signal's flag);
  // idempotent.
  void stop();

  struct Impl;  // server.cpp

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace outbreak::serve
