// The stored results of a job as the documents of GET .../results (internal
// to the serve module).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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

}  // namespace outbreak::serve::detail
