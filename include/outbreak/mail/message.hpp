// Message: one e-mail, and its rendering as an RFC 5322 / MIME text ready
// for SMTP's DATA.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace outbreak::mail {

struct Message {
  std::string from_address;  // addr-spec, checked with validate_address()
  std::string from_name;     // display name, UTF-8; empty: none
  std::string to_address;    // addr-spec
  std::string subject;       // UTF-8, one line
  std::string text_body;     // UTF-8, lines separated by "\n"
  std::string html_body;     // UTF-8 HTML; every value in it already escaped
  std::chrono::system_clock::time_point date;
  std::string message_id_domain;  // the part after '@' in Message-ID
};

// The message as RFC 5322 text with CRLF line endings, in this order: Date
// (RFC 5322 form, UTC, "+0000"), Message-ID (<random@message_id_domain>),
// From, To, Subject, MIME-Version, then a multipart/alternative body (with a
// random boundary) holding a text/plain and a text/html part, both UTF-8 and
// quoted-printable. A non-ASCII display name or subject becomes RFC 2047
// encoded-words; header lines are folded to 78 characters where there is a
// place to break. Header values are expected to have passed
// validate_header_value(); any control character left in one is replaced by
// a space, so no value can add a header. Thread-safe.
std::string render(const Message& message);

// "Thu, 01 Jan 2026 12:00:00 +0000". Thread-safe.
std::string format_date(std::chrono::system_clock::time_point time);

// `text` with & < > " ' replaced by entities, safe as HTML text and inside a
// quoted attribute value. Thread-safe.
std::string html_escape(std::string_view text);

}  // namespace outbreak::mail
