// Store: simulation jobs, their queue state and their results, in SQL.
//
// One interface, two backends (SQLite, PostgreSQL), chosen by URL through
// open_store() (outbreak/store/open.hpp). The jobs module builds the worker
// loop on these primitives; each primitive is one atomic transaction.
//
// Ownership: a Store owns its database connection(s) and closes them when
// destroyed. Records and rows are returned by value; the caller owns them.
//
// Thread-safety: every method of one Store may be called from any thread;
// calls on one Store are serialised internally (one connection), except
// wait_for_work(), which blocks only other wait_for_work() callers. For
// parallel work open one Store per worker; Stores on the same database (in
// one process or many) coordinate through the database alone.
//
// Errors are values, never exceptions across this interface:
//   kInvalidInput  a bad argument or a transition that is not allowed (e.g.
//                  retry of a succeeded job); also a database whose schema
//                  is newer than this binary (see migrate()).
//   kNotFound      no simulation with that id.
//   kLeaseLost     the worker no longer holds the job (see is_lease_lost()).
//   kResource      the database has no space left to write (SQLite: the disk
//                  or a file-size limit is full; PostgreSQL: SQLSTATE 53100
//                  disk_full). It may pass when space is freed.
//   kIo            the database could not be reached or a statement failed.
//   kInternal      a broken invariant inside the store.
//
// Time: the store has no clock. Every call that records a time takes `now`
// (system_clock, stored as UTC with microsecond precision), so tests and the
// worker inject one.
//
// Leases: a job is "held" by a worker while its status is running and its
// worker_id is that worker. A lease that has expired still counts as held
// until requeue_expired() takes the job away; from then on every call that
// needs the lease fails with "lease lost" and writes nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "outbreak/engine/day_totals.hpp"
#include "outbreak/engine/ensemble.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::store {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::milliseconds;

enum class JobStatus { kQueued, kRunning, kSucceeded, kFailed, kCancelled };

// "queued", "running", "succeeded", "failed", "cancelled": the values of the
// simulations.status column.
std::string_view to_string(JobStatus status);
// The inverse of to_string; nullopt for anything else (case-sensitive).
std::optional<JobStatus> job_status_from_string(std::string_view text);

// What enqueue() needs. `scenario_json` is stored verbatim (validated by the
// caller); `days` and `replicates` are copied from it so that progress can be
// shown without parsing it.
struct NewSimulation {
  std::string name;
  std::string scenario_json;
  std::optional<std::string> email;
  std::int64_t days = 0;
  std::int64_t replicates = 1;
  int max_attempts = 3;  // >= 1
  // The base of the links in its mails ("https://host[:port]") as the
  // submitter reached the server through a trusted proxy; nullopt: the
  // sender's own (OUTBREAK_PUBLIC_URL or its default).
  std::optional<std::string> link_base;
};

// One row of `simulations`.
struct SimulationRecord {
  std::string id;  // random UUIDv4, lower-case, with hyphens
  std::string name;
  JobStatus status = JobStatus::kQueued;
  std::string scenario_json;
  std::optional<std::string> email;
  TimePoint created_at;
  std::optional<TimePoint> started_at;   // the latest claim
  std::optional<TimePoint> finished_at;  // set on succeeded, failed, cancelled
  // The last (replicate, day) stored; nullopt before the first write_days().
  std::optional<std::int64_t> progress_replicate;
  std::optional<std::int64_t> progress_day;
  std::int64_t days = 0;
  std::int64_t replicates = 1;
  int attempts = 0;  // tries started (claims), less those given back by release()
  int max_attempts = 3;
  std::optional<std::string> error;      // the last error, kept for dead letters
  std::optional<std::string> worker_id;  // the holder, or the last holder
  std::optional<TimePoint> lease_expires_at;
  bool cancel_requested = false;
  // Every claim so far, never reset (unlike attempts, which release() and
  // retry() lower): tells one try's days from another's.
  int claims = 0;
  std::optional<std::string> link_base;  // see NewSimulation::link_base
};

// One row of `simulation_days`.
struct DayRow {
  std::int64_t replicate = 0;
  engine::DayTotals totals;  // totals.day is the day
  bool operator==(const DayRow&) const = default;
};

