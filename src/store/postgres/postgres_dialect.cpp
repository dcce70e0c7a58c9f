#include "store/postgres/postgres_dialect.hpp"

#include <cmath>
#include <ctime>
#include <variant>

#include <fmt/format.h>

#include "store/common.hpp"
#include "store/core/sql_store.hpp"
#include "store/core/standard_sql.hpp"
#include "store/migrations.hpp"
#include "store/postgres/postgres_faults.hpp"

namespace outbreak::store::postgres {
namespace {

// pg_advisory_xact_lock key for migrations: "outbreak" in ASCII.
constexpr std::int64_t kMigrationLock = 0x6f7574627265616b;

std::int64_t micros(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

// A double exactly (shortest round-trip form), as PostgreSQL reads it.
std::string double_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", v);
}

// "2026-01-02 03:04:05.678901+00": a time as a TIMESTAMPTZ literal.
std::string time_text(TimePoint time) {
  const std::int64_t us = micros(time);
  const std::int64_t seconds = us >= 0 ? us / 1'000'000 : (us - 999'999) / 1'000'000;
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     us - seconds * 1'000'000);
}

// A parameter as text, the form libpq sends; nullopt for NULL.
std::optional<std::string> parameter_text(const core::Value& value) {
  return std::visit(
      [](const auto& v) -> std::optional<std::string> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return std::nullopt;
        } else if constexpr (std::is_same_v<T, bool>) {
          return std::string(v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, double>) {
          return double_text(v);
        } else if constexpr (std::is_same_v<T, TimePoint>) {
          return std::to_string(micros(v));
        } else {
          return std::to_string(v);
        }
      },
      value);
}

// An element of an array literal: NULL, a number, t/f, or a quoted string.
void append_element(std::string& out, const core::Value& value) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          out += "NULL";
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? 't' : 'f';
        } else if constexpr (std::is_same_v<T, double>) {
          out += double_text(v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out += std::to_string(v);
        } else {
          std::string text;
          if constexpr (std::is_same_v<T, TimePoint>) {
            text = time_text(v);
          } else {
            text = v;
          }
          out += '"';
          for (const char c : text) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
          }
          out += '"';
        }
      },
      value);
}

std::string_view array_type(core::ColumnType type) {
  switch (type) {
    case core::ColumnType::kInt64:
      return "BIGINT[]";
    case core::ColumnType::kReal:
      return "DOUBLE PRECISION[]";
    case core::ColumnType::kText:
      return "TEXT[]";
    case core::ColumnType::kBool:
      return "BOOLEAN[]";
    case core::ColumnType::kTime:
      return "TIMESTAMPTZ[]";
  }
  return "TEXT[]";
}

class PostgresRows final : public core::Rows {
 public:
  explicit PostgresRows(pqxx::result result) : result_(std::move(result)) {}
  bool next() override { return ++row_ < static_cast<long>(result_.size()); }
  bool is_null(int column) const override { return field(column).is_null(); }
  std::int64_t int64(int column) const override { return field(column).as<std::int64_t>(); }
  double real(int column) const override { return field(column).as<double>(); }
  std::string text(int column) const override {
    const pqxx::field f = field(column);
    return std::string(f.c_str(), f.size());
  }
  bool boolean(int column) const override { return field(column).as<bool>(); }
  TimePoint time(int column) const override {
    return TimePoint(std::chrono::microseconds(field(column).as<std::int64_t>()));
  }

 private:
  pqxx::field field(int column) const {
    return result_[static_cast<pqxx::result::size_type>(row_)][column];
  }

  pqxx::result result_;
  long row_ = -1;
};

}  // namespace

