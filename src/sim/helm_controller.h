// SPDX-License-Identifier: Apache-2.0
// helm-controller's reconcile, as transitions (flux-semantics.md §10): pure steps that read what the
// controller reads and say what happens next; Run (helm_controller.cc) applies them. A pass:
//
//   dequeue -> [finalizer? requeue after --min-retry-delay] -> [suspended or Stalled? stop] -> create the
//     HelmChart (first pass) -> dependsOn Ready? (no: DependencyNotReady, --requeue-dependency) -> chart
//     artifact? (no: SourceNotReady, --requeue-dependency ± jitter; the chart's watch re-triggers it) ->
//     installed? (yes: nothing to do, interval ± jitter) -> Helm install: render and apply the chart
//     (creating the objects it makes, and with install.createNamespace its target namespace), then its
//     wait for them, bounded by install.timeout (else spec.timeout, 5m); install.disableWait: no wait ->
//     Ready=True, interval ± jitter
//     | install failed before Helm stored a release (the chart's objects cannot be built: a kind not
//       served) -> an error: the rate limiter's backoff, not counted against the retries, never Stalled
//     | install failed -> RetryOnFailure: retryInterval ± jitter; retries left (negative: unlimited):
//       remediate, rate-limited requeue; retries exhausted: Stalled=True RetriesExceeded, nothing retries it.
#pragma once

#include <cstdint>

#include "fluxsim/scenario.h"
#include "fluxsim/time.h"
#include "fluxsim/trace.h"

namespace fluxsim::sim::helm {

enum class Step : std::uint8_t {
  AddFinalizer,        ///< first reconcile: only the finalizer, requeue --min-retry-delay
  Suspended,           ///< spec.suspend, or Stalled: nothing happens, nothing requeues it
  DependencyNotReady,  ///< Ready=False DependencyNotReady, requeue --requeue-dependency
  ChartNotReady,       ///< Ready=False SourceNotReady, requeue --requeue-dependency ± jitter
  UpToDate,            ///< installed and in sync: no Helm action, Ready stays True
  Install,             ///< run the Helm install with its wait
  Installed,           ///< Ready=True InstallSucceeded
  RetryOnFailure,      ///< install failed, strategy RetryOnFailure: retry after retryInterval ± jitter
  InstallError,        ///< install failed before Helm stored a release: returned error, rate-limited requeue
  Remediate,           ///< install failed, retries left: uninstall, then a rate-limited requeue
  Stalled,             ///< install failed, retries exhausted: Stalled=True RetriesExceeded
};

/// The effect of a step. When it ends the pass: `outcome`, and the requeue it asks for (0: none);
/// `jitter`: `requeue` still gets ± --interval-jitter-percentage; `rate_limited`: the requeue is the rate
/// limiter's (750ms·2^n) instead.
struct Effect {
  Step step;
  PassOutcome outcome = PassOutcome::Running;
  Duration requeue{0};
  bool jitter = false;
  bool rate_limited = false;
  bool ends_pass() const { return outcome != PassOutcome::Running; }
};

/// Controller flags and the HelmRelease's own settings.
struct Context {
  const HelmControllerSettings& settings;
  Duration interval{};
  Duration timeout{};
  Duration retry_interval{};
  int retries = 0;                ///< install.remediation.retries; negative: unlimited
  bool retry_on_failure = false;  ///< install.strategy RetryOnFailure
};

struct Dequeued {
  bool finalized = false;
  bool suspended = false;
  bool stalled = false;
  int unready_dependency = -1;      ///< index in spec.dependsOn of the first dependency not ready, -1: none
  bool dependency_stalled = false;  ///< its readyExpr is invalid CEL: Stalled InvalidCELExpression, no requeue
  bool chart_ready = true;          ///< its HelmChart / OCIRepository has an artifact (or is outside the world)
  bool installed = false;           ///< installed before and Ready=True
};
Effect on_dequeue(const Dequeued& in, const Context& ctx);

/// How a Helm install with its wait ends, and when: it succeeds when everything is Current (`done`),
/// fails early when something is Failed first (`failed`), and gives up at the timeout.
enum class InstallEnd : std::uint8_t { Succeeded, FailedEarly, TimedOut };
struct InstallOutcome {
  InstallEnd end;
  SimTime at;
};
InstallOutcome install_outcome(SimTime started, SimTime done, SimTime failed, Duration timeout);

/// The install finished; `stored_release`: Helm stored a release before it failed (only such a failure
/// counts for remediation); `failures` counts consecutive failed installs that stored one, this one
/// included.
Effect on_install_finished(bool success, bool stored_release, int failures, const Context& ctx);

}  // namespace fluxsim::sim::helm
