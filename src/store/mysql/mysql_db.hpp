// A thin RAII layer over MariaDB Connector/C (libmariadb): one connection,
// statements with positional `?` parameters, rows read as text, transactions,
// reconnection after a lost connection, and errors classified by MySQL error
// number into a few kinds that mean one thing.
//
// Statements use the text protocol: each `?` outside a quoted part of the SQL
// is replaced by its parameter written as an SQL literal, strings escaped by
// the client library for the connection's character set (utf8mb4) and SQL
// mode. One round trip per statement, and no prepared-statement handles to
// keep per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "outbreak/store/url.hpp"

struct st_mysql;

namespace outbreak::store::mysql {

// Times are stored as DATETIME(6): UTC, microseconds (as on SQLite and
// PostgreSQL, so that a time reads back as it was written on every backend).
using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;

// What a failure means, whatever its error number.
enum class Fault {
  kConnection,       // refused, unknown host, lost, server gone or shutting down: retryable
  kAccessDenied,     // user name or password refused, or no rights on the database
  kUnknownDatabase,  // the URL's database does not exist
  kDuplicateKey,     // a unique or primary key already holds the value
  kRetry,            // deadlock or lock wait timeout: run the transaction again
  kDiskFull,         // the server cannot write: table or disk full
  kConstraint,       // a row breaks a constraint or a column's type (NULL, range, foreign key)
  kData,             // a value that cannot be read or stored (text where a number belongs)
  kOther,            // anything else (a bug in the SQL, an unexpected state)
};

// The kind of MySQL/MariaDB error number `code` (server ER_* or client CR_*).
Fault classify(unsigned int code);
std::string_view to_string(Fault fault);

// A failed call. what() says what failed, the part of the URL at fault
// where that is known, and the server's message and error number; never the
// password, and not the URL either: the caller puts the redacted URL before
// it ("MySQL/MariaDB at mysql://me:***@db/outbreak: ...").
class MysqlError : public std::runtime_error {
 public:
  MysqlError(unsigned int code, Fault fault, const std::string& message)
      : std::runtime_error(message), code_(code), fault_(fault) {}
  unsigned int code() const { return code_; }
  Fault fault() const { return fault_; }

 private:
  unsigned int code_;
  Fault fault_;
};

// A parameter of a statement: NULL, an integer, a double, a boolean, text or
// a time (UTC).
using Param = std::variant<std::monostate, std::int64_t, double, bool, std::string, TimePoint>;

// NULL for nullopt, else the value.
template <typename T>
Param nullable(const std::optional<T>& value) {
  if (!value) return std::monostate{};
  return Param(*value);
}

// The rows of a result, every cell as text (NULL kept apart). The getters
// throw MysqlError(kData) for a NULL or a cell that is not of the type
// asked for, and MysqlError(kOther) for a row or column outside the result.
class Rows {
 public:
  std::size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  std::size_t columns() const { return columns_; }

  bool is_null(std::size_t row, std::size_t column) const;
  const std::string& text(std::size_t row, std::size_t column) const;
  std::int64_t int64(std::size_t row, std::size_t column) const;
  double real(std::size_t row, std::size_t column) const;
  bool boolean(std::size_t row, std::size_t column) const;
  TimePoint time(std::size_t row, std::size_t column) const;
  std::optional<std::string> optional_text(std::size_t row, std::size_t column) const;
  std::optional<std::int64_t> optional_int64(std::size_t row, std::size_t column) const;
  std::optional<double> optional_real(std::size_t row, std::size_t column) const;
  std::optional<TimePoint> optional_time(std::size_t row, std::size_t column) const;

