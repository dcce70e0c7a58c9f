// Turning SIGINT and SIGTERM into a request to stop, instead of sudden death.
#pragma once

#include <signal.h>

#include <array>

namespace outbreak::cli {

// While alive, SIGINT and SIGTERM only raise a flag that the caller polls,
// so that an interrupted run stops between days and cleans up (temporary
// files, the progress line) instead of dying mid-write. The handler does
// nothing else because almost nothing is async-signal-safe (not even
// std::stop_source::request_stop). A second signal kills as usual, for a
// user who does not want to wait for the day to end; a signal that was
// ignored when the guard was made (a background job) stays ignored. The
// previous handlers come back on destruction. At most one may exist at a
// time; interrupted() may be called from any thread.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  bool interrupted() const;

 private:
  static constexpr std::array<int, 2> kSignals = {SIGINT, SIGTERM};
  std::array<struct sigaction, kSignals.size()> previous_{};
};

}  // namespace outbreak::cli
