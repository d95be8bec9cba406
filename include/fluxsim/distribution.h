// SPDX-License-Identifier: Apache-2.0
// A duration that may be uncertain: fixed, uniform(a, b), normal(mean, sd) truncated at 0,
// lognormal(median, sigma) or exponential(mean). Plain data; sampled from an Rng stream.
#pragma once

#include <string>
#include <string_view>

#include "fluxsim/random.h"
#include "fluxsim/time.h"

namespace fluxsim {

struct Distribution {
  enum class Kind { Fixed, Uniform, Normal, LogNormal, Exponential };
  Kind kind = Kind::Fixed;
  Duration a{0};      ///< Fixed: the value; Uniform: low; Normal: mean; LogNormal: median; Exponential: mean
  Duration b{0};      ///< Uniform: high; Normal: standard deviation
  double sigma = 0;   ///< LogNormal: sigma of the underlying normal

  static Distribution fixed(Duration d) { return {Kind::Fixed, d, Duration{0}, 0}; }
  bool is_fixed() const { return kind == Kind::Fixed; }

  /// Draws one value, rounded to whole milliseconds, never negative. Fixed draws consume no randomness.
  Duration sample(Rng& rng) const;
  /// The distribution's median (its value when fixed): what a static analysis assumes.
  Duration median() const;

  friend bool operator==(const Distribution&, const Distribution&) = default;
};

/// Result of parsing a distribution: the value, or a message.
struct DistributionParse {
  Distribution value;
  std::string error;  ///< empty on success
};

/// Parses "45s", "uniform(20s, 60s)", "normal(1m, 10s)", "lognormal(45s, 0.3)", "exponential(30s)".
DistributionParse parse_distribution(std::string_view text);

/// The inverse of parse_distribution.
std::string to_string(const Distribution& d);

}  // namespace fluxsim
