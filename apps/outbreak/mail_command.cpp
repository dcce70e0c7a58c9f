#include "mail_command.hpp"

#include <chrono>
#include <ctime>
#include <iostream>

#include <fmt/format.h>

#include "database.hpp"
#include "exit_status.hpp"

namespace outbreak::cli {
namespace {

std::string format_time(store::TimePoint time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// When the mail was sent or logged, or when a pending one is due next.
std::string when(const store::MailRecord& mail) {
  if (mail.sent_at) return format_time(*mail.sent_at);
  return format_time(mail.next_attempt_at);
}

int list(store::Store& store, const MailOptions& options) {
  std::optional<store::MailStatus> status;
  if (!options.status.empty()) {
    status = store::mail_status_from_string(options.status);
    if (!status) {
      return report(Error::invalid(fmt::format(
          "--status: unknown status '{}'; use pending, sent, logged or failed", options.status)));
    }
  }
  auto mails = store.list_mail(status, options.limit);
  if (!mails) return report(mails.error());
  std::cout << fmt::format("{:>6}  {:<7}  {:<9}  {:>8}  {:<20}  {:<20}  {:<36}  {}  {}\n", "id",
                           "status", "kind", "attempts", "created", "sent/due", "simulation",
                           "recipient", "last error");
  for (const auto& mail : *mails) {
    std::cout << fmt::format("{:>6}  {:<7}  {:<9}  {:>8}  {:<20}  {:<20}  {:<36}  {}  {}\n",
                             mail.id, to_string(mail.status), to_string(mail.kind), mail.attempts,
                             format_time(mail.created_at), when(mail), mail.simulation_id,
                             mail.recipient, mail.last_error.value_or("-"));
  }
  std::cout << std::flush;
  return kExitSuccess;
}

}  // namespace

int mail_command(const MailOptions& options) {
  auto store = open_database(database_url(options.database), /*migrate=*/false);
  if (!store) return report(store.error());
  if (options.action == "list") return list(**store, options);
  if (options.action == "retry") {
    if (Status retried = (*store)->retry_mail(options.id, std::chrono::system_clock::now());
        !retried) {
      return report(retried.error());
    }
    std::cout << "mail " << options.id << " pending\n" << std::flush;
    return kExitSuccess;
  }
  return report(Error::invalid("unknown mail action " + options.action));
}

}  // namespace outbreak::cli
