// The storage conformance suite, part 1: records, the queue and migrations.
// Runs unchanged against every backend (see conformance_fixture.hpp).
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "store/conformance_fixture.hpp"

namespace outbreak::store::testing {
namespace {

using std::chrono::milliseconds;

TEST_P(StoreConformance, EnqueueThenGetReturnsEveryField) {
  NewSimulation simulation = new_simulation("first");
  simulation.email = "someone@example.org";
  simulation.link_base = "https://outbreak.example.org:8443";
  auto id = store_->enqueue(simulation, kT0);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->size(), 36u);
  EXPECT_EQ((*id)[14], '4');  // UUID version 4

  const SimulationRecord record = get(*id);
  EXPECT_EQ(record.id, *id);
  EXPECT_EQ(record.name, "first");
  EXPECT_EQ(record.status, JobStatus::kQueued);
  EXPECT_EQ(record.scenario_json, simulation.scenario_json);
  EXPECT_EQ(record.email, "someone@example.org");
  EXPECT_EQ(record.created_at, kT0);
  EXPECT_FALSE(record.started_at || record.finished_at || record.lease_expires_at);
  EXPECT_FALSE(record.progress_day || record.progress_replicate || record.error);
  EXPECT_EQ(record.days, 10);
  EXPECT_EQ(record.replicates, 2);
  EXPECT_EQ(record.attempts, 0);
  EXPECT_EQ(record.max_attempts, 3);
  EXPECT_FALSE(record.cancel_requested);
  EXPECT_EQ(record.link_base, "https://outbreak.example.org:8443");
  EXPECT_EQ(get(enqueue("no mail")).email, std::nullopt);
  EXPECT_EQ(get(enqueue("no link base")).link_base, std::nullopt);
}

TEST_P(StoreConformance, GetOfUnknownIdIsNotFound) {
  auto record = store_->get("00000000-0000-4000-8000-000000000000");
  ASSERT_FALSE(record.ok());
  EXPECT_EQ(record.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, EnqueueRejectsInvalidSimulations) {
  NewSimulation bad = new_simulation("");
  bad.max_attempts = 0;
  auto id = store_->enqueue(bad, kT0);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(id.error().fields.size(), 2u);
}

TEST_P(StoreConformance, ListIsNewestFirstFilteredAndLimited) {
  const auto a = enqueue("a", at_seconds(1));
  const auto b = enqueue("b", at_seconds(2));
  const auto c = enqueue("c", at_seconds(3));
  ASSERT_TRUE(store_->cancel(b, at_seconds(4)).ok());

  auto all = store_->list(std::nullopt, 10);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, c);
  EXPECT_EQ((*all)[2].id, a);
  auto queued = store_->list(JobStatus::kQueued, 10);
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 2u);
  EXPECT_EQ((*queued)[1].id, a);
  auto limited = store_->list(std::nullopt, 1);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 1u);
  EXPECT_EQ(store_->list(std::nullopt, -1).error().code, ErrorCode::kInvalidInput);
}

