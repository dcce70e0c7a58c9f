#include "outbreak/io/results_format.hpp"

#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "outbreak/io/scenario_json.hpp"

namespace outbreak::io {
namespace {

using engine::DayTotals;
using engine::DayValues;
using engine::EnsembleResult;
using engine::kDayColumns;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kCsvHeader =
    "day,susceptible,exposed,infectious,symptomatic,currently_infected,isolated,recovered,dead,"
    "total_infected,new_infections,infections_home,infections_work,infections_community,"
    "hospitalized,critical,new_hospitalizations,new_deaths,r_t,infections_school,new_symptomatic,"
    "tests,positive_tests,isolating,quarantined,traced_contacts,vaccinated";
constexpr std::size_t kRt = 18;  // the r_t column
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Count column c of replicate r (0-based) on `day` holds 1000 r + 100 day + c,
// so every cell says where it came from; r_t is (r + 1) / 3 + day, and not
// known (NaN) from day 2 on. Timeline item 64 + day is active on `day` in
// every replicate, and item r from day 1 on.
DayTotals totals(std::int64_t replicate, std::int64_t day) {
  DayTotals t;
  for (std::size_t c = 1; c < kDayColumns.size(); ++c) {
    if (kDayColumns[c].member == nullptr) continue;
    t.*kDayColumns[c].member = 1000 * replicate + 100 * day + static_cast<std::int64_t>(c);
  }
  t.day = day;
  t.r_t = day >= 2 ? kNaN : static_cast<double>(replicate + 1) / 3.0 + static_cast<double>(day);
  t.set_active(64 + static_cast<std::size_t>(day));
  if (day >= 1) t.set_active(static_cast<std::size_t>(replicate));
  return t;
}

// "base+from,...,base+to": a run of count cells as the CSV writes them.
std::string cells(std::int64_t base, std::size_t from, std::size_t to) {
  std::ostringstream out;
  for (std::size_t c = from; c <= to; ++c) {
    if (c != from) out << ',';
    out << base + static_cast<std::int64_t>(c);
  }
  return out.str();
}

// Built by hand so the io tests do not depend on engine::summarize. The
// summary is the exact mean of the replicates above, offset by -/+900 for the
// percentiles, with two fractional cells on day 0.
EnsembleResult make_result(std::int64_t replicates, std::int64_t days) {
  EnsembleResult result;
  for (std::int64_t r = 0; r < replicates; ++r) {
    auto& series = result.replicates.emplace_back();
    for (std::int64_t d = 0; d < days; ++d) series.push_back(totals(r, d));
  }
  if (replicates < 2) return result;
  for (std::int64_t d = 0; d < days; ++d) {
    DayValues mean{};
    mean[0] = static_cast<double>(d);
    for (std::size_t c = 1; c < mean.size(); ++c) {
      mean[c] = 500.0 * static_cast<double>(replicates - 1) + 100.0 * static_cast<double>(d) +
                static_cast<double>(c);
    }
    mean[kRt] = 2.0 / 3.0 + static_cast<double>(d);
    DayValues p5 = mean;
    DayValues p95 = mean;
    for (std::size_t c = 1; c < mean.size(); ++c) {
      p5[c] -= c == kRt ? 0.25 : 900;
      p95[c] += c == kRt ? 0.25 : 900;
    }
    result.summary.mean.push_back(mean);
    result.summary.p5.push_back(p5);
    result.summary.p95.push_back(p95);
  }
  result.summary.mean[0][1] = 2.5;
  result.summary.mean[0][2] = 1.0 / 3.0;
  return result;
}

std::string render(Format format, const EnsembleResult& result,
                   const engine::Scenario& scenario = {}) {
  std::ostringstream out;
  write_results(out, format, scenario, result);
  return out.str();
}

// The cells of a table row.
std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// --- parse_format ---------------------------------------------------------------

TEST(ParseFormat, KnownNames) {
  EXPECT_EQ(*parse_format("table"), Format::kTable);
  EXPECT_EQ(*parse_format("csv"), Format::kCsv);
  EXPECT_EQ(*parse_format("json"), Format::kJson);
}

TEST(ParseFormat, UnknownNameListsTheAllowedOnes) {
  const Result<Format> format = parse_format("xml");
  ASSERT_FALSE(format.ok());
  EXPECT_EQ(format.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(format.error().message, "unknown format \"xml\"; allowed: table, csv, json");
  EXPECT_FALSE(parse_format("CSV").ok());
}

// --- CSV ------------------------------------------------------------------------

TEST(CsvFormat, OneReplicateHasOneRowPerDayAndNoReplicateColumn) {
  const std::vector<std::string> lines = lines_of(render(Format::kCsv, make_result(1, 3)));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], std::string(kCsvHeader) + ",interventions_active");
  EXPECT_EQ(lines[1], "0," + cells(0, 1, 17) + ",0.333333," + cells(0, 19, 26) + ",64");
  EXPECT_EQ(lines[2], "1," + cells(100, 1, 17) + ",1.33333," + cells(100, 19, 26) + ",0;65")
      << "six significant digits";
  EXPECT_EQ(lines[3], "2," + cells(200, 1, 17) + ",," + cells(200, 19, 26) + ",0;66")
      << "an unknown r_t is empty";
}

TEST(CsvFormat, SeveralReplicatesThenMeanAndPercentiles) {
  const std::vector<std::string> lines = lines_of(render(Format::kCsv, make_result(3, 2)));
  ASSERT_EQ(lines.size(), 1u + 3 * 2 + 3 * 2);
  EXPECT_EQ(lines[0], std::string(kCsvHeader) + ",replicate,interventions_active");
  EXPECT_EQ(lines[1], "0," + cells(0, 1, 17) + ",0.333333," + cells(0, 19, 26) + ",1,64");
  EXPECT_EQ(lines[3], "0," + cells(1000, 1, 17) + ",0.666667," + cells(1000, 19, 26) + ",2,64");
  EXPECT_EQ(lines[6], "1," + cells(2100, 1, 17) + ",2," + cells(2100, 19, 26) + ",3,2;65");
  // Means and percentiles: whole values as integers, others to six decimals;
  // the items active in any replicate.
  EXPECT_EQ(lines[7], "0,2.5,0.333333," + cells(1000, 3, 17) + ",0.666667," + cells(1000, 19, 26) +
                          ",mean,64");
  EXPECT_EQ(lines[8],
            "1," + cells(1100, 1, 17) + ",1.666667," + cells(1100, 19, 26) + ",mean,0;1;2;65");
  EXPECT_EQ(lines[9], "0," + cells(100, 1, 17) + ",0.416667," + cells(100, 19, 26) + ",p5,64");
  EXPECT_EQ(lines[12],
            "1," + cells(2000, 1, 17) + ",1.916667," + cells(2000, 19, 26) + ",p95,0;1;2;65");
}

TEST(CsvFormat, SummaryOfRtNeedsEveryReplicateToKnowIt) {
  EnsembleResult result = make_result(3, 2);
  result.replicates[1][1].r_t = kNaN;  // replicate 2 does not know day 1 yet
  const std::vector<std::string> lines = lines_of(render(Format::kCsv, result));
  ASSERT_EQ(lines.size(), 13u);
  EXPECT_EQ(lines[4], "1," + cells(1100, 1, 17) + ",," + cells(1100, 19, 26) + ",2,1;65");
  EXPECT_EQ(lines[7], "0,2.5,0.333333," + cells(1000, 3, 17) + ",0.666667," + cells(1000, 19, 26) +
                          ",mean,64");
  EXPECT_EQ(lines[8], "1," + cells(1100, 1, 17) + ",," + cells(1100, 19, 26) + ",mean,0;1;2;65")
      << "not the mean of the replicates that know it";
  EXPECT_EQ(lines[10], "1," + cells(200, 1, 17) + ",," + cells(200, 19, 26) + ",p5,0;1;2;65");
  EXPECT_EQ(lines[12], "1," + cells(2000, 1, 17) + ",," + cells(2000, 19, 26) + ",p95,0;1;2;65");
}

TEST(CsvFormat, NoReplicatesGivesOnlyTheHeader) {
  EXPECT_EQ(render(Format::kCsv, EnsembleResult{}),
            std::string(kCsvHeader) + ",interventions_active\n");
}

TEST(CsvFormat, ActiveItemsAreTheLastCellAscendingSeparatedBySemicolons) {
  EnsembleResult result = make_result(1, 2);
  result.replicates[0][0].active = {};  // none: an empty last cell
  result.replicates[0][1].active = {};
  for (const std::size_t item : {101, 64, 0, 63}) result.replicates[0][1].set_active(item);
  const std::vector<std::string> lines = lines_of(render(Format::kCsv, result));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "0," + cells(0, 1, 17) + ",0.333333," + cells(0, 19, 26) + ",");
  EXPECT_EQ(lines[2], "1," + cells(100, 1, 17) + ",1.33333," + cells(100, 19, 26) + ",0;63;64;101");
}

