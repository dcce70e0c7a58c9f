// In-process wake-ups for SQLite: every Store opened on the same file in one
// process shares one WakeupHub, found through a registry keyed by the file's
// canonical path. This registry is the store's one piece of process-wide
// state: "these Stores are the same database" is a fact about the process,
// and SQLite has no LISTEN/NOTIFY. Other processes are seen by polling.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace outbreak::store::sqlite {

class WakeupHub {
 public:
  // Wakes every waiter.
  void notify();
  // The current generation; a waiter passes the last one it saw.
  std::uint64_t generation();
  // Waits until the generation differs from `seen` or `timeout` passes;
  // returns the generation then. Thread-safe.
  std::uint64_t wait(std::uint64_t seen, std::chrono::milliseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
};

// The hub for `canonical_path`, shared while any Store holds it. Thread-safe.
std::shared_ptr<WakeupHub> hub_for(const std::string& canonical_path);

}  // namespace outbreak::store::sqlite
