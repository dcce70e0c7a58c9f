// R0 and the growth rate from the scenario's parameters: the formulas of
// docs/model.md, "Estimating R0 and the doubling time".
//
// A case infected in the community (or seeded) is typed by its age class
// (ten-year band and daytime status: pupil, in work, neither); a case
// infected in a home, class or workplace by the place (home composition,
// class, workplace size) and its generation in that place's outbreak. In
// the place it was infected in, a case of generation i makes mu[i + 1] /
// mu[i] cases, mu being the expected generation sizes of a Reed-Frost
// outbreak in the place; in its other places it starts an outbreak (its
// first generation); in the community it infects in proportion to its
// infectiousness. R0 is the largest eigenvalue of that next-generation
// operator, found by power iteration.
#include "outbreak/engine/estimate.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "outbreak/engine/distributions.hpp"
#include "population_build.hpp"

namespace outbreak::engine {
namespace {

namespace pb = population_build;

constexpr int kMaxStageDays = 120;  // as NaturalHistory::kMaxStageDays
constexpr int kMaxWorkplace = 65'535;
constexpr double kWorkplaceTailZ = 5.2;  // as the population build
constexpr std::size_t kStatuses = 3;     // neither, pupil, in work
constexpr std::size_t kClasses = kAgeBands * kStatuses;
constexpr std::size_t kNone = 0;
constexpr std::size_t kPupil = 1;
constexpr std::size_t kWorker = 2;

// The kinds of course that differ in infectiousness.
enum Kind : std::size_t { kSymptomatic, kHospital, kAsymptomatic };
constexpr std::size_t kKinds = 3;

std::vector<double> pmf_of(const DayDistribution& d) {
  std::vector<double> p(static_cast<std::size_t>(d.max_day()) + 1);
  double below = 0;
  for (int day = 0; day <= d.max_day(); ++day) {
    const double at = d.cdf(day);
    p[static_cast<std::size_t>(day)] = std::max(0.0, at - below);
    below = at;
  }
  return p;
}

DayDistribution stage(Family family, double mean, double sd) {
  return DayDistribution(family, std::max(mean, 0.0), std::max(sd, 0.0), kMaxStageDays);
}

// The per-case side: which days a case transmits on and how strongly.
struct Courses {
  std::vector<double> incubation;      // P(I = i), i >= 1
  std::vector<double> presymptomatic;  // P(P' = p), P' = I - L = min(P, I - 1)
  std::vector<double> pre_tail;        // P(P >= p) of the drawn presymptomatic period
  std::array<std::vector<double>, kKinds> after_onset;  // P(D_eff = d), d >= 0
  std::vector<double> profile;                          // w(o) at index o + offset
  std::vector<double> cumulative;                       // cumulative[i] = sum of profile[0 .. i)
  int offset = 0;
  std::array<double, kKinds> multiplier{1, 1, 1};
  double dispersion = 0;  // gamma shape k of the individual multiplier; 0: none

