// The interface between the store core and an SQL dialect (internal to the
// store module).
//
// The queue's rules (enqueue, claim, leases, finish, release, requeue,
// cancel, retry, the outbox, the mail addresses, the bookkeeping of
// migrations) live once, in core::SqlStore, written in one neutral SQL.
// A dialect is a folder under src/store/ (sqlite/, postgres/, mysql/) that
// supplies only what differs between databases, through the four pieces
// below:
//
//   Dialect     stateless SQL text: how a time parameter and a time column
//               are written, upserts, row locks, the claim's locking clause, the
//               schema's migrations; and the
//               classification of the driver's exceptions into a Fault.
//   Session     one connection: statements with positional parameters,
//               rows, transactions, bulk writes, reconnection.
//   WorkSignal  wake-ups: notify after a change that makes work available,
//               wait_for_work() (an in-process hub, LISTEN/NOTIFY, or
//               polling with a short adaptive interval).
//   Backend     the three above plus the names used in messages, handed to
//               the core's constructor by the dialect's open function.
//
// The neutral SQL the core writes, and every Session must accept:
//   - Parameters are `?`, bound in order of appearance (no `?1`, no `$1`,
//     no named parameters). A parameter used twice is bound twice. A
//     dialect whose driver wants another marker rewrites `?` outside quoted
//     literals (PostgreSQL: `$1`, `$2`, ...).
//   - A time parameter is written as Dialect::time_param() and bound as a
//     TimePoint; a time column is read through Dialect::select_time() and
//     decoded by Rows::time(). Times are UTC with microseconds; SQLite
//     keeps text, PostgreSQL TIMESTAMPTZ, MariaDB DATETIME(6).
//   - Booleans are the literals TRUE and FALSE (SQLite >= 3.23, PostgreSQL
//     and MariaDB all accept them) and bind as bool; a boolean column reads
//     back with Rows::boolean() (SQLite and MariaDB store 0/1).
//   - No UPDATE ... RETURNING (MariaDB has none): the core finds rows with
//     a SELECT (Dialect::lock_rows() in a write transaction) and then
//     updates them by key; Session::execute() returns the rows matched, so
//     an UPDATE that found nothing is seen without RETURNING. INSERT ...
//     RETURNING is not used either.
//   - No data-modifying WITH clauses, no `||` (MariaDB reads it as OR; the
//     core builds such text in C++), no `::` casts, no ON CONFLICT written inline (use
//     Dialect::upsert_clause() / Dialect::ignore_clause()), no IS NULL test
//     of a parameter (the core writes one statement per case instead, so
//     that no driver has to guess a parameter's type).
//   - Functions common to all three: COALESCE, lower, COUNT, MAX, CASE.
//
// Errors: a dialect's code throws what its driver throws (pqxx exceptions,
// SqliteError, a MariaDB error) or Fault. The core catches everything at
// each public method, asks Dialect::classify() for the FaultKind, and turns
// it into an Error with one function (core/errors.hpp), so the same fault
// gives the same ErrorCode on every backend.
//
// Threading: the core serialises every call on one Session with its own
// mutex, so a Session need not be thread-safe. WorkSignal::wait_for_work()
// is called without that mutex (it may block for seconds) but never
// concurrently with itself; notify_work() is called under it.
//
// Changes (after the first version; newest last):
//   - Dialect::concat() is gone: the core builds the one text it needed
//     ("lease expired (worker W)") in C++.
//   - RowBatch: any value may be NULL (std::monostate), not only a kReal
//     (simulation_figures.ended_on_day).
//   - Helpers for dialects in core/standard_sql.hpp: on_conflict_clause()
//     (SQLite and PostgreSQL), column_list() and updated_columns() of a
//     RowBatch.
//   - Dialect::upsert_clause() and ignore_clause() have defaults (the ON
//     CONFLICT forms SQLite and PostgreSQL share); MariaDB overrides them.
//   - Dialect::one_statement_notify(): a dialect whose statements may modify
//     data in WITH clauses and return rows from UPDATE (PostgreSQL) gets
//     enqueue, claim and finish as one statement each, one round trip
//     instead of a transaction of four.
//   - Noted, not changed: claim(), claim_mail() and confirm_mail_address()
//     return the times they wrote as computed in C++ (now, now + lease), not
//     read back, and the conformance suite compares times to the
//     microsecond. A dialect must store times with microseconds (MariaDB:
//     DATETIME(6)), or a record read later differs from the one returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "outbreak/store/store.hpp"
#include "store/migrations.hpp"

