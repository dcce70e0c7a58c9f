#include "store/mysql/mysql_db.hpp"

#include <poll.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include <errmsg.h>
#include <fmt/format.h>
#include <mysql.h>
#include <mysqld_error.h>

namespace outbreak::store::mysql {
namespace {

// MariaDB's "client was disconnected for inactivity" (10.11 has no name for it).
constexpr unsigned int kClientInactivity = 4031;

std::int64_t parse_int64(std::string_view text, bool& ok) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  ok = ec == std::errc{} && end == text.data() + text.size();
  return value;
}

// "YYYY-MM-DD HH:MM:SS[.fff...]" (a DATETIME as the server writes it).
std::optional<TimePoint> parse_datetime(std::string_view text) {
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  bool ok = true;
  const auto field = [&](std::size_t at, std::size_t length) {
    bool field_ok = false;
    const auto value = parse_int64(text.substr(at, length), field_ok);
    ok = ok && field_ok;
    return static_cast<int>(value);
  };
  const int year = field(0, 4);
  const int month = field(5, 2);
  const int day = field(8, 2);
  const int hour = field(11, 2);
  const int minute = field(14, 2);
  const int second = field(17, 2);
  int micros = 0;
  if (text.size() > 19) {
    if (text[19] != '.' || text.size() < 21) return std::nullopt;
    // Microseconds from the first six digits of the fraction.
    std::string digits(text.substr(20, 6));
    digits.resize(6, '0');
    bool digits_ok = false;
    micros = static_cast<int>(parse_int64(digits, digits_ok));
    ok = ok && digits_ok;
  }
  if (!ok) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(hour) + std::chrono::minutes(minute) +
         std::chrono::seconds(second) + std::chrono::microseconds(micros);
}

std::string format_datetime(TimePoint time) {
  const auto days = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date(days);
  const std::chrono::hh_mm_ss clock(time - days);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                     clock.subseconds().count());
}

[[noreturn]] void bad_cell(std::size_t row, std::size_t column, std::string_view want,
                           const std::optional<std::string>& cell) {
  throw MysqlError(0, Fault::kData,
                   fmt::format("row {} column {}: expected {}, found {}", row, column, want,
                               cell ? fmt::format("'{}'", *cell) : std::string("NULL")));
}

// Where in the URL the fault of a failed connect lies, for its message.
std::string connect_problem(unsigned int code, const ConnectOptions& options) {
  const std::string where = options.socket.empty()
                                ? fmt::format("host '{}' port {}", options.host, options.port)
                                : fmt::format("socket '{}'", options.socket);
  switch (code) {
    case CR_UNKNOWN_HOST:
      return fmt::format("unknown host '{}'", options.host);
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST_EXTENDED:
      return fmt::format("no server answers at {}", where);
    case ER_ACCESS_DENIED_ERROR:
      return fmt::format("the server refused user '{}' with the password given", options.user);
    case ER_DBACCESS_DENIED_ERROR:
      return fmt::format("user '{}' may not use database '{}'", options.user, options.database);
    case ER_BAD_DB_ERROR:
      return fmt::format("database '{}' does not exist", options.database);
    default:
      return "";
  }
}

}  // namespace

Fault classify(unsigned int code) {
  switch (code) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_COMMANDS_OUT_OF_SYNC:
    case ER_CON_COUNT_ERROR:
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
    case ER_NET_READ_ERROR:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_ERROR_ON_WRITE:
    case ER_NET_WRITE_INTERRUPTED:
    case kClientInactivity:
      return Fault::kConnection;
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
      return Fault::kAccessDenied;
    case ER_BAD_DB_ERROR:
      return Fault::kUnknownDatabase;
    case ER_DUP_ENTRY:
    case ER_DUP_ENTRY_WITH_KEY_NAME:
    case ER_DUP_KEY:
      return Fault::kDuplicateKey;
    case ER_LOCK_DEADLOCK:
    case ER_LOCK_WAIT_TIMEOUT:
      return Fault::kRetry;
    case ER_RECORD_FILE_FULL:
    case ER_DISK_FULL:
      return Fault::kDiskFull;
    case ER_WARN_DATA_OUT_OF_RANGE:
    case ER_TRUNCATED_WRONG_VALUE:
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
    case WARN_DATA_TRUNCATED:
      return Fault::kData;
    case ER_BAD_NULL_ERROR:
    case ER_NO_DEFAULT_FOR_FIELD:
    case ER_DATA_TOO_LONG:  // longer than its column allows: the input's fault
    case ER_NO_REFERENCED_ROW:
    case ER_ROW_IS_REFERENCED:
    case ER_NO_REFERENCED_ROW_2:
    case ER_ROW_IS_REFERENCED_2:
    case ER_CONSTRAINT_FAILED:
      return Fault::kConstraint;
    default:
      return Fault::kOther;
  }
}

