// Helpers shared by the store backends (internal to the store module).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "outbreak/store/store.hpp"

namespace outbreak::store::detail {

// The argument checks of enqueue() and write_summary() (kInvalidInput).
Status validate(const NewSimulation& simulation);
Status validate(const engine::Summary& summary);
// write_days(): replicate ≥ 0 and no day twice in one batch.
Status validate_days(std::int64_t replicate, std::span<const engine::DayTotals> rows);

bool is_final(JobStatus status);
Error final_status_error(JobStatus status);
Error not_found(std::string_view id);
Error cannot_cancel_error(std::string_view id, JobStatus status);
Error cannot_retry_error(std::string_view id, JobStatus status);
// A status read from the database; throws std::runtime_error if unknown.
JobStatus parse_status(std::string_view text);
// Adds one row returned by the requeue statement ("queued", "failed" or
// "cancelled") to `counts`.
void count_requeued(std::string_view status, RequeueCounts& counts);

// retry(): the same SQL on both backends; $1 is the id.
inline constexpr std::string_view kRetrySql =
    "UPDATE simulations SET status = 'queued', attempts = 0, cancel_requested = FALSE, "
    "started_at = NULL, finished_at = NULL, worker_id = NULL, lease_expires_at = NULL "
    "WHERE id = $1";

// The columns of SimulationRecord, in the order both backends select them.
inline constexpr std::string_view kRecordColumns =
    "id, name, status, scenario_json, email, created_at, started_at, finished_at, "
    "progress_replicate, progress_day, days, replicates, attempts, max_attempts, error, "
    "worker_id, lease_expires_at, cancel_requested";

// Channel name for LISTEN/NOTIFY, and what requeue_expired() writes.
inline constexpr std::string_view kNotifyChannel = "outbreak_jobs";

}  // namespace outbreak::store::detail
