#include "progress_bar.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace outbreak::cli {
namespace {

constexpr std::int64_t kBarWidth = 30;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

bool is_last(const engine::Progress& p) {
  return p.replicate + 1 >= p.replicates && p.day >= p.days;
}

}  // namespace

std::string progress_line(const engine::Progress& p) {
  const std::int64_t total = std::max<std::int64_t>(1, p.replicates * p.days);
  const std::int64_t done = std::clamp<std::int64_t>(p.replicate * p.days + p.day, 0, total);
  const std::int64_t filled = done * kBarWidth / total;
  return fmt::format("[{}{}] day {}/{} replicate {}/{}", std::string(filled, '#'),
                     std::string(kBarWidth - filled, '.'), p.day, p.days, p.replicate + 1,
                     p.replicates);
}

void ProgressBar::update(const engine::Progress& progress, Clock::time_point now) {
  if (last_draw_ && now - *last_draw_ < kRedrawInterval && !is_last(progress)) return;
  last_draw_ = now;
  const std::string line = progress_line(progress);
  // Pads over a longer previous line (e.g. "day 100" before "day 99").
  const std::size_t padding = drawn_width_ > line.size() ? drawn_width_ - line.size() : 0;
  out_ << '\r' << line << std::string(padding, ' ') << std::flush;
  drawn_width_ = std::max(drawn_width_, line.size());
}

void ProgressBar::clear() {
  if (drawn_width_ == 0) return;
  out_ << '\r' << std::string(drawn_width_, ' ') << '\r' << std::flush;
  drawn_width_ = 0;
  last_draw_.reset();
}

}  // namespace outbreak::cli
