#include "outbreak/mail/smtp.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <mutex>
#include <optional>

#include <curl/curl.h>
#include <fmt/format.h>

#include "outbreak/store/url.hpp"

namespace outbreak::mail {
namespace {

Error bad_url(std::string_view url, std::string_view problem) {
  return Error::invalid(
      fmt::format("malformed SMTP URL '{}': {}; expected "
                  "smtp://[user:password@]host[:port] or smtps://...",
                  store::redact_url(url), problem));
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A host name (letters, digits, '-', '.', '_') or an IPv4 address; with
// `bracketed`, an IPv6 address (hex digits, ':', '.').
bool valid_host(std::string_view host, bool bracketed) {
  return std::all_of(host.begin(), host.end(), [bracketed](char c) {
    if (bracketed) return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
  });
}

Status parse_host_port(std::string_view url, std::string_view hostport, SmtpConfig& config) {
  std::string_view host = hostport;
  std::optional<std::string_view> port;
  const bool bracketed = !hostport.empty() && hostport.front() == '[';
  if (bracketed) {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) return bad_url(url, "an IPv6 address without ']'");
    host = hostport.substr(1, close - 1);
    const auto rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad_url(url, "unexpected text after the IPv6 address");
      port = rest.substr(1);
    }
  } else if (const auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  if (host.empty()) return bad_url(url, "no host");
  // Anything else would reach libcurl's URL as it is, and describe() would
  // show a server that does not parse back.
  if (!valid_host(host, bracketed)) {
    return bad_url(url,
                   "the host must be a name of letters, digits, '-', '.' and '_', an IPv4 "
                   "address, or an IPv6 address in brackets");
  }
  config.host = std::string(host);
  if (port) {
    int value = 0;
    const auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), value);
    if (ec != std::errc{} || end != port->data() + port->size() || value < 1 || value > 65535) {
      return bad_url(url, fmt::format("port '{}' is not a number in 1..65535", *port));
    }
    config.port = value;
  }
  return Ok{};
}

// Initialises libcurl once per process; curl_global_init is not safe to race.
void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The name this machine gives in EHLO.
std::string local_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  const std::string_view text = name.data();
  const bool usable = std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-';
  });
  return usable ? std::string(text) : "localhost";
}

class SmtpTransport final : public Transport {
 public:
  explicit SmtpTransport(SmtpConfig config) : config_(std::move(config)) { init_curl_once(); }

  SendResult send(std::string_view from, std::string_view to, std::string_view data) override;

 private:
  struct Upload {
    std::string_view data;
    std::size_t offset = 0;
  };

  // Collects the server's replies (CURLINFO_HEADER_IN lines) so that a
  // failure can quote the last one; nothing we send is kept.
  static int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* self);
  static std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* upload);

  SendResult failure(CURLcode code, long reply_code, const char* error_buffer) const;

  SmtpConfig config_;
  std::string partial_reply_;
  std::string last_reply_;
};

int SmtpTransport::on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* self) {
  if (type != CURLINFO_HEADER_IN) return 0;
  auto& transport = *static_cast<SmtpTransport*>(self);
  std::string_view text(data, size);
  while (!text.empty()) {
    const auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
    if (line.empty()) continue;
    if (!transport.partial_reply_.empty()) transport.partial_reply_ += " ";
    transport.partial_reply_ += line;
    // "250-..." continues a reply, "250 ..." (or "250") ends it.
    if (line.size() < 4 || line[3] != '-') {
      transport.last_reply_ = std::move(transport.partial_reply_);
      transport.partial_reply_.clear();
    }
  }
  return 0;
}

std::size_t SmtpTransport::on_read(char* buffer, std::size_t size, std::size_t count,
                                   void* upload_ptr) {
  auto& upload = *static_cast<Upload*>(upload_ptr);
  const std::size_t n = std::min(size * count, upload.data.size() - upload.offset);
  std::memcpy(buffer, upload.data.data() + upload.offset, n);
  upload.offset += n;
  return n;
}

SendResult SmtpTransport::failure(CURLcode code, long reply_code, const char* error_buffer) const {
  SendResult result;
  result.reply_code = static_cast<int>(reply_code);
  const std::string where = describe(config_);
  if (reply_code >= 400 && reply_code < 600) {
    result.outcome = reply_code >= 500 ? SendOutcome::kPermanent : SendOutcome::kTransient;
    result.detail = fmt::format("the SMTP server at {} replied: {}", where,
                                last_reply_.empty() ? std::to_string(reply_code) : last_reply_);
  } else {
    // No error reply: the connection, TLS or the configuration failed.
    switch (code) {
      case CURLE_USE_SSL_FAILED:
      case CURLE_LOGIN_DENIED:
      case CURLE_AUTH_ERROR:
      case CURLE_UNSUPPORTED_PROTOCOL:
      case CURLE_URL_MALFORMAT:
      case CURLE_NOT_BUILT_IN:
      case CURLE_PEER_FAILED_VERIFICATION:
        result.outcome = SendOutcome::kPermanent;
        break;
      default:
        result.outcome = SendOutcome::kTransient;
    }
    const std::string_view extra = error_buffer;
    result.detail = fmt::format("SMTP to {} failed: {}{}", where, curl_easy_strerror(code),
                                extra.empty() ? "" : fmt::format(" ({})", extra));
  }
  result.detail = store::scrub(std::move(result.detail), config_.password);
  return result;
}

