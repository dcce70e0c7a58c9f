// `outbreak run`: simulate a scenario and print or save its results.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace outbreak::cli {

struct RunOptions {
  std::string scenario_path;             // empty: defaults only
  std::optional<std::string> preset;     // applied before the file
  std::vector<std::string> assignments;  // "key=value", applied after the file
  std::string format = "table";          // table | csv | json
  std::string output_path;               // empty: stdout
  std::string line_list_path;            // empty: no line list
  int threads = 1;                       // 1 .. max_threads()
};

// Runs the scenario and writes its results: nothing but data on stdout, a
// progress bar on stderr only if stderr is a terminal, and --output and
// --line-list (one CSV row per infection of every replicate, streamed while
// the run goes) written completely or not at all. SIGINT/SIGTERM stop the
// run between days with no output. Returns the exit status (0, 1 run failed,
// 2 bad input); errors go to stderr.
int run_command(const RunOptions& options);

}  // namespace outbreak::cli
