// The `outbreak` command as a user meets it: each test runs the built binary
// as a child process and checks its exit status, stdout and stderr.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "outbreak/engine/scenario.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCsvHeader =
    "day,susceptible,exposed,infectious,symptomatic,currently_infected,isolated,recovered,dead,"
    "total_infected,new_infections,infections_home,infections_work,infections_community,"
    "hospitalized,critical,new_hospitalizations,new_deaths,r_t,infections_school,new_symptomatic,"
    "tests,positive_tests,isolating,quarantined,traced_contacts,vaccinated,interventions_active";
constexpr std::size_t kColumns = 27;       // without interventions_active, the ids of a day's items
constexpr std::size_t kTotalInfected = 9;  // column index
constexpr std::string_view kLineListHeader =
    "replicate,agent,age,day_infected,infector,route,day_infectious,day_symptoms,day_hospital,"
    "day_critical,day_resolved,outcome,day_positive,day_isolated,day_traced";
constexpr int kBadInput = 2;
constexpr int kFailure = 1;

// ---- Running the binary ------------------------------------------------------

struct Outcome {
  int status = -1;  // the exit status, or 128 + signal if it was killed
  std::string out;
  std::string err;
};

struct Child {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
};

void check_errno(int result, const char* what) {
  if (result != 0)
    throw std::system_error(result == -1 ? errno : result, std::generic_category(), what);
}

// This process's environment without OUTBREAK_* (a developer's own settings
// must not change the tests' results), plus `extra` ("NAME=value").
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!std::string_view(*entry).starts_with("OUTBREAK_")) env.emplace_back(*entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  for (std::string& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

// Starts `program` with `args` (argv[0] included), stdin from /dev/null and
// stdout and stderr on pipes (so neither is a terminal), with SIGINT and
// SIGTERM at their default disposition even if the test runner ignores them.
Child spawn_program(const char* program, std::vector<std::string> args,
                    const std::vector<std::string>& extra_env = {}) {
  std::vector<std::string> env = child_environment(extra_env);
  std::array<int, 2> out{};
  std::array<int, 2> err{};
  check_errno(pipe2(out.data(), O_CLOEXEC), "pipe2");
  check_errno(pipe2(err.data(), O_CLOEXEC), "pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  Child child;
  const int spawned = posix_spawn(&child.pid, program, &actions, &attributes, pointers(args).data(),
                                  pointers(env).data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(out[1]);
  close(err[1]);
  child.out_fd = out[0];
  child.err_fd = err[0];
  check_errno(spawned, "posix_spawn");
  return child;
}

// Starts the binary (see spawn_program).
Child spawn(std::vector<std::string> args, const std::vector<std::string>& extra_env = {}) {
  args.insert(args.begin(), OUTBREAK_BINARY);
  return spawn_program(OUTBREAK_BINARY, std::move(args), extra_env);
}

// Starts the binary through a shell that runs `prelude` first, then execs
// it (keeping the pid); "$0" in `prelude` is `prelude_arg`.
Child spawn_after(const std::string& prelude, const std::string& prelude_arg,
                  std::vector<std::string> args) {
  args.insert(args.begin(),
              {"sh", "-c", prelude + " && exec \"$@\"", prelude_arg, OUTBREAK_BINARY});
  return spawn_program("/bin/sh", std::move(args));
}

// Reads both pipes until the child closes them (together, so that a full
// stderr pipe cannot block a child that the test waits on for stdout), then
// reaps it.
Outcome finish(const Child& child) {
  Outcome outcome;
  std::array<pollfd, 2> fds = {{{child.out_fd, POLLIN, 0}, {child.err_fd, POLLIN, 0}}};
  std::array<std::string*, 2> sinks = {&outcome.out, &outcome.err};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[65536];
      const ssize_t count = read(fds[i].fd, buffer, sizeof buffer);
      if (count > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(count));
      } else if (count == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return outcome;
}

Outcome run_cli(std::vector<std::string> args, const std::vector<std::string>& extra_env = {}) {
  return finish(spawn(std::move(args), extra_env));
}

// Runs the binary with at most 2 GiB of address space, so that a command
// that reads without bound fails fast instead of filling the machine's
// memory. Not under AddressSanitizer, which reserves far more at start.
Outcome run_cli_in_2_gib(std::vector<std::string> args) {
#if defined(__SANITIZE_ADDRESS__)
  return finish(spawn_after("true", "", std::move(args)));
#else
  return finish(spawn_after("ulimit -v 2097152", "", std::move(args)));
#endif
}

// Reads everything written to a FIFO, on a thread of its own. Holds a write
// end itself until finish(), so that the reader sees no end of file before
// the command under test has opened the FIFO, and the command's open()
// does not block.
class FifoReader {
 public:
  explicit FifoReader(const fs::path& fifo)
      : read_fd_(open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)),
        hold_fd_(open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)) {
    if (read_fd_ < 0 || hold_fd_ < 0) throw std::system_error(errno, std::generic_category());
    fcntl(read_fd_, F_SETFL, 0);  // blocking reads from here on
    thread_ = std::thread([this] {
      char buffer[4096];
      for (;;) {
        const ssize_t count = read(read_fd_, buffer, sizeof buffer);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) break;
        text_.append(buffer, static_cast<std::size_t>(count));
      }
    });
  }
  FifoReader(const FifoReader&) = delete;
  FifoReader& operator=(const FifoReader&) = delete;
  ~FifoReader() { static_cast<void>(finish()); }

  // Everything written; call once the command has exited.
  std::string finish() {
    if (hold_fd_ >= 0) close(hold_fd_);
    hold_fd_ = -1;
    if (thread_.joinable()) thread_.join();
    if (read_fd_ >= 0) close(read_fd_);
    read_fd_ = -1;
    return text_;
  }

 private:
  int read_fd_;
  int hold_fd_;
  std::thread thread_;
  std::string text_;
};

// Whether `pid` has a handler installed for `signal`, from /proc: the way to
// know that an interrupt will be handled rather than kill the process.
bool catches_signal(pid_t pid, int signal) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("SigCgt:")) {
      const std::uint64_t mask = std::stoull(line.substr(7), nullptr, 16);
      return ((mask >> (signal - 1)) & 1) != 0;
    }
  }
  return false;
}

