// The texts of the four mails and the key figures they report.
#include "outbreak/mail/templates.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace outbreak::mail {
namespace {

using engine::DayTotals;

store::SimulationRecord record() {
  store::SimulationRecord record;
  record.id = "0b6f3c9e-4a1d-4c2e-9f7a-123456789abc";
  record.name = "Tracing <fast> & \"cheap\"";
  record.scenario_json =
      R"({"population": 250000, "days": 120, "replicates": 3, "seed": 9,
          "contact_tracing": true, "tracing_coverage": 0.8, "tracing_delay_days": 1})";
  record.days = 120;
  record.replicates = 3;
  record.email = "reader@example.net";
  return record;
}

DayTotals day(std::int64_t d, std::int64_t susceptible, std::int64_t infected,
              std::int64_t recovered, std::int64_t dead, std::int64_t total) {
  DayTotals totals;
  totals.day = d;
  totals.susceptible = susceptible;
  totals.currently_infected = infected;
  totals.recovered = recovered;
  totals.dead = dead;
  totals.total_infected = total;
  return totals;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(MailLinks, AreBuiltFromThePublicUrl) {
  EXPECT_EQ(results_page_url("https://sim.example.org/", "abc"),
            "https://sim.example.org/simulations/abc");
  EXPECT_EQ(results_page_url(kDefaultPublicUrl, "abc"), "http://127.0.0.1:8080/simulations/abc");
  EXPECT_EQ(results_csv_url("https://sim.example.org", "abc"),
            "https://sim.example.org/api/v1/simulations/abc/results?format=csv");
}

TEST(MailKeyFigures, FromOneReplicate) {
  // population 1000 throughout
  std::vector<DayTotals> days = {day(0, 990, 10, 0, 0, 10), day(1, 900, 80, 20, 0, 100),
                                 day(2, 700, 150, 148, 2, 300), day(3, 600, 150, 245, 5, 400),
                                 day(4, 580, 20, 392, 8, 420)};
  days[2].new_hospitalizations = 7;
  days[3].new_hospitalizations = 5;
  const auto figures = key_figures(days);
  ASSERT_TRUE(figures);
  EXPECT_EQ(figures->population, 1000);
  EXPECT_EQ(figures->total_infected, 420);
  EXPECT_DOUBLE_EQ(figures->attack_rate, 0.42);
  EXPECT_EQ(figures->peak_currently_infected, 150);
  EXPECT_EQ(figures->peak_day, 2);  // the first day of the peak
  EXPECT_EQ(figures->deaths, 8);
  EXPECT_EQ(figures->hospitalizations, 12);
  EXPECT_EQ(figures->last_day, 4);
  EXPECT_EQ(figures->replicates, 1);
  EXPECT_FALSE(key_figures(std::vector<DayTotals>{}));
}

TEST(MailKeyFigures, FromTheMeanOfASummary) {
  engine::Summary summary;
  const auto values = [](const DayTotals& totals) {
    engine::DayValues v{};
    for (std::size_t i = 0; i < engine::kDayColumns.size(); ++i) {
      v[i] = engine::kDayColumns[i].value(totals);
    }
    return v;
  };
  summary.mean = {values(day(0, 990, 10, 0, 0, 10)), values(day(1, 800, 120, 80, 0, 200)),
                  values(day(2, 750, 60, 188, 2, 250))};
  summary.mean[1][5] = 120.5;  // currently_infected may have a fraction
  summary.mean[2][9] = 250.5;  // total_infected
  summary.mean[1][16] = 3.25;  // new_hospitalizations
  summary.mean[2][16] = 1.5;
  summary.p5 = summary.mean;
  summary.p95 = summary.mean;
  const auto figures = key_figures(summary, 4);
  ASSERT_TRUE(figures);
  EXPECT_EQ(figures->replicates, 4);
  EXPECT_EQ(figures->total_infected, 250.5);
  EXPECT_EQ(figures->peak_currently_infected, 120.5);
  EXPECT_EQ(figures->peak_day, 1);
  EXPECT_EQ(figures->deaths, 2);
  EXPECT_EQ(figures->hospitalizations, 4.75);
  EXPECT_EQ(figures->last_day, 2);
  EXPECT_DOUBLE_EQ(figures->attack_rate, 250.5 / 1000.0);
  EXPECT_FALSE(key_figures(engine::Summary{}, 4));
}

TEST(MailFormatCount, GroupsThousands) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(1000), "1,000");
  EXPECT_EQ(format_count(1234567.4), "1,234,567");
  EXPECT_EQ(format_count(1234567.26, 1), "1,234,567.3");
  EXPECT_EQ(format_count(-4500), "-4,500");
}

TEST(MailTemplates, AcceptedMailNamesTheJobTheScenarioAndTheLink) {
  const MailText mail = accepted_text(record(), "https://sim.example.org/");
  EXPECT_EQ(mail.subject, "Simulation accepted: Tracing <fast> & \"cheap\"");
  const std::string link = "https://sim.example.org/simulations/" + record().id;
  for (const std::string& body : {mail.text, mail.html}) {
    EXPECT_TRUE(contains(body, record().id)) << body;
    EXPECT_TRUE(contains(body, link)) << body;
    EXPECT_TRUE(contains(body, "250,000 agents, 120 days, 3 replicates (seed 9)")) << body;
    EXPECT_TRUE(contains(body, "contact tracing (80.0% coverage, 1 day delay)")) << body;
  }
  EXPECT_TRUE(contains(mail.text, "Tracing <fast> & \"cheap\""));
  EXPECT_TRUE(contains(mail.html, "Tracing &lt;fast&gt; &amp; &quot;cheap&quot;"));
  EXPECT_FALSE(contains(mail.html, "<fast>"));
}

