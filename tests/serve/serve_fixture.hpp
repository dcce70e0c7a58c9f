// Shared by the API tests: a fresh database per test and backend, an
// `outbreak serve` process on it, an HTTP client, and waiting on a job.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "serve/server_process.hpp"
#include "store/test_database.hpp"

namespace outbreak::serve::testing {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using store::testing::TestDatabase;

// A scenario object for a submission body.
inline std::string scenario(std::int64_t population, std::int64_t days,
                            std::int64_t replicates = 1) {
  return fmt::format(
      R"({{"population": {}, "days": {}, "replicates": {}, "seed": 7, "initial_infected": 20}})",
      population, days, replicates);
}

// Polls `condition` until it holds or `timeout` passes; returns whether it held.
inline bool wait_until(const std::function<bool()>& condition, milliseconds timeout = seconds(30),
                       milliseconds interval = milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

class ServeTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<TestDatabase>(GetParam());
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '-');  // "Test/sqlite"
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("outbreak-serve-{}-{}", getpid(), name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    server_.reset();
    // The logs go to the test's output on failure; the folder goes always.
    if (HasFailure()) {
      for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
        if (entry.path().extension() != ".log") continue;
        std::ifstream in(entry.path());
        std::cout << "--- " << entry.path().filename().string() << ":\n" << in.rdbuf() << '\n';
      }
    }
    std::filesystem::remove_all(dir_);
  }

  // Starts `outbreak serve` on the test database with `workers` in-process
  // workers and `env`; replaces a server started before.
  void start(int workers, const Environment& env = {}) {
    server_.reset();
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"--database", database_->url(), "--workers",
                                 std::to_string(workers)},
        env, path(fmt::format("serve-{}.log", starts_++)));
  }
  // An `outbreak worker` on the test database, polling often.
  std::unique_ptr<ChildProcess> start_worker() {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{"worker", "--database", database_->url(), "--poll-seconds",
                                 "0.05"},
        Environment{}, path(fmt::format("worker-{}.log", starts_++)));
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  httplib::Client client() const {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_connection_timeout(seconds(10));
    client.set_read_timeout(seconds(60));
    return client;
  }

  httplib::Result post(const std::string& target, const std::string& body,
                       const std::string& type = "application/json") {
    return client().Post(target, body, type);
  }

  // Submits `body`; returns the new id, or "" after a failed expectation.
  std::string submit_body(const std::string& body) {
    auto response = post("/api/v1/simulations", body);
    EXPECT_TRUE(response) << httplib::to_string(response.error());
    if (!response) return "";
    EXPECT_EQ(response->status, 201) << response->body;
    if (response->status != 201) return "";
    return json::parse(response->body).at("id").get<std::string>();
  }
  std::string submit(const std::string& scenario_object, const std::string& name = "test") {
    return submit_body(fmt::format(R"({{"name": "{}", "scenario": {}}})", name, scenario_object));
  }

  // GET `target` as JSON (a null document if the request failed).
  json get_json(const std::string& target, int expected_status = 200) {
    auto response = client().Get(target);
    EXPECT_TRUE(response) << httplib::to_string(response.error());
    if (!response) return nullptr;
    EXPECT_EQ(response->status, expected_status) << target << ": " << response->body;
    return json::parse(response->body, nullptr, false);
  }
  json simulation(const std::string& id) { return get_json("/api/v1/simulations/" + id); }
  std::string status_of(const std::string& id) {
    const json document = simulation(id);
    return document.is_object() ? document.value("status", "") : "";
  }
  bool wait_for_status(const std::string& id, const std::string& status,
                       milliseconds timeout = seconds(60)) {
    return wait_until([&] { return status_of(id) == status; }, timeout, milliseconds(50));
  }

  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<ServerProcess> server_;
  std::filesystem::path dir_;
  int starts_ = 0;
};

// The error document's code, "" if there is none.
inline std::string error_code(const httplib::Result& response) {
  if (!response) return "";
  const json document = json::parse(response->body, nullptr, false);
  if (!document.is_object() || !document.contains("error")) return "";
  return document["error"].value("code", "");
}

}  // namespace outbreak::serve::testing
