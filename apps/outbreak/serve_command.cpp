#include "serve_command.hpp"

#include <chrono>
#include <cstdlib>
#include <future>
#include <iostream>
#include <stop_token>
#include <string>
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
#include "outbreak/serve/config.hpp"
#include "outbreak/serve/server.hpp"
#include "outbreak/store/url.hpp"
#include "settings.hpp"

namespace outbreak::cli {
namespace {

// The mail counters of this process as Prometheus text.
void write_mail_metrics(const mail::MailCounters& counters, std::string& out) {
  const auto counter = [&out](std::string_view name, std::string_view help, std::int64_t value) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, value);
  };
  counter("outbreak_mails_sent_total", "Mails accepted by the SMTP server (this process).",
          counters.sent.load());
  counter("outbreak_mails_logged_total",
          "Mails written to the log because no SMTP server is set (this process).",
          counters.logged.load());
  counter("outbreak_mails_retried_total",
          "Mail deliveries that failed for now and were scheduled again (this process).",
          counters.retried.load());
  counter("outbreak_mails_failed_total", "Mails given up (this process).", counters.failed.load());
  counter("outbreak_mails_suppressed_total",
          "Mails not sent: over the per-address limit, or to an address never confirmed (this "
          "process).",
          counters.suppressed.load());
  counter("outbreak_mails_held_total",
          "Times a mail was held until its address is confirmed (this process).",
          counters.held.load());
  counter("outbreak_mail_confirmations_requested_total",
          "Confirmation requests sent or logged (this process).",
          counters.confirmations_requested.load());
}

}  // namespace

int serve_command(const ServeOptions& options) {
  auto settings = serve_settings(options, serve::process_environment());
  if (!settings) return report(settings.error(), kExitBadInput);
  const serve::ServerConfig* config = &settings->server;
  const mail::MailSettings* mail_settings = &settings->mail;
  const jobs::LogFormat* format = &settings->log_format;
  const std::optional<std::int64_t>& retention_days = settings->retention_days;
  if (auto store = open_database(config->database_url, /*migrate=*/true); !store) {
    return report(store.error());
  }
  jobs::Logger log(std::cout, *format);
  auto server = serve::Server::create(*config, log);
  if (!server) return report(server.error());

  const InterruptGuard interrupt;
  std::cout << "listening on " << (*server)->url() << '\n' << std::flush;
  log.info("server_started", {{"url", (*server)->url()},
                              {"database", store::redact_url(config->database_url)},
                              {"workers", std::to_string(config->workers)}});
  std::stop_source stop;
  mail::MailCounters mail_counters;
  (*server)->metrics().add_source(
      [&mail_counters](std::string& out) { write_mail_metrics(mail_counters, out); });
  // With OUTBREAK_RETENTION_DAYS, finished jobs older than that go, hourly.
  std::jthread retention;
  if (retention_days) {
    retention = std::jthread([&](std::stop_token retention_stop) {
      const Status pruned = jobs::run_retention(config->database_url, *retention_days,
                                                std::chrono::hours(1), log, retention_stop);
      if (!pruned) log.error("retention_stopped", {{"error", pruned.error().message}});
    });
  }
  std::jthread mailer([&](std::stop_token mail_stop) {
    const Status sent =
        mail::run_sender(config->database_url, *mail_settings, log, mail_counters, mail_stop);
    if (!sent) log.error("mail_sender_stopped", {{"error", sent.error().message}});
  });
  std::future<Status> workers;
  if (config->workers > 0) {
    jobs::WorkerOptions worker;
    worker.threads = config->worker_threads;
    worker.admit = admit_by_memory;
    serve::Metrics& metrics = (*server)->metrics();
    worker.on_days_stored = [&metrics](std::int64_t agent_days) {
      metrics.add_agent_days(agent_days);
    };
    workers = std::async(std::launch::async, [&, worker] {
      return jobs::run_workers(config->database_url, config->workers, worker, log,
                               stop.get_token());
    });
  }
  auto serving = std::async(std::launch::async, [&] { return (*server)->run(); });
  // The signal handler only sets a flag; this loop turns it into stops.
  // stop() is repeated because one that comes before the server has started
  // listening would be missed.
  bool announced = false;
  while (serving.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (interrupt.interrupted()) {
      if (!announced) log.info("shutdown_requested", {});
      announced = true;
      (*server)->stop();
    }
  }
  stop.request_stop();
  const Status served = serving.get();
  const Status worked = workers.valid() ? workers.get() : Status(Ok{});
  mailer.request_stop();
  mailer.join();
  if (!served) return report(served.error());
  if (!worked) return report(worked.error());
  log.info("server_stopped", {});
  return kExitSuccess;
}

}  // namespace outbreak::cli
