// The `outbreak` command line: parses arguments and hands them to one
// subcommand. No work happens here.
#include <algorithm>
#include <csignal>
#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include <oneapi/tbb/info.h>
#include <CLI/CLI.hpp>

#include "bench_command.hpp"
#include "db_command.hpp"
#include "estimate_command.hpp"
#include "exit_status.hpp"
#include "jobs_command.hpp"
#include "mail_command.hpp"
#include "results_command.hpp"
#include "run_command.hpp"
#include "scenario_input.hpp"
#include "serve_command.hpp"
#include "submit_command.hpp"
#include "validate_command.hpp"
#include "worker_command.hpp"

namespace outbreak::cli {
namespace {

// All the threads this process may use (its CPU affinity, not the machine).
int all_threads() { return std::max(1, tbb::info::default_concurrency()); }

// --preset for every command that reads a scenario.
void add_preset(CLI::App& command, std::optional<std::string>& preset) {
  command.add_option("--preset", preset, preset_help())->type_name("NAME");
}

void add_run(CLI::App& app, RunOptions& options) {
  CLI::App* run = app.add_subcommand("run", "Simulate a scenario and print its results.");
  run->add_option("--scenario", options.scenario_path,
                  "Scenario JSON file; keys it leaves out keep their defaults (or the preset's)")
      ->type_name("FILE");
  add_preset(*run, options.preset);
  run->add_option("--set", options.assignments,
                  "Override one key, after the file; null unsets an optional key, an array is "
                  "comma-separated (age_shares=0.1,0.2,...)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  run->add_option("--format", options.format, "table, csv or json")
      ->type_name("FORMAT")
      ->capture_default_str();
  run->add_option("--output", options.output_path, "Write the results to FILE, not stdout")
      ->type_name("FILE");
  run->add_option("--line-list", options.line_list_path,
                  "Also write every infection of every replicate to FILE as CSV (slower)")
      ->type_name("FILE");
  run->add_option("--threads", options.threads, "Threads to use (default: all available)")
      ->type_name("N")
      ->capture_default_str();
}

void add_validate(CLI::App& app, std::string& path, std::optional<std::string>& preset) {
  CLI::App* validate = app.add_subcommand(
      "validate", "Check a scenario file and print it with every default filled in.");
  validate->add_option("file", path, "Scenario JSON file")->type_name("FILE")->required();
  add_preset(*validate, preset);
}

void add_estimate(CLI::App& app, EstimateOptions& options) {
  CLI::App* estimate = app.add_subcommand(
      "estimate", "Print R0 and the doubling time of a scenario, without simulating.");
  estimate
      ->add_option("--scenario", options.scenario_path,
                   "Scenario JSON file; keys it leaves out keep their defaults (or the preset's)")
      ->type_name("FILE");
  add_preset(*estimate, options.preset);
  estimate->add_option("--set", options.assignments, "Override one key, after the file")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
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

void add_database(CLI::App& command, std::string& database) {
  command
      .add_option("--database", database,
                  "Database URL (default: $OUTBREAK_DATABASE_URL, else sqlite://./outbreak.db)")
      ->type_name("URL");
}

void add_worker(CLI::App& app, WorkerCommandOptions& options) {
  CLI::App* worker = app.add_subcommand("worker", "Claim and run simulation jobs until stopped.");
  add_database(*worker, options.database);
  worker->add_option("--concurrency", options.concurrency, "Jobs to run at once")
      ->type_name("N")
      ->capture_default_str();
  worker->add_option("--threads", options.threads, "Engine threads per job")
      ->type_name("T")
      ->capture_default_str();
  worker->add_flag("--drain", options.drain,
                   "On SIGTERM/SIGINT finish running jobs instead of giving them back");
  worker
      ->add_option("--lease-seconds", options.lease_seconds,
                   "Lease length; renewed every third of it")
      ->type_name("S")
      ->capture_default_str();
  worker
      ->add_option("--poll-seconds", options.poll_seconds, "Longest wait between claims when idle")
      ->type_name("S")
      ->capture_default_str();
}

void add_submit(CLI::App& app, SubmitOptions& options) {
  CLI::App* submit =
      app.add_subcommand("submit", "Validate a scenario and queue it; prints the id.");
  submit->add_option("file", options.path, "Scenario JSON file")->type_name("FILE")->required();
  add_preset(*submit, options.preset);
  submit->add_option("--name", options.name, "Name shown in lists (default: the file name)");
  submit->add_option("--email", options.email, "Where to send the started and done mails");
  submit->add_option("--max-attempts", options.max_attempts, "Tries before the job fails")
      ->type_name("N")
      ->capture_default_str();
  add_database(*submit, options.database);
}

void add_jobs(CLI::App& app, JobsOptions& options) {
  CLI::App* jobs =
      app.add_subcommand("jobs", "List, show, cancel, retry or prune queued and finished jobs.");
  jobs->require_subcommand(1);
  add_database(*jobs, options.database);
  CLI::App* list = jobs->add_subcommand("list", "Jobs, newest first.");
  list->add_option("--status", options.status, "Only jobs with this status")->type_name("STATUS");
  list->add_option("--limit", options.limit, "At most this many")->capture_default_str();
  list->callback([&options] { options.action = "list"; });
  list->fallthrough();
  const auto with_id = [&](const char* name, const char* description) {
    CLI::App* command = jobs->add_subcommand(name, description);
    command->add_option("id", options.id, "Simulation id")->type_name("ID")->required();
    command->callback([&options, name] { options.action = name; });
    command->fallthrough();
  };
  with_id("show", "Every field of one job.");
  with_id("cancel", "Cancel a queued job, or stop a running one at its next day.");
  with_id("retry", "Queue a failed or cancelled job again.");
  CLI::App* prune = jobs->add_subcommand(
      "prune", "Delete finished jobs older than some days, with their results and mails.");
  prune
      ->add_option("--older-than", options.older_than_days,
                   "Days since the job finished (default: OUTBREAK_RETENTION_DAYS)")
      ->type_name("DAYS");
  prune->callback([&options] { options.action = "prune"; });
  prune->fallthrough();
}

void add_mail(CLI::App& app, MailOptions& options) {
  CLI::App* mail = app.add_subcommand("mail", "List the notification mails or retry a failed one.");
  mail->require_subcommand(1);
  add_database(*mail, options.database);
  CLI::App* list = mail->add_subcommand("list", "Mails, newest first.");
  list->add_option("--status", options.status,
                   "Only mails with this status: pending, sent, logged or failed")
      ->type_name("STATUS");
  list->add_option("--limit", options.limit, "At most this many")->capture_default_str();
  list->callback([&options] { options.action = "list"; });
  list->fallthrough();
  CLI::App* retry = mail->add_subcommand("retry", "Send a failed mail again.");
  retry->add_option("id", options.id, "Mail id (from `outbreak mail list`)")
      ->type_name("ID")
      ->required();
  retry->callback([&options] { options.action = "retry"; });
  retry->fallthrough();
}

void add_serve(CLI::App& app, ServeOptions& options) {
  CLI::App* serve =
      app.add_subcommand("serve", "Serve the HTTP API and web UI, with in-process workers.");
  serve
      ->add_option("--listen", options.listen,
                   "Address to listen on, host:port; port 0 picks a free one (default: "
                   "$OUTBREAK_LISTEN, else 127.0.0.1:8080)")
      ->type_name("HOST:PORT");
  add_database(*serve, options.database);
  serve
      ->add_option("--workers", options.workers,
                   "In-process workers, 0 for the API only (default: $OUTBREAK_WORKERS, else 1)")
      ->type_name("N");
}

void add_results(CLI::App& app, ResultsOptions& options) {
  CLI::App* results = app.add_subcommand("results", "Print the stored results of a job.");
  results->add_option("id", options.id, "Simulation id")->type_name("ID")->required();
  results->add_option("--format", options.format, "csv, json or table")->capture_default_str();
  add_database(*results, options.database);
}

void add_db(CLI::App& app, std::string& database) {
  CLI::App* db = app.add_subcommand("db", "Database administration.");
  db->require_subcommand(1);
  CLI::App* migrate = db->add_subcommand("migrate", "Create or upgrade the tables.");
  add_database(*migrate, database);
}

int parse_and_run(int argc, char** argv) {
  CLI::App app("Agent-based epidemic simulator.", "outbreak");
  app.set_version_flag("--version", "outbreak " OUTBREAK_VERSION);
  app.require_subcommand(0, 1);
  app.footer("Exit status: 0 success, 1 the run failed, 2 bad input.");
  RunOptions run;
  run.threads = all_threads();
  std::string validate_path;
  std::optional<std::string> validate_preset;
  BenchOptions bench;
  bench.threads = all_threads();
  add_run(app, run);
  add_validate(app, validate_path, validate_preset);
  EstimateOptions estimate;
  add_estimate(app, estimate);
  add_bench(app, bench);
  WorkerCommandOptions worker;
  add_worker(app, worker);
  SubmitOptions submit;
  add_submit(app, submit);
  JobsOptions jobs;
  add_jobs(app, jobs);
  MailOptions mail;
  add_mail(app, mail);
  ResultsOptions results;
  add_results(app, results);
  ServeOptions serve;
  add_serve(app, serve);
  std::string db_database;
  add_db(app, db_database);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11's own codes are not ours: only --help and --version succeed.
    const bool success = app.exit(e) == static_cast<int>(CLI::ExitCodes::Success);
    return success ? kExitSuccess : kExitBadInput;
  }
  if (app.got_subcommand("run")) return run_command(run);
  if (app.got_subcommand("validate")) return validate_command(validate_path, validate_preset);
  if (app.got_subcommand("estimate")) return estimate_command(estimate);
  if (app.got_subcommand("bench")) return bench_command(bench);
  if (app.got_subcommand("worker")) return worker_command(worker);
  if (app.got_subcommand("submit")) return submit_command(submit);
  if (app.got_subcommand("jobs")) return jobs_command(jobs);
  if (app.got_subcommand("mail")) return mail_command(mail);
  if (app.got_subcommand("results")) return results_command(results);
  if (app.got_subcommand("serve")) return serve_command(serve);
  if (app.got_subcommand("db")) return db_migrate_command(db_database);
  std::cerr << app.help();
  return kExitBadInput;
}

}  // namespace
}  // namespace outbreak::cli

int main(int argc, char** argv) {
  // Past a file-size limit (RLIMIT_FSIZE) a write then fails with EFBIG, which
  // is reported like a full disk, instead of the signal ending the process.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return outbreak::cli::parse_and_run(argc, argv);
  } catch (const std::exception& e) {
    // A broken invariant somewhere below: say so instead of aborting.
    std::cerr << "error: internal: " << e.what() << '\n';
    return outbreak::cli::kExitFailure;
  }
}