 private:
  friend class Connection;
  const std::optional<std::string>& cell(std::size_t row, std::size_t column) const;
  std::size_t columns_ = 0;
  std::vector<std::vector<std::optional<std::string>>> rows_;
};

// The options of a connection, from a mysql:// URL.
struct ConnectOptions {
  std::string host;
  int port = kMysqlDefaultPort;
  std::string socket;  // used instead of host and port if set
  std::string user;
  std::string password;
  std::string database;
  int connect_timeout_seconds = 10;
  // Reads and writes on an open connection: a server that stops answering
  // fails the call after this long instead of hanging it.
  int read_write_timeout_seconds = 60;
};

// The options for `url` (a parsed mysql:// URL).
ConnectOptions connect_options(const DatabaseUrl& url);

// One connection. Not thread-safe: one thread at a time (the owner holds a
// mutex or a pool). Every call throws MysqlError on failure.
class Connection {
 public:
  // Connects: utf8mb4, session time zone UTC, strict SQL mode, InnoDB
  // default. Throws MysqlError naming the part of the URL at fault: the host
  // and port (unreachable, kConnection), the user or password
  // (kAccessDenied), the database (kUnknownDatabase).
  explicit Connection(ConnectOptions options);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one statement; returns the number of rows it changed.
  std::uint64_t execute(std::string_view sql, std::span<const Param> params = {});
  std::uint64_t execute(std::string_view sql, std::initializer_list<Param> params) {
    return execute(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // Runs one statement that returns rows.
  Rows query(std::string_view sql, std::span<const Param> params = {});
  Rows query(std::string_view sql, std::initializer_list<Param> params) {
    return query(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // The AUTO_INCREMENT value of the last INSERT on this connection.
  std::uint64_t last_insert_id() const;

  // `sql` with every `?` outside quotes replaced by its parameter as a
  // literal. Throws MysqlError(kOther) if the counts differ.
  std::string bind(std::string_view sql, std::span<const Param> params) const;
  // `param` as an SQL literal ('text' escaped, NULL, TRUE, 1.5e+00,
  // '2026-01-02 03:04:05.678').
  std::string literal(const Param& param) const;

  // START TRANSACTION (reconnecting first if the connection was lost while
  // idle, see below), COMMIT, ROLLBACK. rollback() never throws: after a
  // lost connection there is nothing to roll back.
  void begin();
  void commit();
  void rollback() noexcept;
  bool in_transaction() const { return in_transaction_; }

  // Runs `body(*this)` in a transaction; commits if it returns, rolls back
  // if it throws. A deadlock or lock wait timeout (kRetry) runs it again, up
  // to `attempts` times in all; so does a connection lost at START
  // TRANSACTION (nothing was done yet). Returns what `body` returns.
  template <typename Body>
  auto transaction(Body&& body, int attempts = 5) -> decltype(body(*this));

  // Whether the connection was lost (a connection fault was seen, or the
  // server closed it while idle). The next begin() or statement outside a
  // transaction reconnects first.
  bool broken();
  // Drops the connection and connects again. Throws as the constructor.
  void reconnect();

  const ConnectOptions& options() const { return options_; }

 private:
  void connect();
  void close() noexcept;
  // Runs `sql` (already bound); on failure marks a lost connection and throws.
  void run(const std::string& sql);
  [[noreturn]] void fail(std::string_view doing);
  void reconnect_if_broken();

  ConnectOptions options_;
  st_mysql* handle_ = nullptr;
  bool broken_ = false;
  bool in_transaction_ = false;
};

template <typename Body>
auto Connection::transaction(Body&& body, int attempts) -> decltype(body(*this)) {
  for (int attempt = 1;; ++attempt) {
    try {
      begin();
    } catch (const MysqlError& e) {
      // Nothing was done yet: a connection lost at START TRANSACTION is
      // worth one more try on a fresh connection.
      if (e.fault() != Fault::kConnection || attempt >= 2) throw;
      continue;
    }
    try {
      if constexpr (std::is_void_v<decltype(body(*this))>) {
        body(*this);
        commit();
        return;
      } else {
        auto out = body(*this);
        commit();
        return out;
      }
    } catch (const MysqlError& e) {
      rollback();
      if (e.fault() != Fault::kRetry || attempt >= attempts) throw;
    } catch (...) {
      rollback();
      throw;
    }
  }
}

// Splits `sql` into its statements at ';' outside quotes and comments;
// blank statements are dropped. For migrations, which the text protocol
// runs one statement at a time.
std::vector<std::string> split_statements(std::string_view sql);

// `name` quoted as an identifier (`name`, backquotes doubled).
std::string quote_identifier(std::string_view name);

}  // namespace outbreak::store::mysql
