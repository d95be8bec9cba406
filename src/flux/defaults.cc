// SPDX-License-Identifier: Apache-2.0
#include "flux/defaults.h"

#include <algorithm>
#include <cmath>

namespace fluxsim::flux {

Duration kustomization_timeout(std::optional<Duration> timeout, Duration interval) {
  const Duration t = timeout ? *timeout : interval - kMinTimeout;
  return std::max(t, kMinTimeout);
}

Duration kustomization_retry_interval(std::optional<Duration> retry_interval, Duration interval) {
  return retry_interval.value_or(interval);
}

Duration rate_limited_delay(int previous_failures) {
  Duration delay = kMinRetryDelay;
  for (int i = 0; i < previous_failures && delay < kMaxRetryDelay; ++i) delay *= 2;
  return std::min(delay, kMaxRetryDelay);
}

Duration jittered(Duration interval, int percent, double u01) {
  const double p = static_cast<double>(percent) / 100.0;
  const double factor = 1.0 + p * (2.0 * u01 - 1.0);
  return Duration{static_cast<std::int64_t>(std::llround(static_cast<double>(interval.count()) * factor))};
}

}  // namespace fluxsim::flux
