#include "outbreak/io/line_list_csv.hpp"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace outbreak::io {
namespace {

using engine::Infection;
using engine::InfectionRoute;
using engine::Outcome;

constexpr const char* kHeader =
    "replicate,agent,age,day_infected,infector,route,day_infectious,day_symptoms,day_hospital,"
    "day_critical,day_resolved,outcome,day_positive,day_isolated,day_traced\n";

std::string rows_of(std::int64_t replicate, const std::vector<Infection>& infections,
                    std::int64_t last_day) {
  std::ostringstream out;
  write_line_list_rows(out, replicate, infections, last_day);
  return out.str();
}

// A symptomatic case infected at home on day 2 by agent 7 that goes through
// hospital and critical care and dies on day 30.
Infection severe_case() {
  Infection i;
  i.agent = 42;
  i.age = 71;
  i.day_infected = 2;
  i.infector = 7;
  i.route = InfectionRoute::kHome;
  i.day_infectious = 5;
  i.day_symptoms = 7;
  i.day_hospital = 12;
  i.day_critical = 14;
  i.day_resolved = 30;
  i.outcome = Outcome::kDead;
  return i;
}

TEST(LineListCsv, HeaderIsExactlyTheDocumentedColumns) {
  std::ostringstream out;
  write_line_list_header(out);
  EXPECT_EQ(out.str(), kHeader);
}

TEST(LineListCsv, ACaseResolvedWithinTheRunHasEveryDayAndItsOutcome) {
  EXPECT_EQ(rows_of(1, {severe_case()}, 180), "1,42,71,2,7,home,5,7,12,14,30,dead,,,\n");
  Infection recovered = severe_case();
  recovered.outcome = Outcome::kRecovered;
  EXPECT_EQ(rows_of(3, {recovered}, 30), "3,42,71,2,7,home,5,7,12,14,30,recovered,,,\n")
      << "resolving on the last day counts as resolved";
}

TEST(LineListCsv, DaysThatNeverComeAreEmpty) {
  Infection mild;
  mild.agent = 3;
  mild.age = 4;
  mild.day_infected = 0;
  mild.route = InfectionRoute::kSeed;  // an initial infection: no infector
  mild.day_infectious = 3;
  mild.day_resolved = 13;  // asymptomatic, never in hospital
  EXPECT_EQ(rows_of(1, {mild}, 100), "1,3,4,0,,seed,3,,,,13,recovered,,,\n");
}

TEST(LineListCsv, DaysAfterTheRunAreEmptyAndTheCaseIsActive) {
  EXPECT_EQ(rows_of(2, {severe_case()}, 13), "2,42,71,2,7,home,5,7,12,,,active,,,\n");
  EXPECT_EQ(rows_of(2, {severe_case()}, 4), "2,42,71,2,7,home,,,,,,active,,,\n");
}

TEST(LineListCsv, EveryRouteByName) {
  std::vector<Infection> infections;
  for (InfectionRoute route : {InfectionRoute::kSeed, InfectionRoute::kHome, InfectionRoute::kWork,
                               InfectionRoute::kSchool, InfectionRoute::kCommunity}) {
    Infection i = severe_case();
    i.route = route;
    infections.push_back(i);
  }
  std::istringstream rows(rows_of(1, infections, 180));
  std::vector<std::string> routes;
  for (std::string line; std::getline(rows, line);) {
    std::istringstream cells(line);
    std::string cell;
    for (int c = 0; c <= 5; ++c) std::getline(cells, cell, ',');
    routes.push_back(cell);
  }
  EXPECT_EQ(routes, (std::vector<std::string>{"seed", "home", "work", "school", "community"}));
}

TEST(LineListCsv, RowsKeepTheirOrderAndNothingIsWrittenForNoInfections) {
  Infection a = severe_case();
  Infection b = severe_case();
  b.agent = 5;
  EXPECT_EQ(rows_of(1, {a, b}, 180),
            "1,42,71,2,7,home,5,7,12,14,30,dead,,,\n1,5,71,2,7,home,5,7,12,14,30,dead,,,\n");
  EXPECT_EQ(rows_of(1, {}, 180), "");
}

TEST(LineListCsv, LargeIdsAreWrittenInFull) {
  Infection i = severe_case();
  i.agent = 3'999'999'999u;
  i.infector = 4'000'000'000u;
  EXPECT_EQ(rows_of(1000, {i}, 180), "1000,3999999999,71,2,4000000000,home,5,7,12,14,30,dead,,,\n");
}

}  // namespace
}  // namespace outbreak::io

namespace outbreak::io {
namespace {

engine::CaseEvent event(std::uint32_t agent, std::int16_t day, engine::CaseEventKind kind) {
  return {agent, day, kind};
}

TEST(LineListBuffer, CaseEventsFillTheirDaysFromTheInfectionOn) {
  using K = engine::CaseEventKind;
  LineListBuffer buffer;
  // Agent 9 is traced on day 1, before its infection on day 2, then tested
  // positive and isolated on day 8; agent 42 is traced on day 10 and 12.
  const std::vector<engine::CaseEvent> early = {event(9, 1, K::kTraced)};
  buffer.add(early);
  Infection nine = severe_case();
  nine.agent = 9;
  const std::vector<Infection> infections = {severe_case(), nine};
  buffer.add(infections);
  const std::vector<engine::CaseEvent> later = {
      event(9, 8, K::kPositive), event(9, 8, K::kIsolated), event(42, 10, K::kTraced),
      event(42, 12, K::kTraced), event(77, 12, K::kPositive)};
  buffer.add(later);
  std::ostringstream out;
  buffer.write(out, 1, 180);
  EXPECT_EQ(out.str(),
            "1,42,71,2,7,home,5,7,12,14,30,dead,,,10\n1,9,71,2,7,home,5,7,12,14,30,dead,8,8,1\n");
  EXPECT_TRUE(buffer.empty());
  std::ostringstream again;
  buffer.write(again, 2, 180);
  EXPECT_EQ(again.str(), "") << "written once";
}

}  // namespace
}  // namespace outbreak::io
