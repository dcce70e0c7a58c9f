// The PostgreSQL dialect of the store core (internal; reached through
// open_store()).
//
// One connection per Store for all calls, plus a second one, opened on the
// first wait_for_work(), that only LISTENs. A connection the server dropped
// (a restart, pg_terminate_backend) is replaced before the next call. The
// claim uses FOR UPDATE SKIP LOCKED, migrate() an advisory transaction lock.
// Times travel as microseconds since the epoch (exact) and are stored as
// TIMESTAMPTZ; batches go in as one INSERT ... SELECT FROM unnest() of
// array parameters, whatever their size.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include <pqxx/pqxx>

#include "outbreak/store/store.hpp"
#include "outbreak/store/url.hpp"
#include "store/core/dialect.hpp"

namespace outbreak::store::postgres {

// Connects to the server named by `url`. `display_url` (password redacted)
// names it in error messages. Errors: kIo (unreachable, authentication).
Result<std::unique_ptr<Store>> open_postgres_store(const DatabaseUrl& url,
                                                   const std::string& display_url);

class PostgresDialect final : public core::Dialect {
 public:
  std::string_view name() const override { return "postgresql"; }
  std::string_view label() const override { return "PostgreSQL at"; }
  std::string time_param() const override;
  std::string select_time(std::string_view column) const override;
  std::string_view lock_rows() const override { return " FOR UPDATE"; }
  std::string_view skip_locked() const override { return " FOR UPDATE SKIP LOCKED"; }
  std::span<const detail::Migration> migrations() const override;
  std::string_view create_migrations_table() const override;
  bool has_migrations_table(core::Session& session) const override;
  void lock_migrations(core::Session& session) const override;
  void write_nothing(core::Session& session) const override;
  std::optional<std::string> one_statement_notify() const override;
  core::FaultKind classify(const std::exception& error) const noexcept override;
};

class PostgresSession final : public core::Session {
 public:
  PostgresSession(std::unique_ptr<pqxx::connection> connection, std::string conninfo);
  ~PostgresSession() override;

  void ensure_open() override;
  std::unique_ptr<core::Rows> query(std::string_view sql,
                                    std::span<const core::Value> params) override;
  std::int64_t execute(std::string_view sql, std::span<const core::Value> params) override;
  void execute_script(std::string_view sql) override;
  void write_batch(const core::RowBatch& batch) override;
  void begin(core::TxnMode mode) override;
  void commit() override;
  void rollback() noexcept override;

 private:
  // Runs `sql` (PostgreSQL's own, with $n parameters) in the open
  // transaction, or on its own.
  pqxx::result run(const std::string& sql, const std::vector<const char*>& params);
  // The neutral SQL with `?` turned into $1, $2, ... (cached).
  const std::string& numbered(std::string_view sql);

  std::unique_ptr<pqxx::connection> conn_;
  std::string conninfo_;
  std::unique_ptr<pqxx::work> work_;
  std::unordered_map<std::string, std::string> numbered_;
};

class PostgresSignal final : public core::WorkSignal {
 public:
  explicit PostgresSignal(std::string conninfo);
  ~PostgresSignal() override;
  void notify_work(core::Session& session) override;
  bool wait_for_work(Duration timeout) override;

 private:
  class Listener;

  std::string conninfo_;
  std::unique_ptr<pqxx::connection> listen_conn_;
  std::unique_ptr<Listener> listener_;
};

}  // namespace outbreak::store::postgres
