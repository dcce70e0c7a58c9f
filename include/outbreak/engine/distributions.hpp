// Deterministic distributions for the natural history: per-case durations
// discretised to whole days, and the gamma-distributed individual
// infectiousness multiplier.
//
// Everything here is built from IEEE-754 basic operations only (like
// random.hpp): tables are computed once per simulation with our own exp,
// log, log-gamma and error function, so they come out bit-identical on every
// conforming machine and standard library.
#pragma once

#include <cstdint>
#include <vector>

namespace outbreak::engine {

// e^x to within a few ulp for |x| <= 700; 0 below -745, +inf above 709.
double det_exp(double x);
// log Gamma(x) for x > 0, to about 1e-14 relative.
double det_lgamma(double x);
// The error function's complement erfc(x), to about 1e-14 relative.
double det_erfc(double x);
// Regularised lower incomplete gamma P(a, x) for a > 0, x >= 0.
double gamma_p(double a, double x);
// x^y for x > 0.
double det_pow(double x, double y);

enum class Family { kGamma, kLognormal };

// A duration in whole days: a continuous distribution with the given mean
// and standard deviation, discretised by rounding (day d has the
// probability of [d - 0.5, d + 0.5); the mass below -0.5 goes to day 0, the
// mass beyond `max_days` to max_days). A spread of 0 gives round(mean)
// always (halves round up). Requires mean >= 0, sd >= 0, and mean > 0 when
// sd > 0 (engine::validate checks it). Immutable, thread-safe.
class DayDistribution {
 public:
  DayDistribution() = default;  // always 0
  DayDistribution(Family family, double mean, double sd, int max_days);

  // The day for a uniform u in [0, 1): the smallest d with cdf(d) > u.
  int sample(double u) const;
  // The day for the 32-bit uniform word w (u = w / 2^32).
  int sample(std::uint32_t w) const;
  // `max_days`, or the first day on which the cdf reaches exactly 1 if sooner.
  int max_day() const { return static_cast<int>(cdf_.size()) - 1; }
  // P(day <= d).
  double cdf(int d) const;
  // Mean and standard deviation of the discretised distribution.
  double mean() const;
  double sd() const;

 private:
  std::vector<double> cdf_{1.0};  // cdf_[d] = P(day <= d); the last entry is 1
};

// A multiplier with mean 1 drawn from Gamma(shape k, scale 1/k), as a table
// of 4,096 equiprobable quantiles (the mean of each slice, so the table's
// mean is exactly 1 up to rounding). Shape 0 means no variation: always 1.
// Immutable, thread-safe.
class GammaMultiplier {
 public:
  GammaMultiplier() = default;  // always 1
  explicit GammaMultiplier(double shape);

  // The multiplier for the 32-bit uniform word w.
  double sample(std::uint32_t w) const { return values_[w >> kShift]; }
  // The slice of w (0 ... 4095): slices are sorted by value.
  static std::uint32_t slice(std::uint32_t w) { return w >> kShift; }
  double value_of_slice(std::uint32_t slice) const { return values_[slice]; }
  double max() const { return values_.back(); }
  double mean() const;

  static constexpr int kBits = 12;
  static constexpr int kShift = 32 - kBits;

 private:
  std::vector<double> values_ = std::vector<double>(std::size_t{1} << kBits, 1.0);
};

}  // namespace outbreak::engine
