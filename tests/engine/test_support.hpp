// Helpers shared by the engine tests: small explicit scenarios, running a
// simulation to a series of rows, and the invariants every row must satisfy.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stop_token>
#include <vector>

#include "outbreak/engine/day_totals.hpp"
#include "outbreak/engine/population.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/engine/simulation.hpp"

namespace outbreak::engine::testing {

// A small scenario with every field set explicitly, so that a change of the
// library defaults does not silently change what the tests exercise.
// It is the original model: every agent an adult, homes of 3, workplaces of
// 20, a fixed course and flat infectiousness, no hospital.
inline Scenario small_scenario() {
  Scenario s;
  s.population = 5'000;
  s.age_shares = {0, 0, 0, 1, 0, 0, 0, 0, 0};
  s.household_size = 3;
  s.office_size_sd = 0;
  s.incubation_sd_days = 0;
  s.presymptomatic_sd_days = 0;
  s.recovery_sd_days = 0;
  s.infectiousness_width_days = 0;
  s.infectiousness_dispersion = 0;
  s.hospital_by_age.assign(kAgeBands, 0.0);
  s.critical_by_age.assign(kAgeBands, 0.0);
  s.fatality_by_age.assign(kAgeBands, 0.0);
  s.school_infection_risk = 0.01;
  s.office_size = 20;
  s.employment_rate = 0.6;
  s.initial_infected = 10;
  s.days = 90;
  s.seed = 1;
  s.replicates = 1;
  s.latent_days = 3;
  s.incubation_days = 5;
  s.sick_days = 13;
  s.asymptomatic_fraction = 0.3;
  s.asymptomatic_infectiousness = 0.75;
  s.mortality_rate = 0.01;
  s.home_infection_risk = 0.02;
  s.work_infection_risk = 0.01;
  s.community_contacts = 10;
  s.community_infection_risk = 0.01;
  s.symptomatic_isolation = false;
  s.contact_tracing = false;
  s.tracing_coverage = 0.5;
  s.tracing_delay_days = 2;
  s.isolation_days = 14;
  return s;
}

// Collects every reported row; optionally requests a stop after a given day.
class Recorder final : public DayObserver {
 public:
  Recorder() = default;
  Recorder(std::stop_source* stop, std::int64_t stop_after_day)
      : stop_(stop), stop_after_day_(stop_after_day) {}

  // Fills in the row of an earlier day (rows may start after day 0 when a
  // run resumes a simulation that was stepped by hand).
  void on_r_t(std::int64_t day, double r_t) override {
    if (rows.empty() || day < rows.front().day) return;
    rows[static_cast<std::size_t>(day - rows.front().day)].r_t = r_t;
  }
  void on_day(const DayTotals& totals) override {
    rows.push_back(totals);
    if (stop_ != nullptr && totals.day >= stop_after_day_) stop_->request_stop();
  }

  std::vector<DayTotals> rows;

 private:
  std::stop_source* stop_ = nullptr;
  std::int64_t stop_after_day_ = 0;
};

// The full series (days 0..scenario.days) of one run with `seed`.
inline std::vector<DayTotals> run_series(const Scenario& s, std::uint64_t seed, int threads) {
  Simulation simulation(s, Population(s, seed, threads), seed, threads);
  Recorder recorder;
  const Status status = simulation.run(recorder);
  EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message);
  return recorder.rows;
}

// The rows with r_t cleared: step() reports each day as it ends, before
// later days settle its r_t.
inline std::vector<DayTotals> without_r_t(std::vector<DayTotals> rows) {
  for (DayTotals& d : rows) d.r_t = std::numeric_limits<double>::quiet_NaN();
  return rows;
}

// True when every case has the same course in whole days (the original
// model's), so that the compartments follow from the new infections alone.
inline bool fixed_course(const Scenario& s) {
  const auto whole = [](double x) { return x == static_cast<double>(static_cast<int>(x)); };
  const bool no_hospital = std::all_of(s.hospital_by_age.begin(), s.hospital_by_age.end(),
                                       [](double p) { return p == 0; });
  return s.incubation_sd_days == 0 && s.presymptomatic_sd_days == 0 && s.recovery_sd_days == 0 &&
         whole(s.latent_days) && whole(s.incubation_days) && whole(s.sick_days) && no_hospital;
}

