#include "worker_command.hpp"

#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <stop_token>
#include <thread>

#include <fmt/format.h>

#include "database.hpp"
#include "exit_status.hpp"
#include "interrupt.hpp"
#include "memory.hpp"
#include "outbreak/jobs/log.hpp"
#include "outbreak/jobs/retention.hpp"
#include "outbreak/jobs/worker.hpp"
#include "outbreak/mail/sender.hpp"
#include "threads.hpp"

namespace outbreak::cli {
namespace {

Result<store::Duration> to_duration(const char* flag, double seconds, double minimum) {
  if (!(seconds >= minimum) || seconds > 86'400) {
    return Error::invalid(
        fmt::format("{} must be between {} and 86400, got {}", flag, minimum, seconds));
  }
  return store::Duration(static_cast<std::int64_t>(seconds * 1000));
}

Result<jobs::WorkerOptions> plan(const WorkerCommandOptions& options) {
  if (options.concurrency < 1) {
    return Error::invalid(
        fmt::format("--concurrency must be at least 1, got {}", options.concurrency));
  }
  if (Status threads = check_threads("--threads", options.threads); !threads) {
    return threads.error();
  }
  auto lease = to_duration("--lease-seconds", options.lease_seconds, 0.3);
  if (!lease) return lease.error();
  auto poll = to_duration("--poll-seconds", options.poll_seconds, 0.01);
  if (!poll) return poll.error();
  // A bad OUTBREAK_MEMORY_LIMIT is refused at the start, not per job.
  if (auto limit = memory_limit(); !limit) return limit.error();
  jobs::WorkerOptions worker;
  worker.threads = options.threads;
  worker.lease = *lease;
  worker.poll = *poll;
  worker.drain = options.drain;
  worker.admit = admit_by_memory;
  return worker;
}

}  // namespace

int worker_command(const WorkerCommandOptions& options) {
  const char* format_env = std::getenv("OUTBREAK_LOG_FORMAT");
  const auto format = jobs::parse_log_format(format_env ? format_env : "");
  if (!format) return report(Error::invalid("OUTBREAK_LOG_FORMAT: " + format.error().message));
  auto worker = plan(options);
  if (!worker) return report(worker.error(), kExitBadInput);
  const auto mail_settings =
      mail::mail_settings_from_environment([](const char* name) { return std::getenv(name); });
  if (!mail_settings) return report(mail_settings.error(), kExitBadInput);
  const auto retention_days = jobs::parse_retention_days(std::getenv(jobs::kRetentionDaysVariable),
                                                         jobs::kRetentionDaysVariable);
  if (!retention_days) return report(retention_days.error(), kExitBadInput);
  const std::string url = database_url(options.database);
  // Fail fast, before any thread starts, on a bad URL or server.
  if (auto store = open_database(url, /*migrate=*/true); !store) return report(store.error());

  jobs::Logger log(std::cout, *format);
  const InterruptGuard interrupt;
  std::stop_source stop;
  // The outbox's mails are sent by every worker process (and by serve): a
  // mail is leased to one sender at a time, so several never send it twice.
  mail::MailCounters mail_counters;
  // With OUTBREAK_RETENTION_DAYS, finished jobs older than that go, hourly.
  std::jthread retention;
  if (*retention_days) {
    retention = std::jthread([&](std::stop_token retention_stop) {
      const Status pruned =
          jobs::run_retention(url, **retention_days, std::chrono::hours(1), log, retention_stop);
      if (!pruned) log.error("retention_stopped", {{"error", pruned.error().message}});
    });
  }
  std::jthread mailer([&](std::stop_token mail_stop) {
    const Status sent = mail::run_sender(url, *mail_settings, log, mail_counters, mail_stop);
    if (!sent) log.error("mail_sender_stopped", {{"error", sent.error().message}});
  });
  auto done = std::async(std::launch::async, [&] {
    return jobs::run_workers(url, options.concurrency, *worker, log, stop.get_token());
  });
  // The signal handler can only set a flag; this turns it into a stop request.
  while (done.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (interrupt.interrupted() && !stop.stop_requested()) {
      log.info("shutdown_requested", {{"drain", options.drain ? "true" : "false"}});
      stop.request_stop();
    }
  }
  const Status status = done.get();
  mailer.request_stop();
  mailer.join();
  if (!status) return report(status.error());
  return kExitSuccess;
}

}  // namespace outbreak::cli
