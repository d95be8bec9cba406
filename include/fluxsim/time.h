// SPDX-License-Identifier: Apache-2.0
// Simulated time: integer milliseconds, so simultaneous events tie exactly. Durations are written in
// Go syntax ("1m30s"), as Flux writes them; this is the one place that parses and prints them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fluxsim {

/// A span of simulated time, in milliseconds.
using Duration = std::chrono::milliseconds;

/// The clock of one simulated run. Its epoch is the start of the run (the bootstrap).
struct SimClock {
  using duration = Duration;
  using rep = Duration::rep;
  using period = Duration::period;
  using time_point = std::chrono::time_point<SimClock, Duration>;
  static constexpr bool is_steady = true;
};

/// An instant of simulated time, in milliseconds since the start of the run.
using SimTime = SimClock::time_point;

/// Sentinel for "never happens" (for example an object that never becomes Current).
inline constexpr SimTime kNever = SimTime::max();

/// Milliseconds since the start of the run: the unit of every time field in the JSON report.
constexpr std::int64_t to_ms(SimTime t) { return t.time_since_epoch().count(); }
constexpr SimTime at_ms(std::int64_t ms) { return SimTime{Duration{ms}}; }

/// Result of parsing a Go duration: the value, or a message saying what is wrong with the text.
struct DurationParse {
  std::optional<Duration> value;
  std::string error;  ///< empty when value is set
};

/// Parses a duration exactly as Go's time.ParseDuration does ("300ms", "-1.5h", "2h45m", "1µs", "0"),
/// then rounds to the nearest millisecond (fluxsim's resolution). Overflow is an error, as in Go.
DurationParse parse_duration(std::string_view text);

/// Prints a duration compactly in Go units: "0s", "750ms", "1.5s", "45s", "1m30s", "2h", "2h0m5s".
std::string format_duration(Duration d);

/// Prints an instant as the duration since the start of the run ("1m30.5s").
inline std::string format_time(SimTime t) { return format_duration(t.time_since_epoch()); }

}  // namespace fluxsim
