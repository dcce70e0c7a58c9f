// The JSON API of a real `outbreak serve` process, on each backend: every
// route, and every error status.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "outbreak/engine/day_totals.hpp"
#include "outbreak/engine/scenario.hpp"
#include "outbreak/store/open.hpp"
#include "serve/event_reader.hpp"
#include "serve/serve_fixture.hpp"

namespace outbreak::serve::testing {
namespace {

class ApiTest : public ServeTest {};

std::set<std::string> fields_of(const httplib::Result& response) {
  std::set<std::string> fields;
  const json document = json::parse(response->body, nullptr, false);
  for (const json& field : document["error"]["fields"]) fields.insert(field["field"]);
  return fields;
}

// Sends `request` byte for byte on a new connection to 127.0.0.1:`port`
// and returns everything the server wrote before closing it (or before
// `timeout` passed without a byte).
std::string raw_exchange(int port, const std::string& request, seconds timeout = seconds(10)) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval wait{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (ssize_t n = 0; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, n);
  }
  ::close(fd);
  return answer;
}

// The status code of a raw HTTP response, 0 if there is none.
int raw_status(const std::string& answer) {
  if (!answer.starts_with("HTTP/1.1 ") || answer.size() < 12) return 0;
  return std::stoi(answer.substr(9, 3));
}

TEST_P(ApiTest, HealthReadinessAndScenarioDescription) {
  start(0, {{"OUTBREAK_MAX_POPULATION", "5000"}});
  EXPECT_EQ(get_json("/healthz"), json::parse(R"({"status": "ok"})"));
  EXPECT_EQ(get_json("/readyz")["status"], "ready");

  const json description = get_json("/api/v1/scenario");
  ASSERT_EQ(description["parameters"].size(), engine::parameters().size());
  const json& population = description["parameters"][0];
  EXPECT_EQ(population["name"], "population");
  EXPECT_EQ(population["group"], "population");
  EXPECT_EQ(population["type"], "integer");
  EXPECT_EQ(population["default"], engine::Scenario{}.population);
  EXPECT_EQ(population["max"], 5000) << "capped by OUTBREAK_MAX_POPULATION";
  EXPECT_EQ(description["limits"]["population"], 5000);
  EXPECT_EQ(description["limits"]["days"], 3650);
  EXPECT_EQ(description["limits"]["replicates"], 100);
  EXPECT_EQ(description["limits"]["line_list_agents"], 1'000'000);
  std::set<std::string> types;
  std::set<std::string> nullable;
  for (const json& parameter : description["parameters"]) {
    types.insert(parameter["type"].get<std::string>());
    EXPECT_FALSE(parameter["description"].get<std::string>().empty()) << parameter;
    if (parameter["nullable"]) nullable.insert(parameter["name"].get<std::string>());
    if (parameter["type"] == "array") {
      EXPECT_EQ(parameter["items"], "real") << parameter;
      EXPECT_EQ(parameter["labels"].size(), parameter["length"].get<std::size_t>()) << parameter;
      EXPECT_EQ(parameter["default"].size(), parameter["length"].get<std::size_t>()) << parameter;
    }
  }
  EXPECT_EQ(types, (std::set<std::string>{"integer", "real", "boolean", "array"}));
  EXPECT_TRUE(nullable.contains("household_size"));
  EXPECT_TRUE(nullable.contains("mortality_rate"));
  ASSERT_FALSE(description["presets"].empty());
  for (const json& preset : description["presets"]) {
    EXPECT_TRUE(preset["name"].is_string()) << preset;
    EXPECT_TRUE(preset["title"].is_string()) << preset;
    EXPECT_TRUE(preset["scenario"].is_object()) << preset;
    // A preset's keys, submitted as they are, make a valid scenario.
    EXPECT_TRUE(engine::find_preset(preset["name"].get<std::string>())) << preset;
  }
}

TEST_P(ApiTest, ClientsThatAcceptBrotliGetGzip) {
  start(0);
  for (const char* accepted : {"br, gzip, deflate", "gzip;q=1.0, br;q=0.9", "gzip"}) {
    auto response =
        client().Get("/api/v1/scenario", httplib::Headers{{"Accept-Encoding", accepted}});
    ASSERT_TRUE(response) << accepted;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->get_header_value("Content-Encoding"), "gzip") << accepted;
  }
  auto plain = client().Get("/api/v1/scenario", httplib::Headers{{"Accept-Encoding", "br"}});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->get_header_value("Content-Encoding"), "");
  EXPECT_EQ(json::parse(plain->body).size(), 4u) << "parameters, interventions, limits and presets";
}

