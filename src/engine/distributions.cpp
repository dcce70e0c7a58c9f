#include "outbreak/engine/distributions.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "outbreak/engine/random.hpp"

namespace outbreak::engine {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMinNormal = std::numeric_limits<double>::min();

// ln 2 split as in random.cpp: k * kLn2Hi is exact for |k| < 2^21.
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kInvLn2 = 1.442695040888963407359925;
// e^x overflows above ln(DBL_MAX); below -746 it is under half the smallest
// subnormal, so it rounds to 0.
constexpr double kExpOverflow = 709.782712893383973096;
constexpr double kExpUnderflow = -746.0;

constexpr double kHalfLog2Pi = 0.9189385332046727417803297;  // ln(2 pi) / 2
constexpr double kTwoOverSqrtPi = 1.128379167095512573896159;
constexpr double kInvSqrtPi = 0.5641895835477562869480795;
constexpr double kInvSqrt2Pi = 0.3989422804014326779399461;
constexpr double kSqrtHalf = 0.7071067811865475244008444;

// 1/n! for n = 0..13, each rounded once at compile time (n! is exact).
constexpr double kInvFactorial[14] = {1.0,
                                      1.0,
                                      1.0 / 2,
                                      1.0 / 6,
                                      1.0 / 24,
                                      1.0 / 120,
                                      1.0 / 720,
                                      1.0 / 5040,
                                      1.0 / 40320,
                                      1.0 / 362880,
                                      1.0 / 3628800,
                                      1.0 / 39916800,
                                      1.0 / 479001600,
                                      1.0 / 6227020800.0};

// 1 / (2j + 3) for j = 0..17.
constexpr double kInverseOdd[18] = {1.0 / 3,  1.0 / 5,  1.0 / 7,  1.0 / 9,  1.0 / 11, 1.0 / 13,
                                    1.0 / 15, 1.0 / 17, 1.0 / 19, 1.0 / 21, 1.0 / 23, 1.0 / 25,
                                    1.0 / 27, 1.0 / 29, 1.0 / 31, 1.0 / 33, 1.0 / 35, 1.0 / 37};

// Taylor coefficients of ln Gamma(2 + z) = sum_k kLgammaTwo[k - 1] z^k: the
// first is 1 - Euler's gamma, then (-1)^k (zeta(k) - 1) / k for k = 2..28.
constexpr double kLgammaTwo[28] = {
    0.4227843350984671393934879,    0.3224670334241132182362,      -0.06735230105319809513325,
    0.020580808427784547879,        -0.007385551028673985266273,   0.002890510330741523285753,
    -0.001192753911703260977114,    0.0005096695247430424223357,   -0.0002231547584535793797614,
    0.0000994575127818085337146,    -0.00004492623673813314170021, 0.00002050721277567069155317,
    -0.000009439488275268395903987, 0.000004374866789907487804182, -0.000002039215753801366236782,
    9.551412130407419832857e-7,     -4.492469198764566043294e-7,   2.120718480555466586923e-7,
    -1.004322482396809960872e-7,    4.76981016936398056576e-8,     -2.271109460894316491032e-8,
    1.083865921489695409107e-8,     -5.183475041970046655121e-9,   2.483674543802478317185e-9,
    -1.192140140586091207443e-9,    5.73136724167886201333e-10,    -2.759522885124233145178e-10,
    1.33047643742444894815e-10};

// Stirling series B_2k / (2k (2k - 1)) for k = 1..9.
constexpr double kStirling[9] = {1.0 / 12,    -1.0 / 360,       1.0 / 1260,
                                 -1.0 / 1680, 1.0 / 1188,       -691.0 / 360360,
                                 1.0 / 156,   -3617.0 / 122400, 43867.0 / 244188};

// Temme's uniform expansion of Q(a, x) for large a (DLMF 8.12): Taylor
// coefficients in eta of c_0 .. c_3. They were derived exactly by reverting
// eta^2 / 2 = lambda - 1 - ln(lambda) as a power series and applying the
// closed forms of c_0 and c_1 and the recurrence for c_k; the first few
// agree with the published ones (-1/3, 1/12, -2/135; -1/540, -1/288; 25/6048).
constexpr double kTemme0[18] = {
    -0.333333333333333333333,    0.0833333333333333333333,    -0.0148148148148148148148,
    1.15740740740740740741e-3,   3.52733686067019400353e-4,   -1.787551440329218107e-4,
    3.9192631785224377817e-5,    -2.18544851067999216147e-6,  -1.8540622107151599607e-6,
    8.29671134095308600502e-7,   -1.76659527368260793044e-7,  6.70785354340149858037e-9,
    1.02618097842403080426e-8,   -4.38203601845335318655e-9,  9.14769958223679023418e-10,
    -2.55141939949462497669e-11, -5.83077213255042506746e-11, 2.43619480206674162437e-11};
constexpr double kTemme1[14] = {
    -1.85185185185185185185e-3, -3.47222222222222222222e-3, 2.64550264550264550265e-3,
    -9.90226337448559670782e-4, 2.05761316872427983539e-4,  -4.0187757201646090535e-7,
    -1.8098550334489977837e-5,  7.64916091608111008464e-6,  -1.61209008945634460038e-6,
    4.64712780280743434226e-9,  1.37863344691572095931e-7,  -5.75254560351770496402e-8,
    1.19516285997781473243e-8,  -1.75432417197476476238e-11};
constexpr double kTemme2[10] = {4.13359788359788359788e-3,  -2.68132716049382716049e-3,
                                7.71604938271604938272e-4,  2.00938786008230452675e-6,
                                -1.07366532263651605215e-4, 5.29234488291201254164e-5,
                                -1.27606351886187277134e-5, 3.42357873409613807419e-8,
                                1.37219573090629332056e-6,  -6.29899213838005502291e-7};
constexpr double kTemme3[6] = {6.49434156378600823045e-4,  2.29472093621399176955e-4,
                               -4.69189494395255712128e-4, 2.67720632062838852962e-4,
                               -7.56180167188397641073e-5, -2.39650511386729665193e-7};
// Where the expansion is used: with c_0..c_3 its truncation error is below
// 5e-16 relative for a >= 1000 and |eta| <= 0.5 (checked against 60-digit
// values); elsewhere the series and the continued fraction converge fast.
constexpr double kTemmeMinShape = 1000;
constexpr double kTemmeMaxEta = 0.5;

// Horner evaluation of sum_k c[k] x^k.
template <std::size_t N>
double polynomial(const double (&c)[N], double x) {
  double sum = c[N - 1];
  for (std::size_t k = N - 1; k-- > 0;) sum = sum * x + c[k];
  return sum;
}

// ln x for any x >= 0, subnormals included (det_log needs a normal number).
double log_positive(double x) {
  if (x >= kMinNormal) return x < kInf ? det_log(x) : x;
  if (x > 0) return det_log(x * 0x1p54) - 54 * kLn2Hi - 54 * kLn2Lo;  // the scaling is exact
  return x == 0 ? -kInf : kNaN;
}

// e^r for |r| <= 0.35: the Taylor series to r^13, whose remainder is below
// 1e-17 relative there. Summing 1 last keeps the rounding error near 1 ulp.
double exp_reduced(double r) {
  double tail = kInvFactorial[13];
  for (int n = 12; n >= 2; --n) tail = tail * r + kInvFactorial[n];
  return 1 + (r + (r * r) * tail);
}

// ln(1 + u) - u for u > -1 without cancellation for small |u|: with
// s = u / (2 + u), ln(1 + u) = 2 atanh(s) and 2s - u = -u s, so the result is
// s (2 s^2 (1/3 + s^2/5 + ...) - u). |u| < 0.5 gives s^2 <= 1/9, and 18 terms
// leave a remainder below 1e-18 relative.
double log1p_minus(double u) {
  if (u > -0.5 && u < 0.5) {
    const double s = u / (2 + u);
    const double z = s * s;
    return s * (2 * z * polynomial(kInverseOdd, z) - u);
  }
  return det_log1p(u) - u;
}

// ln Gamma(x) - ((x - 1/2) ln x - x + ln(2 pi) / 2) for x >= 10: the Stirling
// series to the x^-17 term; the next is below 2e-19.
double stirling_tail(double x) {
  const double inv = 1 / x;
  return inv * polynomial(kStirling, inv * inv);
}

// ln Gamma(2 + z) for |z| <= 0.5 from its Taylor series (the z^29 term is
// below 2e-19); exact at z = 0, so relative accuracy holds near the zeros of
// ln Gamma at 1 and 2.
double lgamma_near_two(double z) { return z * polynomial(kLgammaTwo, z); }

// erf(x) for |x| < 1 from its Taylor series sum (-1)^n x^(2n+1) /
// (n! (2n + 1)); the terms never exceed |x|, so the alternating sum loses
// little.
double erf_series(double x) {
  const double z = x * x;
  double power = x;  // (-1)^n x^(2n+1) / n!
  double sum = x;
  for (int n = 1; n < 60; ++n) {
    power *= -z / n;
    const double term = power / (2 * n + 1);
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * 0x1p-60) break;
  }
  return kTwoOverSqrtPi * sum;
}

