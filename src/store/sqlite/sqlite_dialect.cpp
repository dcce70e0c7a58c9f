#include "store/sqlite/sqlite_dialect.hpp"

#include <chrono>
#include <filesystem>
#include <random>
#include <thread>
#include <variant>

#include <fmt/format.h>

#include "store/core/sql_store.hpp"
#include "store/core/standard_sql.hpp"
#include "store/migrations.hpp"
#include "store/sql_columns.hpp"

namespace outbreak::store::sqlite {
namespace {

// Sets journal_mode = WAL. On a fresh file the switch needs the file to
// itself; when several connections open it at once, SQLite answers
// SQLITE_BUSY at once (without the busy handler) to all but one of those
// that hold a read lock while wanting to write, since waiting could
// deadlock. So this tries again, a few milliseconds apart, for as long as the
// busy timeout.
void switch_to_wal(Database& db) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::minstd_rand jitter(std::random_device{}());
  for (;;) {
    const int rc = sqlite3_exec(db.get(), "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    const int primary = rc & 0xff;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
        std::chrono::steady_clock::now() > deadline) {
      db.fail("PRAGMA journal_mode = WAL");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + jitter() % 10));
  }
}

void bind(Statement& statement, int index, const core::Value& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          statement.bind_null(index);
        } else if constexpr (std::is_same_v<T, bool>) {
          statement.bind(index, std::int64_t{v ? 1 : 0});
        } else if constexpr (std::is_same_v<T, std::string>) {
          statement.bind(index, std::string_view(v));
        } else {
          statement.bind(index, v);
        }
      },
      value);
}

// The rows of a cached statement; resets it when done.
class SqliteRows final : public core::Rows {
 public:
  explicit SqliteRows(Statement& statement) : statement_(statement) {}
  ~SqliteRows() override { statement_.reset(); }
  bool next() override { return statement_.step(); }
  bool is_null(int column) const override { return statement_.is_null(column); }
  std::int64_t int64(int column) const override { return statement_.int64(column); }
  double real(int column) const override { return statement_.real(column); }
  std::string text(int column) const override { return statement_.text(column); }
  bool boolean(int column) const override { return statement_.int64(column) != 0; }
  TimePoint time(int column) const override { return parse_time(statement_.text(column)); }

 private:
  Statement& statement_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path,
                                                 const std::string& display_url) {
  try {
    auto db = std::make_unique<Database>(path);
    db->exec("PRAGMA busy_timeout = 30000;");
    switch_to_wal(*db);
    db->exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(path, ec);
    auto hub = hub_for(ec ? path : canonical.string());
    core::Backend backend{std::make_unique<SqliteDialect>(),
                          std::make_unique<SqliteSession>(std::move(db)),
                          std::make_unique<SqliteSignal>(std::move(hub)), display_url, ""};
    return std::unique_ptr<Store>(std::make_unique<core::SqlStore>(std::move(backend)));
  } catch (const SqliteError& e) {
    return Error::make(ErrorCode::kIo, fmt::format("cannot open SQLite database {} (file '{}'): {}",
                                                   display_url, path, e.what()));
  }
}

// --- SqliteDialect -----------------------------------------------------------

std::span<const detail::Migration> SqliteDialect::migrations() const {
  return detail::sqlite_migrations();
}

std::string_view SqliteDialect::create_migrations_table() const {
  return "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at "
         "TEXT NOT NULL)";
}

bool SqliteDialect::has_migrations_table(core::Session& session) const {
  const core::Value name = std::string("schema_migrations");
  return session
      .query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
             std::span<const core::Value>(&name, 1))
      ->next();
}

void SqliteDialect::write_nothing(core::Session& session) const {
  // An UPDATE to the same value writes nothing (SQLite leaves a page whose
  // content would not change clean); setting user_version always rewrites
  // the header page, so the commit appends a frame to the WAL.
  session.begin(core::TxnMode::kWrite);
  try {
    std::int64_t version = 0;
    {
      auto rows = session.query("PRAGMA user_version", {});
      if (rows->next()) version = rows->int64(0);
    }
    session.execute_script(fmt::format("PRAGMA user_version = {}", version));
    session.commit();
  } catch (...) {
    session.rollback();
    throw;
  }
}

core::FaultKind SqliteDialect::classify(const std::exception& error) const noexcept {
  return sqlite::classify(error);
}

// --- SqliteSession -----------------------------------------------------------

SqliteSession::SqliteSession(std::unique_ptr<Database> db) : db_(std::move(db)) {}

SqliteSession::~SqliteSession() {
  statements_.clear();  // finalised before the connection closes
}

Statement& SqliteSession::prepare(std::string_view sql, std::span<const core::Value> params) {
  auto found = statements_.find(std::string(sql));
  if (found == statements_.end()) {
    found = statements_.emplace(std::string(sql), std::make_unique<Statement>(*db_, sql)).first;
  }
  Statement& statement = *found->second;
  statement.reset();
  for (std::size_t i = 0; i < params.size(); ++i) {
    bind(statement, static_cast<int>(i) + 1, params[i]);
  }
  return statement;
}

std::unique_ptr<core::Rows> SqliteSession::query(std::string_view sql,
                                                 std::span<const core::Value> params) {
  return std::make_unique<SqliteRows>(prepare(sql, params));
}

std::int64_t SqliteSession::execute(std::string_view sql, std::span<const core::Value> params) {
  Statement& statement = prepare(sql, params);
  try {
    statement.run();
  } catch (...) {
    statement.reset();
    throw;
  }
  statement.reset();
  return sqlite3_changes(db_->get());
}

void SqliteSession::execute_script(std::string_view sql) { db_->exec(sql); }

void SqliteSession::write_batch(const core::RowBatch& batch) {
  const std::size_t width = batch.columns.size();
  std::string sql = fmt::format("INSERT INTO {} ({}) VALUES ({})", batch.table,
                                core::column_list(batch), detail::placeholders(width));
  if (!batch.key.empty()) {
    sql += ' ' + core::on_conflict_clause(batch.key, core::updated_columns(batch));
  }
  for (std::size_t row = 0; row < batch.row_count(); ++row) {
    execute(sql, std::span<const core::Value>(batch.values).subspan(row * width, width));
  }
}

void SqliteSession::begin(core::TxnMode mode) {
  db_->exec(mode == core::TxnMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
}

void SqliteSession::commit() { db_->exec("COMMIT"); }

void SqliteSession::rollback() noexcept {
  for (auto& [sql, statement] : statements_) statement->reset();
  sqlite3_exec(db_->get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

// --- SqliteSignal ------------------------------------------------------------

SqliteSignal::SqliteSignal(std::shared_ptr<WakeupHub> hub)
    : hub_(std::move(hub)), seen_generation_(hub_->generation()) {}

bool SqliteSignal::wait_for_work(Duration timeout) {
  const std::uint64_t now_seen = hub_->wait(seen_generation_, timeout);
  const bool woken = now_seen != seen_generation_;
  seen_generation_ = now_seen;
  return woken;
}

}  // namespace outbreak::store::sqlite