namespace outbreak::store::core {

// --- Values and rows ---------------------------------------------------------

// A bound parameter. std::monostate is SQL NULL. TimePoint is bound in the
// dialect's time encoding and must stand where time_param() was written.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, bool, TimePoint>;

// NULL for nullopt, else the value (std::string_view is copied).
template <typename T>
Value nullable(const std::optional<T>& value) {
  if (!value) return std::monostate{};
  if constexpr (std::is_same_v<T, std::string_view>) {
    return std::string(*value);
  } else {
    return Value(*value);
  }
}

// The rows of one statement, read forward once. Column indexes are 0-based.
// Valid until the next call on the Session that produced them.
class Rows {
 public:
  Rows() = default;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  virtual ~Rows() = default;

  // Moves to the next row (the first on the first call); false after the
  // last. Throws the driver's exception or Fault.
  virtual bool next() = 0;

  // The current row's columns. Reading a NULL with anything but is_null()
  // or the optional_* helpers is a bug (throws Fault kData).
  virtual bool is_null(int column) const = 0;
  virtual std::int64_t int64(int column) const = 0;
  virtual double real(int column) const = 0;
  virtual std::string text(int column) const = 0;
  virtual bool boolean(int column) const = 0;
  // A column selected with Dialect::select_time().
  virtual TimePoint time(int column) const = 0;

  std::optional<std::int64_t> optional_int64(int column) const {
    return is_null(column) ? std::nullopt : std::optional<std::int64_t>(int64(column));
  }
  std::optional<std::string> optional_text(int column) const {
    return is_null(column) ? std::nullopt : std::optional<std::string>(text(column));
  }
  std::optional<TimePoint> optional_time(int column) const {
    return is_null(column) ? std::nullopt : std::optional<TimePoint>(time(column));
  }
};

// --- Bulk writes ---------------------------------------------------------------

// The type of a column in a RowBatch, for dialects that must name it
// (PostgreSQL's unnest() of typed arrays).
enum class ColumnType { kInt64, kReal, kText, kBool, kTime };

struct BatchColumn {
  std::string_view name;
  ColumnType type = ColumnType::kInt64;
};

// Many rows for one table, written by one Session::write_batch(). `values`
// holds the rows one after another (row-major, columns.size() per row); any
// value may be std::monostate (NULL). With `key` non-empty a row whose
// key exists replaces that row's other columns (an upsert); with `key`
// empty the rows are plain inserts.
struct RowBatch {
  std::string_view table;
  std::vector<BatchColumn> columns;
  std::vector<std::string_view> key;  // a subset of the column names
  std::vector<Value> values;
  std::size_t row_count() const { return columns.empty() ? 0 : values.size() / columns.size(); }
};

// --- Faults ----------------------------------------------------------------------

// What went wrong, in terms every backend shares. core::to_error() maps each
// kind to one ErrorCode (see core/errors.hpp).
enum class FaultKind {
  // The database cannot be reached or cannot serve now: connection refused,
  // lost or timed out, authentication or unknown database, a file that
  // cannot be opened or read, a lock wait that timed out. kIo (503,
  // retryable).
  kUnavailable,
  // No space left to write: the disk, a quota, a file-size limit (SQLite
  // SQLITE_FULL, PostgreSQL 53100, MariaDB 1114/1021). kResource.
  kNoSpace,
  // The transaction lost a race and may simply be run again: serialization
  // failure, deadlock (PostgreSQL 40001/40P01, MariaDB 1213). The core
  // reruns the whole transaction a few times, then reports kIo.
  kRetry,
  // The input broke a constraint: unique key, foreign key, CHECK, NOT NULL.
  // kInvalidInput.
  kConstraint,
  // The database holds (or was sent) a value this binary cannot read or
  // store: an unknown status, a malformed time, a number out of range.
  // kInternal.
  kData,
  // Anything else, e.g. an SQL syntax error: a bug. kInternal.
  kInternal,
};

// Thrown by dialect code (or the core) for a fault it has already
// classified; Dialect::classify() returns its kind.
class Fault : public std::runtime_error {
 public:
  Fault(FaultKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  FaultKind kind() const { return kind_; }

 private:
  FaultKind kind_;
};

// --- Session ---------------------------------------------------------------------

// How a transaction begins. SQLite: kWrite is BEGIN IMMEDIATE (the write
// lock at once, so a read-then-write never fails with SQLITE_BUSY), kRead
// BEGIN DEFERRED. PostgreSQL and MariaDB: both READ COMMITTED (MariaDB sets
// it per transaction or per session); kRead may be a read-only
// transaction.
enum class TxnMode { kRead, kWrite };

// One connection to the database. Not thread-safe (the core serialises).
// Outside begin()/commit() every statement commits on its own
// (autocommit); the core runs single-statement calls that way.
class Session {
 public:
  Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  virtual ~Session() = default;