// e^(-x^2) without the error of rounding x^2: x = hi + lo with hi holding 26
// bits (Veltkamp's split), so hi^2 is exact and the rest is a small correction.
double exp_minus_square(double x) {
  const double c = 134217729.0 * x;  // 2^27 + 1
  const double hi = c - (c - x);
  const double lo = x - hi;
  return det_exp(-(hi * hi)) * det_exp(-(2 * hi * lo + lo * lo));
}

// Legendre's continued fraction for the upper incomplete gamma,
// Q(a, x) = x^a e^-x / Gamma(a) * h with h = 1 / (b_0 + a_1 / (b_1 + ...)),
// b_i = x + 1 - a + 2i and a_i = -i (i - a); it converges quickly for
// x >= a + 1. This returns how many terms the modified Lentz method needs.
int fraction_terms(double a, double x) {
  constexpr double kTiny = 1e-300;
  double b = x + 1 - a;
  double c = 1 / kTiny;
  double d = 1 / b;
  int i = 1;
  for (; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    if (std::fabs(d * c - 1) < 0x1p-52) break;
  }
  return i;
}

// h of the fraction above. Lentz's running product loses up to 1e-14 near
// x = 1, so the fraction is evaluated backward from 10 terms past where Lentz
// converged, which is accurate to a few ulp. (For integer a it terminates:
// a_a = 0.)
double gamma_fraction(double a, double x) {
  const int terms = fraction_terms(a, x) + 10;
  const double b0 = x + 1 - a;
  double rest = 0;
  for (int i = terms; i > 0; --i) rest = (-i * (i - a)) / ((b0 + 2 * i) + rest);
  return 1 / (b0 + rest);
}