// One replicate's totals by age band (rows of `simulation_age_totals`).
struct AgeTotalsRow {
  std::int64_t replicate = 0;
  engine::AgeTotals totals;
  bool operator==(const AgeTotalsRow&) const = default;
};

// One replicate's key figures (rows of `simulation_figures`), computed from
// its days when it ends (jobs::run_figures(), docs/api.md#figures), so that
// a job that stops early keeps those of its complete runs. The attack rate
// is total_infected over the scenario's population, computed when read.
struct RunFigures {
  std::int64_t replicate = 0;  // 0-based
  std::int64_t peak_infected = 0;
  std::int64_t peak_day = 0;  // the first day of the peak
  std::int64_t total_infected = 0;
  std::int64_t dead = 0;
  std::int64_t peak_hospitalized = 0;
  std::int64_t peak_hospitalized_day = 0;
  std::int64_t infected_at_end = 0;
  std::int64_t new_infections_last_7_days = 0;
  bool still_spreading = false;
  std::optional<std::int64_t> ended_on_day;
  bool operator==(const RunFigures&) const = default;
};

// Returned by calls that need the lease: whether cancel() was requested, so
// the worker can stop at the next day without another round trip.
struct LeaseState {
  bool cancel_requested = false;
};

// What requeue_expired() did.
struct RequeueCounts {
  int requeued = 0;   // back to queued (the expired try keeps its attempt)
  int failed = 0;     // attempts reached max_attempts: failed (dead letter)
  int cancelled = 0;  // cancel had been requested: cancelled
};

// --- Outbox ---------------------------------------------------------------
//
// A mail to the person who submitted a simulation is a row of `outbox`,
// inserted in the same transaction as the state change that causes it, and
// only when the simulation has an e-mail address: enqueue() -> accepted;
// finish(succeeded) -> finished; finish(failed) and a dead letter in
// requeue_expired() -> failed; cancel() of a queued job, finish(cancelled),
// and release()/requeue_expired() of a job whose cancel was requested ->
// cancelled. The text is not stored: the sender renders it when it sends,
// from the simulation and its stored results.

enum class MailKind { kAccepted, kFinished, kFailed, kCancelled };
// "accepted", "finished", "failed", "cancelled": the values of outbox.kind.
std::string_view to_string(MailKind kind);
std::optional<MailKind> mail_kind_from_string(std::string_view text);

// pending: not delivered yet; sent: accepted by the SMTP server; logged:
// written to the log because no SMTP server is configured; failed: given up.
enum class MailStatus { kPending, kSent, kLogged, kFailed };
// "pending", "sent", "logged", "failed": the values of outbox.status.
std::string_view to_string(MailStatus status);
std::optional<MailStatus> mail_status_from_string(std::string_view text);

// One row of `outbox`.
struct MailRecord {
  std::int64_t id = 0;  // increasing in insertion order
  std::string simulation_id;
  MailKind kind = MailKind::kAccepted;
  std::string recipient;  // the simulation's e-mail address
  MailStatus status = MailStatus::kPending;
  int attempts = 0;  // delivery tries started
  TimePoint created_at;
  TimePoint next_attempt_at;              // pending: when due; failed: when given up
  std::optional<TimePoint> sent_at;       // set for sent and logged
  std::optional<std::string> last_error;  // the last failure or server reply
};

struct MailCounts {
  std::int64_t pending = 0;
  std::int64_t sent = 0;
  std::int64_t logged = 0;
  std::int64_t failed = 0;
};

// One row of `mail_addresses`: an address mails went to, and whether its
// owner confirmed it wants them (OUTBREAK_MAIL_CONFIRM, docs/mail.md).
struct MailAddressRecord {
  std::string address;  // lower-case
  std::string token;    // the secret of the confirmation link
  TimePoint created_at;
  std::optional<TimePoint> requested_at;  // the last confirmation request sent
  std::optional<TimePoint> confirmed_at;  // nullopt: not confirmed (yet)
};

// Simulations per status, every status present (0 when none).
struct StatusCounts {
  std::int64_t queued = 0;
  std::int64_t running = 0;
  std::int64_t succeeded = 0;
  std::int64_t failed = 0;
  std::int64_t cancelled = 0;
  std::int64_t of(JobStatus status) const;
};