Result<std::unique_ptr<Store>> open_postgres_store(const DatabaseUrl& url,
                                                   const std::string& display_url) {
  const std::string conninfo = postgres_conninfo(url);
  try {
    auto conn = std::make_unique<pqxx::connection>(conninfo);
    core::Backend backend{std::make_unique<PostgresDialect>(),
                          std::make_unique<PostgresSession>(std::move(conn), conninfo),
                          std::make_unique<PostgresSignal>(conninfo), display_url, url.password};
    return std::unique_ptr<Store>(std::make_unique<core::SqlStore>(std::move(backend)));
  } catch (const std::exception& e) {
    return Error::make(ErrorCode::kIo, scrub(fmt::format("cannot connect to PostgreSQL at {}: {}",
                                                         display_url, e.what()),
                                             url.password));
  }
}

// --- PostgresDialect ---------------------------------------------------------

std::string PostgresDialect::time_param() const {
  return "('epoch'::TIMESTAMPTZ + ?::BIGINT * INTERVAL '1 microsecond')";
}

std::string PostgresDialect::select_time(std::string_view column) const {
  return fmt::format("(EXTRACT(EPOCH FROM {}) * 1000000)::BIGINT", column);
}

std::span<const detail::Migration> PostgresDialect::migrations() const {
  return detail::postgres_migrations();
}

std::string_view PostgresDialect::create_migrations_table() const {
  return "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at "
         "TIMESTAMPTZ NOT NULL DEFAULT now())";
}

bool PostgresDialect::has_migrations_table(core::Session& session) const {
  auto rows = session.query("SELECT to_regclass('schema_migrations') IS NOT NULL", {});
  return rows->next() && rows->boolean(0);
}

void PostgresDialect::lock_migrations(core::Session& session) const {
  const core::Value key = kMigrationLock;
  session.query("SELECT pg_advisory_xact_lock(?)", std::span<const core::Value>(&key, 1));
}

std::optional<std::string> PostgresDialect::one_statement_notify() const {
  return fmt::format("pg_notify('{}', '')", detail::kNotifyChannel);
}

void PostgresDialect::write_nothing(core::Session& session) const {
  session.execute(
      "UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) "
      "FROM schema_migrations)",
      {});
}

core::FaultKind PostgresDialect::classify(const std::exception& error) const noexcept {
  return postgres::classify(error);
}

// --- PostgresSession ---------------------------------------------------------

PostgresSession::PostgresSession(std::unique_ptr<pqxx::connection> connection, std::string conninfo)
    : conn_(std::move(connection)), conninfo_(std::move(conninfo)) {}

PostgresSession::~PostgresSession() { work_.reset(); }

void PostgresSession::ensure_open() {
  work_.reset();  // none is open between calls
  if (conn_ && conn_->is_open()) {
    // A server that ended the session (pg_terminate_backend, a restart,
    // a failover) has left its goodbye on the socket. Reading it now, with
    // no query in flight, marks the connection broken before a query fails
    // on it: that query would fail for nothing, and libpqxx 6 leaks the
    // result of a query that fails that way (docs/reliability.md).
    try {
      conn_->get_notifs();
    } catch (const pqxx::broken_connection&) {
      // is_open() is false now; replaced below.
    }
    if (conn_->is_open()) return;
  }
  conn_.reset();
  conn_ = std::make_unique<pqxx::connection>(conninfo_);
}

const std::string& PostgresSession::numbered(std::string_view sql) {
  auto found = numbered_.find(std::string(sql));
  if (found != numbered_.end()) return found->second;
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 0;
  char quote = 0;  // inside '...' or "..."
  for (const char c : sql) {
    if (quote != 0) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += fmt::format("${}", ++next);
    } else {
      out += c;
    }
  }
  return numbered_.emplace(std::string(sql), std::move(out)).first->second;
}

pqxx::result PostgresSession::run(const std::string& sql, const std::vector<const char*>& params) {
  if (work_) return work_->exec_params(sql, pqxx::prepare::make_dynamic_params(params));
  pqxx::nontransaction txn(*conn_);
  return txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
}

namespace {

// Holds the text of each parameter while libpq reads it.
struct Parameters {
  explicit Parameters(std::span<const core::Value> values) {
    texts.reserve(values.size());
    for (const auto& value : values) {
      auto text = parameter_text(value);
      if (text) {
        texts.push_back(std::move(*text));
        pointers.push_back(texts.back().c_str());
      } else {
        pointers.push_back(nullptr);
      }
    }
  }
  std::vector<std::string> texts;
  std::vector<const char*> pointers;
};

}  // namespace

