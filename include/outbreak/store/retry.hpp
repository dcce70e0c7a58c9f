// Retrying a store call that failed for a passing reason (a dropped
// connection, a restarting server, a disk that was full for a moment).
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "outbreak/store/store.hpp"
#include "outbreak/util/result.hpp"

namespace outbreak::store {

// Whether `error` may go away by itself when the same call is made again:
// kIo (the database unreachable, a connection dropped) and kResource (out of
// space). A lost lease, invalid input or a missing row never does.
bool is_transient(const Error& error);

struct RetryPolicy {
  std::chrono::steady_clock::time_point deadline;  // no try starts after it
  Duration first_delay{50};                        // doubled after each failed try
  Duration max_delay{2'000};
};

// Calls `attempt` (which returns a Result or Status) until it succeeds, fails
// with an error that is not transient, the next try would start after
// policy.deadline, or `stop` fires; returns the last result. Before each wait
// calls `on_retry(const Error&, Duration delay)` (for a log line). Waits on a
// condition variable, so `stop` ends a wait at once. Thread-safe if
// `attempt` and `on_retry` are.
template <typename Attempt, typename OnRetry>
auto retry_transient(Attempt&& attempt, const RetryPolicy& policy, std::stop_token stop,
                     OnRetry&& on_retry) -> decltype(attempt()) {
  Duration delay = policy.first_delay;
  for (;;) {
    auto result = attempt();
    if (result || !is_transient(result.error()) || stop.stop_requested()) return result;
    if (std::chrono::steady_clock::now() + delay > policy.deadline) return result;
    on_retry(result.error(), delay);
    std::mutex mu;
    std::condition_variable_any wake;
    std::unique_lock lock(mu);
    if (wake.wait_for(lock, stop, delay, [] { return false; }); stop.stop_requested()) {
      return result;
    }
    delay = std::min(delay * 2, policy.max_delay);
  }
}

}  // namespace outbreak::store