TEST(CsvFormat, ASummaryRowOfADayNoReplicateHadItemsOnHasAnEmptyLastCell) {
  EnsembleResult result = make_result(2, 2);
  for (auto& series : result.replicates) series[0].active = {};
  const std::vector<std::string> lines = lines_of(render(Format::kCsv, result));
  ASSERT_EQ(lines.size(), 1u + 2 * 2 + 3 * 2);
  for (const std::size_t summary_day0 : {5u, 7u, 9u}) {
    EXPECT_THAT(lines[summary_day0], ::testing::EndsWith(",")) << lines[summary_day0];
  }
  EXPECT_THAT(lines[6], ::testing::EndsWith(",mean,0;1;65"));
}

// --- JSON -----------------------------------------------------------------------

TEST(JsonFormat, OneReplicateParsesBackWithoutSummary) {
  engine::Scenario scenario;
  scenario.seed = 77;
  const std::string text = render(Format::kJson, make_result(1, 3), scenario);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const nlohmann::ordered_json json = nlohmann::ordered_json::parse(text);

  EXPECT_EQ(json["scenario"], scenario_to_json(scenario));
  ASSERT_EQ(json["columns"].size(), kDayColumns.size());
  for (std::size_t c = 0; c < kDayColumns.size(); ++c) {
    EXPECT_EQ(json["columns"][c], kDayColumns[c].name);
  }
  ASSERT_EQ(json["replicates"].size(), 1u);
  const auto& replicate = json["replicates"][0];
  EXPECT_EQ(replicate["replicate"], 1);
  EXPECT_EQ(replicate["seed"], 77);
  ASSERT_EQ(replicate["days"].size(), 3u);
  EXPECT_EQ(replicate["days"][2]["day"], 2);
  EXPECT_EQ(replicate["days"][2]["infections_community"], 213);
  EXPECT_FALSE(json.contains("summary"));
}

