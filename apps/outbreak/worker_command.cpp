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
#include "files.hpp"
#include "interrupt.hpp"
#include "memory.hpp"
#include "outbreak/jobs/log.hpp"
#include "outbreak/jobs/retention.hpp"
#include "outbreak/jobs/worker.hpp"
#include "outbreak/mail/sender.hpp"
#include "settings.hpp"

namespace outbreak::cli {
namespace {

// The text of /proc/meminfo, empty where there is none (not Linux): the
// memory check is then skipped, not failed.
std::string meminfo() {
  const Result<std::string> text = read_text_file("/proc/meminfo", 1 << 20);
  return text ? *text : std::string();
}

}  // namespace

int worker_command(const WorkerCommandOptions& options) {
  auto settings = worker_settings(options, serve::process_environment(), meminfo());
  if (!settings) return report(settings.error(), kExitBadInput);
  const jobs::WorkerOptions* worker = &settings->worker;
  const mail::MailSettings* mail_settings = &settings->mail;
  const jobs::LogFormat* format = &settings->log_format;
  const std::optional<std::int64_t>& retention_days = settings->retention_days;
  const std::string& url = settings->database_url;
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
  if (retention_days) {
    retention = std::jthread([&](std::stop_token retention_stop) {
      const Status pruned =
          jobs::run_retention(url, *retention_days, std::chrono::hours(1), log, retention_stop);
      if (!pruned) log.error("retention_stopped", {{"error", pruned.error().message}});
    });
  }
  std::jthread mailer([&](std::stop_token mail_stop) {
    const Status sent = mail::run_sender(url, *mail_settings, log, mail_counters, mail_stop);
    if (!sent) log.error("mail_sender_stopped", {{"error", sent.error().message}});
  });
  auto done = std::async(std::launch::async, [&] {
    return jobs::run_workers(url, settings->concurrency, *worker, log, stop.get_token());
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
