#include "run_command.hpp"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <span>
#include <stop_token>
#include <system_error>

#include <fmt/format.h>

#include "exit_status.hpp"
#include "files.hpp"
#include "interrupt.hpp"
#include "memory.hpp"
#include "outbreak/engine/ensemble.hpp"
#include "outbreak/io/line_list_csv.hpp"
#include "outbreak/io/results_format.hpp"
#include "progress_bar.hpp"
#include "scenario_input.hpp"
#include "threads.hpp"

namespace outbreak::cli {
namespace {

// Everything a run needs, checked before anything is built or written.
struct Plan {
  engine::Scenario scenario;
  io::Format format = io::Format::kTable;
};

// The files a run writes; a regular file appears only once complete.
struct Outputs {
  std::optional<OutputFile> results;    // --output; none: stdout
  std::optional<OutputFile> line_list;  // --line-list
};

// Whether two paths name the same file, existing or not: both would share
// one temporary file, and one would overwrite the other.
bool same_file(const std::string& a, const std::string& b) {
  std::error_code ignored;  // a path that cannot be resolved is compared as written
  const std::filesystem::path resolved_a = std::filesystem::weakly_canonical(a, ignored);
  const std::filesystem::path resolved_b = std::filesystem::weakly_canonical(b, ignored);
  return resolved_a.empty() || resolved_b.empty() ? a == b : resolved_a == resolved_b;
}

Status check_paths(const RunOptions& options) {
  if (options.line_list_path.empty() || options.output_path.empty()) return Ok{};
  if (!same_file(options.line_list_path, options.output_path)) return Ok{};
  return Error::invalid(fmt::format("--line-list and --output must name different files, got {}",
                                    options.line_list_path));
}

Result<Plan> plan_run(const RunOptions& options) {
  if (Status threads = check_threads("--threads", options.threads); !threads) {
    return threads.error();
  }
  const Result<io::Format> format = io::parse_format(options.format);
  if (!format) return Error::invalid("--format: " + format.error().message);
  if (Status paths = check_paths(options); !paths) return paths.error();
  Result<engine::Scenario> scenario =
      load_scenario(options.scenario_path, options.assignments, options.preset);
  if (!scenario) return scenario.error();
  // Before building anything: an impossible population would otherwise end
  // in the OOM killer minutes later, or in swapping.
  const Result<std::optional<MemoryLimit>> limit = memory_limit();
  if (!limit) return limit.error();
  if (Status fits = check_memory(*scenario, *limit); !fits) return fits.error();
  return Plan{std::move(*scenario), *format};
}

// Opened before the run, so that an unwritable path fails in a second, not
// after an hour of simulation.
Result<Outputs> open_outputs(const RunOptions& options) {
  Outputs outputs;
  if (!options.output_path.empty()) {
    Result<OutputFile> created = OutputFile::open(options.output_path);
    if (!created) return created.error();
    outputs.results.emplace(std::move(created).value());
  }
  if (!options.line_list_path.empty()) {
    Result<OutputFile> created = OutputFile::open(options.line_list_path);
    if (!created) return created.error();
    outputs.line_list.emplace(std::move(created).value());
    io::write_line_list_header(outputs.line_list->stream());
  }
  return outputs;
}

// Runs the ensemble with the progress bar and the interrupt handling around
// it, streaming each day's infections to `line_list` if there is one.
Result<engine::EnsembleResult> simulate(const engine::Scenario& scenario, int threads,
                                        std::ostream* line_list) {
  const InterruptGuard interrupt;
  std::stop_source stop;
  std::optional<ProgressBar> bar;
  if (::isatty(STDERR_FILENO) == 1) bar.emplace(std::cerr);
  engine::EnsembleOptions options;
  options.threads = threads;
  options.stop = stop.get_token();
  // Called after every day on this thread: the place where the signal flag
  // becomes a stop request, which the engine checks before the next day.
  options.on_progress = [&](const engine::Progress& progress) {
    if (interrupt.interrupted()) stop.request_stop();
    if (bar) bar->update(progress, ProgressBar::Clock::now());
  };
  // Each replicate's rows are written when it is over: what interventions do
  // to a case comes days after its infection.
  io::LineListBuffer buffer;
  std::int64_t buffered = 0;
  const auto flush = [&] {
    buffer.write(*line_list, buffered + 1, scenario.days);
    // A full disk will not get better: stop instead of simulating on.
    if (!*line_list) stop.request_stop();
  };
  if (line_list != nullptr) {
    options.on_infections = [&](std::int64_t replicate,
                                std::span<const engine::Infection> infections) {
      if (replicate != buffered) {
        flush();
        buffered = replicate;
      }
      buffer.add(infections);
    };
    options.on_case_events = [&](std::int64_t, std::span<const engine::CaseEvent> events) {
      buffer.add(events);
    };
  }
  Result<engine::EnsembleResult> result = engine::run_ensemble(scenario, options);
  if (line_list != nullptr && result) flush();
  if (bar) bar->clear();
  // Also after the last day: the user asked to stop, so print nothing.
  if (interrupt.interrupted()) return Error::make(ErrorCode::kCancelled, "interrupted");
  return result;
}

Status write_stdout(const Plan& plan, const engine::EnsembleResult& result) {
  io::write_results(std::cout, plan.format, plan.scenario, result);
  std::cout.flush();
  if (!std::cout) return Error::make(ErrorCode::kIo, "cannot write to standard output");
  return Ok{};
}

// Writes the results, then lets the files appear: the line list before the
// results file, whose presence says that the run is complete.
Status write_outputs(Outputs& outputs, const Plan& plan, const engine::EnsembleResult& result) {
  if (outputs.results) {
    io::write_results(outputs.results->stream(), plan.format, plan.scenario, result);
  } else if (Status written = write_stdout(plan, result); !written) {
    return written;
  }
  if (outputs.line_list) {
    if (Status committed = outputs.line_list->commit(); !committed) return committed;
  }
  if (outputs.results) return outputs.results->commit();
  return Ok{};
}

// One line on stderr per replicate that stopped changing before its last
// day: its later rows repeat that day's totals (docs/model.md#early-stop).
void report_early_ends(const engine::Scenario& scenario, const engine::EnsembleResult& result) {
  for (std::size_t r = 0; r < result.ended_on_day.size(); ++r) {
    const std::optional<std::int64_t> day = result.ended_on_day[r];
    if (!day || *day >= scenario.days) continue;
    const std::string rest = *day + 1 == scenario.days
                                 ? fmt::format("day {} repeats", scenario.days)
                                 : fmt::format("days {}-{} repeat", *day + 1, scenario.days);
    std::cerr << fmt::format("replicate {}: no infection left after day {}; {} its totals\n", r + 1,
                             *day, rest);
  }
}

}  // namespace

int run_command(const RunOptions& options) {
  const Result<Plan> plan = plan_run(options);
  if (!plan) return report(plan.error(), kExitBadInput);
  Result<Outputs> outputs = open_outputs(options);
  if (!outputs) return report(outputs.error(), kExitFailure);
  std::optional<OutputFile>& line_list = outputs->line_list;
  const Result<engine::EnsembleResult> result =
      simulate(plan->scenario, options.threads, line_list ? &line_list->stream() : nullptr);
  // A failed line-list write stopped the run; commit() names the file and why.
  if (line_list && !line_list->stream()) return report(line_list->commit().error(), kExitFailure);
  if (!result) return report(result.error());
  report_early_ends(plan->scenario, *result);
  if (Status written = write_outputs(*outputs, *plan, *result); !written) {
    return report(written.error(), kExitFailure);
  }
  return kExitSuccess;
}

}  // namespace outbreak::cli
