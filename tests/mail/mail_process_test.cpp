// The notification mails end to end, through the real processes on each
// backend: a simulation is submitted to `outbreak serve` over HTTP and run by
// its in-process worker (or by an `outbreak worker`), and its mails are sent
// by the processes' mail senders to a real SMTP server on loopback (aiosmtpd,
// tests/mail/smtp_server.py). The links in the mails are fetched from the
// same `outbreak serve`.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iomanip>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "mail/mime_reader.hpp"
#include "mail/smtp_server.hpp"
#include "outbreak/mail/address.hpp"
#include "outbreak/store/open.hpp"
#include "outbreak/store/store.hpp"
#include "serve/server_process.hpp"
#include "store/test_database.hpp"

namespace outbreak::mail::testing {
namespace {

using nlohmann::json;
using serve::testing::ChildProcess;
using serve::testing::Environment;
using std::chrono::milliseconds;
using std::chrono::seconds;
using store::MailKind;
using store::MailRecord;
using store::MailStatus;
using store::testing::TestDatabase;

constexpr const char* kRecipient = "reader@example.net";
constexpr const char* kFromAddress = "outbreak@example.org";
constexpr const char* kName = "Zürich, tracing";
constexpr std::int64_t kPopulation = 5'000;
constexpr std::int64_t kDays = 60;

// A submission of a small scenario (well under a second to run, also with
// the sanitizers), with `email` when it is a value: a string, null, a number.
std::string submission(const std::string& name, const std::optional<json>& email) {
  json body = {{"name", name},
               {"scenario",
                {{"population", kPopulation},
                 {"days", kDays},
                 {"replicates", 1},
                 {"seed", 7},
                 {"initial_infected", 20}}}};
  if (email) body["email"] = *email;
  return body.dump();
}

// 1234567 -> "1,234,567", written here apart from mail::format_count.
std::string grouped(std::int64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// The plain-text part of a received message as Python's email package
// decodes it, with "\n" line breaks.
std::string text_of(const json& message) {
  std::string text = message.at("parts").at(0).at("content").get<std::string>();
  std::erase(text, '\r');
  return text;
}

std::string html_of(const json& message) {
  return message.at("parts").at(1).at("content").get<std::string>();
}

std::string subject_of(const json& message) {
  return message.at("headers").value("Subject", std::string());
}

// The value on the text line "  <label>:  <value>", without the padding.
std::string line_value(const std::string& text, const std::string& label) {
  const std::string start = "  " + label + ":";
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(start)) continue;
    std::string value = line.substr(start.size());
    value.erase(0, value.find_first_not_of(' '));
    return value;
  }
  return "<no line " + label + ">";
}

// How many times header `name` appears in a raw message (top level).
int header_count(const Entity& message, std::string_view name) {
  return static_cast<int>(
      std::count_if(message.headers.begin(), message.headers.end(), [&](const auto& header) {
        return header.first.size() == name.size() &&
               std::equal(name.begin(), name.end(), header.first.begin(), [](char a, char b) {
                 return std::tolower(static_cast<unsigned char>(a)) ==
                        std::tolower(static_cast<unsigned char>(b));
               });
      }));
}

// Seconds between an RFC 5322 date ("Tue, 03 Feb 2026 10:11:12 +0000") and
// now; nullopt when it does not read as one in UTC.
std::optional<std::int64_t> seconds_from_now(const std::string& date) {
  static const std::regex kShape(
      R"([A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000)");
  if (!std::regex_match(date, kShape)) return std::nullopt;
  std::tm tm{};
  std::istringstream in(date);
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S");
  if (in.fail()) return std::nullopt;
  const auto then = std::chrono::system_clock::from_time_t(timegm(&tm));
  return std::chrono::duration_cast<seconds>(std::chrono::system_clock::now() - then).count();
}

class MailProcessTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<TestDatabase>(GetParam());
    auto store = store::open_store(database_->url());
    ASSERT_TRUE(store.ok()) << store.error().message;
    ASSERT_TRUE((*store)->migrate().ok());
    store_ = std::move(store).value();
  }

  // The settings of both processes: mails to the test's SMTP port, links to
  // the test's `outbreak serve`, retries and polls in milliseconds.
  Environment mail_environment() const {
    Environment environment = base_mail_environment();
    environment.insert(extra_environment_.begin(), extra_environment_.end());
    return environment;
  }
  Environment base_mail_environment() const {
    return {{"OUTBREAK_SMTP_URL", fmt::format("smtp://127.0.0.1:{}", smtp_port_)},
            {"OUTBREAK_MAIL_FROM", fmt::format("Outbreak <{}>", kFromAddress)},
            {"OUTBREAK_PUBLIC_URL", public_url()},
            {"OUTBREAK_MAIL_RETRY_BASE_MS", "100"},
            {"OUTBREAK_MAIL_RETRY_MAX_MS", "500"},
            {"OUTBREAK_MAIL_POLL_MS", "50"},
            {"OUTBREAK_MAIL_MAX_ATTEMPTS", "1000"},
            {"OUTBREAK_SMTP_CONNECT_TIMEOUT_MS", "2000"},
            {"OUTBREAK_SMTP_TIMEOUT_MS", "10000"}};
  }

  std::string public_url() const { return fmt::format("http://127.0.0.1:{}", serve_port_); }
  std::string log_path(const std::string& name) const { return (dir_.path() / name).string(); }

  void start_smtp() { smtp_ = std::make_unique<SmtpServer>(smtp_port_, dir_.path() / "spool"); }

  // `outbreak serve` with `workers` in-process workers (and its mail sender)
  // on a port chosen beforehand, since the links in mails must name it
  // before any process sends one. A port taken in between makes serve exit
  // at start; then another is tried.
  void start_serve(int workers) {
    std::string output;
    for (int attempt = 0; attempt < 3 && !serve_; ++attempt) {
      serve_port_ = free_port();
      auto process = std::make_unique<ChildProcess>(
          std::vector<std::string>{"serve", "--listen", fmt::format("127.0.0.1:{}", serve_port_),
                                   "--database", database_->url(), "--workers",
                                   std::to_string(workers)},
          mail_environment(), log_path(fmt::format("serve-{}.log", attempt)));
      const std::string listening = "listening on " + public_url();
      const bool started = wait_until(
          [&] {
            return process->output().find(listening) != std::string::npos ||
                   process->wait(milliseconds(0)).has_value();
          },
          seconds(30));
      output = process->output();
      if (started && output.find(listening) != std::string::npos) serve_ = std::move(process);
    }
    ASSERT_TRUE(serve_) << "outbreak serve did not start:\n" << output;
  }

  // `outbreak worker`: it runs jobs and, like serve, sends the outbox's mails.
  void start_worker() {
    worker_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"worker", "--database", database_->url(), "--poll-seconds",
                                 "0.05"},
        mail_environment(), log_path("worker.log"));
  }

  // What the processes printed, for failure messages.
  std::string outputs() const {
    std::string text;
    if (serve_) text += "--- serve:\n" + serve_->output();
    if (worker_) text += "--- worker:\n" + worker_->output();
    if (smtp_) text += "--- smtp:\n" + smtp_->output();
    return text;
  }

  httplib::Client client() const {
    httplib::Client client("127.0.0.1", serve_port_);
    client.set_connection_timeout(seconds(10));
    client.set_read_timeout(seconds(30));
    return client;
  }

  httplib::Result post_submission(const std::string& body) {
    return client().Post("/api/v1/simulations", body, "application/json");
  }

  // Submits and returns the new id ("" after a failed expectation).
  std::string submit(const std::string& body) {
    auto response = post_submission(body);
    EXPECT_TRUE(response) << httplib::to_string(response.error());
    if (!response) return "";
    EXPECT_EQ(response->status, 201) << response->body;
    if (response->status != 201) return "";
    return json::parse(response->body).at("id").get<std::string>();
  }

  std::string status_of(const std::string& id) {
    auto response = client().Get("/api/v1/simulations/" + id);
    if (!response || response->status != 200) return "";
    const json document = json::parse(response->body, nullptr, false);
    return document.is_object() ? document.value("status", "") : "";
  }

  bool wait_for_success(const std::string& id) {
    return wait_until([&] { return status_of(id) == "succeeded"; }, seconds(60));
  }

  // Every mail of the outbox, oldest first.
  std::vector<MailRecord> outbox() {
    auto list = store_->list_mail(std::nullopt, 1000);
    EXPECT_TRUE(list.ok()) << list.error().message;
    if (!list) return {};
    return std::vector<MailRecord>(list->rbegin(), list->rend());
  }

  // Whether the outbox holds exactly `count` mails, every one sent.
  bool all_sent(std::size_t count) {
    const auto mails = outbox();
    return mails.size() == count && std::all_of(mails.begin(), mails.end(), [](const auto& mail) {
             return mail.status == MailStatus::kSent;
           });
  }

  Environment extra_environment_;  // more settings for both processes
  TempDir dir_{"outbreak-mail-process"};
  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<store::Store> store_;
  int smtp_port_ = free_port();
  int serve_port_ = 0;
  // Declared last so that they go first: the processes stop before the
  // database is dropped and the folder removed.
  std::unique_ptr<SmtpServer> smtp_;
  std::unique_ptr<ChildProcess> serve_;
  std::unique_ptr<ChildProcess> worker_;
};

