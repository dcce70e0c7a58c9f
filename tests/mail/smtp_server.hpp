// A real SMTP server on loopback for the mail tests: aiosmtpd running
// tests/mail/smtp_server.py in its own process, killed when this object
// goes, whatever happened in the test, and by the kernel if the test
// process dies first (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace outbreak::mail::testing {

// A folder under the system's temporary folder, removed on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and
// released).
int free_port();

// Whether something accepts connections on 127.0.0.1:port.
bool accepts_connections(int port);

class SmtpServer {
 public:
  // Starts the server on 127.0.0.1:`port`, storing messages in `directory`
  // and answering DATA as `replies` says (see smtp_server.py), and waits
  // until it accepts connections. Throws (with the server's output) if it
  // does not within 30 s.
  SmtpServer(int port, std::filesystem::path directory, std::string replies = "250");
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;
  ~SmtpServer();  // SIGKILL and reap

  int port() const { return port_; }
  std::string url() const;  // smtp://127.0.0.1:PORT

  // The accepted messages so far as smtp_server.py describes them, in order.
  std::vector<nlohmann::json> messages() const;
  // The raw bytes of accepted message `index` (0-based).
  std::string raw(std::size_t index) const;
  // The reply codes given at DATA so far, in order.
  std::vector<int> replies() const;
  // Waits until at least `count` messages were accepted; false on timeout.
  bool wait_for_messages(std::size_t count,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
  // What the server printed (for failure messages).
  std::string output() const;

 private:
  int port_;
  std::filesystem::path directory_;
  pid_t pid_ = -1;
};

// Polls `condition` every 5 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace outbreak::mail::testing
