// Ensembles: replicate r is the run with seed + r, and the per-day summary.
#include "outbreak/engine/ensemble.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include <algorithm>
#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/test_support.hpp"

namespace outbreak::engine {
namespace {

using testing::expect_valid_series;
using testing::run_series;
using testing::small_scenario;

Scenario ensemble_scenario() {
  Scenario s = small_scenario();
  s.population = 5'000;
  s.days = 60;
  s.seed = 40;
  s.replicates = 5;
  s.contact_tracing = true;
  return s;
}

EnsembleOptions two_threads() {
  EnsembleOptions options;
  options.threads = 2;
  return options;
}

TEST(Ensemble, ReplicateRIsTheRunWithSeedPlusR) {
  const Scenario s = ensemble_scenario();
  EnsembleOptions options;
  options.threads = 2;
  const auto result = run_ensemble(s, options);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(result->replicates.size(), 5u);
  for (std::size_t r = 0; r < 5; ++r) {
    SCOPED_TRACE(::testing::Message() << "replicate " << r);
    const auto& series = result->replicates[r];
    expect_valid_series(s, series);
    EXPECT_EQ(series, run_series(s, static_cast<std::uint64_t>(s.seed) + r, 1));
  }
  // The replicates really are different runs.
  EXPECT_NE(result->replicates[0], result->replicates[1]);
}

TEST(Ensemble, ThreadCountDoesNotChangeTheEnsemble) {
  Scenario s = ensemble_scenario();
  s.replicates = 3;
  EnsembleOptions one;
  one.threads = 1;
  EnsembleOptions all;
  all.threads = 0;
  const auto a = run_ensemble(s, one);
  const auto b = run_ensemble(s, all);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->replicates, b->replicates);
}

TEST(Ensemble, SummaryIsTheSummaryOfTheReplicates) {
  const Scenario s = ensemble_scenario();
  const auto result = run_ensemble(s, two_threads());
  ASSERT_TRUE(result.ok());
  const Summary expected = summarize(result->replicates);
  // Equal value for value, an unknown r_t (NaN) matching an unknown one.
  const auto same = [](const std::vector<DayValues>& a, const std::vector<DayValues>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t d = 0; d < a.size(); ++d) {
      for (std::size_t c = 0; c < a[d].size(); ++c) {
        if (!(a[d][c] == b[d][c] || (std::isnan(a[d][c]) && std::isnan(b[d][c])))) return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(same(result->summary.mean, expected.mean));
  EXPECT_TRUE(same(result->summary.p5, expected.p5));
  EXPECT_TRUE(same(result->summary.p95, expected.p95));
  ASSERT_EQ(result->summary.mean.size(), static_cast<std::size_t>(s.days) + 1);
}

TEST(Ensemble, CallbacksSeeEveryDayOfEveryReplicateInOrder) {
  Scenario s = ensemble_scenario();
  s.replicates = 3;
  s.days = 20;
  std::vector<std::pair<std::int64_t, std::int64_t>> days;  // (replicate, day)
  std::vector<Progress> progress;
  EnsembleOptions options;
  options.threads = 2;
  options.on_day = [&](std::int64_t r, const DayTotals& d) { days.emplace_back(r, d.day); };
  options.on_progress = [&](const Progress& p) { progress.push_back(p); };
  const auto result = run_ensemble(s, options);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(days.size(), 3u * 21u);
  for (std::size_t i = 0; i < days.size(); ++i) {
    EXPECT_EQ(days[i].first, static_cast<std::int64_t>(i / 21));
    EXPECT_EQ(days[i].second, static_cast<std::int64_t>(i % 21));
  }
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().replicate, 2);
  EXPECT_EQ(progress.back().replicates, 3);
  EXPECT_EQ(progress.back().day, 20);
  EXPECT_EQ(progress.back().days, 20);
}

TEST(Ensemble, InvalidScenarioListsTheBadFields) {
  Scenario s = ensemble_scenario();
  s.population = 0;
  s.initial_infected = 0;
  s.mortality_rate = 2;
  const auto result = run_ensemble(s, EnsembleOptions{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidInput);
  std::vector<std::string> fields;
  for (const FieldError& f : result.error().fields) fields.push_back(f.field);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "population"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "mortality_rate"), fields.end());
}

TEST(Ensemble, StopTokenCancels) {
  const Scenario s = ensemble_scenario();
  std::stop_source stop;
  stop.request_stop();
  EnsembleOptions options;
  options.threads = 2;
  options.stop = stop.get_token();
  const auto result = run_ensemble(s, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
}

TEST(Ensemble, StopDuringTheSecondReplicateCancels) {
  const Scenario s = ensemble_scenario();
  std::stop_source stop;
  EnsembleOptions options;
  options.threads = 2;
  options.stop = stop.get_token();
  std::int64_t last_replicate = -1;
  options.on_day = [&](std::int64_t r, const DayTotals& d) {
    last_replicate = r;
    if (r == 1 && d.day == 10) stop.request_stop();
  };
  const auto result = run_ensemble(s, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(last_replicate, 1) << "no replicate may start after the stop";
}

// --- summarize ---------------------------------------------------------------------

std::size_t column(std::string_view name) {
  for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
    if (kDayColumns[c].name == name) return c;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

// Five replicates of two days. Day 1's `dead` takes the values 1..5 (in
// shuffled replicate order), so with type-7 interpolation h = q (n - 1):
// p5 at h = 0.2 -> 1 + 0.2 = 1.2, p95 at h = 3.8 -> 4 + 0.8 = 4.8, mean 3.
TEST(Summarize, MeanAndType7PercentilesByHand) {
  const std::vector<std::int64_t> dead = {4, 1, 5, 3, 2};
  const std::vector<std::int64_t> recovered = {10, 10, 10, 10, 30};
  std::vector<std::vector<DayTotals>> replicates(5, std::vector<DayTotals>(2));
  for (std::size_t r = 0; r < 5; ++r) {
    replicates[r][0].day = 0;
    replicates[r][1].day = 1;
    replicates[r][1].dead = dead[r];
    replicates[r][1].recovered = recovered[r];
  }
  const Summary s = summarize(replicates);
  ASSERT_EQ(s.mean.size(), 2u);
  ASSERT_EQ(s.p5.size(), 2u);
  ASSERT_EQ(s.p95.size(), 2u);
  const std::size_t d = column("dead");
  const std::size_t rec = column("recovered");
  const std::size_t day = column("day");
  EXPECT_DOUBLE_EQ(s.mean[1][d], 3.0);
  EXPECT_DOUBLE_EQ(s.p5[1][d], 1.2);
  EXPECT_DOUBLE_EQ(s.p95[1][d], 4.8);
  // 10, 10, 10, 10, 30: mean 14; p5 at h = 0.2 is 10; p95 at h = 3.8 is
  // 10 + 0.8 * 20 = 26.
  EXPECT_DOUBLE_EQ(s.mean[1][rec], 14.0);
  EXPECT_DOUBLE_EQ(s.p5[1][rec], 10.0);
  EXPECT_DOUBLE_EQ(s.p95[1][rec], 26.0);
  EXPECT_DOUBLE_EQ(s.mean[1][day], 1.0);
  EXPECT_DOUBLE_EQ(s.p95[0][day], 0.0);
  EXPECT_DOUBLE_EQ(s.mean[0][d], 0.0);
}

TEST(Summarize, OneReplicateIsItsOwnMeanAndPercentiles) {
  std::vector<std::vector<DayTotals>> replicates(1, std::vector<DayTotals>(1));
  replicates[0][0].total_infected = 17;
  const Summary s = summarize(replicates);
  const std::size_t c = column("total_infected");
  EXPECT_DOUBLE_EQ(s.mean[0][c], 17.0);
  EXPECT_DOUBLE_EQ(s.p5[0][c], 17.0);
  EXPECT_DOUBLE_EQ(s.p95[0][c], 17.0);
}

TEST(Summarize, TwoReplicatesInterpolate) {
  // h = 0.05 and 0.95 between the two values 100 and 200.
  std::vector<std::vector<DayTotals>> replicates(2, std::vector<DayTotals>(1));
  replicates[0][0].susceptible = 200;
  replicates[1][0].susceptible = 100;
  const Summary s = summarize(replicates);
  const std::size_t c = column("susceptible");
  EXPECT_DOUBLE_EQ(s.mean[0][c], 150.0);
  EXPECT_DOUBLE_EQ(s.p5[0][c], 105.0);
  EXPECT_DOUBLE_EQ(s.p95[0][c], 195.0);
}

TEST(Summarize, EmptyInputGivesAnEmptySummary) {
  const Summary empty = summarize({});
  EXPECT_TRUE(empty.mean.empty());
  EXPECT_TRUE(empty.p5.empty());
  EXPECT_TRUE(empty.p95.empty());
}

}  // namespace
}  // namespace outbreak::engine
