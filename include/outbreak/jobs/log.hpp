// Structured log lines for the worker: one line per event, as text for a
// terminal or as JSON lines for a log collector (OUTBREAK_LOG_FORMAT=json).
#pragma once

#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outbreak/util/result.hpp"

namespace outbreak::jobs {

enum class LogFormat { kText, kJson };

// "text" or "json" (an empty string is text); anything else is
// kInvalidInput naming the value.
Result<LogFormat> parse_log_format(std::string_view name);

using LogFields = std::vector<std::pair<std::string, std::string>>;

// Writes one line per call to `out` (which must outlive the Logger):
//   text: 2026-01-02T03:04:05.678Z info job_started id=… name="…"
//   json: {"time":"…","level":"info","event":"job_started","id":"…",…}
// Values are written as given; never pass a secret (use store::redact_url
// for URLs). Thread-safe: lines from several threads never interleave.
class Logger {
 public:
  Logger(std::ostream& out, LogFormat format) : out_(out), format_(format) {}

  void info(std::string_view event, const LogFields& fields) { write("info", event, fields); }
  void warn(std::string_view event, const LogFields& fields) { write("warn", event, fields); }
  void error(std::string_view event, const LogFields& fields) { write("error", event, fields); }

 private:
  void write(std::string_view level, std::string_view event, const LogFields& fields);

  std::mutex mu_;
  std::ostream& out_;
  LogFormat format_;
};

}  // namespace outbreak::jobs
