// The storage conformance suite, part 2: results, progress and summaries.
// Instantiated for every backend in store_conformance_test.cpp.
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include "outbreak/store/open.hpp"
#include "store/conformance_fixture.hpp"
#include "store/core/sql.hpp"

namespace outbreak::store::testing {
namespace {

std::vector<engine::DayTotals> days(std::int64_t first, std::int64_t last, std::int64_t salt) {
  std::vector<engine::DayTotals> out;
  for (std::int64_t day = first; day <= last; ++day) out.push_back(day_totals(day, salt));
  return out;
}

TEST_P(StoreConformance, WriteDaysIsAnIdempotentUpsert) {
  const auto id = enqueue("job");
  claim("w1");
  ASSERT_TRUE(store_->write_days(id, "w1", 0, days(0, 4, 0), kLease, kT0).ok());
  ASSERT_TRUE(store_->write_days(id, "w1", 1, days(0, 1, 0), kLease, kT0).ok());
  // A rerun rewrites days 3 and 4 with other values and adds day 5.
  auto rewrite = store_->write_days(id, "w1", 0, days(3, 5, 7), kLease, at_seconds(1));
  ASSERT_TRUE(rewrite.ok()) << rewrite.error().message;

  auto all = store_->results(id, std::nullopt);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 8u);
  auto replicate0 = store_->results(id, 0);
  ASSERT_TRUE(replicate0.ok());
  ASSERT_EQ(replicate0->size(), 6u);
  for (std::int64_t day = 0; day <= 5; ++day) {
    const DayRow expected{0, day_totals(day, day >= 3 ? 7 : 0)};
    EXPECT_EQ((*replicate0)[static_cast<std::size_t>(day)], expected) << "day " << day;
  }
  EXPECT_EQ(all->back(), (DayRow{1, day_totals(1, 0)}));
  EXPECT_EQ(store_->results("missing", std::nullopt).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, WriteDaysRenewsTheLeaseAndReportsCancel) {
  const auto id = enqueue("job");
  claim("w1", kT0);
  auto state = store_->write_days(id, "w1", 0, days(0, 0, 0), kLease, at_seconds(25));
  ASSERT_TRUE(state.ok());
  EXPECT_FALSE(state->cancel_requested);
  EXPECT_EQ(get(id).lease_expires_at, at_seconds(25) + kLease);
  ASSERT_TRUE(store_->cancel(id, at_seconds(26)).ok());
  state = store_->write_days(id, "w1", 0, {}, kLease, at_seconds(27));
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->cancel_requested);
  EXPECT_EQ(store_->write_days(id, "w1", -1, {}, kLease, kT0).error().code,
            ErrorCode::kInvalidInput);
  const std::vector<engine::DayTotals> twice = {day_totals(1), day_totals(1, 5)};
  EXPECT_EQ(store_->write_days(id, "w1", 0, twice, kLease, kT0).error().code,
            ErrorCode::kInvalidInput);
}

TEST_P(StoreConformance, WriteDaysIsRejectedOnceTheLeaseIsLost) {
  const auto id = enqueue("job");
  claim("w1", kT0);
  ASSERT_TRUE(store_->write_days(id, "w1", 0, days(0, 2, 0), kLease, kT0).ok());
  ASSERT_TRUE(store_->requeue_expired(at_seconds(60)).ok());
  auto late = store_->write_days(id, "w1", 0, days(3, 4, 0), kLease, at_seconds(61));
  ASSERT_FALSE(late.ok());
  EXPECT_TRUE(is_lease_lost(late.error())) << late.error().message;
  auto stored = store_->results(id, std::nullopt);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->size(), 3u);
  EXPECT_EQ(get(id).progress_day, 2);
  EXPECT_TRUE(is_lease_lost(store_->write_summary(id, "w1", {}).error()));
}

TEST_P(StoreConformance, ProgressIsNeverAheadOfStoredRows) {
  const auto id = enqueue("job");
  claim("w1");
  for (std::int64_t replicate = 0; replicate < 2; ++replicate) {
    for (std::int64_t first = 0; first <= 9; first += 3) {
      const auto batch = days(first, std::min<std::int64_t>(first + 2, 9), replicate);
      ASSERT_TRUE(store_->write_days(id, "w1", replicate, batch, kLease, kT0).ok());
      const SimulationRecord record = get(id);
      ASSERT_TRUE(record.progress_day && record.progress_replicate);
      EXPECT_EQ(*record.progress_replicate, replicate);
      EXPECT_EQ(*record.progress_day, batch.back().day);
      auto stored = store_->results(id, replicate);
      ASSERT_TRUE(stored.ok());
      EXPECT_TRUE(std::any_of(stored->begin(), stored->end(), [&](const DayRow& row) {
        return row.totals.day == *record.progress_day;
      }));
    }
  }
  ASSERT_TRUE(store_->write_days(id, "w1", 1, {}, kLease, kT0).ok());
  EXPECT_EQ(get(id).progress_day, 9);
}

