// A thin RAII layer over the SQLite C API (internal to the store module).
// Failures throw SqliteError; the store core turns them into Error values at
// its public methods, so no exception leaves the store.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "outbreak/store/store.hpp"
#include "store/core/dialect.hpp"

namespace outbreak::store::sqlite {

class SqliteError : public std::runtime_error {
 public:
  // `code`: SQLite's (extended) result code.
  SqliteError(const std::string& message, int code, bool out_of_space = false)
      : std::runtime_error(message), code_(code), out_of_space_(out_of_space) {}
  int code() const { return code_; }
  // Whether the statement failed for lack of space (see Database::fail).
  bool out_of_space() const { return out_of_space_; }

 private:
  int code_;
  bool out_of_space_;
};

// The kind of a fault thrown by this layer or by SQLite: SQLITE_FULL (or an
// I/O error with no room left) kNoSpace; SQLITE_CONSTRAINT kConstraint;
// SQLITE_MISMATCH, SQLITE_RANGE, SQLITE_TOOBIG kData; a file that cannot be
// opened, read, locked or written (CANTOPEN, IOERR, BUSY, LOCKED, READONLY,
// PERM, NOTADB, CORRUPT, AUTH, PROTOCOL, NOMEM) kUnavailable; anything else
// (SQLITE_ERROR: a syntax error, a missing table) kInternal.
core::FaultKind classify(const std::exception& error) noexcept;

// "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC, microseconds) and back.
std::string format_time(TimePoint time);
TimePoint parse_time(std::string_view text);  // throws core::Fault (kData) if malformed

// An open connection; closes it on destruction. Not thread-safe.
class Database {
 public:
  explicit Database(const std::string& path);  // throws SqliteError
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  sqlite3* get() const { return db_; }
  // Runs one or more statements without parameters.
  void exec(std::string_view sql);
  // Throws the connection's last error, marked out_of_space for SQLITE_FULL
  // and for an I/O error while the file system (or the process's file-size
  // limit, RLIMIT_FSIZE) leaves less than a mebibyte for the database: the
  // VFS does not keep the system error (ENOSPC, EFBIG) of a failed write.
  [[noreturn]] void fail(std::string_view what) const;

 private:
  bool no_room_left() const;

  sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement with 1-based bind() and 0-based column accessors.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::optional<std::string>& value);
  Statement& bind(int index, TimePoint value);
  Statement& bind_null(int index);

  // Steps once: true if a row is available.
  bool step();
  // Steps to the end; for statements without rows.
  void run();
  void reset();  // for re-execution with new bindings

  std::int64_t int64(int column) const;
  double real(int column) const;
  bool is_null(int column) const;
  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  std::optional<TimePoint> optional_time(int column) const;

 private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace outbreak::store::sqlite