  // Called by the core before every public call: reopens a connection the
  // server dropped (a restart, a killed backend) so that the call runs on a
  // live one. Throws (kUnavailable) when the server cannot be reached; the
  // next call tries again.
  virtual void ensure_open() = 0;

  // Runs one statement in the neutral SQL (see the top of this file) with
  // `params` bound in order; returns its rows (none for a statement
  // without). A dialect may cache prepared statements by SQL text.
  virtual std::unique_ptr<Rows> query(std::string_view sql, std::span<const Value> params) = 0;
  // Runs one statement that returns no rows; returns the number of rows it
  // matched (UPDATE: matched, even if a value did not change, e.g. MariaDB
  // with CLIENT_FOUND_ROWS; DELETE: deleted; INSERT: inserted).
  virtual std::int64_t execute(std::string_view sql, std::span<const Value> params) = 0;
  // Runs SQL without parameters, possibly several statements separated by
  // ';' (migrations; the dialect's own SQL, not neutral SQL).
  virtual void execute_script(std::string_view sql) = 0;

  // Writes `batch` inside the current transaction, as fast as the database
  // allows (SQLite: one prepared statement per row; PostgreSQL: one INSERT
  // ... SELECT FROM unnest() of array parameters; MariaDB: multi-row
  // INSERTs of bounded size), upserting when batch.key is set.
  virtual void write_batch(const RowBatch& batch) = 0;

  // Transactions do not nest. rollback() never throws (it is called while
  // unwinding) and leaves the session usable, or marks it for ensure_open()
  // to replace.
  virtual void begin(TxnMode mode) = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
};

// --- Wake-ups --------------------------------------------------------------------

class WorkSignal {
 public:
  WorkSignal() = default;
  WorkSignal(const WorkSignal&) = delete;
  WorkSignal& operator=(const WorkSignal&) = delete;
  virtual ~WorkSignal() = default;

  // Called inside the write transaction that made work available (enqueue,
  // release to queued, requeue, retry), on that transaction's Session. The
  // waiters must learn of it only if the transaction commits (PostgreSQL:
  // pg_notify, delivered at commit; SQLite: the hub is told after the
  // commit; MariaDB: nothing, or shortening the poll of waiters in this
  // process).
  virtual void notify_work(Session& session) = 0;
  // Called by the core after that transaction committed (SQLite tells its
  // hub here); after a rollback it is not called.
  virtual void committed() {}

  // Blocks until work may be available or `timeout` passes: true when woken
  // by notify_work() since the previous call, false on timeout (the caller
  // claims again either way after a timeout). PostgreSQL: LISTEN on a
  // second connection, the first call returns true at once. MariaDB: polls
  // (e.g. the newest created_at of queued jobs) with a short adaptive
  // interval, never longer than `timeout`. Throws the driver's exception or
  // Fault; the next call starts afresh.
  virtual bool wait_for_work(Duration timeout) = 0;
};

// --- Dialect ---------------------------------------------------------------------

// Stateless SQL text and classification. Thread-safe (const).
class Dialect {
 public:
  virtual ~Dialect() = default;