std::unique_ptr<core::Rows> PostgresSession::query(std::string_view sql,
                                                   std::span<const core::Value> params) {
  const Parameters parameters(params);
  return std::make_unique<PostgresRows>(run(numbered(sql), parameters.pointers));
}

std::int64_t PostgresSession::execute(std::string_view sql, std::span<const core::Value> params) {
  const Parameters parameters(params);
  return run(numbered(sql), parameters.pointers).affected_rows();
}

void PostgresSession::execute_script(std::string_view sql) {
  if (work_) {
    work_->exec(std::string(sql));
    return;
  }
  pqxx::nontransaction txn(*conn_);
  txn.exec(std::string(sql));
}

void PostgresSession::write_batch(const core::RowBatch& batch) {
  const std::size_t width = batch.columns.size();
  const std::size_t rows = batch.row_count();
  if (rows == 0) return;
  std::string arrays;
  std::vector<std::string> literals(width);
  for (std::size_t c = 0; c < width; ++c) {
    arrays +=
        fmt::format("{}${}::{}", c == 0 ? "" : ", ", c + 1, array_type(batch.columns[c].type));
    std::string& literal = literals[c];
    literal.push_back('{');
    for (std::size_t r = 0; r < rows; ++r) {
      if (r > 0) literal.push_back(',');
      append_element(literal, batch.values[r * width + c]);
    }
    literal.push_back('}');
  }
  std::string sql = fmt::format("INSERT INTO {} ({}) SELECT * FROM unnest({})", batch.table,
                                core::column_list(batch), arrays);
  if (!batch.key.empty()) {
    sql += ' ';
    sql += core::on_conflict_clause(batch.key, core::updated_columns(batch));
  }
  std::vector<const char*> params;
  params.reserve(width);
  for (const auto& literal : literals) params.push_back(literal.c_str());
  run(sql, params);
}

void PostgresSession::begin(core::TxnMode /*mode*/) {
  work_ = std::make_unique<pqxx::work>(*conn_);
}

void PostgresSession::commit() {
  work_->commit();
  work_.reset();
}

void PostgresSession::rollback() noexcept { work_.reset(); }

// --- PostgresSignal ----------------------------------------------------------

// Counts notifications on the listening connection.
class PostgresSignal::Listener final : public pqxx::notification_receiver {
 public:
  explicit Listener(pqxx::connection& conn)
      : pqxx::notification_receiver(conn, std::string(detail::kNotifyChannel)) {}
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override { ++count; }
  int count = 0;
};

PostgresSignal::PostgresSignal(std::string conninfo) : conninfo_(std::move(conninfo)) {}

PostgresSignal::~PostgresSignal() {
  listener_.reset();
  listen_conn_.reset();
}

void PostgresSignal::notify_work(core::Session& session) {
  const core::Value channel = std::string(detail::kNotifyChannel);
  session.query("SELECT pg_notify(?, '')", std::span<const core::Value>(&channel, 1));
}

bool PostgresSignal::wait_for_work(Duration timeout) {
  try {
    if (!listen_conn_ || !listen_conn_->is_open()) {
      listener_.reset();
      listen_conn_.reset();
      listen_conn_ = std::make_unique<pqxx::connection>(conninfo_);
      listener_ = std::make_unique<Listener>(*listen_conn_);
      return true;  // anything enqueued before LISTEN: the caller claims again
    }
    listener_->count = 0;
    if (listen_conn_->get_notifs() > 0) return true;
    const auto ms = std::max<std::int64_t>(timeout.count(), 0);
    listen_conn_->await_notification(ms / 1000, (ms % 1000) * 1000);
    return listener_->count > 0;
  } catch (...) {
    // A dropped listening connection: the next call listens on a new one.
    listener_.reset();
    listen_conn_.reset();
    throw;
  }
}

}  // namespace outbreak::store::postgres
