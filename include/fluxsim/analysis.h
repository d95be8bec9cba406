// SPDX-License-Identifier: Apache-2.0
// Reading a RunResult: where each Kustomization's time went before it became Ready (waiting for a
// worker, polling a dependency, waiting for the source, retry delays, building and applying, health
// checks) and which expectations of the scenario held. Pure functions of (World, Scenario, RunResult).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fluxsim/model.h"
#include "fluxsim/scenario.h"
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

/// Index of the Kustomization named "name" or "namespace/name"; -1 when there is none.
std::int32_t find_kustomization(const World& world, std::string_view name);

}  // namespace fluxsim
