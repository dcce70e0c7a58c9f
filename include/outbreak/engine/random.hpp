// Counter-based randomness: every draw is a pure function of
// (seed, entity, day, purpose, index), computed with Philox4x32-10.
//
// No generator state is carried between draws, so the same draw comes out no
// matter which thread, in which order, or on which process it is made; that is
// what makes results identical for any thread count. The distributions are our
// own code built only from IEEE-754 +, -, *, / (no libm, no std::
// distributions), so they are also identical across standard libraries.
#pragma once

#include <Random123/philox.h>

#include <cstdint>

namespace outbreak::engine {

// What a draw is for; part of the key, so two purposes never share a stream.
enum class Purpose : std::uint32_t {
  kInitialInfection = 1,
  kOfficeShuffle = 2,
  kAsymptomatic = 3,
  kDeath = 4,
  kDetection = 5,
  kHomeTransmission = 6,
  kWorkTransmission = 7,
  kCommunityTransmission = 8,
  kSchoolTransmission = 9,
  kCourse = 10,          // a case's durations and infectiousness
  kSeverity = 11,        // symptoms, hospital, critical care, death
  kHospitalCourse = 12,  // durations in hospital
  kInfector = 13,        // the source of a community infection
  kAges = 14,            // population build
  kHouseholds = 15,
  kSchools = 16,
  kWorkplaces = 17,
  // Interventions (policy.cpp, tracing.cpp, transmission.cpp)
  kIsolationCompliance = 18,
  kIsolationDropout = 19,
  kSeekTest = 20,
  kTestResult = 21,
  kTraceFind = 22,
  kQuarantineCompliance = 23,
  kQuarantineDropout = 24,
  kAppUser = 25,
  kContactCount = 26,    // how many community contacts an agent makes on a day
  kContactPartner = 27,  // who its j-th contact is with
  kSourceContact = 28,   // which of its contacts transmit
  kClosure = 29,
  kWorkFactor = 30,
  kHouseholdFactor = 31,
  kVaccineOrder = 32,
  kVaccineBlock = 33,
  kVaccineSevere = 34,
};

struct Draw {
  std::uint32_t v[4];
};

// Four independent 32-bit words for (seed, entity, day, purpose, index).
// `entity` is an agent, a place or a block of agents depending on purpose.
inline Draw philox(std::uint64_t seed, std::uint32_t entity, std::uint32_t day, Purpose purpose,
                   std::uint32_t index) {
  using G = r123::Philox4x32;
  const G::key_type key = {
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  const G::ctr_type ctr = {{entity, day, static_cast<std::uint32_t>(purpose), index}};
  const G::ctr_type out = G()(ctr, key);
  return Draw{{out[0], out[1], out[2], out[3]}};
}

// Uniform in [0, 1) with 53 random bits from two words.
inline double to_unit(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (std::uint64_t{hi} << 21) ^ (std::uint64_t{lo} >> 11);
  return static_cast<double>(bits) * 0x1.0p-53;
}

// True with probability p (p outside [0, 1] is clamped), from one draw.
inline bool bernoulli(const Draw& d, double p) { return to_unit(d.v[0], d.v[1]) < p; }

// Uniform integer in [0, n) by the multiply-shift method on 64 random bits;
// the bias is below n / 2^64, far under anything a simulation can detect.
__extension__ using Uint128 = unsigned __int128;
inline std::uint64_t uniform_below(const Draw& d, std::uint64_t n) {
  const std::uint64_t bits = (std::uint64_t{d.v[0]} << 32) | d.v[1];
  return static_cast<std::uint64_t>((static_cast<Uint128>(bits) * n) >> 64);
}

// Natural logarithm of x > 0 to within a few ulp, using only exactly rounded
// IEEE operations, so it gives the same bits on every conforming machine.
double det_log(double x);

// log(1 + x) for x > -1, accurate also for tiny |x|.
double det_log1p(double x);

// The number of failures before the next success in Bernoulli(p) trials,
// floor(log(u) / log(1 - p)), for u uniform in (0, 1] and inv_log_q =
// 1 / log(1 - p); anything at or past `limit` is returned as `limit`.
std::uint64_t geometric_gap(double u, double inv_log_q, std::uint64_t limit);

// The same from log(u) <= 0 instead of u.
std::uint64_t geometric_gap_from_log(double log_u, double inv_log_q, std::uint64_t limit);

// (1 - p)^n: the probability that n Bernoulli(p) trials all fail.
double none_succeed(double p, std::uint64_t n);

// Visits, in increasing order, the indices in [0, n) that succeed in n
// independent Bernoulli(p) trials, drawing one geometric gap per success
// instead of one uniform per trial. The draws are keyed by (seed, entity,
// day, purpose, k) for the k-th gap, so the chosen set depends only on the key.
class BernoulliSkipper {
 public:
  BernoulliSkipper(std::uint64_t seed, std::uint32_t entity, std::uint32_t day, Purpose purpose,
                   double p, std::uint64_t n);

  // The next successful index, or n when there are no more.
  std::uint64_t next();

 private:
  double gap_uniform();

  std::uint64_t seed_;
  std::uint32_t entity_;
  std::uint32_t day_;
  Purpose purpose_;
  std::uint64_t n_;
  double p_;
  double inv_log_q_ = 0;  // 1 / log(1 - p), computed when first needed
  bool all_ = false;      // p >= 1: every index succeeds
  bool first_gap_ = true;
  std::uint64_t pos_ = 0;  // next index to consider
  std::uint32_t draws_ = 0;
  Draw draw_{};
  bool have_second_ = false;
};

// Calls visit(i) for each i in [0, n), in increasing order, that succeeds in
// n independent Bernoulli(p) trials. Few trials get one 32-bit word each
// (four per Philox call; p is then resolved to 2^-32); more trials are
// visited by geometric skips (BernoulliSkipper), whose cost grows with the
// number of successes rather than with n. Either way the result depends only
// on the key (seed, entity, day, purpose).
template <typename Visit>
void for_each_success(std::uint64_t seed, std::uint32_t entity, std::uint32_t day, Purpose purpose,
                      double p, std::uint64_t n, Visit&& visit) {
  constexpr std::uint64_t kDirectTrials = 16;
  if (!(p > 0) || n == 0) return;
  if (n > kDirectTrials) {
    BernoulliSkipper hits(seed, entity, day, purpose, p, n);
    for (std::uint64_t i = hits.next(); i < n; i = hits.next()) visit(i);
    return;
  }
  const std::uint64_t threshold =
      p >= 1 ? (std::uint64_t{1} << 32) : static_cast<std::uint64_t>(p * 0x1.0p32);
  for (std::uint32_t block = 0; std::uint64_t{block} * 4 < n; ++block) {
    const Draw d = philox(seed, entity, day, purpose, block);
    for (std::uint32_t j = 0; j < 4; ++j) {
      const std::uint64_t i = std::uint64_t{block} * 4 + j;
      if (i >= n) return;
      if (d.v[j] < threshold) visit(i);
    }
  }
}

}  // namespace outbreak::engine
