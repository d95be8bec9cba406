// SPDX-License-Identifier: Apache-2.0
// Portable, splittable randomness. Every random draw in fluxsim comes from an Rng stream keyed by
// (seed, run, what is being drawn), so an object's samples do not depend on how many other objects
// exist, in which order runs execute, or how many threads run them. The algorithms are written out
// here (SplitMix64 seeding, xoshiro256**) because std:: distributions differ between standard libraries.
#pragma once

#include <cstdint>
#include <string_view>

namespace fluxsim {

/// 64-bit FNV-1a of a string: the stable key hash used to name random streams.
constexpr std::uint64_t stable_hash(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

/// xoshiro256** seeded through SplitMix64. A value type: copy it to fork a stream.
class Rng {
 public:
  /// The stream for `key` in run `run` of a scenario with seed `seed`.
  static Rng stream(std::uint64_t seed, std::uint64_t run, std::uint64_t key);
  static Rng stream(std::uint64_t seed, std::uint64_t run, std::string_view key) {
    return stream(seed, run, stable_hash(key));
  }

  explicit Rng(std::uint64_t seed);

  std::uint64_t next();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform01();
  /// Uniform in (0, 1]: safe to take the logarithm of.
  double uniform_open0();
  /// Standard normal (Box-Muller; one value per call, the pair's second half is discarded so that a
  /// stream's n-th sample is always from the same draws).
  double standard_normal();

 private:
  std::uint64_t s_[4];
};

}  // namespace fluxsim
