// The outbox half of the conformance suite, and the status counts: mails are
// queued by the same transaction as the state change that causes them, and
// handed to exactly one sender at a time.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "store/conformance_fixture.hpp"

namespace outbreak::store::testing {
namespace {

class Outbox : public StoreConformance {
 protected:
  std::string enqueue_with_email(const std::string& name, TimePoint now = kT0,
                                 int max_attempts = 3) {
    NewSimulation simulation = new_simulation(name, max_attempts);
    std::string email = name;
    email.append("@example.org");
    simulation.email = email;
    auto id = store_->enqueue(simulation, now);
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : std::string();
  }

  std::vector<MailRecord> mails() {
    auto listed = store_->list_mail(std::nullopt, 1000);
    EXPECT_TRUE(listed.ok()) << listed.error().message;
    auto result = listed.ok() ? *listed : std::vector<MailRecord>{};
    std::reverse(result.begin(), result.end());  // oldest first
    return result;
  }

  // The kinds of the mails of `id`, oldest first.
  std::vector<MailKind> kinds_of(const std::string& id) {
    std::vector<MailKind> kinds;
    for (const auto& mail : mails()) {
      if (mail.simulation_id == id) kinds.push_back(mail.kind);
    }
    return kinds;
  }
};

TEST_P(Outbox, EnqueueWithAnAddressQueuesTheAcceptedMailAndWithoutNone) {
  const std::string with = enqueue_with_email("ada");
  const std::string without = enqueue("bob");
  const auto all = mails();
  ASSERT_EQ(all.size(), 1u);
  const MailRecord& mail = all[0];
  EXPECT_GT(mail.id, 0);
  EXPECT_EQ(mail.simulation_id, with);
  EXPECT_EQ(mail.kind, MailKind::kAccepted);
  EXPECT_EQ(mail.recipient, "ada@example.org");
  EXPECT_EQ(mail.status, MailStatus::kPending);
  EXPECT_EQ(mail.attempts, 0);
  EXPECT_EQ(mail.created_at, kT0);
  EXPECT_EQ(mail.next_attempt_at, kT0);
  EXPECT_FALSE(mail.sent_at.has_value());
  EXPECT_FALSE(mail.last_error.has_value());
  EXPECT_TRUE(kinds_of(without).empty());
}

TEST_P(Outbox, EveryFinalStatusQueuesItsMail) {
  const std::string succeeded = enqueue_with_email("s", at_seconds(0));
  const std::string failed = enqueue_with_email("f", at_seconds(1));
  const std::string cancelled = enqueue_with_email("c", at_seconds(2));
  const std::string cancelled_queued = enqueue_with_email("q", at_seconds(3));
  for (const auto& [id, status] :
       {std::pair{succeeded, JobStatus::kSucceeded}, std::pair{failed, JobStatus::kFailed},
        std::pair{cancelled, JobStatus::kCancelled}}) {
    EXPECT_EQ(claim("w", at_seconds(5)).id, id);
    ASSERT_TRUE(store_->finish(id, "w", status, std::nullopt, at_seconds(6)).ok());
  }
  ASSERT_TRUE(store_->cancel(cancelled_queued, at_seconds(7)).ok());
  using K = MailKind;
  EXPECT_EQ(kinds_of(succeeded), (std::vector{K::kAccepted, K::kFinished}));
  EXPECT_EQ(kinds_of(failed), (std::vector{K::kAccepted, K::kFailed}));
  EXPECT_EQ(kinds_of(cancelled), (std::vector{K::kAccepted, K::kCancelled}));
  EXPECT_EQ(kinds_of(cancelled_queued), (std::vector{K::kAccepted, K::kCancelled}));
}

TEST_P(Outbox, ALostLeaseQueuesNoMail) {
  const std::string id = enqueue_with_email("x");
  claim("w");
  EXPECT_FALSE(store_->finish(id, "other", JobStatus::kSucceeded, std::nullopt, kT0).ok());
  EXPECT_EQ(kinds_of(id), std::vector{MailKind::kAccepted});
}

TEST_P(Outbox, ReleaseAndRequeueQueueMailsOnlyForJobsTheyEnd) {
  const std::string dead = enqueue_with_email("d", at_seconds(0), /*max_attempts=*/1);
  const std::string requeued = enqueue_with_email("q", at_seconds(1), /*max_attempts=*/2);
  const std::string released = enqueue_with_email("r", at_seconds(2));
  const std::string cancel_on_release = enqueue_with_email("cr", at_seconds(3));
  EXPECT_EQ(claim("c", at_seconds(20)).id, dead);
  EXPECT_EQ(claim("d", at_seconds(20)).id, requeued);
  EXPECT_EQ(claim("a", at_seconds(20)).id, released);
  EXPECT_EQ(claim("b", at_seconds(20)).id, cancel_on_release);
  ASSERT_TRUE(store_->cancel(cancel_on_release, at_seconds(21)).ok());
  ASSERT_TRUE(store_->release(released, "a", at_seconds(22)).ok());
  ASSERT_TRUE(store_->release(cancel_on_release, "b", at_seconds(22)).ok());
  auto counts = store_->requeue_expired(at_seconds(20) + kLease + Duration(1));
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->failed, 1);
  EXPECT_EQ(counts->requeued, 1);
  using K = MailKind;
  EXPECT_EQ(kinds_of(released), std::vector{K::kAccepted});
  EXPECT_EQ(kinds_of(cancel_on_release), (std::vector{K::kAccepted, K::kCancelled}));
  EXPECT_EQ(kinds_of(dead), (std::vector{K::kAccepted, K::kFailed}));
  EXPECT_EQ(kinds_of(requeued), std::vector{K::kAccepted});
}

TEST_P(Outbox, ClaimMailTakesDueMailsOldestFirstAndHidesThemForTheLease) {
  enqueue_with_email("first", at_seconds(0));
  enqueue_with_email("second", at_seconds(1));
  auto none = store_->claim_mail(at_seconds(-1), kLease);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());