TEST_P(ApiTest, ASubmittedSimulationRunsAndItsResultsMatchTheCommandLine) {
  start(1);
  auto created = post("/api/v1/simulations",
                      R"({"name": "small town", "email": "someone@example.org", "scenario": )" +
                          scenario(2000, 60) + "}");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  const json body = json::parse(created->body);
  const std::string id = body["id"];
  EXPECT_EQ(body["status"], "queued");
  EXPECT_EQ(created->get_header_value("Location"), "/api/v1/simulations/" + id);
  EXPECT_EQ(body["links"]["self"], "/api/v1/simulations/" + id);
  EXPECT_EQ(body["links"]["results"], "/api/v1/simulations/" + id + "/results");
  EXPECT_EQ(body["links"]["events"], "/api/v1/simulations/" + id + "/events");
  EXPECT_EQ(body["links"]["page"], "/simulations/" + id);

  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  const json document = simulation(id);
  EXPECT_EQ(document["name"], "small town");
  EXPECT_FALSE(document.contains("email")) << "the page is shareable";
  EXPECT_EQ(document.dump().find("someone@example.org"), std::string::npos);
  EXPECT_EQ(document["progress"]["fraction"], 1.0);
  EXPECT_EQ(document["progress"]["replicate"], 1);
  EXPECT_EQ(document["progress"]["day"], 60);
  EXPECT_EQ(document["progress"]["days"], 60);
  EXPECT_EQ(document["attempts"], 1);
  EXPECT_TRUE(document["error"].is_null());
  EXPECT_EQ(document["scenario"]["population"], 2000);
  EXPECT_EQ(document["scenario"]["office_size"], engine::Scenario{}.office_size)
      << "defaults filled in";
  EXPECT_TRUE(document["scenario"]["household_size"].is_null()) << "unset by default";
  // Totals by age band of the one replicate, and their sum.
  const json& ages = document["age_totals"];
  ASSERT_TRUE(ages.is_object()) << document;
  ASSERT_EQ(ages["replicates"].size(), 1u);
  ASSERT_EQ(ages["sum"].size(), engine::kAgeBands);
  std::int64_t agents = 0;
  for (const json& band : ages["sum"]) agents += band["agents"].get<std::int64_t>();
  EXPECT_EQ(agents, 2000);
  EXPECT_EQ(ages["replicates"][0]["bands"], ages["sum"]);
  for (const char* time : {"created_at", "started_at", "finished_at"}) {
    const std::string text = document[time];
    EXPECT_EQ(text.size(), 24u) << time << ": " << text;
    EXPECT_EQ(text.back(), 'Z') << text;
  }

  auto results = client().Get("/api/v1/simulations/" + id + "/results");
  ASSERT_TRUE(results);
  EXPECT_EQ(results->status, 200);
  EXPECT_EQ(results->get_header_value("Content-Type"), "application/json");
  const json parsed = json::parse(results->body);
  EXPECT_EQ(parsed["columns"].size(), engine::kDayColumns.size());
  const json& last_day = parsed["replicates"][0]["days"].back();
  for (const auto& column : engine::kDayColumns) {
    EXPECT_TRUE(last_day.contains(std::string(column.name))) << column.name;
  }
  EXPECT_TRUE(last_day["r_t"].is_null() || last_day["r_t"].is_number()) << last_day;
  const Finished cli = run_outbreak(
      {"results", id, "--format", "json", "--database", database_->url()}, path("results.json"));
  ASSERT_EQ(cli.status, 0);
  EXPECT_EQ(results->body, cli.output);

  auto csv = client().Get("/api/v1/simulations/" + id + "/results?format=csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 200);
  EXPECT_EQ(csv->get_header_value("Content-Disposition"),
            "attachment; filename=\"small_town-" + id.substr(0, 8) + ".csv\"");
  const Finished cli_csv = run_outbreak(
      {"results", id, "--format", "csv", "--database", database_->url()}, path("results.csv"));
  EXPECT_EQ(csv->body, cli_csv.output);
  EXPECT_EQ(csv->body.substr(0, csv->body.find('\n')),
            "day,susceptible,exposed,infectious,symptomatic,currently_infected,isolated,recovered,"
            "dead,total_infected,new_infections,infections_home,infections_work,infections_"
            "community,hospitalized,critical,new_hospitalizations,new_deaths,r_t,infections_"
            "school,new_symptomatic,tests,positive_tests,isolating,quarantined,traced_contacts,"
            "vaccinated,interventions_active");
}

TEST_P(ApiTest, AWorkerStoresTheItemsActiveOnEachDay) {
  start(1);
  const std::string id = submit(
      R"({"population": 1000, "days": 4, "seed": 7,
          "interventions": [{"type": "distancing", "start_day": 1, "end_day": 2}]})");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  const json results = get_json("/api/v1/simulations/" + id + "/results");
  const json& days = results["replicates"][0]["days"];
  ASSERT_EQ(days.size(), 5u) << results;
  for (std::size_t day = 0; day < days.size(); ++day) {
    EXPECT_EQ(days[day]["interventions_active"], json::parse(day == 1 || day == 2 ? "[0]" : "[]"))
        << "day " << day;
  }
  EXPECT_EQ(results["timeline"][0]["id"], 0);
  EXPECT_EQ(results["timeline"][0]["type"], "distancing");
}

// The days of a job written by hand, as a worker would, with active timeline
// items the engine would have recorded: they reach the results in both
// formats (byte for byte what `outbreak results` prints), the summary (as
// the union over the replicates) and the event stream.
TEST_P(ApiTest, ActiveTimelineItemsReachTheResultsTheSummaryAndTheEvents) {
  start(0);
  const std::string id = submit(
      R"({"population": 1000, "days": 2, "replicates": 2, "seed": 7, "contact_tracing": true,
          "interventions": [{"type": "distancing", "name": "Lockdown", "start_day": 1}]})");
  ASSERT_FALSE(id.empty());
  const json document = simulation(id);
  ASSERT_EQ(document["timeline"].size(), 2u) << document;
  EXPECT_EQ(document["timeline"][0]["id"], 0);
  EXPECT_EQ(document["timeline"][0]["name"], "Lockdown");
  EXPECT_EQ(document["timeline"][1]["id"], 1);
  EXPECT_EQ(document["timeline"][1]["type"], "contact_tracing");

  auto store = store::open_store(database_->url());
  ASSERT_TRUE(store.ok()) << store.error().message;
  const auto now = std::chrono::system_clock::now();
  const store::Duration lease = seconds(600);
  auto claimed = (*store)->claim("hand", lease, now);
  ASSERT_TRUE(claimed.ok() && claimed->has_value());
  ASSERT_EQ((*claimed)->id, id);
  // Item 1 (tracing) all along; item 0 (the lockdown) from day 1 in
  // replicate 1 only.
  for (std::int64_t replicate = 0; replicate < 2; ++replicate) {
    std::vector<engine::DayTotals> days(3);
    for (std::int64_t day = 0; day < 3; ++day) {
      engine::DayTotals& totals = days[static_cast<std::size_t>(day)];
      totals.day = day;
      totals.susceptible = 1000;
      totals.set_active(1);
      if (replicate == 0 && day >= 1) totals.set_active(0);
    }
    ASSERT_TRUE((*store)->write_days(id, "hand", replicate, days, lease, now).ok());
  }
  engine::Summary summary;
  for (std::size_t day = 0; day < 3; ++day) {
    engine::DayValues values{};
    values[0] = static_cast<double>(day);
    values[1] = 1000;
    summary.mean.push_back(values);
    summary.p5.push_back(values);
    summary.p95.push_back(values);
  }
  ASSERT_TRUE((*store)->write_summary(id, "hand", summary).ok());
  ASSERT_TRUE((*store)->finish(id, "hand", store::JobStatus::kSucceeded, {}, now).ok());

  auto results = client().Get("/api/v1/simulations/" + id + "/results");
  ASSERT_TRUE(results);
  ASSERT_EQ(results->status, 200) << results->body;
  const json parsed = json::parse(results->body);
  EXPECT_EQ(parsed["timeline"], document["timeline"]);
  const json& first = parsed["replicates"][0]["days"];
  const json& second = parsed["replicates"][1]["days"];
  EXPECT_EQ(first[0]["interventions_active"], json::parse("[1]"));
  EXPECT_EQ(first[2]["interventions_active"], json::parse("[0,1]"));
  EXPECT_EQ(second[2]["interventions_active"], json::parse("[1]"));
  for (const char* series : {"mean", "p5", "p95"}) {
    EXPECT_EQ(parsed["summary"][series][0]["interventions_active"], json::parse("[1]"));
    EXPECT_EQ(parsed["summary"][series][1]["interventions_active"], json::parse("[0,1]"));
  }
  const Finished cli = run_outbreak(
      {"results", id, "--format", "json", "--database", database_->url()}, path("results.json"));
  ASSERT_EQ(cli.status, 0);
  EXPECT_EQ(results->body, cli.output);

  auto csv = client().Get("/api/v1/simulations/" + id + "/results?format=csv");
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200);
  const Finished cli_csv = run_outbreak(
      {"results", id, "--format", "csv", "--database", database_->url()}, path("results.csv"));
  ASSERT_EQ(cli_csv.status, 0);
  EXPECT_EQ(csv->body, cli_csv.output);
  std::vector<std::string> lines;
  std::istringstream in(csv->body);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 1u + 2 * 3 + 3 * 3);
  EXPECT_TRUE(lines[0].ends_with(",replicate,interventions_active")) << lines[0];
  EXPECT_TRUE(lines[1].ends_with(",1,1")) << lines[1];
  EXPECT_TRUE(lines[3].ends_with(",1,0;1")) << lines[3];
  EXPECT_TRUE(lines[6].ends_with(",2,1")) << lines[6];
  EXPECT_TRUE(lines[8].ends_with(",mean,0;1")) << lines[8];
  auto one = client().Get("/api/v1/simulations/" + id + "/results?format=csv&replicate=1");
  ASSERT_TRUE(one);
  ASSERT_EQ(one->status, 200) << one->body;
  EXPECT_NE(one->body.find("\n2,1000,"), std::string::npos) << one->body;
  EXPECT_TRUE(one->body.ends_with(",0;1\n")) << one->body;

  EventReader events(server_->port(), "/api/v1/simulations/" + id + "/events");
  ASSERT_TRUE(events.wait_closed(seconds(30))) << events.text();
  std::vector<json> active;
  for (const SseEvent& event : events.events()) {
    if (event.event == "day") active.push_back(json::parse(event.data)["interventions_active"]);
  }
  EXPECT_EQ(active,
            (std::vector<json>{json::parse("[1]"), json::parse("[0,1]"), json::parse("[0,1]"),
                               json::parse("[1]"), json::parse("[1]"), json::parse("[1]")}));
}

