#include "outbreak/engine/random.hpp"

#include <bit>
#include <cmath>

namespace outbreak::engine {
namespace {

// ln 2 split so that e * kLn2Hi is exact for any double exponent e.
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kSqrtHalf = 0.70710678118654752440;
// 1 / (2i + 1) for i = 0..11, rounded once at compile time.
constexpr double kInverseOdd[12] = {1.0,      1.0 / 3,  1.0 / 5,  1.0 / 7,  1.0 / 9,  1.0 / 11,
                                    1.0 / 13, 1.0 / 15, 1.0 / 17, 1.0 / 19, 1.0 / 21, 1.0 / 23};

}  // namespace

double det_log(double x) {
  // Split x = m * 2^exponent with m in [1, 2) from the bits (exact; x must
  // be a positive normal number, which every caller guarantees).
  const auto bits = std::bit_cast<std::uint64_t>(x);
  int exponent = static_cast<int>((bits >> 52) & 0x7FF) - 1023;
  double m = std::bit_cast<double>((bits & 0x000FFFFFFFFFFFFFULL) | 0x3FF0000000000000ULL);
  if (m > 2 * kSqrtHalf) {
    m *= 0.5;  // exact; m now in [sqrt(1/2), sqrt(2))
    ++exponent;
  }
  // log(m) = 2 atanh(s) with s = (m - 1) / (m + 1), |s| <= 0.1716: the odd
  // series s + s^3/3 + ... + s^25/25 in Horner form; the next term is below
  // 1e-21 relative, far under one ulp.
  const double f = m - 1;
  const double s = f / (2 + f);
  const double z = s * s;
  double series = 1.0 / 25;
  for (int k = 23; k >= 1; k -= 2) series = series * z + kInverseOdd[k / 2];
  const double sum = s * series;
  const double e = exponent;
  return e * kLn2Hi + (e * kLn2Lo + 2 * sum);
}

double det_log1p(double x) {
  if (x > -1e-4 && x < 1e-4) {
    // Taylor series; the omitted x^6/6 is below 1e-24 relative to x.
    const double x2 = x * x;
    return x - x2 / 2 + x2 * x / 3 - x2 * x2 / 4 + x2 * x2 * x / 5;
  }
  // Corrects for the rounding of 1 + x (Goldberg's method).
  const double u = 1 + x;
  return det_log(u) * (x / (u - 1));
}

BernoulliSkipper::BernoulliSkipper(std::uint64_t seed, std::uint32_t entity, std::uint32_t day,
                                   Purpose purpose, double p, std::uint64_t n)
    : seed_(seed), entity_(entity), day_(day), purpose_(purpose), n_(n), p_(p) {
  if (!(p > 0)) {
    pos_ = n_;  // p <= 0 or NaN: no successes
  } else if (p >= 1) {
    all_ = true;
  }
}

double BernoulliSkipper::gap_uniform() {
  if (have_second_) {
    have_second_ = false;
    return to_unit(draw_.v[2], draw_.v[3]);
  }
  draw_ = philox(seed_, entity_, day_, purpose_, draws_++);
  have_second_ = true;
  return to_unit(draw_.v[0], draw_.v[1]);
}

std::uint64_t geometric_gap(double u, double inv_log_q, std::uint64_t limit) {
  return geometric_gap_from_log(det_log(u), inv_log_q, limit);
}

std::uint64_t geometric_gap_from_log(double log_u, double inv_log_q, std::uint64_t limit) {
  const double gap = std::floor(log_u * inv_log_q);
  return gap >= static_cast<double>(limit) ? limit : static_cast<std::uint64_t>(gap);
}

double none_succeed(double p, std::uint64_t n) {
  double none = 1;
  double q = 1 - p;
  for (; n > 0; n >>= 1, q *= q) {
    if (n & 1) none *= q;
  }
  return none;
}

std::uint64_t BernoulliSkipper::next() {
  if (pos_ >= n_) return n_;
  if (all_) return pos_++;
  const double u = 1 - gap_uniform();
  // The first gap reaches past the end iff U <= (1 - p)^n. Most places with
  // few infectious agents see no transmission at all, and this check settles
  // them without a logarithm.
  if (first_gap_) {
    first_gap_ = false;
    if (u <= none_succeed(p_, n_)) {
      pos_ = n_;
      return n_;
    }
  }
  if (inv_log_q_ == 0) inv_log_q_ = 1 / det_log1p(-p_);
  const std::uint64_t gap = geometric_gap(u, inv_log_q_, n_ - pos_);
  if (gap >= n_ - pos_) {
    pos_ = n_;
    return n_;
  }
  pos_ += gap + 1;
  return pos_ - 1;
}

}  // namespace outbreak::engine