engine::Summary make_summary(std::size_t day_count) {
  engine::Summary summary;
  for (std::size_t day = 0; day < day_count; ++day) {
    engine::DayValues mean{};
    for (std::size_t c = 0; c < mean.size(); ++c) mean[c] = 0.1 * static_cast<double>(c + day);
    mean[0] = static_cast<double>(day);
    auto p5 = mean;
    auto p95 = mean;
    for (std::size_t c = 1; c < mean.size(); ++c) {
      p5[c] -= 1.0 / 3.0;
      p95[c] += 1e-9 * static_cast<double>(c);
    }
    summary.mean.push_back(mean);
    summary.p5.push_back(p5);
    summary.p95.push_back(p95);
  }
  return summary;
}

TEST_P(StoreConformance, SummaryRoundTripsExactly) {
  const auto id = enqueue("job");
  claim("w1");
  auto empty = store_->summary(id);
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(empty->mean.empty());

  ASSERT_TRUE(store_->write_summary(id, "w1", make_summary(5)).ok());
  const engine::Summary expected = make_summary(3);
  auto written = store_->write_summary(id, "w1", expected);  // replaces the first
  ASSERT_TRUE(written.ok()) << written.error().message;
  auto read = store_->summary(id);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->mean, expected.mean);
  EXPECT_EQ(read->p5, expected.p5);
  EXPECT_EQ(read->p95, expected.p95);

  engine::Summary ragged = make_summary(2);
  ragged.p95.pop_back();
  EXPECT_EQ(store_->write_summary(id, "w1", ragged).error().code, ErrorCode::kInvalidInput);
  EXPECT_TRUE(is_lease_lost(store_->write_summary(id, "w2", expected).error()));
  EXPECT_EQ(store_->summary("missing").error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, AnUnknownRtIsStoredAsNullAndARewriteFillsItIn) {
  const auto id = enqueue("job");
  claim("w1");
  std::vector<engine::DayTotals> batch = days(0, 2, 0);
  for (auto& row : batch) row.r_t = std::numeric_limits<double>::quiet_NaN();
  ASSERT_TRUE(store_->write_days(id, "w1", 0, batch, kLease, kT0).ok());
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_days WHERE r_t IS NULL"), "3");
  auto read = store_->results(id, 0);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->size(), 3u);
  for (std::size_t day = 0; day < 3; ++day) {
    EXPECT_TRUE(std::isnan((*read)[day].totals.r_t));
    EXPECT_EQ((*read)[day].totals, batch[day]);  // NaN equals NaN
  }

  // r_t of day 1 becomes known later: the upsert writes it with every other
  // column of that day.
  batch[1].r_t = 1.375;
  batch[1].new_deaths = 42;
  ASSERT_TRUE(store_->write_days(id, "w1", 0, std::span(batch).subspan(1, 1), kLease, kT0).ok());
  read = store_->results(id, 0);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ((*read)[1].totals, batch[1]);
  EXPECT_DOUBLE_EQ((*read)[1].totals.r_t, 1.375);
  EXPECT_TRUE(std::isnan((*read)[2].totals.r_t));
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_days WHERE r_t IS NULL"), "2");
}