// The accepted mail, then the finished mail, and nothing more; each with
// correct headers, the figures of the stored results and working links.
TEST_P(MailProcessTest, ASubmissionGetsAnAcceptedThenAFinishedMailWithWorkingLinks) {
  ASSERT_NO_FATAL_FAILURE(start_smtp());
  ASSERT_NO_FATAL_FAILURE(start_serve(1));
  const std::string id = submit(submission(kName, kRecipient));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_for_success(id)) << outputs();
  ASSERT_TRUE(smtp_->wait_for_messages(2)) << outputs();
  // Nothing is left to send once the outbox holds no pending mail; a third
  // message would be a mail sent twice.
  ASSERT_TRUE(wait_until([&] { return all_sent(2); })) << outputs();
  EXPECT_FALSE(smtp_->wait_for_messages(3, seconds(1))) << outputs();
  EXPECT_NE(serve_->output().find("mail_sent"), std::string::npos) << outputs();
  // One sender takes the oldest due mail first, so the order is certain.
  const auto received = smtp_->messages();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(smtp_->replies(), (std::vector<int>{250, 250}));
  EXPECT_EQ(subject_of(received[0]), fmt::format("Simulation accepted: {}", kName));
  EXPECT_EQ(subject_of(received[1]), fmt::format("Simulation finished: {}", kName));

  const auto mails = outbox();
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[0].kind, MailKind::kAccepted);
  EXPECT_EQ(mails[1].kind, MailKind::kFinished);
  for (const auto& mail : mails) {
    EXPECT_EQ(mail.simulation_id, id);
    EXPECT_EQ(mail.recipient, kRecipient);
    EXPECT_EQ(mail.attempts, 1);
  }

  std::vector<std::string> message_ids;
  for (std::size_t i = 0; i < received.size(); ++i) {
    const json& message = received[i];
    SCOPED_TRACE(subject_of(message));
    EXPECT_EQ(message["mail_from"], kFromAddress);
    EXPECT_EQ(message["rcpt_tos"], json::array({kRecipient}));
    EXPECT_EQ(message["headers"]["To"], kRecipient);
    EXPECT_EQ(message["from_name"], "Outbreak");
    EXPECT_EQ(message["from_address"], kFromAddress);
    const auto age = seconds_from_now(message["headers"].value("Date", ""));
    ASSERT_TRUE(age) << message["headers"];
    EXPECT_LE(std::abs(*age), 300) << message["headers"]["Date"];
    const std::string message_id = message["headers"].value("Message-ID", "");
    EXPECT_TRUE(std::regex_match(message_id, std::regex(R"(<[^<>@\s]+@example\.org>)")))
        << message_id;
    message_ids.push_back(message_id);
    EXPECT_EQ(message["headers"]["MIME-Version"], "1.0");
    EXPECT_EQ(message["content_type"], "multipart/alternative");
    EXPECT_EQ(message["defects"], json::array()) << message.dump(2);
    ASSERT_EQ(message["parts"].size(), 2u);
    EXPECT_EQ(message["parts"][0]["content_type"], "text/plain");
    EXPECT_EQ(message["parts"][1]["content_type"], "text/html");
    for (const json& part : message["parts"]) EXPECT_EQ(part["charset"], "utf-8");
    // Each header once, and nothing that would copy the mail elsewhere.
    const Entity raw = parse_entity(smtp_->raw(i));
    for (const char* name : {"Date", "Message-ID", "From", "To", "Subject", "MIME-Version"}) {
      EXPECT_EQ(header_count(raw, name), 1) << name;
    }
    EXPECT_EQ(header_count(raw, "Cc"), 0);
    EXPECT_EQ(header_count(raw, "Bcc"), 0);
  }
  EXPECT_NE(message_ids[0], message_ids[1]);

  const std::string page = public_url() + "/simulations/" + id;
  const std::string csv = public_url() + "/api/v1/simulations/" + id + "/results?format=csv";
  const std::string accepted = text_of(received[0]);
  EXPECT_EQ(line_value(accepted, "Id"), id) << accepted;
  EXPECT_EQ(line_value(accepted, "Scenario"), "5,000 agents, 60 days, 1 replicate (seed 7)")
      << accepted;
  EXPECT_EQ(line_value(accepted, "Results page"), page) << accepted;
  EXPECT_NE(html_of(received[0]).find("href=\"" + page + "\""), std::string::npos);

  // The key figures, computed here from the results the API serves.
  auto results = client().Get("/api/v1/simulations/" + id + "/results");
  ASSERT_TRUE(results && results->status == 200);
  const json days = json::parse(results->body).at("replicates").at(0).at("days");
  ASSERT_EQ(days.size(), static_cast<std::size_t>(kDays + 1));
  const json& last = days.back();
  const auto value = [](const json& day, const char* column) {
    return day.at(column).get<std::int64_t>();
  };
  std::int64_t peak = -1;
  std::int64_t peak_day = -1;
  for (const json& day : days) {
    if (value(day, "currently_infected") > peak) {
      peak = value(day, "currently_infected");
      peak_day = value(day, "day");
    }
  }
  const std::int64_t total = value(last, "total_infected");
  EXPECT_EQ(value(last, "susceptible") + value(last, "currently_infected") +
                value(last, "recovered") + value(last, "dead"),
            kPopulation);
  EXPECT_GT(total, 20) << "the epidemic should spread beyond the initial cases";
  const std::string finished = text_of(received[1]);
  EXPECT_EQ(line_value(finished, "Id"), id) << finished;
  EXPECT_EQ(line_value(finished, "Total infected"), grouped(total)) << finished;
  EXPECT_EQ(line_value(finished, "Attack rate"),
            fmt::format("{:.1f}% of {}", 100.0 * static_cast<double>(total) / kPopulation,
                        grouped(kPopulation)))
      << finished;
  EXPECT_EQ(line_value(finished, "Peak infected"),
            fmt::format("{} on day {}", grouped(peak), peak_day))
      << finished;
  EXPECT_EQ(line_value(finished, "Deaths"), grouped(value(last, "dead"))) << finished;
  std::int64_t admissions = 0;
  for (const json& day : days) admissions += value(day, "new_hospitalizations");
  EXPECT_EQ(line_value(finished, "Hospital admissions"), grouped(admissions)) << finished;
  EXPECT_EQ(line_value(finished, "Figures"), fmt::format("at day {}", kDays)) << finished;
  EXPECT_EQ(line_value(finished, "Results page"), page) << finished;
  EXPECT_EQ(line_value(finished, "CSV"), csv) << finished;
  const std::string html = html_of(received[1]);
  EXPECT_NE(html.find("href=\"" + page + "\""), std::string::npos) << html;
  EXPECT_NE(html.find("href=\"" + csv + "\""), std::string::npos) << html;

  // The links, as a mail reader would follow them.
  httplib::Client follow(public_url());
  follow.set_read_timeout(seconds(30));
  auto page_response = follow.Get(page.substr(public_url().size()));
  ASSERT_TRUE(page_response) << httplib::to_string(page_response.error());
  EXPECT_EQ(page_response->status, 200);
  EXPECT_TRUE(page_response->get_header_value("Content-Type").starts_with("text/html"))
      << page_response->get_header_value("Content-Type");
  auto csv_response = follow.Get(csv.substr(public_url().size()));
  ASSERT_TRUE(csv_response) << httplib::to_string(csv_response.error());
  EXPECT_EQ(csv_response->status, 200);
  EXPECT_TRUE(csv_response->get_header_value("Content-Type").starts_with("text/csv"))
      << csv_response->get_header_value("Content-Type");
  EXPECT_TRUE(csv_response->body.starts_with("day,susceptible,")) << csv_response->body;
  EXPECT_EQ(std::count(csv_response->body.begin(), csv_response->body.end(), '\n'), kDays + 2);
}

