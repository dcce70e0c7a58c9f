// SqlStore: writing and reading results, counts and retention.
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "store/common.hpp"
#include "store/core/sql.hpp"
#include "store/core/sql_store.hpp"
#include "store/sql_columns.hpp"

namespace outbreak::store::core {
namespace {

// A real that may be unknown: NULL for NaN.
Value real_value(double value) {
  if (std::isnan(value)) return std::monostate{};
  return value;
}

double real_or_nan(const Rows& row, int column) {
  return row.is_null(column) ? std::numeric_limits<double>::quiet_NaN() : row.real(column);
}

// The rows of simulation_days for `rows` of one replicate, upserted by
// (simulation_id, replicate, day).
RowBatch day_batch(std::string_view id, std::int64_t replicate,
                   std::span<const engine::DayTotals> rows) {
  RowBatch batch{"simulation_days", {}, {"simulation_id", "replicate", "day"}, {}};
  batch.columns.push_back({"simulation_id", ColumnType::kText});
  batch.columns.push_back({"replicate", ColumnType::kInt64});
  for (const auto& column : engine::kDayColumns) {
    batch.columns.push_back(
        {column.name, column.member != nullptr ? ColumnType::kInt64 : ColumnType::kReal});
  }
  batch.columns.push_back({detail::kActiveColumn, ColumnType::kText});
  batch.values.reserve(rows.size() * batch.columns.size());
  const std::string simulation(id);
  for (const auto& row : rows) {
    batch.values.emplace_back(simulation);
    batch.values.emplace_back(replicate);
    for (const auto& column : engine::kDayColumns) {
      if (column.member != nullptr) {
        batch.values.emplace_back(row.*column.member);
      } else {
        batch.values.push_back(real_value(row.*column.real));
      }
    }
    batch.values.emplace_back(detail::active_ids_text(row.active));
  }
  return batch;
}

RowBatch age_batch(std::string_view id, std::int64_t replicate, const engine::AgeTotals& totals) {
  RowBatch batch{"simulation_age_totals", {}, {"simulation_id", "replicate", "band"}, {}};
  batch.columns = {{"simulation_id", ColumnType::kText},
                   {"replicate", ColumnType::kInt64},
                   {"band", ColumnType::kInt64}};
  for (const auto& [name, series] : detail::kAgeColumns) {
    batch.columns.push_back({name, ColumnType::kInt64});
  }
  const std::string simulation(id);
  for (std::size_t band = 0; band < engine::kAgeBands; ++band) {
    batch.values.emplace_back(simulation);
    batch.values.emplace_back(replicate);
    batch.values.emplace_back(static_cast<std::int64_t>(band));
    for (const auto& [name, series] : detail::kAgeColumns) {
      batch.values.emplace_back((totals.*series)[band]);
    }
  }
  return batch;
}

RowBatch figures_batch(std::string_view id, const RunFigures& f) {
  RowBatch batch{"simulation_figures", {}, {"simulation_id", "replicate"}, {}};
  batch.columns = {
      {"simulation_id", ColumnType::kText},      {"replicate", ColumnType::kInt64},
      {"peak_infected", ColumnType::kInt64},     {"peak_day", ColumnType::kInt64},
      {"total_infected", ColumnType::kInt64},    {"dead", ColumnType::kInt64},
      {"peak_hospitalized", ColumnType::kInt64}, {"peak_hospitalized_day", ColumnType::kInt64},
      {"infected_at_end", ColumnType::kInt64},   {"new_infections_last_7_days", ColumnType::kInt64},
      {"still_spreading", ColumnType::kBool},    {"ended_on_day", ColumnType::kInt64}};
  batch.values = {std::string(id),     f.replicate,
                  f.peak_infected,     f.peak_day,
                  f.total_infected,    f.dead,
                  f.peak_hospitalized, f.peak_hospitalized_day,
                  f.infected_at_end,   f.new_infections_last_7_days,
                  f.still_spreading,   nullable(f.ended_on_day)};
  return batch;
}

RowBatch summary_batch(std::string_view id, std::string_view statistic,
                       const std::vector<engine::DayValues>& series) {
  RowBatch batch{"simulation_summary", {}, {}, {}};
  batch.columns = {{"simulation_id", ColumnType::kText},
                   {"day", ColumnType::kInt64},
                   {"statistic", ColumnType::kText}};
  for (std::size_t c = 1; c < detail::kDayColumnCount; ++c) {
    batch.columns.push_back({engine::kDayColumns[c].name, ColumnType::kReal});
  }
  const std::string simulation(id);
  for (std::size_t day = 0; day < series.size(); ++day) {
    batch.values.emplace_back(simulation);
    batch.values.emplace_back(static_cast<std::int64_t>(day));
    batch.values.emplace_back(std::string(statistic));
    for (std::size_t c = 1; c < detail::kDayColumnCount; ++c) {
      // A count's statistic is never unknown; only the reals (r_t) may be.
      batch.values.push_back(detail::is_real_column(c) ? real_value(series[day][c])
                                                       : Value(series[day][c]));
    }
  }
  return batch;
}

// The day columns and the active items of a row of select_days.
engine::DayTotals read_day(const Rows& row) {
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
    if (!ids) throw Fault(FaultKind::kData, ids.error().message);
    totals.active = *ids;
  }
  return totals;
}

}  // namespace