TEST(JsonFormat, DayRowsUseTheColumnNamesInOrder) {
  const auto json = nlohmann::ordered_json::parse(render(Format::kJson, make_result(1, 1)));
  const auto& row = json["replicates"][0]["days"][0];
  std::size_t c = 0;
  for (const auto& [key, value] : row.items()) {
    if (c == kDayColumns.size()) {
      EXPECT_EQ(key, "interventions_active") << "after the columns";
      EXPECT_EQ(value, nlohmann::json::parse("[64]"));
      ++c;
      continue;
    }
    ASSERT_LT(c, kDayColumns.size());
    EXPECT_EQ(key, kDayColumns[c].name);
    if (kDayColumns[c].member != nullptr) {
      EXPECT_TRUE(value.is_number_integer()) << key;
      EXPECT_EQ(value, totals(0, 0).*kDayColumns[c].member);
    } else {
      EXPECT_NEAR(value.get<double>(), totals(0, 0).*kDayColumns[c].real, 1e-6) << key;
    }
    ++c;
  }
  EXPECT_EQ(c, kDayColumns.size() + 1);
}

TEST(JsonFormat, EachDayListsTheIdsOfItsActiveTimelineItems) {
  EnsembleResult result = make_result(1, 3);
  result.replicates[0][2].active = {};
  for (const std::size_t item : {101, 64, 0, 63}) result.replicates[0][2].set_active(item);
  result.replicates[0][0].active = {};
  const auto json = nlohmann::json::parse(render(Format::kJson, result));
  const auto& days = json["replicates"][0]["days"];
  EXPECT_EQ(days[0]["interventions_active"], nlohmann::json::array());
  EXPECT_EQ(days[1]["interventions_active"], nlohmann::json::parse("[0,65]"));
  EXPECT_EQ(days[2]["interventions_active"], nlohmann::json::parse("[0,63,64,101]"));
  EXPECT_THAT(json_day_row(result.replicates[0][2]),
              ::testing::EndsWith(",\"interventions_active\":[0,63,64,101]}"));
}

TEST(JsonFormat, SummaryRowsListTheItemsActiveInAnyReplicate) {
  EnsembleResult result = make_result(3, 3);
  for (auto& series : result.replicates) series[2].active = {};
  const auto json = nlohmann::json::parse(render(Format::kJson, result));
  for (const char* series : {"mean", "p5", "p95"}) {
    const auto& rows = json["summary"][series];
    ASSERT_EQ(rows.size(), 3u) << series;
    EXPECT_EQ(rows[0]["interventions_active"], nlohmann::json::parse("[64]")) << series;
    EXPECT_EQ(rows[1]["interventions_active"], nlohmann::json::parse("[0,1,2,65]")) << series;
    EXPECT_EQ(rows[2]["interventions_active"], nlohmann::json::array()) << series;
  }
}

