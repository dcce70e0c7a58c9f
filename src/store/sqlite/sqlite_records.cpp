#include "store/sqlite/sqlite_records.hpp"

#include <fmt/format.h>

#include "store/common.hpp"
#include "store/sql_columns.hpp"

namespace outbreak::store::sqlite {

SimulationRecord read_record(const Statement& row) {
  SimulationRecord record;
  record.id = row.text(0);
  record.name = row.text(1);
  record.status = detail::parse_status(row.text(2));
  record.scenario_json = row.text(3);
  record.email = row.optional_text(4);
  record.created_at = parse_time(row.text(5));
  record.started_at = row.optional_time(6);
  record.finished_at = row.optional_time(7);
  record.progress_replicate = row.optional_int64(8);
  record.progress_day = row.optional_int64(9);
  record.days = row.int64(10);
  record.replicates = row.int64(11);
  record.attempts = static_cast<int>(row.int64(12));
  record.max_attempts = static_cast<int>(row.int64(13));
  record.error = row.optional_text(14);
  record.worker_id = row.optional_text(15);
  record.lease_expires_at = row.optional_time(16);
  record.cancel_requested = row.int64(17) != 0;
  record.claims = static_cast<int>(row.int64(18));
  record.link_base = row.optional_text(19);
  return record;
}

std::string upsert_day_sql() {
  return fmt::format(
      "INSERT INTO simulation_days (simulation_id, replicate, {}) VALUES (?, ?, {}) "
      "ON CONFLICT (simulation_id, replicate, day) DO UPDATE SET {}",
      detail::days_table_columns(), detail::placeholders(detail::kDayColumnCount + 1),
      detail::days_table_excluded_assignments());
}

std::string insert_summary_sql() {
  return fmt::format(
      "INSERT INTO simulation_summary (simulation_id, day, statistic, {}) VALUES (?, ?, ?, {})",
      detail::day_column_list(1), detail::placeholders(detail::kDayColumnCount - 1));
}

std::string select_summary_sql() {
  return fmt::format(
      "SELECT day, statistic, {} FROM simulation_summary WHERE simulation_id = ? ORDER BY day",
      detail::day_column_list(1));
}

std::string select_days_sql(bool one_replicate) {
  return fmt::format(
      "SELECT replicate, {} FROM simulation_days WHERE simulation_id = ?1{} ORDER BY replicate, "
      "day",
      detail::days_table_columns(), one_replicate ? " AND replicate = ?2" : "");
}

std::string upsert_age_totals_sql() {
  return fmt::format(
      "INSERT INTO simulation_age_totals (simulation_id, replicate, band, {}) VALUES (?, ?, ?, {}) "
      "ON CONFLICT (simulation_id, replicate, band) DO UPDATE SET {}",
      detail::age_column_list(), detail::placeholders(detail::kAgeColumns.size()),
      detail::excluded_age_assignments());
}

std::string select_age_totals_sql() {
  return fmt::format(
      "SELECT replicate, band, {} FROM simulation_age_totals WHERE simulation_id = ? ORDER BY "
      "replicate, band",
      detail::age_column_list());
}

}  // namespace outbreak::store::sqlite
