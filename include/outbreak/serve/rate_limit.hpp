// RateLimiter: a token bucket per client address, for submissions.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace outbreak::serve {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Each address may take `per_minute` tokens at once and gets them back at
  // per_minute per minute (a burst of per_minute, then a steady rate).
  // per_minute <= 0 means unlimited.
  explicit RateLimiter(int per_minute) : per_minute_(per_minute) {}

  // Takes a token for `address` at `now`: zero when allowed, else how long
  // until the next token (for Retry-After). Thread-safe.
  std::chrono::milliseconds take(std::string_view address, Clock::time_point now);

  // Addresses with a bucket that is not full; for tests.
  std::size_t tracked() const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  void forget_full(Clock::time_point now);

  int per_minute_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::size_t sweep_at_ = 1024;  // table size that triggers forget_full()
};

}  // namespace outbreak::serve