SendResult SmtpTransport::send(std::string_view from, std::string_view to, std::string_view data) {
  partial_reply_.clear();
  last_reply_.clear();
  const std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(),
                                                                 &curl_easy_cleanup);
  if (!curl) return {SendOutcome::kTransient, 0, "libcurl could not start a transfer"};
  curl_slist* recipients = curl_slist_append(nullptr, fmt::format("<{}>", to).c_str());
  const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients_guard(
      recipients, &curl_slist_free_all);
  if (recipients == nullptr) return {SendOutcome::kTransient, 0, "out of memory"};

  const std::string host = config_.host.find(':') == std::string::npos
                               ? config_.host
                               : fmt::format("[{}]", config_.host);
  // The path of an SMTP URL is the name libcurl gives in EHLO.
  const std::string url = fmt::format("{}://{}:{}/{}", config_.implicit_tls ? "smtps" : "smtp",
                                      host, config_.port, local_name());
  const std::string mail_from = fmt::format("<{}>", from);
  Upload upload{data, 0};
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(handle, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(handle, CURLOPT_READFUNCTION, &SmtpTransport::on_read);
  curl_easy_setopt(handle, CURLOPT_READDATA, &upload);
  curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(data.size()));
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM in a threaded process
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(config_.connect_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.transfer_timeout.count()));
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer.data());
  curl_easy_setopt(handle, CURLOPT_DEBUGFUNCTION, &SmtpTransport::on_debug);
  curl_easy_setopt(handle, CURLOPT_DEBUGDATA, this);
  curl_easy_setopt(handle, CURLOPT_VERBOSE, 1L);  // needed for the debug callback; prints nothing
  if (!config_.user.empty()) {
    curl_easy_setopt(handle, CURLOPT_USERNAME, config_.user.c_str());
    curl_easy_setopt(handle, CURLOPT_PASSWORD, config_.password.c_str());
  }
  if (!config_.implicit_tls) {
    // A password must not cross the network in clear; without one, use TLS
    // when the server offers it (test servers on loopback do not).
    curl_easy_setopt(handle, CURLOPT_USE_SSL,
                     static_cast<long>(config_.user.empty() ? CURLUSESSL_TRY : CURLUSESSL_ALL));
  }
  const CURLcode code = curl_easy_perform(handle);
  long reply_code = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply_code);
  if (code == CURLE_OK) return {SendOutcome::kDelivered, static_cast<int>(reply_code), ""};
  return failure(code, reply_code, error_buffer.data());
}

}  // namespace

Result<SmtpConfig> parse_smtp_url(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return bad_url(url, "no scheme");
  const std::string scheme = lower(url.substr(0, sep));
  SmtpConfig config;
  if (scheme == "smtps") {
    config.implicit_tls = true;
    config.port = 465;
  } else if (scheme != "smtp") {
    return bad_url(url, fmt::format("unknown scheme '{}' (use smtp or smtps)", url.substr(0, sep)));
  }
  std::string_view rest = url.substr(sep + 3);
  if (rest.find('?') != std::string_view::npos) return bad_url(url, "SMTP URLs take no ?query");
  // The authority ends at the first '/' after the last '@', so that a raw '/'
  // in a password does not cut it short.
  const auto at = rest.rfind('@');
  const auto slash = rest.find('/', at == std::string_view::npos ? 0 : at);
  if (slash != std::string_view::npos) {
    if (slash + 1 != rest.size()) return bad_url(url, "SMTP URLs take no path");
    rest = rest.substr(0, slash);
  }
  if (at != std::string_view::npos) {
    const auto userinfo = rest.substr(0, at);
    const auto colon = userinfo.find(':');
    auto user = store::percent_decode(userinfo.substr(0, colon));
    auto password = store::percent_decode(
        colon == std::string_view::npos ? std::string_view{} : userinfo.substr(colon + 1));
    if (!user || !password) return bad_url(url, "bad percent escape in the user or password");
    if (user->empty()) return bad_url(url, "no user name before the '@'");
    config.user = std::move(*user);
    config.password = std::move(*password);
    rest = rest.substr(at + 1);
  }
  if (Status status = parse_host_port(url, rest, config); !status) return status.error();
  return config;
}

std::string describe(const SmtpConfig& config) {
  const bool v6 = config.host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}", config.implicit_tls ? "smtps" : "smtp", v6 ? "[" : "",
                     config.host, v6 ? "]" : "", config.port);
}

std::string_view to_string(SendOutcome outcome) {
  switch (outcome) {
    case SendOutcome::kDelivered:
      return "delivered";
    case SendOutcome::kTransient:
      return "transient";
    case SendOutcome::kPermanent:
      return "permanent";
  }
  return "unknown";
}

std::unique_ptr<Transport> make_smtp_transport(SmtpConfig config) {
  return std::make_unique<SmtpTransport>(std::move(config));
}

}  // namespace outbreak::mail