// Mails that cannot be delivered wait in the outbox and go out once the SMTP
// server is back, each exactly once, without restarting anything. Two
// processes send from the same outbox here: serve (without workers) and the
// worker that runs the job.
TEST_P(MailProcessTest, MailsWaitWhileTheSmtpServerIsDownAndArriveOnceWhenItIsBack) {
  ASSERT_NO_FATAL_FAILURE(start_serve(0));
  start_worker();
  const std::string id = submit(submission(kName, kRecipient));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_for_success(id)) << outputs();
  // Both mails were tried, more than once, and are still pending.
  ASSERT_TRUE(wait_until([&] {
    const auto mails = outbox();
    return mails.size() == 2 && std::all_of(mails.begin(), mails.end(), [](const auto& mail) {
             return mail.status == MailStatus::kPending && mail.attempts >= 2 &&
                    mail.last_error.has_value() && !mail.last_error->empty();
           });
  })) << outputs();
  // An operator sees them so.
  const auto listed = serve::testing::run_outbreak(
      {"mail", "list", "--status", "pending", "--database", database_->url()},
      log_path("mail-list.txt"));
  EXPECT_EQ(listed.status, 0) << listed.output;
  EXPECT_NE(listed.output.find("accepted"), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find("finished"), std::string::npos) << listed.output;
  EXPECT_NE(listed.output.find(id), std::string::npos) << listed.output;

  ASSERT_NO_FATAL_FAILURE(start_smtp());
  ASSERT_TRUE(smtp_->wait_for_messages(2)) << outputs();
  ASSERT_TRUE(wait_until([&] { return all_sent(2); })) << outputs();
  EXPECT_FALSE(smtp_->wait_for_messages(3, seconds(1))) << outputs();
  EXPECT_EQ(smtp_->replies(), (std::vector<int>{250, 250}));
  const auto received = smtp_->messages();
  ASSERT_EQ(received.size(), 2u);
  std::vector<std::string> subjects;
  for (const json& message : received) {
    subjects.push_back(subject_of(message));
    EXPECT_EQ(message["rcpt_tos"], json::array({kRecipient}));
    EXPECT_NE(text_of(message).find(id), std::string::npos) << text_of(message);
  }
  std::sort(subjects.begin(), subjects.end());
  EXPECT_EQ(subjects, (std::vector<std::string>{fmt::format("Simulation accepted: {}", kName),
                                                fmt::format("Simulation finished: {}", kName)}));
  for (const auto& mail : outbox()) EXPECT_GE(mail.attempts, 3) << to_string(mail.kind);
  // The same processes did it all.
  EXPECT_FALSE(worker_->wait(milliseconds(0))) << outputs();
  EXPECT_FALSE(serve_->wait(milliseconds(0))) << outputs();
}