  // "sqlite", "postgresql", "mysql": Store::backend().
  virtual std::string_view name() const = 0;
  // "SQLite database", "PostgreSQL at", "MariaDB at": begins error messages,
  // followed by the redacted URL.
  virtual std::string_view label() const = 0;

  // A time parameter (`?`) in the neutral SQL: "?" where the driver binds
  // a time directly, PostgreSQL a conversion of bound microseconds.
  virtual std::string time_param() const = 0;
  // A time column in a select list, read back by Rows::time(); `column` may
  // be qualified ("s.created_at"). The expression need not keep the name.
  virtual std::string select_time(std::string_view column) const = 0;

  // Appended to "INSERT INTO t (...) VALUES (...)": when a row with the same
  // `key` exists, set each of `update` to the inserted value instead. By
  // default ON CONFLICT (key) DO UPDATE SET c = excluded.c (SQLite,
  // PostgreSQL); MariaDB overrides it: ON DUPLICATE KEY UPDATE c = VALUES(c).
  virtual std::string upsert_clause(std::span<const std::string_view> key,
                                    std::span<const std::string_view> update) const;
  // Appended to "INSERT INTO t (...) VALUES (...)": do nothing when a row
  // with the same `key` exists. By default ON CONFLICT (key) DO NOTHING;
  // MariaDB: ON DUPLICATE KEY UPDATE k = k.
  virtual std::string ignore_clause(std::span<const std::string_view> key) const;

  // Appended to a SELECT in a write transaction to lock the rows it reads
  // until commit: " FOR UPDATE" (PostgreSQL, MariaDB); "" (SQLite, whose
  // write transaction already excludes other writers).
  virtual std::string_view lock_rows() const = 0;
  // The claim: appended to the SELECT of the oldest queued job (or due
  // mail) so that concurrent claimers take different rows without waiting:
  // " FOR UPDATE SKIP LOCKED" (PostgreSQL, MariaDB); "" (SQLite).
  virtual std::string_view skip_locked() const = 0;

  // Migrations, in version order, in this dialect's SQL; and the statement
  // that creates schema_migrations(version, applied_at) if missing.
  virtual std::span<const detail::Migration> migrations() const = 0;
  virtual std::string_view create_migrations_table() const = 0;
  // Whether schema_migrations exists (a query of the catalogue).
  virtual bool has_migrations_table(Session& session) const = 0;
  // Serialises migrators across processes for the rest of the current
  // transaction, or until unlock_migrations() (PostgreSQL:
  // pg_advisory_xact_lock; MariaDB: GET_LOCK, since DDL commits
  // implicitly; SQLite: nothing, BEGIN IMMEDIATE is enough).
  virtual void lock_migrations(Session& session) const = 0;
  virtual void unlock_migrations(Session& /*session*/) const {}
  // A committed write that changes no value, to learn whether writes
  // succeed right now (Store::check_writable()).
  virtual void write_nothing(Session& session) const = 0;

  // nullopt (the default): the core runs enqueue, claim and finish as
  // transactions of a few neutral statements. A dialect whose database lets
  // one statement modify data in WITH clauses and return rows from UPDATE
  // (PostgreSQL) returns the select-list expression that wakes waiting
  // workers when the statement commits (pg_notify(...)); the core then runs
  // each of the three as one statement in that form, without BEGIN/COMMIT:
  // one round trip instead of four, the queue's hot path. The rules are the
  // same; the conformance suite runs both forms.
  virtual std::optional<std::string> one_statement_notify() const { return std::nullopt; }

  // The kind of an exception thrown by this dialect's code or driver (a
  // Fault returns its own kind; anything unknown is kInternal). noexcept.
  virtual FaultKind classify(const std::exception& error) const noexcept = 0;
};

// Everything the core needs from a dialect, built by the dialect's open
// function (e.g. sqlite::open_sqlite_store) and owned by the core.
struct Backend {
  std::unique_ptr<Dialect> dialect;
  std::unique_ptr<Session> session;
  std::unique_ptr<WorkSignal> signal;
  std::string display_url;  // the URL with its password redacted
  std::string secret;       // the password, scrubbed from messages; may be empty
};

}  // namespace outbreak::store::core