  auto first = store_->claim_mail(at_seconds(5), kLease);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->recipient, "first@example.org");
  EXPECT_EQ((*first)->attempts, 1);
  EXPECT_EQ((*first)->next_attempt_at, at_seconds(5) + kLease);
  auto second = store_->claim_mail(at_seconds(5), kLease);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->recipient, "second@example.org");
  auto third = store_->claim_mail(at_seconds(6), kLease);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->has_value());
  // A sender that died: the mail is due again after the lease.
  auto again = store_->claim_mail(at_seconds(5) + kLease, kLease);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, (*first)->id);
  EXPECT_EQ((*again)->attempts, 2);
}

TEST_P(Outbox, MarkSentRetryAndFailed) {
  enqueue_with_email("a", at_seconds(0));
  enqueue_with_email("b", at_seconds(1));
  enqueue_with_email("c", at_seconds(2));
  const auto all = mails();
  ASSERT_EQ(all.size(), 3u);
  ASSERT_TRUE(store_->mark_mail_sent(all[0].id, MailStatus::kSent, at_seconds(10)).ok());
  ASSERT_TRUE(store_->mark_mail_retry(all[1].id, "421 busy", at_seconds(60)).ok());
  ASSERT_TRUE(store_->mark_mail_failed(all[2].id, "550 no such user", at_seconds(11)).ok());
  const auto after = mails();
  EXPECT_EQ(after[0].status, MailStatus::kSent);
  EXPECT_EQ(after[0].sent_at, at_seconds(10));
  EXPECT_EQ(after[1].status, MailStatus::kPending);
  EXPECT_EQ(after[1].next_attempt_at, at_seconds(60));
  EXPECT_EQ(after[1].last_error, "421 busy");
  EXPECT_EQ(after[2].status, MailStatus::kFailed);
  EXPECT_EQ(after[2].last_error, "550 no such user");

  // Only the retried one is due, and only once it is due.
  auto early = store_->claim_mail(at_seconds(59), kLease);
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->has_value());
  auto due = store_->claim_mail(at_seconds(60), kLease);
  ASSERT_TRUE(due.ok() && due->has_value());
  EXPECT_EQ((*due)->id, all[1].id);

  auto counts = store_->mail_counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->sent, 1);
  EXPECT_EQ(counts->pending, 1);
  EXPECT_EQ(counts->failed, 1);
  EXPECT_EQ(counts->logged, 0);
  auto failed = store_->list_mail(MailStatus::kFailed, 10);
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].id, all[2].id);

  EXPECT_EQ(store_->mark_mail_sent(all[0].id, MailStatus::kPending, kT0).error().code,
            ErrorCode::kInvalidInput);
  EXPECT_EQ(store_->mark_mail_sent(999'999, MailStatus::kLogged, kT0).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store_->mark_mail_failed(999'999, "x", kT0).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->list_mail(std::nullopt, -1).error().code, ErrorCode::kInvalidInput);
}