std::string_view to_string(Fault fault) {
  switch (fault) {
    case Fault::kConnection:
      return "connection";
    case Fault::kAccessDenied:
      return "access denied";
    case Fault::kUnknownDatabase:
      return "unknown database";
    case Fault::kDuplicateKey:
      return "duplicate key";
    case Fault::kRetry:
      return "deadlock or lock wait timeout";
    case Fault::kDiskFull:
      return "disk full";
    case Fault::kConstraint:
      return "constraint";
    case Fault::kData:
      return "data";
    case Fault::kOther:
      return "other";
  }
  return "other";
}

// ---- Rows -----------------------------------------------------------------

const std::optional<std::string>& Rows::cell(std::size_t row, std::size_t column) const {
  if (row >= rows_.size() || column >= columns_) {
    throw MysqlError(0, Fault::kOther,
                     fmt::format("row {} column {} is outside a result of {} rows and {} columns",
                                 row, column, rows_.size(), columns_));
  }
  return rows_[row][column];
}

bool Rows::is_null(std::size_t row, std::size_t column) const { return !cell(row, column); }

const std::string& Rows::text(std::size_t row, std::size_t column) const {
  const auto& value = cell(row, column);
  if (!value) bad_cell(row, column, "text", value);
  return *value;
}

std::int64_t Rows::int64(std::size_t row, std::size_t column) const {
  const auto& value = cell(row, column);
  bool ok = false;
  const std::int64_t out = value ? parse_int64(*value, ok) : 0;
  if (!ok) bad_cell(row, column, "an integer", value);
  return out;
}

double Rows::real(std::size_t row, std::size_t column) const {
  const auto& value = cell(row, column);
  double out = 0;
  bool ok = false;
  if (value) {
    const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), out);
    ok = ec == std::errc{} && end == value->data() + value->size();
  }
  if (!ok) bad_cell(row, column, "a number", value);
  return out;
}

bool Rows::boolean(std::size_t row, std::size_t column) const { return int64(row, column) != 0; }

TimePoint Rows::time(std::size_t row, std::size_t column) const {
  const auto& value = cell(row, column);
  const auto out = value ? parse_datetime(*value) : std::nullopt;
  if (!out) bad_cell(row, column, "a DATETIME", value);
  return *out;
}

std::optional<std::string> Rows::optional_text(std::size_t row, std::size_t column) const {
  return cell(row, column);
}

std::optional<std::int64_t> Rows::optional_int64(std::size_t row, std::size_t column) const {
  if (is_null(row, column)) return std::nullopt;
  return int64(row, column);
}

std::optional<double> Rows::optional_real(std::size_t row, std::size_t column) const {
  if (is_null(row, column)) return std::nullopt;
  return real(row, column);
}

std::optional<TimePoint> Rows::optional_time(std::size_t row, std::size_t column) const {
  if (is_null(row, column)) return std::nullopt;
  return time(row, column);
}

// ---- Connection -----------------------------------------------------------

ConnectOptions connect_options(const DatabaseUrl& url) {
  ConnectOptions out;
  out.host = url.host;
  out.port = url.port.value_or(kMysqlDefaultPort);
  out.user = url.user;
  out.password = url.password;
  out.database = url.database;
  for (const auto& [key, value] : url.params) {
    if (key == "socket") out.socket = value;
    if (key == "connect_timeout") {
      bool ok = false;
      const auto seconds = parse_int64(value, ok);
      if (ok) out.connect_timeout_seconds = static_cast<int>(seconds);
    }
  }
  return out;
}

Connection::Connection(ConnectOptions options) : options_(std::move(options)) { connect(); }

Connection::~Connection() { close(); }

void Connection::close() noexcept {
  if (handle_ != nullptr) mysql_close(handle_);
  handle_ = nullptr;
  in_transaction_ = false;
}

