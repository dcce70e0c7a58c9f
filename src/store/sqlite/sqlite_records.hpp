// Reading records, and the longer SQL of the SQLite backend (internal).
#pragma once

#include <string>
#include <string_view>

#include "outbreak/store/store.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace outbreak::store::sqlite {

// The current row of a statement that selected detail::kRecordColumns.
SimulationRecord read_record(const Statement& row);

// requeue_expired(); ?1 is now. The expired try keeps its attempt (counted by
// claim()). Returns the id and new status of each job it moved.
inline constexpr std::string_view kRequeueExpiredSql = R"sql(
UPDATE simulations SET
  status = CASE WHEN cancel_requested THEN 'cancelled'
                WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
  finished_at = CASE WHEN cancel_requested OR attempts >= max_attempts THEN ?1 END,
  worker_id = CASE WHEN cancel_requested OR attempts >= max_attempts THEN worker_id END,
  error = 'lease expired (worker ' || COALESCE(worker_id, '?') || ')',
  lease_expires_at = NULL
WHERE status = 'running' AND lease_expires_at < ?1
RETURNING id, status)sql";

// "INSERT INTO simulation_days (...) VALUES (?, ...) ON CONFLICT DO UPDATE".
std::string upsert_day_sql();
// "INSERT INTO simulation_summary (...) VALUES (?, ...)".
std::string insert_summary_sql();
// "SELECT day, statistic, <day columns but day> FROM simulation_summary ...".
std::string select_summary_sql();
// "SELECT replicate, <day columns> FROM simulation_days ...": of every
// replicate (?1 the id), or of one (?2 the replicate). Two statements, not
// "?2 IS NULL OR replicate = ?2": SQLite plans that without knowing ?2 and
// reads every row of the job to find one replicate's.
std::string select_days_sql(bool one_replicate);
// "INSERT INTO simulation_age_totals (...) VALUES (?, ...) ON CONFLICT DO UPDATE":
// one band per execution.
std::string upsert_age_totals_sql();
// "SELECT replicate, band, <age columns> FROM simulation_age_totals ...".
std::string select_age_totals_sql();

}  // namespace outbreak::store::sqlite
