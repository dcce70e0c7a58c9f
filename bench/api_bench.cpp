// HTTP API benchmark of `outbreak serve`, end to end over loopback: starts the
// real server (fresh SQLite database, one worker, a free port) and measures
//  1. results: a finished 365-day job's results fetched by --client-threads
//     kept-alive connections for --seconds per encoding (a second opinion:
//     `wrk -t2 -c8 -d10s URL`, URL being the results of a job);
//  2. many viewers: --viewers event streams (over 256: raise OUTBREAK_MAX_STREAMS)
//     on one running job while a small job is submitted every 50 ms.
// Prints Markdown tables, stops the server with SIGTERM (also on failure) and
// exits 1 if a request failed or a viewer did not get every day exactly once.
//     Rows: identity, gzip, br, and 304 answers to If-None-Match (gzip's ETag).
// Run: build/bench/outbreak_api_bench [build/outbreak] [--viewers 200]
//      [--results-only] [--help]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kDays = 365;
constexpr auto kSubmitEvery = 50ms;
// Set for the server: the submissions come far faster than its defaults
// allow, and every viewer connects from the same address.
constexpr const char* kServerEnvironment[] = {"OUTBREAK_SUBMISSIONS_PER_MINUTE=100000",
                                              "OUTBREAK_MAX_QUEUED=100000",
                                              "OUTBREAK_MAX_CONNECTIONS_PER_CLIENT=65536"};

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The nearest-rank `p` quantile (0 < p <= 1) of `values`; 0 when empty.
double quantile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

// `outbreak serve` as a child process, its stdout in a pipe that a thread
// drains for the server's whole life (it logs every request there).
class Server {
 public:
  Server(const std::string& binary, const std::string& database_url) {
    const char* argv[] = {binary.c_str(), "serve",      "--listen",
                          "127.0.0.1:0",  "--database", database_url.c_str(),
                          "--workers",    "1",          nullptr};
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    out_ = fds[0];
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    const int spawned =
        posix_spawn(&pid_, argv[0], &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (spawned != 0) {
      pid_ = -1;
      close(out_);
      throw std::runtime_error(fmt::format("cannot start {}: {}", binary, strerror(spawned)));
    }
  }
  ~Server() { stop(); }

  // Reads stdout up to the "listening on" line; its port. Throws, with the
  // output, if the server exits first or is silent for 30 s.
  int wait_listening() {
    const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    std::string text;
    std::smatch match;
    char buffer[4096];
    while (!std::regex_search(text, match, listening)) {
      pollfd ready{.fd = out_, .events = POLLIN, .revents = 0};
      const ssize_t got = poll(&ready, 1, 30'000) > 0 ? read(out_, buffer, sizeof buffer) : -1;
      if (got <= 0) throw std::runtime_error("outbreak serve did not start:\n" + text);
      text.append(buffer, static_cast<std::size_t>(got));
    }
    drain_ = std::thread([fd = out_] {
      char discard[65536];
      while (read(fd, discard, sizeof discard) > 0) {
      }
    });
    return std::stoi(match[1]);
  }

  // SIGTERM, then waits; the exit status (128 + signal if killed). Idempotent.
  int stop() {
    if (pid_ < 0) return status_;
    kill(pid_, SIGTERM);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (drain_.joinable()) drain_.join();  // the pipe ends with the process
    close(out_);
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int status_ = -1;
  std::thread drain_;
};

std::unique_ptr<httplib::Client> connect(int port) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
  client->set_connection_timeout(10s);
  client->set_read_timeout(300s);  // a stream may be quiet while a big job starts
  client->set_keep_alive(true);
  // httplib writes a POST's headers and body apart: without this, Nagle's
  // algorithm and delayed ACKs add 40 ms to every request after the first.
  client->set_tcp_nodelay(true);
  return client;
}

// Submits a `population` x `days` job; its id. Throws unless 201.
std::string submit(httplib::Client& client, std::int64_t population, int days) {
  const nlohmann::json body = {{"scenario", {{"population", population}, {"days", days}}}};
  const auto response = client.Post("/api/v1/simulations", body.dump(), "application/json");
  if (!response || response->status != 201) {
    throw std::runtime_error("submission failed: " + (response ? response->body : "no response"));
  }
  return nlohmann::json::parse(response->body).at("id").get<std::string>();
}

// One event stream of a one-replicate job, read to its end: the day events
// (their ids, "1:day") and the last status event's status.
class Watch {
 public:
  std::string final_status;

  void run(int port, const std::string& id) {
    const auto receive = [this](const char* data, std::size_t size) { return feed({data, size}); };
    connect(port)->Get("/api/v1/simulations/" + id + "/events", receive);
  }
  int events() const { return static_cast<int>(ids_.size()); }  // day events received
  bool complete() const {  // every day exactly once, and nothing else
    bool once = final_status == "succeeded" && ids_.size() == kDays + 1;
    for (int day = 0; once && day <= kDays; ++day) once = ids_.count(fmt::format("1:{}", day)) == 1;
    return once;
  }

 private:
  bool feed(std::string_view data) {  // line by line; a blank line ends an event
    pending_.append(data);
    std::size_t start = 0;
    for (std::size_t end; (end = pending_.find('\n', start)) != std::string::npos;
         start = end + 1) {
      const std::string_view line = std::string_view(pending_).substr(start, end - start);
      if (line.starts_with("id: ")) id_ = line.substr(4);
      if (line.starts_with("event: ")) event_ = line.substr(7);
      if (line.starts_with("data: ") && event_ == "status") {
        final_status = nlohmann::json::parse(line.substr(6)).at("status").get<std::string>();
      }
      if (!line.empty()) continue;
      if (event_ == "day") ids_.insert(id_);
      event_.clear();
    }
    pending_.erase(0, start);
    return true;
  }

  std::multiset<std::string> ids_;
  std::string pending_, id_, event_;
};

// Fetches `target` from `threads` kept-alive clients for `seconds` with
// `headers`, keeping bodies as sent (bytes on the wire), and prints the
// table row labelled `label`. Whether every request got `expected` (200, or
// 304 for a conditional request).
bool fetch_row(int port, const std::string& target, const std::string& label,
               const httplib::Headers& headers, int expected, int threads, double seconds) {
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::uint64_t bytes = 0, errors = 0;
  std::vector<std::jthread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&] {
      auto client = connect(port);
      client->set_decompress(false);
      while (Clock::now() < until) {
        const auto sent = Clock::now();
        const auto response = client->Get(target, headers);
        const double ms = ms_since(sent);
        const bool fine = response && response->status == expected;
        const std::lock_guard lock(mu);
        if (fine) latencies_ms.push_back(ms);
        bytes += fine ? response->body.size() : 0;
        errors += fine ? 0 : 1;
      }
    });
  }
  pool.clear();  // joins
  const auto n = latencies_ms.size();
  fmt::print("| {} | {} | {:.0f} | {} | {:.2f} | {:.2f} | {} |\n", label, n,
             static_cast<double>(n) / (ms_since(start) / 1000), n == 0 ? 0 : bytes / n,
             quantile(latencies_ms, 0.5), quantile(latencies_ms, 0.99), errors);
  return n > 0 && errors == 0;
}

