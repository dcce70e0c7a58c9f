// SMTP against a real server on loopback (aiosmtpd): the transport's three
// outcomes, and the Sender's retries through its loop on both backends.
#include "outbreak/mail/smtp.hpp"

#include <thread>

#include "mail/mail_fixture.hpp"
#include "outbreak/mail/message.hpp"

namespace outbreak::mail::testing {
namespace {

using store::MailStatus;

Message sample() {
  Message message;
  message.from_address = "outbreak@example.org";
  message.from_name = "Zoë Müller";
  message.to_address = "reader@example.net";
  message.subject = "Grüße aus Zürich";
  message.text_body = "Line one\nZweite Zeile: ✓\n.a line that starts with a dot\n";
  message.html_body = "<p>Grüße</p>";
  message.date = std::chrono::system_clock::now();
  message.message_id_domain = "example.org";
  return message;
}

std::unique_ptr<Transport> transport(const std::string& url) {
  auto config = parse_smtp_url(url);
  EXPECT_TRUE(config.ok()) << config.error().message;
  config->connect_timeout = std::chrono::seconds(5);
  config->transfer_timeout = std::chrono::seconds(20);
  return make_smtp_transport(*config);
}

SendResult send(const std::string& url, const Message& message = sample()) {
  return transport(url)->send(message.from_address, message.to_address, render(message));
}

TEST(MailSmtpTransport, DeliversAMessageTheServerReadsBackIntact) {
  const TempDir dir("outbreak-mail-smtp");
  const SmtpServer server(free_port(), dir.path());
  const Message message = sample();
  const SendResult result = send(server.url(), message);
  EXPECT_EQ(result.outcome, SendOutcome::kDelivered) << result.detail;
  EXPECT_EQ(result.reply_code, 250);
  EXPECT_EQ(result.detail, "");
  ASSERT_TRUE(server.wait_for_messages(1));
  const auto received = server.messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0]["mail_from"], "outbreak@example.org");
  EXPECT_EQ(received[0]["rcpt_tos"], nlohmann::json::array({"reader@example.net"}));
  EXPECT_EQ(received[0]["headers"]["Subject"], "Grüße aus Zürich");
  EXPECT_EQ(received[0]["from_name"], "Zoë Müller");
  EXPECT_EQ(received[0]["defects"], nlohmann::json::array());
  // A line starting with a dot survives SMTP's dot-stuffing.
  const std::string raw = server.raw(0);
  EXPECT_NE(raw.find("\r\n.a line that starts with a dot\r\n"), std::string::npos) << raw;
  std::string text = received[0]["parts"][0]["content"].get<std::string>();
  std::erase(text, '\r');
  EXPECT_EQ(text, message.text_body);
  EXPECT_EQ(server.replies(), std::vector<int>{250});
}

