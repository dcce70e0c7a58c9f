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

// Rendered results of finished jobs, which do not change: a request for
// them costs a look-up instead of queries and formatting. Entries are keyed
// by the job's id, finished_at (a retried job finishes again, with another
// time), format and replicate; only documents of at most `max_entry_bytes`
// are kept (larger ones are streamed every time), and the least recently
// used go first once the bodies pass `max_bytes`. Thread-safe.
class ResultsCache {
 public:
  ResultsCache(std::size_t max_bytes, std::size_t max_entry_bytes)
      : max_bytes_(max_bytes), max_entry_bytes_(max_entry_bytes) {}

  // The key of a cacheable document; empty when the job has not finished.
  static std::string key(const store::SimulationRecord& job, io::Format format,
                         std::optional<std::int64_t> replicate, bool summary_only = false);
  // The body kept under `key`, or nullptr.
  std::shared_ptr<const std::string> find(const std::string& key);
  // Keeps `body` under `key` if it is small enough.
  void offer(const std::string& key, std::string body);
  std::size_t max_entry_bytes() const { return max_entry_bytes_; }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const std::string>>;

  std::mutex mu_;
  std::size_t max_bytes_;
  std::size_t max_entry_bytes_;
  std::size_t bytes_ = 0;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace outbreak::serve::detail
