// SqliteStore: writing and reading results.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "store/common.hpp"
#include "store/sql_columns.hpp"
#include "store/sqlite/sqlite_records.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace outbreak::store::sqlite {
namespace {

constexpr std::string_view kRenewSql =
    "UPDATE simulations SET lease_expires_at = ?1, progress_replicate = COALESCE(?2, "
    "progress_replicate), progress_day = COALESCE(?3, progress_day) WHERE id = ?4 AND "
    "worker_id = ?5 AND status = 'running' RETURNING cancel_requested";

// A real column's value, NULL when unknown (NaN).
void bind_real(Statement& statement, int index, double value) {
  if (std::isnan(value)) {
    statement.bind_null(index);
  } else {
    statement.bind(index, value);
  }
}

void upsert_days(Database& db, std::string_view id, std::int64_t replicate,
                 std::span<const engine::DayTotals> rows) {
  Statement upsert(db, upsert_day_sql());
  for (const auto& row : rows) {
    upsert.bind(1, id).bind(2, replicate);
    for (std::size_t c = 0; c < detail::kDayColumnCount; ++c) {
      const engine::DayColumn& column = engine::kDayColumns[c];
      const int index = static_cast<int>(c) + 3;
      if (column.member != nullptr) {
        upsert.bind(index, row.*column.member);
      } else {
        bind_real(upsert, index, row.*column.real);
      }
    }
    const std::string active = detail::active_ids_text(row.active);
    upsert.bind(static_cast<int>(detail::kDayColumnCount) + 3, std::string_view(active));
    upsert.run();
    upsert.reset();
  }
}

// Column `column` of the current row as a real, NaN for NULL.
double real_or_nan(const Statement& row, int column) {
  return row.is_null(column) ? std::numeric_limits<double>::quiet_NaN() : row.real(column);
}

// The day columns and the active items of the current row of
// select_days_sql().
Result<engine::DayTotals> read_day(const Statement& row) {
  engine::DayTotals totals;
  for (std::size_t c = 0; c < detail::kDayColumnCount; ++c) {
    const engine::DayColumn& column = engine::kDayColumns[c];
    const int index = static_cast<int>(c) + 1;
    if (column.member != nullptr) {
      totals.*column.member = row.int64(index);
    } else {
      totals.*column.real = real_or_nan(row, index);
    }
  }
  const int active = static_cast<int>(detail::kDayColumnCount) + 1;
  if (!row.is_null(active)) {
    auto ids = detail::parse_active_ids(row.text(active));
    if (!ids) return ids.error();
    totals.active = *ids;
  }
  return totals;
}

bool exists(Database& db, std::string_view id) {
  Statement select(db, "SELECT 1 FROM simulations WHERE id = ?");
  return select.bind(1, id).step();
}

}  // namespace

Result<LeaseState> SqliteStore::write_days(std::string_view id, std::string_view worker_id,
                                           std::int64_t replicate,
                                           std::span<const engine::DayTotals> rows, Duration lease,
                                           TimePoint now) {
  if (auto valid = detail::validate_days(replicate, rows); !valid) return valid.error();
  return locked<LeaseState>([&]() -> Result<LeaseState> {
    Transaction txn(*db_);
    LeaseState state;
    {
      Statement update(*db_, kRenewSql);
      update.bind(1, now + lease).bind(4, id).bind(5, worker_id);
      if (!rows.empty()) {
        const auto last = std::max_element(rows.begin(), rows.end(),
                                           [](auto& a, auto& b) { return a.day < b.day; });
        update.bind(2, replicate).bind(3, last->day);
      }
      if (!update.step()) return lease_lost_error(id, worker_id);
      state.cancel_requested = update.int64(0) != 0;
      update.run();
    }
    upsert_days(*db_, id, replicate, rows);
    txn.commit();
    return state;
  });
}

