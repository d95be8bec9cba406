// SPDX-License-Identifier: Apache-2.0
// The critical path of a run: the chain of Kustomizations that decided the time to full readiness,
// found by walking back from the last one to become Ready through what actually released it (the
// parent that created it, the dependency it was polling, the child its health check waited for), each
// step split into where its time went. Pure function of (World, Scenario, RunResult).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "fluxsim/graph.h"
#include "fluxsim/model.h"
#include "fluxsim/scenario.h"
#include "fluxsim/time.h"
#include "fluxsim/trace.h"

namespace fluxsim {

/// Where time went; the parts add up to total().
struct TimeParts {
  Duration startup{0};     ///< new object: its first pass only adds the finalizer (--min-retry-delay)
  Duration worker{0};      ///< due, but every worker busy (--concurrent)
  Duration dependency{0};  ///< waiting for the next dependsOn check (--requeue-dependency)
  Duration source{0};      ///< waiting for the source artifact
  Duration apply{0};       ///< fetch, build, dry-run and apply, CRD/Namespace/Class stage waits included
  Duration health{0};      ///< health checks (wait: true, healthChecks)
  Duration retry{0};       ///< Ready=False after a failed attempt, until its retry (retryInterval)
  Duration other{0};       ///< idle: Ready between runs, suspended, lost to a controller restart

  Duration total() const;
  TimeParts& operator+=(const TimeParts& o);
};

/// "dependency 29s, apply 1.02s, health 30s": the non-zero parts, largest first (ties in field order).
std::string to_string(const TimeParts& parts);

/// The parts as (name, duration) pairs in field order, zeros included: "startup", "worker", "dependency",
/// "source", "apply", "health", "retry", "other" (the JSON keys).
std::vector<std::pair<const char*, Duration>> named_parts(const TimeParts& parts);

/// How a step was released by the step before it.
enum class Gate : std::uint8_t {
  Start,        ///< the first step: created by flux bootstrap
  Parent,       ///< created when the previous step (its parent) applied it
  Dependency,   ///< the previous step was the dependsOn entry that turned Ready last
  HealthCheck,  ///< its health check was waiting for the previous step (a Kustomization it applies)
};

const char* to_string(Gate g);

/// One link of the chain: Kustomization `kustomization` over [from, to).
struct CriticalStep {
  NodeId kustomization = 0;
  Gate gate = Gate::Start;
  SimTime from{};         ///< the previous step's `to` (0 for the first step)
  SimTime to{};           ///< when it released the next step, or became Ready (the last step)
  TimeParts parts;        ///< adds up to to - from
  /// When it waited for a worker: the Kustomization whose pass freed the worker it got after its longest
  /// wait; -1 when it never waited.
  std::int32_t worker_freed_by = -1;
  int failed_attempts = 0;   ///< apply attempts within the step that failed
  std::string last_failure;  ///< "Reason: message" of the last of them
  /// A Kustomization that a failed health check of this step waited on, and that spent most of that
  /// check waiting for a worker (every worker held, typically by health checks like this one); -1: none.
  std::int32_t starved_child = -1;
};

struct CriticalPath {
  std::vector<CriticalStep> steps;  ///< first (the root, t=0) to last (the last to become Ready)
  /// When the last Kustomization that became Ready did: the time to full readiness when `complete`;
  /// kNever (and no steps) when none became Ready.
  SimTime end = kNever;
  /// Every Kustomization became Ready. When false, the path leads to the last one that did, and the
  /// summary first names those that never did.
  bool complete = false;
  TimeParts parts;                  ///< the sum over steps: adds up to `end`
  /// One line naming the dominant cause and the Flux knob to turn, e.g. "62% of the 7m12s is dependency
  /// polling (...): consider --requeue-dependency=5s"; says why there is no path when `end` is kNever.
  std::string summary;

  /// The Kustomizations of the chain in order (a Kustomization may appear twice: a parent that created
  /// a child, then waited for it in its health check).
  std::vector<NodeId> nodes() const;
};

/// The critical path of a recorded run (EngineOptions::record). Never throws on odd input: a chain it
/// cannot extend simply starts at the step it reached.
CriticalPath critical_path(const World& world, const Scenario& scenario, const RunResult& result);

}  // namespace fluxsim
