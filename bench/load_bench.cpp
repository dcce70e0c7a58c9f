// Load tests of `outbreak serve` over loopback, with the server's memory
// measured from /proc (a plain program, not Google Benchmark):
//  viewers: --viewers event streams (250) of one job of --replicates (100) x
//           --days (3650) with population 10, opened as it is submitted; each
//           must get every day exactly once, in order (reconnecting with
//           Last-Event-ID if the server ends its stream early), then the
//           final status. OUTBREAK_MAX_ROWS_PER_JOB is raised for the job.
//  soak:    for --seconds (60), small jobs submitted every 200 ms, event
//           streams of the newest job read to their end by 8 clients, and
//           results (JSON and CSV) read by 4 clients; every request and
//           stream must succeed, and the server's memory is sampled every
//           second.
// Prints Markdown tables, stops the server with SIGTERM (also on failure) and
// exits 1 on any error. Run: build/bench/outbreak_load_bench viewers|soak
// [--binary build/outbreak] [--seconds 600] [--help]
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
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <regex>
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

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A field of /proc/PID/status in kB ("VmRSS", "VmHWM"); -1 if unreadable.
long proc_kb(pid_t pid, std::string_view field) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':') {
      return std::stol(line.substr(field.size() + 1));
    }
  }
  return -1;
}

// `outbreak serve` as a child process with `environment` added, its stdout
// drained by a thread for the server's whole life.
class Server {
 public:
  Server(const std::string& binary, const std::string& database_url,
         const std::vector<std::string>& environment) {
    const char* argv[] = {binary.c_str(), "serve",      "--listen",
                          "127.0.0.1:0",  "--database", database_url.c_str(),
                          "--workers",    "1",          nullptr};
    std::vector<std::string> env_text(environment);
    for (char** e = environ; *e != nullptr; ++e) env_text.emplace_back(*e);
    std::vector<char*> envp;
    for (std::string& entry : env_text) envp.push_back(entry.data());
    envp.push_back(nullptr);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    out_ = fds[0];
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    const int spawned =
        posix_spawn(&pid_, argv[0], &actions, nullptr, const_cast<char**>(argv), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (spawned != 0) {
      pid_ = -1;
      close(out_);
      throw std::runtime_error(fmt::format("cannot start {}: {}", binary, strerror(spawned)));
    }
  }
  ~Server() { stop(); }

  // Reads stdout up to the "listening on" line; its port.
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

  pid_t pid() const { return pid_; }

  // SIGTERM, then waits; the exit status (128 + signal if killed). Idempotent.
  int stop() {
    if (pid_ < 0) return status_;
    kill(pid_, SIGTERM);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (drain_.joinable()) drain_.join();
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
  client->set_read_timeout(300s);
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);
  return client;
}

std::string submit(httplib::Client& client, const nlohmann::json& scenario) {
  const nlohmann::json body = {{"scenario", scenario}};
  const auto response = client.Post("/api/v1/simulations", body.dump(), "application/json");
  if (!response || response->status != 201) {
    throw std::runtime_error("submission failed: " + (response ? response->body : "no response"));
  }
  return nlohmann::json::parse(response->body).at("id").get<std::string>();
}

// Samples the server's resident memory every `interval` until stopped.
class MemorySampler {
 public:
  MemorySampler(pid_t pid, std::chrono::milliseconds interval)
      : thread_([this, pid, interval](std::stop_token stop) {
          while (!stop.stop_requested()) {
            const long kb = proc_kb(pid, "VmRSS");
            {
              const std::lock_guard lock(mu_);
              samples_.emplace_back(seconds_since(start_), kb);
            }
            std::this_thread::sleep_for(interval);
          }
        }) {}
  void stop() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
  }
  // (seconds since start, RSS kB)
  std::vector<std::pair<double, long>> samples() {
    const std::lock_guard lock(mu_);
    return samples_;
  }

 private:
  Clock::time_point start_ = Clock::now();
  std::mutex mu_;
  std::vector<std::pair<double, long>> samples_;
  std::jthread thread_;
};

// One viewer of a job: reads its event stream to the final status,
// reconnecting after the last day if the server ends the stream early, and
// checks that days come in (replicate, day) order, each once.
class Viewer {
 public:
  Viewer(std::int64_t replicates, std::int64_t days) : replicates_(replicates), days_(days) {}