Result<LeaseState> SqlStore::write_days(std::string_view id, std::string_view worker_id,
                                        std::int64_t replicate,
                                        std::span<const engine::DayTotals> rows, Duration lease,
                                        TimePoint now) {
  if (auto valid = detail::validate_days(replicate, rows); !valid) return valid.error();
  return transaction<LeaseState>(TxnMode::kWrite, [&]() -> Result<LeaseState> {
    std::int64_t held = 0;
    if (rows.empty()) {
      held = execute(sql_->renew, {now + lease, std::string(id), std::string(worker_id)});
    } else {
      const auto last = std::max_element(rows.begin(), rows.end(),
                                         [](auto& a, auto& b) { return a.day < b.day; });
      held = execute(sql_->renew_progress,
                     {now + lease, replicate, last->day, std::string(id), std::string(worker_id)});
    }
    if (held == 0) return lease_lost_error(id, worker_id);
    auto state = query(sql_->cancel_requested, {std::string(id)});
    const LeaseState lease_state{state->next() && state->boolean(0)};
    state.reset();
    if (!rows.empty()) backend_.session->write_batch(day_batch(id, replicate, rows));
    return lease_state;
  });
}

Status SqlStore::write_age_totals(std::string_view id, std::string_view worker_id,
                                  std::int64_t replicate, const engine::AgeTotals& totals) {
  if (auto valid = detail::validate_replicate(replicate); !valid) return valid;
  return transaction<Ok>(TxnMode::kWrite, [&]() -> Status {
    if (!holds(id, worker_id)) return lease_lost_error(id, worker_id);
    backend_.session->write_batch(age_batch(id, replicate, totals));
    return Ok{};
  });
}

Status SqlStore::write_figures(std::string_view id, std::string_view worker_id,
                               const RunFigures& figures) {
  if (auto valid = detail::validate_replicate(figures.replicate); !valid) return valid;
  return transaction<Ok>(TxnMode::kWrite, [&]() -> Status {
    if (!holds(id, worker_id)) return lease_lost_error(id, worker_id);
    backend_.session->write_batch(figures_batch(id, figures));
    return Ok{};
  });
}

Status SqlStore::write_summary(std::string_view id, std::string_view worker_id,
                               const engine::Summary& summary) {
  if (auto valid = detail::validate(summary); !valid) return valid;
  return transaction<Ok>(TxnMode::kWrite, [&]() -> Status {
    if (!holds(id, worker_id)) return lease_lost_error(id, worker_id);
    execute(sql_->remove_results[3], {std::string(id)});
    for (const auto& [name, series] : detail::kStatistics) {
      if ((summary.*series).empty()) continue;
      backend_.session->write_batch(summary_batch(id, name, summary.*series));
    }
    return Ok{};
  });
}

Result<std::vector<DayRow>> SqlStore::results(std::string_view id,
                                              std::optional<std::int64_t> replicate) {
  using Rows_ = std::vector<DayRow>;
  return call<Rows_>([&]() -> Result<Rows_> {
    if (!exists(id)) return detail::not_found(id);
    auto rows = replicate ? query(sql_->select_days_of, {std::string(id), *replicate})
                          : query(sql_->select_days, {std::string(id)});
    Rows_ out;
    while (rows->next()) out.push_back(DayRow{rows->int64(0), read_day(*rows)});
    return out;
  });
}

