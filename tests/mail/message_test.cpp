// render(): the message is read back with an independent reader
// (mime_reader) and must give back every value it was made from.
#include "outbreak/mail/message.hpp"

#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "mail/mime_reader.hpp"

namespace outbreak::mail {
namespace {

using testing::decode_encoded_words;
using testing::decode_quoted_printable;
using testing::Entity;
using testing::header_parameter;
using testing::parse_entity;
using testing::parse_multipart;

std::chrono::system_clock::time_point utc(int year, int month, int day, int hour, int minute,
                                          int second) {
  using namespace std::chrono;
  return sys_days(std::chrono::year(year) / month / day) + hours(hour) + minutes(minute) +
         seconds(second);
}

Message sample() {
  Message message;
  message.from_address = "outbreak@example.org";
  message.from_name = "Zoë Müller";
  message.to_address = "reader@example.net";
  message.subject = "Simulation finished: Épidémie à Zürich — 東京 ✓";
  message.text_body = "Grüße!\nA line with = signs and trailing spaces   \n" +
                      std::string(200, 'x') + "\nLast line: 100% ✓";
  message.html_body = "<p>Grüße &amp; <b>bold</b></p>\n<p>" + std::string(120, 'y') + "</p>";
  message.date = utc(2026, 1, 1, 12, 0, 5);
  message.message_id_domain = "example.org";
  return message;
}

// The text with every "\n" made CRLF, as a mail carries it.
std::string crlf(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

void expect_crlf_only(const std::string& raw) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n') {
      ASSERT_TRUE(i > 0 && raw[i - 1] == '\r') << "bare LF at " << i;
    }
    if (raw[i] == '\r') {
      ASSERT_TRUE(i + 1 < raw.size() && raw[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  EXPECT_TRUE(raw.ends_with("\r\n"));
}

TEST(MailRender, WritesEveryHeaderOnceWithCrlfLineEndings) {
  const std::string raw = render(sample());
  expect_crlf_only(raw);
  const Entity message = parse_entity(raw);
  std::vector<std::string> names;
  for (const auto& [name, value] : message.headers) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"Date", "Message-ID", "From", "To", "Subject",
                                             "MIME-Version", "Content-Type"}));
  EXPECT_EQ(message.header("Date"), "Thu, 01 Jan 2026 12:00:05 +0000");
  EXPECT_TRUE(
      std::regex_match(*message.header("Message-ID"), std::regex(R"(<[0-9a-f]{32}@example\.org>)")))
      << *message.header("Message-ID");
  EXPECT_EQ(message.header("To"), "reader@example.net");
  EXPECT_EQ(message.header("MIME-Version"), "1.0");
  for (const std::string& line : message.raw_header_lines) {
    EXPECT_LE(line.size(), 78u) << line;
  }
}

TEST(MailRender, NonAsciiNameAndSubjectRoundTripThroughRfc2047) {
  const Message input = sample();
  const Entity message = parse_entity(render(input));
  const std::string from = *message.header("From");
  EXPECT_NE(from.find("=?UTF-8?B?"), std::string::npos) << from;
  EXPECT_EQ(decode_encoded_words(from), "Zoë Müller <outbreak@example.org>");
  const std::string subject = *message.header("Subject");
  EXPECT_NE(subject.find("=?UTF-8?B?"), std::string::npos);
  EXPECT_EQ(decode_encoded_words(subject), input.subject);
  // Every byte on the wire is ASCII.
  for (const auto& line : message.raw_header_lines) {
    for (const char c : line) EXPECT_LT(static_cast<unsigned char>(c), 0x80) << line;
  }
}

TEST(MailRender, LongSubjectsFoldIntoShortLinesAndUnfoldToTheOriginal) {
  Message input = sample();
  std::string non_ascii;
  for (int i = 0; i < 40; ++i) non_ascii += "Müller–Lüdenscheidt ✓ ";
  std::string ascii;
  for (int i = 0; i < 30; ++i) ascii += "word" + std::to_string(i) + " ";
  ascii += "end";
  for (const std::string& subject : {non_ascii, ascii}) {
    input.subject = subject;
    const Entity message = parse_entity(render(input));
    for (const std::string& line : message.raw_header_lines) EXPECT_LE(line.size(), 78u) << line;
    // Encoded-words are at most 75 characters (RFC 2047).
    const std::string value = *message.header("Subject");
    std::smatch match;
    const std::regex word(R"(=\?[^?]+\?B\?[^?]*\?=)");
    for (auto it = std::sregex_iterator(value.begin(), value.end(), word);
         it != std::sregex_iterator(); ++it) {
      EXPECT_LE(it->str().size(), 75u);
    }
    EXPECT_EQ(decode_encoded_words(value), subject);
  }
}

TEST(MailRender, AsciiDisplayNameIsAQuotedString) {
  Message input = sample();
  input.from_name = R"(The "outbreak" \ service)";
  input.subject = "Plain subject";
  const Entity message = parse_entity(render(input));
  EXPECT_EQ(message.header("From"), R"("The \"outbreak\" \\ service" <outbreak@example.org>)");
  EXPECT_EQ(message.header("Subject"), "Plain subject");
  input.from_name.clear();
  EXPECT_EQ(parse_entity(render(input)).header("From"), "outbreak@example.org");
}

TEST(MailRender, MultipartAlternativeWithATextAndAnHtmlPart) {
  const Message input = sample();
  const std::string raw = render(input);
  const Entity message = parse_entity(raw);
  const std::string type = *message.header("Content-Type");
  EXPECT_TRUE(type.starts_with("multipart/alternative;")) << type;
  const auto boundary = header_parameter(type, "boundary");
  ASSERT_TRUE(boundary);
  EXPECT_FALSE(boundary->empty());
  // The delimiter occurs exactly where the structure needs it.
  std::size_t count = 0;
  for (auto p = raw.find("--" + *boundary); p != std::string::npos;
       p = raw.find("--" + *boundary, p + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 3u);
  EXPECT_TRUE(raw.ends_with("--" + *boundary + "--\r\n"));

  const auto parts = parse_multipart(message.body, *boundary);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].header("Content-Type"), "text/plain; charset=UTF-8");
  EXPECT_EQ(parts[1].header("Content-Type"), "text/html; charset=UTF-8");
  for (const auto& part : parts) {
    EXPECT_EQ(part.header("Content-Transfer-Encoding"), "quoted-printable");
    std::size_t start = 0;
    while (start < part.body.size()) {
      auto eol = part.body.find("\r\n", start);
      if (eol == std::string::npos) eol = part.body.size();
      EXPECT_LE(eol - start, 76u) << part.body.substr(start, eol - start);
      // Only printable ASCII on the wire; no whitespace before a line break.
      for (std::size_t i = start; i < eol; ++i) {
        const auto c = static_cast<unsigned char>(part.body[i]);
        EXPECT_TRUE(c >= 0x20 && c < 0x7F) << static_cast<int>(c);
      }
      if (eol > start) {
        EXPECT_NE(part.body[eol - 1], ' ');
      }
      start = eol + 2;
    }
  }
  EXPECT_EQ(decode_quoted_printable(parts[0].body), crlf(input.text_body));
  EXPECT_EQ(decode_quoted_printable(parts[1].body), crlf(input.html_body));
}

