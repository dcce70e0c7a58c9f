// `outbreak` processes for the API tests: started with chosen arguments and
// environment (nothing else of OUTBREAK_* from the test's own environment),
// output in a file, killed when the test ends; and `outbreak serve`, whose
// port is read from its "listening on" line.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace outbreak::serve::testing {

using Environment = std::map<std::string, std::string>;

class ChildProcess {
 public:
  // Starts OUTBREAK_BINARY with `args` and `env` added to the environment;
  // stdout (and stderr, if `stderr_too`) appended to `log_path`. Throws if
  // it cannot be started.
  ChildProcess(std::vector<std::string> args, const Environment& env, std::string log_path,
               bool stderr_too = true);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // SIGKILL and reap if still running

  pid_t pid() const { return pid_; }
  void signal(int signal) const;
  // The exit status (128 + signal if killed), or nullopt if it did not end
  // within `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // What it has written so far.
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<int> status_;
};

class ServerProcess {
 public:
  // Starts `outbreak serve --listen 127.0.0.1:0` plus `args` and waits (up
  // to 30 s) for its listening line. Throws, with the output, if it exits
  // or never listens.
  ServerProcess(std::vector<std::string> args, const Environment& env, std::string log_path);

  int port() const { return port_; }
  ChildProcess& process() { return process_; }
  std::string output() const { return process_.output(); }

 private:
  ChildProcess process_;
  int port_ = 0;
};

struct Finished {
  int status = -1;
  std::string output;  // stdout only
};
// Runs OUTBREAK_BINARY with `args` to its end (at most 60 s), stdout to
// `output_path`. Throws on a timeout.
Finished run_outbreak(std::vector<std::string> args, const std::string& output_path);

}  // namespace outbreak::serve::testing
