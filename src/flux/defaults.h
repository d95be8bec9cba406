// SPDX-License-Identifier: Apache-2.0
// Flux's defaults and timing formulas, each written once (flux-semantics.md §3, §6.4, §9, §10).
// Pure functions and constants: the engine, check, explain and the reports all read them from here.
#pragma once

#include <optional>

#include "fluxsim/time.h"

namespace fluxsim::flux {

// --- kustomize-controller (§6.4, §9) ---------------------------------------------------------------

/// The floor of GetTimeout(), also applied to an explicit smaller spec.timeout.
inline constexpr Duration kMinTimeout{30'000};

/// GetTimeout(): spec.timeout when set, else spec.interval − 30s; at least 30s either way.
Duration kustomization_timeout(std::optional<Duration> timeout, Duration interval);

/// GetRetryInterval(): spec.retryInterval when set, else spec.interval.
Duration kustomization_retry_interval(std::optional<Duration> retry_interval, Duration interval);

// --- helm-controller (§10) --------------------------------------------------------------------------

inline constexpr Duration kHelmReleaseTimeout{300'000};        ///< spec.timeout default (5m)
inline constexpr Duration kHelmReleaseRetryInterval{300'000};  ///< spec.retryInterval default (RetryOnFailure)
inline constexpr Duration kHelmInstallTime{45'000};            ///< fluxsim's default Helm install with its wait

// --- every controller (§3) --------------------------------------------------------------------------

inline constexpr Duration kMinRetryDelay{750};      ///< --min-retry-delay
inline constexpr Duration kMaxRetryDelay{900'000};  ///< --max-retry-delay (15m)
inline constexpr int kIntervalJitterPercent = 5;    ///< --interval-jitter-percentage

/// Leader election (§11; fluxcd/pkg runtime/leaderelection flags, all controllers run with
/// --enable-leader-election): --leader-election-lease-duration. A candidate takes over a lease it has
/// seen unchanged for this long; a crashed leader's successor therefore waits this long after it first
/// reads the lease, while a graceful shutdown releases the lease (--leader-election-release-on-cancel).
inline constexpr Duration kLeaseDuration{35'000};
inline constexpr Duration kRenewDeadline{30'000};  ///< --leader-election-renew-deadline
inline constexpr Duration kRetryPeriod{5'000};     ///< --leader-election-retry-period

/// The per-item exponential rate limiter: after `previous_failures` consecutive failures already
/// counted, the next requeue waits 750ms·2^n, at most 15m.
Duration rate_limited_delay(int previous_failures);

/// A success requeue with ±percent jitter (fluxcd/pkg runtime/jitter): `interval` times a factor uniform
/// in [1 − p, 1 + p], `u01` being a uniform sample in [0, 1). Rounded to the millisecond.
Duration jittered(Duration interval, int percent, double u01);

}  // namespace fluxsim::flux