TEST_P(ApiTest, RowsPerJobAreLimitedWhateverThePopulation) {
  start(0);
  // Ten agents, but 365,000 rows to store and serve.
  auto refused = post("/api/v1/simulations",
                      R"({"scenario": {"population": 10, "days": 3650, "replicates": 100}})");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 422) << refused->body;
  EXPECT_EQ(error_code(refused), "invalid_scenario");
  EXPECT_NE(refused->body.find("OUTBREAK_MAX_ROWS_PER_JOB"), std::string::npos) << refused->body;
  EXPECT_NE(refused->body.find("36500"), std::string::npos) << refused->body;
  EXPECT_NE(refused->body.find("\"scenario.days\""), std::string::npos) << refused->body;
  const json description = get_json("/api/v1/scenario");
  EXPECT_EQ(description["limits"]["rows_per_job"], 36500);

  start(0, {{"OUTBREAK_MAX_ROWS_PER_JOB", "100"}});
  auto at_limit = post("/api/v1/simulations",
                       R"({"scenario": {"population": 10, "days": 50, "replicates": 2}})");
  ASSERT_TRUE(at_limit);
  EXPECT_EQ(at_limit->status, 201) << at_limit->body;
  auto over = post("/api/v1/simulations",
                   R"({"scenario": {"population": 10, "days": 51, "replicates": 2}})");
  ASSERT_TRUE(over);
  EXPECT_EQ(over->status, 422) << over->body;
  EXPECT_NE(over->body.find("at most 100"), std::string::npos) << over->body;
}

TEST_P(ApiTest, LargeResultsAreStreamedAndMatchTheCommandLine) {
  start(1);
  // About 3 MB of JSON: more than the cache keeps per document (2 MiB).
  const std::string id = submit(
      R"({"population": 10, "days": 3650, "replicates": 2, "seed": 7, "initial_infected": 2})");
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  const std::string target = "/api/v1/simulations/" + id + "/results";
  for (const char* format : {"json", "csv"}) {
    const Finished cli =
        run_outbreak({"results", id, "--format", format, "--database", database_->url()},
                     path(fmt::format("results.{}", format)));
    ASSERT_EQ(cli.status, 0);
    for (int request = 0; request < 2; ++request) {
      auto response = client().Get(target + "?format=" + format);
      ASSERT_TRUE(response);
      EXPECT_EQ(response->status, 200);
      // The JSON (3 MB) is streamed every time; the CSV (0.7 MB) is read
      // whole and kept, so that every coding of it is made from the same
      // bytes, and sent with its length, the first time too.
      const bool streamed = std::string(format) == "json";
      EXPECT_EQ(response->get_header_value("Transfer-Encoding"), streamed ? "chunked" : "")
          << format << " " << request;
      EXPECT_EQ(response->has_header("Content-Length"), !streamed) << format << " " << request;
      EXPECT_EQ(response->body, cli.output) << format;
      EXPECT_EQ(response->get_header_value_count("Content-Type"), 1u) << format;
      EXPECT_EQ(response->get_header_value("Content-Type"),
                std::string(format) == "csv" ? "text/csv; charset=utf-8" : "application/json");
    }
  }
  // One replicate of it, and gzip for clients that take it.
  httplib::Client gzip_client("127.0.0.1", server_->port());
  gzip_client.set_decompress(true);
  auto second = gzip_client.Get(target + "?replicate=2", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->get_header_value("Content-Encoding"), "gzip");
  const json both = json::parse(client().Get(target)->body);
  const json one = json::parse(second->body);
  ASSERT_EQ(one["replicates"].size(), 1u);
  EXPECT_EQ(one["replicates"][0]["days"], both["replicates"][1]["days"]);

  // A small finished document is kept: the second reader gets it whole.
  const std::string small = submit(scenario(1500, 20, 3));
  ASSERT_TRUE(wait_for_status(small, "succeeded"));
  const std::string small_target = "/api/v1/simulations/" + small + "/results";
  auto first_read = client().Get(small_target);
  auto second_read = client().Get(small_target);
  ASSERT_TRUE(first_read && second_read);
  EXPECT_EQ(first_read->body, second_read->body);
  EXPECT_EQ(second_read->get_header_value("Content-Length"),
            std::to_string(second_read->body.size()));
}

TEST_P(ApiTest, OneReplicateOfSeveralAndBadParameters) {
  start(1);
  const std::string id = submit(scenario(1500, 20, 3));
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  const json all = get_json("/api/v1/simulations/" + id + "/results");
  ASSERT_EQ(all["replicates"].size(), 3u);
  EXPECT_EQ(all["summary"]["mean"].size(), 21u);

  const json second = get_json("/api/v1/simulations/" + id + "/results?replicate=2");
  ASSERT_EQ(second["replicates"].size(), 1u);
  EXPECT_EQ(second["replicates"][0]["replicate"], 2);
  EXPECT_EQ(second["replicates"][0]["seed"], 8);
  EXPECT_EQ(second["replicates"][0]["days"], all["replicates"][1]["days"]);
  EXPECT_FALSE(second.contains("summary"));
  auto csv = client().Get("/api/v1/simulations/" + id + "/results?format=csv&replicate=3");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->body.substr(0, csv->body.find('\n')).find("replicate"), std::string::npos);
  EXPECT_EQ(std::count(csv->body.begin(), csv->body.end(), '\n'), 22);

  for (const char* query : {"?replicate=0", "?replicate=4", "?replicate=x", "?format=xml"}) {
    auto bad = client().Get("/api/v1/simulations/" + id + "/results" + query);
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400) << query;
    EXPECT_EQ(error_code(bad), "invalid_parameter") << query;
  }
}

