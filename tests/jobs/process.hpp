// Starting `outbreak` processes for the jobs tests: stdout and stderr go to a
// file (the worker logs there), the environment without OUTBREAK_* settings.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace outbreak::jobs::testing {

class Process {
 public:
  // Starts OUTBREAK_BINARY with `args`, output appended to `log_path`, and
  // `environment` ("NAME=value" entries) added to the environment.
  Process(std::vector<std::string> args, const std::string& log_path,
          const std::vector<std::string>& environment = {});
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();  // kills (SIGKILL) and reaps a process still running

  pid_t pid() const { return pid_; }
  void signal(int signal) const;
  // The exit status (128 + signal if killed), or nullopt if it did not end
  // within `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Whether `pid` has installed a handler for `signal` (from /proc).
bool catches_signal(pid_t pid, int signal);

}  // namespace outbreak::jobs::testing