TEST(MailSmtpTransport, NothingListeningIsATransientFailure) {
  const int port = free_port();
  const SendResult result = send("smtp://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(result.outcome, SendOutcome::kTransient);
  EXPECT_EQ(result.reply_code, 0);
  EXPECT_NE(result.detail.find("smtp://127.0.0.1:" + std::to_string(port)), std::string::npos)
      << result.detail;
  EXPECT_NE(result.detail.find("onnect"), std::string::npos) << result.detail;
}

TEST(MailSmtpTransport, A4xxReplyIsTransientAndA5xxPermanentWithTheReplyText) {
  const TempDir dir("outbreak-mail-smtp");
  const SmtpServer server(free_port(), dir.path(), "451,550");
  const SendResult busy = send(server.url());
  EXPECT_EQ(busy.outcome, SendOutcome::kTransient) << busy.detail;
  EXPECT_EQ(busy.reply_code, 451);
  EXPECT_NE(busy.detail.find("451 4.3.0 try again later (test server)"), std::string::npos)
      << busy.detail;
  const SendResult refused = send(server.url());
  EXPECT_EQ(refused.outcome, SendOutcome::kPermanent) << refused.detail;
  EXPECT_EQ(refused.reply_code, 550);
  EXPECT_NE(refused.detail.find("550 5.7.1 message refused (test server)"), std::string::npos)
      << refused.detail;
  EXPECT_EQ(server.replies(), (std::vector<int>{451, 550}));
  EXPECT_TRUE(server.messages().empty());
}

TEST(MailSmtpTransport, CredentialsAreNeverSentWithoutTls) {
  const TempDir dir("outbreak-mail-smtp");
  const SmtpServer server(free_port(), dir.path());
  const SendResult result = send("smtp://user:s3cret@127.0.0.1:" + std::to_string(server.port()));
  // The test server offers no STARTTLS, so nothing may be sent.
  EXPECT_EQ(result.outcome, SendOutcome::kPermanent) << result.detail;
  EXPECT_EQ(result.detail.find("s3cret"), std::string::npos) << result.detail;
  EXPECT_TRUE(server.replies().empty());
  EXPECT_TRUE(server.messages().empty());
}

// The Sender's loop against a real store and a misbehaving server.
class SenderRetryTest : public MailStoreTest {
 protected:
  std::unique_ptr<TempDir> dir_ = std::make_unique<TempDir>("outbreak-mail-retry");

  store::MailRecord wait_for_status(MailStatus status) {
    std::optional<store::MailRecord> mail;
    const bool reached = wait_until([&] {
      auto list = store_->list_mail(std::nullopt, 10);
      if (!list || list->size() != 1) return false;
      mail = list->front();
      return mail->status == status;
    });
    EXPECT_TRUE(reached) << "status " << to_string(status)
                         << " not reached; last: " << (mail ? to_string(mail->status) : "none");
    return mail.value_or(store::MailRecord{});
  }
};

TEST_P(SenderRetryTest, ATemporaryRefusalIsRetriedThenDeliveredOnce) {
  const SmtpServer server(free_port(), dir_->path(), "421,250");
  enqueue(scenario_json(2'000, 10, 1));
  auto sender = make_sender(smtp_to(server.port()));
  {
    std::jthread loop([&](std::stop_token stop) { EXPECT_TRUE(sender->run(stop).ok()); });
    const store::MailRecord mail = wait_for_status(MailStatus::kSent);
    EXPECT_EQ(mail.attempts, 2);
    EXPECT_NE(mail.last_error.value_or("").find("421 4.3.0 try again later"), std::string::npos)
        << mail.last_error.value_or("");
  }
  ASSERT_TRUE(server.wait_for_messages(1));
  EXPECT_EQ(server.messages().size(), 1u);
  EXPECT_EQ(server.replies(), (std::vector<int>{421, 250}));
  EXPECT_EQ(counters_.retried.load(), 1);
  EXPECT_EQ(counters_.sent.load(), 1);
  EXPECT_NE(log().find(R"("event":"mail_retry")"), std::string::npos) << log();
}

TEST_P(SenderRetryTest, APermanentRefusalFailsAtOnceWithTheReplyKept) {
  const SmtpServer server(free_port(), dir_->path(), "550");
  enqueue(scenario_json(2'000, 10, 1));
  auto sender = make_sender(smtp_to(server.port()));
  {
    std::jthread loop([&](std::stop_token stop) { EXPECT_TRUE(sender->run(stop).ok()); });
    const store::MailRecord mail = wait_for_status(MailStatus::kFailed);
    EXPECT_EQ(mail.attempts, 1);
    EXPECT_NE(mail.last_error.value_or("").find("550 5.7.1 message refused (test server)"),
              std::string::npos)
        << mail.last_error.value_or("");
  }
  EXPECT_EQ(server.replies(), std::vector<int>{550});
  EXPECT_TRUE(server.messages().empty());
  EXPECT_EQ(counters_.failed.load(), 1);
  EXPECT_NE(log().find(R"("level":"error","event":"mail_failed")"), std::string::npos) << log();
}

TEST_P(SenderRetryTest, AServerThatComesUpLaterGetsTheMailOnceWithoutARestart) {
  const int port = free_port();
  enqueue(scenario_json(2'000, 10, 1));
  auto sender = make_sender(smtp_to(port));
  std::unique_ptr<SmtpServer> server;
  {
    std::jthread loop([&](std::stop_token stop) { EXPECT_TRUE(sender->run(stop).ok()); });
    // Down: the first tries fail as transient and the mail stays pending.
    ASSERT_TRUE(wait_until([&] {
      auto list = store_->list_mail(std::nullopt, 10);
      return list && list->size() == 1 && list->front().attempts >= 2 &&
             list->front().status == MailStatus::kPending && list->front().last_error;
    }));
    server = std::make_unique<SmtpServer>(port, dir_->path());
    const store::MailRecord mail = wait_for_status(MailStatus::kSent);
    EXPECT_GE(mail.attempts, 3);
  }
  ASSERT_TRUE(server->wait_for_messages(1));
  EXPECT_EQ(server->messages().size(), 1u);
  EXPECT_EQ(server->replies(), std::vector<int>{250});
  EXPECT_EQ(counters_.sent.load(), 1);
  EXPECT_GE(counters_.retried.load(), 2);
}

TEST_P(SenderRetryTest, GivesUpAfterMaxAttempts) {
  const int port = free_port();  // nothing listens here
  enqueue(scenario_json(2'000, 10, 1));
  SenderOptions options = fast_options();
  options.max_attempts = 3;
  auto sender = make_sender(smtp_to(port), options);
  {
    std::jthread loop([&](std::stop_token stop) { EXPECT_TRUE(sender->run(stop).ok()); });
    const store::MailRecord mail = wait_for_status(MailStatus::kFailed);
    EXPECT_EQ(mail.attempts, 3);
    EXPECT_TRUE(mail.last_error.value_or("").starts_with("gave up after 3 tries; the last: SMTP"))
        << mail.last_error.value_or("");
  }
  EXPECT_EQ(counters_.retried.load(), 2);
  EXPECT_EQ(counters_.failed.load(), 1);
}

TEST_P(SenderRetryTest, StopsPromptlyWhenIdle) {
  enqueue(scenario_json(2'000, 10, 1));
  SenderOptions options = fast_options();
  options.poll = store::Duration(60'000);
  auto sender = make_sender(nullptr, options);
  std::stop_source source;
  std::jthread loop([&] { EXPECT_TRUE(sender->run(source.get_token()).ok()); });
  // Once the one mail is logged the loop is idle, waiting out a minute-long
  // poll; stopping must not wait for it.
  wait_for_status(MailStatus::kLogged);
  const auto start = std::chrono::steady_clock::now();
  source.request_stop();
  loop.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

INSTANTIATE_TEST_SUITE_P(mail, SenderRetryTest,
                         ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::mail::testing