// ---- Reading the output ----------------------------------------------------------

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The cells of a CSV line, empty ones included.
std::vector<std::string> csv_cells(const std::string& line) {
  std::vector<std::string> cells(1);
  for (char c : line) {
    if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

// The cells of a results row as numbers; an empty cell (an unknown r_t) is NaN.
std::vector<double> csv_numbers(const std::string& line) {
  std::vector<double> values;
  for (const std::string& cell : csv_cells(line)) {
    values.push_back(cell.empty() ? std::nan("") : std::stod(cell));
  }
  return values;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every data row has one value per column (and its active timeline items)
// and keeps every agent accounted for: susceptible + currently_infected +
// recovered + dead == population.
void expect_conserved(const std::vector<std::string>& rows, std::int64_t population) {
  for (const std::string& row : rows) {
    const std::vector<double> v = csv_numbers(row);
    ASSERT_EQ(v.size(), kColumns + 1) << row;
    EXPECT_EQ(v[1] + v[5] + v[7] + v[8], static_cast<double>(population)) << row;
  }
}

// ---- Fixture: a fresh directory per test -------------------------------------------

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("outbreak-cli-" + std::to_string(getpid()) + "-" +
                                        info->test_suite_name() + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

  // Runs and expects exit status 2, nothing on stdout, and stderr that
  // contains every one of `expected`.
  void expect_bad_input(std::vector<std::string> args, const std::vector<std::string>& expected,
                        const std::vector<std::string>& env = {}) {
    const Outcome r = run_cli(std::move(args), env);
    EXPECT_EQ(r.status, kBadInput) << r.err;
    EXPECT_EQ(r.out, "");
    for (const std::string& text : expected) {
      EXPECT_NE(r.err.find(text), std::string::npos) << "missing \"" << text << "\" in: " << r.err;
    }
  }

  fs::path dir_;
};

// ---- run: output ----------------------------------------------------------------------

TEST_F(CliTest, CsvHasTheHeaderOneRowPerDayAndConservesThePopulation) {
  const Outcome r =
      run_cli({"run", "--set", "population=2000", "--set", "days=20", "--format", "csv"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "") << "no progress bar when stderr is not a terminal";
  std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 22u);
  EXPECT_EQ(lines[0], kCsvHeader);
  lines.erase(lines.begin());
  expect_conserved(lines, 2000);
  for (std::size_t day = 0; day < lines.size(); ++day) {
    EXPECT_EQ(csv_numbers(lines[day])[0], static_cast<double>(day));
  }
  EXPECT_EQ(csv_numbers(lines[0])[kTotalInfected], 10)
      << "day 0 has the default 10 initial infections";
}

TEST_F(CliTest, DefaultFormatIsAnAlignedTable) {
  const Outcome r = run_cli({"run", "--set", "population=2000", "--set", "days=5"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<std::string> lines = lines_of(r.out);
  ASSERT_GE(lines.size(), 7u);
  EXPECT_NE(lines[0].find("susceptible"), std::string::npos);
  EXPECT_EQ(lines[0].find(','), std::string::npos);
}

TEST_F(CliTest, JsonHasTheScenarioColumnsAndEveryDay) {
  const Outcome r = run_cli({"run", "--set", "population=2000", "--set", "days=20", "--set",
                             "seed=9", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("scenario").at("population"), 2000);
  EXPECT_EQ(doc.at("scenario").at("days"), 20);
  ASSERT_EQ(doc.at("columns").size(), kColumns);
  EXPECT_EQ(doc.at("columns")[0], "day");
  EXPECT_EQ(doc.at("columns")[13], "infections_community");
  EXPECT_EQ(doc.at("columns")[18], "r_t");
  ASSERT_EQ(doc.at("replicates").size(), 1u);
  const nlohmann::json& replicate = doc.at("replicates")[0];
  EXPECT_EQ(replicate.at("seed"), 9);
  ASSERT_EQ(replicate.at("days").size(), 21u);
  for (const nlohmann::json& day : replicate.at("days")) {
    EXPECT_EQ(day.at("susceptible").get<std::int64_t>() +
                  day.at("currently_infected").get<std::int64_t>() +
                  day.at("recovered").get<std::int64_t>() + day.at("dead").get<std::int64_t>(),
              2000);
    EXPECT_TRUE(day.at("r_t").is_null() || day.at("r_t").is_number()) << day;
    EXPECT_TRUE(day.at("infections_school").is_number_integer()) << day;
  }
  const nlohmann::json& bands = replicate.at("age_totals");
  ASSERT_EQ(bands.size(), 9u);
  EXPECT_EQ(bands[0].at("band"), "0-9");
  EXPECT_EQ(bands[8].at("band"), "80+");
  for (const char* key : {"agents", "infected", "hospitalized", "critical", "dead"}) {
    EXPECT_TRUE(bands[4].at(key).is_number_integer()) << key;
  }
}

TEST_F(CliTest, SameSeedGivesIdenticalOutputForAnyThreadCount) {
  auto run_with = [](const std::string& threads) {
    return run_cli({"run", "--set", "population=20000", "--set", "days=40", "--set", "seed=7",
                    "--format", "csv", "--threads", threads});
  };
  const Outcome one = run_with("1");
  ASSERT_EQ(one.status, 0) << one.err;
  const std::vector<std::string> lines = lines_of(one.out);
  ASSERT_EQ(lines.size(), 42u);
  EXPECT_GT(csv_numbers(lines.back())[kTotalInfected], 10)
      << "the epidemic must spread to compare anything";
  for (const char* threads : {"2", "4"}) {
    const Outcome many = run_with(threads);
    ASSERT_EQ(many.status, 0) << many.err;
    EXPECT_EQ(many.out, one.out) << "--threads " << threads;
  }
}

TEST_F(CliTest, DifferentSeedsGiveDifferentOutput) {
  auto run_seed = [](const std::string& seed) {
    return run_cli({"run", "--set", "population=20000", "--set", "days=40", "--set", "seed=" + seed,
                    "--format", "csv"});
  };
  const Outcome a = run_seed("1");
  const Outcome b = run_seed("2");
  ASSERT_EQ(a.status, 0) << a.err;
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_NE(a.out, b.out);
}

TEST_F(CliTest, SetOverridesTheScenarioFile) {
  const std::string file = write("s.json", R"({"population": 3000, "days": 10, "seed": 5})");
  const Outcome r = run_cli({"run", "--scenario", file, "--set", "days=15", "--format", "csv"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 17u) << "days=15 from --set wins over the file's 10";
  lines.erase(lines.begin());
  expect_conserved(lines, 3000);  // population still from the file
}

TEST_F(CliTest, EachDayListsTheTimelineItemsActiveOnIt) {
  // Item 0: distancing on days 2 and 3; item 1: the flat key's case isolation, all along.
  const std::string file = write("s.json", R"({"population": 2000, "days": 5, "seed": 3,
      "symptomatic_isolation": true,
      "interventions": [{"type": "distancing", "start_day": 2, "end_day": 3}]})");
  const Outcome json_run = run_cli({"run", "--scenario", file, "--format", "json"});
  ASSERT_EQ(json_run.status, 0) << json_run.err;
  const nlohmann::json doc = nlohmann::json::parse(json_run.out);
  ASSERT_EQ(doc.at("timeline").size(), 2u);
  EXPECT_EQ(doc.at("timeline")[0].at("id"), 0);
  EXPECT_EQ(doc.at("timeline")[0].at("type"), "distancing");
  EXPECT_EQ(doc.at("timeline")[1].at("id"), 1);
  EXPECT_EQ(doc.at("timeline")[1].at("type"), "case_isolation");
  const nlohmann::json& days = doc.at("replicates")[0].at("days");
  ASSERT_EQ(days.size(), 6u);
  for (std::size_t day = 0; day < days.size(); ++day) {
    const auto expected = nlohmann::json::parse(day == 2 || day == 3 ? "[0,1]" : "[1]");
    EXPECT_EQ(days[day].at("interventions_active"), expected) << "day " << day;
  }

  const Outcome csv_run =
      run_cli({"run", "--scenario", file, "--set", "replicates=2", "--format", "csv"});
  ASSERT_EQ(csv_run.status, 0) << csv_run.err;
  const std::vector<std::string> lines = lines_of(csv_run.out);
  ASSERT_EQ(lines.size(), 1u + 2 * 6 + 3 * 6);
  for (std::size_t row = 1; row < lines.size(); ++row) {
    const std::size_t day = (row - 1) % 6;
    const std::string last = csv_cells(lines[row]).back();
    EXPECT_EQ(last, day == 2 || day == 3 ? "0;1" : "1") << lines[row];
  }
}

// ---- run: --output ----------------------------------------------------------------------

TEST_F(CliTest, OutputWritesTheFileAndNothingToStdout) {
  const std::vector<std::string> args = {"run",      "--set", "population=2000", "--set", "days=20",
                                         "--format", "csv"};
  const Outcome to_stdout = run_cli(args);
  ASSERT_EQ(to_stdout.status, 0) << to_stdout.err;
  std::vector<std::string> with_output = args;
  const fs::path file = dir_ / "results.csv";
  with_output.insert(with_output.end(), {"--output", file.string()});
  const Outcome r = run_cli(with_output);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(read_file(file), to_stdout.out);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1)
      << "no temporary file left behind";
}

TEST_F(CliTest, OutputInAMissingDirectoryFailsAndLeavesNoFile) {
  const fs::path file = dir_ / "missing" / "results.csv";
  const Outcome r =
      run_cli({"run", "--set", "population=2000", "--set", "days=5", "--output", file.string()});
  EXPECT_EQ(r.status, kFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(file.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "missing"));
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(CliTest, InterruptStopsTheRunWithNoOutputAndNoFile) {
  // Long enough (1000 replicates) that the signal lands mid-run.
  const fs::path file = dir_ / "results.csv";
  const Child child =
      spawn({"run", "--set", "population=20000", "--set", "days=60", "--set", "replicates=1000",
             "--output", file.string(), "--line-list", (dir_ / "cases.csv").string()});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!catches_signal(child.pid, SIGINT) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(catches_signal(child.pid, SIGINT)) << "the run never installed its handler";
  kill(child.pid, SIGINT);
  const Outcome r = finish(child);
  EXPECT_EQ(r.status, kFailure) << r.err;
  EXPECT_EQ(r.err, "error: interrupted\n");
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(fs::is_empty(dir_)) << "neither the file nor its temporary may remain";
}

TEST_F(CliTest, OutputToAFifoIsWrittenThroughItAndStaysAFifo) {
  const std::vector<std::string> args = {"run",      "--set", "population=2000", "--set", "days=20",
                                         "--format", "csv"};
  const Outcome to_stdout = run_cli(args);
  ASSERT_EQ(to_stdout.status, 0) << to_stdout.err;
  const fs::path fifo = dir_ / "results.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  FifoReader reader(fifo);
  std::vector<std::string> with_output = args;
  with_output.insert(with_output.end(), {"--output", fifo.string()});
  const Outcome r = run_cli(with_output);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(reader.finish(), to_stdout.out);
  EXPECT_TRUE(fs::is_fifo(fifo)) << "a FIFO is written, never replaced";
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1)
      << "no temporary file next to it";
}

TEST_F(CliTest, LineListToAFifoIsWrittenThroughItAndStaysAFifo) {
  const fs::path fifo = dir_ / "cases.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  FifoReader reader(fifo);
  const Outcome r = run_cli(
      {"run", "--set", "population=2000", "--set", "days=10", "--line-list", fifo.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines_of(reader.finish()).at(0), kLineListHeader);
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

// /proc/self/fd/1 rather than /dev/stdout: the old code put its temporary
// file next to the path, and /dev is no place for a test to write.
TEST_F(CliTest, OutputToAnOpenDescriptorIsWrittenThroughIt) {
  const std::vector<std::string> args = {"run",      "--set", "population=2000", "--set", "days=5",
                                         "--format", "csv"};
  const Outcome to_stdout = run_cli(args);
  ASSERT_EQ(to_stdout.status, 0) << to_stdout.err;
  std::vector<std::string> with_output = args;
  with_output.insert(with_output.end(), {"--output", "/proc/self/fd/1"});
  const Outcome to_pipe = run_cli(with_output);
  ASSERT_EQ(to_pipe.status, 0) << to_pipe.err;
  EXPECT_EQ(to_pipe.out, to_stdout.out);
  // A regular file behind the descriptor, opened by the shell's `>>`: kept
  // and appended to, not replaced.
  const std::string log = write("log.txt", "first\n");
  const Outcome appended = finish(spawn_after("exec >>\"$0\"", log, with_output));
  ASSERT_EQ(appended.status, 0) << appended.err;
  EXPECT_EQ(read_file(log), "first\n" + to_stdout.out);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

// A node of its own for /dev/full (char 1:7), so that no real device is at
// stake even if the command replaced its output path.
TEST_F(CliTest, OutputToADeviceIsWrittenDirectlyAndStaysADevice) {
  const fs::path full = dir_ / "full";
  if (mknod(full.c_str(), S_IFCHR | 0600, makedev(1, 7)) != 0) {
    GTEST_SKIP() << "cannot make a device node here: " << std::strerror(errno);
  }
  const int fd = open(full.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) GTEST_SKIP() << "cannot open a device node here: " << std::strerror(errno);
  close(fd);
  const Outcome r =
      run_cli({"run", "--set", "population=2000", "--set", "days=5", "--output", full.string()});
  EXPECT_EQ(r.status, kFailure) << r.err;
  EXPECT_NE(r.err.find(full.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_character_file(full));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(CliTest, OutputThroughASymlinkReplacesItsTargetAndKeepsTheLink) {
  const std::vector<std::string> args = {"run",      "--set", "population=2000", "--set", "days=20",
                                         "--format", "csv"};
  const Outcome to_stdout = run_cli(args);
  ASSERT_EQ(to_stdout.status, 0) << to_stdout.err;
  fs::create_directory(dir_ / "data");
  const fs::path target = write("data/results.csv", "old\n");
  const fs::path link = dir_ / "results.csv";
  fs::create_symlink(fs::path("data") / "results.csv", link);
  std::vector<std::string> with_output = args;
  with_output.insert(with_output.end(), {"--output", link.string()});
  const Outcome r = run_cli(with_output);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(fs::read_symlink(link), fs::path("data") / "results.csv");
  EXPECT_EQ(read_file(target), to_stdout.out);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "data"), fs::directory_iterator()), 1)
      << "no temporary file left next to the target";
}

// The temporary file once was "<output>.tmp-<pid>": a link planted there
// redirected the results onto any file. The shell holds the command until
// the link is in place, then execs it under the same pid.
TEST_F(CliTest, OutputIgnoresALinkPlantedWhereTheTemporaryFileWasOnceNamed) {
  const fs::path victim = write("victim.txt", "precious\n");
  const fs::path output = dir_ / "results.csv";
  const fs::path gate = dir_ / "gate";
  ASSERT_EQ(mkfifo(gate.c_str(), 0600), 0);
  const Child child = spawn_after("read -r _ < \"$0\"", gate.string(),
                                  {"run", "--set", "population=2000", "--set", "days=5", "--format",
                                   "csv", "--output", output.string()});
  const fs::path planted = output.string() + ".tmp-" + std::to_string(child.pid);
  fs::create_symlink(victim, planted);
  std::ofstream(gate) << "go\n";
  const Outcome r = finish(child);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_file(victim), "precious\n");
  EXPECT_TRUE(fs::is_symlink(planted));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(output)));
  EXPECT_EQ(lines_of(read_file(output)).at(0), kCsvHeader);
}

TEST_F(CliTest, OutputToADirectoryIsAnError) {
  const fs::path folder = dir_ / "results";
  fs::create_directory(folder);
  for (const fs::path& path : {folder, folder / ""}) {
    const Outcome r =
        run_cli({"run", "--set", "population=2000", "--set", "days=5", "--output", path.string()});
    EXPECT_EQ(r.status, kFailure) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(path.string()), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Is a directory"), std::string::npos) << r.err;
  }
  EXPECT_TRUE(fs::is_directory(folder));
  EXPECT_TRUE(fs::is_empty(folder));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

// ---- run: --line-list ----------------------------------------------------------------

TEST_F(CliTest, LineListHasTheHeaderAndWellFormedRows) {
  const fs::path file = dir_ / "cases.csv";
  const Outcome r = run_cli({"run", "--set", "population=3000", "--set", "days=30", "--set",
                             "replicates=2", "--format", "csv", "--line-list", file.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::vector<std::string> lines = lines_of(read_file(file));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], kLineListHeader);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> cells = csv_cells(lines[i]);
    ASSERT_EQ(cells.size(), 15u) << lines[i];
    EXPECT_TRUE(cells[0] == "1" || cells[0] == "2") << "replicates are numbered from 1";
    EXPECT_TRUE(cells[11] == "recovered" || cells[11] == "dead" || cells[11] == "active")
        << lines[i];
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1)
      << "no temporary file left behind";
}

// Needs the engine to report infections (EnsembleOptions::on_infections);
// skipped while it does not.
TEST_F(CliTest, LineListHasOneRowPerInfection) {
  const fs::path file = dir_ / "cases.csv";
  const Outcome r =
      run_cli({"run", "--set", "population=3000", "--set", "days=30", "--set", "replicates=2",
               "--set", "seed=4", "--format", "csv", "--line-list", file.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::vector<std::string> results = lines_of(r.out);
  ASSERT_EQ(results.size(), 1u + 2 * 31 + 3 * 31);
  const double infected = csv_numbers(results[31])[kTotalInfected] +  // replicate 1, day 30
                          csv_numbers(results[62])[kTotalInfected];   // replicate 2, day 30
  const std::vector<std::string> lines = lines_of(read_file(file));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], kLineListHeader);
  if (lines.size() == 1) GTEST_SKIP() << "the engine does not report infections yet";
  EXPECT_EQ(static_cast<double>(lines.size() - 1), infected);
}

TEST_F(CliTest, LineListWithOutputWritesBothAndNothingToStdout) {
  const fs::path results = dir_ / "results.json";
  const fs::path cases = dir_ / "cases.csv";
  const Outcome r = run_cli({"run", "--set", "population=2000", "--set", "days=10", "--format",
                             "json", "--output", results.string(), "--line-list", cases.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(nlohmann::json::parse(read_file(results)).is_object());
  EXPECT_EQ(lines_of(read_file(cases)).at(0), kLineListHeader);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);
}

TEST_F(CliTest, LineListInAMissingDirectoryFailsAndLeavesNoFile) {
  const fs::path file = dir_ / "missing" / "cases.csv";
  const fs::path results = dir_ / "results.csv";
  const Outcome r = run_cli({"run", "--set", "population=2000", "--set", "days=5", "--output",
                             results.string(), "--line-list", file.string()});
  EXPECT_EQ(r.status, kFailure);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(file.string()), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(dir_)) << "neither file nor a temporary one";
}

TEST_F(CliTest, LineListAndOutputMustDiffer) {
  const fs::path file = dir_ / "out.csv";
  expect_bad_input({"run", "--set", "population=2000", "--output", file.string(), "--line-list",
                    (dir_ / "." / "out.csv").string()},
                   {"--line-list and --output must name different files"});
  EXPECT_TRUE(fs::is_empty(dir_));
}

// ---- run: bad input, always exit 2 with the field named ----------------------------

TEST_F(CliTest, MalformedJsonNamesTheFileLineAndColumn) {
  const std::string file = write("bad.json", "{\"population\": 1000,\n  \"days\": 10,,\n}");
  const Outcome r = run_cli({"run", "--scenario", file});
  EXPECT_EQ(r.status, kBadInput);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("line 2, column [0-9]+"))) << r.err;
}

TEST_F(CliTest, WrongTypeNamesTheField) {
  const std::string file = write("s.json", R"({"population": "ten"})");
  expect_bad_input({"run", "--scenario", file}, {"population", "\"ten\""});
}

TEST_F(CliTest, OutOfRangeNamesTheField) {
  expect_bad_input({"run", "--set", "population=0"}, {"population: must be between 1"});
}

TEST_F(CliTest, UnknownKeySuggestsTheNearest) {
  const std::string file = write("s.json", R"({"populaton": 2000})");
  expect_bad_input({"run", "--scenario", file}, {"populaton", "\"population\""});
  expect_bad_input({"run", "--set", "populaton=2000"}, {"populaton", "\"population\""});
}

TEST_F(CliTest, InitialInfectedAbovePopulationNamesInitialInfected) {
  expect_bad_input({"run", "--set", "population=100", "--set", "initial_infected=200"},
                   {"initial_infected: must not exceed the population (100 agents), got 200"});
}

TEST_F(CliTest, SetWithoutEqualsSignIsRefused) {
  expect_bad_input({"run", "--set", "population"}, {"population", "key=value"});
}

TEST_F(CliTest, SetReadsArraysAndNull) {
  const Outcome r =
      run_cli({"run", "--set", "population=2000", "--set", "days=5", "--set",
               "age_shares=0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.2", "--set", "household_size=2",
               "--set", "household_size=null", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json scenario = nlohmann::json::parse(r.out).at("scenario");
  EXPECT_EQ(scenario.at("age_shares")[8], 0.2);
  EXPECT_TRUE(scenario.at("household_size").is_null());
}

TEST_F(CliTest, SetArrayEntriesAreNamedByIndex) {
  expect_bad_input({"run", "--set", "age_shares=0.1,x,0.1,0.1,0.1,0.1,0.1,0.1,0.2"},
                   {"age_shares[1]: must be a number, got \"x\""});
  expect_bad_input({"run", "--set", "age_shares=0.5,0.5"},
                   {"age_shares: must have 9 entries (0-9, 10-19, 20-29, 30-39, 40-49, 50-59, "
                    "60-69, 70-79, 80+), got 2"});
}

TEST_F(CliTest, NaNIsRefusedNamingTheField) {
  expect_bad_input({"run", "--set", "latent_days=nan", "--set", "recovery_sd_days=NaN"},
                   {"latent_days: must be a finite number", "recovery_sd_days:"});
}

TEST_F(CliTest, PresetAppliesBeforeTheFileAndSet) {
  const std::string file = write("s.json", R"({"population": 2000, "days": 5})");
  const Outcome r = run_cli({"run", "--preset", "original", "--scenario", file, "--set",
                             "office_size=10", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json scenario = nlohmann::json::parse(r.out).at("scenario");
  EXPECT_EQ(scenario.at("household_size"), 3);
  EXPECT_EQ(scenario.at("mortality_rate"), 0.01);
  EXPECT_EQ(scenario.at("population"), 2000);
  EXPECT_EQ(scenario.at("office_size"), 10);
}

TEST_F(CliTest, UnknownPresetListsTheValidOnes) {
  expect_bad_input({"run", "--preset", "newest"},
                   {"preset: unknown preset \"newest\"; valid presets: original"});
  const std::string file = write("s.json", R"({"days": 5})");
  expect_bad_input({"validate", file, "--preset", "newest"}, {"preset: unknown preset"});
  expect_bad_input({"submit", file, "--preset", "newest", "--database",
                    "sqlite://" + (dir_ / "jobs.db").string()},
                   {"preset: unknown preset"});
  EXPECT_FALSE(fs::exists(dir_ / "jobs.db")) << "refused before the database is opened";
}

TEST_F(CliTest, UnknownFormatNamesTheOption) {
  expect_bad_input({"run", "--format", "xml"}, {"--format", "\"xml\""});
}

TEST_F(CliTest, ThreadsMustBePositive) {
  expect_bad_input({"run", "--threads", "0"}, {"--threads", "got 0"});
  expect_bad_input({"run", "--threads=-3"}, {"--threads", "got -3"});
  expect_bad_input({"bench", "--threads", "0"}, {"--threads", "got 0"});
}

TEST_F(CliTest, ThreadsAboveFourPerHardwareThreadAreRefused) {
  const std::string most = std::to_string(4 * std::max(1U, std::thread::hardware_concurrency()));
  const std::string over = std::to_string(std::stoi(most) + 1);
  const std::vector<std::string> expected = {"--threads", "between 1 and " + most, "got 65537"};
  expect_bad_input({"run", "--set", "population=2000", "--threads", "65537"}, expected);
  expect_bad_input({"run", "--set", "population=2000", "--threads", over},
                   {"--threads", "got " + over});
  // The memory limit and the missing database would stop either command
  // right after, had the thread count been accepted.
  expect_bad_input({"bench", "--quick", "--threads", "65537"}, expected,
                   {"OUTBREAK_MEMORY_LIMIT=1"});
  const std::string database = "sqlite://" + (dir_ / "missing" / "x.db").string();
  expect_bad_input({"worker", "--database", database, "--threads", "65537"}, expected);
  expect_bad_input({"worker", "--database", database, "--threads", "0"}, {"--threads", "got 0"});
  // serve reads its engine threads from the environment; refused before the
  // database is opened or the address bound.
  expect_bad_input({"serve", "--database", database, "--listen", "127.0.0.1:0"},
                   {"OUTBREAK_WORKER_THREADS", "got " + over}, {"OUTBREAK_WORKER_THREADS=" + over});
  EXPECT_FALSE(fs::exists(dir_ / "missing")) << "refused before the database is opened";
}

TEST_F(CliTest, ServeAndWorkerReportEveryBadSettingAtOnce) {
  // Bad values from different groups (logging, the server's table, mail,
  // memory, retention, engine threads, flags): all are named in one run,
  // and nothing starts.
  const std::string database = "sqlite://" + (dir_ / "missing" / "x.db").string();
  expect_bad_input(
      {"serve", "--database", database, "--listen", "127.0.0.1:0"},
      {"OUTBREAK_LOG_FORMAT:", "OUTBREAK_MAX_STREAMS", "OUTBREAK_MAIL_CONFIRM:",
       "OUTBREAK_MEMORY_LIMIT:", "OUTBREAK_RETENTION_DAYS:", "5 settings are not valid"},
      {"OUTBREAK_LOG_FORMAT=xml", "OUTBREAK_MAX_STREAMS=lots", "OUTBREAK_MAIL_CONFIRM=maybe",
       "OUTBREAK_MEMORY_LIMIT=8G", "OUTBREAK_RETENTION_DAYS=0"});
  // The engine-thread bound is checked on the server's settings once they
  // parse, alongside the other groups.
  expect_bad_input({"serve", "--database", database, "--listen", "127.0.0.1:0"},
                   {"OUTBREAK_WORKER_THREADS:", "OUTBREAK_LOG_FORMAT:", "2 settings are not valid"},
                   {"OUTBREAK_WORKER_THREADS=100000", "OUTBREAK_LOG_FORMAT=xml"});
  expect_bad_input({"worker", "--database", database, "--threads", "0"},
                   {"OUTBREAK_LOG_FORMAT:", "OUTBREAK_MAIL_MAX_ATTEMPTS:", "OUTBREAK_MEMORY_LIMIT:",
                    "OUTBREAK_RETENTION_DAYS:", "--threads:", "5 settings are not valid"},
                   {"OUTBREAK_LOG_FORMAT=xml", "OUTBREAK_MAIL_MAX_ATTEMPTS=0",
                    "OUTBREAK_MEMORY_LIMIT=lots", "OUTBREAK_RETENTION_DAYS=forever"});
  expect_bad_input({"worker", "--database", "nosuch://x"}, {"--database:"});
  EXPECT_FALSE(fs::exists(dir_ / "missing"));
}

TEST_F(CliTest, TooLittleMemoryIsRefusedNamingPopulation) {
  expect_bad_input({"run", "--set", "population=1000000"},
                   {"population: 1000000 agents need about", "OUTBREAK_MEMORY_LIMIT"},
                   {"OUTBREAK_MEMORY_LIMIT=1000000"});
}

TEST_F(CliTest, EnoughMemoryIsAccepted) {
  const Outcome r = run_cli({"run", "--set", "population=2000", "--set", "days=5"},
                            {"OUTBREAK_MEMORY_LIMIT=1000000000000"});
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST_F(CliTest, InvalidMemoryLimitNamesTheVariable) {
  expect_bad_input({"run", "--set", "population=2000"}, {"OUTBREAK_MEMORY_LIMIT", "\"8G\""},
                   {"OUTBREAK_MEMORY_LIMIT=8G"});
}

TEST_F(CliTest, MissingScenarioFileNamesThePathAndTheReason) {
  const std::string file = (dir_ / "absent.json").string();
  expect_bad_input({"run", "--scenario", file}, {file, "No such file or directory"});
}

TEST_F(CliTest, ScenarioFileOverOneMebibyteIsRefused) {
  const std::string big = write("big.json", "{}" + std::string((1 << 20) - 1, ' '));
  const std::vector<std::string> expected = {big, "1 MiB", "1048576 bytes",
                                             "scenario files are small JSON"};
  expect_bad_input({"validate", big}, expected);
  expect_bad_input({"run", "--scenario", big}, expected);
  const std::string fits = write("fits.json", "{}" + std::string((1 << 20) - 2, ' '));
  const Outcome r = run_cli({"validate", fits});
  EXPECT_EQ(r.status, 0) << r.err;
}

// /dev/zero never ends; only reading it is safe.
TEST_F(CliTest, ScenarioFromAnEndlessFileIsRefused) {
  const std::string database = "sqlite://" + (dir_ / "x.db").string();
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"validate", "/dev/zero"},
                                             {"run", "--scenario", "/dev/zero"},
                                             {"submit", "/dev/zero", "--database", database}}) {
    const Outcome r = run_cli_in_2_gib(args);
    EXPECT_EQ(r.status, kBadInput) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("\"/dev/zero\" is larger than the limit of 1 MiB"), std::string::npos)
        << r.err;
  }
}

TEST_F(CliTest, UnknownOptionIsBadInput) {
  expect_bad_input({"run", "--bogus"}, {"--bogus"});
  expect_bad_input({"run", "--threads"}, {"--threads"});
}

// ---- validate ---------------------------------------------------------------------------

TEST_F(CliTest, ValidatePrintsEveryKeyWithDefaultsFilledIn) {
  const std::string file = write("s.json", R"({"population": 5000, "contact_tracing": true})");
  const Outcome r = run_cli({"validate", file});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const nlohmann::ordered_json doc = nlohmann::ordered_json::parse(r.out);
  ASSERT_TRUE(doc.is_object());
  std::vector<std::string> keys;
  for (const auto& [key, value] : doc.items()) keys.push_back(key);
  std::vector<std::string> expected;
  for (const outbreak::engine::Parameter& p : outbreak::engine::parameters()) {
    expected.emplace_back(p.name);
  }
  expected.emplace_back("interventions");
  EXPECT_EQ(keys, expected) << "every key, in the table's order, then the timeline";
  EXPECT_EQ(doc.at("population"), 5000);
  EXPECT_EQ(doc.at("contact_tracing"), true);
  EXPECT_EQ(doc.at("days"), 180);
  EXPECT_TRUE(doc.at("household_size").is_null()) << "unset optional keys are null";
  EXPECT_EQ(doc.at("age_shares").size(), 9u);
  EXPECT_EQ(doc.at("household_size_shares").size(), 6u);
  EXPECT_EQ(doc.at("symptomatic_isolation"), false);
}

TEST_F(CliTest, ValidateReportsEveryProblemOfTheNewKeysAtOnce) {
  const std::string file = write("s.json", R"({
    "age_shares": [0.2, 0.2, 0.2, 0.2, 0.2, 0.1, 0, 0, 0],
    "hospital_days": -2,
    "critical_sd_days": -1,
    "latent_days": 4,
    "incubation_days": 4,
    "presymptomatic_sd_days": 1,
    "symptomatic_by_age": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    "hospital_by_age": [0, 0, 0, 0, 1.5, 0, 0, 0, 0],
    "school_min_age": 12,
    "school_max_age": 10
  })");
  expect_bad_input({"validate", file},
                   {"age_shares: must sum to 1",
                    "hospital_days:", "critical_sd_days:", "presymptomatic_sd_days:",
                    "symptomatic_by_age: must have 9 entries (0-9, 10-19, 20-29, 30-39, 40-49, "
                    "50-59, 60-69, 70-79, 80+), got 8",
                    "hospital_by_age[4]:", "school_max_age:"});
}

TEST_F(CliTest, ValidateFollowsTheApisJsonPolicy) {
  // Keys given twice at any depth, a NUL byte and bytes after the value are
  // refused, as POST /api/v1/simulations refuses them.
  const std::string nested =
      write("nested.json", R"({"days": 10, "age_shares": [{"a": 1, "a": 2}]})");
  expect_bad_input({"validate", nested}, {"age_shares[0].a: duplicate key"});
  const std::string top = write("top.json", R"({"days": 10, "days": 20})");
  expect_bad_input({"validate", top}, {"days: duplicate key"});
  const std::string nul =
      write("nul.json", std::string(R"({"days": 10})") + '\0' + R"({"days": 20})");
  expect_bad_input({"validate", nul}, {"NUL byte at byte 12"});
  const std::string trailing = write("trailing.json", R"({"days": 10} {"days": 20})");
  expect_bad_input({"validate", trailing}, {"malformed JSON at line 1, column 14"});
  expect_bad_input({"run", "--scenario", nul}, {"NUL byte"});
}

TEST_F(CliTest, ValidateAcceptsSharesThatSumToOneUpToRounding) {
  // 0.1 eight times plus 0.2 is 1 only up to rounding.
  const std::string good =
      write("good.json", R"({"age_shares": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2]})");
  const Outcome r = run_cli({"validate", good});
  EXPECT_EQ(r.status, 0) << r.err;
  const std::string bad =
      write("bad.json", R"({"age_shares": [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.200001]})");
  expect_bad_input({"validate", bad}, {"age_shares: must sum to 1"});
}

TEST_F(CliTest, ValidateNamesBadArrayEntriesByIndex) {
  const std::string file = write(
      "s.json",
      R"({"age_shares": [0.1, 0.1, 0.1, "x", 0.1, 0.1, 0.1, 0.1, 0.2], "fatality_by_age": 1})");
  expect_bad_input({"validate", file}, {"age_shares[3]: must be a number, got the string \"x\"",
                                        "fatality_by_age: must be an array of 9 numbers"});
}

TEST_F(CliTest, ValidateReadsFilesOfTheFirstVersion) {
  const std::string file = write(
      "old.json",
      R"({"population":100000,"household_size":3,"office_size":20,"employment_rate":0.6,)"
      R"("initial_infected":10,"days":180,"seed":1,"replicates":1,"latent_days":3,)"
      R"("incubation_days":5,"sick_days":13,"asymptomatic_fraction":0.3,)"
      R"("asymptomatic_infectiousness":0.75,"mortality_rate":0.01,"home_infection_risk":0.02,)"
      R"("work_infection_risk":0.01,"community_contacts":10,"community_infection_risk":0.01,)"
      R"("symptomatic_isolation":false,"contact_tracing":false,"tracing_coverage":0.5,)"
      R"("tracing_delay_days":2,"isolation_days":14})");
  const Outcome r = run_cli({"validate", file});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("household_size"), 3);
  EXPECT_EQ(doc.at("mortality_rate"), 0.01);
  EXPECT_EQ(doc.at("asymptomatic_fraction"), 0.3);
  EXPECT_EQ(doc.at("latent_days"), 3.0);
}

TEST_F(CliTest, ValidateWithAPreset) {
  const std::string file = write("s.json", R"({"population": 5000})");
  const Outcome r = run_cli({"validate", "--preset", "original", file});
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("household_size"), 3);
  EXPECT_EQ(doc.at("population"), 5000);
}