  void run(int port, const std::string& id) {
    const std::string target = "/api/v1/simulations/" + id + "/events";
    while (final_status_.empty() && connections_ < 1000) {
      ++connections_;
      httplib::Headers headers;
      if (!last_id_.empty()) headers.emplace("Last-Event-ID", last_id_);
      pending_.clear();
      auto response = connect(port)->Get(target, headers, [this](const char* data, std::size_t n) {
        return feed({data, n});
      });
      if (!response) ++errors_;
    }
  }
  bool complete() const {
    return final_status_ == "succeeded" && errors_ == 0 && received_ == replicates_ * (days_ + 1) &&
           out_of_order_ == 0;
  }
  std::int64_t received() const { return received_; }
  std::int64_t bytes() const { return bytes_; }
  int connections() const { return connections_; }
  std::int64_t out_of_order() const { return out_of_order_; }

 private:
  bool feed(std::string_view data) {
    bytes_ += static_cast<std::int64_t>(data.size());
    pending_.append(data);
    std::size_t start = 0;
    for (std::size_t end; (end = pending_.find('\n', start)) != std::string::npos;
         start = end + 1) {
      const std::string_view line = std::string_view(pending_).substr(start, end - start);
      if (line.starts_with("id: ")) id_ = line.substr(4);
      if (line.starts_with("event: ")) event_ = line.substr(7);
      if (line.starts_with("data: ") && event_ == "status") {
        const auto status = nlohmann::json::parse(line.substr(6)).at("status").get<std::string>();
        if (status == "succeeded" || status == "failed" || status == "cancelled") {
          final_status_ = status;
        }
      }
      if (!line.empty()) continue;
      if (event_ == "day") day(id_);
      event_.clear();
    }
    pending_.erase(0, start);
    return true;
  }
  void day(const std::string& id) {
    // The next day in (replicate, day) order: "r:d", r from 1.
    const std::string expected = next_r_ == 0 ? "1:0" : fmt::format("{}:{}", next_r_, next_d_);
    if (id != expected) ++out_of_order_;
    const auto colon = id.find(':');
    std::int64_t r = std::stoll(id.substr(0, colon));
    std::int64_t d = std::stoll(id.substr(colon + 1)) + 1;
    if (d > days_) {
      ++r;
      d = 0;
    }
    next_r_ = r;
    next_d_ = d;
    last_id_ = id;
    ++received_;
  }

  std::int64_t replicates_, days_;
  std::int64_t next_r_ = 0, next_d_ = 0;
  std::int64_t received_ = 0, bytes_ = 0, out_of_order_ = 0;
  int connections_ = 0, errors_ = 0;
  std::string final_status_, last_id_, pending_, id_, event_;
};

struct Options {
  std::string mode;
  std::string binary = "build/outbreak";
  int viewers = 250;
  std::int64_t replicates = 100;
  std::int64_t days = 3650;
  double seconds = 60;
};

// The largest value of the gauge `name` in /metrics, sampled until stopped.
class GaugeSampler {
 public:
  GaugeSampler(int port, std::string name)
      : thread_([this, port, name = std::move(name)](std::stop_token stop) {
          auto client = connect(port);
          const std::string needle = "\n" + name + " ";
          while (!stop.stop_requested()) {
            if (auto metrics = client->Get("/metrics")) {
              const auto at = metrics->body.find(needle);
              if (at != std::string::npos) {
                most_ =
                    std::max(most_.load(), std::stoll(metrics->body.substr(at + needle.size())));
              }
            }
            std::this_thread::sleep_for(100ms);
          }
        }) {}
  long long stop() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
    return most_;
  }

 private:
  std::atomic<long long> most_{-1};
  std::jthread thread_;
};