// erfc(x) for x >= 1: e^(-x^2) x / sqrt(pi) times the continued fraction
// of Q(1/2, x^2) (erfc(x) = Q(1/2, x^2)).
double erfc_fraction(double x) {
  return exp_minus_square(x) * (x * kInvSqrtPi) * gamma_fraction(0.5, x * x);
}

// P(a, y) and Q(a, y) with everything the quantile search and the slice
// means need, from one evaluation.
struct Tails {
  double p = 0, q = 1;              // P(a, y), Q(a, y)
  double log_p = 0, log_q = 0;      // their logarithms, finite where p or q underflows
  double slope_p = 0, slope_q = 0;  // d ln P / d ln y and d ln Q / d ln y
  double p1 = 0, q1 = 1;            // P(a + 1, y), Q(a + 1, y)
  double d = 0;                     // y^a e^-y / Gamma(a + 1)
  double w = 0;                     // y^a e^-y / Gamma(a) = a d, y times the density
};

// The parts of the incomplete gamma function that depend only on the shape,
// computed once per table.
class GammaShape {
 public:
  explicit GammaShape(double a) : a_(a), log_a_(log_positive(a)), stirling_(a >= 10) {
    // For large a, ln Gamma(a + 1) = (a + 1/2) ln a - a + ln(2 pi)/2 +
    // tail(a) lets log_d combine a ln y - y with the a ln a - a inside it
    // before rounding. For small a, ln Gamma(a + 1) is small (unlike
    // ln Gamma(a), which would cancel against the rest).
    constant_ = stirling_ ? -0.5 * log_a_ - kHalfLog2Pi - stirling_tail(a) : -det_lgamma(a + 1);
  }

  double a() const { return a_; }
  double log_a() const { return log_a_; }