Status SqliteStore::write_age_totals(std::string_view id, std::string_view worker_id,
                                     std::int64_t replicate, const engine::AgeTotals& totals) {
  if (auto valid = detail::validate_replicate(replicate); !valid) return valid;
  return locked<Ok>([&]() -> Status {
    Transaction txn(*db_);
    if (!holds(id, worker_id)) return lease_lost_error(id, worker_id);
    Statement upsert(*db_, upsert_age_totals_sql());
    for (std::size_t band = 0; band < engine::kAgeBands; ++band) {
      upsert.bind(1, id).bind(2, replicate).bind(3, static_cast<std::int64_t>(band));
      for (std::size_t c = 0; c < detail::kAgeColumns.size(); ++c) {
        upsert.bind(static_cast<int>(c) + 4, (totals.*detail::kAgeColumns[c].second)[band]);
      }
      upsert.run();
      upsert.reset();
    }
    txn.commit();
    return Ok{};
  });
}

Status SqliteStore::write_figures(std::string_view id, std::string_view worker_id,
                                  const RunFigures& figures) {
  if (auto valid = detail::validate_replicate(figures.replicate); !valid) return valid;
  return locked<Ok>([&]() -> Status {
    Transaction txn(*db_);
    if (!holds(id, worker_id)) return lease_lost_error(id, worker_id);
    Statement upsert(*db_, fmt::format("INSERT OR REPLACE INTO simulation_figures (simulation_id, "
                                       "replicate, {}) VALUES (?, ?, {})",
                                       detail::kFigureColumns, detail::placeholders(10)));
    upsert.bind(1, id)
        .bind(2, figures.replicate)
        .bind(3, figures.peak_infected)
        .bind(4, figures.peak_day)
        .bind(5, figures.total_infected)
        .bind(6, figures.dead)
        .bind(7, figures.peak_hospitalized)
        .bind(8, figures.peak_hospitalized_day)
        .bind(9, figures.infected_at_end)
        .bind(10, figures.new_infections_last_7_days)
        .bind(11, std::int64_t{figures.still_spreading ? 1 : 0});
    if (figures.ended_on_day) {
      upsert.bind(12, *figures.ended_on_day);
    } else {
      upsert.bind_null(12);
    }
    upsert.run();
    txn.commit();
    return Ok{};
  });
}

Status SqliteStore::write_summary(std::string_view id, std::string_view worker_id,
                                  const engine::Summary& summary) {
  if (auto valid = detail::validate(summary); !valid) return valid;
  return locked<Ok>([&]() -> Status {
    Transaction txn(*db_);
    if (!holds(id, worker_id)) return lease_lost_error(id, worker_id);
    Statement remove(*db_, "DELETE FROM simulation_summary WHERE simulation_id = ?");
    remove.bind(1, id).run();
    Statement insert(*db_, insert_summary_sql());
    for (const auto& [name, series] : detail::kStatistics) {
      const auto& values = summary.*series;
      for (std::size_t day = 0; day < values.size(); ++day) {
        insert.bind(1, id).bind(2, static_cast<std::int64_t>(day)).bind(3, name);
        for (std::size_t c = 1; c < detail::kDayColumnCount; ++c) {
          if (detail::is_real_column(c)) {
            bind_real(insert, static_cast<int>(c) + 3, values[day][c]);
          } else {
            insert.bind(static_cast<int>(c) + 3, values[day][c]);
          }
        }
        insert.run();
        insert.reset();
      }
    }
    txn.commit();
    return Ok{};
  });
}

Result<std::vector<DayRow>> SqliteStore::results(std::string_view id,
                                                 std::optional<std::int64_t> replicate) {
  using Rows = std::vector<DayRow>;
  return locked<Rows>([&]() -> Result<Rows> {
    if (!exists(*db_, id)) return detail::not_found(id);
    Statement select(*db_, select_days_sql(replicate.has_value()));
    select.bind(1, id);
    if (replicate) select.bind(2, *replicate);
    Rows rows;
    while (select.step()) {
      auto totals = read_day(select);
      if (!totals) return totals.error();
      rows.push_back(DayRow{select.int64(0), *totals});
    }
    return rows;
  });
}

