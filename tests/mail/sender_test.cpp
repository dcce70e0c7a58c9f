// The Sender against the real store on both backends, delivering to a real
// SMTP server on loopback: the mails the store's outbox holds for a job's
// life (accepted, finished, failed, cancelled), logged mode, and mails whose
// simulation is gone.
#include "outbreak/mail/sender.hpp"

#include <atomic>
#include <memory>
#include <regex>
#include <vector>

#include "mail/mail_fixture.hpp"
#include "outbreak/engine/ensemble.hpp"
#include "outbreak/mail/templates.hpp"

namespace outbreak::mail::testing {
namespace {

using store::MailKind;
using store::MailStatus;

class SenderTest : public MailStoreTest {
 protected:
  void start_server() {
    server_dir_ = std::make_unique<TempDir>("outbreak-mail-server");
    server_ = std::make_unique<SmtpServer>(free_port(), server_dir_->path() / "spool");
  }

  // Handles mails until none is due; returns how many were handled.
  int drain(Sender& sender) {
    int handled = 0;
    for (SendStep step = sender.run_once(); step != SendStep::kIdle; step = sender.run_once()) {
      EXPECT_NE(step, SendStep::kStoreError) << log();
      if (step == SendStep::kStoreError) break;
      ++handled;
    }
    return handled;
  }

  // The plain-text part of a received message, as Python's email package decodes it.
  // Line breaks as the templates write them ("\n"; the wire has CRLF).
  static std::string text_of(const nlohmann::json& message) {
    std::string text = message.at("parts").at(0).at("content").get<std::string>();
    std::erase(text, '\r');
    return text;
  }
  // What follows "label:" on its line of a mail's text, without the padding.
  static std::string line_value(const std::string& text, const std::string& label) {
    const auto start = text.find("  " + label + ":");
    if (start == std::string::npos) return "<no " + label + ">";
    const auto end = text.find('\n', start);
    std::string value = text.substr(start + label.size() + 3, end - start - label.size() - 3);
    value.erase(0, value.find_first_not_of(' '));
    return value;
  }
  static std::string subject_of(const nlohmann::json& message) {
    return message.at("headers").at("Subject").get<std::string>();
  }

