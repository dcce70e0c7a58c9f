// Helpers shared by the store core and its dialects (internal to the store
// module).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "outbreak/store/store.hpp"

namespace outbreak::store::detail {

// The argument checks of enqueue() and write_summary() (kInvalidInput).
Status validate(const NewSimulation& simulation);
Status validate(const engine::Summary& summary);
// replicate ≥ 0 (kInvalidInput otherwise).
Status validate_replicate(std::int64_t replicate);
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

// The mail a final status causes: succeeded -> finished, failed -> failed,
// cancelled -> cancelled.
MailKind mail_kind_for(JobStatus final_status);
Error mail_not_found(std::int64_t id);
Error cannot_retry_mail_error(std::int64_t id, std::string_view status);
// mark_mail_sent(): `how` must be sent or logged (kInvalidInput otherwise).
Status validate_sent_status(MailStatus how);
// Values read from the database; throw std::runtime_error if unknown.
MailKind parse_mail_kind(std::string_view text);
MailStatus parse_mail_status(std::string_view text);
// Sets the count of one status read by a GROUP BY query.
void count_status(std::string_view status, std::int64_t n, StatusCounts& counts);
void count_mail(std::string_view status, std::int64_t n, MailCounts& counts);

// The columns of simulation_figures after (simulation_id, replicate), in
// RunFigures order, as the core reads them.
inline constexpr std::string_view kFigureColumns =
    "peak_infected, peak_day, total_infected, dead, peak_hospitalized, peak_hospitalized_day, "
    "infected_at_end, new_infections_last_7_days, still_spreading, ended_on_day";

// An address as mail_addresses keys it: ASCII lower case (addresses are
// ASCII, see mail::validate_address), the same as SQL's lower().
std::string address_key(std::string_view address);
Error address_not_found(std::string_view address);
Error token_not_found();
// mail_address(): neither argument may be empty (kInvalidInput).
Status validate_address_row(std::string_view address, std::string_view token);

// The channel of PostgreSQL's LISTEN/NOTIFY wake-ups.
inline constexpr std::string_view kNotifyChannel = "outbreak_jobs";

}  // namespace outbreak::store::detail
