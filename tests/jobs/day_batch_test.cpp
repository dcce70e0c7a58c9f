// The worker's batches of days: a day whose r_t arrives after it was
// written is written again with it, and a batch always ends at the latest
// day so that progress never goes back.
#include "jobs/day_batch.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace outbreak::jobs::detail {
namespace {

engine::DayTotals day(std::int64_t n) {
  engine::DayTotals totals;
  totals.day = n;
  totals.susceptible = 100 - n;
  totals.set_active(static_cast<std::size_t>(60 + n));
  return totals;
}

std::vector<std::int64_t> days_of(const DayBatch::Batch& batch) {
  std::vector<std::int64_t> days;
  for (const auto& row : batch.rows) days.push_back(row.day);
  return days;
}

TEST(DayBatch, NewDaysArePendingInOrder) {
  DayBatch batch;
  for (std::int64_t n = 0; n < 3; ++n) batch.add(day(n));
  EXPECT_EQ(batch.pending(), 3u);
  const DayBatch::Batch taken = batch.take();
  EXPECT_EQ(days_of(taken), (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(taken.new_days, 3);
  EXPECT_TRUE(std::isnan(taken.rows[0].r_t));
  EXPECT_EQ(batch.pending(), 0u);
  EXPECT_TRUE(batch.take().rows.empty());
}

TEST(DayBatch, ALateRtMakesItsDayPendingAgainWithTheLatestDay) {
  DayBatch batch;
  for (std::int64_t n = 0; n < 6; ++n) batch.add(day(n));
  (void)batch.take();
  EXPECT_TRUE(batch.set_r_t(0, 1, 1.5));
  EXPECT_TRUE(batch.set_r_t(0, 3, 0.75));
  EXPECT_EQ(batch.pending(), 2u);
  DayBatch::Batch taken = batch.take();
  EXPECT_EQ(days_of(taken), (std::vector<std::int64_t>{1, 3, 5}));
  EXPECT_EQ(taken.new_days, 0);
  EXPECT_EQ(taken.rows[0].r_t, 1.5);
  EXPECT_EQ(taken.rows[0], [] {  // the whole row, for the upsert: active items too
    auto expected = day(1);
    expected.r_t = 1.5;
    return expected;
  }());
  EXPECT_EQ(taken.rows[1].r_t, 0.75);
  EXPECT_TRUE(std::isnan(taken.rows[2].r_t));

  // A day not written yet just carries its r_t into its first write.
  batch.add(day(6));
  EXPECT_TRUE(batch.set_r_t(0, 6, 2.0));
  EXPECT_TRUE(batch.set_r_t(0, 1, 1.25));  // a correction wins
  EXPECT_EQ(batch.pending(), 2u);
  taken = batch.take();
  EXPECT_EQ(days_of(taken), (std::vector<std::int64_t>{1, 6}));
  EXPECT_EQ(taken.new_days, 1);
  EXPECT_EQ(taken.rows[0].r_t, 1.25);
  EXPECT_EQ(taken.rows[1].r_t, 2.0);
}

TEST(DayBatch, RtOfAnotherReplicateOrAnUnknownDayIsRefused) {
  DayBatch batch;
  batch.add(day(0));
  (void)batch.take();
  EXPECT_FALSE(batch.set_r_t(1, 0, 1.0));
  EXPECT_FALSE(batch.set_r_t(0, 1, 1.0));
  EXPECT_FALSE(batch.set_r_t(0, -1, 1.0));
  EXPECT_EQ(batch.pending(), 0u);

  batch.start(1);
  EXPECT_EQ(batch.replicate(), 1);
  EXPECT_FALSE(batch.set_r_t(1, 0, 1.0));  // the previous replicate's days are gone
  batch.add(day(0));
  EXPECT_TRUE(batch.set_r_t(1, 0, 1.0));
  const DayBatch::Batch taken = batch.take();
  ASSERT_EQ(taken.rows.size(), 1u);
  EXPECT_EQ(taken.rows[0].r_t, 1.0);
}

}  // namespace
}  // namespace outbreak::jobs::detail