  // ln D with D = y^a e^-y / Gamma(a + 1), for y = e^t (t is passed as y may
  // underflow).
  double log_d(double y, double t) const {
    if (!stirling_) return a_ * t - y + constant_;
    const double u = (y - a_) / a_;
    if (u > -0.5 && u < 0.5) return a_ * log1p_minus(u) + constant_;
    const double ratio = y / a_;
    const double log_ratio = ratio >= kMinNormal ? det_log(ratio) : t - log_a_;
    return a_ * (log_ratio - u) + constant_;
  }

 private:
  double a_;
  double log_a_;
  bool stirling_;
  double constant_ = 0;
};

// Tails for y < a + 1 from the series P(a, y) = D (1 + y/(a+1) S1) with
// D = y^a e^-y / Gamma(a + 1) and S1 = sum_n y^n / ((a+2)...(a+n+1)), which is
// P(a + 1, y) / (D y / (a + 1)); every term is positive.
Tails series_tails(const GammaShape& g, double y, double log_d) {
  const double a = g.a();
  double term = 1;
  double s1 = 1;
  double denominator = a + 1;
  for (int n = 0; n < 1000000; ++n) {
    denominator += 1;
    term *= y / denominator;
    s1 += term;
    // The rest is below term * r / (1 - r) with r = y / (denominator + 1).
    if (term * y < s1 * 0x1p-56 * (denominator + 1 - y)) break;
  }
  const double ratio = y / (a + 1);
  const double s = 1 + ratio * s1;
  const double d = det_exp(log_d);
  Tails r;
  r.d = d;
  r.p = d * s;
  r.q = 1 - r.p;
  r.log_p = log_d + det_log(s);
  r.log_q = log_positive(r.q);
  r.p1 = d * ratio * s1;
  r.q1 = 1 - r.p1;
  r.w = d * a;
  r.slope_p = a / s;
  r.slope_q = -r.w / r.q;
  return r;
}

// Tails for y >= a + 1 from the continued fraction for Q, and
// Q(a + 1, y) = Q(a, y) + y^a e^-y / Gamma(a + 1).
Tails fraction_tails(const GammaShape& g, double y, double log_d) {
  const double h = gamma_fraction(g.a(), y);
  Tails r;
  r.d = det_exp(log_d);
  r.w = g.a() * r.d;
  r.q = r.w * h;
  r.p = 1 - r.q;
  r.log_q = log_d + g.log_a() + det_log(h);
  r.log_p = log_positive(r.p);
  r.q1 = r.q + r.d;
  r.p1 = 1 - r.q1;
  r.slope_q = -1 / h;
  r.slope_p = r.w / r.p;
  return r;
}

// Tails for a >= 1000 and y near a from Temme's expansion
// Q = erfc(eta sqrt(a/2)) / 2 + R, P = erfc(-eta sqrt(a/2)) / 2 - R, where
// eta^2 / 2 = -(ln(1 + u) - u), u = y/a - 1, and
// R = e^(-a eta^2 / 2) / sqrt(2 pi a) (c_0 + c_1/a + c_2/a^2 + c_3/a^3).
// Both tails come out directly, without cancellation.
Tails temme_tails(const GammaShape& g, double log_d, double eta, double log1p_minus_u) {
  const double a = g.a();
  const double sum =
      polynomial(kTemme0, eta) +
      (polynomial(kTemme1, eta) + (polynomial(kTemme2, eta) + polynomial(kTemme3, eta) / a) / a) /
          a;
  const double rest = det_exp(a * log1p_minus_u) * (kInvSqrt2Pi / std::sqrt(a)) * sum;
  const double arg = eta * std::sqrt(0.5 * a);
  // erfc(-z) = 2 - erfc(z): one error function gives both tails.
  const double half_tail = 0.5 * det_erfc(std::fabs(arg));
  Tails r;
  if (arg >= 0) {
    r.q = half_tail + rest;
    r.p = (1 - half_tail) - rest;
  } else {
    r.p = half_tail - rest;
    r.q = (1 - half_tail) + rest;
  }
  r.log_p = log_positive(r.p);
  r.log_q = log_positive(r.q);
  r.d = det_exp(log_d);
  r.w = a * r.d;
  r.p1 = r.p - r.d;
  r.q1 = r.q + r.d;
  r.slope_p = r.w / r.p;
  r.slope_q = -r.w / r.q;
  return r;
}