TEST_P(ApiTest, AFinishedJobHasKeyFiguresInItsDocumentAndFinalStatusEvent) {
  start(1);
  const std::string id = submit(scenario(3000, 60, 3));
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  const json document = simulation(id);
  EXPECT_EQ(document["max_attempts"], 3);
  EXPECT_TRUE(document["queue_position"].is_null());
  const json& figures = document["figures"];
  ASSERT_TRUE(figures.is_object()) << document;
  EXPECT_EQ(figures["population"], 3000);
  EXPECT_EQ(figures["days"], 60);
  EXPECT_EQ(figures["replicates"], 3);
  EXPECT_EQ(figures["complete"], 3);
  EXPECT_EQ(figures["partial"], false);
  ASSERT_EQ(figures["runs"].size(), 3u);
  // Each run's figures agree with its days.
  const json results = get_json("/api/v1/simulations/" + id + "/results");
  std::int64_t spreading = 0;
  for (std::size_t r = 0; r < 3; ++r) {
    const json& run = figures["runs"][r];
    const json& days = results["replicates"][r]["days"];
    EXPECT_EQ(run["replicate"], r + 1);
    std::int64_t peak = -1;
    std::int64_t peak_day = 0;
    std::int64_t recent = 0;
    for (const json& day : days) {
      if (day["currently_infected"].get<std::int64_t>() > peak) {
        peak = day["currently_infected"];
        peak_day = day["day"];
      }
      if (day["day"].get<std::int64_t>() > 60 - 7)
        recent += day["new_infections"].get<std::int64_t>();
    }
    EXPECT_EQ(run["peak_infected"], peak);
    EXPECT_EQ(run["peak_day"], peak_day);
    EXPECT_EQ(run["total_infected"], days.back()["total_infected"]);
    EXPECT_EQ(run["dead"], days.back()["dead"]);
    EXPECT_EQ(run["new_infections_last_7_days"], recent);
    EXPECT_EQ(run["still_spreading"], recent > 0);
    EXPECT_NEAR(run["attack_rate"].get<double>(),
                days.back()["total_infected"].get<double>() / 3000, 1e-6);
    if (run["still_spreading"].get<bool>()) ++spreading;
  }
  EXPECT_EQ(figures["still_spreading"], spreading);
  EXPECT_EQ(figures["mean"].size(), 9u);
  EXPECT_EQ(results["summary"]["replicates"], 3);
  EXPECT_EQ(results["summary"]["partial"], false);

  // The final status event carries the same figures.
  EventReader reader(server_->port(), "/api/v1/simulations/" + id + "/events");
  ASSERT_TRUE(reader.wait_closed(seconds(30)));
  const auto events = reader.events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "status");
  const json status = json::parse(events.back().data);
  EXPECT_EQ(status["status"], "succeeded");
  EXPECT_EQ(status["attempts"], 1);
  EXPECT_EQ(status["max_attempts"], 3);
  EXPECT_TRUE(status["queue_position"].is_null());
  EXPECT_EQ(status["figures"], figures);
}

TEST_P(ApiTest, QueuedJobsKnowTheirPlaceInTheQueue) {
  start(0);  // no worker: everything stays queued
  const std::string first = submit(scenario(100, 5));
  const std::string second = submit(scenario(100, 5));
  const std::string third = submit(scenario(100, 5));
  EXPECT_EQ(simulation(first)["queue_position"], 1);
  EXPECT_EQ(simulation(second)["queue_position"], 2);
  EXPECT_EQ(simulation(third)["queue_position"], 3);
  EXPECT_TRUE(simulation(third)["figures"].is_null());
  // The stream's status event says it, and says it again when it changes.
  EventReader reader(server_->port(), "/api/v1/simulations/" + third + "/events");
  ASSERT_TRUE(reader.wait_for("\"queue_position\":3", seconds(10))) << reader.text();
  auto cancelled = post("/api/v1/simulations/" + first + "/cancel", "");
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->status, 200);
  EXPECT_TRUE(json::parse(cancelled->body)["queue_position"].is_null());
  EXPECT_EQ(simulation(second)["queue_position"], 1);
  EXPECT_EQ(simulation(third)["queue_position"], 2);
  ASSERT_TRUE(reader.wait_for("\"queue_position\":2", seconds(10))) << reader.text();
  const auto events = reader.events();
  ASSERT_GE(events.size(), 2u);
  const json status = json::parse(events.back().data);
  EXPECT_EQ(status["status"], "queued");
  EXPECT_EQ(status["attempts"], 0);
  EXPECT_EQ(status["max_attempts"], 3);
  EXPECT_FALSE(status.contains("figures")) << "only with a final status";
}