TEST_P(StoreConformance, ActiveInterventionsRoundTripAsAscendingIds) {
  const auto id = enqueue("job");
  claim("w1");
  std::vector<engine::DayTotals> batch = days(0, 2, 0);
  batch[0].active = {};
  batch[1].active = {};
  for (const std::size_t item : {101, 0, 64, 63}) batch[1].set_active(item);
  batch[2].active = {};
  batch[2].set_active(127);  // the last id the set holds
  ASSERT_TRUE(store_->write_days(id, "w1", 0, batch, kLease, kT0).ok());
  // Plain text for SQL readers: ids ascending, separated by commas.
  EXPECT_EQ(database_->query("SELECT active_interventions FROM simulation_days WHERE day = 1"),
            "0,63,64,101");
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_days WHERE day = 0 AND "
                             "active_interventions = ''"),
            "1");
  auto read = store_->results(id, 0);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->size(), 3u);
  for (std::size_t day = 0; day < 3; ++day) EXPECT_EQ((*read)[day].totals, batch[day]);
  EXPECT_EQ((*read)[0].totals.active, (std::array<std::uint64_t, 2>{}));
  EXPECT_TRUE((*read)[1].totals.is_active(0));
  EXPECT_TRUE((*read)[1].totals.is_active(63));
  EXPECT_TRUE((*read)[1].totals.is_active(64));
  EXPECT_TRUE((*read)[1].totals.is_active(101));
  EXPECT_FALSE((*read)[1].totals.is_active(1));

  // A rerun of day 1 with nothing active clears the set.
  batch[1].active = {};
  ASSERT_TRUE(store_->write_days(id, "w1", 0, std::span(batch).subspan(1, 1), kLease, kT0).ok());
  read = store_->results(id, 0);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ((*read)[1].totals, batch[1]);
  EXPECT_EQ(database_->query("SELECT active_interventions FROM simulation_days WHERE day = 1"), "");
}

TEST_P(StoreConformance, AnActiveSetOutbreakDidNotWriteIsAnErrorNamingIt) {
  const auto id = enqueue("job");
  claim("w1");
  ASSERT_TRUE(store_->write_days(id, "w1", 0, days(0, 0, 0), kLease, kT0).ok());
  for (const std::string bad : {"1,x", "3,", ",3", "128", "-1", "1;2", " 1"}) {
    database_->exec("UPDATE simulation_days SET active_interventions = '" + bad + "'");
    auto read = store_->results(id, 0);
    ASSERT_FALSE(read.ok()) << bad;
    EXPECT_EQ(read.error().code, ErrorCode::kInternal) << bad;
    EXPECT_THAT(read.error().message, ::testing::HasSubstr("active_interventions holds \"" + bad))
        << read.error().message;
  }
}

TEST_P(StoreConformance, ASummaryWithAnUnknownRtStoresNull) {
  const auto id = enqueue("job");
  claim("w1");
  engine::Summary summary = make_summary(3);
  std::size_t r_t = 0;
  while (engine::kDayColumns[r_t].name != "r_t") ++r_t;
  summary.mean[2][r_t] = std::numeric_limits<double>::quiet_NaN();
  summary.p5[2][r_t] = std::numeric_limits<double>::quiet_NaN();
  summary.p95[2][r_t] = std::numeric_limits<double>::quiet_NaN();
  auto written = store_->write_summary(id, "w1", summary);
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_summary WHERE r_t IS NULL"), "3");
  auto read = store_->summary(id);
  ASSERT_TRUE(read.ok()) << read.error().message;
  ASSERT_EQ(read->mean.size(), 3u);
  EXPECT_TRUE(std::isnan(read->mean[2][r_t]));
  EXPECT_TRUE(std::isnan(read->p95[2][r_t]));
  EXPECT_EQ(read->mean[1], summary.mean[1]);
}

engine::AgeTotals age_totals(std::int64_t salt) {
  engine::AgeTotals totals;
  for (std::size_t band = 0; band < engine::kAgeBands; ++band) {
    const auto b = static_cast<std::int64_t>(band);
    totals.agents[band] = 10'000 + 100 * b + salt;
    totals.infected[band] = 5'000 + 10 * b + salt;
    totals.hospitalized[band] = 300 + b + salt;
    totals.critical[band] = 30 + b + salt;
    totals.dead[band] = 3 + b + salt;
  }
  return totals;
}

TEST_P(StoreConformance, AgeTotalsRoundTripAndAreUpsertedPerReplicate) {
  const auto id = enqueue("job");
  auto none = store_->age_totals(id);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_TRUE(none->empty());
  claim("w1");
  ASSERT_TRUE(store_->write_age_totals(id, "w1", 1, age_totals(1)).ok());
  ASSERT_TRUE(store_->write_age_totals(id, "w1", 0, age_totals(5)).ok());
  auto rewritten = store_->write_age_totals(id, "w1", 0, age_totals(0));  // a rerun
  ASSERT_TRUE(rewritten.ok()) << rewritten.error().message;
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_age_totals"), "18");

  auto read = store_->age_totals(id);
  ASSERT_TRUE(read.ok()) << read.error().message;
  const std::vector<AgeTotalsRow> expected = {{0, age_totals(0)}, {1, age_totals(1)}};
  EXPECT_EQ(*read, expected);

  EXPECT_EQ(store_->write_age_totals(id, "w1", -1, age_totals(0)).error().code,
            ErrorCode::kInvalidInput);
  EXPECT_TRUE(is_lease_lost(store_->write_age_totals(id, "w2", 0, age_totals(0)).error()));
  EXPECT_EQ(store_->age_totals("missing").error().code, ErrorCode::kNotFound);
}