TEST(JsonFormat, TheTimelineListsEveryItemWithItsId) {
  engine::Scenario scenario;
  engine::Intervention lockdown = engine::make_intervention(engine::InterventionType::kDistancing);
  lockdown.name = "Lockdown";
  lockdown.start_day = 30;
  lockdown.end_day = 71;
  scenario.interventions.push_back(lockdown);
  scenario.symptomatic_isolation = true;  // the flat keys' items follow the user's
  scenario.contact_tracing = true;
  const auto json =
      nlohmann::ordered_json::parse(render(Format::kJson, make_result(1, 1), scenario));
  EXPECT_EQ(json["scenario"], scenario_to_json(scenario)) << "the scenario as it reads back";
  const auto& timeline = json["timeline"];
  EXPECT_EQ(timeline, timeline_json(scenario));
  ASSERT_EQ(timeline.size(), 3u);
  const auto items = interventions_to_json(scenario.timeline());
  for (std::size_t id = 0; id < 3; ++id) {
    EXPECT_EQ(timeline[id].begin().key(), "id");
    EXPECT_EQ(timeline[id]["id"], id);
    auto rest = timeline[id];
    rest.erase("id");
    EXPECT_EQ(rest, items[id]) << id;
  }
  EXPECT_EQ(timeline[0]["name"], "Lockdown");
  EXPECT_EQ(timeline[0]["end_day"], 71);
  EXPECT_EQ(timeline[1]["type"], "case_isolation");
  EXPECT_EQ(timeline[2]["type"], "contact_tracing");
  EXPECT_EQ(timeline[2]["mode"], "places");
  const auto keys = [](const nlohmann::ordered_json& object) {
    std::vector<std::string> out;
    for (const auto& [key, value] : object.items()) out.push_back(key);
    return out;
  };
  EXPECT_THAT(keys(json), ::testing::ElementsAre("scenario", "timeline", "columns", "replicates"));

  const auto none = nlohmann::json::parse(render(Format::kJson, make_result(1, 1)));
  EXPECT_EQ(none["timeline"], nlohmann::json::array());
}

TEST(JsonFormat, UnknownRtIsNull) {
  const auto json = nlohmann::json::parse(render(Format::kJson, make_result(1, 3)));
  const auto& days = json["replicates"][0]["days"];
  EXPECT_EQ(days[1]["r_t"], 1.33333);
  EXPECT_TRUE(days[2]["r_t"].is_null());
  EXPECT_EQ(days[2]["infections_school"], 219);
}

TEST(JsonFormat, SummaryOfRtIsNullUnlessEveryReplicateKnowsIt) {
  EnsembleResult result = make_result(2, 2);
  result.replicates[0][1].r_t = kNaN;
  const auto json = nlohmann::json::parse(render(Format::kJson, result));
  for (const char* series : {"mean", "p5", "p95"}) {
    EXPECT_TRUE(json["summary"][series][0]["r_t"].is_number()) << series;
    EXPECT_TRUE(json["summary"][series][1]["r_t"].is_null()) << series;
    EXPECT_EQ(json["summary"][series][1]["hospitalized"].is_number(), true) << series;
  }
  EXPECT_EQ(json["summary"]["mean"][0]["r_t"], 0.666667);
}