TEST_P(ApiTest, ACancelledJobsSummaryCoversItsCompleteRunsAndSaysPartial) {
  start(1);
  const std::string id = submit(scenario(20000, 120, 40), "tracing run");
  // Cancelled while its fourth run computes: at least three are complete.
  ASSERT_TRUE(wait_until(
      [&] {
        const json progress = simulation(id)["progress"];
        return progress["replicate"].is_number() && progress["replicate"].get<int>() >= 4;
      },
      seconds(60), milliseconds(10)));
  auto cancelled = post("/api/v1/simulations/" + id + "/cancel", "");
  ASSERT_TRUE(cancelled);
  ASSERT_EQ(cancelled->status, 200) << cancelled->body;
  ASSERT_TRUE(wait_for_status(id, "cancelled"));
  const json document = simulation(id);
  const json& figures = document["figures"];
  ASSERT_TRUE(figures.is_object()) << document;
  const std::int64_t complete = figures["complete"];
  EXPECT_GE(complete, 3);
  EXPECT_LT(complete, 40);
  EXPECT_EQ(figures["partial"], true);
  EXPECT_EQ(figures["runs"].size(), static_cast<std::size_t>(complete));

  const json results = get_json("/api/v1/simulations/" + id + "/results");
  ASSERT_TRUE(results.contains("summary")) << "a summary over the complete runs";
  EXPECT_EQ(results["summary"]["replicates"], complete);
  EXPECT_EQ(results["summary"]["partial"], true);
  ASSERT_EQ(results["summary"]["mean"].size(), 121u);
  // The mean of day 60 is over the complete runs only.
  double sum = 0;
  for (std::int64_t r = 0; r < complete; ++r) {
    sum += results["replicates"][r]["days"][60]["currently_infected"].get<double>();
  }
  EXPECT_NEAR(results["summary"]["mean"][60]["currently_infected"].get<double>(),
              sum / static_cast<double>(complete), 1e-6);
  // The stopped run's days stay readable.
  EXPECT_GT(results["replicates"][complete]["days"].size(), 0u);

  auto csv = client().Get("/api/v1/simulations/" + id + "/results?format=csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->get_header_value("Content-Disposition"),
            "attachment; filename=\"tracing_run-" + id.substr(0, 8) + "-partial.csv\"");
  EXPECT_TRUE(csv->body.starts_with("day,susceptible,")) << "nothing before the header";
  std::size_t mean_rows = 0;
  for (std::size_t at = csv->body.find(",mean,"); at != std::string::npos;
       at = csv->body.find(",mean,", at + 1)) {
    ++mean_rows;
  }
  EXPECT_EQ(mean_rows, 121u);
  // `outbreak results` prints the same documents.
  const Finished cli = run_outbreak(
      {"results", id, "--format", "json", "--database", database_->url()}, path("results.json"));
  ASSERT_EQ(cli.status, 0);
  auto served = client().Get("/api/v1/simulations/" + id + "/results");
  ASSERT_TRUE(served);
  EXPECT_EQ(cli.output, served->body);
  const Finished cli_csv = run_outbreak(
      {"results", id, "--format", "csv", "--database", database_->url()}, path("results.csv"));
  ASSERT_EQ(cli_csv.status, 0);
  EXPECT_EQ(cli_csv.output, csv->body);
  const Finished table = run_outbreak(
      {"results", id, "--format", "table", "--database", database_->url()}, path("results.txt"));
  ASSERT_EQ(table.status, 0);
  EXPECT_TRUE(table.output.starts_with(
      fmt::format("# partial: mean of the {} complete runs of 40", complete)))
      << table.output.substr(0, 200);
}

TEST_P(ApiTest, TheSummaryPartAndJsonDownloads) {
  start(1);
  const std::string id = submit(scenario(1500, 20, 3), "small town");
  const std::string single = submit(scenario(1500, 20, 1), "a/b c");
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  ASSERT_TRUE(wait_for_status(single, "succeeded"));
  const std::string base = "/api/v1/simulations/" + id + "/results";
  const json all = get_json(base);
  for (int pass = 0; pass < 2; ++pass) {  // the second from the cache
    const json part = get_json(base + "?part=summary");
    EXPECT_EQ(part["replicates"], json::array());
    EXPECT_EQ(part["scenario"], all["scenario"]);
    EXPECT_EQ(part["summary"]["replicates"], 3);
    EXPECT_EQ(part["summary"]["partial"], false);
    ASSERT_EQ(part["summary"]["mean"].size(), 21u);
    for (const char* series : {"mean", "p5", "p95"}) {
      for (std::size_t day = 0; day < 21; ++day) {
        json expected = all["summary"][series][day];
        json got = part["summary"][series][day];
        // Without the days the active items of a summary row are not known.
        expected.erase("interventions_active");
        got.erase("interventions_active");
        EXPECT_EQ(got, expected) << series << " day " << day;
      }
    }
  }
  // With timeline items, a summary row lists the items active that day in
  // any replicate, as in the whole document: a fixed item, and a triggered
  // one that replicates switch on and off on days of their own.
  const std::string timed = submit(
      R"({"population": 1500, "days": 40, "replicates": 3, "seed": 7, "initial_infected": 20,
          "interventions": [{"type": "distancing", "start_day": 5, "end_day": 9},
                            {"type": "closure", "start_when": {"metric": "new_symptomatic_per_100k_7d", "above": 200},
                             "end_when": {"metric": "new_symptomatic_per_100k_7d", "below": 100}}]})",
      "timed");
  ASSERT_TRUE(wait_for_status(timed, "succeeded"));
  const std::string timed_base = "/api/v1/simulations/" + timed + "/results";
  const json timed_all = get_json(timed_base);
  const json timed_part = get_json(timed_base + "?part=summary");
  EXPECT_EQ(timed_part["replicates"], json::array());
  EXPECT_EQ(timed_part["summary"], timed_all["summary"]);
  // The fixed item (id 0) is on from day 5, not before.
  EXPECT_EQ(timed_part["summary"]["mean"][5]["interventions_active"][0], 0)
      << timed_part["summary"]["mean"][5].dump();
  for (const json& id : timed_part["summary"]["mean"][4]["interventions_active"]) EXPECT_NE(id, 0);
  // One replicate: no summary, the whole document.
  EXPECT_EQ(get_json("/api/v1/simulations/" + single + "/results?part=summary"),
            get_json("/api/v1/simulations/" + single + "/results"));
  for (const char* query :
       {"?part=days", "?part=summary&format=csv", "?part=summary&replicate=1", "?download=yes"}) {
    auto bad = client().Get(base + query);
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400) << query;
    EXPECT_EQ(error_code(bad), "invalid_parameter") << query;
  }

  auto plain = client().Get(base);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->has_header("Content-Disposition"));
  auto download = client().Get(base + "?format=json&download=1");
  ASSERT_TRUE(download);
  EXPECT_EQ(download->status, 200);
  EXPECT_EQ(download->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(download->get_header_value("Content-Disposition"),
            "attachment; filename=\"small_town-" + id.substr(0, 8) + ".json\"");
  EXPECT_EQ(download->body, plain->body);
  auto unnamed = client().Get("/api/v1/simulations/" + single + "/results?download=1");
  ASSERT_TRUE(unnamed);
  EXPECT_EQ(unnamed->get_header_value("Content-Disposition"),
            "attachment; filename=\"a_b_c-" + single.substr(0, 8) + ".json\"");
  auto csv = client().Get(base + "?format=csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->get_header_value("Content-Disposition"),
            "attachment; filename=\"small_town-" + id.substr(0, 8) + ".csv\"");
}

TEST_P(ApiTest, MalformedJsonIs400WithLineAndColumn) {
  start(0);
  auto response =
      post("/api/v1/simulations", "{\"scenario\": {\"population\": 2000,\n \"days\": }}");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(error_code(response), "invalid_json");
  EXPECT_NE(response->body.find("line 2, column 10"), std::string::npos) << response->body;
  auto not_object = post("/api/v1/simulations", "[1, 2]");
  ASSERT_TRUE(not_object);
  EXPECT_EQ(not_object->status, 400);
}