TEST(MailRender, EachMessageGetsItsOwnIdAndBoundary) {
  std::set<std::string> ids;
  std::set<std::string> types;
  for (int i = 0; i < 20; ++i) {
    const Entity message = parse_entity(render(sample()));
    ids.insert(*message.header("Message-ID"));
    types.insert(*message.header("Content-Type"));
  }
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(types.size(), 20u);
}

TEST(MailRender, AHeaderValueCannotStartAnotherHeader) {
  Message input = sample();
  input.subject = "Hello\r\nBcc: victim@example.org";
  input.from_name = "Eve\nX-Injected: yes";
  input.to_address = "reader@example.net\r\nCc: victim@example.org";
  const std::string raw = render(input);
  expect_crlf_only(raw);
  const Entity message = parse_entity(raw);
  for (const auto& [name, value] : message.headers) {
    EXPECT_NE(name, "Bcc");
    EXPECT_NE(name, "Cc");
    EXPECT_NE(name, "X-Injected");
  }
  EXPECT_EQ(message.header("Subject"), "Hello  Bcc: victim@example.org");
}

TEST(MailDate, IsRfc5322InUtc) {
  EXPECT_EQ(format_date(utc(2026, 1, 1, 12, 0, 5)), "Thu, 01 Jan 2026 12:00:05 +0000");
  EXPECT_EQ(format_date(utc(2024, 2, 29, 23, 59, 59)), "Thu, 29 Feb 2024 23:59:59 +0000");
  EXPECT_EQ(format_date(utc(1999, 12, 5, 0, 0, 0)), "Sun, 05 Dec 1999 00:00:00 +0000");
}

TEST(MailHtmlEscape, EscapesMarkupAndQuotes) {
  EXPECT_EQ(html_escape(R"(<script>alert("x") & 'y'</script>)"),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;");
  EXPECT_EQ(html_escape("Zoë"), "Zoë");
}

}  // namespace
}  // namespace outbreak::mail
