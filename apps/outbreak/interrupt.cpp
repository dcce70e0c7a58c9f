#include "interrupt.hpp"

#include <atomic>

namespace outbreak::cli {
namespace {

// The one mutable static in the app: a signal handler receives no argument,
// so a flag at namespace scope is the only place it can reach. Lock-free, so
// that setting it from a handler is safe.
std::atomic<bool> interrupt_flag{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void on_interrupt(int /*signal*/) { interrupt_flag.store(true); }

}  // namespace

InterruptGuard::InterruptGuard() {
  interrupt_flag.store(false);
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_RESTART;
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    sigaction(kSignals[i], nullptr, &previous_[i]);
    if (previous_[i].sa_handler != SIG_IGN) sigaction(kSignals[i], &action, nullptr);
  }
}

InterruptGuard::~InterruptGuard() {
  for (std::size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &previous_[i], nullptr);
}

bool InterruptGuard::interrupted() const { return interrupt_flag.load(); }

}  // namespace outbreak::cli
