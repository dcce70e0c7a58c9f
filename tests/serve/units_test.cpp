// The serve module's parts that need no server: settings, submissions, the
// rate limiter, event ids and the metrics text.
#include <gtest/gtest.h>

#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "outbreak/engine/scenario.hpp"
#include "outbreak/serve/config.hpp"
#include "outbreak/serve/documents.hpp"
#include "outbreak/serve/events.hpp"
#include "outbreak/serve/metrics.hpp"
#include "outbreak/serve/rate_limit.hpp"
#include "outbreak/serve/submission.hpp"

namespace outbreak::serve {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Environment fake(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const char* name) -> const char* {
    const auto it = values.find(name);
    return it == values.end() ? nullptr : it->second.c_str();
  };
}

std::vector<std::string> field_names(const Error& error) {
  std::vector<std::string> names;
  for (const FieldError& field : error.fields) names.push_back(field.field);
  return names;
}

TEST(ServeConfig, DefaultsAndEnvironment) {
  auto defaults = config_from_environment(fake({}));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->host, "127.0.0.1");
  EXPECT_EQ(defaults->port, 8080);
  EXPECT_EQ(defaults->database_url, "sqlite://./outbreak.db");
  EXPECT_EQ(defaults->workers, 1);
  EXPECT_EQ(defaults->max_body_bytes, 1u << 20);
  EXPECT_EQ(defaults->limits.population, 10'000'000);
  EXPECT_EQ(defaults->limits.line_list_agents, 1'000'000);
  EXPECT_EQ(defaults->effective_http_threads(), 256 + 16);

  auto set = config_from_environment(fake({{"OUTBREAK_LISTEN", "[::1]:0"},
                                           {"OUTBREAK_WORKERS", "0"},
                                           {"OUTBREAK_MAX_STREAMS", "8"},
                                           {"OUTBREAK_MAX_QUEUED", "5"},
                                           {"OUTBREAK_MAX_LINE_LIST_AGENTS", "0"},
                                           {"OUTBREAK_DATABASE_URL", "sqlite:///tmp/x.db"}}));
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->host, "::1");
  EXPECT_EQ(set->port, 0);
  EXPECT_EQ(set->workers, 0);
  EXPECT_EQ(set->effective_http_threads(), 24);
  EXPECT_EQ(set->max_queued, 5);
  EXPECT_EQ(set->limits.line_list_agents, 0) << "0 turns line lists off";
  EXPECT_EQ(set->database_url, "sqlite:///tmp/x.db");
}

