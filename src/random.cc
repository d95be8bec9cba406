// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/random.h"

#include <cmath>
#include <numbers>

namespace fluxsim {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Rng::Rng(std::uint64_t seed) {
  for (std::uint64_t& word : s_) word = splitmix64(seed);
}

Rng Rng::stream(std::uint64_t seed, std::uint64_t run, std::uint64_t key) {
  std::uint64_t mix = seed;
  std::uint64_t a = splitmix64(mix) ^ run;
  std::uint64_t b = splitmix64(a) ^ key;
  return Rng(splitmix64(b));
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::uniform_open0() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }

double Rng::standard_normal() {
  double u1 = uniform_open0();
  double u2 = uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace fluxsim
