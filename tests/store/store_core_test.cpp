// The store core's transactions over a fake dialect: a lost race runs the
// transaction again, an error rolls it back, and waiting workers are woken
// only by a commit.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "store/conformance_fixture.hpp"
#include "store/core/dialect.hpp"
#include "store/core/sql_store.hpp"

namespace outbreak::store::testing {
namespace {

using core::FaultKind;

// What the fake session saw, and how it misbehaves.
struct Script {
  std::vector<std::string> log;  // "begin", "commit", "rollback", "execute", "query"
  int failing_commits = 0;       // the next commits that throw
  FaultKind commit_fault = FaultKind::kRetry;
  std::int64_t matched = 1;  // what execute() returns
  int notified = 0;
  int committed = 0;
};

class NoRows final : public core::Rows {
 public:
  bool next() override { return false; }
  bool is_null(int) const override { return true; }
  std::int64_t int64(int) const override { return 0; }
  double real(int) const override { return 0; }
  std::string text(int) const override { return ""; }
  bool boolean(int) const override { return false; }
  TimePoint time(int) const override { return {}; }
};

class FakeSession final : public core::Session {
 public:
  explicit FakeSession(Script& script) : script_(script) {}
  void ensure_open() override {}
  std::unique_ptr<core::Rows> query(std::string_view, std::span<const core::Value>) override {
    script_.log.emplace_back("query");
    return std::make_unique<NoRows>();
  }
  std::int64_t execute(std::string_view, std::span<const core::Value>) override {
    script_.log.emplace_back("execute");
    return script_.matched;
  }
  void execute_script(std::string_view) override { script_.log.emplace_back("script"); }
  void write_batch(const core::RowBatch&) override { script_.log.emplace_back("batch"); }
  void begin(core::TxnMode) override { script_.log.emplace_back("begin"); }
  void commit() override {
    if (script_.failing_commits > 0) {
      --script_.failing_commits;
      throw core::Fault(script_.commit_fault, "could not serialize access");
    }
    script_.log.emplace_back("commit");
  }
  void rollback() noexcept override { script_.log.emplace_back("rollback"); }

 private:
  Script& script_;
};

class FakeSignal final : public core::WorkSignal {
 public:
  explicit FakeSignal(Script& script) : script_(script) {}
  void notify_work(core::Session&) override { ++script_.notified; }
  void committed() override { ++script_.committed; }
  bool wait_for_work(Duration) override { return false; }

 private:
  Script& script_;
};

class FakeDialect final : public core::Dialect {
 public:
  std::string_view name() const override { return "fake"; }
  std::string_view label() const override { return "Fake database"; }
  std::string time_param() const override { return "?"; }
  std::string select_time(std::string_view column) const override { return std::string(column); }
  std::string_view lock_rows() const override { return ""; }
  std::string_view skip_locked() const override { return ""; }
  std::span<const detail::Migration> migrations() const override { return {}; }
  std::string_view create_migrations_table() const override { return ""; }
  bool has_migrations_table(core::Session&) const override { return false; }
  void lock_migrations(core::Session&) const override {}
  void write_nothing(core::Session&) const override {}
  FaultKind classify(const std::exception& error) const noexcept override {
    const auto* fault = dynamic_cast<const core::Fault*>(&error);
    return fault != nullptr ? fault->kind() : FaultKind::kInternal;
  }
};

class StoreCore : public ::testing::Test {
 protected:
  StoreCore()
      : store_(core::Backend{std::make_unique<FakeDialect>(),
                             std::make_unique<FakeSession>(script_),
                             std::make_unique<FakeSignal>(script_), "fake://db", ""}) {}

  int count(const std::string& entry) const {
    return static_cast<int>(std::count(script_.log.begin(), script_.log.end(), entry));
  }

  Script script_;
  core::SqlStore store_;
};

TEST_F(StoreCore, ALostRaceRunsTheTransactionAgain) {
  script_.failing_commits = 2;
  auto id = store_.enqueue(new_simulation("job"), kT0);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(count("begin"), 3);
  EXPECT_EQ(count("rollback"), 2);
  EXPECT_EQ(count("commit"), 1);
  // Woken once, by the commit only.
  EXPECT_EQ(script_.committed, 1);
}

TEST_F(StoreCore, ARaceLostEveryTimeIsAnIoError) {
  script_.failing_commits = 5;
  auto id = store_.enqueue(new_simulation("job"), kT0);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, ErrorCode::kIo);
  EXPECT_EQ(id.error().message, "Fake database fake://db: could not serialize access");
  EXPECT_EQ(count("begin"), 3);
  EXPECT_EQ(count("commit"), 0);
  EXPECT_EQ(script_.committed, 0);
}

TEST_F(StoreCore, OtherFaultsAreNotRetried) {
  script_.failing_commits = 1;
  script_.commit_fault = FaultKind::kConstraint;
  auto id = store_.enqueue(new_simulation("job"), kT0);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(count("begin"), 1);
  EXPECT_EQ(count("rollback"), 1);
}

TEST_F(StoreCore, AnErrorRollsTheTransactionBack) {
  script_.matched = 0;  // the UPDATE finds no held job
  auto finished = store_.finish("id", "w1", JobStatus::kSucceeded, std::nullopt, kT0);
  ASSERT_FALSE(finished.ok());
  EXPECT_EQ(finished.error().code, ErrorCode::kLeaseLost);
  EXPECT_EQ(count("rollback"), 1);
  EXPECT_EQ(count("commit"), 0);
}

TEST_F(StoreCore, ReleaseOfAJobNotHeldWakesNobody) {
  // The SELECT of the held job finds nothing: lease lost, rolled back, and
  // no wake-up although release() of a held job would send one.
  auto released = store_.release("id", "w1", kT0);
  ASSERT_FALSE(released.ok());
  EXPECT_EQ(released.error().code, ErrorCode::kLeaseLost);
  EXPECT_EQ(script_.notified, 0);
  EXPECT_EQ(script_.committed, 0);
}

}  // namespace
}  // namespace outbreak::store::testing
