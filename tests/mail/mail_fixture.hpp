// Shared by the mail tests that use a real store: a fresh database per test
// and backend, simulations with an e-mail address, a worker to finish them,
// and a Sender with settings fast enough for tests.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mail/smtp_server.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "outbreak/jobs/worker.hpp"
#include "outbreak/mail/sender.hpp"
#include "outbreak/store/open.hpp"
#include "store/test_database.hpp"

namespace outbreak::mail::testing {

using store::testing::TestDatabase;

inline std::string scenario_json(std::int64_t population, std::int64_t days,
                                 std::int64_t replicates) {
  return fmt::format(
      R"({{"population": {}, "days": {}, "replicates": {}, "seed": 3, "initial_infected": 20}})",
      population, days, replicates);
}

class MailStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  static constexpr const char* kRecipient = "reader@example.net";
  static constexpr const char* kPublicUrl = "https://sim.example.org";

  void SetUp() override {
    database_ = std::make_unique<TestDatabase>(GetParam());
    store_ = open_migrated();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<store::Store> open_migrated() {
    auto store = store::open_store(database_->url());
    EXPECT_TRUE(store.ok()) << store.error().message;
    if (!store) return nullptr;
    auto migrated = (*store)->migrate();
    EXPECT_TRUE(migrated.ok()) << migrated.error().message;
    return std::move(store).value();
  }

  // Milliseconds everywhere, so that retries take no time.
  static SenderOptions fast_options() {
    SenderOptions options;
    options.from_address = "outbreak@example.org";
    options.from_name = "Outbreak Zoë";
    options.public_url = kPublicUrl;
    options.poll = store::Duration(10);
    options.lease = store::Duration(30'000);
    options.retry_base = store::Duration(1);
    options.retry_max = store::Duration(20);
    options.max_attempts = 10'000;
    return options;
  }

  static std::unique_ptr<Transport> smtp_to(int port) {
    auto config = parse_smtp_url("smtp://127.0.0.1:" + std::to_string(port));
    EXPECT_TRUE(config.ok());
    config->connect_timeout = std::chrono::seconds(5);
    config->transfer_timeout = std::chrono::seconds(20);
    return make_smtp_transport(*config);
  }

  std::unique_ptr<Sender> make_sender(std::unique_ptr<Transport> transport,
                                      SenderOptions options = fast_options()) {
    return std::make_unique<Sender>(open_migrated(), std::move(transport), std::move(options), log_,
                                    counters_);
  }

  std::string enqueue(const std::string& json, std::optional<std::string> email = kRecipient,
                      const std::string& name = "Épidémie à Zürich") {
    engine::Scenario scenario;
    (void)io::read_scenario_json(json, scenario);
    store::NewSimulation simulation;
    simulation.name = name;
    simulation.scenario_json = json;
    simulation.email = std::move(email);
    simulation.days = scenario.days;
    simulation.replicates = scenario.replicates;
    auto id = store_->enqueue(simulation, std::chrono::system_clock::now());
    EXPECT_TRUE(id.ok()) << id.error().message;
    return id.ok() ? *id : std::string();
  }

  // Runs the oldest queued job to its end with a worker; returns its outcome.
  std::optional<jobs::JobOutcome> run_job(
      const std::function<void(jobs::WorkerOptions&)>& adjust = {}) {
    jobs::WorkerOptions options;
    options.worker_id = "w1";
    options.poll = store::Duration(10);
    if (adjust) adjust(options);
    std::ostringstream worker_log;
    jobs::Logger logger(worker_log, jobs::LogFormat::kText);
    jobs::Worker worker(open_migrated(), options, logger);
    auto outcome = worker.run_once({});
    EXPECT_TRUE(outcome.ok()) << outcome.error().message;
    return outcome.ok() ? *outcome : std::nullopt;
  }

  // Every mail, oldest first.
  std::vector<store::MailRecord> mails() {
    auto list = store_->list_mail(std::nullopt, 1000);
    EXPECT_TRUE(list.ok()) << list.error().message;
    if (!list) return {};
    std::vector<store::MailRecord> out(list->rbegin(), list->rend());
    return out;
  }

  std::optional<store::MailRecord> only_mail() {
    const auto all = mails();
    EXPECT_EQ(all.size(), 1u);
    if (all.size() != 1) return std::nullopt;
    return all.front();
  }

  store::SimulationRecord get(const std::string& id) {
    auto record = store_->get(id);
    EXPECT_TRUE(record.ok()) << record.error().message;
    return record.ok() ? *record : store::SimulationRecord{};
  }

  std::string log() const { return log_stream_.str(); }

  std::ostringstream log_stream_;
  jobs::Logger log_{log_stream_, jobs::LogFormat::kJson};
  MailCounters counters_;
  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace outbreak::mail::testing