TEST_P(StoreConformance, ClaimTakesTheOldestQueuedJob) {
  const auto older = enqueue("older", at_seconds(1));
  enqueue("newer", at_seconds(2));
  const SimulationRecord claimed = claim("w1", at_seconds(10));
  EXPECT_EQ(claimed.id, older);
  EXPECT_EQ(claimed.status, JobStatus::kRunning);
  EXPECT_EQ(claimed.worker_id, "w1");
  EXPECT_EQ(claimed.started_at, at_seconds(10));
  EXPECT_EQ(claimed.lease_expires_at, at_seconds(10) + kLease);
  EXPECT_EQ(claimed.attempts, 1);
  const SimulationRecord stored = get(older);
  EXPECT_EQ(stored.status, JobStatus::kRunning);
  EXPECT_EQ(stored.worker_id, "w1");
  claim("w2");
  auto none = store_->claim("w3", kLease, kT0);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_P(StoreConformance, EachJobIsClaimedByExactlyOneOfEightRacingWorkers) {
  constexpr int kJobs = 200;
  constexpr int kWorkers = 8;
  for (int i = 0; i < kJobs; ++i) enqueue("job " + std::to_string(i), at_seconds(i));
  std::mutex mu;
  std::map<std::string, int> claims;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      auto store = open_store(database_->url());
      if (!store) {
        const std::lock_guard lock(mu);
        return errors.push_back(store.error().message);
      }
      const std::string worker = "worker-" + std::to_string(w);
      for (;;) {
        auto claimed = (*store)->claim(worker, kLease, kT0);
        const std::lock_guard lock(mu);
        if (!claimed) return errors.push_back(claimed.error().message);
        if (!claimed->has_value()) return;
        ++claims[(*claimed)->id];
        EXPECT_TRUE((*store)->finish((*claimed)->id, worker, JobStatus::kSucceeded, {}, kT0).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(claims.size(), static_cast<std::size_t>(kJobs));
  EXPECT_TRUE(std::all_of(claims.begin(), claims.end(), [](auto& c) { return c.second == 1; }));
  auto succeeded = store_->list(JobStatus::kSucceeded, kJobs + 1);
  ASSERT_TRUE(succeeded.ok());
  EXPECT_EQ(succeeded->size(), static_cast<std::size_t>(kJobs));
}

TEST_P(StoreConformance, RenewLeaseExtendsItForTheHolderOnly) {
  const auto id = enqueue("job");
  claim("w1", kT0);
  auto renewed = store_->renew_lease(id, "w1", kLease, at_seconds(20));
  ASSERT_TRUE(renewed.ok()) << renewed.error().message;
  EXPECT_FALSE(renewed->cancel_requested);
  EXPECT_EQ(get(id).lease_expires_at, at_seconds(20) + kLease);

  auto stolen = store_->renew_lease(id, "w2", kLease, at_seconds(20));
  ASSERT_FALSE(stolen.ok());
  EXPECT_TRUE(is_lease_lost(stolen.error())) << stolen.error().message;
  EXPECT_EQ(stolen.error().code, ErrorCode::kLeaseLost);
  EXPECT_FALSE(is_lease_lost(store_->get("nope").error()));
  EXPECT_EQ(store_->get("nope").error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, ExpiredLeasesAreRequeuedThenDeadLettered) {
  const auto id = enqueue("job", kT0, /*max_attempts=*/2);
  claim("w1", kT0);
  auto early = store_->requeue_expired(at_seconds(29));
  ASSERT_TRUE(early.ok()) << early.error().message;
  EXPECT_EQ(early->requeued + early->failed, 0);

  auto first = store_->requeue_expired(at_seconds(31));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->requeued, 1);
  SimulationRecord record = get(id);
  EXPECT_EQ(record.status, JobStatus::kQueued);
  EXPECT_EQ(record.attempts, 1);
  EXPECT_EQ(record.error, "lease expired (worker w1)");
  EXPECT_FALSE(record.worker_id || record.lease_expires_at);
  EXPECT_TRUE(is_lease_lost(store_->renew_lease(id, "w1", kLease, at_seconds(31)).error()));

  claim("w2", at_seconds(40));
  auto second = store_->requeue_expired(at_seconds(80));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->failed, 1);
  record = get(id);
  EXPECT_EQ(record.status, JobStatus::kFailed);
  EXPECT_EQ(record.attempts, 2);
  EXPECT_EQ(record.error, "lease expired (worker w2)");
  EXPECT_EQ(record.finished_at, at_seconds(80));
}

TEST_P(StoreConformance, AttemptsCountTriesStartedSoACrashThenSuccessMakesTwo) {
  const auto id = enqueue("job");
  claim("w1", kT0);
  ASSERT_TRUE(store_->requeue_expired(at_seconds(31)).ok());
  EXPECT_EQ(claim("w2", at_seconds(40)).attempts, 2);
  ASSERT_TRUE(store_->finish(id, "w2", JobStatus::kSucceeded, {}, at_seconds(50)).ok());
  const SimulationRecord record = get(id);
  EXPECT_EQ(record.status, JobStatus::kSucceeded);
  EXPECT_EQ(record.attempts, 2);
}

TEST_P(StoreConformance, ReleaseRequeuesWithoutSpendingAnAttempt) {
  const auto id = enqueue("job");
  claim("w1");
  ASSERT_TRUE(store_->release(id, "w1", at_seconds(5)).ok());
  SimulationRecord record = get(id);
  EXPECT_EQ(record.status, JobStatus::kQueued);
  EXPECT_EQ(record.attempts, 0);
  EXPECT_FALSE(record.lease_expires_at || record.worker_id);
  EXPECT_TRUE(is_lease_lost(store_->release(id, "w1", at_seconds(5)).error()));
  EXPECT_EQ(claim("w3").attempts, 1);
  ASSERT_TRUE(store_->release(id, "w3", at_seconds(5)).ok());

  claim("w2");
  ASSERT_TRUE(store_->cancel(id, at_seconds(6)).ok());
  ASSERT_TRUE(store_->release(id, "w2", at_seconds(7)).ok());
  record = get(id);
  EXPECT_EQ(record.status, JobStatus::kCancelled);
  EXPECT_EQ(record.finished_at, at_seconds(7));
}

TEST_P(StoreConformance, FinishNeedsTheLeaseAndAFinalStatus) {
  const auto id = enqueue("job");
  claim("w1");
  EXPECT_EQ(store_->finish(id, "w1", JobStatus::kRunning, {}, kT0).error().code,
            ErrorCode::kInvalidInput);
  EXPECT_TRUE(is_lease_lost(store_->finish(id, "w2", JobStatus::kSucceeded, {}, kT0).error()));
  ASSERT_TRUE(store_->finish(id, "w1", JobStatus::kSucceeded, {}, at_seconds(9)).ok());
  const SimulationRecord record = get(id);
  EXPECT_EQ(record.status, JobStatus::kSucceeded);
  EXPECT_EQ(record.finished_at, at_seconds(9));
  EXPECT_EQ(record.attempts, 1);
  EXPECT_FALSE(record.lease_expires_at);
  EXPECT_TRUE(is_lease_lost(store_->finish(id, "w1", JobStatus::kFailed, {}, kT0).error()));
}

TEST_P(StoreConformance, CancelEndsQueuedJobsAtOnceAndFlagsRunningOnes) {
  const auto queued = enqueue("queued", at_seconds(1));
  const auto running = enqueue("running", at_seconds(0));
  claim("w1");
  auto cancelled = store_->cancel(queued, at_seconds(3));
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().message;
  EXPECT_EQ(*cancelled, JobStatus::kCancelled);
  EXPECT_EQ(get(queued).finished_at, at_seconds(3));

  auto requested = store_->cancel(running, at_seconds(3));
  ASSERT_TRUE(requested.ok());
  EXPECT_EQ(*requested, JobStatus::kRunning);
  EXPECT_TRUE(get(running).cancel_requested);
  auto lease = store_->renew_lease(running, "w1", kLease, at_seconds(4));
  ASSERT_TRUE(lease.ok());
  EXPECT_TRUE(lease->cancel_requested);
  ASSERT_TRUE(store_->finish(running, "w1", JobStatus::kCancelled, {}, at_seconds(5)).ok());
  EXPECT_EQ(get(running).status, JobStatus::kCancelled);

  EXPECT_EQ(store_->cancel(running, kT0).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(store_->cancel("missing", kT0).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, RetryRequeuesFailedAndCancelledJobsWithAFreshBudget) {
  const auto id = enqueue("job");
  claim("w1");
  ASSERT_TRUE(store_->finish(id, "w1", JobStatus::kFailed, "boom", at_seconds(2)).ok());
  SimulationRecord record = get(id);
  EXPECT_EQ(record.status, JobStatus::kFailed);
  EXPECT_EQ(record.attempts, 1);
  EXPECT_EQ(record.error, "boom");

  ASSERT_TRUE(store_->retry(id).ok());
  record = get(id);
  EXPECT_EQ(record.status, JobStatus::kQueued);
  EXPECT_EQ(record.attempts, 0);
  EXPECT_EQ(record.error, "boom");
  EXPECT_FALSE(record.started_at || record.finished_at || record.worker_id);
  EXPECT_EQ(store_->retry(id).error().code, ErrorCode::kInvalidInput);

  claim("w2");
  ASSERT_TRUE(store_->finish(id, "w2", JobStatus::kSucceeded, {}, kT0).ok());
  EXPECT_EQ(get(id).error, std::nullopt);
  EXPECT_EQ(store_->retry(id).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(store_->retry("missing").error().code, ErrorCode::kNotFound);

  const auto cancelled = enqueue("cancelled");
  ASSERT_TRUE(store_->cancel(cancelled, kT0).ok());
  ASSERT_TRUE(store_->retry(cancelled).ok());
  EXPECT_EQ(get(cancelled).status, JobStatus::kQueued);
}

TEST_P(StoreConformance, WaitForWorkWakesOnEnqueueFromAnotherStore) {
  auto waiter = open_migrated();
  ASSERT_NE(waiter, nullptr);
  // Prime: PostgreSQL starts listening on the first call and returns at once.
  ASSERT_TRUE(waiter->wait_for_work(milliseconds(10)).ok());
  auto idle = waiter->wait_for_work(milliseconds(50));
  ASSERT_TRUE(idle.ok()) << idle.error().message;
  EXPECT_FALSE(*idle);

  std::atomic<bool> woken = false;
  const auto start = std::chrono::steady_clock::now();
  std::thread thread([&] {
    auto result = waiter->wait_for_work(milliseconds(20'000));
    woken = result.ok() && *result;
  });
  enqueue("wake up");
  thread.join();
  EXPECT_TRUE(woken);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_P(StoreConformance, MigrateIsIdempotentAndSafeToRace) {
  auto version = store_->schema_version();
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(*version, 7);
  ASSERT_TRUE(store_->migrate().ok());
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM schema_migrations"), "7");

  TestDatabase fresh(GetParam());
  std::vector<std::thread> threads;
  std::atomic<int> failures = 0;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto store = open_store(fresh.url());
      if (!store || !(*store)->migrate()) ++failures;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(fresh.query("SELECT COUNT(*) FROM schema_migrations"), "7");
}

TEST_P(StoreConformance, RefusesADatabaseFromANewerOutbreak) {
  database_->query("INSERT INTO schema_migrations (version, applied_at) VALUES (999, " +
                   std::string(GetParam() == "sqlite" ? "'2030-01-01T00:00:00.000000Z'" : "now()") +
                   ")");
  auto status = store_->migrate();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(status.error().message,
            "database schema version 999 is newer than this outbreak (knows up to 7); upgrade "
            "outbreak");
}

INSTANTIATE_TEST_SUITE_P(store, StoreConformance,
                         ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

// PostgreSQL and MariaDB drop connections (pg_terminate_backend, KILL, a
// restart): the call that finds its connection dropped fails, and the next
// one works, for
// statements with and without a transaction and for the listener. Before,
// those without a transaction (claim_mail, claim, write_days) and the
// listener failed for good with "not connected".
class Reconnect : public StoreConformance {
 protected:
  // Terminates every connection to the test database but the one asking.
  void drop_connections() { EXPECT_GT(database_->drop_other_connections(), 0); }
};

TEST_P(Reconnect, TheCallAfterADroppedConnectionWorks) {
  auto waiter = open_migrated();
  ASSERT_NE(waiter, nullptr);
  ASSERT_TRUE(waiter->wait_for_work(milliseconds(10)).ok());  // starts listening
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    drop_connections();
    (void)store_->claim_mail(kT0, kLease);  // may find the connection dropped
    auto mail = store_->claim_mail(kT0, kLease);
    EXPECT_TRUE(mail.ok()) << mail.error().message;
    auto claimed = store_->claim("w", kLease, kT0);
    EXPECT_TRUE(claimed.ok()) << claimed.error().message;
    auto counts = store_->count_by_status();
    EXPECT_TRUE(counts.ok()) << counts.error().message;
    // The listener: within a few calls it listens again (an idle wait
    // returns false), and then it hears the next enqueue.
    bool listening = false;
    for (int call = 0; call < 5 && !listening; ++call) {
      auto idle = waiter->wait_for_work(milliseconds(10));
      listening = idle.ok() && !*idle;
    }
    ASSERT_TRUE(listening);
    enqueue("wake up");
    auto woken = waiter->wait_for_work(milliseconds(20'000));
    ASSERT_TRUE(woken.ok()) << woken.error().message;
    EXPECT_TRUE(*woken);
  }
}

INSTANTIATE_TEST_SUITE_P(store, Reconnect, ::testing::Values("postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::store::testing