Result<engine::Summary> SqlStore::summary(std::string_view id) {
  return call<engine::Summary>([&]() -> Result<engine::Summary> {
    if (!exists(id)) return detail::not_found(id);
    auto rows = query(sql_->select_summary, {std::string(id)});
    engine::Summary summary;
    while (rows->next()) {
      engine::DayValues values{};
      values[0] = static_cast<double>(rows->int64(0));
      for (std::size_t c = 1; c < detail::kDayColumnCount; ++c) {
        values[c] = real_or_nan(*rows, static_cast<int>(c) + 1);
      }
      const std::string statistic = rows->text(1);
      for (const auto& [name, series] : detail::kStatistics) {
        if (name == statistic) (summary.*series).push_back(values);
      }
    }
    return summary;
  });
}

Result<std::vector<AgeTotalsRow>> SqlStore::age_totals(std::string_view id) {
  using Rows_ = std::vector<AgeTotalsRow>;
  return call<Rows_>([&]() -> Result<Rows_> {
    if (!exists(id)) return detail::not_found(id);
    auto rows = query(sql_->select_age_totals, {std::string(id)});
    Rows_ out;
    while (rows->next()) {
      const std::int64_t replicate = rows->int64(0);
      const auto band = static_cast<std::size_t>(rows->int64(1));
      if (band >= engine::kAgeBands) continue;  // the CHECK constraint makes this impossible
      if (out.empty() || out.back().replicate != replicate) out.push_back({replicate, {}});
      for (std::size_t c = 0; c < detail::kAgeColumns.size(); ++c) {
        (out.back().totals.*detail::kAgeColumns[c].second)[band] =
            rows->int64(static_cast<int>(c) + 2);
      }
    }
    return out;
  });
}

Result<std::vector<RunFigures>> SqlStore::figures(std::string_view id) {
  using Rows_ = std::vector<RunFigures>;
  return call<Rows_>([&]() -> Result<Rows_> {
    if (!exists(id)) return detail::not_found(id);
    auto rows = query(sql_->select_figures, {std::string(id)});
    Rows_ out;
    while (rows->next()) {
      RunFigures f;
      f.replicate = rows->int64(0);
      f.peak_infected = rows->int64(1);
      f.peak_day = rows->int64(2);
      f.total_infected = rows->int64(3);
      f.dead = rows->int64(4);
      f.peak_hospitalized = rows->int64(5);
      f.peak_hospitalized_day = rows->int64(6);
      f.infected_at_end = rows->int64(7);
      f.new_infections_last_7_days = rows->int64(8);
      f.still_spreading = rows->boolean(9);
      f.ended_on_day = rows->optional_int64(10);
      out.push_back(f);
    }
    return out;
  });
}

Result<std::optional<std::int64_t>> SqlStore::queue_position(std::string_view id) {
  using Position = std::optional<std::int64_t>;
  return call<Position>([&]() -> Result<Position> {
    // The claim order: created_at, then id.
    auto rows = query(
        "SELECT s.status, (SELECT COUNT(*) FROM simulations o WHERE o.status = 'queued' AND "
        "(o.created_at < s.created_at OR (o.created_at = s.created_at AND o.id < s.id))) + 1 FROM "
        "simulations s WHERE s.id = ?",
        {std::string(id)});
    if (!rows->next()) return detail::not_found(id);
    if (rows->text(0) != "queued") return Position{};
    return Position{rows->int64(1)};
  });
}

Result<StatusCounts> SqlStore::count_by_status() {
  return call<StatusCounts>([&]() -> Result<StatusCounts> {
    auto rows = query("SELECT status, COUNT(*) FROM simulations GROUP BY status");
    StatusCounts counts;
    while (rows->next()) detail::count_status(rows->text(0), rows->int64(1), counts);
    return counts;
  });
}

Result<std::int64_t> SqlStore::delete_finished_before(TimePoint cutoff, int limit) {
  if (limit < 1) return Error::invalid(fmt::format("limit must be ≥ 1, got {}", limit));
  return transaction<std::int64_t>(TxnMode::kWrite, [&]() -> Result<std::int64_t> {
    std::vector<std::string> ids;
    {
      auto rows = query(sql_->finished_before, {cutoff, std::int64_t{limit}});
      while (rows->next()) ids.push_back(rows->text(0));
    }
    // The foreign keys cascade to the days, totals, summary and outbox.
    std::int64_t deleted = 0;
    for (const auto& id : ids) deleted += execute("DELETE FROM simulations WHERE id = ?", {id});
    return deleted;
  });
}

}  // namespace outbreak::store::core