  double w(int o) const {
    const int i = o + offset;
    return i >= 0 && i < static_cast<int>(profile.size()) ? profile[static_cast<std::size_t>(i)]
                                                          : 0;
  }
  // Sum of w over the transmitting offsets -p ... d - 1.
  double sum(std::size_t p, std::size_t d) const {
    const auto index = [&](int o) {
      return static_cast<std::size_t>(std::clamp(o + offset, 0, static_cast<int>(profile.size())));
    };
    return cumulative[index(static_cast<int>(d))] - cumulative[index(-static_cast<int>(p))];
  }
  // E[exp(-m x)] over the individual multiplier m ~ Gamma(k, 1/k).
  double escape(double x) const {
    return dispersion > 0 ? std::pow(1 + x / dispersion, -dispersion) : std::exp(-x);
  }
};

Courses courses_of(const Scenario& s) {
  Courses c;
  const DayDistribution incubation =
      stage(Family::kLognormal, s.incubation_days, s.incubation_sd_days);
  const DayDistribution pre =
      stage(Family::kGamma, s.incubation_days - s.latent_days, s.presymptomatic_sd_days);
  const DayDistribution after =
      stage(Family::kGamma, s.sick_days - s.incubation_days, s.recovery_sd_days);
  const DayDistribution delay =
      stage(Family::kGamma, s.hospital_delay_days, s.hospital_delay_sd_days);

  // I = max(1, drawn); P' = min(P, I - 1); D' = max(1, drawn).
  c.incubation = pmf_of(incubation);
  if (c.incubation.size() < 2) c.incubation.resize(2, 0.0);
  c.incubation[1] += c.incubation[0];
  c.incubation[0] = 0;
  const std::vector<double> p = pmf_of(pre);
  c.pre_tail.assign(p.size() + 1, 0.0);
  for (std::size_t k = p.size(); k-- > 0;) c.pre_tail[k] = c.pre_tail[k + 1] + p[k];
  c.presymptomatic.assign(c.incubation.size(), 0.0);
  for (std::size_t i = 1; i < c.incubation.size(); ++i) {
    if (c.incubation[i] <= 0) continue;
    for (std::size_t k = 0; k < p.size(); ++k) {
      c.presymptomatic[std::min(k, i - 1)] += c.incubation[i] * p[k];
    }
  }
  std::vector<double> d = pmf_of(after);
  if (d.size() < 2) d.resize(2, 0.0);
  d[1] += d[0];
  d[0] = 0;
  c.after_onset[kSymptomatic] = d;
  c.after_onset[kAsymptomatic] = d;
  // A hospital case transmits until its admission, onset + delay.
  const std::vector<double> h = pmf_of(delay);
  std::vector<double> hospital(d.size(), 0.0);
  for (std::size_t a = 0; a < d.size(); ++a) {
    for (std::size_t b = 0; b < h.size(); ++b) hospital[std::min(a, b)] += d[a] * h[b];
  }
  c.after_onset[kHospital] = hospital;
  c.multiplier[kAsymptomatic] = s.asymptomatic_infectiousness;
  c.dispersion = s.infectiousness_dispersion;

  c.offset = static_cast<int>(c.presymptomatic.size());
  const std::size_t span = c.presymptomatic.size() + d.size() + 1;
  c.profile.assign(span, 1.0);
  if (s.infectiousness_width_days > 0) {
    for (std::size_t i = 0; i < span; ++i) {
      const double z =
          (static_cast<double>(static_cast<int>(i) - c.offset) - s.infectiousness_peak_days) /
          s.infectiousness_width_days;
      c.profile[i] = std::exp(-0.5 * z * z);
    }
  }
  c.cumulative.assign(span + 1, 0.0);
  for (std::size_t i = 0; i < span; ++i) c.cumulative[i + 1] = c.cumulative[i] + c.profile[i];
  return c;
}

// Probability masses below this are left out of the sums over courses (the
// total left out is below 10^-10).
constexpr double kNegligible = 1e-13;

// Probability that a case of `kind` infects one susceptible setting mate over
// its whole course, at daily risk `risk` (at the peak, multiplier 1).
double pair_probability(const Courses& c, Kind kind, double risk) {
  if (!(risk > 0)) return 0;
  const double hazard = risk >= 1 ? 1e300 : -std::log1p(-risk);
  const std::vector<double>& after = c.after_onset[kind];
  double total = 0;
  for (std::size_t p = 0; p < c.presymptomatic.size(); ++p) {
    if (c.presymptomatic[p] <= kNegligible) continue;
    for (std::size_t d = 0; d < after.size(); ++d) {
      if (after[d] <= kNegligible) continue;
      const double x = std::min(1e300, hazard * c.multiplier[kind] * c.sum(p, d));
      total += c.presymptomatic[p] * after[d] * (1 - c.escape(x));
    }
  }
  return total;
}

// E[m * sum of w] over the course of `kind`: the expected infectiousness
// that the community term turns into infections linearly.
double mean_infectiousness(const Courses& c, Kind kind) {
  const std::vector<double>& after = c.after_onset[kind];
  double total = 0;
  for (std::size_t p = 0; p < c.presymptomatic.size(); ++p) {
    for (std::size_t d = 0; d < after.size(); ++d) {
      total += c.presymptomatic[p] * after[d] * c.sum(p, d);
    }
  }
  return total * c.multiplier[kind];
}

// Infectiousness of `kind` on day t after infection, m = 1 (its sum over t
// is mean_infectiousness / multiplier).
std::vector<double> kernel(const Courses& c, Kind kind, std::size_t days) {
  std::vector<double> k(days, 0.0);
  const std::vector<double>& after = c.after_onset[kind];
  std::vector<double> after_tail(after.size() + 1, 0.0);  // P(D_eff > j)
  for (std::size_t j = after.size(); j-- > 0;) after_tail[j] = after_tail[j + 1] + after[j];
  for (std::size_t i = 1; i < c.incubation.size(); ++i) {
    if (c.incubation[i] <= 0) continue;
    for (std::size_t t = 1; t < days; ++t) {
      // Transmitting on day t: I - P' <= t < I + D_eff.
      double before = 1;  // P(P' >= i - t)
      if (t < i) {
        const std::size_t need = i - t;
        before = need > i - 1 ? 0 : (need < c.pre_tail.size() ? c.pre_tail[need] : 0);
      }
      if (before <= 0) continue;
      double still = 1;  // P(D_eff > t - i)
      if (t >= i) {
        const std::size_t j = t - i;
        still = j < after.size() ? after_tail[j + 1] : 0;
      }
      k[t] += c.incubation[i] * before * still * c.w(static_cast<int>(t) - static_cast<int>(i));
    }
  }
  return k;
}

// The sizes of workplaces, as the population build draws them (lognormal,
// at least 1, cut at its largest size), at most `employed`: entry n is the
// probability of a workplace of n agents.
std::vector<double> workplace_sizes(const Scenario& s, double employed) {
  if (!(employed >= 1)) return {};
  const auto mean = static_cast<double>(s.office_size);
  int largest = static_cast<int>(std::ceil(mean));
  if (s.office_size_sd > 0) {
    const double sigma2 = std::log1p((s.office_size_sd / mean) * (s.office_size_sd / mean));
    const double tail =
        std::exp(std::log(mean) - 0.5 * sigma2 + kWorkplaceTailZ * std::sqrt(sigma2));
    largest = tail >= kMaxWorkplace ? kMaxWorkplace : std::max(largest, static_cast<int>(tail) + 1);
  }
  // The lognormal discretised as DayDistribution does (day d has the
  // probability of [d - 1/2, d + 1/2), the rest at `largest`), with the
  // standard library's erfc: the engine's own is exact to the last bit but
  // slower, and thousands of sizes are needed.
  std::vector<double> p(static_cast<std::size_t>(largest) + 1, 0.0);
  if (s.office_size_sd > 0) {
    const double sigma2 = std::log1p((s.office_size_sd / mean) * (s.office_size_sd / mean));
    const double mu = std::log(mean) - 0.5 * sigma2;
    const double scale = 1 / std::sqrt(2 * sigma2);
    double below = 0;
    for (int d = 0; d < largest; ++d) {
      const double at = 0.5 * std::erfc((mu - std::log(d + 0.5)) * scale);
      p[static_cast<std::size_t>(d)] = std::max(0.0, at - below);
      below = std::max(below, at);
    }
    p[static_cast<std::size_t>(largest)] = std::max(0.0, 1 - below);
  } else {
    p[static_cast<std::size_t>(std::clamp(static_cast<int>(std::floor(mean + 0.5)), 0, largest))] =
        1;
  }
  const auto cap = static_cast<std::size_t>(std::min(employed, 1e6));
  std::vector<double> count(std::min(p.size(), cap + 1) + 1, 0.0);
  for (std::size_t n = 0; n < p.size(); ++n) {
    count[std::clamp<std::size_t>(n, 1, count.size() - 1)] += p[n];
  }
  return count;
}

// Expected number of cases in each generation of an outbreak within one
// place of n members started by one case, every pair infecting with
// probability g over a course (a Reed-Frost chain): mu[0] = 1, mu[1] =
// (n - 1) g, ... Exact (the chain binomial's distribution of susceptibles and
// cases) up to kExactPlace members, the recursion on expectations beyond,
// where the law of large numbers makes them agree. Stops when a generation
// is negligible or after kGenerations.
constexpr std::size_t kGenerations = 40;
constexpr int kExactPlace = 25;

std::vector<double> generations(double n, double g) {
  std::vector<double> mu{1.0};
  if (!(n >= 2) || !(g > 0)) return mu;
  const double escape = 1 - std::min(g, 1.0);
  if (n <= kExactPlace) {
    const auto members = static_cast<int>(std::lround(n));
    // p[s][i]: probability of s susceptibles left and i cases in this generation.
    const auto cells = static_cast<std::size_t>(members + 1);
    std::vector<double> p(cells * cells, 0.0), next(cells * cells, 0.0);
    p[static_cast<std::size_t>(members - 1) * cells + 1] = 1;
    // escape^j for j up to members^2: a susceptible escapes j infectious ones.
    std::vector<double> power(cells * cells, 1.0);
    for (std::size_t j = 1; j < power.size(); ++j) power[j] = power[j - 1] * escape;
    for (std::size_t generation = 1; generation < kGenerations; ++generation) {
      std::fill(next.begin(), next.end(), 0.0);
      double expected = 0;
      for (int sus = 0; sus < members; ++sus) {
        for (int cases = 1; cases <= members; ++cases) {
          const double at =
              p[static_cast<std::size_t>(sus) * cells + static_cast<std::size_t>(cases)];
          if (at <= 0) continue;
          const double q = 1 - power[static_cast<std::size_t>(cases)];  // each susceptible infected
          // Binomial(sus, q), term by term.
          const double odds = q < 1 ? q / (1 - q) : 0;
          double term = q < 1 ? power[static_cast<std::size_t>(cases * sus)] : 0;
          for (int k = 0; k <= sus; ++k) {
            if (k > 0) term *= odds * static_cast<double>(sus - k + 1) / static_cast<double>(k);
            const double chance = q < 1 ? term : (k == sus ? 1.0 : 0.0);
            if (chance <= 0) continue;
            next[static_cast<std::size_t>(sus - k) * cells + static_cast<std::size_t>(k)] +=
                at * chance;
            expected += at * chance * k;
          }
        }
      }
      if (!(expected > 1e-12)) break;
      mu.push_back(expected);
      std::swap(p, next);
      for (int sus = 0; sus <= members; ++sus) p[static_cast<std::size_t>(sus) * cells] = 0;
    }
    return mu;
  }
  double sus = n - 1, cases = 1;
  for (std::size_t generation = 1; generation < kGenerations; ++generation) {
    const double infected = sus * (1 - std::pow(escape, cases));
    if (!(infected > 1e-12)) break;
    mu.push_back(infected);
    sus -= infected;
    cases = infected;
  }
  return mu;
}

// Expected classmates of a pupil of one single year of age with n pupils.
double classmates(double n, double class_size) {
  if (!(n >= 2)) return 0;
  const double k = std::ceil(n / class_size);
  const double q = std::floor(n / k);
  const double r = n - q * k;  // classes of q + 1
  return (r * (q + 1) * q + (k - r) * q * (q - 1)) / n;
}

std::size_t status_of(const Scenario& s, int year) {
  if (year >= s.school_min_age && year <= s.school_max_age) return kPupil;
  if (year > s.school_max_age && year < s.retirement_age) return kWorker;
  return kNone;
}

}  // namespace

Estimate estimate(const Scenario& s) {
  Estimate out;
  const Courses c = courses_of(s);

  // Per band: the share of each kind of course.
  std::array<std::array<double, kKinds>, kAgeBands> kind{};
  for (std::size_t b = 0; b < kAgeBands; ++b) {
    const double symptomatic =
        s.asymptomatic_fraction ? 1 - *s.asymptomatic_fraction : s.symptomatic_by_age[b];
    const double hospital = std::clamp(s.hospital_by_age[b], 0.0, 1.0);
    kind[b] = {symptomatic * (1 - hospital), symptomatic * hospital, 1 - symptomatic};
  }
  std::array<std::array<double, kKinds>, 4> by_kind{};  // home, school, work, community
  for (std::size_t k = 0; k < kKinds; ++k) {
    const auto x = static_cast<Kind>(k);
    by_kind[0][k] = pair_probability(c, x, s.home_infection_risk);
    by_kind[1][k] = pair_probability(c, x, s.school_infection_risk);
    by_kind[2][k] = pair_probability(c, x, s.work_infection_risk);
    by_kind[3][k] = static_cast<double>(s.community_contacts) *
                    std::min(1.0, s.community_infection_risk) * mean_infectiousness(c, x);
  }
  // Per band and route: expected infections per susceptible mate (home,
  // school, work) or in all (community).
  std::array<std::array<double, 4>, kAgeBands> per{};
  for (std::size_t b = 0; b < kAgeBands; ++b) {
    for (std::size_t r = 0; r < 4; ++r) {
      for (std::size_t k = 0; k < kKinds; ++k) per[b][r] += kind[b][k] * by_kind[r][k];
    }
  }

  // The population: ages, homes, roles and daytime places, as planned by the
  // population build (without placing any agent).
  const pb::YearCounts years = pb::year_counts(s, static_cast<std::uint64_t>(s.seed));
  const pb::HomePlan homes = pb::plan_homes(s, years);
  const double employment = std::clamp(s.employment_rate, 0.0, 1.0);
  // Year -> class fractions.
  const auto class_of = [&](int year, std::size_t status) {
    return age_band(year) * kStatuses + status;
  };
  std::array<double, kClasses> population{};
  std::array<double, kClasses> school_pairs{};
  double employed = 0;
  for (int y = 0; y < pb::kYears; ++y) {
    const auto n = static_cast<double>(years[static_cast<std::size_t>(y)]);
    const std::size_t status = status_of(s, y);
    if (status == kWorker) {
      population[class_of(y, kWorker)] += employment * n;
      population[class_of(y, kNone)] += (1 - employment) * n;
      employed += employment * n;
    } else {
      population[class_of(y, status)] += n;
    }
    if (status == kPupil) {
      school_pairs[class_of(y, kPupil)] += n * classmates(n, static_cast<double>(s.class_size));
    }
  }
  const double total = static_cast<double>(s.population);
  // Ages of each role, as the population build gives them out: each role
  // takes from its pools in order of preference, each year in proportion
  // to what is left of it.
  static constexpr std::array<std::array<int, 4>, pb::kRoles> kPreferences = {
      {{0, 1, 2, 3}, {1, 2, 3, 0}, {3, 2, 1, 0}, {2, 1, 3, 0}}};
  const auto pool_of = [](int year) {
    if (year < pb::kAdultAge) return 0;
    if (year >= pb::kElderAge) return 3;
    return year >= pb::kParentMin && year < pb::kParentEnd ? 1 : 2;
  };
  std::array<double, pb::kYears> left{};
  for (int y = 0; y < pb::kYears; ++y) {
    left[static_cast<std::size_t>(y)] = static_cast<double>(years[static_cast<std::size_t>(y)]);
  }
  std::array<std::array<double, kClasses>, pb::kRoles> role_share{};  // q_r(class)
  for (std::size_t r = 0; r < pb::kRoles; ++r) {
    const auto demand = static_cast<double>(homes.demand[r]);
    double need = demand;
    std::array<double, pb::kYears> taken{};
    for (const int p : kPreferences[r]) {
      double in_pool = 0;
      for (int y = 0; y < pb::kYears; ++y) {
        if (pool_of(y) == p) in_pool += left[static_cast<std::size_t>(y)];
      }
      const double take = std::min(need, in_pool);
      if (take <= 0) continue;
      for (int y = 0; y < pb::kYears; ++y) {
        if (pool_of(y) != p) continue;
        const double t = take * left[static_cast<std::size_t>(y)] / in_pool;
        taken[static_cast<std::size_t>(y)] += t;
        left[static_cast<std::size_t>(y)] -= t;
      }
      need -= take;
    }
    if (!(demand > 0)) continue;
    for (int y = 0; y < pb::kYears; ++y) {
      const double t = taken[static_cast<std::size_t>(y)] / demand;
      if (status_of(s, y) == kWorker) {
        role_share[r][class_of(y, kWorker)] += employment * t;
        role_share[r][class_of(y, kNone)] += (1 - employment) * t;
      } else {
        role_share[r][class_of(y, status_of(s, y))] += t;
      }
    }
  }
  const std::size_t types = homes.types.size();
  // Agents of (home type, role, class), and the share of a class's agents
  // that have that home type and role.
  const auto at = [&](std::size_t t, std::size_t r, std::size_t k) {
    return (t * pb::kRoles + r) * kClasses + k;
  };
  std::vector<double> agents(types * pb::kRoles * kClasses, 0.0);
  std::vector<double> given_class(agents.size(), 0.0);
  for (std::size_t t = 0; t < types; ++t) {
    for (std::size_t r = 0; r < pb::kRoles; ++r) {
      const double slots = static_cast<double>(homes.counts[t]) * homes.types[t].slots[r];
      for (std::size_t k = 0; k < kClasses; ++k) {
        agents[at(t, r, k)] = slots * role_share[r][k];
        if (population[k] > 0) given_class[at(t, r, k)] = agents[at(t, r, k)] / population[k];
      }
    }
  }
  std::array<double, kClasses> class_mates{};  // classmates, for pupils
  for (std::size_t k = 0; k < kClasses; ++k) {
    if (population[k] > 0) class_mates[k] = school_pairs[k] / population[k];
  }
  // Each home type: its members' classes and its outbreaks' generations.
  std::vector<double> home_given_class(types * kClasses, 0.0);  // P(home type | class)
  std::vector<std::array<double, kClasses>> members(types);     // class shares of its members
  std::vector<std::vector<double>> home_mu(types);
  for (std::size_t t = 0; t < types; ++t) {
    const double size = homes.types[t].size;
    double g = 0;
    for (std::size_t r = 0; r < pb::kRoles; ++r) {
      for (std::size_t k = 0; k < kClasses; ++k) {
        home_given_class[t * kClasses + k] += given_class[at(t, r, k)];
        const double share = size > 0 ? homes.types[t].slots[r] * role_share[r][k] / size : 0;
        members[t][k] += share;
        g += share * per[k / kStatuses][0];
      }
    }
    home_mu[t] = generations(size, g);
  }
  // Each class of pupils: its outbreaks' generations.
  std::array<std::vector<double>, kClasses> class_mu;
  for (std::size_t k = 0; k < kClasses; ++k) {
    class_mu[k] = generations(class_mates[k] + 1, per[k / kStatuses][1]);
  }
  // Workplaces by size as a worker sees them (size-biased), in bins: every
  // size up to kExactPlace, then bins 25% wide.
  std::array<double, kClasses> worker_share{};
  double work_pair = 0;
  for (std::size_t k = 0; k < kClasses; ++k) {
    if (k % kStatuses != kWorker || !(employed > 0)) continue;
    worker_share[k] = population[k] / employed;
    work_pair += worker_share[k] * per[k / kStatuses][2];
  }
  struct Bin {
    double size = 0;    // mean size in the bin, as seen by its workers
    double weight = 0;  // share of workers in the bin
    std::vector<double> mu;
  };
  std::vector<Bin> bins;
  {
    const std::vector<double> sizes = workplace_sizes(s, employed);
    double seats = 0;
    for (std::size_t n = 1; n < sizes.size(); ++n) seats += static_cast<double>(n) * sizes[n];
    std::size_t n = 1;
    while (n < sizes.size() && seats > 0) {
      const std::size_t last =
          n <= static_cast<std::size_t>(kExactPlace)
              ? n
              : std::min(sizes.size() - 1, static_cast<std::size_t>(static_cast<double>(n) * 1.25));
      Bin bin;
      double sum = 0;
      for (std::size_t m = n; m <= last; ++m) {
        const double w = static_cast<double>(m) * sizes[m] / seats;
        bin.weight += w;
        sum += w * static_cast<double>(m);
      }
      if (bin.weight > 1e-15) {
        bin.size = sum / bin.weight;
        bin.mu = generations(bin.size, work_pair);
        bins.push_back(std::move(bin));
      }
      n = last + 1;
    }
  }

  // Cases by type: infected in the community (or seeded), by class; infected
  // at home in generation i of a home type's outbreak; in a class; in a
  // workplace bin. A case infected in a place continues that place's
  // outbreak (mu[i + 1] / mu[i] cases each); in its other places it starts one.
  constexpr std::size_t G = kGenerations;
  const std::size_t home_base = kClasses;
  const std::size_t class_base = home_base + types * G;
  const std::size_t work_base = class_base + kClasses * G;
  const std::size_t size = work_base + bins.size() * G;
  const auto apply = [&](const std::vector<double>& from, std::vector<double>& to,
                         std::array<double, 4>& routes, std::array<double, kAgeBands>& by_band) {
    std::fill(to.begin(), to.end(), 0.0);
    routes = {};
    by_band = {};
    double community = 0;
    // A case of class k, `amount` of them, not infected at home: starts an
    // outbreak in its home.
    const auto home_intro = [&](std::size_t k, double amount) {
      const std::size_t b = k / kStatuses;
      for (std::size_t t = 0; t < types; ++t) {
        const double share = home_given_class[t * kClasses + k];
        if (share <= 0) continue;
        const double x = amount * share * (homes.types[t].size - 1) * per[b][0];
        to[home_base + t * G + 1] += x;
        routes[0] += x;
        by_band[b] += x;
      }
    };
    // ... not infected at its daytime place: starts an outbreak there.
    const auto daytime_intro = [&](std::size_t k, double amount) {
      const std::size_t b = k / kStatuses;
      if (k % kStatuses == kPupil) {
        const double x = amount * class_mates[k] * per[b][1];
        to[class_base + k * G + 1] += x;
        routes[1] += x;
        by_band[b] += x;
      } else if (k % kStatuses == kWorker) {
        for (std::size_t j = 0; j < bins.size(); ++j) {
          const double x = amount * bins[j].weight * (bins[j].size - 1) * per[b][2];
          to[work_base + j * G + 1] += x;
          routes[2] += x;
          by_band[b] += x;
        }
      }
    };
    const auto in_community = [&](std::size_t k, double amount) {
      const double x = amount * per[k / kStatuses][3];
      community += x;
      by_band[k / kStatuses] += x;
    };
    // Continues a place's outbreak from generation i; `band_of` shares the
    // infections among the bands of the place's members.
    // Continues a place's outbreak from every generation i of the cases
    // at from[base + i]; returns the cases there and (in `onward`) the
    // infections they make in the place.
    const auto go_on = [&](const std::vector<double>& mu, std::size_t base, std::size_t route,
                           double& onward) {
      double cases = 0;
      onward = 0;
      for (std::size_t i = 1; i < G; ++i) {
        const double v = from[base + i];
        if (v == 0) continue;
        cases += v;
        if (i + 1 >= mu.size() || i + 1 >= G || !(mu[i] > 0)) continue;
        const double x = v * mu[i + 1] / mu[i];
        to[base + i + 1] += x;
        onward += x;
      }
      routes[route] += onward;
      return cases;
    };
    // Cases that start an outbreak in their home, in their daytime place,
    // by class; each in the community.
    std::array<double, kClasses> to_home{}, to_daytime{};
    for (std::size_t k = 0; k < kClasses; ++k) {
      const double v = from[k];
      if (v == 0) continue;
      to_home[k] += v;
      to_daytime[k] += v;
      in_community(k, v);
    }
    double onward = 0;
    for (std::size_t t = 0; t < types; ++t) {
      const double cases = go_on(home_mu[t], home_base + t * G, 0, onward);
      if (cases == 0) continue;
      for (std::size_t k = 0; k < kClasses; ++k) {
        if (members[t][k] <= 0) continue;
        by_band[k / kStatuses] += onward * members[t][k];
        to_daytime[k] += cases * members[t][k];
        in_community(k, cases * members[t][k]);
      }
    }
    for (std::size_t k = 0; k < kClasses; ++k) {
      const double cases = go_on(class_mu[k], class_base + k * G, 1, onward);
      if (cases == 0) continue;
      by_band[k / kStatuses] += onward;
      to_home[k] += cases;
      in_community(k, cases);
    }
    for (std::size_t j = 0; j < bins.size(); ++j) {
      const double cases = go_on(bins[j].mu, work_base + j * G, 2, onward);
      if (cases == 0) continue;
      for (std::size_t k = 0; k < kClasses; ++k) {
        if (worker_share[k] <= 0) continue;
        by_band[k / kStatuses] += onward * worker_share[k];
        to_home[k] += cases * worker_share[k];
        in_community(k, cases * worker_share[k]);
      }
    }
    for (std::size_t k = 0; k < kClasses; ++k) {
      if (to_home[k] > 0) home_intro(k, to_home[k]);
      if (to_daytime[k] > 0) daytime_intro(k, to_daytime[k]);
    }
    routes[3] = community;
    for (std::size_t k = 0; k < kClasses; ++k) {
      if (total > 0) to[k] += community * population[k] / total;
    }
  };

  // Power iteration from the population; the shift by a multiple of the
  // identity keeps it from cycling when the operator is periodic.
  std::vector<double> v(size, 0.0), next(size, 0.0);
  for (std::size_t k = 0; k < kClasses; ++k) v[k] = total > 0 ? population[k] / total : 0;
  std::array<double, 4> routes{};
  std::array<double, kAgeBands> by_band{};
  double r0 = 0;
  for (int iteration = 0; iteration < 10'000; ++iteration) {
    apply(v, next, routes, by_band);
    double sum = 0, was = 0;
    for (std::size_t i = 0; i < size; ++i) sum += next[i], was += v[i];
    if (!(sum > 0) || !(was > 0)) {
      r0 = 0;
      break;
    }
    const double estimate = sum / was;
    const double shift = 0.1 * std::max(estimate, 1e-3);
    for (std::size_t i = 0; i < size; ++i) v[i] = (next[i] + shift * v[i]) / (sum + shift * was);
    const bool settled =
        iteration > static_cast<int>(2 * G) && std::abs(estimate - r0) <= 1e-9 * std::max(1.0, r0);
    r0 = estimate;
    if (settled) break;
  }
  out.r0 = r0;
  if (r0 > 0) {
    const double routes_total = routes[0] + routes[1] + routes[2] + routes[3];
    for (std::size_t i = 0; i < 4; ++i) out.route_shares[i] = routes[i] / routes_total;
  }

  // The generation interval: the infectiousness of each kind over the days
  // since infection, mixed by who transmits (the eigenvector's cases, by
  // band), each kind weighted by its share of the band's infectiousness.
  const std::size_t days = c.incubation.size() + c.after_onset[kSymptomatic].size() + 2;
  std::array<std::vector<double>, kKinds> kernels;
  std::array<double, kKinds> weight_total{};
  for (std::size_t k = 0; k < kKinds; ++k) {
    kernels[k] = kernel(c, static_cast<Kind>(k), days);
    for (double x : kernels[k]) weight_total[k] += x;
  }
  out.generation_interval.assign(days, 0.0);
  double band_total = 0;
  for (std::size_t b = 0; b < kAgeBands; ++b) band_total += by_band[b];
  for (std::size_t b = 0; b < kAgeBands; ++b) {
    // Without transmission, the population's mix gives the interval's shape.
    double share = band_total > 0 ? by_band[b] / band_total : 0;
    if (!(band_total > 0)) {
      for (std::size_t st = 0; st < kStatuses; ++st) {
        share += total > 0 ? population[b * kStatuses + st] / total : 0;
      }
    }
    double infectious = 0;
    for (std::size_t k = 0; k < kKinds; ++k) {
      infectious += kind[b][k] * c.multiplier[k] * weight_total[k];
    }
    if (!(infectious > 0)) continue;
    for (std::size_t k = 0; k < kKinds; ++k) {
      const double w = share * kind[b][k] * c.multiplier[k] / infectious;
      for (std::size_t t = 0; t < days; ++t) out.generation_interval[t] += w * kernels[k][t];
    }
  }
  double mass = 0, first = 0;
  for (std::size_t t = 0; t < days; ++t) {
    mass += out.generation_interval[t];
    first += static_cast<double>(t) * out.generation_interval[t];
  }
  if (mass > 0) {
    for (double& g : out.generation_interval) g /= mass;
    out.generation_time_days = first / mass;
  }
  // Euler-Lotka: f(r) = R0 sum_t g(t) e^(-r t) - 1 falls in r; bisection.
  if (r0 > 0 && mass > 0) {
    const auto f = [&](double r) {
      double sum = 0;
      for (std::size_t t = 1; t < days; ++t) {
        sum += out.generation_interval[t] * std::exp(-r * static_cast<double>(t));
      }
      return r0 * sum - 1;
    };
    double lo = -1, hi = 1;
    while (f(lo) < 0 && lo > -700) lo *= 2;
    while (f(hi) > 0 && hi < 700) hi *= 2;
    for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
      const double mid = 0.5 * (lo + hi);
      (f(mid) > 0 ? lo : hi) = mid;
    }
    const double r = 0.5 * (lo + hi);
    out.growth_rate_per_day = r;
    if (r0 > 1 && r > 0) out.doubling_time_days = std::log(2.0) / r;
    if (r0 < 1 && r < 0) out.halving_time_days = std::log(2.0) / -r;
  }
  return out;
}

}  // namespace outbreak::engine
