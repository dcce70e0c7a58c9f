#include "outbreak/jobs/retention.hpp"

#include <charconv>
#include <condition_variable>
#include <mutex>
#include <string>

#include <fmt/format.h>

#include "outbreak/store/open.hpp"

namespace outbreak::jobs {
namespace {

// Jobs per transaction: a job may hold hundreds of thousands of rows.
constexpr int kBatch = 20;

}  // namespace

Result<std::optional<std::int64_t>> parse_retention_days(const char* value, std::string_view name) {
  if (value == nullptr || *value == '\0') return std::optional<std::int64_t>{};
  const std::string_view text(value);
  std::int64_t days = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), days);
  if (ec != std::errc{} || end != text.data() + text.size() || days < 1 ||
      days > kMaxRetentionDays) {
    return Error::invalid(fmt::format("{} must be a whole number of days from 1 to {}, got '{}'",
                                      name, kMaxRetentionDays, text));
  }
  return std::optional<std::int64_t>{days};
}

Result<std::int64_t> prune_finished(store::Store& store, std::int64_t days, store::TimePoint now) {
  const store::TimePoint cutoff = now - std::chrono::hours(24) * days;
  std::int64_t total = 0;
  for (;;) {
    auto deleted = store.delete_finished_before(cutoff, kBatch);
    if (!deleted) return deleted.error();
    total += *deleted;
    if (*deleted < kBatch) return total;
  }
}

Status run_retention(std::string_view database_url, std::int64_t days,
                     std::chrono::milliseconds interval, Logger& log, std::stop_token stop) {
  auto store = store::open_store(database_url);
  if (!store) return store.error();
  log.info("retention_started", {{"days", std::to_string(days)}});
  std::mutex mu;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    auto pruned = prune_finished(**store, days, std::chrono::system_clock::now());
    if (!pruned) {
      log.warn("store_error", {{"during", "prune"}, {"error", pruned.error().message}});
    } else if (*pruned > 0) {
      log.info("jobs_pruned", {{"count", std::to_string(*pruned)}, {"days", std::to_string(days)}});
    }
    std::unique_lock lock(mu);
    wake.wait_for(lock, stop, interval, [] { return false; });
  }
  return Ok{};
}

}  // namespace outbreak::jobs
