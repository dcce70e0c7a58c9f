#include "mail/smtp_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace outbreak::mail::testing {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

std::vector<fs::path> sorted_files(const fs::path& directory, std::string_view extension) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.path().extension() == extension) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
  std::random_device device;
  path_ = fs::temp_directory_path() /
          (prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(device()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    close(fd);
    throw std::system_error(error, std::generic_category(), "bind to a free port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

bool accepts_connections(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const sockaddr_in address = loopback(port);
  const bool connected =
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return connected;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

SmtpServer::SmtpServer(int port, fs::path directory, std::string replies)
    : port_(port), directory_(std::move(directory)) {
  fs::create_directories(directory_);
  std::vector<std::string> args = {"/usr/bin/python3",
                                   "-m",
                                   "aiosmtpd",
                                   "-n",
                                   "-l",
                                   "127.0.0.1:" + std::to_string(port),
                                   "-c",
                                   "smtp_server.Handler",
                                   directory_.string(),
                                   replies};
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view item(*entry);
    if (!item.starts_with("PYTHON")) env.emplace_back(item);
  }
  env.emplace_back("PYTHONPATH=" OUTBREAK_MAIL_TEST_DIR);
  env.emplace_back("PYTHONDONTWRITEBYTECODE=1");  // nothing written into the source tree
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& item : env) envp.push_back(item.data());
  envp.push_back(nullptr);
  const std::string log = (directory_ / "server.log").string();
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid_ == 0) {
    // Only async-signal-safe calls until exec. The server dies with this
    // process even if a test crashes before the destructor runs.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int in = open("/dev/null", O_RDONLY);
    const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0) _exit(127);
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(out, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  const bool up = wait_until(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          throw std::runtime_error("the SMTP test server exited at start: " + output());
        }
        return accepts_connections(port_);
      },
      std::chrono::seconds(30));
  if (!up) {
    const std::string printed = output();
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    throw std::runtime_error("the SMTP test server did not listen within 30 s: " + printed);
  }
}

SmtpServer::~SmtpServer() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

std::string SmtpServer::url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

std::vector<nlohmann::json> SmtpServer::messages() const {
  std::vector<nlohmann::json> out;
  for (const auto& file : sorted_files(directory_, ".json")) {
    out.push_back(nlohmann::json::parse(read_file(file)));
  }
  return out;
}

std::string SmtpServer::raw(std::size_t index) const {
  const auto files = sorted_files(directory_, ".eml");
  return index < files.size() ? read_file(files[index]) : std::string();
}

std::vector<int> SmtpServer::replies() const {
  std::vector<int> codes;
  std::istringstream in(read_file(directory_ / "replies.log"));
  for (int code = 0; in >> code;) codes.push_back(code);
  return codes;
}

bool SmtpServer::wait_for_messages(std::size_t count, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return sorted_files(directory_, ".json").size() >= count; }, timeout);
}

std::string SmtpServer::output() const { return read_file(directory_ / "server.log"); }

}  // namespace outbreak::mail::testing
