#include "store/mysql/mysql_dialect.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <mysqld_error.h>

#include "store/core/sql_store.hpp"
#include "store/core/standard_sql.hpp"
#include "store/mysql/mysql_migrations.hpp"

namespace outbreak::store::mysql {
namespace {

// The core's values as the connection's parameters: times to microseconds.
Param to_param(const core::Value& value) {
  return std::visit(
      [](const auto& v) -> Param {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, TimePoint> || std::is_same_v<T, store::TimePoint>) {
          return std::chrono::floor<std::chrono::microseconds>(v);
        } else {
          return v;
        }
      },
      value);
}

std::vector<Param> to_params(std::span<const core::Value> values) {
  std::vector<Param> out;
  out.reserve(values.size());
  for (const auto& value : values) out.push_back(to_param(value));
  return out;
}

// A materialised result read forward, as the core reads rows.
class MysqlRows final : public core::Rows {
 public:
  explicit MysqlRows(mysql::Rows rows) : rows_(std::move(rows)) {}

  bool next() override { return ++row_ < rows_.size(); }
  bool is_null(int column) const override { return rows_.is_null(row_, index(column)); }
  std::int64_t int64(int column) const override { return rows_.int64(row_, index(column)); }
  double real(int column) const override { return rows_.real(row_, index(column)); }
  std::string text(int column) const override { return rows_.text(row_, index(column)); }
  bool boolean(int column) const override { return rows_.boolean(row_, index(column)); }
  store::TimePoint time(int column) const override {
    return store::TimePoint(rows_.time(row_, index(column)).time_since_epoch());
  }

 private:
  static std::size_t index(int column) { return static_cast<std::size_t>(column); }
  mysql::Rows rows_;
  std::size_t row_ = static_cast<std::size_t>(-1);
};

}  // namespace

// ---- Dialect ---------------------------------------------------------------

std::string MysqlDialect::upsert_clause(std::span<const std::string_view> key,
                                        std::span<const std::string_view> update) const {
  if (update.empty()) return ignore_clause(key);
  std::string out = " ON DUPLICATE KEY UPDATE ";
  for (std::size_t i = 0; i < update.size(); ++i) {
    if (i > 0) out += ", ";
    out += fmt::format("{0} = VALUES({0})", update[i]);
  }
  return out;
}

std::string MysqlDialect::ignore_clause(std::span<const std::string_view> key) const {
  // Assigning a key column its own value changes nothing; unlike INSERT
  // IGNORE it does not also swallow other errors (a foreign key, a CHECK).
  if (key.empty()) return "";
  return fmt::format(" ON DUPLICATE KEY UPDATE {0} = {0}", key.front());
}

std::span<const detail::Migration> MysqlDialect::migrations() const {
  return detail::mysql_migrations();
}

std::string_view MysqlDialect::create_migrations_table() const {
  return detail::kMysqlVersionTable;
}

bool MysqlDialect::has_migrations_table(core::Session& session) const {
  auto rows = session.query(
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
      "TABLE_NAME = 'schema_migrations'",
      {});
  return rows->next() && rows->int64(0) > 0;
}

void MysqlDialect::lock_migrations(core::Session& session) const {
  auto rows = session.query(detail::kMysqlMigrationLock, {});
  if (!rows->next() || rows->is_null(0) || rows->int64(0) != 1) {
    throw core::Fault(core::FaultKind::kUnavailable,
                      fmt::format("another process has held the migration lock for {} s; is a "
                                  "migration stuck?",
                                  detail::kMysqlMigrationLockSeconds));
  }
}

void MysqlDialect::unlock_migrations(core::Session& session) const {
  session.query(detail::kMysqlMigrationUnlock, {});
}

void MysqlDialect::write_nothing(core::Session& session) const {
  // MySQL cannot read the table an UPDATE writes in a subquery: ORDER BY
  // and LIMIT pick the newest version instead.
  session.execute(
      "UPDATE schema_migrations SET applied_at = applied_at ORDER BY version DESC LIMIT 1", {});
}

core::FaultKind fault_kind(unsigned int code, Fault fault) {
  switch (fault) {
    case Fault::kConnection:
    case Fault::kAccessDenied:
    case Fault::kUnknownDatabase:
      return core::FaultKind::kUnavailable;
    case Fault::kRetry:
      // A deadlock: run the transaction again. A lock wait that timed out:
      // the database cannot serve now.
      return code == ER_LOCK_DEADLOCK ? core::FaultKind::kRetry : core::FaultKind::kUnavailable;
    case Fault::kDiskFull:
      return core::FaultKind::kNoSpace;
    case Fault::kDuplicateKey:
    case Fault::kConstraint:
      return core::FaultKind::kConstraint;
    case Fault::kData:
      return core::FaultKind::kData;
    case Fault::kOther:
      return core::FaultKind::kInternal;
  }
  return core::FaultKind::kInternal;
}

