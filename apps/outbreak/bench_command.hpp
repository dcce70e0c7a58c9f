// `outbreak bench`: how fast and how big the engine is on this machine.
#pragma once

namespace outbreak::cli {

struct BenchOptions {
  int threads = 1;     // 1 .. max_threads()
  bool quick = false;  // leave out the 10-million-agent scenario
  bool large = false;  // add 30 and 100 million agents (needs ~3 GB and a few minutes)
};

// Runs the standard scenarios (100k, 1M and, without `quick`, 10M agents,
// 100 days) with `threads` threads, then the largest with one thread, and
// prints an aligned table and the speedup on stdout. Returns the exit
// status; errors go to stderr.
int bench_command(const BenchOptions& options);

}  // namespace outbreak::cli
