#include "outbreak/serve/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace outbreak::serve {
namespace {

using Seconds = std::chrono::duration<double>;

}  // namespace

std::chrono::milliseconds RateLimiter::take(std::string_view address, Clock::time_point now) {
  if (per_minute_ <= 0) return std::chrono::milliseconds{0};
  const double capacity = per_minute_;
  const double per_second = capacity / 60.0;
  const std::lock_guard lock(mu_);
  if (buckets_.size() >= sweep_at_) forget_full(now);
  auto [it, inserted] = buckets_.try_emplace(std::string(address), Bucket{capacity, now});
  Bucket& bucket = it->second;
  if (!inserted) {
    const double elapsed = std::max(0.0, Seconds(now - bucket.updated).count());
    bucket.tokens = std::min(capacity, bucket.tokens + elapsed * per_second);
    bucket.updated = now;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::chrono::milliseconds{0};
  }
  const double wait_seconds = (1.0 - bucket.tokens) / per_second;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(wait_seconds * 1000)));
}

std::size_t RateLimiter::tracked() const {
  const std::lock_guard lock(mu_);
  return buckets_.size();
}

// A bucket that has refilled is the same as no bucket, so forgetting it
// keeps the table as small as the set of recently active addresses.
void RateLimiter::forget_full(Clock::time_point now) {
  const double per_second = per_minute_ / 60.0;
  std::erase_if(buckets_, [&](const auto& entry) {
    const double elapsed = Seconds(now - entry.second.updated).count();
    return entry.second.tokens + elapsed * per_second >= per_minute_;
  });
  sweep_at_ = std::max<std::size_t>(1024, buckets_.size() * 2);
}

}  // namespace outbreak::serve
