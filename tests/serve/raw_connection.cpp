#include "serve/raw_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

namespace outbreak::serve::testing {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in address_of(const std::string& ip, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &address.sin_addr) != 1) {
    throw std::runtime_error("not an IPv4 address: " + ip);
  }
  return address;
}

int remaining_ms(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

RawConnection::RawConnection(int port, const std::string& source) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const sockaddr_in from = address_of(source, 0);
  const sockaddr_in to = address_of("127.0.0.1", port);
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd_, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("cannot connect from " + source + ": " + why);
  }
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffered_(std::move(other.buffered_)) {}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool RawConnection::readable(std::chrono::milliseconds timeout) const {
  if (!buffered_.empty()) return true;
  pollfd entry{fd_, POLLIN, 0};
  return ::poll(&entry, 1, static_cast<int>(timeout.count())) > 0;
}

std::optional<std::string> RawConnection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  bool closed = false;
  for (;;) {
    const std::size_t end = buffered_.find("\r\n\r\n");
    if (end != std::string::npos) {
      const std::string head = buffered_.substr(0, end + 4);
      std::size_t length = std::string::npos;
      std::string lower = head;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (const auto at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
        length = std::stoul(head.substr(at + 17));
      }
      if (length != std::string::npos && buffered_.size() >= head.size() + length) {
        std::string response = buffered_.substr(0, head.size() + length);
        buffered_.erase(0, response.size());
        return response;
      }
      if (length == std::string::npos && closed) return std::exchange(buffered_, {});
    }
    if (closed) return std::nullopt;
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, remaining_ms(deadline)) <= 0) return std::nullopt;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      closed = true;
    } else {
      buffered_.append(chunk, static_cast<std::size_t>(n));
    }
  }
}

std::optional<std::string> RawConnection::read_to_end(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    pollfd entry{fd_, POLLIN, 0};
    if (::poll(&entry, 1, remaining_ms(deadline)) <= 0) return std::nullopt;
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return std::exchange(buffered_, {});  // closed (or reset)
    buffered_.append(chunk, static_cast<std::size_t>(n));
  }
}

int status_of_response(std::string_view response) {
  if (response.size() < 12 || response.substr(0, 5) != "HTTP/") return -1;
  const std::size_t space = response.find(' ');
  if (space == std::string_view::npos) return -1;
  try {
    return std::stoi(std::string(response.substr(space + 1, 3)));
  } catch (const std::exception&) {
    return -1;
  }
}

std::string error_code_of_response(std::string_view response) {
  const std::size_t end = response.find("\r\n\r\n");
  if (end == std::string_view::npos) return "";
  const auto document = nlohmann::json::parse(response.substr(end + 4), nullptr, false);
  if (!document.is_object() || !document.contains("error")) return "";
  return document["error"].value("code", "");
}

}  // namespace outbreak::serve::testing
