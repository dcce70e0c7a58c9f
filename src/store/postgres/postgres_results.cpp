// PostgresStore: writing and reading results. Batches go in as one
// INSERT ... SELECT FROM unnest(array parameters): bound parameters, one
// statement per batch whatever its size.
#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>

#include "store/common.hpp"
#include "store/postgres/postgres_records.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sql_columns.hpp"

namespace outbreak::store::postgres {
namespace {

// "$first::TYPE[], $first+1::TYPE[], ..." for `count` array parameters.
std::string array_params(int first, std::size_t count, std::string_view type) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out += fmt::format("{}${}::{}[]", i == 0 ? "" : ", ", first + static_cast<int>(i), type);
  }
  return out;
}

// The array parameters of the day columns, from $first: BIGINT[] for the
// counts, DOUBLE PRECISION[] for the reals; then TEXT[] for the active items.
std::string day_array_params(int first) {
  std::string out;
  for (std::size_t c = 0; c < detail::kDayColumnCount; ++c) {
    out += fmt::format("{}${}::{}[]", c == 0 ? "" : ", ", first + static_cast<int>(c),
                       detail::is_real_column(c) ? "DOUBLE PRECISION" : "BIGINT");
  }
  out += fmt::format(", ${}::TEXT[]", first + static_cast<int>(detail::kDayColumnCount));
  return out;
}

std::string insert_summary_sql() {
  return fmt::format(
      "INSERT INTO simulation_summary (simulation_id, statistic, {}) SELECT $1, $2, * FROM "
      "unnest({}, {})",
      detail::day_column_list(0), array_params(3, 1, "BIGINT"),
      array_params(4, detail::kDayColumnCount - 1, "DOUBLE PRECISION"));
}

std::string upsert_age_totals_sql() {
  return fmt::format(
      "INSERT INTO simulation_age_totals (simulation_id, replicate, band, {}) SELECT $1, $2, * "
      "FROM unnest({}, {}) ON CONFLICT (simulation_id, replicate, band) DO UPDATE SET {}",
      detail::age_column_list(), array_params(3, 1, "INTEGER"),
      array_params(4, detail::kAgeColumns.size(), "BIGINT"), detail::excluded_age_assignments());
}

std::vector<std::string> day_arrays(std::span<const engine::DayTotals> rows) {
  std::vector<std::string> arrays;
  for (const auto& column : engine::kDayColumns) {
    if (column.member != nullptr) {
      std::vector<std::int64_t> values;
      values.reserve(rows.size());
      for (const auto& row : rows) values.push_back(row.*column.member);
      arrays.push_back(int_array(values));
    } else {
      std::vector<double> values;
      values.reserve(rows.size());
      for (const auto& row : rows) values.push_back(row.*column.real);
      arrays.push_back(nullable_double_array(values));
    }
  }
  std::vector<std::string> active;
  active.reserve(rows.size());
  for (const auto& row : rows) active.push_back(detail::active_ids_text(row.active));
  arrays.push_back(text_array(active));
  return arrays;
}

std::vector<std::string> summary_arrays(const std::vector<engine::DayValues>& series) {
  std::vector<std::int64_t> days(series.size());
  for (std::size_t d = 0; d < series.size(); ++d) days[d] = static_cast<std::int64_t>(d);
  std::vector<std::string> arrays{int_array(days)};
  for (std::size_t c = 1; c < detail::kDayColumnCount; ++c) {
    std::vector<double> values;
    values.reserve(series.size());
    for (const auto& day : series) values.push_back(day[c]);
    arrays.push_back(detail::is_real_column(c) ? nullable_double_array(values)
                                               : double_array(values));
  }
  return arrays;
}

std::vector<std::string> age_arrays(const engine::AgeTotals& totals) {
  std::vector<std::int64_t> bands(engine::kAgeBands);
  for (std::size_t b = 0; b < bands.size(); ++b) bands[b] = static_cast<std::int64_t>(b);
  std::vector<std::string> arrays{int_array(bands)};
  for (const auto& [name, series] : detail::kAgeColumns) {
    const auto& values = totals.*series;
    arrays.push_back(int_array(std::vector<std::int64_t>(values.begin(), values.end())));
  }
  return arrays;
}

