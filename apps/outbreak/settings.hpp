// The one settings step of the long-running commands: every OUTBREAK_*
// variable they read and every flag they take, parsed into one typed object
// before anything starts, with every bad value reported at once (so that a
// person fixes them all in one go, not one per run).
//
// The groups keep their own parsers (serve::config_from_environment,
// mail::mail_settings_from_environment, jobs::parse_log_format,
// parse_memory_limit, the flag checks); this layer runs all of them and
// collects their errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "memory.hpp"
#include "outbreak/jobs/log.hpp"
#include "outbreak/jobs/worker.hpp"
#include "outbreak/mail/sender.hpp"
#include "outbreak/serve/config.hpp"
#include "outbreak/util/result.hpp"
#include "serve_command.hpp"
#include "worker_command.hpp"

namespace outbreak::cli {

// Looks up one environment variable; nullptr when unset.
using Lookup = serve::Environment;

// Everything `outbreak serve` is told.
struct ServeSettings {
  serve::ServerConfig server;  // the database URL included
  mail::MailSettings mail;
  jobs::LogFormat log_format = jobs::LogFormat::kText;
  std::optional<std::int64_t> retention_days;  // OUTBREAK_RETENTION_DAYS; nullopt: off
};

// Everything `outbreak worker` is told.
struct WorkerSettings {
  std::string database_url;
  int concurrency = 1;
  jobs::WorkerOptions worker;
  mail::MailSettings mail;
  jobs::LogFormat log_format = jobs::LogFormat::kText;
  std::optional<MemoryLimit> memory_limit;     // OUTBREAK_MEMORY_LIMIT, else MemAvailable
  std::optional<std::int64_t> retention_days;  // OUTBREAK_RETENTION_DAYS; nullopt: off
};

// Reads `environment` (OUTBREAK_LOG_FORMAT, the server's variables of
// docs/api.md, OUTBREAK_MEMORY_LIMIT, OUTBREAK_RETENTION_DAYS, the mail
// variables of docs/mail.md) and the flags. Errors:
// kInvalidInput whose fields name every bad variable or flag with what is
// allowed; a database URL that does not parse is named by its flag or
// variable. Nothing is opened or started.
Result<ServeSettings> serve_settings(const ServeOptions& options, const Lookup& environment);

// The same for `outbreak worker`: OUTBREAK_LOG_FORMAT, OUTBREAK_DATABASE_URL,
// OUTBREAK_MEMORY_LIMIT (`meminfo` is the text of /proc/meminfo, empty if
// unknown), OUTBREAK_RETENTION_DAYS, the mail variables and the flags. Jobs
// are admitted by admit_by_memory (the limit as it is when each is claimed).
Result<WorkerSettings> worker_settings(const WorkerCommandOptions& options,
                                       const Lookup& environment, std::string_view meminfo);

}  // namespace outbreak::cli