TEST(MailTemplates, AcceptedMailOfAnUnreadableScenarioStillSaysDaysAndReplicates) {
  store::SimulationRecord job = record();
  job.scenario_json = R"({"populaton": 5})";
  const MailText mail = accepted_text(job, kDefaultPublicUrl);
  EXPECT_TRUE(contains(mail.text, "120 days, 3 replicates")) << mail.text;
}

TEST(MailTemplates, FinishedMailHasTheLinksAndTheKeyFigures) {
  KeyFigures figures;
  figures.population = 250'000;
  figures.total_infected = 123'456.7;
  figures.attack_rate = 123'456.7 / 250'000;
  figures.peak_currently_infected = 34'567.3;
  figures.peak_day = 42;
  figures.deaths = 1'234.5;
  figures.hospitalizations = 4'321.6;
  figures.last_day = 120;
  figures.replicates = 3;
  const MailText mail = finished_text(record(), figures, "https://sim.example.org");
  EXPECT_EQ(mail.subject, "Simulation finished: Tracing <fast> & \"cheap\"");
  for (const std::string& body : {mail.text, mail.html}) {
    EXPECT_TRUE(contains(body, "https://sim.example.org/simulations/" + record().id)) << body;
    EXPECT_TRUE(contains(
        body, "https://sim.example.org/api/v1/simulations/" + record().id + "/results?format=csv"))
        << body;
    EXPECT_TRUE(contains(body, "123,456.7")) << body;
    EXPECT_TRUE(contains(body, "49.4% of 250,000")) << body;
    EXPECT_TRUE(contains(body, "34,567.3 on day 42")) << body;
    EXPECT_TRUE(contains(body, "1,234.5")) << body;
    EXPECT_TRUE(contains(body, "4,321.6")) << body;
    EXPECT_TRUE(contains(body, "means over 3 replicates")) << body;
  }
  const MailText single = finished_text(record(), std::nullopt, kDefaultPublicUrl);
  EXPECT_TRUE(contains(single.text, "no results were stored"));
}

TEST(MailTemplates, FailedAndCancelledMailsGiveTheReason) {
  store::SimulationRecord job = record();
  job.error = "the stored scenario is not valid: population: must be ≥ 1, got 0 <x>";
  const MailText failed = failed_text(job, kDefaultPublicUrl);
  EXPECT_EQ(failed.subject, "Simulation failed: " + job.name);
  EXPECT_TRUE(contains(failed.text, *job.error)) << failed.text;
  EXPECT_TRUE(contains(failed.html, "population: must be ≥ 1, got 0 &lt;x&gt;")) << failed.html;
  EXPECT_TRUE(contains(failed.text, results_page_url(kDefaultPublicUrl, job.id)));

  job.error.reset();
  const MailText cancelled = cancelled_text(job, kDefaultPublicUrl);
  EXPECT_EQ(cancelled.subject, "Simulation cancelled: " + job.name);
  EXPECT_TRUE(contains(cancelled.text, "cancelled on request")) << cancelled.text;
  job.error = "lease expired (worker w1)";
  EXPECT_TRUE(contains(cancelled_text(job, kDefaultPublicUrl).text, "lease expired (worker w1)"));
}

TEST(MailTemplates, FormatAndBidiCharactersAreStrippedFromText) {
  // U+202E (right-to-left override), U+2066..U+2069 (isolates), U+200B..U+200F,
  // U+2060..U+2064, U+FEFF, U+061C, U+00AD, U+2028/U+2029 and a tag character.
  const std::string hidden =
      "\u202E\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069\u200B\u200C\u200D\u200E"
      "\u200F\u2060\u2061\u2062\u2063\u2064\uFEFF\u061C\u00AD\u2028\u2029\U000E0041";
  EXPECT_EQ(without_format_characters("a" + hidden + "b"), "ab");
  EXPECT_EQ(without_format_characters("Grüße, 東京 ≥ 1 🦠"), "Grüße, 東京 ≥ 1 🦠");
  // Not UTF-8: kept byte for byte, and what follows is still cleaned.
  EXPECT_EQ(without_format_characters("x\xFF\xE2\x80y\u202Ez"), "x\xFF\xE2\x80yz");
  EXPECT_EQ(without_format_characters(""), "");
}

TEST(MailTemplates, NamesAndReasonsReachNoMailWithFormatCharacters) {
  store::SimulationRecord job = record();
  job.name = "invoice\u202Efdp.exe\u2066x\u2069\u200B";
  job.error = "bad\u202E reason";
  const std::vector<MailText> mails = {
      accepted_text(job, kDefaultPublicUrl), finished_text(job, std::nullopt, kDefaultPublicUrl),
      failed_text(job, kDefaultPublicUrl), cancelled_text(job, kDefaultPublicUrl)};
  for (const MailText& mail : mails) {
    for (const std::string& part : {mail.subject, mail.text, mail.html}) {
      for (const char* bad : {"\u202E", "\u2066", "\u2069", "\u200B"}) {
        EXPECT_FALSE(contains(part, bad)) << part;
      }
    }
    EXPECT_TRUE(contains(mail.subject, "invoicefdp.exex")) << mail.subject;
  }
  EXPECT_TRUE(contains(mails[2].text, "bad reason")) << mails[2].text;
}

}  // namespace
}  // namespace outbreak::mail