double real_or_nan(const pqxx::field& field) {
  return field.is_null() ? std::numeric_limits<double>::quiet_NaN() : field.as<double>();
}

// The day columns and the active items of a row that selected
// days_table_columns() from column 1 on.
Result<engine::DayTotals> read_day(const pqxx::row& row) {
  engine::DayTotals totals;
  for (std::size_t c = 0; c < detail::kDayColumnCount; ++c) {
    const engine::DayColumn& column = engine::kDayColumns[c];
    const pqxx::field field = row[static_cast<int>(c) + 1];
    if (column.member != nullptr) {
      totals.*column.member = field.as<std::int64_t>();
    } else {
      totals.*column.real = real_or_nan(field);
    }
  }
  const pqxx::field active = row[static_cast<int>(detail::kDayColumnCount) + 1];
  if (!active.is_null()) {
    auto ids = detail::parse_active_ids(std::string_view(active.c_str(), active.size()));
    if (!ids) return ids.error();
    totals.active = *ids;
  }
  return totals;
}

// Takes the row lock of a held job for the rest of `txn`; false if not held.
bool lock_held(pqxx::work& txn, std::string_view id, std::string_view worker_id) {
  return !txn.exec_params(
                 "SELECT 1 FROM simulations WHERE id = $1 AND worker_id = $2 AND status = "
                 "'running' FOR UPDATE",
                 std::string(id), std::string(worker_id))
              .empty();
}

bool exists(pqxx::work& txn, std::string_view id) {
  return !txn.exec_params("SELECT 1 FROM simulations WHERE id = $1", std::string(id)).empty();
}

}  // namespace

Result<LeaseState> PostgresStore::write_days(std::string_view id, std::string_view worker_id,
                                             std::int64_t replicate,
                                             std::span<const engine::DayTotals> rows,
                                             Duration lease, TimePoint now) {
  if (auto valid = detail::validate_days(replicate, rows); !valid) return valid.error();
  std::optional<std::int64_t> last_day;
  if (!rows.empty()) {
    last_day = std::max_element(rows.begin(), rows.end(), [](auto& a, auto& b) {
                 return a.day < b.day;
               })->day;
  }
  const auto progress_replicate = last_day ? std::optional<std::int64_t>(replicate) : std::nullopt;
  // One statement, so one round trip: the lease check and progress update,
  // and the rows, inserted only if the lease is held.
  static const std::string renew_sql = fmt::format(
      "UPDATE simulations SET lease_expires_at = {}, progress_replicate = COALESCE($4, "
      "progress_replicate), progress_day = COALESCE($5, progress_day) WHERE id = $1 AND "
      "worker_id = $2 AND status = 'running' RETURNING cancel_requested",
      ts(3));
  static const std::string write_sql = fmt::format(
      "WITH held AS ({}), rows AS (INSERT INTO simulation_days (simulation_id, replicate, {}) "
      "SELECT $1, $6, * FROM unnest({}) WHERE EXISTS (SELECT 1 FROM held) ON CONFLICT "
      "(simulation_id, replicate, day) DO UPDATE SET {}) SELECT cancel_requested FROM held",
      renew_sql, detail::days_table_columns(), day_array_params(7),
      detail::days_table_excluded_assignments());
  return guarded<LeaseState>([&]() -> Result<LeaseState> {
    pqxx::nontransaction txn(*conn_);
    const pqxx::result held =
        rows.empty() ? txn.exec_params(renew_sql, std::string(id), std::string(worker_id),
                                       micros(now + lease), progress_replicate, last_day)
                     : txn.exec_params(write_sql, std::string(id), std::string(worker_id),
                                       micros(now + lease), progress_replicate, last_day, replicate,
                                       pqxx::prepare::make_dynamic_params(day_arrays(rows)));
    if (held.empty()) return lease_lost_error(id, worker_id);
    return LeaseState{held[0][0].as<bool>()};
  });
}