TEST_P(ApiTest, EveryBadTimelineFieldIsListedWithItsItem) {
  start(0);
  auto response =
      post("/api/v1/simulations", R"({"scenario": {"population": 1000, "interventions": [
      {"type": "testing", "start_day": 0},
      {"type": "contact_tracing", "start_day": 5, "end_day": 2, "coverage": 2},
      {"type": "curfew", "start_day": 1}]}})");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 422);
  EXPECT_EQ(fields_of(response), (std::set<std::string>{"scenario.interventions[2].type"}))
      << "reading problems first: " << response->body;
  auto ranges = post("/api/v1/simulations", R"({"scenario": {"population": 1000, "interventions": [
      {"type": "testing", "start_day": 0},
      {"type": "contact_tracing", "start_day": 5, "end_day": 2, "coverage": 2}]}})");
  ASSERT_TRUE(ranges);
  EXPECT_EQ(ranges->status, 422);
  EXPECT_EQ(fields_of(ranges), (std::set<std::string>{"scenario.interventions[1].end_day",
                                                      "scenario.interventions[1].coverage"}))
      << ranges->body;
  auto good = post("/api/v1/simulations", R"({"scenario": {"population": 1000, "days": 10,
      "interventions": [{"type": "closure", "start_day": 3}]}})");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 201) << good->body;
}

// The estimate of R0 and the doubling time: computed, not simulated, and
// checked like a submission's scenario.
TEST_P(ApiTest, EstimateAnswersR0AndDoublingTimeAndChecksTheScenario) {
  start(0, {{"OUTBREAK_MAX_POPULATION", "50000"}});
  auto defaults = post("/api/v1/scenario/estimate", R"({"scenario": {"population": 20000}})");
  ASSERT_TRUE(defaults);
  ASSERT_EQ(defaults->status, 200) << defaults->body;
  const json body = json::parse(defaults->body);
  std::set<std::string> keys;
  for (const auto& [key, value] : body.items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"r0", "generation_time_days", "growth_rate_per_day",
                                         "doubling_time_days", "halving_time_days"}));
  EXPECT_GT(body["r0"].get<double>(), 1) << body;
  EXPECT_GT(body["generation_time_days"].get<double>(), 1) << body;
  EXPECT_GT(body["growth_rate_per_day"].get<double>(), 0) << body;
  EXPECT_NEAR(body["doubling_time_days"].get<double>(),
              std::log(2.0) / body["growth_rate_per_day"].get<double>(), 1e-9)
      << body;
  EXPECT_TRUE(body["halving_time_days"].is_null()) << body;

  // Interventions are left out: the estimate is R0 without them.
  auto isolated = post("/api/v1/scenario/estimate",
                       R"({"scenario": {"population": 20000, "symptomatic_isolation": true}})");
  ASSERT_TRUE(isolated);
  ASSERT_EQ(isolated->status, 200) << isolated->body;
  EXPECT_EQ(json::parse(isolated->body)["r0"], body["r0"]);

  auto low = post("/api/v1/scenario/estimate",
                  R"({"scenario": {"population": 20000, "home_infection_risk": 0.01,)"
                  R"( "work_infection_risk": 0,)"
                  R"( "school_infection_risk": 0, "community_contacts": 2}})");
  ASSERT_TRUE(low);
  ASSERT_EQ(low->status, 200) << low->body;
  const json below = json::parse(low->body);
  EXPECT_LT(below["r0"].get<double>(), 1) << below;
  EXPECT_TRUE(below["doubling_time_days"].is_null()) << below;
  EXPECT_GT(below["halving_time_days"].get<double>(), 0) << below;

  auto bad = post("/api/v1/scenario/estimate",
                  R"({"scenario": {"population": 60000, "home_infection_risk": 2}, "x": 1})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422) << bad->body;
  EXPECT_EQ(error_code(bad), "invalid_scenario");
  EXPECT_EQ(fields_of(bad),
            (std::set<std::string>{"x", "scenario.population", "scenario.home_infection_risk"}))
      << bad->body;

  auto broken = post("/api/v1/scenario/estimate", R"({"scenario": {)");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 400) << broken->body;
  EXPECT_EQ(error_code(broken), "invalid_json");
  auto text = post("/api/v1/scenario/estimate", R"({"scenario": {}})", "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 415) << text->body;
}

TEST_P(ApiTest, EveryBadFieldIsListedWith422) {
  start(0, {{"OUTBREAK_MAX_DAYS", "100"}});
  auto response = post("/api/v1/simulations", R"({"scenario": {"population": 0, "days": 200}})");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 422);
  EXPECT_EQ(error_code(response), "invalid_scenario");
  const auto fields = fields_of(response);
  EXPECT_TRUE(fields.contains("scenario.population")) << response->body;
  EXPECT_TRUE(fields.contains("scenario.days")) << response->body;
  // The ranges the form shows (GET /api/v1/scenario), in the same words.
  EXPECT_NE(response->body.find("must be between 1 and 100 days on this server, got 200"),
            std::string::npos)
      << response->body;
  EXPECT_NE(response->body.find("must be between 1 and 10,000,000 agents on this server, got 0"),
            std::string::npos)
      << response->body;

  auto typed =
      post("/api/v1/simulations", R"({"name": "a\nb", "email": "x@y\r\nBcc: z@w.org", "extra": 1,)"
                                  R"( "scenario": {"populaton": 5, "days": "ten"}})");
  ASSERT_TRUE(typed);
  EXPECT_EQ(typed->status, 422);
  EXPECT_EQ(fields_of(typed), (std::set<std::string>{"name", "email", "extra", "scenario.populaton",
                                                     "scenario.days"}))
      << typed->body;
  EXPECT_NE(typed->body.find("did you mean"), std::string::npos) << typed->body;

  auto long_name =
      post("/api/v1/simulations", R"({"name": ")" + std::string(201, 'n') +
                                      R"(", "email": "no-at-sign", "scenario": {"days": 10}})");
  ASSERT_TRUE(long_name);
  EXPECT_EQ(long_name->status, 422);
  EXPECT_EQ(fields_of(long_name), (std::set<std::string>{"name", "email"})) << long_name->body;
}

TEST_P(ApiTest, ArrayEntriesAreNamedInA422) {
  start(0);
  auto response = post("/api/v1/simulations", R"({"scenario": {
      "age_shares": [0.1, 0.1, 0.1, 1.5, 0.1, 0.1, 0.1, 0.1, 0.1],
      "symptomatic_by_age": [0.5, 0.5, "half", 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]}})");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 422);
  const auto fields = fields_of(response);
  EXPECT_TRUE(fields.contains("scenario.symptomatic_by_age[2]")) << response->body;
  auto ranges = post("/api/v1/simulations", R"({"scenario": {
      "age_shares": [0.1, 0.1, 0.1, 1.5, 0.1, 0.1, 0.1, 0.1, 0.1]}})");
  ASSERT_TRUE(ranges);
  EXPECT_EQ(ranges->status, 422);
  EXPECT_EQ(fields_of(ranges), (std::set<std::string>{"scenario.age_shares[3]"})) << ranges->body;
}

