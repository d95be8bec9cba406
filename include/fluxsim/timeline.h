// SPDX-License-Identifier: Apache-2.0
// One Kustomization's run as a sequence of phases (queued, waiting for a dependency, applying, health
// checking, failed, Ready, ...): contiguous spans from its creation to the end of the run, derived
// from the pass records alone. What Gantt charts draw and what the critical path adds up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fluxsim/time.h"
#include "fluxsim/trace.h"

namespace fluxsim {

/// What a Kustomization is doing (or waiting for) during a span of simulated time.
enum class Phase : std::uint8_t {
  Startup,               ///< just created: its first reconcile only adds the finalizer (--min-retry-delay)
  Queued,                ///< due, but every worker of kustomize-controller is busy (--concurrent)
  WaitingForSource,      ///< the source or its artifact was missing: waiting for the requeue
  WaitingForDependency,  ///< a dependsOn was not Ready: waiting for the next check (--requeue-dependency)
  Applying,              ///< fetch, kustomize build, dry-run, apply; CRD/Namespace/Class stage waits
  HealthChecking,        ///< wait: true / healthChecks: polling until Current
  Failed,                ///< Ready=False after a failed attempt, until the retry (retryInterval)
  Ready,                 ///< Ready=True, idle until its next interval run
  Idle,                  ///< anything else: suspended, or lost to a controller restart
};

const char* to_string(Phase p);

/// [from, to) spent in `phase`; `pass` is the index in RunResult::passes of the pass the span belongs to
/// (Applying, HealthChecking, Queued) or follows (the waits: consecutive waits of one kind are merged and
/// keep the first pass), -1 before the first pass.
struct PhaseSpan {
  Phase phase = Phase::Idle;
  SimTime from{};
  SimTime to{};
  std::int32_t pass = -1;
};

/// A stretch of the run in which apply attempts (passes past the source and dependency checks) overlapped
/// without a gap: the simulated parallel phases, as opposed to the static waves of graph.h.
struct ParallelPhase {
  SimTime from{};
  SimTime to{};
  std::vector<std::size_t> kustomizations;  ///< World indexes, by first apply start in the phase, each once
  int max_parallel = 0;                     ///< most apply attempts running at the same instant
};

/// The parallel phases of apply attempts that started before `until` (kNever: all), in time order. Two
/// attempts share a phase when they overlap (or are chained by attempts that do); one that starts exactly
/// when another ends begins a new phase.
std::vector<ParallelPhase> parallel_phases(const RunResult& result, SimTime until = kNever);

/// The spans of Kustomization `k` (index in World::kustomizations), contiguous and in time order, from its
/// creation to RunResult::ended_at (the horizon for a settled run). Zero-length spans are left out; empty when it was never created or
/// the run was not recorded.
std::vector<PhaseSpan> timeline(const RunResult& result, std::size_t k);

/// timeline() of every Kustomization, indexed like RunResult::kustomizations, in one pass over the passes
/// (calling timeline() for each would read every pass once per Kustomization).
std::vector<std::vector<PhaseSpan>> timelines(const RunResult& result);

}  // namespace fluxsim
