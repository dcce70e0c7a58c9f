#include "run_command.hpp"

#include <unistd.h>

#include <iostream>
#include <optional>
#include <stop_token>

#include <fmt/format.h>

#include "exit_status.hpp"
#include "files.hpp"
#include "interrupt.hpp"
#include "memory.hpp"
#include "outbreak/engine/ensemble.hpp"
#include "outbreak/io/results_format.hpp"
#include "progress_bar.hpp"
#include "scenario_input.hpp"

namespace outbreak::cli {
namespace {

// Everything a run needs, checked before anything is built or written.
struct Plan {
  engine::Scenario scenario;
  io::Format format = io::Format::kTable;
};

Result<Plan> plan_run(const RunOptions& options) {
  if (options.threads < 1) {
    return Error::invalid(fmt::format("--threads must be at least 1, got {}", options.threads));
  }
  const Result<io::Format> format = io::parse_format(options.format);
  if (!format) return Error::invalid("--format: " + format.error().message);
  Result<engine::Scenario> scenario = load_scenario(options.scenario_path, options.assignments);
  if (!scenario) return scenario.error();
  // Before building anything: an impossible population would otherwise end
  // in the OOM killer minutes later, or in swapping.
  const Result<std::optional<MemoryLimit>> limit = memory_limit();
  if (!limit) return limit.error();
  if (Status fits = check_memory(*scenario, *limit); !fits) return fits.error();
  return Plan{std::move(*scenario), *format};
}

// Runs the ensemble with the progress bar and the interrupt handling around it.
Result<engine::EnsembleResult> simulate(const engine::Scenario& scenario, int threads) {
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
  Result<engine::EnsembleResult> result = engine::run_ensemble(scenario, options);
  if (bar) bar->clear();
  // Also after the last day: the user asked to stop, so print nothing.
  if (interrupt.interrupted()) return Error::make(ErrorCode::kCancelled, "interrupted");
  return result;
}

int write_stdout(const Plan& plan, const engine::EnsembleResult& result) {
  io::write_results(std::cout, plan.format, plan.scenario, result);
  std::cout.flush();
  if (!std::cout) {
    return report(Error::make(ErrorCode::kIo, "cannot write to standard output"), kExitFailure);
  }
  return kExitSuccess;
}

int write_file(AtomicFile& file, const Plan& plan, const engine::EnsembleResult& result) {
  io::write_results(file.stream(), plan.format, plan.scenario, result);
  if (Status committed = file.commit(); !committed) return report(committed.error(), kExitFailure);
  return kExitSuccess;
}

}  // namespace

int run_command(const RunOptions& options) {
  const Result<Plan> plan = plan_run(options);
  if (!plan) return report(plan.error(), kExitBadInput);
  // Opened before the run, so that an unwritable path fails in a second, not
  // after an hour of simulation.
  std::optional<AtomicFile> file;
  if (!options.output_path.empty()) {
    Result<AtomicFile> created = AtomicFile::create(options.output_path);
    if (!created) return report(created.error(), kExitFailure);
    file.emplace(std::move(created).value());
  }
  const Result<engine::EnsembleResult> result = simulate(plan->scenario, options.threads);
  if (!result) return report(result.error());
  return file ? write_file(*file, *plan, *result) : write_stdout(*plan, *result);
}

}  // namespace outbreak::cli
