#include "serve/server_process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

extern char** environ;

namespace outbreak::serve::testing {
namespace {

using std::chrono::milliseconds;

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (std::string& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> args, const Environment& extra,
                           std::string log_path, bool stderr_too)
    : log_path_(std::move(log_path)) {
  args.insert(args.begin(), OUTBREAK_BINARY);
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!std::string_view(*entry).starts_with("OUTBREAK_")) env.emplace_back(*entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (stderr_too) posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  const int spawned = posix_spawn(&pid_, OUTBREAK_BINARY, &actions, &attributes,
                                  pointers(args).data(), pointers(env).data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) throw std::system_error(spawned, std::generic_category(), "posix_spawn");
}

ChildProcess::~ChildProcess() {
  if (status_) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void ChildProcess::signal(int signal) const { kill(pid_, signal); }

std::optional<int> ChildProcess::wait(milliseconds timeout) {
  if (status_) return status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return status_;
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(milliseconds(5));
  }
}

std::string ChildProcess::output() const { return read_file(log_path_); }

ServerProcess::ServerProcess(std::vector<std::string> args, const Environment& env,
                             std::string log_path)
    : process_(
          [&] {
            args.insert(args.begin(), {"serve", "--listen", "127.0.0.1:0"});
            return std::move(args);
          }(),
          env, std::move(log_path)) {
  const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    const std::string text = output();
    if (std::regex_search(text, match, listening)) {
      port_ = std::stoi(match[1]);
      return;
    }
    if (auto status = process_.wait(milliseconds(0))) {
      throw std::runtime_error("outbreak serve exited with status " + std::to_string(*status) +
                               " before listening:\n" + text);
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  // The member's destructor kills it.
  throw std::runtime_error("outbreak serve did not print its address within 30 s:\n" + output());
}

Finished run_outbreak(std::vector<std::string> args, const std::string& output_path) {
  ChildProcess process(std::move(args), {}, output_path, /*stderr_too=*/false);
  const auto status = process.wait(std::chrono::seconds(60));
  if (!status) throw std::runtime_error("outbreak did not finish within 60 s");
  return Finished{*status, process.output()};
}

}  // namespace outbreak::serve::testing
