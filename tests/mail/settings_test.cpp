// SMTP URLs and the mail settings read from the environment.
#include <map>

#include <gtest/gtest.h>

#include "outbreak/mail/sender.hpp"
#include "outbreak/mail/smtp.hpp"

namespace outbreak::mail {
namespace {

TEST(MailSmtpUrl, ParsesHostPortAndCredentials) {
  auto plain = parse_smtp_url("smtp://mail.example.org");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_FALSE(plain->implicit_tls);
  EXPECT_EQ(plain->host, "mail.example.org");
  EXPECT_EQ(plain->port, 25);
  EXPECT_EQ(plain->user, "");
  EXPECT_EQ(plain->connect_timeout, std::chrono::seconds(10));
  EXPECT_EQ(plain->transfer_timeout, std::chrono::seconds(60));

  auto full = parse_smtp_url("SMTPS://me%40example.org:p%3Ass@w/rd@[::1]:2465/");
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_TRUE(full->implicit_tls);
  EXPECT_EQ(full->user, "me@example.org");
  EXPECT_EQ(full->password, "p:ss@w/rd");
  EXPECT_EQ(full->host, "::1");
  EXPECT_EQ(full->port, 2465);
  EXPECT_EQ(describe(*full), "smtps://[::1]:2465");

  auto smtps = parse_smtp_url("smtps://relay.example.org");
  ASSERT_TRUE(smtps.ok());
  EXPECT_EQ(smtps->port, 465);
  EXPECT_EQ(describe(*parse_smtp_url("smtp://127.0.0.1:2525")), "smtp://127.0.0.1:2525");
}

TEST(MailSmtpUrl, RefusesMalformedUrlsWithoutShowingThePassword) {
  const std::pair<const char*, const char*> cases[] = {
      {"mail.example.org:25", "no scheme"},
      {"http://user:secret@mail.example.org", "unknown scheme 'http'"},
      {"smtp://user:secret@", "no host"},
      {"smtp://user:secret@:25", "no host"},
      {"smtp://user:secret@mail.example.org:0", "port '0' is not a number in 1..65535"},
      {"smtp://user:secret@mail.example.org:65536", "port '65536'"},
      {"smtp://user:secret@mail.example.org:smtp", "port 'smtp'"},
      {"smtp://user:secret@mail.example.org/path", "no path"},
      {"smtp://user:secret@mail.example.org?x=1", "no ?query"},
      {"smtp://user:sec%zzret@mail.example.org", "bad percent escape"},
      {"smtp://:secret@mail.example.org", "no user name"},
      {"smtp://user:secret@[::1", "without ']'"},
  };
  for (const auto& [url, expected] : cases) {
    auto parsed = parse_smtp_url(url);
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidInput);
    const std::string& message = parsed.error().message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_EQ(message.find("secret"), std::string::npos) << message;
    EXPECT_NE(message.find("smtp://[user:password@]host[:port]"), std::string::npos) << message;
  }
}

// Found by fuzzing (tests/fuzz/smtp_url.cpp): any bytes were taken as the
// host, so "smtp://ucast:%::1]:587/" named the host "ucast:%::1]", which
// describe() turned into a URL that no longer parsed.
TEST(MailSmtpUrl, RefusesHostsThatAreNeitherNamesNorAddresses) {
  for (const char* url :
       {"smtp://ucast:%::1]:587/", "smtp://mail example.org:25", "smtp://mail\r\n.org",
        "smtp://user:secret@[::1x]:25", "smtp://user:secret@[mail.example.org]", "smtp://%41:25",
        "smtp://::1:25", "smtp://a]b"}) {
    auto parsed = parse_smtp_url(url);
    ASSERT_FALSE(parsed.ok()) << url << " gave the host " << parsed->host;
    EXPECT_NE(parsed.error().message.find("the host must be a name"), std::string::npos)
        << parsed.error().message;
    EXPECT_EQ(parsed.error().message.find("secret"), std::string::npos) << parsed.error().message;
  }
  for (const char* url : {"smtp://mail_relay-2.example.org", "smtp://10.0.0.1:587",
                          "smtp://[fe80::1]:25", "smtp://[::ffff:10.0.0.1]"}) {
    auto parsed = parse_smtp_url(url);
    ASSERT_TRUE(parsed.ok()) << url << ": " << parsed.error().message;
    auto again = parse_smtp_url(describe(*parsed));
    ASSERT_TRUE(again.ok()) << describe(*parsed);
    EXPECT_EQ(again->host, parsed->host);
  }
}

class Environment {
 public:
  explicit Environment(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  mail::Environment lookup() const {
    return [this](const char* name) -> const char* {
      const auto it = values_.find(name);
      return it == values_.end() ? nullptr : it->second.c_str();
    };
  }

 private:
  std::map<std::string, std::string> values_;
};

TEST(MailSettings, DefaultsLogMailsFromOutbreakAtLocalhost) {
  const Environment environment({});
  auto settings = mail_settings_from_environment(environment.lookup());
  ASSERT_TRUE(settings.ok()) << settings.error().message;
  EXPECT_FALSE(settings->smtp);
  EXPECT_EQ(settings->sender.from_address, "outbreak@localhost");
  EXPECT_EQ(settings->sender.public_url, "http://127.0.0.1:8080");
  EXPECT_EQ(settings->sender.max_attempts, 10);
  EXPECT_EQ(settings->sender.poll, std::chrono::seconds(1));
  EXPECT_GT(settings->sender.lease, std::chrono::seconds(70));
}

TEST(MailSettings, ReadsEveryVariable) {
  const Environment environment({
      {"OUTBREAK_SMTP_URL", "smtp://u:hunter2@127.0.0.1:2525"},
      {"OUTBREAK_MAIL_FROM", "\"Zoë Müller\" <zoe@example.org>"},
      {"OUTBREAK_PUBLIC_URL", "https://sim.example.org"},
      {"OUTBREAK_MAIL_RETRY_BASE_MS", "5"},
      {"OUTBREAK_MAIL_RETRY_MAX_MS", "40"},
      {"OUTBREAK_MAIL_MAX_ATTEMPTS", "4"},
      {"OUTBREAK_MAIL_POLL_MS", "20"},
      {"OUTBREAK_SMTP_CONNECT_TIMEOUT_MS", "1500"},
      {"OUTBREAK_SMTP_TIMEOUT_MS", "3000"},
  });
  auto settings = mail_settings_from_environment(environment.lookup());
  ASSERT_TRUE(settings.ok()) << settings.error().message;
  ASSERT_TRUE(settings->smtp);
  EXPECT_EQ(settings->smtp->host, "127.0.0.1");
  EXPECT_EQ(settings->smtp->port, 2525);
  EXPECT_EQ(settings->smtp->password, "hunter2");
  EXPECT_EQ(settings->smtp->connect_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(settings->smtp->transfer_timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(settings->smtp_url_redacted, "smtp://127.0.0.1:2525");
  const SenderOptions& options = settings->sender;
  EXPECT_EQ(options.from_address, "zoe@example.org");
  EXPECT_EQ(options.from_name, "Zoë Müller");
  EXPECT_EQ(options.public_url, "https://sim.example.org");
  EXPECT_EQ(options.retry_base, std::chrono::milliseconds(5));
  EXPECT_EQ(options.retry_max, std::chrono::milliseconds(40));
  EXPECT_EQ(options.max_attempts, 4);
  EXPECT_EQ(options.poll, std::chrono::milliseconds(20));
  EXPECT_GT(options.lease, std::chrono::milliseconds(4500));

  // Backoff: base, doubled per failed try, capped.
  EXPECT_EQ(retry_delay(options, 1), std::chrono::milliseconds(5));
  EXPECT_EQ(retry_delay(options, 2), std::chrono::milliseconds(10));
  EXPECT_EQ(retry_delay(options, 3), std::chrono::milliseconds(20));
  EXPECT_EQ(retry_delay(options, 4), std::chrono::milliseconds(40));
  EXPECT_EQ(retry_delay(options, 50), std::chrono::milliseconds(40));
  SenderOptions defaults;
  EXPECT_EQ(retry_delay(defaults, 1000), defaults.retry_max);
}

TEST(MailSettings, NamesEveryBadVariableAndNeverThePassword) {
  const Environment environment({
      {"OUTBREAK_SMTP_URL", "smtp://u:hunter2@127.0.0.1:99999"},
      {"OUTBREAK_MAIL_FROM", "not an address"},
      {"OUTBREAK_PUBLIC_URL", "ftp://x"},
      {"OUTBREAK_MAIL_RETRY_BASE_MS", "0"},
      {"OUTBREAK_MAIL_MAX_ATTEMPTS", "ten"},
  });
  auto settings = mail_settings_from_environment(environment.lookup());
  ASSERT_FALSE(settings.ok());
  EXPECT_EQ(settings.error().code, ErrorCode::kInvalidInput);
  std::vector<std::string> fields;
  for (const auto& field : settings.error().fields) {
    fields.push_back(field.field);
    EXPECT_EQ(field.message.find("hunter2"), std::string::npos) << field.message;
  }
  std::sort(fields.begin(), fields.end());
  EXPECT_EQ(fields, (std::vector<std::string>{"OUTBREAK_MAIL_FROM", "OUTBREAK_MAIL_MAX_ATTEMPTS",
                                              "OUTBREAK_MAIL_RETRY_BASE_MS", "OUTBREAK_PUBLIC_URL",
                                              "OUTBREAK_SMTP_URL"}));
}

TEST(MailSettings, ThePerAddressLimitAndConfirmationMode) {
  auto defaults = mail_settings_from_environment(Environment({}).lookup());
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->sender.per_address_per_hour, 10);
  EXPECT_FALSE(defaults->sender.confirm);
  EXPECT_EQ(defaults->sender.confirm_wait, std::chrono::hours(168));

  auto set =
      mail_settings_from_environment(Environment({{"OUTBREAK_MAIL_PER_ADDRESS_PER_HOUR", "3"},
                                                  {"OUTBREAK_MAIL_CONFIRM", "true"},
                                                  {"OUTBREAK_MAIL_CONFIRM_HOURS", "24"}})
                                         .lookup());
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->sender.per_address_per_hour, 3);
  EXPECT_TRUE(set->sender.confirm);
  EXPECT_EQ(set->sender.confirm_wait, std::chrono::hours(24));

  auto bad =
      mail_settings_from_environment(Environment({{"OUTBREAK_MAIL_PER_ADDRESS_PER_HOUR", "0"},
                                                  {"OUTBREAK_MAIL_CONFIRM", "yes"},
                                                  {"OUTBREAK_MAIL_CONFIRM_HOURS", "8761"}})
                                         .lookup());
  ASSERT_FALSE(bad.ok());
  std::map<std::string, std::string> messages;
  for (const auto& field : bad.error().fields) messages[field.field] = field.message;
  ASSERT_EQ(messages.size(), 3u) << bad.error().message;
  EXPECT_EQ(messages["OUTBREAK_MAIL_PER_ADDRESS_PER_HOUR"],
            "must be a whole number from 1 to 100000, got '0'");
  EXPECT_EQ(messages["OUTBREAK_MAIL_CONFIRM"], "must be true or false, got 'yes'");
  EXPECT_EQ(messages["OUTBREAK_MAIL_CONFIRM_HOURS"],
            "must be a whole number from 1 to 8760, got '8761'");
}

// Found by fuzzing (tests/fuzz/mail_settings.cpp): timeouts of 2^63 - 1 ms
// overflowed the lease (their sum plus a minute), and a retry_max that large
// overflowed the doubling of the retry delay.
TEST(MailSettings, RefusesIntervalsBeyondTheirLimits) {
  const std::string huge = "9223372036854775807";
  const Environment beyond({
      {"OUTBREAK_MAIL_RETRY_BASE_MS", "86400001"},
      {"OUTBREAK_MAIL_RETRY_MAX_MS", huge},
      {"OUTBREAK_MAIL_MAX_ATTEMPTS", "1000001"},
      {"OUTBREAK_MAIL_POLL_MS", "3600001"},
      {"OUTBREAK_SMTP_CONNECT_TIMEOUT_MS", huge},
      {"OUTBREAK_SMTP_TIMEOUT_MS", huge},
  });
  auto refused = mail_settings_from_environment(beyond.lookup());
  ASSERT_FALSE(refused.ok());
  std::map<std::string, std::string> messages;
  for (const auto& field : refused.error().fields) messages[field.field] = field.message;
  EXPECT_EQ(messages["OUTBREAK_MAIL_RETRY_BASE_MS"],
            "must be a whole number from 1 to 86400000, got '86400001'");
  EXPECT_EQ(messages["OUTBREAK_MAIL_RETRY_MAX_MS"],
            "must be a whole number from 1 to 604800000, got '" + huge + "'");
  EXPECT_EQ(messages["OUTBREAK_MAIL_MAX_ATTEMPTS"],
            "must be a whole number from 1 to 1000000, got '1000001'");
  EXPECT_EQ(messages["OUTBREAK_MAIL_POLL_MS"],
            "must be a whole number from 1 to 3600000, got '3600001'");
  EXPECT_EQ(messages["OUTBREAK_SMTP_CONNECT_TIMEOUT_MS"],
            "must be a whole number from 1 to 3600000, got '" + huge + "'");
  EXPECT_EQ(messages["OUTBREAK_SMTP_TIMEOUT_MS"],
            "must be a whole number from 1 to 3600000, got '" + huge + "'");
  EXPECT_EQ(messages.size(), 6U);

  const Environment at_limits({
      {"OUTBREAK_SMTP_URL", "smtp://127.0.0.1:25"},
      {"OUTBREAK_MAIL_RETRY_BASE_MS", "86400000"},
      {"OUTBREAK_MAIL_RETRY_MAX_MS", "604800000"},
      {"OUTBREAK_MAIL_MAX_ATTEMPTS", "1000000"},
      {"OUTBREAK_MAIL_POLL_MS", "3600000"},
      {"OUTBREAK_SMTP_CONNECT_TIMEOUT_MS", "3600000"},
      {"OUTBREAK_SMTP_TIMEOUT_MS", "3600000"},
  });
  auto settings = mail_settings_from_environment(at_limits.lookup());
  ASSERT_TRUE(settings.ok()) << settings.error().message;
  EXPECT_EQ(settings->sender.lease, std::chrono::milliseconds(3'600'000 + 3'600'000 + 60'000));
  EXPECT_EQ(retry_delay(settings->sender, 1'000'000), std::chrono::milliseconds(604'800'000));
}

TEST(MailSettings, RefusesAFromNameThatWouldBreakTheHeader) {
  const Environment environment(std::map<std::string, std::string>{
      {"OUTBREAK_MAIL_FROM", "Eve\r\nBcc: x <eve@example.org>"}});
  auto settings = mail_settings_from_environment(environment.lookup());
  ASSERT_FALSE(settings.ok());
  ASSERT_EQ(settings.error().fields.size(), 1u);
  EXPECT_NE(settings.error().fields[0].message.find("line break"), std::string::npos);
}

}  // namespace
}  // namespace outbreak::mail
