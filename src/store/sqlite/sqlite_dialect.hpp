// The SQLite dialect of the store core (internal; reached through
// open_store()).
//
// One connection per Store. Every write runs in a BEGIN IMMEDIATE
// transaction; WAL lets readers go on while one process writes, and
// busy_timeout makes concurrent writers wait instead of failing. Times are
// UTC text with microseconds, booleans 0/1. Wake-ups reach every Store on
// the same file in this process (wakeup.hpp); other processes poll.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "outbreak/store/store.hpp"
#include "store/core/dialect.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/wakeup.hpp"

namespace outbreak::store::sqlite {

// Opens (creating if missing) the database file at `path`. `display_url`
// names it in error messages. Errors: kIo.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const std::string& display_url);

class SqliteDialect final : public core::Dialect {
 public:
  std::string_view name() const override { return "sqlite"; }
  std::string_view label() const override { return "SQLite database"; }
  std::string time_param() const override { return "?"; }
  std::string select_time(std::string_view column) const override { return std::string(column); }
  std::string_view lock_rows() const override { return ""; }
  std::string_view skip_locked() const override { return ""; }
  std::span<const detail::Migration> migrations() const override;
  std::string_view create_migrations_table() const override;
  bool has_migrations_table(core::Session& session) const override;
  void lock_migrations(core::Session& /*session*/) const override {}
  void write_nothing(core::Session& session) const override;
  core::FaultKind classify(const std::exception& error) const noexcept override;
};

// A connection with its prepared statements, cached by SQL text.
class SqliteSession final : public core::Session {
 public:
  explicit SqliteSession(std::unique_ptr<Database> db);
  ~SqliteSession() override;

  void ensure_open() override {}
  std::unique_ptr<core::Rows> query(std::string_view sql,
                                    std::span<const core::Value> params) override;
  std::int64_t execute(std::string_view sql, std::span<const core::Value> params) override;
  void execute_script(std::string_view sql) override;
  void write_batch(const core::RowBatch& batch) override;
  void begin(core::TxnMode mode) override;
  void commit() override;
  void rollback() noexcept override;

 private:
  // The cached statement for `sql`, reset, with `params` bound.
  Statement& prepare(std::string_view sql, std::span<const core::Value> params);

  std::unique_ptr<Database> db_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

class SqliteSignal final : public core::WorkSignal {
 public:
  explicit SqliteSignal(std::shared_ptr<WakeupHub> hub);
  void notify_work(core::Session& /*session*/) override {}
  void committed() override { hub_->notify(); }
  bool wait_for_work(Duration timeout) override;

 private:
  std::shared_ptr<WakeupHub> hub_;
  std::uint64_t seen_generation_;
};

}  // namespace outbreak::store::sqlite