// No address, no mail; an address the mail module refuses is refused by the
// API too, naming the field, and queues nothing.
TEST_P(MailProcessTest, NoAddressMeansNoMailAndBadAddressesAreRefused) {
  ASSERT_NO_FATAL_FAILURE(start_smtp());
  ASSERT_NO_FATAL_FAILURE(start_serve(1));

  const std::vector<std::string> bad = {
      "not-an-address",
      "reader@example.net\r\nBcc: victim@example.org",
      "reader@example.net\nBcc: victim@example.org",
      "reader@example.net\r",
      "reader@exa\r\nmple.net",
      "Reader <reader@example.net>",
      " reader@example.net",
      "reader@example.net ",
      "reader@@example.net",
      "reader@example.net,victim@example.org",
      "reader@-example.net",
      std::string(250, 'a') + "@example.net",
  };
  for (const std::string& address : bad) {
    SCOPED_TRACE(json(address).dump());
    EXPECT_FALSE(validate_address(address).ok());
    auto response = post_submission(submission(kName, address));
    ASSERT_TRUE(response) << httplib::to_string(response.error());
    EXPECT_EQ(response->status, 422) << response->body;
    json document = json::parse(response->body, nullptr, false);
    ASSERT_TRUE(document.is_object() && document["error"].is_object()) << response->body;
    json& error = document["error"];
    EXPECT_EQ(error["code"], "invalid_scenario") << response->body;
    ASSERT_TRUE(error["fields"].is_array() && error["fields"].size() == 1) << response->body;
    EXPECT_EQ(error["fields"][0]["field"], "email") << response->body;
  }
  auto number = post_submission(submission(kName, json(42)));
  ASSERT_TRUE(number);
  EXPECT_EQ(number->status, 422) << number->body;
  EXPECT_NE(number->body.find(R"("field":"email")"), std::string::npos) << number->body;
  auto none_queued = store_->list(std::nullopt, 100);
  ASSERT_TRUE(none_queued.ok());
  EXPECT_TRUE(none_queued->empty()) << none_queued->size() << " simulations were queued";

  // Without an address: the key left out, null, or empty.
  std::vector<std::string> quiet = {submission("no key", std::nullopt),
                                    submission("null", json(nullptr)),
                                    submission("empty", json(""))};
  std::vector<std::string> ids;
  for (const std::string& body : quiet) ids.push_back(submit(body));
  const std::string with_address = submit(submission("with an address", "other@example.net"));
  ids.push_back(with_address);
  for (const std::string& id : ids) {
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(wait_for_success(id)) << outputs();
  }
  // Every mail is queued with the state change that causes it, so once all
  // four have succeeded the outbox is complete: only the addressed run's two.
  const auto mails = outbox();
  ASSERT_EQ(mails.size(), 2u);
  for (const auto& mail : mails) {
    EXPECT_EQ(mail.simulation_id, with_address);
    EXPECT_EQ(mail.recipient, "other@example.net");
  }
  ASSERT_TRUE(smtp_->wait_for_messages(2)) << outputs();
  ASSERT_TRUE(wait_until([&] { return all_sent(2); })) << outputs();
  const auto received = smtp_->messages();
  ASSERT_EQ(received.size(), 2u);
  for (const json& message : received) {
    EXPECT_EQ(message["rcpt_tos"], json::array({"other@example.net"}));
    EXPECT_NE(text_of(message).find(with_address), std::string::npos) << text_of(message);
  }
}