// P(a, y), Q(a, y) and the rest for y = e^t > 0.
Tails gamma_tails(const GammaShape& g, double y, double t) {
  const double a = g.a();
  const double log_d = g.log_d(y, t);
  if (a >= kTemmeMinShape) {
    const double u = (y - a) / a;
    if (u > -0.5 && u < 0.5) {
      const double l = log1p_minus(u);
      const double eta = std::copysign(std::sqrt(std::fabs(2 * l)), u);
      if (std::fabs(eta) <= kTemmeMaxEta) return temme_tails(g, log_d, eta, l);
    }
  }
  return y < a + 1 ? series_tails(g, y, log_d) : fraction_tails(g, y, log_d);
}

// The gamma family cdf at x for shape a and rate 1 / scale.
double gamma_cdf(const GammaShape& g, double rate, double x) {
  const double y = x * rate;
  if (!(y > 0)) return 0;
  if (!(y < kInf)) return 1;
  return gamma_tails(g, y, log_positive(y)).p;
}

// Rounds the cdf values cdf_at(d + 1/2) for d = 0 .. last - 1 into a table
// ending in 1; monotone even if rounding wobbles, and cut short once it
// reaches exactly 1.
template <typename Cdf>
std::vector<double> discretise(const Cdf& cdf_at, int last) {
  std::vector<double> cdf;
  cdf.reserve(static_cast<std::size_t>(last) + 1);
  double previous = 0;
  for (int d = 0; d < last; ++d) {
    double c = cdf_at(d + 0.5);
    if (!(c >= previous)) c = previous;  // also replaces a NaN
    if (c > 1) c = 1;
    cdf.push_back(c);
    previous = c;
    if (c == 1) return cdf;
  }
  cdf.push_back(1.0);
  return cdf;
}

// All mass on round(mean) (halves up), clipped to [0, last].
std::vector<double> point_mass(double mean, int last) {
  const double day = std::floor(mean + 0.5);
  const int d = !(day > 0) ? 0 : (day >= last ? last : static_cast<int>(day));
  std::vector<double> cdf(static_cast<std::size_t>(d), 0.0);
  cdf.push_back(1.0);
  return cdf;
}

constexpr int kSlices = 1 << GammaMultiplier::kBits;

// The slice boundaries of Gamma(k, 1): y_i with P(k, y_i) = i / kSlices. It
// marches upward, solving ln P(k, e^t) = ln p (lower half) or
// ln Q(k, e^t) = ln(1 - p) (upper half) in t = ln y, where both are smooth
// and nearly linear even for tiny k. Each target starts from a Halley step
// off the last evaluation, which is usually accurate enough that one more
// evaluation and correction finish it.
class QuantileMarch {
 public:
  explicit QuantileMarch(double k) : g_(k), k_(k) {}

  // Moves to boundary i (increasing i) and returns P(k + 1, y_i) (lower half)
  // or Q(k + 1, y_i) (upper half, lower == false).
  double next(int i, bool lower);

 private:
  double phi(const Tails& e, bool lower) const { return lower ? e.log_p : e.log_q; }
  double slope(const Tails& e, bool lower) const { return lower ? e.slope_p : e.slope_q; }
  double halley_step(double target, bool lower) const;
  void evaluate(double t);

  GammaShape g_;
  double k_;
  bool started_ = false;
  double t_ = 0;  // ln y of the last evaluation
  double y_ = 0;
  Tails last_;
};

void QuantileMarch::evaluate(double t) {
  t_ = t;
  y_ = det_exp(t);
  last_ = gamma_tails(g_, y_, t);
}

// The Halley step in t from the last evaluation toward phi = target, using
// phi'' = phi' (k - y - phi') (true for both ln P and ln Q); a plain Newton
// step where the Halley denominator is not safely positive.
double QuantileMarch::halley_step(double target, bool lower) const {
  const double gap = target - phi(last_, lower);
  const double d1 = slope(last_, lower);
  const double d2 = d1 * (k_ - y_ - d1);
  const double newton = gap / d1;
  const double denominator = 1 + newton * d2 / (2 * d1);
  return denominator > 0.5 && denominator < 2 ? newton / denominator : newton;
}

