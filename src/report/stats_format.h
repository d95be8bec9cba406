// SPDX-License-Identifier: Apache-2.0
// Internal to src/report/: how a Stats (monte_carlo.h) is printed — as a JSON object for the
// machine-readable reports and as compact text for tables and Markdown. One place, so the Monte Carlo,
// sweep and diff reports print percentiles identically.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fluxsim/monte_carlo.h"
#include "fluxsim/time.h"

namespace fluxsim::report_detail {

using Json = nlohmann::ordered_json;

/// Milliseconds as an integer (means are rounded to the nearest millisecond).
inline std::int64_t whole_ms(double ms) { return static_cast<std::int64_t>(std::llround(ms)); }

/// A fraction or count rounded to `decimals` places, so JSON does not carry binary noise.
inline double rounded(double x, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(x * scale) / scale;
}

/// {"p50","p90","p99","min","max","mean"} in integer milliseconds; null when absent.
inline Json stats_ms_json(const std::optional<Stats>& s) {
  if (!s) return Json(nullptr);
  return Json{{"p50", whole_ms(s->p50)}, {"p90", whole_ms(s->p90)}, {"p99", whole_ms(s->p99)},
              {"min", whole_ms(s->min)}, {"max", whole_ms(s->max)}, {"mean", whole_ms(s->mean)}};
}

/// The same shape for dimensionless values (utilisation, attempts, queue depth).
inline Json stats_json(const std::optional<Stats>& s, int decimals) {
  if (!s) return Json(nullptr);
  return Json{{"p50", rounded(s->p50, decimals)}, {"p90", rounded(s->p90, decimals)},
              {"p99", rounded(s->p99, decimals)}, {"min", rounded(s->min, decimals)},
              {"max", rounded(s->max, decimals)}, {"mean", rounded(s->mean, decimals)}};
}

/// One worker pool's statistics over the runs, as the Monte Carlo and sweep JSON reports print it.
inline Json pool_json(const PoolStats& p) {
  Json w;
  w["pool"] = p.pool;
  w["workers"] = p.workers;
  w["utilisation"] = stats_json(p.utilisation, 4);
  w["saturatedMs"] = stats_ms_json(p.saturated_ms);
  if (p.longest_wait_ms) w["longestWaitMs"] = stats_ms_json(p.longest_wait_ms);
  if (p.max_queue_depth) w["maxQueueDepth"] = stats_json(p.max_queue_depth, 3);
  return w;
}

/// A time in milliseconds as a Go duration ("1m30.5s").
inline std::string dur(double ms) { return format_duration(Duration{whole_ms(ms)}); }

/// A fraction as a whole percentage ("87%"); one decimal below 1% or above 99% so that 99.9% is not
/// shown as 100%.
inline std::string percent(double fraction) {
  const double p = 100.0 * fraction;
  if (p > 0 && p < 1) return fmt::format("{:.1f}%", std::ceil(p * 10) / 10);
  if (p > 99 && p < 100) return fmt::format("{:.1f}%", std::floor(p * 10) / 10);
  return fmt::format("{:.0f}%", p);
}

}  // namespace fluxsim::report_detail
