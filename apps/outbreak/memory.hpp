// How much memory a run may use, and how much the process used.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "outbreak/engine/scenario.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::cli {

// The variable that overrides the memory a run may use, in bytes.
inline constexpr const char* kMemoryLimitVariable = "OUTBREAK_MEMORY_LIMIT";

struct MemoryLimit {
  std::uint64_t bytes = 0;
  std::string source;  // where the number came from, for the message
};

// The limit from `variable_value` (the variable's value, null or empty when
// unset) if set, else MemAvailable from `meminfo` (the text of
// /proc/meminfo); nullopt if neither says. Errors: kInvalidInput naming the
// variable if its value is not a plain whole number of bytes.
Result<std::optional<MemoryLimit>> parse_memory_limit(const char* variable_value,
                                                      std::string_view meminfo);

// parse_memory_limit() for this process's environment and /proc/meminfo.
Result<std::optional<MemoryLimit>> memory_limit();

// Refuses a scenario whose estimated memory (engine::estimate_memory_bytes)
// exceeds `limit`, before anything is allocated. Errors: kResource, with a
// message that starts with the field to change, `population`.
Status check_memory(const engine::Scenario& scenario, const std::optional<MemoryLimit>& limit);

// For workers (WorkerOptions::admit): check_memory() of a claimed job's
// scenario against memory_limit() as it is when the job is claimed.
// Errors: those of both.
Status admit_by_memory(const engine::Scenario& scenario);

// "512 B", "3.5 KiB", "49.9 MiB", "52.0 GiB".
std::string format_bytes(std::uint64_t bytes);

// The process's peak resident set so far (getrusage ru_maxrss), in bytes.
std::uint64_t peak_rss_bytes();

}  // namespace outbreak::cli
