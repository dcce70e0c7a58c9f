// Internal to the engine: the course of one infection, drawn per case.
//
// A case's course is a pure function of (seed, agent, age band): three
// Philox calls keyed by the agent give its durations, its severity and (for
// hospital cases) its hospital stay, so nothing about a case has to be drawn
// twice or in any particular order. docs/model.md#natural-history gives the
// model; this file turns the scenario into tables once per simulation.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "outbreak/engine/distributions.hpp"
#include "outbreak/engine/scenario.hpp"

namespace outbreak::engine {

// Days of a case's course, counted from its infection day; kNoEvent if it
// never happens. Invariants: 1 <= latent <= incubation < end; for hospital
// cases incubation <= hospital < discharge (the day it leaves hospital,
// recovered or dead) and hospital <= critical < discharge when critical.
struct Course {
  static constexpr int kNoEvent = -1;
  int latent = 0;      // first infectious day
  int incubation = 0;  // symptom onset (also the reference day of an asymptomatic case's profile)
  int end = 0;         // first day no longer infectious
  int hospital = kNoEvent;
  int critical = kNoEvent;
  int discharge = kNoEvent;  // leaves hospital
  int resolved = 0;          // recovered or dead: end, or discharge for hospital cases
  std::uint32_t slice = 0;   // the infectiousness multiplier's slice
  bool symptomatic = false;
  bool dies = false;
};

class NaturalHistory {
 public:
  // Longest duration of one stage, and so the furthest day of a course
  // measured from its infection: stages are capped so that a course fits
  // the engine's 8-bit day offsets and its rings.
  static constexpr int kMaxStageDays = 120;
  static constexpr int kMaxCourseDays = 5 * kMaxStageDays;
  // Profile offsets from symptom onset span [-kProfileSpan, kProfileSpan].
  static constexpr int kProfileSpan = 2 * kMaxStageDays;
  // Infectiousness buckets by multiplier slice (see bucket()).
  static constexpr int kBuckets = 8;

  explicit NaturalHistory(const Scenario& scenario);

  // The first part of a course (everything the transmission needs), from
  // one keyed draw; severity and hospital stay are filled by complete().
  Course draw(std::uint64_t seed, std::uint32_t agent, std::size_t band) const;
  // Adds severity (and the hospital stay of a hospital case) to `course`.
  void complete(std::uint64_t seed, std::uint32_t agent, std::size_t band, Course& course) const;

  // Relative infectiousness `offset` days after symptom onset (1 at the peak
  // of the profile; 1 everywhere for a flat profile).
  double profile(int offset) const { return profile_[static_cast<std::size_t>(offset + kProfileSpan)]; }
  bool flat_profile() const { return flat_profile_; }
  // The individual multiplier of a slice (mean 1 over all slices).
  double multiplier(std::uint32_t slice) const { return multiplier_.value_of_slice(slice); }
  bool varies() const { return varies_; }
  // Buckets group slices with comparable multipliers: slices [begin(b),
  // begin(b + 1)); the largest multiplier of bucket b is bucket_max(b).
  static int bucket(std::uint32_t slice);
  static std::uint32_t bucket_begin(int b);
  double bucket_max(int b) const { return bucket_max_[static_cast<std::size_t>(b)]; }

 private:
  DayDistribution incubation_;
  DayDistribution presymptomatic_;
  DayDistribution after_onset_;
  DayDistribution hospital_delay_;
  DayDistribution hospital_stay_;
  DayDistribution critical_delay_;
  DayDistribution critical_stay_;
  GammaMultiplier multiplier_;
  bool varies_ = false;
  bool flat_profile_ = true;
  bool flat_mortality_ = false;
  std::vector<double> profile_;
  std::array<double, kBuckets> bucket_max_{};
  // Per band, thresholds on a 32-bit word: the event happens iff word < threshold.
  std::array<std::uint64_t, kAgeBands> symptomatic_{};
  std::array<std::uint64_t, kAgeBands> hospital_{};  // given symptoms
  std::array<std::uint64_t, kAgeBands> critical_{};  // given hospital
  std::array<std::uint64_t, kAgeBands> dies_{};      // given hospital, or given symptoms (flat)
};

}  // namespace outbreak::engine
