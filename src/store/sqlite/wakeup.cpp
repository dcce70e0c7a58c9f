#include "store/sqlite/wakeup.hpp"

#include <map>

namespace outbreak::store::sqlite {

void WakeupHub::notify() {
  {
    const std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

std::uint64_t WakeupHub::generation() {
  const std::lock_guard lock(mu_);
  return generation_;
}

std::uint64_t WakeupHub::wait(std::uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return generation_ != seen; });
  return generation_;
}

std::shared_ptr<WakeupHub> hub_for(const std::string& canonical_path) {
  struct Registry {
    std::mutex mu;
    std::map<std::string, std::weak_ptr<WakeupHub>> hubs;
  };
  static Registry registry;  // see wakeup.hpp for why this one is process-wide
  const std::lock_guard lock(registry.mu);
  for (auto it = registry.hubs.begin(); it != registry.hubs.end();) {
    it = it->second.expired() ? registry.hubs.erase(it) : std::next(it);
  }
  auto& slot = registry.hubs[canonical_path];
  auto hub = slot.lock();
  if (!hub) {
    hub = std::make_shared<WakeupHub>();
    slot = hub;
  }
  return hub;
}

}  // namespace outbreak::store::sqlite
