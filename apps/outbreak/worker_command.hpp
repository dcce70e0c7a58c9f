// `outbreak worker`: claims and runs simulation jobs until SIGINT or SIGTERM.
#pragma once

#include <string>

namespace outbreak::cli {

struct WorkerCommandOptions {
  std::string database;  // empty: OUTBREAK_DATABASE_URL, else the default
  int concurrency = 1;   // jobs at once (worker threads, each with its own connection)
  int threads = 1;       // engine threads per job
  bool drain = false;    // on a signal, finish running jobs first
  double lease_seconds = 30;
  double poll_seconds = 1;
};

// Runs workers until interrupted; logs one line per job start and finish on
// stdout (OUTBREAK_LOG_FORMAT=json for JSON lines). The first SIGINT or
// SIGTERM stops claiming and gives running jobs back (or, with --drain,
// finishes them); a second one kills. Returns 0 after a graceful stop, 2 for
// bad options or URL, 1 for an unreachable database.
int worker_command(const WorkerCommandOptions& options);

}  // namespace outbreak::cli
