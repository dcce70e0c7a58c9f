#include "results_command.hpp"

#include <iostream>

#include <fmt/format.h>

#include "database.hpp"
#include "exit_status.hpp"
#include "outbreak/io/results_format.hpp"
#include "outbreak/io/scenario_json.hpp"

namespace outbreak::cli {

int results_command(const ResultsOptions& options) {
  const Result<io::Format> format = io::parse_format(options.format);
  if (!format) return report(Error::invalid("--format: " + format.error().message));
  auto store = open_database(database_url(options.database), /*migrate=*/false);
  if (!store) return report(store.error());
  auto job = (*store)->get(options.id);
  if (!job) return report(job.error());
  const bool ended_early =
      job->status == store::JobStatus::kCancelled || job->status == store::JobStatus::kFailed;
  if (job->status != store::JobStatus::kSucceeded && !ended_early) {
    return report(Error::invalid(
        fmt::format("simulation {} is {}; results are complete once it has succeeded", job->id,
                    to_string(job->status))));
  }
  // A job that stopped early: the days it stored, and the summary over its
  // complete runs (those with key figures), marked partial.
  io::SummaryCoverage coverage;
  if (ended_early) {
    auto figures = (*store)->figures(job->id);
    if (!figures) return report(figures.error());
    coverage.replicates = figures->size();
    coverage.partial = static_cast<std::int64_t>(figures->size()) < job->replicates;
  }
  engine::Scenario scenario;
  if (Status read = io::read_scenario_json(job->scenario_json, scenario); !read) {
    return report(read.error());
  }
  auto rows = (*store)->results(job->id, std::nullopt);
  if (!rows) return report(rows.error());
  engine::EnsembleResult result;
  result.replicates.resize(static_cast<std::size_t>(job->replicates));
  for (const auto& row : *rows) {
    result.replicates.at(static_cast<std::size_t>(row.replicate)).push_back(row.totals);
  }
  if (job->replicates > 1) {
    auto summary = (*store)->summary(job->id);
    if (!summary) return report(summary.error());
    result.summary = std::move(summary).value();
  }
  io::write_results(std::cout, *format, scenario, result, coverage);
  std::cout.flush();
  if (!std::cout) return report(Error::make(ErrorCode::kIo, "cannot write to standard output"));
  return kExitSuccess;
}

}  // namespace outbreak::cli