void Connection::connect() {
  close();
  handle_ = mysql_init(nullptr);
  if (handle_ == nullptr) {
    throw MysqlError(CR_OUT_OF_MEMORY, Fault::kOther, "out of memory for a connection");
  }
  const unsigned int connect_timeout = static_cast<unsigned int>(options_.connect_timeout_seconds);
  const unsigned int io_timeout = static_cast<unsigned int>(options_.read_write_timeout_seconds);
  mysql_optionsv(handle_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(handle_, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
  mysql_optionsv(handle_, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
  mysql_optionsv(handle_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // Reconnection is ours (reconnect()), so that a lost connection never
  // silently ends a transaction half-way.
  const my_bool no = 0;
  mysql_optionsv(handle_, MYSQL_OPT_RECONNECT, &no);
  // Times in UTC; strict mode, so that bad data is an error, not a warning
  // with a silently changed value.
  mysql_optionsv(handle_, MYSQL_INIT_COMMAND,
                 "SET time_zone = '+00:00', sql_mode = "
                 "'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
                 "NO_ENGINE_SUBSTITUTION', default_storage_engine = 'InnoDB'");
  // As on PostgreSQL: each statement sees what was committed before it, and
  // no gap locks (fewer deadlocks between claims and inserts).
  mysql_optionsv(handle_, MYSQL_INIT_COMMAND,
                 "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
  const bool socket = !options_.socket.empty();
  const char* host = socket ? "localhost" : options_.host.c_str();
  if (mysql_real_connect(
          handle_, host, options_.user.c_str(), options_.password.c_str(),
          options_.database.c_str(), socket ? 0 : static_cast<unsigned int>(options_.port),
          socket ? options_.socket.c_str() : nullptr, CLIENT_FOUND_ROWS) == nullptr) {
    const unsigned int code = mysql_errno(handle_);
    const std::string server = mysql_error(handle_);
    close();
    broken_ = true;
    const std::string problem = connect_problem(code, options_);
    throw MysqlError(code, classify(code),
                     scrub(fmt::format("cannot connect: {}{}({}: {})", problem,
                                       problem.empty() ? "" : " ", code, server),
                           options_.password));
  }
  broken_ = false;
}

void Connection::reconnect() { connect(); }

bool Connection::broken() {
  if (broken_ || handle_ == nullptr) return true;
  if (in_transaction_) return false;
  // With no statement in flight the server has nothing to say: anything to
  // read (an error packet, the end of the stream) means it closed the
  // connection (a restart, a kill, an idle timeout).
  pollfd fd{};
  fd.fd = static_cast<int>(mysql_get_socket(handle_));
  fd.events = POLLIN;
  if (fd.fd >= 0 && poll(&fd, 1, 0) > 0) broken_ = true;
  return broken_;
}

void Connection::reconnect_if_broken() {
  if (in_transaction_) {
    if (broken_) {
      throw MysqlError(CR_SERVER_LOST, Fault::kConnection,
                       "the connection was lost in a transaction");
    }
    return;
  }
  if (broken()) connect();
}

void Connection::fail(std::string_view doing) {
  const unsigned int code = handle_ != nullptr ? mysql_errno(handle_) : CR_SERVER_LOST;
  const std::string server = handle_ != nullptr ? mysql_error(handle_) : "no connection";
  const Fault fault = classify(code);
  if (fault == Fault::kConnection) broken_ = true;
  throw MysqlError(
      code, fault,
      scrub(fmt::format("{} failed: {} ({})", doing, server, code), options_.password));
}

void Connection::run(const std::string& sql) {
  reconnect_if_broken();
  if (mysql_real_query(handle_, sql.data(), sql.size()) != 0) {
    // The statement's text is left out: it may hold parameters (addresses,
    // tokens) that do not belong in logs.
    fail("a statement");
  }
}

std::uint64_t Connection::execute(std::string_view sql, std::span<const Param> params) {
  reconnect_if_broken();  // before bind(), which escapes text on the connection
  run(bind(sql, params));
  // A statement that returns rows anyway: read and drop them, so that the
  // connection is ready for the next one.
  if (MYSQL_RES* result = mysql_store_result(handle_); result != nullptr) {
    mysql_free_result(result);
    return 0;
  }
  if (mysql_field_count(handle_) != 0) fail("reading a result");
  return mysql_affected_rows(handle_);
}

Rows Connection::query(std::string_view sql, std::span<const Param> params) {
  reconnect_if_broken();  // before bind(), which escapes text on the connection
  run(bind(sql, params));
  MYSQL_RES* result = mysql_store_result(handle_);
  if (result == nullptr) {
    if (mysql_field_count(handle_) != 0) fail("reading a result");
    return {};
  }
  Rows rows;
  rows.columns_ = mysql_num_fields(result);
  rows.rows_.reserve(mysql_num_rows(result));
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    const unsigned long* lengths = mysql_fetch_lengths(result);
    auto& out = rows.rows_.emplace_back(rows.columns_);
    for (std::size_t i = 0; i < rows.columns_; ++i) {
      if (row[i] != nullptr) out[i].emplace(row[i], lengths[i]);
    }
  }
  mysql_free_result(result);
  return rows;
}

std::uint64_t Connection::last_insert_id() const { return mysql_insert_id(handle_); }

std::string Connection::literal(const Param& param) const {
  return std::visit(
      [&](const auto& value) -> std::string {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "NULL";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return std::to_string(value);
        } else if constexpr (std::is_same_v<T, double>) {
          if (!std::isfinite(value)) {
            throw MysqlError(0, Fault::kData,
                             fmt::format("{} cannot be stored as a number", value));
          }
          // The shortest text that reads back as the same double; the
          // exponent keeps the server from reading it as a DECIMAL.
          std::string out = fmt::format("{}", value);
          if (out.find_first_of("eE") == std::string::npos) out += "e0";
          return out;
        } else if constexpr (std::is_same_v<T, bool>) {
          return value ? "TRUE" : "FALSE";
        } else if constexpr (std::is_same_v<T, std::string>) {
          std::string out(value.size() * 2 + 3, '\0');
          out[0] = '\'';
          if (handle_ == nullptr) {
            throw MysqlError(CR_SERVER_LOST, Fault::kConnection, "no connection");
          }
          const unsigned long length =
              mysql_real_escape_string(handle_, out.data() + 1, value.data(), value.size());
          if (length == static_cast<unsigned long>(-1)) {
            throw MysqlError(0, Fault::kData, "text that cannot be escaped");
          }
          out.resize(length + 1);
          out += '\'';
          return out;
        } else {
          return fmt::format("'{}'", format_datetime(value));
        }
      },
      param);
}

std::string Connection::bind(std::string_view sql, std::span<const Param> params) const {
  std::string out;
  out.reserve(sql.size() + params.size() * 16);
  std::size_t next = 0;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      out += c;
      if (c == '\\' && quote != '`' && i + 1 < sql.size()) {
        out += sql[++i];
      } else if (c == quote) {
        quote = 0;  // a doubled quote closes and opens again: same result
      }
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      quote = c;
      out += c;
    } else if (c == '?') {
      if (next < params.size()) out += literal(params[next]);
      ++next;
    } else {
      out += c;
    }
  }
  if (quote != 0) throw MysqlError(0, Fault::kOther, "a statement with an unclosed quote");
  if (next != params.size()) {
    throw MysqlError(
        0, Fault::kOther,
        fmt::format("a statement with {} parameters was given {}", next, params.size()));
  }
  return out;
}

void Connection::begin() {
  if (in_transaction_) {
    throw MysqlError(0, Fault::kOther, "START TRANSACTION inside a transaction");
  }
  run("START TRANSACTION");
  in_transaction_ = true;
}

void Connection::commit() {
  if (mysql_real_query(handle_, "COMMIT", 6) != 0) {
    in_transaction_ = false;
    fail("COMMIT");
  }
  in_transaction_ = false;
}

void Connection::rollback() noexcept {
  in_transaction_ = false;
  if (broken_ || handle_ == nullptr) return;
  if (mysql_real_query(handle_, "ROLLBACK", 8) != 0 &&
      classify(mysql_errno(handle_)) == Fault::kConnection) {
    broken_ = true;
  }
}

// ---- SQL text -------------------------------------------------------------

std::vector<std::string> split_statements(std::string_view sql) {
  std::vector<std::string> out;
  std::string current;
  char quote = 0;
  const auto flush = [&] {
    const auto first = current.find_first_not_of(" \t\r\n");
    if (first != std::string::npos) out.push_back(current.substr(first));
    current.clear();
  };
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      current += c;
      if (c == '\\' && quote != '`' && i + 1 < sql.size()) {
        current += sql[++i];
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      // A comment to the end of the line.
      while (i < sql.size() && sql[i] != '\n') ++i;
      current += '\n';
    } else if (c == ';') {
      flush();
    } else {
      if (c == '\'' || c == '"' || c == '`') quote = c;
      current += c;
    }
  }
  flush();
  // Trailing blanks inside a statement are harmless; trim them for tidy logs.
  for (auto& statement : out) {
    statement.erase(statement.find_last_not_of(" \t\r\n") + 1);
  }
  return out;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "`";
  for (const char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  out += '`';
  return out;
}

}  // namespace outbreak::store::mysql