core::FaultKind MysqlDialect::classify(const std::exception& error) const noexcept {
  if (const auto* fault = dynamic_cast<const core::Fault*>(&error)) return fault->kind();
  if (const auto* mysql = dynamic_cast<const MysqlError*>(&error)) {
    return fault_kind(mysql->code(), mysql->fault());
  }
  return core::FaultKind::kInternal;
}

// ---- Session ---------------------------------------------------------------

void MysqlSession::ensure_open() {
  if (!connection_.in_transaction() && connection_.broken()) connection_.reconnect();
}

std::unique_ptr<core::Rows> MysqlSession::query(std::string_view sql,
                                                std::span<const core::Value> params) {
  const auto bound = to_params(params);
  return std::make_unique<MysqlRows>(connection_.query(sql, bound));
}

std::int64_t MysqlSession::execute(std::string_view sql, std::span<const core::Value> params) {
  const auto bound = to_params(params);
  return static_cast<std::int64_t>(connection_.execute(sql, bound));
}

void MysqlSession::execute_script(std::string_view sql) {
  for (const auto& statement : split_statements(sql)) connection_.execute(statement);
}

void MysqlSession::write_batch(const core::RowBatch& batch) {
  const std::size_t width = batch.columns.size();
  const std::size_t rows = batch.row_count();
  if (rows == 0) return;
  const std::string head =
      fmt::format("INSERT INTO {} ({}) VALUES ", batch.table, core::column_list(batch));
  const std::string tail =
      batch.key.empty() ? ""
                        : MysqlDialect().upsert_clause(batch.key, core::updated_columns(batch));
  std::string sql;
  const auto flush = [&] {
    if (sql.empty()) return;
    connection_.execute(sql + tail);
    sql.clear();
  };
  for (std::size_t row = 0; row < rows; ++row) {
    sql += sql.empty() ? head + "(" : std::string(", (");
    for (std::size_t column = 0; column < width; ++column) {
      if (column > 0) sql += ", ";
      sql += connection_.literal(to_param(batch.values[row * width + column]));
    }
    sql += ')';
    if (sql.size() >= kMaxBatchBytes) flush();
  }
  flush();
}

void MysqlSession::begin(core::TxnMode /*mode*/) {
  // READ COMMITTED for both modes (set per session at connect); a read-only
  // transaction would gain little and refuse a write by mistake late.
  connection_.begin();
}

void MysqlSession::commit() { connection_.commit(); }

void MysqlSession::rollback() noexcept { connection_.rollback(); }

// ---- Wake-ups --------------------------------------------------------------

PollingWorkSignal::Fingerprint PollingWorkSignal::read_fingerprint() {
  if (!connection_ || connection_->broken()) {
    connection_.reset();
    connection_ = std::make_unique<Connection>(options_);
  }
  const Rows rows = connection_->query(
      "SELECT COUNT(*), COALESCE(SUM(claims), 0), COALESCE(MAX(created_at), '') FROM simulations "
      "WHERE status = 'queued'");
  return {rows.int64(0, 0), rows.int64(0, 1), rows.text(0, 2)};
}

bool PollingWorkSignal::wait_for_work(Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    if (!seen_) {
      seen_ = read_fingerprint();
      return true;  // anything queued before the first call: the caller claims
    }
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(interval_, deadline - now));
      auto fingerprint = read_fingerprint();
      if (fingerprint != *seen_) {
        seen_ = std::move(fingerprint);
        interval_ = kMinPoll;
        return true;
      }
      interval_ = std::min(interval_ * 2, kMaxPoll);
    }
  } catch (...) {
    // The next call starts afresh on a new connection.
    connection_.reset();
    seen_.reset();
    interval_ = kMinPoll;
    throw;
  }
}

Result<std::unique_ptr<Store>> open_mysql_store(const DatabaseUrl& url,
                                                const std::string& display_url) {
  try {
    return std::unique_ptr<Store>(
        std::make_unique<core::SqlStore>(make_mysql_backend(url, display_url)));
  } catch (const MysqlError& e) {
    // The message already says "cannot connect" and what is at fault.
    std::string what = e.what();
    if (what.starts_with("cannot connect: ")) what.erase(0, 16);
    return Error::make(
        ErrorCode::kIo,
        scrub(fmt::format("cannot connect to MySQL/MariaDB at {}: {}", display_url, what),
              url.password));
  }
}

core::Backend make_mysql_backend(const DatabaseUrl& url, const std::string& display_url) {
  auto options = connect_options(url);
  core::Backend backend;
  backend.dialect = std::make_unique<MysqlDialect>();
  backend.session = std::make_unique<MysqlSession>(options);
  backend.signal = std::make_unique<PollingWorkSignal>(options);
  backend.display_url = display_url;
  backend.secret = url.password;
  return backend;
}

}  // namespace outbreak::store::mysql