  std::unique_ptr<TempDir> server_dir_;
  std::unique_ptr<SmtpServer> server_;
};

TEST_P(SenderTest, TheAcceptedMailIsDeliveredWithCorrectHeaders) {
  start_server();
  const std::string id = enqueue(scenario_json(2'000, 20, 1));
  auto sender = make_sender(smtp_to(server_->port()));
  EXPECT_EQ(sender->run_once(), SendStep::kSent) << log();
  EXPECT_EQ(sender->run_once(), SendStep::kIdle);

  ASSERT_TRUE(server_->wait_for_messages(1)) << server_->output();
  const auto received = server_->messages();
  ASSERT_EQ(received.size(), 1u);
  const nlohmann::json& message = received[0];
  EXPECT_EQ(message["mail_from"], "outbreak@example.org");
  EXPECT_EQ(message["rcpt_tos"], nlohmann::json::array({kRecipient}));
  EXPECT_EQ(message["from_name"], "Outbreak Zoë");
  EXPECT_EQ(message["from_address"], "outbreak@example.org");
  EXPECT_EQ(message["headers"]["To"], kRecipient);
  EXPECT_EQ(subject_of(message), "Simulation accepted: Épidémie à Zürich");
  EXPECT_TRUE(std::regex_match(message["headers"]["Date"].get<std::string>(),
                               std::regex(R"([A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} )"
                                          R"(\d\d:\d\d:\d\d \+0000)")))
      << message["headers"]["Date"];
  EXPECT_TRUE(std::regex_match(message["headers"]["Message-ID"].get<std::string>(),
                               std::regex(R"(<[0-9a-f]{32}@example\.org>)")));
  EXPECT_EQ(message["headers"]["MIME-Version"], "1.0");
  EXPECT_EQ(message["content_type"], "multipart/alternative");
  EXPECT_EQ(message["defects"], nlohmann::json::array()) << message.dump(2);
  ASSERT_EQ(message["parts"].size(), 2u);
  EXPECT_EQ(message["parts"][0]["content_type"], "text/plain");
  EXPECT_EQ(message["parts"][1]["content_type"], "text/html");
  const std::string link = std::string(kPublicUrl) + "/simulations/" + id;
  for (const auto& part : message["parts"]) {
    EXPECT_EQ(part["charset"], "utf-8");
    EXPECT_EQ(part["transfer_encoding"], "quoted-printable");
    const std::string content = part["content"].get<std::string>();
    EXPECT_NE(content.find(link), std::string::npos) << content;
    EXPECT_NE(content.find("2,000 agents, 20 days, 1 replicate"), std::string::npos) << content;
  }
  // The text is exactly the template's.
  EXPECT_EQ(text_of(message), accepted_text(get(id), kPublicUrl).text);

  const auto mail = only_mail();
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->kind, MailKind::kAccepted);
  EXPECT_EQ(mail->status, MailStatus::kSent);
  EXPECT_EQ(mail->attempts, 1);
  EXPECT_TRUE(mail->sent_at);
  EXPECT_EQ(counters_.sent.load(), 1);
  EXPECT_NE(log().find(R"("event":"mail_sent")"), std::string::npos) << log();
}

TEST_P(SenderTest, TheFinishedMailHasTheLinksAndTheKeyFiguresOfTheMeans) {
  start_server();
  const std::string id = enqueue(scenario_json(3'000, 40, 3));
  ASSERT_EQ(run_job(), jobs::JobOutcome::kSucceeded);
  auto sender = make_sender(smtp_to(server_->port()));
  EXPECT_EQ(drain(*sender), 2);
  ASSERT_TRUE(server_->wait_for_messages(2));
  const auto received = server_->messages();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(subject_of(received[0]), "Simulation accepted: Épidémie à Zürich");
  EXPECT_EQ(subject_of(received[1]), "Simulation finished: Épidémie à Zürich");
  const std::string text = text_of(received[1]);
  EXPECT_NE(text.find(std::string(kPublicUrl) + "/simulations/" + id), std::string::npos) << text;
  EXPECT_NE(
      text.find(std::string(kPublicUrl) + "/api/v1/simulations/" + id + "/results?format=csv"),
      std::string::npos)
      << text;
  // The figures, read here straight from the stored mean summary.
  auto summary = store_->summary(id);
  ASSERT_TRUE(summary.ok());
  ASSERT_FALSE(summary->mean.empty());
  const engine::DayValues& last = summary->mean.back();
  double peak = 0;
  double peak_day = 0;
  for (const auto& values : summary->mean) {
    if (values[5] > peak) {
      peak = values[5];
      peak_day = values[0];
    }
  }
  EXPECT_EQ(line_value(text, "Total infected"), format_count(last[9], 1)) << text;
  EXPECT_EQ(line_value(text, "Deaths"), format_count(last[8], 1)) << text;
  EXPECT_EQ(line_value(text, "Peak infected"),
            fmt::format("{} on day {}", format_count(peak, 1), peak_day));
  EXPECT_EQ(line_value(text, "Attack rate"),
            fmt::format("{:.1f}% of 3,000", 100.0 * last[9] / 3000.0));
  EXPECT_EQ(line_value(text, "Figures"), "means over 3 replicates, at day 40");
  EXPECT_EQ(counters_.sent.load(), 2);
}

TEST_P(SenderTest, OneReplicateReportsReplicateZerosDays) {
  start_server();
  const std::string id = enqueue(scenario_json(2'000, 30, 1));
  ASSERT_EQ(run_job(), jobs::JobOutcome::kSucceeded);
  auto sender = make_sender(smtp_to(server_->port()));
  EXPECT_EQ(drain(*sender), 2);
  ASSERT_TRUE(server_->wait_for_messages(2));
  const std::string text = text_of(server_->messages().at(1));
  auto rows = store_->results(id, 0);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 31u);
  std::vector<engine::DayTotals> days;
  for (const auto& row : *rows) days.push_back(row.totals);
  EXPECT_EQ(line_value(text, "Total infected"), format_count(days.back().total_infected));
  EXPECT_EQ(line_value(text, "Deaths"), format_count(days.back().dead));
  EXPECT_EQ(line_value(text, "Figures"), "at day 30");
  auto runs = load_run_counts(*store_, get(id));
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(runs->complete, 1);
  EXPECT_EQ(text, finished_text(get(id), key_figures(days), kPublicUrl, *runs).text);
}

TEST_P(SenderTest, NoAddressMeansNoMail) {
  enqueue(scenario_json(2'000, 10, 1), std::nullopt);
  ASSERT_EQ(run_job(), jobs::JobOutcome::kSucceeded);
  auto sender = make_sender(nullptr);
  EXPECT_EQ(sender->run_once(), SendStep::kIdle);
  EXPECT_TRUE(mails().empty());
  EXPECT_EQ(log().find("mail_"), std::string::npos) << log();
}

TEST_P(SenderTest, WithoutAnSmtpServerMailsAreLoggedNotSent) {
  const std::string id = enqueue(scenario_json(2'000, 10, 1));
  auto sender = make_sender(nullptr);
  EXPECT_EQ(sender->run_once(), SendStep::kLogged);
  EXPECT_EQ(sender->run_once(), SendStep::kIdle);
  const auto mail = only_mail();
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->status, MailStatus::kLogged);
  EXPECT_TRUE(mail->sent_at);
  EXPECT_EQ(counters_.logged.load(), 1);
  EXPECT_EQ(counters_.sent.load(), 0);
  const std::string text = log();
  EXPECT_NE(text.find(R"("event":"mail_logged")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("to":"reader@example.net")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("subject":"Simulation accepted: Épidémie à Zürich")"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("simulation":")" + id), std::string::npos) << text;
  // The body stays out of the log.
  EXPECT_EQ(text.find("/simulations/"), std::string::npos) << text;
}

TEST_P(SenderTest, FailedAndCancelledMailsCarryTheReason) {
  start_server();
  const std::string failing = enqueue(R"({"population": 0, "days": 5})", kRecipient, "broken");
  ASSERT_EQ(run_job(), jobs::JobOutcome::kFailed);
  const std::string cancelled = enqueue(scenario_json(2'000, 10, 1), kRecipient, "stopped");
  ASSERT_TRUE(store_->cancel(cancelled, std::chrono::system_clock::now()).ok());
  auto sender = make_sender(smtp_to(server_->port()));
  EXPECT_EQ(drain(*sender), 4);
  ASSERT_TRUE(server_->wait_for_messages(4));
  const auto received = server_->messages();
  std::vector<std::string> subjects;
  for (const auto& message : received) subjects.push_back(subject_of(message));
  EXPECT_EQ(subjects, (std::vector<std::string>{
                          "Simulation accepted: broken", "Simulation failed: broken",
                          "Simulation accepted: stopped", "Simulation cancelled: stopped"}));
  const std::string error = get(failing).error.value_or("");
  ASSERT_FALSE(error.empty());
  EXPECT_EQ(line_value(text_of(received[1]), "Reason"), error) << text_of(received[1]);
  EXPECT_NE(text_of(received[3]).find("cancelled on request"), std::string::npos)
      << text_of(received[3]);
}

TEST_P(SenderTest, TheFinishedMailSaysWhenRunsWereStillSpreadingAtTheEnd) {
  start_server();
  // Ten days: every run is still spreading on its last day.
  const std::string id = enqueue(scenario_json(3'000, 10, 3));
  ASSERT_EQ(run_job(), jobs::JobOutcome::kSucceeded);
  auto figures = store_->figures(id);
  ASSERT_TRUE(figures.ok());
  ASSERT_EQ(figures->size(), 3u);
  std::int64_t spreading = 0;
  for (const auto& run : *figures) spreading += run.still_spreading ? 1 : 0;
  ASSERT_GT(spreading, 0);
  // Three hundred days of a small town: the epidemic is over.
  const std::string over = enqueue(scenario_json(500, 300, 1), kRecipient, "over");
  ASSERT_EQ(run_job(), jobs::JobOutcome::kSucceeded);
  ASSERT_FALSE(store_->figures(over)->at(0).still_spreading);

  auto sender = make_sender(smtp_to(server_->port()));
  EXPECT_EQ(drain(*sender), 4);
  ASSERT_TRUE(server_->wait_for_messages(4));
  const auto received = server_->messages();
  const std::string text = text_of(received[1]);
  EXPECT_EQ(line_value(text, "Note"),
            fmt::format("Still spreading at the end of the run ({} of 3 runs): the totals are not "
                        "final.",
                        spreading))
      << text;
  EXPECT_NE(received[1].at("parts").at(1).at("content").get<std::string>().find(
                "Still spreading at the end of the run"),
            std::string::npos)
      << "the HTML version says it too";
  EXPECT_EQ(subject_of(received[3]), "Simulation finished: over");
  EXPECT_EQ(text_of(received[3]).find("Still spreading"), std::string::npos)
      << text_of(received[3]);
}

TEST_P(SenderTest, TheMailOfACancelledJobSaysHowManyRunsAreComplete) {
  start_server();
  const std::string id = enqueue(scenario_json(3'000, 60, 5), kRecipient, "stopped");
  // A cancel through the store while run 4 computes its day 5, as the API does it.
  ASSERT_EQ(run_job([&](jobs::WorkerOptions& options) {
              options.flush_days = 1;
              options.run_ensemble = [this, id](const engine::Scenario& scenario,
                                                const engine::EnsembleOptions& engine_options) {
                engine::EnsembleOptions wrapped = engine_options;
                wrapped.on_day = [&, this](std::int64_t replicate, const engine::DayTotals& day) {
                  if (replicate == 3 && day.day == 5) {
                    EXPECT_TRUE(store_->cancel(id, std::chrono::system_clock::now()).ok());
                  }
                  engine_options.on_day(replicate, day);
                };
                return engine::run_ensemble(scenario, wrapped);
              };
            }),
            jobs::JobOutcome::kCancelled);
  ASSERT_EQ(store_->figures(id)->size(), 3u);
  auto sender = make_sender(smtp_to(server_->port()));
  EXPECT_EQ(drain(*sender), 2);
  ASSERT_TRUE(server_->wait_for_messages(2));
  const auto received = server_->messages();
  EXPECT_EQ(subject_of(received[1]), "Simulation cancelled: stopped");
  const std::string text = text_of(received[1]);
  EXPECT_EQ(line_value(text, "Runs"), "partial: 3 of 5 runs complete") << text;
  EXPECT_EQ(line_value(text, "Reason"), "cancelled on request") << text;
}

TEST_P(SenderTest, AMailWhoseSimulationIsGoneFailsWithAClearError) {
  const std::string id = enqueue(scenario_json(2'000, 10, 1));
  // Deleting the simulation would delete its mails too; go around the
  // foreign key to make the state a concurrent delete could leave.
  if (GetParam() == "postgresql") {
    database_->query("ALTER TABLE outbox DROP CONSTRAINT outbox_simulation_id_fkey");
  } else if (GetParam() == "mariadb") {
    database_->query("ALTER TABLE outbox DROP FOREIGN KEY outbox_simulation_fk");
  }
  database_->query("DELETE FROM simulations WHERE id = '" + id + "'");  // SQLite: no FK here
  auto sender = make_sender(nullptr);
  EXPECT_EQ(sender->run_once(), SendStep::kFailed);
  const auto mail = only_mail();
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->status, MailStatus::kFailed);
  EXPECT_EQ(mail->last_error,
            "simulation " + id + " no longer exists, so its accepted mail cannot be written");
  EXPECT_EQ(counters_.failed.load(), 1);
  EXPECT_NE(log().find(R"("event":"mail_failed")"), std::string::npos) << log();
}

TEST_P(SenderTest, MailsOverThePerAddressLimitAreSuppressedWithTheReason) {
  start_server();
  SenderOptions options = fast_options();
  options.per_address_per_hour = 2;
  auto offset = std::make_shared<std::atomic<std::int64_t>>(0);  // hours ahead of the real clock
  options.now = [offset] {
    return std::chrono::system_clock::now() + std::chrono::hours(offset->load());
  };
  // The same inbox in three spellings, and another inbox.
  enqueue(scenario_json(1'000, 5, 1), "reader@example.net");
  enqueue(scenario_json(1'000, 5, 1), "Reader@Example.NET");
  enqueue(scenario_json(1'000, 5, 1), "READER@example.net");
  enqueue(scenario_json(1'000, 5, 1), "other@example.net");
  auto sender = make_sender(smtp_to(server_->port()), options);
  std::vector<SendStep> steps;
  for (int i = 0; i < 4; ++i) steps.push_back(sender->run_once());
  EXPECT_EQ(sender->run_once(), SendStep::kIdle) << "suppressed mails are not retried";
  EXPECT_EQ(steps, (std::vector<SendStep>{SendStep::kSent, SendStep::kSent, SendStep::kSuppressed,
                                          SendStep::kSent}))
      << log();
  const auto all = mails();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[2].status, MailStatus::kFailed);
  ASSERT_TRUE(all[2].last_error);
  EXPECT_NE(all[2].last_error->find("suppressed: 2 mails already went to this address"),
            std::string::npos)
      << *all[2].last_error;
  EXPECT_NE(all[2].last_error->find("OUTBREAK_MAIL_PER_ADDRESS_PER_HOUR=2"), std::string::npos);
  EXPECT_EQ(all[3].status, MailStatus::kSent) << "another address has its own limit";
  EXPECT_EQ(counters_.suppressed.load(), 1);
  EXPECT_NE(log().find("mail_suppressed"), std::string::npos) << log();
  ASSERT_TRUE(server_->wait_for_messages(3)) << server_->output();
  EXPECT_EQ(server_->messages().size(), 3u);

  // An hour later the address may get mail again (an operator's retry here).
  offset->store(1);
  ASSERT_TRUE(store_->retry_mail(all[2].id, options.now()).ok());
  EXPECT_EQ(sender->run_once(), SendStep::kSent) << log();
  ASSERT_TRUE(server_->wait_for_messages(4)) << server_->output();
}

// The token in the confirmation link of a received request.
std::string token_in(const std::string& text) {
  std::smatch match;
  const std::regex link(R"(https://sim\.example\.org/mail/confirm/([0-9a-f]{32}))");
  return std::regex_search(text, match, link) ? match[1].str() : std::string();
}

TEST_P(SenderTest, InConfirmationModeMailsWaitUntilTheAddressIsConfirmed) {
  start_server();
  SenderOptions options = fast_options();
  options.confirm = true;
  enqueue(scenario_json(1'000, 5, 1));
  enqueue(scenario_json(1'000, 5, 1), "Reader@example.net");
  auto sender = make_sender(smtp_to(server_->port()), options);
  EXPECT_EQ(sender->run_once(), SendStep::kHeld) << log();
  EXPECT_EQ(sender->run_once(), SendStep::kHeld) << log();
  EXPECT_EQ(sender->run_once(), SendStep::kIdle) << "held mails are not due";

  // One request for the address, whatever the spelling, and nothing else.
  ASSERT_TRUE(server_->wait_for_messages(1)) << server_->output();
  auto received = server_->messages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(subject_of(received[0]), "Confirm mails from outbreak");
  EXPECT_EQ(received[0]["rcpt_tos"], nlohmann::json::array({kRecipient}));
  const std::string token = token_in(text_of(received[0]));
  ASSERT_EQ(token.size(), 32u) << text_of(received[0]);
  EXPECT_EQ(text_of(received[0]).find("Épidémie"), std::string::npos)
      << "the request carries nothing the submitter typed";
  for (const auto& mail : mails()) {
    EXPECT_EQ(mail.status, MailStatus::kPending);
    EXPECT_EQ(mail.last_error.value_or(""), "held until the address is confirmed");
  }
  EXPECT_EQ(counters_.held.load(), 2);
  EXPECT_EQ(counters_.confirmations_requested.load(), 1);

  auto confirmed = store_->confirm_mail_address(token, std::chrono::system_clock::now());
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().message;
  EXPECT_EQ(drain(*sender), 2) << log();
  ASSERT_TRUE(server_->wait_for_messages(3)) << server_->output();
  received = server_->messages();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(subject_of(received[1]), "Simulation accepted: Épidémie à Zürich");
  EXPECT_EQ(subject_of(received[2]), "Simulation accepted: Épidémie à Zürich");

  // A confirmed address gets later mails at once.
  enqueue(scenario_json(1'000, 5, 1));
  EXPECT_EQ(sender->run_once(), SendStep::kSent) << log();
}

// Accepts every message; the first time, it also confirms the recipient's
// address, as the fastest reader would before the sender has held the mail.
class ConfirmingTransport : public Transport {
 public:
  explicit ConfirmingTransport(std::unique_ptr<store::Store> store) : store_(std::move(store)) {}
  SendResult send(std::string_view, std::string_view to, std::string_view) override {
    if (sends_++ == 0) {
      const auto now = std::chrono::system_clock::now();
      auto address = store_->mail_address(to, "unused", now);
      EXPECT_TRUE(address.ok());
      if (address) {
        EXPECT_TRUE(store_->confirm_mail_address(address->token, now).ok());
      }
    }
    return SendResult{};
  }

 private:
  std::unique_ptr<store::Store> store_;
  int sends_ = 0;
};

// A job submitted through a trusted proxy keeps the base its submitter used
// (serve stores it only while OUTBREAK_PUBLIC_URL is unset); the sender's
// own OUTBREAK_PUBLIC_URL, when set, still wins.
TEST_P(SenderTest, LinksUseTheJobsOwnBaseUnlessThePublicUrlIsSet) {
  start_server();
  store::NewSimulation simulation;
  simulation.name = "behind a proxy";
  simulation.scenario_json = scenario_json(1'000, 5, 1);
  simulation.email = kRecipient;
  simulation.days = 5;
  simulation.link_base = "https://proxied.example.net:8443";
  auto id = store_->enqueue(simulation, std::chrono::system_clock::now());
  ASSERT_TRUE(id.ok()) << id.error().message;
  SenderOptions options = fast_options();
  options.public_url_set = false;
  auto sender = make_sender(smtp_to(server_->port()), options);
  EXPECT_EQ(sender->run_once(), SendStep::kSent) << log();
  ASSERT_TRUE(server_->wait_for_messages(1)) << server_->output();
  const std::string accepted = text_of(server_->messages()[0]);
  EXPECT_NE(accepted.find("https://proxied.example.net:8443/simulations/" + *id), std::string::npos)
      << accepted;
  EXPECT_EQ(accepted.find(kPublicUrl), std::string::npos) << accepted;

  // The confirmation request a job's mail causes links where the job does.
  simulation.email = "other@example.net";
  ASSERT_TRUE(store_->enqueue(simulation, std::chrono::system_clock::now()).ok());
  options.confirm = true;
  auto confirming = make_sender(smtp_to(server_->port()), options);
  EXPECT_EQ(confirming->run_once(), SendStep::kHeld) << log();
  ASSERT_TRUE(server_->wait_for_messages(2)) << server_->output();
  const std::string request = text_of(server_->messages()[1]);
  EXPECT_NE(request.find("https://proxied.example.net:8443/mail/confirm/"), std::string::npos)
      << request;

  // The sender's own OUTBREAK_PUBLIC_URL wins.
  simulation.email = kRecipient;
  ASSERT_TRUE(store_->enqueue(simulation, std::chrono::system_clock::now()).ok());
  options.confirm = false;
  options.public_url_set = true;
  auto configured = make_sender(smtp_to(server_->port()), options);
  EXPECT_EQ(configured->run_once(), SendStep::kSent) << log();
  ASSERT_TRUE(server_->wait_for_messages(3)) << server_->output();
  const std::string third = text_of(server_->messages()[2]);
  EXPECT_NE(third.find(std::string(kPublicUrl) + "/simulations/"), std::string::npos) << third;
  EXPECT_EQ(third.find("proxied.example.net"), std::string::npos) << third;
}

TEST_P(SenderTest, AConfirmationDuringTheHoldReleasesTheMailAtOnce) {
  SenderOptions options = fast_options();
  options.confirm = true;
  enqueue(scenario_json(1'000, 5, 1));
  auto sender = make_sender(std::make_unique<ConfirmingTransport>(open_migrated()), options);
  EXPECT_EQ(sender->run_once(), SendStep::kHeld) << log();
  EXPECT_EQ(sender->run_once(), SendStep::kSent) << "not held for the whole wait: " << log();
}

TEST_P(SenderTest, MailsToAnAddressNeverConfirmedAreSuppressedAfterTheWait) {
  SenderOptions options = fast_options();
  options.confirm = true;
  options.confirm_wait = std::chrono::hours(2);
  auto offset = std::make_shared<std::atomic<std::int64_t>>(0);
  options.now = [offset] {
    return std::chrono::system_clock::now() + std::chrono::hours(offset->load());
  };
  enqueue(scenario_json(1'000, 5, 1));
  auto sender = make_sender(nullptr, options);  // logged mode: the log gets the request
  EXPECT_EQ(sender->run_once(), SendStep::kHeld) << log();
  EXPECT_NE(log().find("https://sim.example.org/mail/confirm/"), std::string::npos) << log();
  offset->store(1);
  EXPECT_EQ(sender->run_once(), SendStep::kIdle);
  offset->store(3);
  EXPECT_EQ(sender->run_once(), SendStep::kSuppressed) << log();
  const auto mail = only_mail();
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->status, MailStatus::kFailed);
  EXPECT_EQ(mail->last_error.value_or(""),
            "suppressed: the address was not confirmed within 2 hours");
  EXPECT_EQ(counters_.logged.load(), 0) << "nothing but the request was logged";
}

INSTANTIATE_TEST_SUITE_P(mail, SenderTest, ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::mail::testing
