#include "settings.hpp"

#include <utility>
#include <vector>

#include <fmt/format.h>

#include "outbreak/jobs/retention.hpp"
#include "outbreak/store/open.hpp"
#include "outbreak/store/url.hpp"
#include "threads.hpp"

namespace outbreak::cli {
namespace {

// Collects the errors of every group.
class Problems {
 public:
  // A group's error: its fields as they are, or its message under `name`.
  void add(std::string_view name, const Error& error) {
    if (error.fields.empty()) return add(name, error.message);
    fields_.insert(fields_.end(), error.fields.begin(), error.fields.end());
  }
  // Some checks name their variable or flag themselves ("--threads must
  // be ..."); the field already names it.
  void add(std::string_view name, std::string message) {
    if (message.starts_with(name) && message.size() > name.size() && message[name.size()] == ' ') {
      message.erase(0, name.size() + 1);
    }
    fields_.push_back({std::string(name), std::move(message)});
  }
  bool empty() const { return fields_.empty(); }
  Error error() && {
    const std::size_t count = fields_.size();
    return Error::invalid(fmt::format("{} setting{} {} not valid", count, count == 1 ? "" : "s",
                                      count == 1 ? "is" : "are"),
                          std::move(fields_));
  }

 private:
  std::vector<FieldError> fields_;
};

const char* value_of(const Lookup& environment, const char* name) {
  const char* value = environment(name);
  return value == nullptr || *value == '\0' ? nullptr : value;
}

jobs::LogFormat log_format(const Lookup& environment, Problems& problems) {
  const char* text = value_of(environment, "OUTBREAK_LOG_FORMAT");
  auto format = jobs::parse_log_format(text == nullptr ? "" : text);
  if (!format) {
    problems.add("OUTBREAK_LOG_FORMAT", format.error().message);
    return jobs::LogFormat::kText;
  }
  return *format;
}

mail::MailSettings mail_settings(const Lookup& environment, Problems& problems) {
  auto settings = mail::mail_settings_from_environment(environment);
  if (!settings) {
    problems.add("mail", settings.error());
    return {};
  }
  return std::move(settings).value();
}

// The URL from the flag, else the variable, else the default; a URL that
// does not parse is named by where it came from.
std::string database_url(const std::string& flag, const Lookup& environment, Problems& problems) {
  std::string url(store::kDefaultDatabaseUrl);
  const char* name = "OUTBREAK_DATABASE_URL";
  if (!flag.empty()) {
    url = flag;
    name = "--database";
  } else if (const char* value = value_of(environment, name)) {
    url = value;
  }
  if (auto parsed = store::parse_database_url(url); !parsed)
    problems.add(name, parsed.error().message);
  return url;
}

std::optional<std::int64_t> retention_days(const Lookup& environment, Problems& problems) {
  auto days = jobs::parse_retention_days(value_of(environment, jobs::kRetentionDaysVariable),
                                         jobs::kRetentionDaysVariable);
  if (!days) {
    problems.add(jobs::kRetentionDaysVariable, days.error());
    return std::nullopt;
  }
  return *days;
}

// A bad OUTBREAK_MEMORY_LIMIT is refused at the start, not per job; the
// limit itself is read again when each job is claimed (admit_by_memory).
std::optional<MemoryLimit> memory_limit(const Lookup& environment, std::string_view meminfo,
                                        Problems& problems) {
  auto limit = parse_memory_limit(value_of(environment, kMemoryLimitVariable), meminfo);
  if (!limit) {
    problems.add(kMemoryLimitVariable, limit.error());
    return std::nullopt;
  }
  return *limit;
}

Result<store::Duration> to_duration(double seconds, double minimum) {
  if (!(seconds >= minimum) || seconds > 86'400) {
    return Error::invalid(fmt::format("must be between {} and 86400, got {}", minimum, seconds));
  }
  return store::Duration(static_cast<std::int64_t>(seconds * 1000));
}

}  // namespace

Result<ServeSettings> serve_settings(const ServeOptions& options, const Lookup& environment) {
  Problems problems;
  ServeSettings settings;
  settings.log_format = log_format(environment, problems);
  if (auto config = serve::config_from_environment(environment); config) {
    settings.server = std::move(config).value();
  } else {
    problems.add("server", config.error());
  }
  if (!options.listen.empty()) {
    if (Status set = serve::set_listen_address(options.listen, settings.server); !set) {
      problems.add("--listen", set.error().message);
    }
  }
  settings.server.database_url = database_url(options.database, environment, problems);
  if (options.workers >= 0) settings.server.workers = options.workers;
  if (Status checked = serve::check(settings.server); !checked)
    problems.add("server", checked.error());
  // The same bound as `run --threads` and `worker --threads`: the engine
  // (and the line lists the server makes) would crash on tens of thousands.
  if (Status threads = check_threads("OUTBREAK_WORKER_THREADS", settings.server.worker_threads);
      !threads) {
    problems.add("OUTBREAK_WORKER_THREADS", threads.error());
  }
  memory_limit(environment, "", problems);
  settings.retention_days = retention_days(environment, problems);
  settings.mail = mail_settings(environment, problems);
  if (!problems.empty()) return std::move(problems).error();
  return settings;
}

Result<WorkerSettings> worker_settings(const WorkerCommandOptions& options,
                                       const Lookup& environment, std::string_view meminfo) {
  Problems problems;
  WorkerSettings settings;
  settings.log_format = log_format(environment, problems);
  settings.database_url = database_url(options.database, environment, problems);
  if (options.concurrency < 1) {
    problems.add("--concurrency", fmt::format("must be at least 1, got {}", options.concurrency));
  }
  settings.concurrency = options.concurrency;
  if (Status threads = check_threads("--threads", options.threads); !threads) {
    problems.add("--threads", threads.error());
  }
  settings.worker.threads = options.threads;
  if (auto lease = to_duration(options.lease_seconds, 0.3); lease) {
    settings.worker.lease = *lease;
  } else {
    problems.add("--lease-seconds", lease.error());
  }
  if (auto poll = to_duration(options.poll_seconds, 0.01); poll) {
    settings.worker.poll = *poll;
  } else {
    problems.add("--poll-seconds", poll.error());
  }
  settings.worker.drain = options.drain;
  settings.memory_limit = memory_limit(environment, meminfo, problems);
  settings.worker.admit = admit_by_memory;
  settings.retention_days = retention_days(environment, problems);
  settings.mail = mail_settings(environment, problems);
  if (!problems.empty()) return std::move(problems).error();
  return settings;
}

}  // namespace outbreak::cli
