// A plain TCP connection to the server under test, for what an HTTP client
// library will not do: send a head byte by byte, from a chosen source
// address (127.0.0.2, ...: distinct clients on loopback), pipeline requests.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace outbreak::serve::testing {

class RawConnection {
 public:
  // Connects to 127.0.0.1:`port` from `source` (any port). Throws if the
  // connection cannot be made.
  RawConnection(int port, const std::string& source = "127.0.0.1");
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  RawConnection(RawConnection&& other) noexcept;
  ~RawConnection();

  // Sends all of `bytes`; false if the server has closed or reset.
  bool send(std::string_view bytes);
  // Waits up to `timeout` for the server to send something or close;
  // true when it did (read() will not block).
  bool readable(std::chrono::milliseconds timeout) const;
  // Reads one response: head, then a Content-Length body, or everything to
  // the end of the connection without one. nullopt if nothing whole came
  // within `timeout`.
  std::optional<std::string> read_response(std::chrono::milliseconds timeout);
  // Reads until the server closes, up to `timeout`; what came, or nullopt
  // if it did not close in time.
  std::optional<std::string> read_to_end(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string buffered_;
};

// The status code of a response ("HTTP/1.1 431 ..." gives 431), -1 if none.
int status_of_response(std::string_view response);
// The "code" of the JSON error body of a response, "" if none.
std::string error_code_of_response(std::string_view response);

}  // namespace outbreak::serve::testing
