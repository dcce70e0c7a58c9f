#include "outbreak/jobs/log.hpp"

#include <chrono>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace outbreak::jobs {
namespace {

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

// Text values are quoted (as JSON strings) when a reader could not tell
// where they end otherwise.
std::string text_value(const std::string& value) {
  const bool plain = !value.empty() && value.find_first_of(" \"=\t\n\\") == std::string::npos;
  return plain ? value : nlohmann::json(value).dump();
}

}  // namespace

Result<LogFormat> parse_log_format(std::string_view name) {
  if (name.empty() || name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return Error::invalid(fmt::format("unknown log format '{}'; use text or json", name));
}

void Logger::write(std::string_view level, std::string_view event, const LogFields& fields) {
  std::string line;
  if (format_ == LogFormat::kJson) {
    nlohmann::ordered_json json;
    json["time"] = utc_now();
    json["level"] = level;
    json["event"] = event;
    for (const auto& [key, value] : fields) json[key] = value;
    line = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = fmt::format("{} {} {}", utc_now(), level, event);
    for (const auto& [key, value] : fields) line += fmt::format(" {}={}", key, text_value(value));
  }
  line += '\n';
  const std::lock_guard lock(mu_);
  // A write that failed once (a full disk, a file-size limit) sets the
  // stream's failure bits; clear them so that later lines are written again.
  out_.clear();
  out_ << line << std::flush;
}

}  // namespace outbreak::jobs
