// E-mail addresses and header values (mail::validate_address,
// mail::validate_header_value) and the message they go into (mail::render).
// The input is split at the first NUL byte into an address and a header
// value. Properties: an accepted address is at most 254 bytes of printable
// ASCII with exactly one '@' and no spaces; an accepted header value holds
// no control character; a message rendered with them has a header section
// in which every line is a "Name: value" header or a folded continuation,
// so neither can add a header of its own.
#include <chrono>
#include <string>

#include "fuzz_support.hpp"
#include "outbreak/mail/address.hpp"
#include "outbreak/mail/message.hpp"

using namespace outbreak;

namespace {

void check_headers(const std::string& message) {
  const auto end = message.find("\r\n\r\n");
  fuzz::check(end != std::string::npos, "a rendered message has a header section");
  std::string_view headers(message.data(), end + 2);
  while (!headers.empty()) {
    const auto crlf = headers.find("\r\n");
    fuzz::check(crlf != std::string_view::npos, "header lines end with CRLF");
    const std::string_view line = headers.substr(0, crlf);
    headers.remove_prefix(crlf + 2);
    fuzz::check(
        line.find('\r') == std::string_view::npos && line.find('\n') == std::string_view::npos,
        "no bare CR or LF in a header line");
    if (line.starts_with(' ') || line.starts_with('\t')) continue;  // folded
    const auto colon = line.find(':');
    fuzz::check(colon != std::string_view::npos && colon > 0, "a header line is Name: value");
    const std::string_view name = line.substr(0, colon);
    fuzz::check(name == "Date" || name == "Message-ID" || name == "From" || name == "To" ||
                    name == "Subject" || name == "MIME-Version" || name == "Content-Type",
                "only the headers render() writes");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  const auto nul = input.find('\0');
  const std::string_view address = input.substr(0, nul);
  const std::string_view value =
      nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

  const Status address_ok = mail::validate_address(address);
  if (address_ok) {
    fuzz::check(!address.empty() && address.size() <= mail::kMaxAddressLength,
                "an accepted address is 1..254 bytes");
    for (const char c : address) {
      const auto byte = static_cast<unsigned char>(c);
      fuzz::check(byte > 0x20 && byte < 0x7F, "an accepted address is printable ASCII");
    }
    fuzz::check(
        address.find('@') != std::string_view::npos && address.find('@') == address.rfind('@'),
        "an accepted address has exactly one '@'");
    fuzz::check(address.find_first_of("<>\",;:()[]\\") == std::string_view::npos,
                "an accepted address has no specials that would end it in a header");
  } else {
    fuzz::check(address_ok.error().code == ErrorCode::kInvalidInput,
                "a bad address is kInvalidInput");
  }
  const Status value_ok = mail::validate_header_value(value);
  if (value_ok) {
    fuzz::check(!fuzz::has_control(value), "an accepted header value has no control character");
    fuzz::check(value.size() <= 998, "an accepted header value is at most 998 bytes");
  }

  // render() promises no injected header even for values that were not
  // checked; an unchecked address is only ever given to it checked.
  mail::Message message;
  message.from_address = address_ok ? std::string(address) : "outbreak@localhost";
  message.from_name = std::string(value);
  message.to_address = address_ok ? std::string(address) : "someone@example.org";
  message.subject = std::string(value);
  message.text_body = std::string(value);
  message.html_body = mail::html_escape(value);
  message.date = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  message.message_id_domain = "example.org";
  check_headers(mail::render(message));
  return 0;
}
