#include "threads.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

namespace outbreak::cli {

int max_threads() {
  // hardware_concurrency() is 0 when unknown; one thread is always there.
  const unsigned hardware = std::max(1U, std::thread::hardware_concurrency());
  return 4 * static_cast<int>(hardware);
}

Status check_threads(std::string_view flag, int threads) {
  const int most = max_threads();
  if (threads >= 1 && threads <= most) return Ok{};
  return Error::invalid(fmt::format("{} must be between 1 and {} (4 per hardware thread), got {}",
                                    flag, most, threads));
}

}  // namespace outbreak::cli
