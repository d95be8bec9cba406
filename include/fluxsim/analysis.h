// SPDX-License-Identifier: Apache-2.0
// Reading a RunResult: where each Kustomization's time went before it became Ready (waiting for a
// worker, polling a dependency, waiting for the source, retry delays, building and applying, health
// checks) and which expectations of the scenario held. Pure functions of (World, Scenario, RunResult).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fluxsim/critical_path.h"
#include "fluxsim/graph.h"
#include "fluxsim/model.h"
#include "fluxsim/scenario.h"
#include "fluxsim/timeline.h"
#include "fluxsim/trace.h"

namespace fluxsim {

/// How one Kustomization spent the time from its creation to its first Ready (or to the end of the
/// run when it never became Ready). The parts add up to that span.
struct TimeSplit {
  Duration creation{0};     ///< creation until its first real pass was due (finalizer requeue)
  Duration worker{0};       ///< due, but every worker busy
  Duration dependency{0};   ///< requeued by DependencyNotReady (--requeue-dependency polls)
  Duration source{0};       ///< requeued because the source or its artifact was missing
  Duration retry{0};        ///< requeued after a failed attempt (retryInterval)
  Duration build{0};        ///< fetch, kustomize build and dry-run
  Duration apply{0};        ///< writing objects, CRD/Namespace/Class stage waits included
  Duration health{0};       ///< health checks (wait / healthChecks)
  Duration other{0};        ///< anything else (for example waiting after a controller restart)
  std::int32_t main_dependency = -1;  ///< the dependency polled on longest (World index), -1 if none
  Duration main_dependency_wait{0};
  Duration total() const;
};

TimeSplit split_time(const World& world, const RunResult& result, std::size_t kustomization);

/// "dependency tekton-base (1m0s)", "worker (35s)", ... or "-" when nothing was waited on.
std::string longest_wait(const World& world, const TimeSplit& split);

/// One expectation of the scenario and whether the run met it.
struct ExpectationResult {
  std::string expect;   ///< as written: "allReadyWithin 15m", "ready tekton-tasks", "before tekton-base tekton-tasks"
  bool met = false;
  std::string detail;   ///< why not, or the measured value
};

std::vector<ExpectationResult> check_expectations(const Scenario& scenario, const World& world, const RunResult& result);

/// The failed attempts (build, apply or health check) of one Kustomization over the whole run, as one line
/// of a report: how many, the first and the last, and what Flux said the last time.
struct FailureGroup {
  std::size_t kustomization = 0;  ///< World index
  std::size_t count = 0;
  SimTime first{};                ///< end of the first failed pass
  SimTime last{};                 ///< end of the last failed pass
  std::string reason;             ///< of the last failure ("HealthCheckFailed")
  std::string message;            ///< of the last failure
  std::size_t other_messages = 0; ///< failures whose message differed from the last one's
  Duration retry{0};              ///< the requeue the last failure asked for (retryInterval)
};

/// One analysis of a recorded run, computed once and handed to every renderer (table, JSON, charts,
/// trace, HTML): the dependency graph, the critical path, each Kustomization's phases and time split,
/// the parallel phases, grouped failures, and the frame the charts draw.
struct RunAnalysis {
  DependencyGraph graph;
  CriticalPath critical_path;
  std::vector<bool> on_critical_path;             ///< per Kustomization
  std::vector<std::string> names;                 ///< display_names(world)
  std::vector<std::size_t> order;                 ///< ready_order: by first Ready, never-Ready last
  std::vector<std::vector<PhaseSpan>> timelines;  ///< per Kustomization (empty when not recorded)
  std::vector<TimeSplit> splits;                  ///< per Kustomization
  std::vector<ParallelPhase> phases;              ///< apply attempts that overlapped, until all Ready (else all)
  std::vector<FailureGroup> failures;             ///< one per Kustomization that ever failed, by first failure
  /// Per Kustomization never Ready: why, as "Reason: message" of its last failed attempt (what Flux last
  /// reported as a failure; the run may end mid-pass with Ready=Unknown), else of its state at the end;
  /// empty for those that became Ready.
  std::vector<std::string> why_not_ready;
  std::vector<std::string> why_not_ready_reason;  ///< the Reason part alone ("HealthCheckFailed")
  std::size_t failed_attempts = 0;                ///< the sum of FailureGroup::count
  std::size_t ready = 0;                          ///< Kustomizations that became Ready
  /// The instant the last Kustomization that became Ready did (kNever when none did): the end of the
  /// rollout, whether or not every Kustomization made it.
  SimTime last_ready = kNever;
  /// What charts draw: [0, frame_end). The rollout (the last Ready, the latest creation and the first
  /// failure of each never-Ready Kustomization) plus a margin of 4% (at least 1s), never past the run's end.
  SimTime frame_end{};
  /// Worker usage over [0, last_ready) (the whole run when nothing became Ready), and what it covers.
  std::vector<WorkerUsage> usage;
  std::string usage_window;  ///< "until all Ready", "until the last Ready (12m4s)", "over the run (6h)"
};

/// The worker pool a pass ran in, as WorkerUsage::pool names it ("kustomize-controller",
/// "source-controller GitRepository", "helm-controller").
std::string worker_pool(const World& world, const PassRecord& pass);

RunAnalysis analyse_run(const World& world, const Scenario& scenario, const RunResult& result);

/// Index of the Kustomization named "name" or "namespace/name"; -1 when there is none.
std::int32_t find_kustomization(const World& world, std::string_view name);

}  // namespace fluxsim