bool viewers_load(Server& server, int port, const Options& options) {
  const long idle_kb = proc_kb(server.pid(), "VmRSS");
  MemorySampler memory(server.pid(), 200ms);
  GaugeSampler buffered(port, "outbreak_event_buffer_bytes");
  const auto start = Clock::now();
  const std::string id = submit(*connect(port), {{"population", 10},
                                                 {"days", options.days},
                                                 {"replicates", options.replicates},
                                                 {"initial_infected", 2}});
  std::vector<std::unique_ptr<Viewer>> viewers;
  std::vector<std::thread> threads;
  for (int i = 0; i < options.viewers; ++i) {
    viewers.push_back(std::make_unique<Viewer>(options.replicates, options.days));
    threads.emplace_back(&Viewer::run, viewers.back().get(), port, id);
  }
  for (std::thread& thread : threads) thread.join();
  const double wall_s = seconds_since(start);
  const long long most_buffered = buffered.stop();
  memory.stop();
  const long peak_kb = proc_kb(server.pid(), "VmHWM");
  long sampled_peak_kb = 0;
  for (const auto& [t, kb] : memory.samples()) sampled_peak_kb = std::max(sampled_peak_kb, kb);
  const auto complete = std::ranges::count_if(viewers, [](const auto& v) { return v->complete(); });
  std::int64_t bytes = 0, reconnects = 0, disorder = 0;
  for (const auto& viewer : viewers) {
    bytes += viewer->bytes();
    reconnects += viewer->connections() - 1;
    disorder += viewer->out_of_order();
  }
  fmt::print(
      "## Event-stream viewers\n\n{} viewers of one job (population 10, {} replicates x {} days "
      "= {} day events each), opened as it is submitted.\n\n| measure | value |\n|---|---:|\n"
      "| viewers with every day once, in order, then `succeeded` | {} |\n"
      "| day events out of order or repeated | {} |\n| reconnections | {} |\n"
      "| bytes received, all viewers | {:.1f} GB |\n| submit to last stream end | {:.1f} s |\n"
      "| server RSS before the job | {:.0f} MB |\n| server peak RSS (VmHWM) | {:.0f} MB |\n"
      "| server peak RSS, sampled every 200 ms | {:.0f} MB |\n"
      "| peak of `outbreak_event_buffer_bytes` | {:.2f} MB |\n",
      options.viewers, options.replicates, options.days, options.replicates * (options.days + 1),
      complete, disorder, reconnects, static_cast<double>(bytes) / 1e9, wall_s, idle_kb / 1024.0,
      peak_kb / 1024.0, sampled_peak_kb / 1024.0, static_cast<double>(most_buffered) / 1e6);
  return complete == options.viewers;
}