TEST_P(Outbox, RetryMailRevivesOnlyFailedMails) {
  enqueue_with_email("a", at_seconds(0));
  const auto id = mails().at(0).id;
  EXPECT_EQ(store_->retry_mail(id, at_seconds(1)).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(store_->retry_mail(999'999, at_seconds(1)).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->claim_mail(at_seconds(1), kLease).ok());
  ASSERT_TRUE(store_->mark_mail_failed(id, "550 nope", at_seconds(2)).ok());
  ASSERT_TRUE(store_->retry_mail(id, at_seconds(3)).ok());
  const MailRecord mail = mails().at(0);
  EXPECT_EQ(mail.status, MailStatus::kPending);
  EXPECT_EQ(mail.attempts, 0);
  EXPECT_EQ(mail.next_attempt_at, at_seconds(3));
}

TEST_P(Outbox, EachMailIsClaimedByOneOfFourRacingSenders) {
  constexpr int kMails = 60;
  for (int i = 0; i < kMails; ++i) enqueue_with_email(fmt::format("m{}", i), at_seconds(i));
  std::vector<std::unique_ptr<Store>> stores;
  for (int s = 0; s < 4; ++s) stores.push_back(open_migrated());
  std::vector<std::vector<std::int64_t>> taken(stores.size());
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (std::size_t s = 0; s < stores.size(); ++s) {
    threads.emplace_back([&, s] {
      for (;;) {
        auto mail = stores[s]->claim_mail(at_seconds(1000), kLease);
        if (!mail) return void(++failures);
        if (!mail->has_value()) return;
        taken[s].push_back((*mail)->id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  std::multiset<std::int64_t> all;
  for (const auto& ids : taken) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kMails));
  EXPECT_EQ(std::set<std::int64_t>(all.begin(), all.end()).size(), all.size());
}

TEST_P(Outbox, CountByStatusCountsEveryStatus) {
  const std::string a = enqueue("a", at_seconds(0));
  enqueue("b", at_seconds(1));
  enqueue("c", at_seconds(2));
  const std::string d = enqueue("d", at_seconds(3));
  claim("w", at_seconds(4));
  ASSERT_TRUE(store_->finish(a, "w", JobStatus::kSucceeded, std::nullopt, at_seconds(5)).ok());
  claim("w", at_seconds(6));
  ASSERT_TRUE(store_->cancel(d, at_seconds(7)).ok());
  auto counts = store_->count_by_status();
  ASSERT_TRUE(counts.ok()) << counts.error().message;
  EXPECT_EQ(counts->succeeded, 1);
  EXPECT_EQ(counts->running, 1);
  EXPECT_EQ(counts->queued, 1);
  EXPECT_EQ(counts->cancelled, 1);
  EXPECT_EQ(counts->failed, 0);
  EXPECT_EQ(counts->of(JobStatus::kQueued), 1);
}

// Retention: only finished jobs that finished before the cutoff go, oldest
// first, each with its days, totals, summary and mails; queued and running
// jobs stay whatever their age.
TEST_P(Outbox, DeleteFinishedBeforeRemovesOnlyOldFinishedJobsWithAllTheirRows) {
  const std::string old_done = enqueue_with_email("olddone", at_seconds(1));
  const std::string old_failed = enqueue_with_email("oldfailed", at_seconds(2));
  const std::string recent = enqueue_with_email("recent", at_seconds(3));
  const std::string running = enqueue_with_email("running", at_seconds(4));
  const std::string queued = enqueue_with_email("queued", at_seconds(5));
  // Claimed in creation order.
  for (const auto& [id, status, finished] :
       {std::tuple{old_done, JobStatus::kSucceeded, at_seconds(10)},
        std::tuple{old_failed, JobStatus::kFailed, at_seconds(20)},
        std::tuple{recent, JobStatus::kSucceeded, at_seconds(100)}}) {
    const SimulationRecord job = claim("w", kT0);
    ASSERT_EQ(job.id, id);
    const std::vector<engine::DayTotals> rows = {day_totals(0), day_totals(1)};
    ASSERT_TRUE(store_->write_days(id, "w", 0, rows, kLease, kT0).ok());
    engine::AgeTotals ages;
    ASSERT_TRUE(store_->write_age_totals(id, "w", 0, ages).ok());
    ASSERT_TRUE(store_->finish(id, "w", status, std::nullopt, finished).ok());
  }
  ASSERT_EQ(claim("w", kT0).id, running);
  const auto count = [&](const std::string& table) {
    return database_->query("SELECT COUNT(*) FROM " + table);
  };
  ASSERT_EQ(count("simulation_days"), "6");
  ASSERT_EQ(count("outbox"), "8");  // five accepted, two finished, one failed
  EXPECT_FALSE(store_->delete_finished_before(at_seconds(50), 0).ok());

  // A batch of one: the oldest goes first.
  auto deleted = store_->delete_finished_before(at_seconds(50), 1);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(*deleted, 1);
  EXPECT_EQ(store_->get(old_done).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->get(old_failed).ok());
  deleted = store_->delete_finished_before(at_seconds(50), 10);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(*deleted, 1);
  deleted = store_->delete_finished_before(at_seconds(50), 10);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(*deleted, 0);

  for (const std::string& id : {recent, running, queued}) EXPECT_TRUE(store_->get(id).ok()) << id;
  EXPECT_EQ(count("simulations"), "3");
  EXPECT_EQ(count("simulation_days"), "2");
  EXPECT_EQ(database_->query("SELECT COUNT(DISTINCT simulation_id) FROM simulation_age_totals"),
            "1");
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM outbox WHERE simulation_id IN ('" + old_done +
                             "', '" + old_failed + "')"),
            "0");
  EXPECT_EQ(count("outbox"), "4");  // the three accepted left, and recent's finished
}

TEST_P(Outbox, CountMailSentSinceCountsSentAndLoggedMailsOfOneAddressInAnyCase) {
  for (int i = 0; i < 4; ++i) enqueue_with_email("ada");
  enqueue_with_email("bob");
  const auto all = mails();
  ASSERT_EQ(all.size(), 5u);
  ASSERT_TRUE(store_->mark_mail_sent(all[0].id, MailStatus::kSent, at_seconds(10)).ok());
  ASSERT_TRUE(store_->mark_mail_sent(all[1].id, MailStatus::kLogged, at_seconds(20)).ok());
  ASSERT_TRUE(store_->mark_mail_failed(all[2].id, "refused", at_seconds(30)).ok());
  ASSERT_TRUE(store_->mark_mail_sent(all[4].id, MailStatus::kSent, at_seconds(40)).ok());
  const auto count = [&](std::string_view address, double since) {
    auto n = store_->count_mail_sent_since(address, at_seconds(since));
    EXPECT_TRUE(n.ok()) << n.error().message;
    return n.ok() ? *n : -1;
  };
  EXPECT_EQ(count("ada@example.org", 0), 2);
  EXPECT_EQ(count("ADA@Example.ORG", 0), 2) << "addresses compare in lower case";
  EXPECT_EQ(count("ada@example.org", 10), 2) << "since is inclusive";
  EXPECT_EQ(count("ada@example.org", 10.5), 1);
  EXPECT_EQ(count("ada@example.org", 21), 0);
  EXPECT_EQ(count("bob@example.org", 0), 1);
  EXPECT_EQ(count("nobody@example.org", 0), 0);
}

TEST_P(Outbox, AMailAddressIsCreatedOnceAndKeepsItsToken) {
  auto first = store_->mail_address("Ada@Example.org", "token-1", at_seconds(1));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->address, "ada@example.org");
  EXPECT_EQ(first->token, "token-1");
  EXPECT_EQ(first->created_at, at_seconds(1));
  EXPECT_FALSE(first->requested_at);
  EXPECT_FALSE(first->confirmed_at);
  auto again = store_->mail_address("ada@example.org", "token-2", at_seconds(2));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->token, "token-1");
  EXPECT_EQ(again->created_at, at_seconds(1));
  ASSERT_TRUE(store_->mark_confirmation_requested("ADA@example.org", at_seconds(3)).ok());
  auto found = store_->mail_address_by_token("token-1");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->requested_at, at_seconds(3));
  EXPECT_EQ(store_->mail_address_by_token("token-2").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->mark_confirmation_requested("x@example.org", kT0).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store_->mail_address("", "t", kT0).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(store_->mail_address("a@b", "", kT0).error().code, ErrorCode::kInvalidInput);
}

TEST_P(Outbox, ConfirmingAnAddressReleasesItsHeldMailsOnly) {
  enqueue_with_email("ada");
  enqueue_with_email("bob");
  const auto all = mails();
  ASSERT_EQ(all.size(), 2u);
  // Both held for a week, as the sender holds mails to unconfirmed addresses.
  for (const MailRecord& mail : all) {
    ASSERT_TRUE(store_->mark_mail_retry(mail.id, "held", at_seconds(604'800)).ok());
  }
  ASSERT_TRUE(store_->mail_address("ada@example.org", "secret-a", kT0).ok());
  ASSERT_TRUE(store_->mail_address("bob@example.org", "secret-b", kT0).ok());
  auto none = store_->claim_mail(at_seconds(100), kLease);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none) << "held mails are not due";

  auto confirmed = store_->confirm_mail_address("secret-a", at_seconds(100));
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().message;
  EXPECT_EQ(confirmed->address, "ada@example.org");
  EXPECT_EQ(confirmed->confirmed_at, at_seconds(100));
  auto again = store_->confirm_mail_address("secret-a", at_seconds(200));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->confirmed_at, at_seconds(100)) << "the first confirmation counts";

  auto claimed = store_->claim_mail(at_seconds(100), kLease);
  ASSERT_TRUE(claimed.ok());
  ASSERT_TRUE(*claimed);
  EXPECT_EQ((*claimed)->recipient, "ada@example.org");
  auto next = store_->claim_mail(at_seconds(100), kLease);
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(*next) << "bob's mail stays held";
  EXPECT_EQ(store_->confirm_mail_address("no-such-token", kT0).error().code, ErrorCode::kNotFound);
}

TEST_P(Outbox, SecretTokensAre128RandomBitsInHex) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string token = new_secret_token();
    EXPECT_EQ(token.size(), 32u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 100u);
}

INSTANTIATE_TEST_SUITE_P(store, Outbox, ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::store::testing
