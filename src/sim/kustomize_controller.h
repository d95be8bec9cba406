// SPDX-License-Identifier: Apache-2.0
// kustomize-controller's reconcile, as transitions: each step of a pass reads what the controller would
// read (the input) under its settings (the context) and says what happens next (the effect). They are
// pure; Run (kustomize_controller.cc) applies the effect: status, trace, requeue, calendar. The pass is
// the sequence of flux-semantics.md §1:
//
//   dequeue -> [finalizer? requeue after --min-retry-delay] -> [suspended? stop] -> source exists?
//     (no: ArtifactFailed, retryInterval) -> artifact? (no: ArtifactFailed, --requeue-dependency) ->
//     dependsOn Ready? (no: DependencyNotReady, --requeue-dependency) -> Ready=Unknown; build ->
//     stage 1 (CRDs, Namespaces, ClusterRoles: dry-run, apply, wait <= 60s) -> stage 2 (*Class: same)
//     -> stage 4 (the rest: dry-run all, then apply one by one; children are created here) -> health
//     checks (wait / healthChecks, poll 5s, fail fast, timeout) -> Ready=True, requeue interval ± jitter
//     | any failure -> Ready=False, requeue retryInterval.
//
// The worker is held from dequeue to the end of the pass. Nothing wakes a Kustomization whose
// dependency becomes Ready: it polls on its own --requeue-dependency, the latency fluxsim exists to show.
#pragma once

#include <cstdint>

#include "fluxsim/scenario.h"
#include "fluxsim/time.h"
#include "fluxsim/trace.h"

namespace fluxsim::sim::kustomize {

/// What happens next in a pass.
enum class Step : std::uint8_t {
  AddFinalizer,        ///< first reconcile of a new object: only the finalizer, requeue --min-retry-delay
  Suspended,           ///< spec.suspend: nothing is reconciled and nothing requeues it
  SourceNotFound,      ///< Ready=False ArtifactFailed, requeue retryInterval
  ArtifactNotReady,    ///< Ready=False ArtifactFailed, requeue --requeue-dependency
  DependencyNotReady,  ///< Ready=False DependencyNotReady, requeue --requeue-dependency
  Build,               ///< an apply attempt starts: Ready=Unknown, Reconciling=True, build
  BuildFailed,         ///< the build fails (or the source is not mapped offline): retryInterval
  ApplyFailed,         ///< a dry-run, an apply or a stage wait failed: retryInterval
  ApplyStage,          ///< dry-run and apply the next non-empty stage
  WaitAgain,           ///< the wait goes on: poll again
  StartHealthCheck,    ///< everything applied; the health check starts
  HealthCheckFailed,   ///< health check timed out or failed fast: retryInterval
  Ready,               ///< Ready=True, requeue interval ± jitter
};

/// The effect of a step. When the step ends the pass, `outcome` is how and `requeue` the delay it asks
/// for (0: none); `jitter` means `requeue` is the interval still to be jittered (--interval-jitter-percentage).
struct Effect {
  Step step;
  PassOutcome outcome = PassOutcome::Running;
  Duration requeue{0};
  bool jitter = false;
  bool ends_pass() const { return outcome != PassOutcome::Running; }
};

/// The settings a step reads: controller flags and the Kustomization's own timings.
struct Context {
  const KustomizeControllerSettings& settings;
  Duration interval{};
  Duration retry_interval{};
};

/// Why a pass asked for its requeue, as the trace says it ("interval", "--requeue-dependency", ...).
MessageKind requeue_reason(PassOutcome outcome);

/// A worker dequeued the Kustomization.
struct Dequeued {
  bool finalized = false;
  bool suspended = false;
  bool source_exists = false;
  bool artifact = false;
  int unready_dependency = -1;      ///< index in spec.dependsOn of the first dependency not ready, -1: none
  bool dependency_stalled = false;  ///< its readyExpr is invalid CEL: Stalled InvalidCELExpression, no requeue
};
Effect on_dequeue(const Dequeued& in, const Context& ctx);

/// The build finished.
struct Built {
  bool build_failure = false;    ///< every build of this path fails (the loader said why)
  bool source_unmapped = false;  ///< the source has no directory of this checkout behind it
  int fail_applies_left = 0;     ///< injected failApplies still to fail
};
Effect on_built(const Built& in, const Context& ctx);

/// The server-side dry-run of a stage: every object's kind served and namespace present.
Effect on_dry_run(bool every_object_passes, const Context& ctx);

/// A poll of a wait (a stage wait or the health check).
struct Poll {
  bool all_current = false;
  bool any_failed = false;
  bool deadline_reached = false;
};
/// Stage 1 and 2 waits: all Current -> the next stage; deadline -> ApplyFailed; else wait.
Effect on_stage_poll(const Poll& in, const Context& ctx);
/// Everything applied: a health check if wait or healthChecks is set, else Ready.
Effect on_applied(bool checks_health, const Context& ctx);
/// Health check: deadline -> failed; all Current -> Ready; any Failed -> failed (fail fast); else wait.
Effect on_health_poll(const Poll& in, const Context& ctx);

}  // namespace fluxsim::sim::kustomize