RunFigures figures_of(std::int64_t replicate, std::optional<std::int64_t> ended) {
  RunFigures f;
  f.replicate = replicate;
  f.peak_infected = 4'000'000'000 + replicate;  // past 32 bits
  f.peak_day = 17;
  f.total_infected = 9'000'000'000;
  f.dead = 12;
  f.peak_hospitalized = 300;
  f.peak_hospitalized_day = 21;
  f.infected_at_end = ended ? 0 : 55;
  f.new_infections_last_7_days = ended ? 0 : 40;
  f.still_spreading = !ended;
  f.ended_on_day = ended;
  return f;
}

TEST_P(StoreConformance, FiguresRoundTripAndAreUpsertedPerReplicate) {
  const auto id = enqueue("job");
  claim("w1");
  EXPECT_TRUE(store_->figures(id)->empty());
  ASSERT_TRUE(store_->write_figures(id, "w1", figures_of(1, 90)).ok());
  ASSERT_TRUE(store_->write_figures(id, "w1", figures_of(0, std::nullopt)).ok());
  auto read = store_->figures(id);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, (std::vector<RunFigures>{figures_of(0, std::nullopt), figures_of(1, 90)}));
  // Rewriting a replicate replaces it.
  ASSERT_TRUE(store_->write_figures(id, "w1", figures_of(1, std::nullopt)).ok());
  EXPECT_EQ(store_->figures(id)->back(), figures_of(1, std::nullopt));
  EXPECT_EQ(store_->write_figures(id, "w1", figures_of(-1, 3)).error().code,
            ErrorCode::kInvalidInput);
  EXPECT_TRUE(is_lease_lost(store_->write_figures(id, "w2", figures_of(2, 3)).error()));
  EXPECT_EQ(store_->figures("missing").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_figures WHERE ended_on_day IS NULL"),
            "2");
}

TEST_P(StoreConformance, AClaimDropsWhatAnEarlierTryStoredAndCountsItself) {
  const auto id = enqueue("job");
  claim("w1", kT0);
  ASSERT_TRUE(store_->write_days(id, "w1", 0, days(0, 3, 0), kLease, kT0).ok());
  ASSERT_TRUE(store_->write_age_totals(id, "w1", 0, engine::AgeTotals{}).ok());
  ASSERT_TRUE(store_->write_figures(id, "w1", figures_of(0, 5)).ok());
  engine::Summary summary;
  summary.mean.resize(2);
  summary.p5.resize(2);
  summary.p95.resize(2);
  ASSERT_TRUE(store_->write_summary(id, "w1", summary).ok());
  const auto other = enqueue("other", at_seconds(1));
  claim("w3", at_seconds(1));
  ASSERT_TRUE(store_->write_figures(other, "w3", figures_of(0, 5)).ok());
  // The lease runs out; another worker claims the job again.
  ASSERT_TRUE(store_->requeue_expired(at_seconds(600)).ok());
  ASSERT_EQ(get(id).status, JobStatus::kQueued);
  EXPECT_EQ(store_->figures(id)->size(), 1u);  // kept until the next try starts
  EXPECT_EQ(get(id).claims, 1);
  const SimulationRecord again = claim("w2", at_seconds(601));
  EXPECT_EQ(again.id, id);
  EXPECT_EQ(again.claims, 2);
  EXPECT_EQ(again.attempts, 2);
  EXPECT_FALSE(again.progress_replicate.has_value()) << "the new try starts from nothing";
  EXPECT_FALSE(again.progress_day.has_value());
  EXPECT_TRUE(store_->results(id, std::nullopt)->empty());
  EXPECT_TRUE(store_->age_totals(id)->empty());
  EXPECT_TRUE(store_->figures(id)->empty());
  EXPECT_TRUE(store_->summary(id)->mean.empty());
  // A release gives the attempt back, but the claims go on counting.
  ASSERT_TRUE(store_->release(id, "w2", at_seconds(602)).ok());
  EXPECT_EQ(get(id).attempts, 1);
  EXPECT_EQ(claim("w4", at_seconds(603)).claims, 3);
  EXPECT_EQ(store_->figures(other)->size(), 1u) << "another job's figures stay";
}

