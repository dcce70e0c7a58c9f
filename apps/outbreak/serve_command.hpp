// `outbreak serve`: the HTTP API, the web UI and in-process workers.
#pragma once

#include <string>

namespace outbreak::cli {

struct ServeOptions {
  std::string listen;    // empty: OUTBREAK_LISTEN, else 127.0.0.1:8080
  std::string database;  // empty: OUTBREAK_DATABASE_URL, else the default
  int workers = -1;      // < 0: OUTBREAK_WORKERS, else 1
};

// Migrates the database, starts the workers and the server, prints
// "listening on http://HOST:PORT" (the real port when asked for port 0) and
// serves until SIGINT or SIGTERM; then ends event streams, stops accepting,
// gives running jobs back to the queue and returns 0 within seconds. Every
// other setting comes from the environment (docs/api.md). Returns 2 for bad
// settings, 1 when the database or the address is unusable.
int serve_command(const ServeOptions& options);

}  // namespace outbreak::cli
