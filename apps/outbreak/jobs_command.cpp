#include "jobs_command.hpp"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include <fmt/format.h>

#include "database.hpp"
#include "exit_status.hpp"
#include "outbreak/jobs/retention.hpp"

namespace outbreak::cli {
namespace {

using store::SimulationRecord;

std::string format_time(const std::optional<store::TimePoint>& time) {
  if (!time) return "-";
  const std::time_t seconds = std::chrono::system_clock::to_time_t(*time);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string progress(const SimulationRecord& job) {
  if (!job.progress_day) return "-";
  return fmt::format("r{}/{} d{}/{}", *job.progress_replicate + 1, job.replicates,
                     *job.progress_day, job.days);
}

int list(store::Store& store, const JobsOptions& options) {
  std::optional<store::JobStatus> status;
  if (!options.status.empty()) {
    status = store::job_status_from_string(options.status);
    if (!status) {
      return report(Error::invalid(fmt::format(
          "--status: unknown status '{}'; use queued, running, succeeded, failed or cancelled",
          options.status)));
    }
  }
  auto jobs = store.list(status, options.limit);
  if (!jobs) return report(jobs.error());
  std::cout << fmt::format("{:<36}  {:<9}  {:<20}  {:>8}  {}\n", "id", "status", "created",
                           "attempts", "name");
  for (const auto& job : *jobs) {
    std::cout << fmt::format("{:<36}  {:<9}  {:<20}  {:>8}  {}\n", job.id, to_string(job.status),
                             format_time(job.created_at), job.attempts, job.name);
  }
  std::cout << std::flush;
  return kExitSuccess;
}

int show(store::Store& store, const std::string& id) {
  auto job = store.get(id);
  if (!job) return report(job.error());
  const auto optional = [](const std::optional<std::string>& s) { return s ? *s : "-"; };
  std::cout << fmt::format(
      "id: {}\nname: {}\nstatus: {}\nprogress: {}\nattempts: {} of {}\ncreated_at: {}\n"
      "started_at: {}\nfinished_at: {}\nworker: {}\nlease_expires_at: {}\ncancel_requested: "
      "{}\nemail: {}\nerror: {}\nscenario: {}\n",
      job->id, job->name, to_string(job->status), progress(*job), job->attempts, job->max_attempts,
      format_time(job->created_at), format_time(job->started_at), format_time(job->finished_at),
      optional(job->worker_id), format_time(job->lease_expires_at), job->cancel_requested,
      optional(job->email), optional(job->error), job->scenario_json);
  std::cout << std::flush;
  return kExitSuccess;
}

// The days to keep: --older-than, else OUTBREAK_RETENTION_DAYS.
Result<std::int64_t> prune_days(const JobsOptions& options) {
  if (!options.older_than_days.empty()) {
    auto days = jobs::parse_retention_days(options.older_than_days.c_str(), "--older-than");
    if (!days) return days.error();
    return **days;
  }
  auto days = jobs::parse_retention_days(std::getenv(jobs::kRetentionDaysVariable),
                                         jobs::kRetentionDaysVariable);
  if (!days) return days.error();
  if (!*days) {
    return Error::invalid(
        fmt::format("jobs prune needs --older-than DAYS or {}", jobs::kRetentionDaysVariable));
  }
  return **days;
}

int prune(store::Store& store, const JobsOptions& options) {
  auto days = prune_days(options);
  if (!days) return report(days.error(), kExitBadInput);
  auto pruned = jobs::prune_finished(store, *days, std::chrono::system_clock::now());
  if (!pruned) return report(pruned.error());
  std::cout << fmt::format("deleted {} finished job(s) older than {} day(s)\n", *pruned, *days);
  return kExitSuccess;
}

}  // namespace

int jobs_command(const JobsOptions& options) {
  auto store = open_database(database_url(options.database), /*migrate=*/false);
  if (!store) return report(store.error());
  if (options.action == "list") return list(**store, options);
  if (options.action == "show") return show(**store, options.id);
  if (options.action == "cancel") {
    auto status = (*store)->cancel(options.id, std::chrono::system_clock::now());
    if (!status) return report(status.error());
    std::cout << options.id << ' '
              << (*status == store::JobStatus::kRunning ? "cancel requested" : "cancelled") << '\n'
              << std::flush;
    return kExitSuccess;
  }
  if (options.action == "retry") {
    if (Status retried = (*store)->retry(options.id); !retried) return report(retried.error());
    std::cout << options.id << " queued\n" << std::flush;
    return kExitSuccess;
  }
  if (options.action == "prune") return prune(**store, options);
  return report(Error::invalid("unknown jobs action " + options.action));
}

}  // namespace outbreak::cli
