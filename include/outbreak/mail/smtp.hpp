// Sending mail over SMTP with libcurl.
//
// Configuration comes from one URL (OUTBREAK_SMTP_URL):
//   smtp://host[:port]              plain SMTP (port 25); STARTTLS is used when
//                                   the server offers it
//   smtp://user:pass@host[:port]    credentials: STARTTLS is required, so a
//                                   password never crosses the network in clear
//   smtps://[user:pass@]host[:port] TLS from the first byte (port 465)
// User and password are percent-decoded ("%40" for '@'). Messages and logs
// show the URL with the password as "***" (store::redact_url).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "outbreak/util/result.hpp"

namespace outbreak::mail {

struct SmtpConfig {
  bool implicit_tls = false;  // smtps://
  std::string host;           // a name, an IPv4 address or an IPv6 address (no brackets)
  int port = 25;
  std::string user;  // empty: no authentication
  std::string password;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds transfer_timeout{60'000};  // the whole conversation
};

// Parses an SMTP URL (see above); timeouts keep their defaults. Errors
// (kInvalidInput, naming the problem and the redacted URL): a scheme other
// than smtp or smtps, no host, a port outside 1..65535, a bad percent escape,
// a path or query. Pure; thread-safe.
Result<SmtpConfig> parse_smtp_url(std::string_view url);

// The URL of `config` without credentials ("smtp://host:port"), for logs.
std::string describe(const SmtpConfig& config);

enum class SendOutcome {
  kDelivered,  // the server accepted the message (250 after DATA)
  kTransient,  // try again later: no connection, a timeout, a 4xx reply
  kPermanent,  // do not retry: a 5xx reply, or a configuration the server refuses
};
std::string_view to_string(SendOutcome outcome);  // "delivered", "transient", "permanent"

struct SendResult {
  SendOutcome outcome = SendOutcome::kDelivered;
  int reply_code = 0;  // the server's last reply code, 0 if none came
  // Empty when delivered; otherwise what went wrong, with the server's last
  // reply ("550 5.1.1 mailbox unavailable") when there was one. Never holds
  // the password.
  std::string detail;
};

// Delivers one rendered message to one recipient. Implementations say
// whether they are thread-safe.
class Transport {
 public:
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  virtual ~Transport() = default;

  // `from` and `to` are addr-specs; `data` is the message (CRLF lines, as
  // render() makes it).
  virtual SendResult send(std::string_view from, std::string_view to, std::string_view data) = 0;
};

// One SMTP connection per send(), through libcurl (initialised once per
// process, thread-safely, on the first construction). Not thread-safe: one
// SmtpTransport per thread.
std::unique_ptr<Transport> make_smtp_transport(SmtpConfig config);

}  // namespace outbreak::mail
