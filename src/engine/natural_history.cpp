#include "natural_history.hpp"

#include <algorithm>
#include <cmath>

#include "outbreak/engine/random.hpp"

namespace outbreak::engine {
namespace {

constexpr double kTwo32 = 4294967296.0;

// A probability as a threshold on a 32-bit word: P(word < threshold) = p
// to within 2^-32.
std::uint64_t threshold(double p) {
  if (!(p > 0)) return 0;
  if (p >= 1) return std::uint64_t{1} << 32;
  return static_cast<std::uint64_t>(p * kTwo32);
}

DayDistribution stage(Family family, double mean, double sd) {
  return DayDistribution(family, std::max(mean, 0.0), std::max(sd, 0.0),
                         NaturalHistory::kMaxStageDays);
}

}  // namespace

NaturalHistory::NaturalHistory(const Scenario& s)
    : incubation_(stage(Family::kLognormal, s.incubation_days, s.incubation_sd_days)),
      presymptomatic_(
          stage(Family::kGamma, s.incubation_days - s.latent_days, s.presymptomatic_sd_days)),
      after_onset_(stage(Family::kGamma, s.sick_days - s.incubation_days, s.recovery_sd_days)),
      hospital_delay_(stage(Family::kGamma, s.hospital_delay_days, s.hospital_delay_sd_days)),
      hospital_stay_(stage(Family::kGamma, s.hospital_days, s.hospital_sd_days)),
      critical_delay_(stage(Family::kGamma, s.critical_delay_days, s.critical_delay_sd_days)),
      critical_stay_(stage(Family::kGamma, s.critical_days, s.critical_sd_days)),
      multiplier_(s.infectiousness_dispersion),
      varies_(s.infectiousness_dispersion > 0),
      flat_profile_(!(s.infectiousness_width_days > 0)),
      flat_mortality_(s.mortality_rate.has_value()) {
  profile_.resize(2 * kProfileSpan + 1, 1.0);
  if (!flat_profile_) {
    for (int offset = -kProfileSpan; offset <= kProfileSpan; ++offset) {
      const double z = (offset - s.infectiousness_peak_days) / s.infectiousness_width_days;
      profile_[static_cast<std::size_t>(offset + kProfileSpan)] = det_exp(-0.5 * z * z);
    }
  }
  for (int b = 0; b < kBuckets; ++b) {
    bucket_max_[static_cast<std::size_t>(b)] = multiplier_.value_of_slice(bucket_begin(b + 1) - 1);
  }
  for (std::size_t b = 0; b < kAgeBands; ++b) {
    const double symptomatic =
        s.asymptomatic_fraction ? 1 - *s.asymptomatic_fraction : s.symptomatic_by_age[b];
    const double hospital = s.hospital_by_age[b];
    symptomatic_[b] = threshold(symptomatic);
    hospital_[b] = threshold(hospital);
    critical_[b] = threshold(s.critical_by_age[b]);
    if (flat_mortality_) {
      dies_[b] = threshold(*s.mortality_rate);
    } else {
      // fatality_by_age is per infection and deaths happen in hospital:
      // P(dies | hospital) = IFR / (P(symptoms) x P(hospital | symptoms)).
      const double hospitalised = symptomatic * hospital;
      dies_[b] = hospitalised > 0 ? threshold(s.fatality_by_age[b] / hospitalised) : 0;
    }
  }
}

int NaturalHistory::bucket(std::uint32_t slice) {
  int b = 0;
  while (b + 1 < kBuckets && slice >= bucket_begin(b + 1)) ++b;
  return b;
}

std::uint32_t NaturalHistory::bucket_begin(int b) {
  constexpr std::uint32_t kSlices = std::uint32_t{1} << GammaMultiplier::kBits;
  if (b >= kBuckets) return kSlices;
  return kSlices - (kSlices >> b);
}

Course NaturalHistory::draw(std::uint64_t seed, std::uint32_t agent, std::size_t /*band*/) const {
  const Draw d = philox(seed, agent, 0, Purpose::kCourse, 0);
  Course c;
  c.incubation = std::max(1, incubation_.sample(d.v[0]));
  c.latent = std::max(1, c.incubation - presymptomatic_.sample(d.v[1]));
  c.end = c.incubation + std::max(1, after_onset_.sample(d.v[2]));
  c.resolved = c.end;
  c.slice = GammaMultiplier::slice(d.v[3]);
  return c;
}

void NaturalHistory::complete(std::uint64_t seed, std::uint32_t agent, std::size_t band,
                              Course& c) const {
  const Draw d = philox(seed, agent, 0, Purpose::kSeverity, 0);
  c.symptomatic = d.v[0] < symptomatic_[band];
  if (!c.symptomatic) return;
  const bool hospital = d.v[1] < hospital_[band];
  c.dies = (flat_mortality_ || hospital) && d.v[3] < dies_[band];
  if (!hospital) return;
  const Draw h = philox(seed, agent, 0, Purpose::kHospitalCourse, 0);
  c.hospital = c.incubation + hospital_delay_.sample(h.v[0]);
  if (d.v[2] < critical_[band]) {
    c.critical = c.hospital + critical_delay_.sample(h.v[2]);
    c.discharge = c.critical + std::max(1, critical_stay_.sample(h.v[3]));
  } else {
    c.discharge = c.hospital + std::max(1, hospital_stay_.sample(h.v[1]));
  }
  c.resolved = std::max(c.end, c.discharge);
}

}  // namespace outbreak::engine
