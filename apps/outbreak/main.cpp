// The `outbreak` command line: parses arguments and hands them to one
// subcommand. No work happens here.
#include <algorithm>
#include <exception>
#include <iostream>
#include <string>

#include <oneapi/tbb/info.h>
#include <CLI/CLI.hpp>

#include "bench_command.hpp"
#include "exit_status.hpp"
#include "run_command.hpp"
#include "validate_command.hpp"

namespace outbreak::cli {
namespace {

// All the threads this process may use (its CPU affinity, not the machine).
int all_threads() { return std::max(1, tbb::info::default_concurrency()); }

void add_run(CLI::App& app, RunOptions& options) {
  CLI::App* run = app.add_subcommand("run", "Simulate a scenario and print its results.");
  run->add_option("--scenario", options.scenario_path,
                  "Scenario JSON file; keys it leaves out keep their defaults")
      ->type_name("FILE");
  run->add_option("--set", options.assignments, "Override one key, after the file")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  run->add_option("--format", options.format, "table, csv or json")
      ->type_name("FORMAT")
      ->capture_default_str();
  run->add_option("--output", options.output_path, "Write the results to FILE, not stdout")
      ->type_name("FILE");
  run->add_option("--threads", options.threads, "Threads to use (default: all available)")
      ->type_name("N")
      ->capture_default_str();
}

void add_validate(CLI::App& app, std::string& path) {
  CLI::App* validate = app.add_subcommand(
      "validate", "Check a scenario file and print it with every default filled in.");
  validate->add_option("file", path, "Scenario JSON file")->type_name("FILE")->required();
}

void add_bench(CLI::App& app, BenchOptions& options) {
  CLI::App* bench = app.add_subcommand("bench", "Measure speed and memory on this machine.");
  bench->add_option("--threads", options.threads, "Threads to use (default: all available)")
      ->type_name("N")
      ->capture_default_str();
  bench->add_flag("--quick", options.quick, "Leave out the 10-million-agent scenario");
  bench->add_flag("--large", options.large,
                  "Add 30 and 100 million agents, for the cost-per-agent-day curve");
}

int parse_and_run(int argc, char** argv) {
  CLI::App app("Agent-based epidemic simulator.", "outbreak");
  app.set_version_flag("--version", "outbreak " OUTBREAK_VERSION);
  app.require_subcommand(0, 1);
  app.footer("Exit status: 0 success, 1 the run failed, 2 bad input.");
  RunOptions run;
  run.threads = all_threads();
  std::string validate_path;
  BenchOptions bench;
  bench.threads = all_threads();
  add_run(app, run);
  add_validate(app, validate_path);
  add_bench(app, bench);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11's own codes are not ours: only --help and --version succeed.
    const bool success = app.exit(e) == static_cast<int>(CLI::ExitCodes::Success);
    return success ? kExitSuccess : kExitBadInput;
  }
  if (app.got_subcommand("run")) return run_command(run);
  if (app.got_subcommand("validate")) return validate_command(validate_path);
  if (app.got_subcommand("bench")) return bench_command(bench);
  std::cerr << app.help();
  return kExitBadInput;
}

}  // namespace
}  // namespace outbreak::cli

int main(int argc, char** argv) {
  try {
    return outbreak::cli::parse_and_run(argc, argv);
  } catch (const std::exception& e) {
    // A broken invariant somewhere below: say so instead of aborting.
    std::cerr << "error: internal: " << e.what() << '\n';
    return outbreak::cli::kExitFailure;
  }
}