// The first line of a line list: its exact columns.
constexpr std::string_view kLineListHeader =
    "replicate,agent,age,day_infected,infector,route,day_infectious,day_symptoms,day_hospital,"
    "day_critical,day_resolved,outcome,day_positive,day_isolated,day_traced";

TEST_P(ApiTest, TheLineListIsMadeOnceASimulationHasSucceeded) {
  start(0);
  const std::string id = submit(scenario(20'000, 60, 2), "line list");
  auto early = client().Get("/api/v1/simulations/" + id + "/line-list");
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 409);
  EXPECT_EQ(error_code(early), "conflict");
  EXPECT_NE(early->body.find("once it has succeeded"), std::string::npos) << early->body;

  start(1);
  ASSERT_TRUE(wait_for_status(id, "succeeded"));
  auto list = client().Get("/api/v1/simulations/" + id + "/line-list");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200) << list->body;
  EXPECT_EQ(list->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(list->get_header_value("Content-Disposition"),
            "attachment; filename=\"line_list-" + id.substr(0, 8) + "-line-list.csv\"");
  EXPECT_EQ(list->body.substr(0, list->body.find('\n')), kLineListHeader);
  EXPECT_GT(std::count(list->body.begin(), list->body.end(), '\n'), 40) << "20 seeds x 2 runs";
  EXPECT_GT(list->body.size(), 256u << 10) << "large enough to go out in several chunks";
  EXPECT_EQ(list->body.find("\n3,"), std::string::npos) << "replicates 1 and 2 only";

  // The same run as the command line makes from the stored scenario.
  const std::string scenario_file = path("scenario.json");
  {
    std::ofstream out(scenario_file);
    out << simulation(id)["scenario"].dump();
  }
  const std::string cli_list = path("line-list.csv");
  const Finished cli =
      run_outbreak({"run", "--scenario", scenario_file, "--format", "csv", "--line-list", cli_list},
                   path("run.csv"));
  ASSERT_EQ(cli.status, 0);
  std::ifstream in(cli_list);
  const std::string expected((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  EXPECT_EQ(list->body, expected);
}

TEST_P(ApiTest, ALineListAboveTheLimitIsRefusedWithTheWayToMakeIt) {
  start(0, {{"OUTBREAK_MAX_LINE_LIST_AGENTS", "1000"}});
  const std::string id = submit(scenario(600, 10, 2));
  auto refused = client().Get("/api/v1/simulations/" + id + "/line-list");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  EXPECT_EQ(error_code(refused), "line_list_too_large");
  const std::string message = json::parse(refused->body)["error"]["message"];
  EXPECT_NE(message.find("OUTBREAK_MAX_LINE_LIST_AGENTS = 1000"), std::string::npos) << message;
  EXPECT_NE(message.find("1200 agents"), std::string::npos) << message;
  EXPECT_NE(message.find("--line-list"), std::string::npos) << message;
  auto unknown = client().Get("/api/v1/simulations/00000000-0000-4000-8000-000000000000/line-list");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
}

TEST_P(ApiTest, UnknownIdsAndRoutesAre404) {
  start(0);
  for (const std::string& target :
       {std::string("/api/v1/simulations/00000000-0000-4000-8000-000000000000"),
        std::string("/api/v1/simulations/not-an-id"),
        std::string("/api/v1/simulations/00000000-0000-4000-8000-000000000000/results"),
        std::string("/api/v1/simulations/00000000-0000-4000-8000-000000000000/events"),
        std::string("/api/v1/nothing")}) {
    auto response = client().Get(target);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 404) << target;
    EXPECT_EQ(error_code(response), "not_found") << target << ": " << response->body;
  }
  auto cancel = post("/api/v1/simulations/00000000-0000-4000-8000-000000000000/cancel", "");
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->status, 404);
}

// A browser that follows a bad link gets the 404 page; API clients, and any
// path under /api/, keep the JSON error.
TEST_P(ApiTest, BrowsersGetAnHtmlPageForUnknownPaths) {
  start(0);
  const std::string browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
  auto page = client().Get("/nope", httplib::Headers{{"Accept", browser}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 404);
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(page->body.find("Page not found"), std::string::npos) << page->body;
  EXPECT_TRUE(
      std::regex_search(page->body, std::regex(R"(href="/assets/style\.[0-9a-f]{12}\.css")")))
      << "the stylesheet by its content-hashed name";
  EXPECT_NE(page->body.find("href=\"/\""), std::string::npos) << "a link to the form";
  EXPECT_EQ(page->body.find("<script"), std::string::npos) << "no script on the page";
  EXPECT_EQ(page->body.find("style="), std::string::npos) << "no inline style";
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);

  const std::vector<std::pair<std::string, std::string>> json_cases = {
      {"/nope", "application/json"},
      {"/nope", "application/json, text/html;q=0.5"},
      {"/nope", ""},
      {"/nope", "*/*"},
      {"/api/v1/nothing", browser},
      {"/api/nothing", "text/html"},
  };
  for (const auto& [target, accept] : json_cases) {
    httplib::Headers headers;
    if (!accept.empty()) headers.emplace("Accept", accept);
    auto response = client().Get(target, headers);
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 404) << target << " " << accept;
    EXPECT_EQ(error_code(response), "not_found")
        << target << " " << accept << ": " << response->body;
    EXPECT_NE(response->get_header_value("Content-Type").find("application/json"),
              std::string::npos)
        << target << " " << accept;
  }
}

TEST_P(ApiTest, EveryResponseForbidsFramingInlineScriptAndReferrers) {
  start(0);
  for (const std::string& target :
       {std::string("/"), std::string("/compare"),
        std::string("/simulations/00000000-0000-4000-8000-000000000000"),
        std::string("/assets/app.js"), std::string("/api/v1/scenario"), std::string("/healthz"),
        std::string("/api/v1/nothing")}) {
    auto response = client().Get(target);
    ASSERT_TRUE(response) << target;
    const std::string policy = response->get_header_value("Content-Security-Policy");
    EXPECT_NE(policy.find("default-src 'self'"), std::string::npos) << target << ": " << policy;
    EXPECT_NE(policy.find("script-src 'self'"), std::string::npos) << target << ": " << policy;
    EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos) << target;
    EXPECT_NE(policy.find("base-uri 'none'"), std::string::npos) << target;
    EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << target << ": " << policy;
    EXPECT_EQ(policy.find("unsafe-eval"), std::string::npos) << target << ": " << policy;
    EXPECT_EQ(response->get_header_value("X-Frame-Options"), "DENY") << target;
    EXPECT_EQ(response->get_header_value("Referrer-Policy"), "no-referrer") << target;
    EXPECT_EQ(response->get_header_value("X-Content-Type-Options"), "nosniff") << target;
  }
}