TEST(ServeConfig, ConnectionLimits) {
  auto defaults = config_from_environment(fake({}));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_head_bytes, 32u << 10);
  EXPECT_EQ(defaults->max_headers, 100);
  EXPECT_EQ(defaults->head_timeout, seconds(10));
  EXPECT_EQ(defaults->body_timeout, seconds(30));
  EXPECT_EQ(defaults->keep_alive_timeout, seconds(5));
  EXPECT_EQ(defaults->max_connections_per_client, 64);

  auto set = config_from_environment(fake({{"OUTBREAK_MAX_HEAD_BYTES", "4096"},
                                           {"OUTBREAK_MAX_HEADERS", "20"},
                                           {"OUTBREAK_HEAD_TIMEOUT_MS", "1500"},
                                           {"OUTBREAK_BODY_TIMEOUT_MS", "2500"},
                                           {"OUTBREAK_KEEP_ALIVE_TIMEOUT_MS", "300"},
                                           {"OUTBREAK_MAX_CONNECTIONS_PER_CLIENT", "4"}}));
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set->max_head_bytes, 4096u);
  EXPECT_EQ(set->max_headers, 20);
  EXPECT_EQ(set->head_timeout, milliseconds(1500));
  EXPECT_EQ(set->body_timeout, milliseconds(2500));
  EXPECT_EQ(set->keep_alive_timeout, milliseconds(300));
  EXPECT_EQ(set->max_connections_per_client, 4);

  auto bad = config_from_environment(fake({{"OUTBREAK_MAX_HEAD_BYTES", "100"},
                                           {"OUTBREAK_MAX_HEADERS", "0"},
                                           {"OUTBREAK_HEAD_TIMEOUT_MS", "forever"},
                                           {"OUTBREAK_MAX_CONNECTIONS_PER_CLIENT", "0"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(field_names(bad.error()),
            (std::vector<std::string>{"OUTBREAK_MAX_HEAD_BYTES", "OUTBREAK_MAX_HEADERS",
                                      "OUTBREAK_HEAD_TIMEOUT_MS",
                                      "OUTBREAK_MAX_CONNECTIONS_PER_CLIENT"}));
  EXPECT_EQ(bad.error().fields[0].message, "must be between 1024 and 65536, got 100");
}

TEST(ServeConfig, EveryBadVariableIsNamed) {
  auto bad = config_from_environment(fake({{"OUTBREAK_LISTEN", "8080"},
                                           {"OUTBREAK_WORKERS", "-1"},
                                           {"OUTBREAK_MAX_DAYS", "ten"},
                                           {"OUTBREAK_MAX_LINE_LIST_AGENTS", "-1"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(field_names(bad.error()),
            (std::vector<std::string>{"OUTBREAK_LISTEN", "OUTBREAK_WORKERS", "OUTBREAK_MAX_DAYS",
                                      "OUTBREAK_MAX_LINE_LIST_AGENTS"}));
  ServerConfig config;
  config.database_url = "sqlite://x.db";
  config.http_threads = 10;
  config.max_streams = 10;
  EXPECT_FALSE(check(config).ok()) << "streams could take every thread";
  config.http_threads = 11;
  EXPECT_TRUE(check(config).ok());
}

TEST(ServeConfig, RowsPerJobAndStreamBuffersHaveSafeRanges) {
  auto defaults = config_from_environment(fake({}));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->limits.rows_per_job, 36'500);
  EXPECT_EQ(defaults->stream_buffer_bytes, 1u << 20);
  auto set = config_from_environment(
      fake({{"OUTBREAK_MAX_ROWS_PER_JOB", "365000"}, {"OUTBREAK_STREAM_BUFFER_BYTES", "65536"}}));
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->limits.rows_per_job, 365'000);
  EXPECT_EQ(set->stream_buffer_bytes, 65'536u);
  auto bad = config_from_environment(
      fake({{"OUTBREAK_MAX_ROWS_PER_JOB", "0"}, {"OUTBREAK_STREAM_BUFFER_BYTES", "100"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(field_names(bad.error()), (std::vector<std::string>{"OUTBREAK_MAX_ROWS_PER_JOB",
                                                                "OUTBREAK_STREAM_BUFFER_BYTES"}));
  EXPECT_NE(bad.error().fields[1].message.find("between 4096 and"), std::string::npos);
}

TEST(ServeSubmission, DaysTimesReplicatesAreCappedWithoutOverflow) {
  Limits limits;
  limits.rows_per_job = 1000;
  EXPECT_TRUE(parse_submission(R"({"scenario": {"days": 100, "replicates": 10}})", limits).ok());
  auto over = parse_submission(R"({"scenario": {"days": 101, "replicates": 10}})", limits);
  ASSERT_FALSE(over.ok());
  ASSERT_EQ(over.error().fields.size(), 1u);
  EXPECT_EQ(over.error().fields[0].field, "scenario.days");
  EXPECT_NE(over.error().fields[0].message.find("OUTBREAK_MAX_ROWS_PER_JOB"), std::string::npos);
  limits.days = limits.replicates = std::numeric_limits<std::int64_t>::max();
  EXPECT_FALSE(
      parse_submission(R"({"scenario": {"days": 3650, "replicates": 100000000000000000}})", limits)
          .ok());
}

TEST(ServeSubmission, ReadsAndCompletesTheScenario) {
  auto job = parse_submission(
      R"({"name": " trial ", "email": "a.b@example.org", "scenario": {"population": 5000}})",
      Limits{});
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_EQ(job->name, "trial");
  EXPECT_EQ(job->email, "a.b@example.org");
  EXPECT_EQ(job->days, 180);
  const auto stored = nlohmann::json::parse(job->scenario_json);
  EXPECT_EQ(stored["population"], 5000);
  EXPECT_TRUE(stored["household_size"].is_null()) << "defaults stored with the job";
  EXPECT_EQ(stored["age_shares"].size(), engine::kAgeBands);

  auto unnamed = parse_submission(R"({"name": "", "email": null, "scenario": {}})", Limits{});
  ASSERT_TRUE(unnamed.ok());
  EXPECT_EQ(unnamed->name, "simulation");
  EXPECT_FALSE(unnamed->email.has_value());
}

TEST(ServeSubmission, MalformedJsonHasNoFieldsAndAPosition) {
  auto bad = parse_submission("{\n  \"scenario\": {,}\n}", Limits{});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().fields.empty());
  EXPECT_NE(bad.error().message.find("line 2, column 16"), std::string::npos)
      << bad.error().message;
  auto array = parse_submission("[]", Limits{});
  ASSERT_FALSE(array.ok());
  EXPECT_TRUE(array.error().fields.empty());
}

TEST(ServeSubmission, DuplicateKeysNulBytesAndEmptyBodiesAreMalformed) {
  const auto message = [](std::string_view body) {
    auto parsed = parse_submission(body, Limits{});
    EXPECT_FALSE(parsed.ok()) << body;
    if (parsed.ok()) return std::string();
    EXPECT_TRUE(parsed.error().fields.empty()) << parsed.error().message;
    return parsed.error().message;
  };
  EXPECT_NE(message(R"({"scenario": {}, "scenario": {"days": 5}})").find(R"("scenario")"),
            std::string::npos);
  EXPECT_NE(message(R"({"scenario": {"days": 5, "days": 6}})").find(R"("scenario.days")"),
            std::string::npos);
  EXPECT_NE(message(R"({"scenario": {"x": [1, {"a": 1, "a": 2}]}})").find(R"("scenario.x[1].a")"),
            std::string::npos);
  using namespace std::string_view_literals;
  EXPECT_NE(message("{\"scenario\": {}}\0trailing"sv).find("NUL byte at byte 16"),
            std::string::npos);
  EXPECT_NE(message("").find("empty"), std::string::npos);
  EXPECT_NE(message(" \r\n").find("empty"), std::string::npos);
  EXPECT_TRUE(parse_submission(R"({"name": "days", "scenario": {"days": 5}})", Limits{}).ok());
}

TEST(ServeSubmission, LimitsAndFieldsAreAllReported) {
  Limits limits;
  limits.population = 1000;
  limits.replicates = 2;
  auto bad = parse_submission(
      R"({"scenario": {"population": 2000, "replicates": 3, "initial_infected": 5}})", limits);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(field_names(bad.error()),
            (std::vector<std::string>{"scenario.population", "scenario.replicates"}));
  auto missing = parse_submission(R"({"name": "x"})", Limits{});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(field_names(missing.error()), (std::vector<std::string>{"scenario"}));
}

TEST(ServeSubmission, ArrayEntriesAreNamedWithTheirIndex) {
  auto bad = parse_submission(
      R"({"scenario": {"age_shares": [0.1, 0.1, 0.1, 1.5, 0.1, 0.1, 0.1, 0.1, 0.1],
                       "hospital_by_age": [0, 0, 0, 0, 0, 0, 0, 0]}})",
      Limits{});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(field_names(bad.error()),
            (std::vector<std::string>{"scenario.age_shares[3]", "scenario.hospital_by_age"}))
      << bad.error().message;
  auto unset = parse_submission(R"({"scenario": {"household_size": null}})", Limits{});
  EXPECT_TRUE(unset.ok()) << unset.error().message;
}

TEST(ServeSubmission, NamesAndAddressesAreSafeForHeadersAndPages) {
  EXPECT_TRUE(valid_email("someone@example.org").ok());
  EXPECT_TRUE(valid_email("first.last+tag@sub.example.co.uk").ok());
  EXPECT_TRUE(valid_email("root@localhost").ok());  // local delivery on one machine
  for (const char* bad : {"someone", "@example.org", "someone@", "some one@example.org",
                          "a@b\r\nBcc: c@d.org", "a@.org", "a@b..org"}) {
    EXPECT_FALSE(valid_email(bad).ok()) << bad;
  }
  EXPECT_TRUE(valid_name("Zoë's run: tracing, 1-day delay").ok());
  EXPECT_TRUE(valid_name(std::string(200, 'n')).ok());
  EXPECT_FALSE(valid_name(std::string(201, 'n')).ok());
  EXPECT_FALSE(valid_name("a\tb").ok());
  EXPECT_FALSE(valid_name("a\xC2\x85"
                          "b")
                   .ok())
      << "C1 control (NEL)";
}

TEST(ServeSubmission, FormatAndBidiCharactersAreStrippedFromNames) {
  auto parsed = parse_submission(
      "{\"name\": \" \u202Eabc\u2066d\u2069\u200B\uFEFF \", \"scenario\": {}}", Limits{});
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->name, "abcd");
  auto only_hidden = parse_submission("{\"name\": \"\u202E\u200D\", \"scenario\": {}}", Limits{});
  ASSERT_TRUE(only_hidden.ok());
  EXPECT_EQ(only_hidden->name, "simulation");
}

// The description of one parameter in GET /api/v1/scenario.
nlohmann::ordered_json parameter(const nlohmann::ordered_json& description, std::string_view name) {
  for (const auto& p : description["parameters"]) {
    if (p["name"] == name) return p;
  }
  ADD_FAILURE() << "no parameter " << name;
  return nullptr;
}

TEST(ServeDocuments, TheScenarioDescriptionHasArraysOptionalKeysAndPresets) {
  Limits limits;
  limits.line_list_agents = 5000;
  const auto description = scenario_description(limits);
  ASSERT_EQ(description["parameters"].size(), engine::parameters().size());
  EXPECT_EQ(description["limits"]["line_list_agents"], 5000);

  const auto ages = parameter(description, "age_shares");
  EXPECT_EQ(ages["type"], "array");
  EXPECT_EQ(ages["items"], "real");
  EXPECT_EQ(ages["length"], engine::kAgeBands);
  EXPECT_EQ(ages["labels"].size(), engine::kAgeBands);
  EXPECT_EQ(ages["labels"][0], "0-9");
  EXPECT_EQ(ages["labels"][8], "80+");
  EXPECT_EQ(ages["min"], 0.0);
  EXPECT_EQ(ages["max"], 1.0);
  EXPECT_EQ(ages["default"].get<std::vector<double>>(), engine::Scenario{}.age_shares);
  EXPECT_FALSE(ages["nullable"]);

  const auto household = parameter(description, "household_size");
  EXPECT_EQ(household["type"], "integer");
  EXPECT_TRUE(household["nullable"]);
  EXPECT_TRUE(household["default"].is_null()) << "unset by default";
  EXPECT_EQ(household["min"], 1);
  const auto mortality = parameter(description, "mortality_rate");
  EXPECT_EQ(mortality["type"], "real");
  EXPECT_TRUE(mortality["nullable"]);
  EXPECT_TRUE(mortality["default"].is_null());
  EXPECT_FALSE(parameter(description, "population")["nullable"]);

  ASSERT_EQ(description["presets"].size(), engine::presets().size());
  const auto& original = description["presets"][0];
  EXPECT_EQ(original["name"], "original");
  EXPECT_EQ(original["title"], "Original model");
  EXPECT_FALSE(original["description"].get<std::string>().empty());
  const auto& changes = original["scenario"];
  EXPECT_EQ(changes["household_size"], 3);
  EXPECT_EQ(changes["mortality_rate"], 0.01);
  EXPECT_EQ(changes["age_shares"], nlohmann::json::parse("[0, 0, 0, 1, 0, 0, 0, 0, 0]"));
  EXPECT_FALSE(changes.contains("community_contacts")) << "the same as the default";
  EXPECT_FALSE(changes.contains("population"));
}

TEST(ServeDocuments, AgeTotalsPerReplicateAndTheirSum) {
  EXPECT_TRUE(age_totals_document({}).is_null()) << "none stored (yet)";
  store::AgeTotalsRow first{0, {}};
  store::AgeTotalsRow second{1, {}};
  for (std::size_t band = 0; band < engine::kAgeBands; ++band) {
    first.totals.agents[band] = 100;
    second.totals.agents[band] = 110;
    first.totals.dead[band] = static_cast<std::int64_t>(band);
  }
  second.totals.infected[8] = 7;
  const auto document = age_totals_document({first, second});
  ASSERT_EQ(document["replicates"].size(), 2u);
  EXPECT_EQ(document["replicates"][1]["replicate"], 2);
  const auto& band = document["replicates"][0]["bands"][3];
  EXPECT_EQ(band.dump(),
            R"({"band":"30-39","agents":100,"infected":0,"hospitalized":0,"critical":0,"dead":3})");
  ASSERT_EQ(document["sum"].size(), engine::kAgeBands);
  EXPECT_EQ(document["sum"][8]["agents"], 210);
  EXPECT_EQ(document["sum"][8]["infected"], 7);
  EXPECT_EQ(document["sum"][8]["dead"], 8);
}

TEST(ServeRateLimit, ABurstThenASteadyRatePerAddress) {
  RateLimiter limiter(2);  // 2 at once, then one every 30 s
  const auto t0 = RateLimiter::Clock::time_point{} + seconds(1000);
  EXPECT_EQ(limiter.take("a", t0).count(), 0);
  EXPECT_EQ(limiter.take("a", t0).count(), 0);
  const auto wait = limiter.take("a", t0);
  EXPECT_EQ(wait, milliseconds(30'000));
  EXPECT_EQ(limiter.take("b", t0).count(), 0) << "addresses are independent";
  EXPECT_GT(limiter.take("a", t0 + seconds(29)).count(), 0);
  EXPECT_EQ(limiter.take("a", t0 + seconds(31)).count(), 0);
  RateLimiter unlimited(0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(unlimited.take("a", t0).count(), 0);
}

TEST(ServeRateLimit, FullBucketsAreForgotten) {
  RateLimiter limiter(60);
  const auto t0 = RateLimiter::Clock::time_point{} + seconds(1000);
  for (int i = 0; i < 2000; ++i) (void)limiter.take("10.0.0." + std::to_string(i), t0);
  EXPECT_EQ(limiter.tracked(), 2000u) << "none has refilled yet";
  for (int i = 0; i < 100; ++i) (void)limiter.take("late" + std::to_string(i), t0 + seconds(120));
  EXPECT_EQ(limiter.tracked(), 100u) << "only the late ones: the refilled ones are gone";
}

TEST(ServeEvents, IdsRoundTrip) {
  EXPECT_EQ(event_id({0, 0}), "1:0");
  EXPECT_EQ(event_id({2, 365}), "3:365");
  EXPECT_EQ(parse_event_id("3:365"), (DayKey{2, 365, 1}));
  // A later try's days carry its claim; the first try's keep "r:d".
  EXPECT_EQ(event_id({2, 365, 1}), "3:365");
  EXPECT_EQ(event_id({2, 365, 4}), "4:3:365");
  EXPECT_EQ(parse_event_id("4:3:365"), (DayKey{2, 365, 4}));
  EXPECT_EQ(parse_event_id("1:3:365"), (DayKey{2, 365, 1}));
  EXPECT_LT((DayKey{9, 999, 1}), (DayKey{0, 0, 2})) << "a later try comes after";
  for (const char* bad : {"0:1:1", "1:2:3:4", "x:1:1", ":1:1", "1::1", "99999999999:1:1"}) {
    EXPECT_FALSE(parse_event_id(bad).has_value()) << bad;
  }
  for (const char* bad : {"", "3", "0:1", "1:-1", "a:b", " 1:2"}) {
    EXPECT_FALSE(parse_event_id(bad).has_value()) << bad;
  }
  engine::DayTotals totals;
  totals.day = 4;
  totals.susceptible = 99;
  const std::string text = day_event(1, totals);
  EXPECT_EQ(text.rfind("id: 2:4\nevent: day\ndata: {", 0), 0u) << text;
  EXPECT_EQ(text.substr(text.size() - 2), "\n\n");
  const auto data = nlohmann::json::parse(text.substr(text.find("data: ") + 6));
  EXPECT_EQ(data["replicate"], 2);
  EXPECT_EQ(data["day"], 4);
  EXPECT_EQ(data["susceptible"], 99);
  EXPECT_EQ(data.size(), 2 + engine::kDayColumns.size()) << "replicate, columns, active items";
  EXPECT_EQ(data["interventions_active"], nlohmann::json::array());
  EXPECT_TRUE(data["r_t"].is_null()) << "not known yet";
  EXPECT_EQ(data["infections_school"], 0);
  totals.r_t = 1.25;
  EXPECT_EQ(nlohmann::json::parse(day_event(1, totals).substr(text.find("data: ") + 6))["r_t"],
            1.25);
}

TEST(ServeEvents, ADayEventListsTheActiveTimelineItems) {
  engine::DayTotals totals;
  totals.day = 12;
  for (const std::size_t item : {101, 0, 64, 63}) totals.set_active(item);
  const std::string text = day_event(0, totals);
  EXPECT_NE(text.find(",\"interventions_active\":[0,63,64,101]}\n\n"), std::string::npos) << text;
  const auto data = nlohmann::ordered_json::parse(text.substr(text.find("data: ") + 6));
  EXPECT_EQ(data["interventions_active"], nlohmann::json::parse("[0,63,64,101]"));
  EXPECT_EQ(std::prev(data.end()).key(), "interventions_active") << "after the columns";
}

TEST(ServeMetrics, ExpositionFormat) {
  Metrics metrics;
  metrics.observe_request("/api/v1/simulations/{id}", "GET", 200, milliseconds(3));
  metrics.observe_request("/api/v1/simulations/{id}", "GET", 200, milliseconds(300));
  metrics.observe_request("/x\"y", "BREW", 404, seconds(20));
  metrics.add_agent_days(1234);
  metrics.add_source([](std::string& out) { out += "# TYPE outbreak_mail_sent_total counter\n"; });
  LiveValues live;
  live.jobs = store::StatusCounts{};
  live.jobs->queued = 3;
  live.jobs->failed = 2;
  live.jobs->succeeded = 5;
  const std::string text = metrics.render(live);
  for (const char* line : {
           "outbreak_database_up 1\n",
           "outbreak_jobs{status=\"queued\"} 3\n",
           "outbreak_queue_depth 3\n",
           "outbreak_jobs_finished_total 7\n",
           "outbreak_jobs_failed_total 2\n",
           "outbreak_agent_days_simulated_total 1234\n",
           "outbreak_http_requests_total{route=\"/api/v1/simulations/{id}\",method=\"GET\","
           "status=\"200\"} 2\n",
           "outbreak_http_requests_total{route=\"/x\\\"y\",method=\"other\",status=\"404\"} 1\n",
           "outbreak_http_request_duration_seconds_bucket{route=\"/api/v1/simulations/{id}\","
           "le=\"0.005\"} 1\n",
           "outbreak_http_request_duration_seconds_bucket{route=\"/api/v1/simulations/{id}\","
           "le=\"0.25\"} 1\n",
           "outbreak_http_request_duration_seconds_bucket{route=\"/api/v1/simulations/{id}\","
           "le=\"0.5\"} 2\n",
           "outbreak_http_request_duration_seconds_bucket{route=\"/x\\\"y\",le=\"10\"} 0\n",
           "outbreak_http_request_duration_seconds_bucket{route=\"/x\\\"y\",le=\"+Inf\"} 1\n",
           "outbreak_http_request_duration_seconds_count{route=\"/api/v1/simulations/{id}\"} 2\n",
           "# TYPE outbreak_mail_sent_total counter\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  const std::string down = metrics.render(LiveValues{});
  EXPECT_NE(down.find("outbreak_database_up 0\n"), std::string::npos);
  EXPECT_EQ(down.find("outbreak_queue_depth"), std::string::npos);
}

TEST(ServeDocuments, TheSimulationListsItsEffectiveTimelineWithIds) {
  store::SimulationRecord job;
  job.id = "53dc8789-2809-4e59-854b-df3a5015c560";
  job.scenario_json = R"({"population": 1000, "contact_tracing": true, "interventions": [
    {"type": "distancing", "name": "Lockdown", "start_day": 30, "end_day": 71},
    {"type": "vaccination", "start_when": {"metric": "hospitalized_per_100k", "above": 20}}]})";
  const auto document = simulation_document(job, {});
  const auto& timeline = document["timeline"];
  ASSERT_EQ(timeline.size(), 3u) << document;
  for (std::size_t id = 0; id < timeline.size(); ++id) {
    EXPECT_EQ(timeline[id].begin().key(), "id");
    EXPECT_EQ(timeline[id]["id"], id);
  }
  EXPECT_EQ(timeline[0]["name"], "Lockdown");
  EXPECT_EQ(timeline[0]["end_day"], 71);
  EXPECT_EQ(timeline[1]["type"], "vaccination");
  EXPECT_EQ(timeline[1]["start_when"]["metric"], "hospitalized_per_100k");
  // The flat key's item, which `interventions` does not list.
  EXPECT_EQ(timeline[2]["type"], "contact_tracing");
  EXPECT_EQ(timeline[2]["mode"], "places");
  EXPECT_EQ(document["scenario"]["interventions"].size(), 2u);
  EXPECT_EQ(document["scenario"]["contact_tracing"], true);
  std::vector<std::string> keys;
  for (const auto& [key, value] : document.items()) keys.push_back(key);
  ASSERT_GE(keys.size(), 6u);
  EXPECT_EQ(keys[4], "scenario");
  EXPECT_EQ(keys[5], "timeline");

  job.scenario_json = R"({"population": 1000})";
  EXPECT_EQ(simulation_document(job, {})["timeline"], nlohmann::json::array());
  // A stored scenario that no longer reads is shown as stored, without a timeline.
  job.scenario_json = R"({"population": 1000, "key_of_an_older_outbreak": 1})";
  const auto old = simulation_document(job, {});
  EXPECT_EQ(old["scenario"]["key_of_an_older_outbreak"], 1);
  EXPECT_TRUE(old["timeline"].is_null());
}

TEST(ServeDocuments, TimesAndIds) {
  const auto time = store::TimePoint{} + seconds(1'795'879'217) + milliseconds(42);
  EXPECT_EQ(rfc3339(time), "2026-11-28T15:20:17.042Z");
  EXPECT_TRUE(is_simulation_id("53dc8789-2809-4e59-854b-df3a5015c560"));
  EXPECT_FALSE(is_simulation_id("53DC8789-2809-4e59-854b-df3a5015c560"));
  EXPECT_FALSE(is_simulation_id("53dc8789-2809-4e59-854b-df3a5015c56"));
  EXPECT_FALSE(is_simulation_id("../../etc/passwd"));
  store::SimulationRecord job;
  job.days = 9;
  job.replicates = 2;
  job.progress_replicate = 1;
  job.progress_day = 4;
  const auto progress_document = progress(job);
  EXPECT_EQ(progress_document["replicate"], 2);
  EXPECT_EQ(progress_document["fraction"], 0.75);
}

}  // namespace
}  // namespace outbreak::serve