Status PostgresStore::write_age_totals(std::string_view id, std::string_view worker_id,
                                       std::int64_t replicate, const engine::AgeTotals& totals) {
  if (auto valid = detail::validate_replicate(replicate); !valid) return valid;
  static const std::string sql = upsert_age_totals_sql();
  return guarded<Ok>([&]() -> Status {
    pqxx::work txn(*conn_);
    if (!lock_held(txn, id, worker_id)) return lease_lost_error(id, worker_id);
    txn.exec_params(sql, std::string(id), replicate,
                    pqxx::prepare::make_dynamic_params(age_arrays(totals)));
    txn.commit();
    return Ok{};
  });
}

Status PostgresStore::write_figures(std::string_view id, std::string_view worker_id,
                                    const RunFigures& figures) {
  if (auto valid = detail::validate_replicate(figures.replicate); !valid) return valid;
  static const std::string sql = fmt::format(
      "INSERT INTO simulation_figures (simulation_id, replicate, {}) VALUES ($1, $2, "
      "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12::BIGINT) ON CONFLICT (simulation_id, "
      "replicate) DO UPDATE SET ({}) = ROW({})",
      detail::kFigureColumns, detail::kFigureColumns,
      "excluded.peak_infected, excluded.peak_day, excluded.total_infected, "
      "excluded.dead, excluded.peak_hospitalized, excluded.peak_hospitalized_day, "
      "excluded.infected_at_end, excluded.new_infections_last_7_days, "
      "excluded.still_spreading, excluded.ended_on_day");
  // NULL for a run that did not settle.
  const std::string ended = figures.ended_on_day ? std::to_string(*figures.ended_on_day) : "";
  return guarded<Ok>([&]() -> Status {
    pqxx::work txn(*conn_);
    if (!lock_held(txn, id, worker_id)) return lease_lost_error(id, worker_id);
    txn.exec_params(sql, std::string(id), figures.replicate, figures.peak_infected,
                    figures.peak_day, figures.total_infected, figures.dead,
                    figures.peak_hospitalized, figures.peak_hospitalized_day,
                    figures.infected_at_end, figures.new_infections_last_7_days,
                    figures.still_spreading,
                    figures.ended_on_day ? ended.c_str() : static_cast<const char*>(nullptr));
    txn.commit();
    return Ok{};
  });
}

Status PostgresStore::write_summary(std::string_view id, std::string_view worker_id,
                                    const engine::Summary& summary) {
  if (auto valid = detail::validate(summary); !valid) return valid;
  return guarded<Ok>([&]() -> Status {
    pqxx::work txn(*conn_);
    if (!lock_held(txn, id, worker_id)) return lease_lost_error(id, worker_id);
    txn.exec_params("DELETE FROM simulation_summary WHERE simulation_id = $1", std::string(id));
    for (const auto& [name, series] : detail::kStatistics) {
      if ((summary.*series).empty()) continue;
      const auto arrays = summary_arrays(summary.*series);
      txn.exec_params(insert_summary_sql(), std::string(id), std::string(name),
                      pqxx::prepare::make_dynamic_params(arrays));
    }
    txn.commit();
    return Ok{};
  });
}

Result<std::vector<DayRow>> PostgresStore::results(std::string_view id,
                                                   std::optional<std::int64_t> replicate) {
  using Rows = std::vector<DayRow>;
  return guarded<Rows>([&]() -> Result<Rows> {
    pqxx::work txn(*conn_);
    if (!exists(txn, id)) return detail::not_found(id);
    const auto result = txn.exec_params(
        fmt::format("SELECT replicate, {} FROM simulation_days WHERE simulation_id = $1 AND ($2::"
                    "BIGINT IS NULL OR replicate = $2) ORDER BY replicate, day",
                    detail::days_table_columns()),
        std::string(id), replicate);
    Rows rows;
    rows.reserve(result.size());
    for (const auto& r : result) {
      auto totals = read_day(r);
      if (!totals) return totals.error();
      rows.push_back(DayRow{r[0].as<std::int64_t>(), *totals});
    }
    return rows;
  });
}