// Checks every documented invariant of one series, row by row and across
// consecutive rows, plus the exact bookkeeping that follows from a disease
// course fixed in days since infection: everyone infected on day d is exposed
// on days d .. d+latent-1, infectious on d+latent .. d+sick-1 and resolved
// from day d+sick on.
inline void expect_valid_series(const Scenario& s, const std::vector<DayTotals>& rows) {
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(s.days) + 1);
  const std::int64_t n = s.population;
  auto new_between = [&](std::int64_t from, std::int64_t to) {  // sum over days [from, to]
    std::int64_t sum = 0;
    for (std::int64_t d = std::max<std::int64_t>(from, 0); d <= to; ++d) {
      sum += rows[static_cast<std::size_t>(d)].new_infections;
    }
    return sum;
  };
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const DayTotals& r = rows[i];
    const auto t = static_cast<std::int64_t>(i);
    SCOPED_TRACE(::testing::Message() << "day " << t);
    ASSERT_EQ(r.day, t);
    EXPECT_GE(r.susceptible, 0);
    EXPECT_GE(r.exposed, 0);
    EXPECT_GE(r.infectious, 0);
    EXPECT_GE(r.symptomatic, 0);
    EXPECT_GE(r.isolated, 0);
    EXPECT_GE(r.recovered, 0);
    EXPECT_GE(r.dead, 0);
    EXPECT_GE(r.infections_home, 0);
    EXPECT_GE(r.infections_work, 0);
    EXPECT_GE(r.infections_community, 0);
    EXPECT_GE(r.infections_school, 0);
    EXPECT_GE(r.hospitalized, r.critical);
    EXPECT_GE(r.critical, 0);
    EXPECT_EQ(r.susceptible + r.currently_infected + r.recovered + r.dead, n);
    EXPECT_EQ(r.currently_infected, r.exposed + r.infectious);
    EXPECT_LE(r.symptomatic, r.infectious);
    EXPECT_LE(r.isolated, n - r.dead);
    EXPECT_EQ(r.susceptible, n - r.total_infected);
    if (!s.contact_tracing) {
      EXPECT_EQ(r.isolated, 0);
    }
    if (t == 0) {
      EXPECT_EQ(r.new_infections, s.initial_infected);
      EXPECT_EQ(r.total_infected, s.initial_infected);
      EXPECT_EQ(
          r.infections_home + r.infections_work + r.infections_community + r.infections_school, 0);
    } else {
      const DayTotals& prev = rows[i - 1];
      EXPECT_EQ(r.new_infections, r.infections_home + r.infections_work + r.infections_community +
                                      r.infections_school);
      EXPECT_EQ(r.dead, prev.dead + r.new_deaths);
      EXPECT_EQ(r.total_infected, prev.total_infected + r.new_infections);
      EXPECT_LE(r.new_infections, prev.susceptible);
      EXPECT_GE(r.recovered, prev.recovered);
      EXPECT_GE(r.dead, prev.dead);
    }
    if (!fixed_course(s)) continue;
    // The course is fixed in days, so the compartments follow from the daily
    // new infections alone.
    const auto latent = static_cast<std::int64_t>(s.latent_days);
    const auto incubation = static_cast<std::int64_t>(s.incubation_days);
    const auto sick = static_cast<std::int64_t>(s.sick_days);
    EXPECT_EQ(r.exposed, new_between(t - latent + 1, t));
    EXPECT_EQ(r.infectious, new_between(t - sick + 1, t - latent));
    EXPECT_EQ(r.recovered + r.dead, new_between(0, t - sick));
    const std::int64_t past_onset = new_between(t - sick + 1, t - incubation);
    EXPECT_LE(r.symptomatic, past_onset);
    const double asymptomatic = s.asymptomatic_fraction.value_or(-1);
    if (asymptomatic == 0) {
      EXPECT_EQ(r.symptomatic, past_onset);
    }
    if (asymptomatic == 1) {
      EXPECT_EQ(r.symptomatic, 0);
    }
    if (asymptomatic == 1 || s.mortality_rate == 0.0) {
      EXPECT_EQ(r.dead, 0);
    }
  }
}

}  // namespace outbreak::engine::testing
