// The HTTP request path without a socket: the input is the raw bytes of a
// request, read by httplib's own parser (Server::process_request, reached
// through a subclass, on an in-memory stream) and routed to the service's
// real handlers (serve::detail::add_api_routes, add_stream_routes and
// add_page_routes) on a SQLite store holding one finished simulation.
// "{id}" in the input stands for that simulation's id. Properties: every
// request gets a well-formed HTTP/1.1 response with a status from 200 to
// 499 (no handler throws and none answers 500), and the response carries
// the security headers.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stop_token>
#include <string>

#include "fuzz_support.hpp"
#include "outbreak/io/scenario_json.hpp"
#include "outbreak/jobs/worker.hpp"
#include "outbreak/store/open.hpp"
#include "serve/http.hpp"

using namespace outbreak;

namespace {

// A connection whose request is `input` and whose response is collected.
class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view input) : input_(input) {}

  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, std::size_t size) override {
    const std::size_t n = std::min(size, input_.size());
    std::copy_n(input_.data(), n, ptr);
    input_.remove_prefix(n);
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, std::size_t size) override {
    output_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 40000;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 8080;
  }
  socket_t socket() const override { return INVALID_SOCKET; }

  const std::string& output() const { return output_; }

 private:
  std::string_view input_;
  std::string output_;
};

// httplib's Server with its request processing reachable.
class StreamServer : public httplib::Server {
 public:
  void process(httplib::Stream& stream) {
    bool closed = false;
    process_request(stream, /*close_connection=*/true, closed, [](httplib::Request&) {});
  }
};

// One server on one throw-away database, for the whole run.
struct Service {
  Service() {
    std::string pattern = (std::filesystem::temp_directory_path() / "outbreak-fuzz-XXXXXX");
    fuzz::check(mkdtemp(pattern.data()) != nullptr, "a temporary folder can be made");
    folder = pattern;
    config.database_url = "sqlite://" + folder + "/outbreak.db";
    config.submissions_per_minute = 0;
    config.max_queued = 0;  // submissions are read in full, then refused: nothing new to run
    config.event_poll = std::chrono::milliseconds(5);
    config.event_keepalive = std::chrono::milliseconds(1000);
    seed();
    auto pool = serve::StorePool::open(config.database_url, 2);
    fuzz::check(pool.ok(), "the store pool opens");
    stores = std::move(pool).value();
    limiter = std::make_unique<serve::RateLimiter>(0);
    events = std::make_unique<serve::EventHub>(
        *stores, metrics, log,
        serve::EventOptions{config.event_poll, config.event_keepalive, config.max_streams});
    context = std::make_unique<serve::detail::Context>(serve::detail::Context{
        config, log, metrics, *stores, *limiter, *events, tracker, results, routes});
    http.set_payload_max_length(config.max_body_bytes);
    http.set_default_headers(serve::detail::security_headers());
    http.set_logger([this](const httplib::Request& request, const httplib::Response&) {
      tracker.end(request);
    });
    serve::detail::add_api_routes(http, *context);
    serve::detail::add_stream_routes(http, *context);
    serve::detail::add_page_routes(http, *context);
  }
  ~Service() {
    events->shutdown();
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
  }

  // A migrated database with one small simulation run to the end.
  void seed() {
    auto store = store::open_store(config.database_url);
    fuzz::check(store.ok() && (*store)->migrate().ok(), "the database opens and migrates");
    engine::Scenario scenario;
    scenario.population = 200;
    scenario.days = 10;
    scenario.replicates = 2;
    store::NewSimulation simulation;
    simulation.name = "fuzz <b>&\"'";
    simulation.scenario_json = io::scenario_to_json(scenario).dump();
    simulation.days = scenario.days;
    simulation.replicates = scenario.replicates;
    auto enqueued = (*store)->enqueue(simulation, std::chrono::system_clock::now());
    fuzz::check(enqueued.ok(), "the simulation is queued");
    id = *enqueued;
    jobs::WorkerOptions options;
    options.worker_id = "fuzz";
    jobs::Worker worker(std::move(store).value(), options, log);
    auto ran = worker.run_once(std::stop_token());
    fuzz::check(ran.ok() && *ran == jobs::JobOutcome::kSucceeded, "the simulation runs");
  }

  std::string folder;
  std::ostringstream log_text;
  jobs::Logger log{log_text, jobs::LogFormat::kText};
  serve::ServerConfig config;
  serve::Metrics metrics;
  std::unique_ptr<serve::StorePool> stores;
  std::unique_ptr<serve::RateLimiter> limiter;
  std::unique_ptr<serve::EventHub> events;
  serve::detail::RequestTracker tracker;
  serve::detail::ResultsCache results{1 << 20, 1 << 20};
  serve::detail::RouteTable routes;
  std::unique_ptr<serve::detail::Context> context;
  StreamServer http;
  std::string id;
};

Service* service = nullptr;

void check_response(std::string_view response) {
  const auto shown = [response](std::string_view what) {
    const std::string_view head = response.substr(0, response.find("\r\n\r\n"));
    return std::string(what) + "; the response began:\n" + std::string(head.substr(0, 2000));
  };
  // "Expect: 100-continue" is answered first with an interim response.
  constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  if (response.starts_with(kContinue)) response.remove_prefix(kContinue.size());
  fuzz::check(response.starts_with("HTTP/1.1 "), shown("the response starts with a status line"));
  const auto line_end = response.find("\r\n");
  fuzz::check(line_end != std::string_view::npos, shown("the status line ends with CRLF"));
  const std::string_view status = response.substr(9, 3);
  fuzz::check(status.size() == 3 && status >= "200" && status <= "499",
              shown("the status is 2xx, 3xx or 4xx: no handler fails"));
  const auto blank = response.find("\r\n\r\n");
  fuzz::check(blank != std::string_view::npos, shown("the head ends with a blank line"));
  const std::string_view head = response.substr(0, blank + 2);  // with its last CRLF
  fuzz::check(head.find("\r\nX-Frame-Options: DENY\r\n") != std::string_view::npos,
              shown("the response carries the security headers"));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  service = new Service();
  std::atexit([] { delete service; });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string request(fuzz::as_text(data, size));
  for (auto at = request.find("{id}"); at != std::string::npos; at = request.find("{id}", at)) {
    request.replace(at, 4, service->id);
  }
  MemoryStream stream(request);
  service->http.process(stream);
  if (!stream.output().empty()) check_response(stream.output());
  const std::string log = service->log_text.str();
  fuzz::check(log.find("http_handler_failed") == std::string::npos, "no handler throws");
  service->log_text.str(std::string());
  return 0;
}
