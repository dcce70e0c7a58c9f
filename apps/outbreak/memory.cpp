#include "memory.hpp"

#include <sys/resource.h>

#include <array>
#include <charconv>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "files.hpp"
#include "outbreak/engine/simulation.hpp"

namespace outbreak::cli {
namespace {

// A plain, complete, unsigned decimal number: "8e9" or "8G" are refused
// rather than read as 8.
std::optional<std::uint64_t> parse_whole(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

// MemAvailable (the kernel's estimate of what can be allocated without
// swapping), converted from kB.
std::optional<std::uint64_t> mem_available_bytes(std::string_view meminfo) {
  constexpr std::string_view kKey = "MemAvailable:";
  std::size_t at = meminfo.find(kKey);
  while (at != std::string_view::npos && at != 0 && meminfo[at - 1] != '\n') {
    at = meminfo.find(kKey, at + 1);
  }
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = meminfo.substr(at + kKey.size());
  rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
  rest = rest.substr(0, rest.find(' '));
  const std::optional<std::uint64_t> kib = parse_whole(rest);
  if (!kib) return std::nullopt;
  return *kib * 1024;
}

}  // namespace

Result<std::optional<MemoryLimit>> parse_memory_limit(const char* variable_value,
                                                      std::string_view meminfo) {
  if (variable_value != nullptr && *variable_value != '\0') {
    const std::optional<std::uint64_t> bytes = parse_whole(variable_value);
    if (!bytes) {
      return Error::invalid(
          fmt::format("{} must be a whole number of bytes, e.g. 8000000000, got \"{}\"",
                      kMemoryLimitVariable, variable_value));
    }
    return std::optional<MemoryLimit>(MemoryLimit{*bytes, kMemoryLimitVariable});
  }
  if (const auto available = mem_available_bytes(meminfo)) {
    return std::optional<MemoryLimit>(MemoryLimit{*available, "MemAvailable"});
  }
  return std::optional<MemoryLimit>();
}

Result<std::optional<MemoryLimit>> memory_limit() {
  // Without /proc/meminfo (not Linux) the check is skipped, not failed: the
  // estimate is a safeguard, and a wrong refusal would block a valid run.
  // A few kilobytes; the limit only bounds a file that is not what it seems.
  const Result<std::string> meminfo = read_text_file("/proc/meminfo", 1 << 20);
  return parse_memory_limit(std::getenv(kMemoryLimitVariable), meminfo ? *meminfo : "");
}

Status check_memory(const engine::Scenario& scenario, const std::optional<MemoryLimit>& limit) {
  const std::uint64_t needed = engine::estimate_memory_bytes(scenario);
  if (!limit || needed <= limit->bytes) return Ok{};
  return Error::make(ErrorCode::kResource,
                     fmt::format("population: {} agents need about {}, but only {} of memory is "
                                 "available (set by {})",
                                 scenario.population, format_bytes(needed),
                                 format_bytes(limit->bytes), limit->source));
}

Status admit_by_memory(const engine::Scenario& scenario) {
  const Result<std::optional<MemoryLimit>> limit = memory_limit();
  if (!limit) return limit.error();
  return check_memory(scenario, *limit);
}

std::string format_bytes(std::uint64_t bytes) {
  constexpr std::array<const char*, 5> kUnits = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  auto value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < kUnits.size()) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::uint64_t peak_rss_bytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace outbreak::cli
