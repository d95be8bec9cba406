// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/capacity.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace fluxsim {

double stretch_factor(const CapacityParams& params, const ControllerLoad& load) {
  if (!(load.cpu_limit > 0)) return 1.0;
  const double demand = params.pass_cpu * std::max(load.working, 0) + params.poll_cpu * std::max(load.waiting, 0);
  const double over = demand / load.cpu_limit;
  if (!(over > 1.0)) return 1.0;
  return over * (1.0 + std::max(params.contention, 0.0) * (over - 1.0));
}

std::optional<double> parse_cpu_quantity(std::string_view text) {
  bool milli = false;
  if (!text.empty() && text.back() == 'm') {
    milli = true;
    text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 32) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !(v >= 0) || v > 1e6) return std::nullopt;
  return milli ? v / 1000.0 : v;
}

Duration stretch(Duration work, double factor) {
  if (factor == 1.0 || work.count() <= 0) return work;
  const double ms = static_cast<double>(work.count()) * factor;
  // Bounded so a pathological factor cannot overflow the clock (a year of simulated time).
  return Duration{static_cast<std::int64_t>(std::llround(std::min(ms, 3.15e10)))};
}

Duration stretch_work(Duration total, Duration work, double factor) {
  const Duration cpu = std::min(total, std::max(work, Duration{0}));
  return total - cpu + stretch(cpu, factor);
}

}  // namespace fluxsim
