// A one-line progress bar for a terminal, redrawn in place with '\r'.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>

#include "outbreak/engine/ensemble.hpp"

namespace outbreak::cli {

// "[#####.....] day 45/180 replicate 1/3", the bar covering all replicates.
std::string progress_line(const engine::Progress& progress);

// Draws progress_line() on `out`, which the caller has checked is a terminal
// (on anything else the '\r' redraws would be garbage in a log). Redraws at
// most every 100 ms, since a redraw per day would cost more than a small
// day; the last day of the last replicate is always drawn. Time is passed
// in, not read, so that the throttling does not depend on a real clock. Not
// thread-safe.
class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ProgressBar(std::ostream& out) : out_(out) {}
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { clear(); }

  void update(const engine::Progress& progress, Clock::time_point now);

  // Blanks the line and returns the cursor to its start, so that whatever
  // is printed next (an error, the shell prompt) starts on a clean line.
  void clear();

 private:
  std::ostream& out_;
  std::optional<Clock::time_point> last_draw_;
  std::size_t drawn_width_ = 0;
};

}  // namespace outbreak::cli
