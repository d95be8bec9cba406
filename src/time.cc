// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/time.h"

#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace fluxsim {
namespace {

constexpr std::uint64_t kNanosPerMilli = 1'000'000;

// Unit suffixes accepted by Go's time.ParseDuration, with their length in nanoseconds.
struct Unit {
  std::string_view name;
  std::uint64_t nanos;
};
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
    {"\xCE\xBCs", 1'000},  // U+03BC Greek small letter mu
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60ull * 1'000'000'000},
    {"h", 3600ull * 1'000'000'000},
};

DurationParse fail(std::string_view text, std::string_view why) {
  return {std::nullopt, fmt::format("invalid duration \"{}\": {}", text, why)};
}

}  // namespace

// A transcription of Go's algorithm (src/time/format.go ParseDuration): [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+,
// accumulated in uint64 nanoseconds with the same overflow rules; the special case "0" needs no unit.
DurationParse parse_duration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return {Duration{0}, {}};
  if (s.empty()) return fail(text, "empty");

  constexpr std::uint64_t kMaxNanos = std::uint64_t{1} << 63;  // |math.MinInt64|
  std::uint64_t total = 0;
  while (!s.empty()) {
    if (!(s.front() == '.' || (s.front() >= '0' && s.front() <= '9'))) return fail(text, "expected a number");
    // Integer part.
    std::uint64_t whole = 0;
    std::size_t digits = 0;
    bool overflow = false;
    while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
      if (whole > (kMaxNanos - 1) / 10) overflow = true;
      whole = whole * 10 + static_cast<std::uint64_t>(s.front() - '0');
      if (whole > kMaxNanos) overflow = true;
      s.remove_prefix(1);
      ++digits;
    }
    if (overflow) return fail(text, "out of range");
    // Fraction: keep as many digits as fit, like Go's leadingFraction.
    std::uint64_t frac = 0;
    double scale = 1;
    bool has_fraction = false;
    std::size_t frac_digits = 0;
    if (!s.empty() && s.front() == '.') {
      s.remove_prefix(1);
      has_fraction = true;
      bool frac_overflow = false;
      while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
        ++frac_digits;
        if (!frac_overflow) {
          if (frac > (std::uint64_t{1} << 63) / 10) {
            frac_overflow = true;
          } else {
            std::uint64_t y = frac * 10 + static_cast<std::uint64_t>(s.front() - '0');
            if (y > (std::uint64_t{1} << 63)) {
              frac_overflow = true;
            } else {
              frac = y;
              scale *= 10;
            }
          }
        }
        s.remove_prefix(1);
      }
    }
    if (digits == 0 && frac_digits == 0) return fail(text, "expected a number");
    (void)has_fraction;
    // Unit.
    std::size_t unit_len = 0;
    while (unit_len < s.size() && s[unit_len] != '.' && (s[unit_len] < '0' || s[unit_len] > '9')) ++unit_len;
    if (unit_len == 0) return fail(text, "missing unit (one of ns, us, ms, s, m, h)");
    std::string_view unit_name = s.substr(0, unit_len);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits)
      if (u.name == unit_name) unit = &u;
    if (unit == nullptr) return fail(text, fmt::format("unknown unit \"{}\" (one of ns, us, ms, s, m, h)", unit_name));
    s.remove_prefix(unit_len);

    if (whole > kMaxNanos / unit->nanos) return fail(text, "out of range");
    std::uint64_t v = whole * unit->nanos;
    if (frac > 0) {
      // Go: v += uint64(float64(f) * (float64(unit) / scale)), checked for overflow.
      v += static_cast<std::uint64_t>(static_cast<double>(frac) * (static_cast<double>(unit->nanos) / scale));
      if (v > kMaxNanos) return fail(text, "out of range");
    }
    total += v;
    if (total > kMaxNanos) return fail(text, "out of range");
  }
  if (!negative && total > kMaxNanos - 1) return fail(text, "out of range");
  // Round half away from zero to whole milliseconds.
  std::int64_t ms = static_cast<std::int64_t>((total + kNanosPerMilli / 2) / kNanosPerMilli);
  // ... but never out of the range Go accepts: 2562047h47m16.854775807s would round to a duration whose
  // text does not parse back (found by tests/fuzz/fuzz_duration).
  constexpr auto kMaxMillis = static_cast<std::int64_t>((kMaxNanos - 1) / kNanosPerMilli);
  if (ms > kMaxMillis) ms = kMaxMillis;
  return {Duration{negative ? -ms : ms}, {}};
}

std::string format_duration(Duration d) {
  std::int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out += '-';
    ms = -ms;
  }
  if (ms < 1000) return out + fmt::format("{}ms", ms);
  std::int64_t hours = ms / 3'600'000;
  std::int64_t minutes = (ms / 60'000) % 60;
  std::int64_t seconds = (ms / 1000) % 60;
  std::int64_t millis = ms % 1000;
  if (hours > 0) out += fmt::format("{}h", hours);
  if (minutes > 0 || (hours > 0 && (seconds > 0 || millis > 0))) out += fmt::format("{}m", minutes);
  if (seconds > 0 || millis > 0) {
    if (millis == 0) {
      out += fmt::format("{}s", seconds);
    } else {
      std::string frac = fmt::format("{:03}", millis);
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      out += fmt::format("{}.{}s", seconds, frac);
    }
  }
  return out;
}

}  // namespace fluxsim