TEST(JsonFormat, AgeTotalsPerReplicateByBand) {
  EnsembleResult result = make_result(2, 2);
  for (std::int64_t r = 0; r < 2; ++r) {
    engine::AgeTotals& totals = result.age_totals.emplace_back();
    for (std::size_t b = 0; b < engine::kAgeBands; ++b) {
      const auto v = static_cast<std::int64_t>(100 * r + 10 * static_cast<std::int64_t>(b));
      totals.agents[b] = v + 1;
      totals.infected[b] = v + 2;
      totals.hospitalized[b] = v + 3;
      totals.critical[b] = v + 4;
      totals.dead[b] = v + 5;
    }
  }
  const auto json = nlohmann::ordered_json::parse(render(Format::kJson, result));
  for (std::size_t r = 0; r < 2; ++r) {
    const auto& bands = json["replicates"][r]["age_totals"];
    ASSERT_EQ(bands.size(), engine::kAgeBands);
    for (std::size_t b = 0; b < engine::kAgeBands; ++b) {
      const auto v = static_cast<std::int64_t>(100 * r + 10 * b);
      EXPECT_EQ(bands[b]["band"], engine::kAgeBandLabels[b]);
      EXPECT_EQ(bands[b]["agents"], v + 1);
      EXPECT_EQ(bands[b]["infected"], v + 2);
      EXPECT_EQ(bands[b]["hospitalized"], v + 3);
      EXPECT_EQ(bands[b]["critical"], v + 4);
      EXPECT_EQ(bands[b]["dead"], v + 5);
    }
  }
  EXPECT_EQ(json["replicates"][0]["age_totals"][0].begin().key(), "band");
  EXPECT_EQ(json["replicates"][1]["age_totals"][8]["band"], "80+");
}

TEST(JsonFormat, NoAgeTotalsWhenTheResultHasNone) {
  // Results read back from a store carry no totals by age.
  const auto json = nlohmann::json::parse(render(Format::kJson, make_result(2, 2)));
  EXPECT_FALSE(json["replicates"][0].contains("age_totals"));
}

TEST(JsonFormat, DayRowAloneMatchesTheDocument) {
  const DayTotals day = totals(0, 2);
  const auto row = nlohmann::json::parse(json_day_row(day));
  const auto json = nlohmann::json::parse(render(Format::kJson, make_result(1, 3)));
  EXPECT_EQ(row, json["replicates"][0]["days"][2]);
  EXPECT_EQ(json_day_row(day).find('\n'), std::string::npos);
}

TEST(JsonFormat, SeveralReplicatesHaveSeedsAndSummary) {
  engine::Scenario scenario;
  scenario.seed = 10;
  const auto json = nlohmann::json::parse(render(Format::kJson, make_result(3, 2), scenario));
  ASSERT_EQ(json["replicates"].size(), 3u);
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(json["replicates"][r]["replicate"], r + 1);
    EXPECT_EQ(json["replicates"][r]["seed"], 10 + r);
    EXPECT_EQ(json["replicates"][r]["days"][1]["susceptible"], 1000 * r + 101);
  }
  const auto& summary = json["summary"];
  for (const char* series : {"mean", "p5", "p95"}) {
    ASSERT_TRUE(summary.contains(series)) << series;
    EXPECT_EQ(summary[series].size(), 2u) << series;
  }
  EXPECT_EQ(summary["mean"][0]["susceptible"], 2.5);
  EXPECT_EQ(summary["mean"][0]["exposed"], 0.333333);
  EXPECT_TRUE(summary["mean"][1]["exposed"].is_number_integer());
  EXPECT_EQ(summary["mean"][1]["exposed"], 1102);
  EXPECT_EQ(summary["p5"][1]["dead"], 208);
  EXPECT_EQ(summary["p95"][1]["dead"], 2008);
}

TEST(JsonFormat, NonFiniteSummaryValuesBecomeNull) {
  EnsembleResult result = make_result(2, 1);
  result.summary.p5[0][3] = std::numeric_limits<double>::quiet_NaN();
  const auto json = nlohmann::json::parse(render(Format::kJson, result));
  EXPECT_TRUE(json["summary"]["p5"][0]["infectious"].is_null());
}

TEST(JsonFormat, NoReplicatesIsStillValidJson) {
  const auto json = nlohmann::json::parse(render(Format::kJson, EnsembleResult{}));
  EXPECT_TRUE(json["replicates"].empty());
}

// --- Table ----------------------------------------------------------------------

TEST(TableFormat, HeaderNamesTheColumnsAndRowsAlign) {
  const std::vector<std::string> lines = lines_of(render(Format::kTable, make_result(1, 12)));
  ASSERT_EQ(lines.size(), 13u);
  std::size_t from = 0;
  for (const auto& column : kDayColumns) {
    const std::size_t at = lines[0].find(column.name, from);
    ASSERT_NE(at, std::string::npos) << column.name;
    from = at + column.name.size();
  }
  for (const std::string& line : lines) EXPECT_EQ(line.size(), lines[0].size()) << line;
  // Right-aligned: the last digits of "day" sit under its last letter.
  EXPECT_THAT(lines[0], StartsWith("day"));
  EXPECT_THAT(lines[1], StartsWith("  0"));
  EXPECT_THAT(lines[11], StartsWith(" 10"));
  EXPECT_THAT(lines[12], HasSubstr(" 1113"));
  // r_t with two decimals, "-" while unknown.
  EXPECT_EQ(words_of(lines[1])[kRt], "0.33");
  EXPECT_EQ(words_of(lines[2])[kRt], "1.33");
  EXPECT_EQ(words_of(lines[3])[kRt], "-");
  EXPECT_EQ(words_of(lines[3])[kRt + 1], "219");
}

