// The stored results of a job as the documents of GET .../results (internal
// to the serve module).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

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
// Errors: those of the store (kNotFound, kIo); kInvalidInput if the stored
// scenario no longer reads.
Result<std::string> render_results(store::Store& store, const store::SimulationRecord& job,
                                   io::Format format, std::optional<std::int64_t> replicate);

// Rendered results of finished jobs, which do not change: a request for
// them costs a look-up instead of a query and formatting. Entries are keyed
// by the job's id, finished_at (a retried job finishes again, with another
// time), format and replicate; the least recently used go first once the
// bodies pass `max_bytes`. Thread-safe.
class ResultsCache {
 public:
  explicit ResultsCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // The rendered body, rendering it through render_results() on a miss.
  // Jobs that have not finished are rendered every time and not kept.
  Result<std::shared_ptr<const std::string>> get(store::Store& store,
                                                 const store::SimulationRecord& job,
                                                 io::Format format,
                                                 std::optional<std::int64_t> replicate);

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const std::string>>;

  std::mutex mu_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace outbreak::serve::detail