bool soak(Server& server, int port, const Options& options) {
  MemorySampler memory(server.pid(), 1s);
  const auto until = Clock::now() + std::chrono::duration<double>(options.seconds);
  std::mutex mu;
  std::vector<std::string> ids;
  std::atomic<std::int64_t> submissions = 0, streams = 0, results = 0, errors = 0;
  const auto error = [&](const std::string& what) {
    if (errors.fetch_add(1) < 10) fmt::print(stderr, "soak: {}\n", what);
  };
  std::vector<std::jthread> threads;
  threads.emplace_back([&] {
    auto client = connect(port);
    for (auto next = Clock::now(); Clock::now() < until; std::this_thread::sleep_until(next)) {
      try {
        const std::string id = submit(
            *client,
            {{"population", 2000}, {"days", 100}, {"replicates", 2}, {"initial_infected", 5}});
        const std::lock_guard lock(mu);
        ids.push_back(id);
        ++submissions;
      } catch (const std::exception& e) {
        error(e.what());
      }
      next += 200ms;
    }
  });
  const auto newest = [&]() -> std::string {
    const std::lock_guard lock(mu);
    return ids.empty() ? std::string() : ids.back();
  };
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      while (Clock::now() < until) {
        const std::string id = newest();
        if (id.empty()) {
          std::this_thread::sleep_for(50ms);
          continue;
        }
        Viewer viewer(2, 100);
        viewer.run(port, id);
        if (!viewer.complete()) error("stream of " + id + " incomplete");
        ++streams;
      }
    });
  }
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto client = connect(port);
      for (std::uint64_t n = static_cast<std::uint64_t>(i); Clock::now() < until; ++n) {
        std::string id;
        {
          const std::lock_guard lock(mu);
          if (!ids.empty()) id = ids[(n * 7919) % ids.size()];
        }
        if (id.empty()) {
          std::this_thread::sleep_for(50ms);
          continue;
        }
        const bool csv = n % 2 == 1;
        const auto response =
            client->Get("/api/v1/simulations/" + id + "/results" + (csv ? "?format=csv" : ""));
        if (!response || response->status != 200) {
          error("results of " + id + ": " + (response ? std::to_string(response->status) : "none"));
        } else if (!csv && !nlohmann::json::accept(response->body)) {
          error("results of " + id + " are not JSON");
        }
        ++results;
      }
    });
  }
  threads.clear();  // joins
  memory.stop();
  const auto samples = memory.samples();
  const auto at = [&](double fraction) {
    const auto index = static_cast<std::size_t>(fraction * static_cast<double>(samples.size() - 1));
    return samples.empty() ? 0.0 : samples[index].second / 1024.0;
  };
  long most = 0;
  for (const auto& [t, kb] : samples) most = std::max(most, kb);
  fmt::print(
      "## Soak\n\n{:.0f} s of submissions (population 2000, 100 days, 2 replicates, every 200 "
      "ms), 8 clients reading the newest job's event stream to its end, 4 clients reading "
      "results (JSON and CSV alternately).\n\n| measure | value |\n|---|---:|\n"
      "| submissions | {} |\n| event streams read to the end | {} |\n| results read | {} |\n"
      "| errors | {} |\n| server RSS at 10% / 50% / 100% of the run | {:.0f} / {:.0f} / {:.0f} "
      "MB |\n| server peak RSS, sampled every second | {:.0f} MB |\n",
      options.seconds, submissions.load(), streams.load(), results.load(), errors.load(), at(0.1),
      at(0.5), at(1.0), most / 1024.0);
  return errors == 0 && submissions > 0 && streams > 0 && results > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (const char* binary = std::getenv("OUTBREAK")) options.binary = binary;
  CLI::App app("Load tests of `outbreak serve`: many event-stream viewers, or a soak.");
  app.failure_message(CLI::FailureMessage::help);
  app.add_option("mode", options.mode, "viewers or soak")
      ->required()
      ->check(CLI::IsMember({"viewers", "soak"}));
  app.add_option("--binary", options.binary,
                 "the outbreak binary ($OUTBREAK, else build/outbreak)");
  app.add_option("--viewers", options.viewers, "viewers mode: event streams (250)")
      ->check(CLI::Range(1, 10'000));
  app.add_option("--replicates", options.replicates, "viewers mode: replicates of the job (100)")
      ->check(CLI::Range(1, 100));
  app.add_option("--days", options.days, "viewers mode: days of the job (3650)")
      ->check(CLI::Range(1, 3650));
  app.add_option("--seconds", options.seconds, "soak mode: duration in seconds (60)")
      ->check(CLI::Range(1.0, 86'400.0));
  CLI11_PARSE(app, argc, argv);

  const auto dir =
      std::filesystem::temp_directory_path() / fmt::format("outbreak-load-bench-{}", getpid());
  std::filesystem::create_directories(dir);
  const std::string database = "sqlite://" + (dir / "bench.db").string();
  const std::vector<std::string> environment = {
      "OUTBREAK_SUBMISSIONS_PER_MINUTE=100000", "OUTBREAK_MAX_QUEUED=100000",
      fmt::format("OUTBREAK_MAX_ROWS_PER_JOB={}", options.replicates * options.days),
      fmt::format("OUTBREAK_MAX_STREAMS={}", std::max(256, options.viewers + 16)),
      // Every viewer connects from 127.0.0.1; the default allows 64 per address.
      "OUTBREAK_MAX_CONNECTIONS_PER_CLIENT=65536"};
  bool ok = false;
  try {
    Server server(options.binary, database, environment);
    signal(SIGPIPE, SIG_IGN);
    const int port = server.wait_listening();
    fmt::print("Server: `{} serve --workers 1 --database {}` with {}; {} hardware threads.\n\n",
               options.binary, database, fmt::join(environment, " "),
               std::thread::hardware_concurrency());
    ok = options.mode == "viewers" ? viewers_load(server, port, options)
                                   : soak(server, port, options);
    if (const int status = server.stop(); status != 0) {
      throw std::runtime_error(fmt::format("outbreak serve exited with status {}", status));
    }
    if (!ok) fmt::print(stderr, "load_bench: errors (see above)\n");
  } catch (const std::exception& e) {
    fmt::print(stderr, "load_bench: {}\n", e.what());
    ok = false;
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