// OUTBREAK_MAIL_CONFIRM: the first mail to an address asks to confirm it;
// opening the link confirms nothing (mail scanners open links), pressing
// the page's button does, and releases the mails that waited.
TEST_P(MailProcessTest, InConfirmationModeOnlyThePagesButtonReleasesTheMails) {
  extra_environment_ = {{"OUTBREAK_MAIL_CONFIRM", "true"}};
  ASSERT_NO_FATAL_FAILURE(start_smtp());
  ASSERT_NO_FATAL_FAILURE(start_serve(1));
  const std::string id = submit(submission(kName, kRecipient));
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_for_success(id)) << outputs();
  const auto both_held = [&] {
    const auto mails = outbox();
    return mails.size() == 2 && std::all_of(mails.begin(), mails.end(), [](const auto& mail) {
             return mail.status == MailStatus::kPending &&
                    mail.last_error.value_or("") == "held until the address is confirmed";
           });
  };
  ASSERT_TRUE(wait_until(both_held)) << outputs();
  ASSERT_TRUE(smtp_->wait_for_messages(1)) << outputs();
  auto received = smtp_->messages();
  ASSERT_EQ(received.size(), 1u) << outputs();
  EXPECT_EQ(subject_of(received[0]), "Confirm mails from outbreak");
  std::smatch match;
  const std::string text = text_of(received[0]);
  ASSERT_TRUE(
      std::regex_search(text, match, std::regex(public_url() + "(/mail/confirm/[0-9a-f]{32})")))
      << text;
  const std::string path = match[1].str();

  auto page = client().Get(path);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<form method=\"post\""), std::string::npos) << page->body;
  EXPECT_NE(page->body.find("r***@example.net"), std::string::npos) << page->body;
  EXPECT_EQ(page->get_header_value("Cache-Control"), "no-store");
  EXPECT_EQ(page->get_header_value("Referrer-Policy"), "no-referrer");
  auto address = store_->mail_address_by_token(path.substr(path.rfind('/') + 1));
  ASSERT_TRUE(address.ok()) << address.error().message;
  EXPECT_FALSE(address->confirmed_at) << "a GET confirms nothing";
  EXPECT_TRUE(both_held());

  auto confirmed = client().Post(path, "", "application/x-www-form-urlencoded");
  ASSERT_TRUE(confirmed);
  EXPECT_EQ(confirmed->status, 200) << confirmed->body;
  EXPECT_NE(confirmed->body.find("Address confirmed"), std::string::npos) << confirmed->body;
  ASSERT_TRUE(wait_until([&] { return all_sent(2); })) << outputs();
  ASSERT_TRUE(smtp_->wait_for_messages(3)) << outputs();
  received = smtp_->messages();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(subject_of(received[1]), fmt::format("Simulation accepted: {}", kName));
  EXPECT_EQ(subject_of(received[2]), fmt::format("Simulation finished: {}", kName));

  // The token is a secret: the access log shows the route, not the token.
  const std::string token = path.substr(path.rfind('/') + 1);
  const std::string serve_log = serve_->output();
  EXPECT_EQ(serve_log.find(token), std::string::npos) << serve_log;
  EXPECT_NE(serve_log.find("/mail/confirm/***"), std::string::npos) << serve_log;

  auto unknown = client().Get("/mail/confirm/" + std::string(32, '0'));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  auto unknown_post = client().Post("/mail/confirm/" + std::string(32, '0'), "",
                                    "application/x-www-form-urlencoded");
  ASSERT_TRUE(unknown_post);
  EXPECT_EQ(unknown_post->status, 404);
}

