#include "outbreak/mail/message.hpp"

#include <array>
#include <ctime>

#include <fmt/format.h>

#include "mail/encoding.hpp"
#include "outbreak/store/store.hpp"

namespace outbreak::mail {
namespace {

// A unique token: 32 hex digits from a random UUID.
std::string random_token() {
  std::string token = store::new_uuid_v4();
  std::erase(token, '-');
  return token;
}

std::string header(std::string_view name, std::string_view value) {
  return fmt::format("{}: {}\r\n", name, value);
}

std::string from_header(const Message& message) {
  std::string line = "From: ";
  std::size_t column = line.size();
  if (!message.from_name.empty()) {
    line += detail::encode_phrase(message.from_name, column);
    const std::string address = fmt::format("<{}>", detail::without_controls(message.from_address));
    if (column + 1 + address.size() > detail::kHeaderLineLimit) line += "\r\n";
    line += ' ' + address;
  } else {
    line += detail::without_controls(message.from_address);
  }
  return line + "\r\n";
}

std::string part(std::string_view boundary, std::string_view type, std::string_view body) {
  return fmt::format(
      "--{}\r\nContent-Type: {}; charset=UTF-8\r\nContent-Transfer-Encoding: "
      "quoted-printable\r\n\r\n{}\r\n",
      boundary, type, detail::quoted_printable(body));
}

}  // namespace

std::string format_date(std::chrono::system_clock::time_point time) {
  static constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                            "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000",
                     kDays.at(static_cast<std::size_t>(tm.tm_wday)), tm.tm_mday,
                     kMonths.at(static_cast<std::size_t>(tm.tm_mon)), tm.tm_year + 1900, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render(const Message& message) {
  // "=_" never occurs in quoted-printable text, so the boundary cannot
  // appear inside a part.
  const std::string boundary = "=_outbreak_" + random_token();
  std::string out;
  out += header("Date", format_date(message.date));
  out += header("Message-ID", fmt::format("<{}@{}>", random_token(),
                                          detail::without_controls(message.message_id_domain)));
  out += from_header(message);
  out += header("To", detail::without_controls(message.to_address));
  out += header("Subject", detail::encode_unstructured(message.subject, 9));
  out += header("MIME-Version", "1.0");
  out += fmt::format("Content-Type: multipart/alternative;\r\n boundary=\"{}\"\r\n", boundary);
  out += "\r\n";
  out += "This is a MIME message in two versions: plain text and HTML.\r\n\r\n";
  out += part(boundary, "text/plain", message.text_body);
  out += part(boundary, "text/html", message.html_body);
  out += fmt::format("--{}--\r\n", boundary);
  return out;
}

}  // namespace outbreak::mail
