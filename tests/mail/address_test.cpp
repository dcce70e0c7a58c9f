// Addresses and header values: what the API accepts at submission.
#include "outbreak/mail/address.hpp"

#include <string>

#include <gtest/gtest.h>

namespace outbreak::mail {
namespace {

// The error message for `address`, or "" if it is accepted.
std::string problem(std::string_view address) {
  const Status status = validate_address(address);
  if (status) return "";
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidInput);
  return status.error().message;
}

TEST(MailAddress, AcceptsPracticalAddresses) {
  for (const char* address :
       {"someone@example.org", "first.last@example.co.uk", "a@b", "user+tag@sub-domain.example",
        "o'brien@example.ie", "x!#$%&'*+-/=?^_`{|}~@example.org", "root@localhost",
        "123@456.example", "A.B-C@EXAMPLE.ORG"}) {
    EXPECT_EQ(problem(address), "") << address;
  }
  // 64 characters before the '@' and 254 in all are the limits.
  const std::string local(64, 'a');
  EXPECT_EQ(problem(local + "@example.org"), "");
  std::string domain;
  while (domain.size() < 254 - 2 - 63) domain += std::string(63, 'b') + ".";
  domain += std::string(254 - 2 - domain.size(), 'c');
  ASSERT_EQ(("a@" + domain).size(), 254u);
  EXPECT_EQ(problem("a@" + domain), "");
}

TEST(MailAddress, RejectsEachProblemWithAMessageNamingIt) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "it is empty"},
      {"someone.example.org", "no '@'"},
      {"a@b@example.org", "more than one '@'"},
      {"@example.org", "nothing before the '@'"},
      {"someone@", "nothing after the '@'"},
      {".someone@example.org", "starts or ends with a dot"},
      {"someone.@example.org", "starts or ends with a dot"},
      {"some..one@example.org", "two dots in a row"},
      {"some one@example.org", "character that is not allowed before the '@'"},
      {"\"quoted\"@example.org", "character that is not allowed before the '@'"},
      {"zoë@example.org", "character that is not allowed before the '@'"},
      {"someone@example..org", "empty label"},
      {"someone@.example.org", "empty label"},
      {"someone@example.org.", "empty label"},
      {"someone@-example.org", "starts or ends with a hyphen"},
      {"someone@example-.org", "starts or ends with a hyphen"},
      {"someone@exa_mple.org", "not allowed in the domain"},
      {"someone@[127.0.0.1]", "not allowed in the domain"},
      {"someone@bücher.example", "not allowed in the domain"},
      {" someone@example.org", "not allowed before the '@'"},
      {"someone@example.org ", "not allowed in the domain"},
      {"Someone <someone@example.org>", "not allowed"},
      {"someone@example.org\r\n", "not allowed in the domain"},
      {"someone@example.org\r\nBcc: x@example.org", "more than one '@'"},
      {std::string(65, 'a') + "@example.org", "longer than 64 characters"},
      {"a@" + std::string(64, 'b') + ".org", "longer than 63 characters"},
      {"a@" + std::string(253, 'b'), "longer than 254 characters"},
  };
  for (const auto& [address, expected] : cases) {
    const std::string message = problem(address);
    EXPECT_NE(message.find(expected), std::string::npos)
        << "address: " << address << "\nmessage: " << message;
    // Every message says what would be accepted.
    EXPECT_NE(message.find("expected name@domain with"), std::string::npos) << message;
  }
}

TEST(MailHeaderValue, AcceptsPrintableUtf8) {
  for (const char* value :
       {"", "Tracing, 1-day delay", "Zoë Müller", "Épidémie — 東京 ✓", "a=?b?= \"quoted\""}) {
    EXPECT_TRUE(validate_header_value(value).ok()) << value;
  }
}

TEST(MailHeaderValue, RejectsLineBreaksControlsAndBadUtf8) {
  const std::pair<std::string, std::string> cases[] = {
      {"Hello\r\nBcc: victim@example.org", "line break"},
      {"Hello\nBcc: victim@example.org", "line break"},
      {"Hello\rworld", "line break"},
      {"tab\there", "control character 0x09"},
      {std::string("nul\0here", 8), "control character 0x00"},
      {"del\x7Fhere", "control character 0x7F"},
      {"bad \xC3\x28 utf-8", "not valid UTF-8"},
      {"overlong \xC0\xAF", "not valid UTF-8"},
      {"surrogate \xED\xA0\x80", "not valid UTF-8"},
      {"cut \xE2\x82", "not valid UTF-8"},
      {std::string(999, 'x'), "longer than 998 bytes"},
  };
  for (const auto& [value, expected] : cases) {
    const Status status = validate_header_value(value);
    ASSERT_FALSE(status.ok()) << value;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidInput);
    EXPECT_NE(status.error().message.find(expected), std::string::npos) << status.error().message;
  }
}

}  // namespace
}  // namespace outbreak::mail
