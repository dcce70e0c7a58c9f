// The MySQL/MariaDB dialect of the store core (core/dialect.hpp): SQL text,
// a session over one Connector/C connection (mysql_db.hpp), wake-ups by
// polling, and the classification of its errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "outbreak/store/url.hpp"
#include "store/core/dialect.hpp"
#include "store/mysql/mysql_db.hpp"

namespace outbreak::store::mysql {

class MysqlDialect final : public core::Dialect {
 public:
  std::string_view name() const override { return "mysql"; }
  std::string_view label() const override { return "MySQL/MariaDB at"; }
  std::string time_param() const override { return "?"; }
  std::string select_time(std::string_view column) const override { return std::string(column); }
  std::string upsert_clause(std::span<const std::string_view> key,
                            std::span<const std::string_view> update) const override;
  std::string ignore_clause(std::span<const std::string_view> key) const override;
  std::string_view lock_rows() const override { return " FOR UPDATE"; }
  std::string_view skip_locked() const override { return " FOR UPDATE SKIP LOCKED"; }
  std::span<const detail::Migration> migrations() const override;
  std::string_view create_migrations_table() const override;
  bool has_migrations_table(core::Session& session) const override;
  void lock_migrations(core::Session& session) const override;
  void unlock_migrations(core::Session& session) const override;
  void write_nothing(core::Session& session) const override;
  core::FaultKind classify(const std::exception& error) const noexcept override;
};

// The kind of a MySQL/MariaDB error number, as the core sees it.
core::FaultKind fault_kind(unsigned int code, Fault fault);

// A session on one connection. Statements use the text protocol with
// client-side escaping (mysql_db.hpp); write_batch() sends multi-row
// INSERTs of at most kMaxBatchBytes of SQL each.
class MysqlSession final : public core::Session {
 public:
  static constexpr std::size_t kMaxBatchBytes = 1 << 20;

  explicit MysqlSession(ConnectOptions options) : connection_(std::move(options)) {}

  void ensure_open() override;
  std::unique_ptr<core::Rows> query(std::string_view sql,
                                    std::span<const core::Value> params) override;
  std::int64_t execute(std::string_view sql, std::span<const core::Value> params) override;
  void execute_script(std::string_view sql) override;
  void write_batch(const core::RowBatch& batch) override;
  void begin(core::TxnMode mode) override;
  void commit() override;
  void rollback() noexcept override;

  Connection& connection() { return connection_; }

 private:
  Connection connection_;
};

// Wake-ups by polling: MariaDB has no LISTEN/NOTIFY. wait_for_work() reads
// a fingerprint of the queued jobs (their count, the sum of their claims,
// the newest created_at) on a connection of its own and returns true when
// it changed since the previous call. It polls every kMinPoll after a
// change, doubling the interval while nothing changes up to kMaxPoll, and
// never waits past its timeout. The first call returns true at once.
class PollingWorkSignal final : public core::WorkSignal {
 public:
  static constexpr std::chrono::milliseconds kMinPoll{5};
  static constexpr std::chrono::milliseconds kMaxPoll{200};

  explicit PollingWorkSignal(ConnectOptions options) : options_(std::move(options)) {}

  void notify_work(core::Session& /*session*/) override {}
  bool wait_for_work(Duration timeout) override;

 private:
  using Fingerprint = std::tuple<std::int64_t, std::int64_t, std::string>;
  Fingerprint read_fingerprint();

  ConnectOptions options_;
  std::unique_ptr<Connection> connection_;  // opened on the first call
  std::optional<Fingerprint> seen_;
  std::chrono::milliseconds interval_ = kMinPoll;
};

// Connects and assembles the dialect, session and signal for a parsed
// mysql:// URL. Throws MysqlError (the message names the part of the URL at
// fault, never the password).
core::Backend make_mysql_backend(const DatabaseUrl& url, const std::string& display_url);

// The store for a parsed mysql:// URL (`display_url`: its redacted text).
// Errors: kIo "cannot connect to MySQL/MariaDB at URL: ..." naming the part
// of the URL at fault (host and port, user and password, database); never
// the password.
Result<std::unique_ptr<Store>> open_mysql_store(const DatabaseUrl& url,
                                                const std::string& display_url);

}  // namespace outbreak::store::mysql