TEST_F(CliTest, SubmitWithAPresetStoresTheResolvedScenario) {
  const std::string file = write("s.json", R"({"population": 3000, "days": 5})");
  const std::string database = "sqlite://" + (dir_ / "jobs.db").string();
  const Outcome submitted =
      run_cli({"submit", file, "--preset", "original", "--database", database});
  ASSERT_EQ(submitted.status, 0) << submitted.err;
  const std::string id = lines_of(submitted.out).at(0);
  const Outcome shown = run_cli({"jobs", "show", id, "--database", database});
  ASSERT_EQ(shown.status, 0) << shown.err;
  nlohmann::json scenario;
  for (const std::string& line : lines_of(shown.out)) {
    if (line.starts_with("scenario: ")) scenario = nlohmann::json::parse(line.substr(10));
  }
  ASSERT_TRUE(scenario.is_object()) << shown.out;
  EXPECT_EQ(scenario.at("household_size"), 3);
  EXPECT_EQ(scenario.at("population"), 3000);
}

TEST_F(CliTest, ValidateRefusesABadFile) {
  const std::string file = write("s.json", R"({"population": 0})");
  expect_bad_input({"validate", file}, {"population"});
  expect_bad_input({"validate"}, {"file"});
}

// ---- The command itself --------------------------------------------------------------

TEST_F(CliTest, NoSubcommandPrintsHelpAndIsBadInput) {
  const Outcome r = run_cli({});
  EXPECT_EQ(r.status, kBadInput);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("run"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("validate"), std::string::npos) << r.err;
}

TEST_F(CliTest, HelpSucceeds) {
  const Outcome r = run_cli({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("bench"), std::string::npos) << r.out;
  const Outcome run_help = run_cli({"run", "--help"});
  EXPECT_EQ(run_help.status, 0);
  EXPECT_NE(run_help.out.find("--scenario"), std::string::npos) << run_help.out;
  EXPECT_NE(run_help.out.find("--line-list"), std::string::npos) << run_help.out;
  for (const char* command : {"run", "validate", "submit"}) {
    const Outcome help = run_cli({command, "--help"});
    EXPECT_EQ(help.status, 0);
    EXPECT_NE(help.out.find("--preset"), std::string::npos) << command << ": " << help.out;
    EXPECT_NE(help.out.find("original"), std::string::npos) << command << ": " << help.out;
  }
}

TEST_F(CliTest, VersionPrintsTheVersion) {
  const Outcome r = run_cli({"--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "outbreak 0.1.0\n");
}

}  // namespace
