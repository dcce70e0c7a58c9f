// Key figures of a run from its days, and over several runs.
#include "outbreak/jobs/figures.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace outbreak::jobs {
namespace {

// A day with `infected` agents infected now, `total` ever, and `fresh` new
// infections; the rest recovered out of 1,000.
engine::DayTotals day(std::int64_t d, std::int64_t infected, std::int64_t total, std::int64_t fresh,
                      std::int64_t hospitalized = 0, std::int64_t dead = 0) {
  engine::DayTotals t;
  t.day = d;
  t.currently_infected = infected;
  t.exposed = infected;
  t.total_infected = total;
  t.new_infections = fresh;
  t.hospitalized = hospitalized;
  t.dead = dead;
  t.recovered = total - infected - dead;
  t.susceptible = 1000 - total;
  return t;
}

TEST(RunFigures, ThePeakIsItsFirstDayAndTotalsComeFromTheLastDay) {
  // Peak 50 on days 3 and 4 (a tie: the first counts); hospital peak on day 5.
  const std::vector<engine::DayTotals> days = {
      day(0, 10, 10, 10),       day(1, 20, 25, 15),        day(2, 40, 60, 35),
      day(3, 50, 90, 30, 2),    day(4, 50, 110, 20, 4, 1), day(5, 30, 115, 5, 6, 2),
      day(6, 10, 116, 1, 3, 3), day(7, 5, 116, 0, 1, 3),   day(8, 2, 116, 0, 0, 3),
      day(9, 1, 116, 0, 0, 3),  day(10, 1, 116, 0, 0, 3),  day(11, 1, 116, 0, 0, 3),
      day(12, 1, 116, 0, 0, 3), day(13, 1, 116, 0, 0, 3),
  };
  const store::RunFigures f = run_figures(2, days);
  EXPECT_EQ(f.replicate, 2);
  EXPECT_EQ(f.peak_infected, 50);
  EXPECT_EQ(f.peak_day, 3);
  EXPECT_EQ(f.peak_hospitalized, 6);
  EXPECT_EQ(f.peak_hospitalized_day, 5);
  EXPECT_EQ(f.total_infected, 116);
  EXPECT_EQ(f.dead, 3);
  EXPECT_EQ(f.infected_at_end, 1);
  // Days 7..13 had no new infections: not spreading, yet not ended either
  // (one agent is still infected).
  EXPECT_EQ(f.new_infections_last_7_days, 0);
  EXPECT_FALSE(f.still_spreading);
  EXPECT_EQ(f.ended_on_day, std::nullopt);
}

TEST(RunFigures, AnEpidemicStillGrowingOnItsLastDayIsStillSpreading) {
  std::vector<engine::DayTotals> days;
  std::int64_t total = 0;
  for (std::int64_t d = 0; d <= 20; ++d) {
    const std::int64_t fresh = 1 + d;
    total += fresh;
    days.push_back(day(d, fresh * 2, total, fresh));
  }
  const store::RunFigures f = run_figures(0, days);
  EXPECT_TRUE(f.still_spreading);
  EXPECT_EQ(f.new_infections_last_7_days, 15 + 16 + 17 + 18 + 19 + 20 + 21);
  EXPECT_EQ(f.peak_day, 20);
  EXPECT_EQ(f.peak_infected, 42);
  EXPECT_EQ(f.infected_at_end, 42);
  EXPECT_EQ(f.ended_on_day, std::nullopt);
}

TEST(RunFigures, AnEpidemicThatEndedSaysOnWhichDay) {
  // Nobody infected from day 4, but an agent in hospital dies on day 5: the
  // counts settle on day 5 and repeat to the end.
  const std::vector<engine::DayTotals> days = {
      day(0, 10, 10, 10),     day(1, 12, 14, 4),       day(2, 5, 14, 0, 1),
      day(3, 1, 14, 0, 1),    day(4, 0, 14, 0, 1),     day(5, 0, 14, 0, 0, 1),
      day(6, 0, 14, 0, 0, 1), day(7, 0, 14, 0, 0, 1),  day(8, 0, 14, 0, 0, 1),
      day(9, 0, 14, 0, 0, 1), day(10, 0, 14, 0, 0, 1), day(11, 0, 14, 0, 0, 1),
  };
  store::RunFigures f = run_figures(0, days);
  EXPECT_FALSE(f.still_spreading);
  EXPECT_EQ(f.ended_on_day, 5);
  EXPECT_EQ(f.infected_at_end, 0);
  EXPECT_EQ(f.dead, 1);
  // Flows such as tests may go on after the end; they do not count.
  std::vector<engine::DayTotals> tested = days;
  tested.back().tests = 3;
  EXPECT_EQ(run_figures(0, tested).ended_on_day, 5);
  // Ended only on the last day: that day.
  std::vector<engine::DayTotals> late(days.begin(), days.begin() + 5);
  f = run_figures(0, late);
  EXPECT_EQ(f.ended_on_day, 4);
  EXPECT_TRUE(f.still_spreading);  // day 1's new infections are within the last 7 days
}

TEST(RunFigures, NoDaysGiveZeros) {
  const store::RunFigures f = run_figures(1, {});
  store::RunFigures zero;
  zero.replicate = 1;
  EXPECT_EQ(f, zero);
}

store::RunFigures run(std::int64_t replicate, std::int64_t peak, std::int64_t total,
                      bool spreading) {
  store::RunFigures f;
  f.replicate = replicate;
  f.peak_infected = peak;
  f.peak_day = 10 + replicate;
  f.total_infected = total;
  f.still_spreading = spreading;
  return f;
}

TEST(FiguresDocument, MeanAndPercentilesFollowTheDaySummaryRule) {
  EXPECT_TRUE(figures_document({}, 1000, 30, 3, store::JobStatus::kRunning).is_null());
  const std::vector<store::RunFigures> runs = {run(0, 100, 400, true), run(1, 300, 500, false),
                                               run(2, 200, 600, true), run(3, 400, 700, false)};
  const auto doc = figures_document(runs, 1000, 30, 4, store::JobStatus::kSucceeded);
  EXPECT_EQ(doc["population"], 1000);
  EXPECT_EQ(doc["days"], 30);
  EXPECT_EQ(doc["replicates"], 4);
  EXPECT_EQ(doc["complete"], 4);
  EXPECT_EQ(doc["partial"], false);
  EXPECT_EQ(doc["still_spreading"], 2);
  ASSERT_EQ(doc["runs"].size(), 4u);
  EXPECT_EQ(doc["runs"][1]["replicate"], 2);
  EXPECT_EQ(doc["runs"][1]["attack_rate"], 0.5);
  EXPECT_EQ(doc["runs"][1]["ended_on_day"], nullptr);
  EXPECT_EQ(doc["mean"]["peak_infected"], 250);
  // Type 7: h = 0.05 * 3 = 0.15 between 100 and 200; h = 2.85 between 300 and 400.
  EXPECT_DOUBLE_EQ(doc["p5"]["peak_infected"].get<double>(), 115);
  EXPECT_DOUBLE_EQ(doc["p95"]["peak_infected"].get<double>(), 385);
  EXPECT_DOUBLE_EQ(doc["mean"]["attack_rate"].get<double>(), 0.55);
  EXPECT_DOUBLE_EQ(doc["p5"]["attack_rate"].get<double>(), 0.415);
  EXPECT_EQ(doc["mean"].size(), 9u);
  // One run: mean and percentiles equal it.
  const auto one = figures_document({runs[2]}, 1000, 30, 1, store::JobStatus::kSucceeded);
  for (const char* series : {"mean", "p5", "p95"}) {
    EXPECT_EQ(one[series]["peak_infected"], 200) << series;
    EXPECT_EQ(one[series]["peak_day"], 12) << series;
  }
}

TEST(FiguresDocument, ACancelledJobWithFewerRunsIsPartial) {
  const std::vector<store::RunFigures> runs = {run(0, 100, 400, true), run(1, 300, 500, false)};
  EXPECT_TRUE(figures_document(runs, 1000, 30, 5, store::JobStatus::kCancelled)["partial"]);
  EXPECT_TRUE(figures_document(runs, 1000, 30, 5, store::JobStatus::kFailed)["partial"]);
  EXPECT_FALSE(figures_document(runs, 1000, 30, 5, store::JobStatus::kRunning)["partial"]);
  EXPECT_FALSE(figures_document(runs, 1000, 30, 2, store::JobStatus::kCancelled)["partial"]);
}

}  // namespace
}  // namespace outbreak::jobs