struct Options {
  std::string binary;
  int viewers = 200;
  int client_threads = 8;
  double seconds = 5;
  bool viewers_too = true;
  std::int64_t population = 10'000'000;
};

bool results_throughput(int port, const Options& options) {
  const std::string id = submit(*connect(port), 10'000, kDays);
  if (Watch done; done.run(port, id), done.final_status != "succeeded") {
    throw std::runtime_error("the 10,000-agent job ended " + done.final_status);
  }
  fmt::print(
      "## Results throughput\n\nGET /api/v1/simulations/{{id}}/results of a succeeded job "
      "(population 10000, {} days) by {} client threads, about {} s per row.\n\n"
      "| request | requests | requests/s | bytes/response | p50 ms | p99 ms | "
      "errors |\n|---|---:|---:|---:|---:|---:|---:|\n",
      kDays, options.client_threads, options.seconds);
  const std::string target = "/api/v1/simulations/" + id + "/results";
  bool ok = true;
  for (const std::string encoding : {"identity", "gzip", "br"}) {
    ok &= fetch_row(port, target, "Accept-Encoding: " + encoding, {{"Accept-Encoding", encoding}},
                    200, options.client_threads, options.seconds);
  }
  // Revalidation: what a browser or proxy holding the gzip copy sends.
  auto client = connect(port);
  client->set_decompress(false);
  const auto held = client->Get(target, {{"Accept-Encoding", "gzip"}});
  if (!held || !held->has_header("ETag")) throw std::runtime_error("results without an ETag");
  const std::string etag = held->get_header_value("ETag");
  ok &= fetch_row(port, target, "gzip, If-None-Match (304)",
                  {{"Accept-Encoding", "gzip"}, {"If-None-Match", etag}}, 304,
                  options.client_threads, options.seconds);
  return ok;
}

// Whether every viewer got every day exactly once and every submission its 201.
bool many_viewers(int port, const Options& options) {
  auto client = connect(port);
  const auto start = Clock::now();
  const std::string id = submit(*client, options.population, kDays);
  std::vector<Watch> watches(static_cast<std::size_t>(options.viewers));
  std::vector<std::thread> viewers;
  for (Watch& watch : watches) viewers.emplace_back(&Watch::run, &watch, port, id);

  std::atomic<bool> ended = false;
  std::vector<double> submit_ms;
  int failed = 0;
  std::thread submitter([&] {
    for (auto next = Clock::now(); !ended; std::this_thread::sleep_until(next)) {
      const auto sent = Clock::now();
      const auto response =
          client->Post("/api/v1/simulations", R"({"scenario":{"population":1000,"days":10}})",
                       "application/json");
      const bool created = response && response->status == 201;
      if (created) submit_ms.push_back(ms_since(sent));
      failed += created ? 0 : 1;
      next = std::max(next + kSubmitEvery, Clock::now());
    }
  });
  for (std::thread& viewer : viewers) viewer.join();
  const double wall_s = ms_since(start) / 1000;
  ended = true;
  submitter.join();

  const auto complete = std::ranges::count_if(watches, &Watch::complete);
  const auto [fewest, most] = std::ranges::minmax(watches, {}, &Watch::events);
  fmt::print(
      "\n## Many viewers\n\nOne job (population {}, {} days) watched by {} event streams while "
      "a job (population 1000, 10 days) is submitted every {} ms.\n\n| measure | value |\n"
      "|---|---:|\n| viewers | {} |\n| days expected | {} |\n| viewers with every day exactly "
      "once | {} |\n| day events received, min / max | {} / {} |\n"
      "| submit to last stream end | {:.1f} s |\n| submissions (failed) | {} ({}) |\n"
      "| submission latency p50 / p95 / p99 / max | {:.1f} / {:.1f} / {:.1f} / {:.1f} ms |\n",
      options.population, kDays, options.viewers, kSubmitEvery.count(), options.viewers, kDays + 1,
      complete, fewest.events(), most.events(), wall_s,
      submit_ms.size() + static_cast<std::size_t>(failed), failed, quantile(submit_ms, 0.5),
      quantile(submit_ms, 0.95), quantile(submit_ms, 0.99), quantile(submit_ms, 1.0));
  return complete == options.viewers && failed == 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  const char* binary = std::getenv("OUTBREAK");
  options.binary = binary != nullptr ? binary : "build/outbreak";
  CLI::App app("Starts `outbreak serve` and measures results throughput and event streams.");
  app.failure_message(CLI::FailureMessage::help);
  app.add_option("binary", options.binary, "the outbreak binary ($OUTBREAK, else build/outbreak)");
  const auto range = [&](const char* name, auto& value, auto min, auto max, const char* help) {
    app.add_option(name, value, help)->check(CLI::Range(min, max));
  };
  range("--viewers", options.viewers, 1, 10'000, "concurrent event streams (200)");
  range("--client-threads", options.client_threads, 1, 1'000, "clients fetching results (8)");
  range("--seconds", options.seconds, 0.1, 3'600.0, "seconds per results row (5)");
  range("--population", options.population, 1, 10'000'000, "agents in the streamed job (10M)");
  app.add_flag("!--results-only", options.viewers_too, "measure results throughput only");
  CLI11_PARSE(app, argc, argv);

  // Before any thread starts; putenv keeps the literals, which nobody writes.
  for (const char* setting : kServerEnvironment) putenv(const_cast<char*>(setting));
  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("outbreak-api-bench-{}", getpid());
  std::filesystem::create_directories(dir);
  const std::string database = "sqlite://" + (dir / "bench.db").string();
  bool ok = false;
  try {
    Server server(options.binary, database);
    signal(SIGPIPE, SIG_IGN);  // only now: the server keeps the default
    const int port = server.wait_listening();
    fmt::print(
        "Server: `{} serve --listen 127.0.0.1:0 --database {} --workers 1` with {}; {} "
        "hardware threads.\n\n",
        options.binary, database, fmt::join(kServerEnvironment, " "),
        std::thread::hardware_concurrency());
    ok = results_throughput(port, options);
    if (options.viewers_too) ok = many_viewers(port, options) && ok;
    if (const int status = server.stop(); status != 0) {
      throw std::runtime_error(fmt::format("outbreak serve exited with status {}", status));
    }
    if (!ok) fmt::print(stderr, "api_bench: some requests failed or some viewers missed days\n");
  } catch (const std::exception& error) {
    fmt::print(stderr, "api_bench: {}\n", error.what());
    ok = false;
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
