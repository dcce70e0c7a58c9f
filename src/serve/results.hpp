// The stored results of a job as the documents of GET .../results (internal
// to the serve module), produced a page at a time so that a request never
// holds a whole document.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "encoding.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/io/results_format.hpp"
#include "outbreak/store/store.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::serve::detail {

// The results of `job` stored so far, in `format` (csv or json):
// - all replicates: exactly what `outbreak results ID --format F` prints
//   once the job has succeeded; while it runs, the days stored so far, and
//   with several replicates no summary until the worker has written it;
// - `replicate` (0-based, < job.replicates): that replicate alone, as a
//   one-replicate document (its own seed; CSV without a replicate column).
// The document is read one replicate at a time: next() appends the next
// part, so memory stays at one replicate's days (and the summary) whatever
// the size of the job. Not thread-safe; one request uses it.
class ResultsDocument {
 public:
  // Reads what decides the document's shape (the scenario, the summary).
  // Errors: those of the store (kNotFound, kIo); kInvalidInput if the
  // stored scenario no longer reads.
  // `coverage` (from summary_coverage()) says which replicates the stored
  // summary covers. `summary_only` (json, all replicates): the document
  // without the replicates' days ("replicates": []) when the job has
  // several; with one it is the whole document (there is no summary).
  static Result<std::unique_ptr<ResultsDocument>> open(store::Store& store,
                                                       const store::SimulationRecord& job,
                                                       io::Format format,
                                                       std::optional<std::int64_t> replicate,
                                                       io::SummaryCoverage coverage = {},
                                                       bool summary_only = false);

  // Appends the next part of the document to `out`, reading with `store`
  // when a replicate's days are needed, until `out` holds about
  // `max_bytes` or the document ends. Returns whether more follows.
  // Errors: those of the store.
  Result<bool> next(store::Store& store, std::string& out, std::size_t max_bytes);

  // Whether the document will carry the summary (false while a job with
  // several replicates runs, until its worker has written the summary).
  bool has_summary() const { return summary_.has_value(); }

  ResultsDocument(const store::SimulationRecord& job, io::Format format,
                  std::optional<std::int64_t> replicate, std::unique_ptr<engine::Scenario> scenario,
                  bool summary_only);

 private:
  enum class Stage { kHead, kReplicates, kSummary, kTail, kDone };

  std::string id_;
  std::unique_ptr<engine::Scenario> scenario_;  // the writer keeps a reference
  std::vector<std::int64_t> replicates_;        // 0-based, in document order
  // A summary alone of a run with timeline items: the replicates' days are
  // read, not written, for the items active on each day in any of them.
  std::vector<std::int64_t> active_only_;
  std::optional<engine::Summary> summary_;  // written after the replicates
  io::ResultsWriter writer_;
  Stage stage_ = Stage::kHead;
  std::size_t replicate_ = 0;                       // index into replicates_
  std::optional<std::vector<store::DayRow>> rows_;  // the replicate being written
  std::size_t row_ = 0;
  std::size_t series_ = 0;  // summary position
  std::size_t series_row_ = 0;
  bool in_series_ = false;
};

// Which replicates the stored summary of `job` covers: all of them, unless
// the job ended cancelled or failed, when it covers the complete runs (those
// with key figures) and is partial if they are fewer than the replicates.
// Errors: those of the store.
Result<io::SummaryCoverage> summary_coverage(store::Store& store,
                                             const store::SimulationRecord& job);

// The entity tag of a results document as sent in `coding`:
// - a finished job (`key` from ResultsCache::key() not empty): strong, from
//   the key and the server's version, so it changes only when a retried job
//   finishes again or the server is upgraded;
// - a job in progress: weak, from what the document holds so far (the
//   claim, the last day stored, whether the summary is written), so it
//   changes as the job progresses.
// Each coding has its own tag ("...-gzip", "...-br"): the bytes differ.
std::string results_etag(const store::SimulationRecord& job, const std::string& key,
                         io::Format format, std::optional<std::int64_t> replicate,
                         bool summary_only, bool has_summary, Coding coding);

// The strong entity tag of the finished document kept under `key`, as
// sent in `coding` (results_etag() of a finished job).
std::string finished_etag(const std::string& key, Coding coding);

// A finished document in every coding it is sent in, each compressed once.
struct CachedResults {
  std::string identity;
  std::string gzip;
  std::string brotli;
  std::string key;   // its ResultsCache key
  std::string name;  // the job's name, for a download's file name

  // `body` with its gzip and brotli (kBrotliQuality) forms.
  static CachedResults compress(std::string body);
  const std::string& bytes(Coding coding) const;
  std::size_t size() const { return identity.size() + gzip.size() + brotli.size(); }
};

// Rendered results of finished jobs, which do not change: a request for
// them costs a look-up instead of queries, formatting and compression.
// Entries are keyed by the job's id, finished_at (a retried job finishes
// again, with another time), format and replicate; only documents of at
// most `max_entry_bytes` (uncompressed) are kept (larger ones are streamed
// every time), and the least recently used go first once the entries'
// bytes, all three codings counted, pass `max_bytes`. Thread-safe.
class ResultsCache {
 public:
  ResultsCache(std::size_t max_bytes, std::size_t max_entry_bytes)
      : max_bytes_(max_bytes), max_entry_bytes_(max_entry_bytes) {}

  // The key of a cacheable document; empty when the job has not finished.
  static std::string key(const store::SimulationRecord& job, io::Format format,
                         std::optional<std::int64_t> replicate, bool summary_only = false);
  // Which document of job `id` is meant, whenever the job finished.
  static std::string variant(std::string_view id, io::Format format,
                             std::optional<std::int64_t> replicate, bool summary_only = false);
  // The document kept under `key`, or nullptr.
  std::shared_ptr<const CachedResults> find(const std::string& key);
  // The kept document `variant` of a job that succeeded, or nullptr: a
  // succeeded job is never run again, so it can be answered without asking
  // the store for the job.
  std::shared_ptr<const CachedResults> find_succeeded(const std::string& variant);
  // Keeps `body` under `key`, compressed, if it is small enough; `job`'s
  // name is kept with it, and a succeeded job's document is also found by
  // find_succeeded().
  void offer(const std::string& key, std::string body, const store::SimulationRecord& job,
             io::Format format, std::optional<std::int64_t> replicate, bool summary_only);
  std::size_t max_entry_bytes() const { return max_entry_bytes_; }
  // The bytes held, all codings counted.
  std::size_t bytes();

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const CachedResults>>;

  std::mutex mu_;
  std::size_t max_bytes_;
  std::size_t max_entry_bytes_;
  std::size_t bytes_ = 0;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::unordered_map<std::string, std::string> succeeded_;  // variant -> key
};

}  // namespace outbreak::serve::detail