TEST(TableFormat, SeveralReplicatesShowTheRoundedMean) {
  const std::vector<std::string> lines = lines_of(render(Format::kTable, make_result(3, 2)));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0],
            "# mean of 3 replicates (use --format csv or json for each replicate and the "
            "5th/95th percentiles)");
  EXPECT_THAT(lines[1], StartsWith("day  susceptible  exposed"));
  // 2.5 and 1/3 round to 3 and 0.
  EXPECT_THAT(lines[2], StartsWith("  0            3        0"));
  EXPECT_THAT(lines[3], HasSubstr(" 1102 "));
  EXPECT_EQ(words_of(lines[2])[kRt], "0.67");
}

TEST(TableFormat, MeanOfRtIsADashUnlessEveryReplicateKnowsIt) {
  EnsembleResult result = make_result(3, 2);
  result.replicates[2][1].r_t = kNaN;
  const std::vector<std::string> lines = lines_of(render(Format::kTable, result));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(words_of(lines[2])[kRt], "0.67");
  EXPECT_EQ(words_of(lines[3])[kRt], "-");
  EXPECT_EQ(words_of(lines[3])[kRt + 1], "1119");
}

TEST(TableFormat, OutputIsDeterministic) {
  const EnsembleResult result = make_result(3, 5);
  for (Format format : {Format::kTable, Format::kCsv, Format::kJson}) {
    EXPECT_EQ(render(format, result), render(format, result));
  }
}

// --- ResultsWriter ----------------------------------------------------------------

// Writes `result` through ResultsWriter, the replicates numbered from
// `first_number`, with the summary if `summary`.
std::string piecewise(Format format, const EnsembleResult& result, bool summary,
                      std::int64_t first_number = 1) {
  const engine::Scenario scenario;
  ResultsWriter writer(format, scenario, result.replicates.size());
  std::string out;
  writer.head(out);
  for (std::size_t r = 0; r < result.replicates.size(); ++r) {
    writer.replicate_start(out, first_number + static_cast<std::int64_t>(r));
    for (const DayTotals& day : result.replicates[r]) writer.day(out, day);
    writer.replicate_end(out);
  }
  if (summary) {
    writer.summary_start(out);
    const std::vector<DayValues>* series[] = {&result.summary.mean, &result.summary.p5,
                                              &result.summary.p95};
    for (std::size_t s = 0; s < 3; ++s) {
      writer.series_start(out, s);
      for (std::size_t d = 0; d < series[s]->size(); ++d)
        writer.summary_row(out, d, (*series[s])[d]);
      writer.series_end(out);
    }
  }
  writer.tail(out);
  return out;
}

TEST(ResultsWriter, PiecesMakeTheSameDocumentAsWriteResults) {
  for (const Format format : {Format::kCsv, Format::kJson}) {
    for (const std::int64_t replicates : {1, 3}) {
      const EnsembleResult result = make_result(replicates, 4);
      EXPECT_EQ(piecewise(format, result, replicates > 1), render(format, result));
    }
  }
}

TEST(ResultsWriter, WithoutASummaryJsonEndsAfterTheReplicates) {
  // A job whose summary is not written yet, and one replicate of several
  // (numbered as in the job, with its own seed).
  EnsembleResult result = make_result(2, 3);
  result.replicates[1].pop_back();  // still running
  const std::string text = piecewise(Format::kJson, result, false);
  const auto document = nlohmann::json::parse(text);
  EXPECT_FALSE(document.contains("summary"));
  ASSERT_EQ(document["replicates"].size(), 2u);
  EXPECT_EQ(document["replicates"][1]["days"].size(), 2u);
  EXPECT_THAT(text, ::testing::EndsWith("    ]}\n  ]\n}\n"));
  const auto second = nlohmann::json::parse(piecewise(Format::kJson, make_result(1, 2), false, 2));
  EXPECT_EQ(second["replicates"][0]["replicate"], 2);
  EXPECT_EQ(second["replicates"][0]["seed"], engine::Scenario{}.seed + 1);
}

}  // namespace
}  // namespace outbreak::io