TEST_P(ApiTest, OtherMethodsOnARouteAre405WithAllow) {
  start(0);
  const std::string id = "/api/v1/simulations/00000000-0000-4000-8000-000000000000";
  const auto check = [](const httplib::Result& response, const std::string& allow,
                        const std::string& what) {
    ASSERT_TRUE(response) << what;
    EXPECT_EQ(response->status, 405) << what << ": " << response->body;
    EXPECT_EQ(response->get_header_value("Allow"), allow) << what;
    EXPECT_EQ(error_code(response), "method_not_allowed") << what << ": " << response->body;
    EXPECT_EQ(response->get_header_value("Content-Type"), "application/json") << what;
  };
  check(client().Put("/api/v1/simulations", R"({"scenario": {}})", "application/json"), "POST",
        "PUT /api/v1/simulations");
  check(client().Delete(id), "GET, HEAD", "DELETE " + id);
  check(client().Patch(id, "{}", "application/json"), "GET, HEAD", "PATCH " + id);
  check(client().Get(id + "/cancel"), "POST", "GET " + id + "/cancel");
  check(client().Post("/healthz", "", "text/plain"), "GET, HEAD", "POST /healthz");
  check(client().Delete("/"), "GET, HEAD", "DELETE /");

  auto unknown = client().Put("/api/v1/nothing", "{}", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404) << "no route at all is still 404";

  // No Content-Length: no body, answered at once rather than after the
  // server's read timeout.
  const auto began = std::chrono::steady_clock::now();
  const std::string answer =
      raw_exchange(server_->port(),
                   "PUT /api/v1/simulations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Content-Type: application/json\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(raw_status(answer), 405) << answer;
  EXPECT_NE(answer.find("Allow: POST\r\n"), std::string::npos) << answer;
  EXPECT_LT(std::chrono::steady_clock::now() - began, seconds(2));
}

TEST_P(ApiTest, APostWithoutContentLengthIsInvalidJsonAtOnce) {
  start(0);
  const auto began = std::chrono::steady_clock::now();
  const std::string answer =
      raw_exchange(server_->port(),
                   "POST /api/v1/simulations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Content-Type: application/json\r\nConnection: close\r\n\r\n");
  EXPECT_LT(std::chrono::steady_clock::now() - began, seconds(2));
  EXPECT_EQ(raw_status(answer), 400) << answer;
  const std::size_t body = answer.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos) << answer;
  const json document = json::parse(answer.substr(body + 4), nullptr, false);
  ASSERT_TRUE(document.is_object()) << answer;
  EXPECT_EQ(document["error"]["code"], "invalid_json") << answer;
  EXPECT_NE(document["error"]["message"].get<std::string>().find("empty"), std::string::npos)
      << answer;
}

TEST_P(ApiTest, DuplicateKeysAndBytesAfterANulAreInvalidJson) {
  start(0);
  const auto refused = [this](const std::string& body, const std::string& mention) {
    auto response = post("/api/v1/simulations", body);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 400) << response->body;
    EXPECT_EQ(error_code(response), "invalid_json") << response->body;
    EXPECT_NE(response->body.find(mention), std::string::npos) << response->body;
  };
  refused(R"({"name": "a", "scenario": {}, "name": "b"})", R"(duplicate key \"name\")");
  refused(R"({"scenario": {"days": 5, "population": 100, "days": 6}})",
          R"(duplicate key \"scenario.days\")");
  refused(R"({"scenario": {"contact_matrix": [{"a": 1, "a": 2}]}})",
          R"(duplicate key \"scenario.contact_matrix[0].a\")");
  refused(std::string(R"({"scenario": {}})") + '\0' + "anything at all", "NUL byte at byte 16");
  refused(std::string(R"({"scenario": {})") + '\0' + "}", "NUL byte");
  refused(R"({"scenario": {}} {"scenario": {}})", "malformed JSON");
  // The same key in different objects is fine.
  EXPECT_FALSE(
      submit_body(R"({"name": "days", "scenario": {"days": 5, "population": 100}})").empty());
}

TEST_P(ApiTest, WrongContentTypeIs415AndOversizedBodyIs413) {
  start(0, {{"OUTBREAK_MAX_BODY_BYTES", "1000"}});
  auto text = post("/api/v1/simulations", "{\"scenario\": {}}", "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 415);
  EXPECT_EQ(error_code(text), "unsupported_media_type");
  auto with_charset =
      post("/api/v1/simulations", "{\"scenario\": {}}", "application/json; charset=utf-8");
  ASSERT_TRUE(with_charset);
  EXPECT_EQ(with_charset->status, 201) << with_charset->body;

  const std::string big = "{\"scenario\": {}" + std::string(5000, ' ') + "}";
  auto too_big = post("/api/v1/simulations", big);
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
  EXPECT_EQ(error_code(too_big), "payload_too_large") << too_big->body;
}

TEST_P(ApiTest, SubmissionsPerMinuteAreLimitedPerAddress) {
  start(0, {{"OUTBREAK_SUBMISSIONS_PER_MINUTE", "2"}});
  EXPECT_FALSE(submit(scenario(100, 5)).empty());
  EXPECT_FALSE(submit(scenario(100, 5)).empty());
  auto limited = post("/api/v1/simulations", R"({"scenario": {}})");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(error_code(limited), "rate_limited");
  const int retry_after = std::stoi(limited->get_header_value("Retry-After"));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 30);
  EXPECT_EQ(get_json("/healthz")["status"], "ok") << "other routes are not limited";
}

TEST_P(ApiTest, AFullQueueRefusesSubmissions) {
  start(0, {{"OUTBREAK_MAX_QUEUED", "1"}});
  EXPECT_FALSE(submit(scenario(100, 5)).empty());
  auto full = post("/api/v1/simulations", R"({"scenario": {}})");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status, 429);
  EXPECT_EQ(error_code(full), "queue_full");
  EXPECT_TRUE(full->has_header("Retry-After"));
}

TEST_P(ApiTest, AGoneDatabaseIs503) {
  start(0);
  EXPECT_EQ(get_json("/readyz")["status"], "ready");
  database_.reset();  // drops the PostgreSQL database; removes the SQLite file's folder
  auto ready = client().Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(error_code(ready), "unavailable");
  if (GetParam() != "sqlite") {
    // Pooled connections were cut by the drop: a submission sees it too.
    auto submitted = post("/api/v1/simulations", R"({"scenario": {}})");
    ASSERT_TRUE(submitted);
    EXPECT_EQ(submitted->status, 503) << submitted->body;
    EXPECT_EQ(error_code(submitted), "unavailable");
  }
  auto metrics = client().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
}

INSTANTIATE_TEST_SUITE_P(serve, ApiTest, ::testing::Values("sqlite", "postgresql", "mariadb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace outbreak::serve::testing
