// DayBatch: the days of the replicate being run, and which of them still
// have to be written (internal to the jobs module).
//
// The engine reports a day's r_t only once every agent infected that day
// has stopped being infectious, so days later than the day itself. The rows
// of the current replicate stay here until it ends: a new day and a day
// whose r_t arrived are pending until the next batch, and since the store
// upserts every column, rewriting a day stores its r_t.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "outbreak/engine/day_totals.hpp"

namespace outbreak::jobs::detail {

class DayBatch {
 public:
  // What take() hands to the store.
  struct Batch {
    std::vector<engine::DayTotals> rows;  // in day order
    std::int64_t new_days = 0;            // rows not written before
  };

  // The replicate whose days are kept (0 before the first start()).
  std::int64_t replicate() const { return replicate_; }
  // Drops the kept days (take() the pending ones first) and keeps those of
  // `replicate` from now on.
  void start(std::int64_t replicate);
  // Adds the next day of the current replicate, pending.
  void add(const engine::DayTotals& totals);
  // Sets the r_t of a day already added and makes it pending; false (and
  // nothing changes) for another replicate or a day not added.
  bool set_r_t(std::int64_t replicate, std::int64_t day, double r_t);
  // Every day of the current replicate added so far, in day order.
  std::span<const engine::DayTotals> days() const { return rows_; }
  // How many rows are pending.
  std::size_t pending() const { return pending_count_; }
  // The pending rows, plus the latest day added when it is not among them,
  // so that the batch's last day (the job's progress) never goes back.
  // Empty when nothing is pending. Nothing is pending afterwards.
  Batch take();

 private:
  std::int64_t replicate_ = 0;
  std::vector<engine::DayTotals> rows_;  // rows_[i].day == i: days come in order from 0
  std::vector<bool> pending_;
  std::size_t pending_count_ = 0;
  std::int64_t new_days_ = 0;
};

}  // namespace outbreak::jobs::detail
