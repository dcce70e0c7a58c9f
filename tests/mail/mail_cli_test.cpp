// `outbreak mail list|retry` as an operator uses them, on a SQLite file.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "jobs/process.hpp"
#include "mail/mail_fixture.hpp"

namespace outbreak::mail::testing {
namespace {

using store::MailStatus;

struct Outcome {
  int status = -1;
  std::string output;  // stdout and stderr together
};

class MailCliTest : public MailStoreTest {
 protected:
  Outcome run(std::vector<std::string> args) {
    const std::string path = (dir_.path() / fmt::format("out-{}.txt", runs_++)).string();
    args.push_back("--database");
    args.push_back(database_->url());
    jobs::testing::Process process(std::move(args), path);
    Outcome outcome;
    outcome.status = process.wait(std::chrono::seconds(60)).value_or(-1);
    std::ifstream in(path);
    outcome.output = std::string(std::istreambuf_iterator<char>(in), {});
    return outcome;
  }

  TempDir dir_{"outbreak-mail-cli"};
  int runs_ = 0;
};

TEST_P(MailCliTest, ListsMailsAndRetriesAFailedOne) {
  const std::string first = enqueue(scenario_json(2'000, 10, 1), "first@example.net", "one");
  const std::string second = enqueue(scenario_json(2'000, 10, 1), "second@example.net", "two");
  const auto now = std::chrono::system_clock::now();
  // The first mail is delivered, the second refused for good.
  auto claimed = store_->claim_mail(now, store::Duration(60'000));
  ASSERT_TRUE(claimed.ok() && *claimed);
  ASSERT_TRUE(store_->mark_mail_sent((*claimed)->id, MailStatus::kSent, now).ok());
  const std::int64_t sent_id = (*claimed)->id;
  claimed = store_->claim_mail(now, store::Duration(60'000));
  ASSERT_TRUE(claimed.ok() && *claimed);
  const std::int64_t failed_id = (*claimed)->id;
  ASSERT_TRUE(store_->mark_mail_failed(failed_id, "550 5.1.1 no such user", now).ok());

  const Outcome all = run({"mail", "list"});
  EXPECT_EQ(all.status, 0) << all.output;
  EXPECT_NE(all.output.find("first@example.net"), std::string::npos) << all.output;
  EXPECT_NE(all.output.find("second@example.net"), std::string::npos) << all.output;
  EXPECT_NE(all.output.find("550 5.1.1 no such user"), std::string::npos) << all.output;
  EXPECT_NE(all.output.find(first), std::string::npos) << all.output;
  // Newest first.
  EXPECT_LT(all.output.find(second), all.output.find(first)) << all.output;

  const Outcome failed = run({"mail", "list", "--status", "failed"});
  EXPECT_EQ(failed.status, 0) << failed.output;
  EXPECT_NE(failed.output.find("second@example.net"), std::string::npos) << failed.output;
  EXPECT_EQ(failed.output.find("first@example.net"), std::string::npos) << failed.output;

  const Outcome limited = run({"mail", "list", "--limit", "1"});
  EXPECT_EQ(limited.status, 0);
  EXPECT_EQ(limited.output.find("first@example.net"), std::string::npos) << limited.output;

  const Outcome retried = run({"mail", "retry", std::to_string(failed_id)});
  EXPECT_EQ(retried.status, 0) << retried.output;
  EXPECT_NE(retried.output.find(fmt::format("mail {} pending", failed_id)), std::string::npos)
      << retried.output;
  auto pending = store_->list_mail(MailStatus::kPending, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().id, failed_id);
  EXPECT_EQ(pending->front().attempts, 0);

  // Not failed (any more), or no such mail: bad input, exit 2.
  const Outcome again = run({"mail", "retry", std::to_string(sent_id)});
  EXPECT_EQ(again.status, 2) << again.output;
  const Outcome missing = run({"mail", "retry", "999999"});
  EXPECT_EQ(missing.status, 2) << missing.output;
}

TEST_P(MailCliTest, RefusesAnUnknownStatusOrAMissingId) {
  const Outcome status = run({"mail", "list", "--status", "delivered"});
  EXPECT_EQ(status.status, 2);
  EXPECT_NE(status.output.find("use pending, sent, logged or failed"), std::string::npos)
      << status.output;
  const Outcome no_id = run({"mail", "retry"});
  EXPECT_EQ(no_id.status, 2) << no_id.output;
  const Outcome bad_id = run({"mail", "retry", "seven"});
  EXPECT_EQ(bad_id.status, 2) << bad_id.output;
}

INSTANTIATE_TEST_SUITE_P(mail, MailCliTest, ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::mail::testing
