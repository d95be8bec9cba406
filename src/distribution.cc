// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/distribution.h"

#include <cmath>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

namespace fluxsim {
namespace {

Duration round_ms(double ms) {
  if (!(ms > 0)) return Duration{0};  // also maps NaN to 0
  if (ms > 9.0e15) ms = 9.0e15;       // far beyond any horizon; keeps the cast defined
  return Duration{static_cast<std::int64_t>(std::llround(ms))};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Duration Distribution::sample(Rng& rng) const {
  switch (kind) {
    case Kind::Fixed: return a;
    case Kind::Uniform: {
      double lo = static_cast<double>(a.count()), hi = static_cast<double>(b.count());
      return round_ms(lo + (hi - lo) * rng.uniform01());
    }
    case Kind::Normal:
      return round_ms(static_cast<double>(a.count()) + static_cast<double>(b.count()) * rng.standard_normal());
    case Kind::LogNormal:
      return round_ms(static_cast<double>(a.count()) * std::exp(sigma * rng.standard_normal()));
    case Kind::Exponential:
      return round_ms(-static_cast<double>(a.count()) * std::log(rng.uniform_open0()));
  }
  return a;
}

Duration Distribution::median() const {
  switch (kind) {
    case Kind::Fixed: return a;
    case Kind::Uniform: return Duration{(a.count() + b.count()) / 2};
    case Kind::Normal: return a.count() > 0 ? a : Duration{0};
    case Kind::LogNormal: return a;
    case Kind::Exponential: return round_ms(static_cast<double>(a.count()) * std::log(2.0));
  }
  return a;
}

DistributionParse parse_distribution(std::string_view text) {
  std::string_view s = trim(text);
  auto fail = [&](std::string why) {
    return DistributionParse{{}, fmt::format("invalid duration or distribution \"{}\": {}", text, why)};
  };
  std::size_t open = s.find('(');
  if (open == std::string_view::npos) {
    DurationParse d = parse_duration(s);
    if (!d.value) return {{}, d.error};
    if (d.value->count() < 0) return fail("must not be negative");
    return {Distribution::fixed(*d.value), {}};
  }
  if (s.back() != ')') return fail("missing closing parenthesis");
  std::string_view name = trim(s.substr(0, open));
  std::string_view inside = s.substr(open + 1, s.size() - open - 2);
  std::vector<std::string_view> args;
  while (true) {
    std::size_t comma = inside.find(',');
    args.push_back(trim(inside.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    inside.remove_prefix(comma + 1);
  }
  auto duration_arg = [&](std::size_t i, Duration& out, std::string& err) {
    DurationParse d = parse_duration(args[i]);
    if (!d.value) {
      err = d.error;
      return false;
    }
    if (d.value->count() < 0) {
      err = fmt::format("argument \"{}\" must not be negative", args[i]);
      return false;
    }
    out = *d.value;
    return true;
  };
  Distribution d;
  std::string err;
  if (name == "uniform" || name == "normal") {
    if (args.size() != 2) return fail(fmt::format("{} takes two durations", name));
    d.kind = name == "uniform" ? Distribution::Kind::Uniform : Distribution::Kind::Normal;
    if (!duration_arg(0, d.a, err) || !duration_arg(1, d.b, err)) return fail(err);
    if (d.kind == Distribution::Kind::Uniform && d.b < d.a) return fail("uniform(a, b) needs a <= b");
  } else if (name == "lognormal") {
    if (args.size() != 2) return fail("lognormal takes a median duration and a sigma");
    d.kind = Distribution::Kind::LogNormal;
    if (!duration_arg(0, d.a, err)) return fail(err);
    std::string sig(args[1]);
    char* end = nullptr;
    d.sigma = std::strtod(sig.c_str(), &end);
    if (sig.empty() || end != sig.c_str() + sig.size() || !(d.sigma >= 0) || !std::isfinite(d.sigma))
      return fail(fmt::format("sigma \"{}\" must be a non-negative number", sig));
  } else if (name == "exponential") {
    if (args.size() != 1) return fail("exponential takes one duration (the mean)");
    d.kind = Distribution::Kind::Exponential;
    if (!duration_arg(0, d.a, err)) return fail(err);
  } else {
    return fail(fmt::format("unknown distribution \"{}\" (uniform, normal, lognormal, exponential)", name));
  }
  return {d, {}};
}

std::string to_string(const Distribution& d) {
  switch (d.kind) {
    case Distribution::Kind::Fixed: return format_duration(d.a);
    case Distribution::Kind::Uniform: return fmt::format("uniform({}, {})", format_duration(d.a), format_duration(d.b));
    case Distribution::Kind::Normal: return fmt::format("normal({}, {})", format_duration(d.a), format_duration(d.b));
    case Distribution::Kind::LogNormal: return fmt::format("lognormal({}, {})", format_duration(d.a), d.sigma);
    case Distribution::Kind::Exponential: return fmt::format("exponential({})", format_duration(d.a));
  }
  return {};
}

}  // namespace fluxsim
