#include "jobs/day_batch.hpp"

#include <algorithm>

namespace outbreak::jobs::detail {

void DayBatch::start(std::int64_t replicate) {
  replicate_ = replicate;
  rows_.clear();
  pending_.clear();
  pending_count_ = 0;
  new_days_ = 0;
}

void DayBatch::add(const engine::DayTotals& totals) {
  rows_.push_back(totals);
  pending_.push_back(true);
  ++pending_count_;
  ++new_days_;
}

bool DayBatch::set_r_t(std::int64_t replicate, std::int64_t day, double r_t) {
  if (replicate != replicate_ || day < 0) return false;
  auto index = static_cast<std::size_t>(day);
  if (index >= rows_.size() || rows_[index].day != day) {
    // Days come in order from 0, so this is only a safety net.
    const auto found = std::find_if(rows_.begin(), rows_.end(),
                                    [day](const engine::DayTotals& row) { return row.day == day; });
    if (found == rows_.end()) return false;
    index = static_cast<std::size_t>(found - rows_.begin());
  }
  rows_[index].r_t = r_t;
  if (!pending_[index]) {
    pending_[index] = true;
    ++pending_count_;
  }
  return true;
}

DayBatch::Batch DayBatch::take() {
  Batch batch;
  if (pending_count_ == 0) return batch;
  pending_.back() = true;  // the latest day: see take() in the header
  batch.rows.reserve(pending_count_ + 1);
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (pending_[i]) batch.rows.push_back(rows_[i]);
    pending_[i] = false;
  }
  batch.new_days = new_days_;
  pending_count_ = 0;
  new_days_ = 0;
  return batch;
}

}  // namespace outbreak::jobs::detail