// True for the error returned when the worker no longer holds the job
// (ErrorCode::kLeaseLost).
bool is_lease_lost(const Error& error);
// The "lease lost" error for simulation `id` and `worker_id`.
Error lease_lost_error(std::string_view id, std::string_view worker_id);

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;

  // "sqlite" or "postgresql".
  virtual std::string_view backend() const = 0;

  // --- Schema -------------------------------------------------------------

  // Applies every migration this binary knows that the database lacks, each
  // recorded in schema_migrations(version, applied_at), all under a database
  // lock (SQLite BEGIN IMMEDIATE, PostgreSQL pg_advisory_xact_lock), so
  // concurrent callers are safe. Idempotent. Must succeed before any other
  // call. Errors: kInvalidInput if the database's schema is newer than this
  // binary knows ("database schema version N is newer than this outbreak
  // (knows up to M); upgrade outbreak"); kIo.
  virtual Status migrate() = 0;
  // The highest applied migration, 0 for an empty database. Errors: kIo.
  virtual Result<int> schema_version() = 0;
  // Commits a write that changes no value (SQLite: the header's
  // user_version set to itself; PostgreSQL: the latest schema_migrations
  // row updated to itself), to learn whether writes succeed right now.
  // Errors: kResource (no space left), kIo.
  virtual Status check_writable() = 0;

  // --- Queue --------------------------------------------------------------

  // Adds a queued job with a new random id, created_at = now, attempts 0, and
  // wakes wait_for_work() callers. Errors: kInvalidInput (empty name,
  // days < 0, replicates < 1, max_attempts < 1), kIo.
  virtual Result<std::string> enqueue(const NewSimulation& simulation, TimePoint now) = 0;

  // Atomically takes the oldest queued job (by created_at, then id): status
  // running, worker_id, started_at = now, lease until now + lease, attempts
  // + 1 (a try is counted when it starts), claims + 1. Whatever an earlier
  // try stored (days, age totals, key figures, summary) is deleted and
  // progress cleared: the new try writes its own from its first day. Exactly one concurrent caller
  // gets any one job. nullopt when nothing is queued. Errors: kIo.
  virtual Result<std::optional<SimulationRecord>> claim(std::string_view worker_id, Duration lease,
                                                        TimePoint now) = 0;

  // Heartbeat: extends the lease to now + lease. Errors: lease lost, kIo.
  virtual Result<LeaseState> renew_lease(std::string_view id, std::string_view worker_id,
                                         Duration lease, TimePoint now) = 0;

  // In one transaction: upserts `rows` of `replicate` (rewriting a day
  // replaces it), sets progress to (replicate, last day of rows) and renews
  // the lease, so progress is never ahead of the stored rows. Empty `rows`
  // only renews the lease. Errors: lease lost (nothing written),
  // kInvalidInput (replicate < 0, a day twice in `rows`), kIo.
  virtual Result<LeaseState> write_days(std::string_view id, std::string_view worker_id,
                                        std::int64_t replicate,
                                        std::span<const engine::DayTotals> rows, Duration lease,
                                        TimePoint now) = 0;

  // Upserts the totals by age band of `replicate` (written once it has
  // ended; writing again replaces them). Errors: lease lost, kInvalidInput
  // (replicate < 0), kIo.
  virtual Status write_age_totals(std::string_view id, std::string_view worker_id,
                                  std::int64_t replicate, const engine::AgeTotals& totals) = 0;

  // Upserts the key figures of one replicate (figures.replicate), written
  // once it has ended. Errors: lease lost, kInvalidInput (replicate < 0),
  // kIo.
  virtual Status write_figures(std::string_view id, std::string_view worker_id,
                               const RunFigures& figures) = 0;

  // Replaces the job's per-day summary (all three statistics must have the
  // same length; a NaN r_t is stored as NULL). Errors: lease lost,
  // kInvalidInput, kIo.
  virtual Status write_summary(std::string_view id, std::string_view worker_id,
                               const engine::Summary& summary) = 0;

  // Ends a held job: status `final_status` (succeeded, failed or cancelled),
  // finished_at = now, lease cleared, error = `error` (nullopt clears it).
  // Attempts are unchanged (claim() counted this try); a failed job is not
  // retried automatically (see retry()). Errors: lease lost, kInvalidInput (a status
  // that is not final), kIo.
  virtual Status finish(std::string_view id, std::string_view worker_id, JobStatus final_status,
                        std::optional<std::string> error, TimePoint now) = 0;

  // Graceful shutdown: gives a held job back to queued without spending an
  // attempt (attempts - 1, undoing claim(); worker and lease cleared,
  // started_at kept). If cancel was
  // requested the job ends cancelled instead. Errors: lease lost, kIo.
  virtual Status release(std::string_view id, std::string_view worker_id, TimePoint now) = 0;

  // Takes every running job whose lease expired before `now` away from its
  // worker: error "lease expired (worker W)", and the try keeps its attempt;
  // then back to queued, or failed (dead letter, finished_at = now) once
  // attempts >= max_attempts, or cancelled if cancel was requested. Wakes waiting
  // workers when something was requeued. Errors: kIo.
  virtual Result<RequeueCounts> requeue_expired(TimePoint now) = 0;

  // A queued job ends cancelled at once (finished_at = now); a running one
  // gets cancel_requested and the worker ends it with finish(kCancelled) at
  // the next day. Returns the status after the call. Errors: kNotFound,
  // kInvalidInput (already succeeded, failed or cancelled), kIo.
  virtual Result<JobStatus> cancel(std::string_view id, TimePoint now) = 0;

  // A failed or cancelled job goes back to queued with a fresh budget:
  // attempts 0, cancel_requested false, started/finished/worker/lease
  // cleared; the last error is kept until the job finishes again. Stored
  // results stay until the rerun is claimed (see claim()). Errors: kNotFound,
  // kInvalidInput (queued, running or succeeded), kIo.
  virtual Status retry(std::string_view id) = 0;

  // Blocks until work may be available or `timeout` passes: true when woken
  // by an enqueue (or a requeue) since the previous call on this Store,
  // false on timeout. PostgreSQL: LISTEN/NOTIFY, also across machines; the
  // first call starts listening and returns true at once so the caller
  // claims again. SQLite: wakes on enqueues through any Store on the same
  // file in this process; other processes are seen only by polling, so
  // callers must claim again after a timeout too. Errors: kIo.
  virtual Result<bool> wait_for_work(Duration timeout) = 0;

  // --- Reading ------------------------------------------------------------

  // Errors: kNotFound, kIo.
  virtual Result<SimulationRecord> get(std::string_view id) = 0;
  // Newest first (created_at descending), at most `limit`, optionally only
  // those with `status`. Errors: kInvalidInput (limit < 0), kIo.
  virtual Result<std::vector<SimulationRecord>> list(std::optional<JobStatus> status,
                                                     int limit) = 0;
  // Stored days ordered by replicate, then day; optionally one replicate.
  // An unknown r_t (NULL, also in rows written before schema version 3)
  // reads as NaN. Errors: kNotFound (no such simulation), kIo.
  virtual Result<std::vector<DayRow>> results(std::string_view id,
                                              std::optional<std::int64_t> replicate) = 0;
  // The stored summary, empty vectors if none was written. DayValues[0] of
  // each entry is the day; an unknown r_t is NaN. Errors: kNotFound, kIo.
  virtual Result<engine::Summary> summary(std::string_view id) = 0;
  // The stored age totals ordered by replicate (replicates not written yet
  // are absent). Errors: kNotFound, kIo.
  virtual Result<std::vector<AgeTotalsRow>> age_totals(std::string_view id) = 0;
  // The stored key figures ordered by replicate (replicates not ended yet
  // are absent). Errors: kNotFound, kIo.
  virtual Result<std::vector<RunFigures>> figures(std::string_view id) = 0;
  // A queued job's place in the queue: 1 + the queued jobs claimed before
  // it (older by created_at, then id); nullopt when it is not queued.
  // Errors: kNotFound, kIo.
  virtual Result<std::optional<std::int64_t>> queue_position(std::string_view id) = 0;
  // How many simulations have each status (one query). Errors: kIo.
  virtual Result<StatusCounts> count_by_status() = 0;

  // --- Retention ----------------------------------------------------------

  // Deletes up to `limit` finished simulations (succeeded, failed or
  // cancelled) whose finished_at is before `cutoff`, oldest first, with
  // everything stored for them (days, age totals, summary, mails), in one
  // transaction; returns how many. Queued and running jobs are never
  // touched. Call again until it returns fewer than `limit`.
  // Errors: kInvalidInput (limit < 1), kResource, kIo.
  virtual Result<std::int64_t> delete_finished_before(TimePoint cutoff, int limit) = 0;

  // --- Outbox (see MailKind above) ------------------------------------------

  // Takes the oldest due mail (pending, next_attempt_at <= now, by
  // next_attempt_at then id): attempts + 1 and next_attempt_at = now +
  // lease, so no other sender in any process takes it while this one tries
  // (a sender that dies leaves it due again after the lease). nullopt when
  // none is due. Errors: kIo.
  virtual Result<std::optional<MailRecord>> claim_mail(TimePoint now, Duration lease) = 0;
  // Delivered (`how` = kSent) or written to the log instead (kLogged):
  // sent_at = now. Errors: kNotFound, kInvalidInput (`how` is neither), kIo.
  virtual Status mark_mail_sent(std::int64_t id, MailStatus how, TimePoint now) = 0;
  // A transient failure: stays pending, due again at `next_attempt_at`, with
  // `error` kept as last_error. Errors: kNotFound, kIo.
  virtual Status mark_mail_retry(std::int64_t id, std::string_view error,
                                 TimePoint next_attempt_at) = 0;
  // A permanent failure (a 5xx reply, or too many attempts): failed, with
  // `error` kept as last_error and next_attempt_at = now (when it was given
  // up). Errors: kNotFound, kIo.
  virtual Status mark_mail_failed(std::int64_t id, std::string_view error, TimePoint now) = 0;
  // Newest first (id descending), at most `limit`, optionally one status.
  // Errors: kInvalidInput (limit < 0), kIo.
  virtual Result<std::vector<MailRecord>> list_mail(std::optional<MailStatus> status,
                                                    int limit) = 0;
  // Operator retry: a failed mail goes back to pending with attempts 0, due
  // at `now` (last_error kept until the next try). Errors: kNotFound,
  // kInvalidInput (the mail is not failed), kIo.
  virtual Status retry_mail(std::int64_t id, TimePoint now) = 0;
  // Mails per status. Errors: kIo.
  virtual Result<MailCounts> mail_counts() = 0;
  // How many mails to `recipient` (compared in lower case) were sent or
  // logged at or after `since`: the per-address hourly limit. Errors: kIo.
  virtual Result<std::int64_t> count_mail_sent_since(std::string_view recipient,
                                                     TimePoint since) = 0;

  // --- Mail addresses (confirmation) -------------------------------------------

  // The row of `address` (kept in lower case), inserted with `token` and
  // created_at = now when there is none; an existing row keeps its token.
  // Errors: kInvalidInput (empty address or token), kIo.
  virtual Result<MailAddressRecord> mail_address(std::string_view address, std::string_view token,
                                                 TimePoint now) = 0;
  // The confirmation request of `address` went out at `now`. Errors:
  // kNotFound, kIo.
  virtual Status mark_confirmation_requested(std::string_view address, TimePoint now) = 0;
  // The row whose token is `token`; reads only. Errors: kNotFound, kIo.
  virtual Result<MailAddressRecord> mail_address_by_token(std::string_view token) = 0;
  // Confirms the address whose token is `token`: confirmed_at = now the
  // first time (a second call changes nothing), and in the same transaction
  // every pending mail to it becomes due at `now`, so mails held for the
  // confirmation go out. Errors: kNotFound (no such token), kIo.
  virtual Result<MailAddressRecord> confirm_mail_address(std::string_view token, TimePoint now) = 0;
};

// A random UUIDv4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"). Thread-safe.
std::string new_uuid_v4();

// 128 bits from the operating system's random source as 32 lower-case hex
// digits: a secret that cannot be guessed (a confirmation token).
// Thread-safe.
std::string new_secret_token();

}  // namespace outbreak::store