double QuantileMarch::next(int i, bool lower) {
  const double target = lower ? det_log(static_cast<double>(i) / kSlices)
                              : det_log(1 - static_cast<double>(i) / kSlices);
  if (!started_) {
    // P(k, y) <= y^k / Gamma(k + 1) gives a starting point at or below the
    // first boundary.
    evaluate((target + det_lgamma(k_ + 1)) / k_);
    started_ = true;
  }
  // The increasing function is phi for P and -phi for Q; keep a bracket.
  const double sign = lower ? 1 : -1;
  double lo = -kInf;
  double hi = kInf;
  for (int iteration = 0;; ++iteration) {
    if (sign * (phi(last_, lower) - target) < 0) {
      lo = t_;
    } else {
      hi = t_;
    }
    double step = halley_step(target, lower);
    // ln P, ln Q and P(k + 1, .) change on the scale 1 / rate in t, so a step
    // below 1e-5 of it leaves errors of order 1e-15 after a Halley step or a
    // second-order Taylor step.
    const double rate = 1 + std::fabs(k_ + 1 - y_) + std::sqrt(y_) + std::fabs(slope(last_, lower));
    if (std::fabs(step) * rate < 1e-5 || iteration == 200) {
      if (!(std::fabs(step) * rate < 1)) step = 0;  // only if the search failed
      // Accept t_ + step without another evaluation; move P(k + 1, y) along
      // by its Taylor series in t: dP1/dt = y D, d2P1/dt2 = y D (k + 1 - y).
      const double slope1 = y_ * last_.d;
      const double change = slope1 * step * (1 + 0.5 * step * (k_ + 1 - y_));
      return lower ? last_.p1 + change : last_.q1 - change;
    }
    double t = t_ + step;
    if (!(t > lo && t < hi)) {
      if (lo > -kInf && hi < kInf) {
        t = 0.5 * (lo + hi);
      } else {
        t = lo > -kInf ? lo + 1 : hi - 1;
      }
    }
    evaluate(t);
  }
}

}  // namespace