TEST_P(StoreConformance, QueuePositionCountsTheQueuedJobsClaimedFirst) {
  const auto first = enqueue("first", kT0);
  const auto second = enqueue("second", at_seconds(1));
  const auto third = enqueue("third", at_seconds(2));
  const auto fourth = enqueue("fourth", at_seconds(2));  // same time: the id decides
  EXPECT_EQ(*store_->queue_position(first), 1);
  EXPECT_EQ(*store_->queue_position(second), 2);
  const auto [early, late] = third < fourth ? std::pair{third, fourth} : std::pair{fourth, third};
  EXPECT_EQ(*store_->queue_position(early), 3);
  EXPECT_EQ(*store_->queue_position(late), 4);
  ASSERT_TRUE(store_->cancel(second, at_seconds(3)).ok());
  EXPECT_EQ(*store_->queue_position(early), 2);
  EXPECT_EQ(store_->queue_position(second).value(), std::nullopt);
  claim("w1");
  EXPECT_EQ(store_->queue_position(first).value(), std::nullopt);  // running
  EXPECT_EQ(*store_->queue_position(early), 1);
  EXPECT_EQ(*store_->queue_position(late), 2);
  EXPECT_EQ(store_->queue_position("missing").error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, TablesArePlainSqlForBiTools) {
  const auto id = enqueue("job");
  claim("w1");
  ASSERT_TRUE(store_->write_days(id, "w1", 0, days(0, 3, 0), kLease, kT0).ok());
  ASSERT_TRUE(store_->write_days(id, "w1", 1, days(0, 3, 2), kLease, kT0).ok());
  ASSERT_TRUE(store_->finish(id, "w1", JobStatus::kSucceeded, {}, kT0).ok());
  // The query from docs/database.md.
  const std::string mean = database_->query(
      "SELECT AVG(d.currently_infected) FROM simulation_days d JOIN simulations s ON s.id = "
      "d.simulation_id WHERE s.status = 'succeeded' AND d.day = 2 GROUP BY s.id, d.day");
  const double expected =
      (day_totals(2, 0).currently_infected + day_totals(2, 2).currently_infected) / 2.0;
  EXPECT_DOUBLE_EQ(std::stod(mean), expected);
  // The days an item was active, also from docs/database.md: item 4 was
  // active on day 2 of replicate 1 only (day 0 of replicate 0 has item 64).
  // MySQL reads || as OR: there the documented query uses CONCAT().
  if (GetParam() == "mariadb") {
    EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_days WHERE CONCAT(',', "
                               "active_interventions, ',') LIKE '%,4,%'"),
              "1");
    EXPECT_EQ(database_->query("SELECT CONCAT(replicate, ':', day) FROM simulation_days WHERE "
                               "CONCAT(',', active_interventions, ',') LIKE '%,4,%'"),
              "1:2");
    return;
  }
  EXPECT_EQ(database_->query("SELECT COUNT(*) FROM simulation_days WHERE ',' || "
                             "active_interventions || ',' LIKE '%,4,%'"),
            "1");
  EXPECT_EQ(database_->query("SELECT replicate || ':' || day FROM simulation_days WHERE ',' || "
                             "active_interventions || ',' LIKE '%,4,%'"),
            "1:2");
}

// One replicate's days are found through the primary key: the event
// streams and results read a job one replicate at a time, and a plan that
// reads every row of the job per replicate made that quadratic.
TEST(SqliteDays, OneReplicateIsReadThroughThePrimaryKey) {
  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("outbreak-days-plan-{}", getpid());
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "plan.db").string();
  {
    auto store = open_store("sqlite://" + file);
    ASSERT_TRUE(store.ok()) << store.error().message;
    ASSERT_TRUE((*store)->migrate().ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::string plan;
  sqlite3_stmt* statement = nullptr;
  const std::string sql = "EXPLAIN QUERY PLAN " + core::select_days_sql(true);
  ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK);
  while (sqlite3_step(statement) == SQLITE_ROW) {
    plan += reinterpret_cast<const char*>(sqlite3_column_text(statement, 3));
    plan += "\n";
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
  EXPECT_NE(plan.find("simulation_id=? AND replicate=?"), std::string::npos) << plan;
}

}  // namespace
}  // namespace outbreak::store::testing