Result<engine::Summary> SqliteStore::summary(std::string_view id) {
  return locked<engine::Summary>([&]() -> Result<engine::Summary> {
    if (!exists(*db_, id)) return detail::not_found(id);
    Statement select(*db_, select_summary_sql());
    select.bind(1, id);
    engine::Summary summary;
    while (select.step()) {
      engine::DayValues values{};
      values[0] = static_cast<double>(select.int64(0));
      for (std::size_t c = 1; c < detail::kDayColumnCount; ++c) {
        values[c] = real_or_nan(select, static_cast<int>(c) + 1);
      }
      const auto statistic = select.text(1);
      for (const auto& [name, series] : detail::kStatistics) {
        if (name == statistic) (summary.*series).push_back(values);
      }
    }
    return summary;
  });
}

Result<std::vector<AgeTotalsRow>> SqliteStore::age_totals(std::string_view id) {
  using Rows = std::vector<AgeTotalsRow>;
  return locked<Rows>([&]() -> Result<Rows> {
    if (!exists(*db_, id)) return detail::not_found(id);
    Statement select(*db_, select_age_totals_sql());
    select.bind(1, id);
    Rows rows;
    while (select.step()) {
      const std::int64_t replicate = select.int64(0);
      const auto band = static_cast<std::size_t>(select.int64(1));
      if (band >= engine::kAgeBands) continue;  // the CHECK constraint makes this impossible
      if (rows.empty() || rows.back().replicate != replicate) rows.push_back({replicate, {}});
      for (std::size_t c = 0; c < detail::kAgeColumns.size(); ++c) {
        (rows.back().totals.*detail::kAgeColumns[c].second)[band] =
            select.int64(static_cast<int>(c) + 2);
      }
    }
    return rows;
  });
}

Result<std::vector<RunFigures>> SqliteStore::figures(std::string_view id) {
  using Rows = std::vector<RunFigures>;
  return locked<Rows>([&]() -> Result<Rows> {
    if (!exists(*db_, id)) return detail::not_found(id);
    Statement select(*db_, fmt::format("SELECT replicate, {} FROM simulation_figures WHERE "
                                       "simulation_id = ? ORDER BY replicate",
                                       detail::kFigureColumns));
    select.bind(1, id);
    Rows rows;
    while (select.step()) {
      RunFigures f;
      f.replicate = select.int64(0);
      f.peak_infected = select.int64(1);
      f.peak_day = select.int64(2);
      f.total_infected = select.int64(3);
      f.dead = select.int64(4);
      f.peak_hospitalized = select.int64(5);
      f.peak_hospitalized_day = select.int64(6);
      f.infected_at_end = select.int64(7);
      f.new_infections_last_7_days = select.int64(8);
      f.still_spreading = select.int64(9) != 0;
      if (!select.is_null(10)) f.ended_on_day = select.int64(10);
      rows.push_back(f);
    }
    return rows;
  });
}

Result<std::optional<std::int64_t>> SqliteStore::queue_position(std::string_view id) {
  using Position = std::optional<std::int64_t>;
  return locked<Position>([&]() -> Result<Position> {
    if (!exists(*db_, id)) return detail::not_found(id);
    // The claim order: created_at, then id.
    Statement select(*db_,
                     "SELECT (SELECT count(*) FROM simulations o WHERE o.status = 'queued' AND "
                     "(o.created_at < s.created_at OR (o.created_at = s.created_at AND o.id < "
                     "s.id))) + 1 FROM simulations s WHERE s.id = ? AND s.status = 'queued'");
    select.bind(1, id);
    if (!select.step()) return Position{};
    return Position{select.int64(0)};
  });
}

}  // namespace outbreak::store::sqlite
