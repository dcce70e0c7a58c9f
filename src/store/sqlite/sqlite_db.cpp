#include "store/sqlite/sqlite_db.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

namespace outbreak::store::sqlite {

std::string format_time(TimePoint time) {
  using namespace std::chrono;
  const auto micros = duration_cast<microseconds>(time.time_since_epoch()).count();
  std::int64_t seconds = micros / 1'000'000;
  std::int64_t fraction = micros % 1'000'000;
  if (fraction < 0) {
    fraction += 1'000'000;
    seconds -= 1;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
}

TimePoint parse_time(std::string_view text) {
  std::tm tm{};
  int fraction = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &fraction) != 7) {
    throw core::Fault(core::FaultKind::kData,
                      fmt::format("malformed time '{}' in the database", text));
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t seconds = timegm(&tm);
  return TimePoint(std::chrono::seconds(seconds) + std::chrono::microseconds(fraction));
}

core::FaultKind classify(const std::exception& error) noexcept {
  if (const auto* fault = dynamic_cast<const core::Fault*>(&error)) return fault->kind();
  const auto* sqlite = dynamic_cast<const SqliteError*>(&error);
  if (sqlite == nullptr) return core::FaultKind::kInternal;
  if (sqlite->out_of_space()) return core::FaultKind::kNoSpace;
  switch (sqlite->code() & 0xff) {
    case SQLITE_FULL:
      return core::FaultKind::kNoSpace;
    case SQLITE_CONSTRAINT:
      return core::FaultKind::kConstraint;
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return core::FaultKind::kData;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_AUTH:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
      return core::FaultKind::kUnavailable;
    default:
      return core::FaultKind::kInternal;
  }
}

Database::Database(const std::string& path) : path_(path) {
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(message, rc);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() { sqlite3_close(db_); }

void Database::exec(std::string_view sql) {
  const std::string copy(sql);
  if (sqlite3_exec(db_, copy.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) fail("exec");
}

void Database::fail(std::string_view what) const {
  const int code = sqlite3_extended_errcode(db_);
  const bool full =
      (code & 0xff) == SQLITE_FULL || ((code & 0xff) == SQLITE_IOERR && no_room_left());
  throw SqliteError(fmt::format("{}: {}", what, sqlite3_errmsg(db_)), code, full);
}

bool Database::no_room_left() const {
  constexpr std::uintmax_t kRoom = 1 << 20;
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::space_info space = fs::space(fs::absolute(path_, ec).parent_path(), ec);
  if (!ec && space.available < kRoom) return true;
  rlimit limit{};
  if (getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return false;
  for (const char* suffix : {"", "-wal", "-journal"}) {
    const std::uintmax_t size = fs::file_size(path_ + suffix, ec);
    if (!ec && size + kRoom > limit.rlim_cur) return true;
  }
  return false;
}

Statement::Statement(Database& db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
      SQLITE_OK) {
    db.fail("prepare");
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                        SQLITE_TRANSIENT) != SQLITE_OK) {
    db_.fail("bind");
  }
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

Statement& Statement::bind(int index, TimePoint value) {
  return bind(index, std::string_view(format_time(value)));
}

Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) db_.fail("bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail("step");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }
bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::string Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return data ? std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
              : std::string();
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::optional<TimePoint> Statement::optional_time(int column) const {
  if (is_null(column)) return std::nullopt;
  return parse_time(text(column));
}

}  // namespace outbreak::store::sqlite