INSTANTIATE_TEST_SUITE_P(mail, MailProcessTest,
                         ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

// The database drops the processes' connections (pg_terminate_backend or
// KILL, as an administrator or a failover does) again and again while mails wait for
// the SMTP server and while they go out: the mail senders reconnect, and
// every mail arrives exactly once, without restarting anything.
class MailFaultTest : public MailProcessTest {};

TEST_P(MailFaultTest, MailsArriveOnceWhileTheDatabaseDropsTheConnections) {
  constexpr int kSubmissions = 3;
  ASSERT_NO_FATAL_FAILURE(start_serve(0));
  start_worker();
  std::vector<std::string> ids;
  for (int i = 0; i < kSubmissions; ++i) {
    ids.push_back(submit(submission(fmt::format("{} {}", kName, i), kRecipient)));
    ASSERT_FALSE(ids.back().empty());
  }
  for (const std::string& id : ids) ASSERT_TRUE(wait_for_success(id)) << outputs();

  // Every connection to the test database but the one asking; the test's
  // own store is among them, so the checks below use fresh connections.
  std::atomic<int> terminations = 0;
  std::jthread terminator([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      try {
        if (database_->drop_other_connections() > 0) ++terminations;
      } catch (const std::exception&) {
        // The server refused a connection for a moment: try again.
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  const auto count_sent = [&]() -> int {
    try {
      return std::stoi(database_->query("SELECT COUNT(*) FROM outbox WHERE status = 'sent'"));
    } catch (const std::exception&) {
      return -1;  // this connection was dropped too
    }
  };
  // While the SMTP server is down, the mails are tried and put back.
  const bool dropped = wait_until([&] { return terminations >= 5; }, seconds(30));
  ASSERT_NO_FATAL_FAILURE(start_smtp());
  // Connections keep being dropped while the first half go out.
  const bool half = wait_until([&] { return count_sent() >= kSubmissions; }, seconds(60));
  terminator.request_stop();
  terminator.join();
  // A claim whose answer was lost with its connection waits for the claim's
  // lease (OUTBREAK_SMTP_CONNECT_TIMEOUT_MS + OUTBREAK_SMTP_TIMEOUT_MS + 60 s).
  const bool sent = wait_until([&] { return count_sent() == 2 * kSubmissions; }, seconds(150));
  ASSERT_TRUE(dropped) << outputs();
  ASSERT_TRUE(half) << count_sent() << " sent\n" << outputs();
  ASSERT_TRUE(sent) << count_sent() << " sent\n" << outputs();
  EXPECT_GE(terminations, 5);
  // PostgreSQL's sessions learn of the drop from a failed call; MariaDB's
  // see the closed socket before their next call and reconnect first.
  if (GetParam() == "postgresql") {
    EXPECT_NE(outputs().find("during=claim_mail"), std::string::npos) << outputs();
  }

  // Exactly once: no message arrives twice, now or a little later.
  ASSERT_TRUE(smtp_->wait_for_messages(2 * kSubmissions)) << outputs();
  EXPECT_FALSE(smtp_->wait_for_messages(2 * kSubmissions + 1, seconds(1))) << outputs();
  std::vector<std::string> subjects;
  for (const json& message : smtp_->messages()) subjects.push_back(subject_of(message));
  std::sort(subjects.begin(), subjects.end());
  EXPECT_EQ(std::adjacent_find(subjects.begin(), subjects.end()), subjects.end())
      << fmt::format("{}", fmt::join(subjects, "\n"));
  EXPECT_EQ(subjects.size(), static_cast<std::size_t>(2 * kSubmissions));
  // The same processes did it all.
  EXPECT_FALSE(worker_->wait(milliseconds(0))) << outputs();
  EXPECT_FALSE(serve_->wait(milliseconds(0))) << outputs();
}

INSTANTIATE_TEST_SUITE_P(mail, MailFaultTest, ::testing::Values("postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::mail::testing