double det_exp(double x) {
  if (!(x > kExpUnderflow)) return x != x ? x : 0.0;
  if (x > kExpOverflow) return kInf;
  const double k = std::floor(x * kInvLn2 + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  const double e = exp_reduced(r);
  const int n = static_cast<int>(k);
  // Scaling by 2^n is exact while the result is normal; below that one
  // multiplication by a power of two rounds it once into the subnormals.
  if (n < -1021) return std::ldexp(e, n + 64) * 0x1p-64;
  return std::ldexp(e, n);
}

double det_lgamma(double x) {
  if (!(x > 0)) return x == 0 ? kInf : kNaN;
  if (x >= 10) {
    if (!(x < kInf)) return x;
    // (x - 1/2) ln x - x written as (x - 1/2)(ln x - 1) - 1/2.
    return (x - 0.5) * (det_log(x) - 1) + (kHalfLog2Pi - 0.5) + stirling_tail(x);
  }
  if (x >= 2.5) {
    // ln Gamma(x) = ln Gamma(x - n) + ln((x - 1)...(x - n)), with x - n in
    // [1.5, 2.5); every x - j is exact.
    double y = x;
    double product = 1;
    while (y >= 2.5) {
      y -= 1;
      product *= y;
    }
    return lgamma_near_two(y - 2) + det_log(product);
  }
  if (x >= 1.5) return lgamma_near_two(x - 2);
  // ln Gamma(x) = ln Gamma(x + 1) - ln x, and again for x < 1/2 (x - 1 and
  // x itself are the exact offsets from 2).
  if (x >= 0.5) return lgamma_near_two(x - 1) - det_log(x);
  return lgamma_near_two(x) - log_positive(x) - det_log1p(x);
}

double det_erfc(double x) {
  if (x != x) return x;
  if (x > -1 && x < 1) return 1 - erf_series(x);
  if (x < 0) return 2 - det_erfc(-x);
  if (x > 27.3) return 0;  // erfc(27.3) is below half the smallest subnormal
  return erfc_fraction(x);
}

double gamma_p(double a, double x) {
  if (!(a > 0) || x != x) return kNaN;
  if (!(x > 0)) return 0;
  if (!(x < kInf)) return 1;
  if (!(a < kInf)) return 0;
  const GammaShape g(a);
  return gamma_tails(g, x, log_positive(x)).p;
}

double det_pow(double x, double y) { return det_exp(y * log_positive(x)); }

DayDistribution::DayDistribution(Family family, double mean, double sd, int max_days) {
  const int last = std::max(max_days, 0);
  if (!(sd > 0) || !(mean > 0)) {
    cdf_ = point_mass(mean, last);
    return;
  }
  const double cv = sd / mean;  // coefficient of variation
  if (family == Family::kGamma) {
    // Shape mean^2/sd^2 and scale sd^2/mean.
    const double shape = 1 / (cv * cv);
    const double rate = mean / (sd * sd);
    if (!(shape > 0 && shape < kInf && rate < kInf)) {
      cdf_ = point_mass(mean, last);
      return;
    }
    const GammaShape g(shape);
    cdf_ = discretise([&](double x) { return gamma_cdf(g, rate, x); }, last);
    return;
  }
  // Lognormal: sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2.
  const double sigma2 = cv * cv < kInf ? det_log1p(cv * cv) : kInf;
  if (!(sigma2 > 0 && sigma2 < kInf)) {
    cdf_ = point_mass(mean, last);
    return;
  }
  const double mu = log_positive(mean) - 0.5 * sigma2;
  const double scale = kSqrtHalf / std::sqrt(sigma2);  // 1 / (sigma sqrt 2)
  cdf_ = discretise([&](double x) { return 0.5 * det_erfc((mu - det_log(x)) * scale); }, last);
}

int DayDistribution::sample(double u) const {
  const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  return std::min(static_cast<int>(it - cdf_.begin()), max_day());
}

int DayDistribution::sample(std::uint32_t w) const { return sample(w * 0x1p-32); }

double DayDistribution::cdf(int d) const {
  if (d < 0) return 0;
  if (d >= max_day()) return 1;
  return cdf_[static_cast<std::size_t>(d)];
}

double DayDistribution::mean() const {
  double sum = 0;
  double previous = 0;
  for (std::size_t d = 0; d < cdf_.size(); ++d) {
    sum += static_cast<double>(d) * (cdf_[d] - previous);
    previous = cdf_[d];
  }
  return sum;
}

double DayDistribution::sd() const {
  const double m = mean();
  double sum = 0;
  double previous = 0;
  for (std::size_t d = 0; d < cdf_.size(); ++d) {
    const double offset = static_cast<double>(d) - m;
    sum += offset * offset * (cdf_[d] - previous);
    previous = cdf_[d];
  }
  return std::sqrt(sum);
}

GammaMultiplier::GammaMultiplier(double shape) {
  // Shape 0 (or an infinite shape) means no variation: keep the ones.
  if (!(shape > 0 && shape < kInf)) return;
  // For X ~ Gamma(k, 1/k), E[X; X <= x] = P(k + 1, k x) =: G1(x), so slice
  // i's mean is kSlices (G1(y_(i+1)) - G1(y_i)). Lower slices difference
  // P(k + 1, .) and upper ones Q(k + 1, .), so neither loses digits to
  // cancellation; the sum telescopes to G1(inf) - G1(0) = 1 whatever the
  // accuracy of the boundaries, so no renormalisation is needed.
  constexpr int kHalf = kSlices / 2;
  QuantileMarch march(shape);
  double below = 0;  // P(k + 1, y_i) of the slice's lower boundary
  for (int i = 1; i <= kHalf; ++i) {
    const double p1 = march.next(i, true);
    values_[static_cast<std::size_t>(i - 1)] = kSlices * (p1 - below);
    below = p1;
  }
  double above = 1 - below;  // Q(k + 1, y_i)
  for (int i = kHalf + 1; i < kSlices; ++i) {
    const double q1 = march.next(i, false);
    values_[static_cast<std::size_t>(i - 1)] = kSlices * (above - q1);
    above = q1;
  }
  values_.back() = kSlices * above;
  // Slice means increase; guard against rounding in the underflowing tail.
  for (std::size_t i = 1; i < values_.size(); ++i) {
    values_[i] = std::max(values_[i], values_[i - 1]);
  }
}

double GammaMultiplier::mean() const {
  double sum = 0;
  for (const double v : values_) sum += v;
  return sum / kSlices;
}

}  // namespace outbreak::engine