Result<engine::Summary> PostgresStore::summary(std::string_view id) {
  return guarded<engine::Summary>([&]() -> Result<engine::Summary> {
    pqxx::work txn(*conn_);
    if (!exists(txn, id)) return detail::not_found(id);
    const auto result = txn.exec_params(
        fmt::format("SELECT day, statistic, {} FROM simulation_summary WHERE simulation_id = $1 "
                    "ORDER BY day",
                    detail::day_column_list(1)),
        std::string(id));
    engine::Summary summary;
    for (const auto& r : result) {
      engine::DayValues values{};
      values[0] = static_cast<double>(r[0].as<std::int64_t>());
      for (std::size_t c = 1; c < detail::kDayColumnCount; ++c) {
        values[c] = real_or_nan(r[static_cast<int>(c) + 1]);
      }
      const auto statistic = r[1].as<std::string>();
      for (const auto& [name, series] : detail::kStatistics) {
        if (name == statistic) (summary.*series).push_back(values);
      }
    }
    return summary;
  });
}

Result<std::vector<AgeTotalsRow>> PostgresStore::age_totals(std::string_view id) {
  using Rows = std::vector<AgeTotalsRow>;
  return guarded<Rows>([&]() -> Result<Rows> {
    pqxx::work txn(*conn_);
    if (!exists(txn, id)) return detail::not_found(id);
    const auto result = txn.exec_params(
        fmt::format("SELECT replicate, band, {} FROM simulation_age_totals WHERE simulation_id = "
                    "$1 ORDER BY replicate, band",
                    detail::age_column_list()),
        std::string(id));
    Rows rows;
    for (const auto& r : result) {
      const auto replicate = r[0].as<std::int64_t>();
      const auto band = r[1].as<std::size_t>();
      if (band >= engine::kAgeBands) continue;  // the CHECK constraint makes this impossible
      if (rows.empty() || rows.back().replicate != replicate) rows.push_back({replicate, {}});
      for (std::size_t c = 0; c < detail::kAgeColumns.size(); ++c) {
        (rows.back().totals.*detail::kAgeColumns[c].second)[band] =
            r[static_cast<int>(c) + 2].as<std::int64_t>();
      }
    }
    return rows;
  });
}

Result<std::vector<RunFigures>> PostgresStore::figures(std::string_view id) {
  using Rows = std::vector<RunFigures>;
  return guarded<Rows>([&]() -> Result<Rows> {
    pqxx::work txn(*conn_);
    if (!exists(txn, id)) return detail::not_found(id);
    static const std::string sql = fmt::format(
        "SELECT replicate, {} FROM simulation_figures WHERE simulation_id = $1 ORDER "
        "BY replicate",
        detail::kFigureColumns);
    const auto result = txn.exec_params(sql, std::string(id));
    Rows rows;
    for (const auto& r : result) {
      RunFigures f;
      f.replicate = r[0].as<std::int64_t>();
      f.peak_infected = r[1].as<std::int64_t>();
      f.peak_day = r[2].as<std::int64_t>();
      f.total_infected = r[3].as<std::int64_t>();
      f.dead = r[4].as<std::int64_t>();
      f.peak_hospitalized = r[5].as<std::int64_t>();
      f.peak_hospitalized_day = r[6].as<std::int64_t>();
      f.infected_at_end = r[7].as<std::int64_t>();
      f.new_infections_last_7_days = r[8].as<std::int64_t>();
      f.still_spreading = r[9].as<bool>();
      if (!r[10].is_null()) f.ended_on_day = r[10].as<std::int64_t>();
      rows.push_back(f);
    }
    return rows;
  });
}

Result<std::optional<std::int64_t>> PostgresStore::queue_position(std::string_view id) {
  using Position = std::optional<std::int64_t>;
  return guarded<Position>([&]() -> Result<Position> {
    pqxx::work txn(*conn_);
    const auto rows = txn.exec_params(
        "SELECT s.status, (SELECT count(*) FROM simulations o WHERE o.status = 'queued' AND "
        "(o.created_at, o.id) < (s.created_at, s.id)) + 1 FROM simulations s WHERE s.id = $1",
        std::string(id));
    if (rows.empty()) return detail::not_found(id);
    if (rows[0][0].as<std::string>() != "queued") return Position{};
    return Position{rows[0][1].as<std::int64_t>()};
  });
}

}  // namespace outbreak::store::postgres
