// Retention: finished jobs older than a number of days are deleted with
// everything stored for them (OUTBREAK_RETENTION_DAYS, `outbreak jobs prune`;
// docs/jobs.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string_view>

#include "outbreak/jobs/log.hpp"
#include "outbreak/store/store.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::jobs {

inline constexpr const char* kRetentionDaysVariable = "OUTBREAK_RETENTION_DAYS";
inline constexpr std::int64_t kMaxRetentionDays = 36'500;

// The number of days from `value` (the variable's text; null or empty: off,
// nullopt). Errors: kInvalidInput naming `name` and the range 1..36500.
Result<std::optional<std::int64_t>> parse_retention_days(const char* value, std::string_view name);

// Deletes every finished job whose finished_at is more than `days` days
// before `now`, in batches of a few jobs per transaction (so that a long
// prune never holds the database for long); returns how many. Errors: those
// of the store; jobs deleted before the error stay deleted.
Result<std::int64_t> prune_finished(store::Store& store, std::int64_t days, store::TimePoint now);

// Prunes on `database_url` now and then every `interval` until `stop`
// fires, logging jobs_pruned (when any were) or store_error; a failed pass
// is tried again at the next. For `outbreak serve` and `outbreak worker`.
// Errors: open_store's, if the database cannot be opened at the start.
Status run_retention(std::string_view database_url, std::int64_t days,
                     std::chrono::milliseconds interval, Logger& log, std::stop_token stop);

}  // namespace outbreak::jobs
