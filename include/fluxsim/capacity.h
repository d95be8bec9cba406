// SPDX-License-Identifier: Apache-2.0
// The capacity model: a controller's passes share its CPU budget (the container's resources.limits.cpu).
// A pure function of the model's parameters and the controller's load at the moment a pass starts; the
// engine calls it once per Kustomization pass (its build and apply work) and once per Helm install (its
// render-and-apply part, taken to be as long as timing.build; the wait for its resources is not CPU).
//
// The mechanism (README "How accurate is it?"):
// - demand: every pass doing work (fetching, building, dry-running, applying, installing) wants
//   `passCpu` cores; every worker held in a health-check wait wants `pollCpu` (the kstatus poller reads
//   and computes the status of every object it waits on, every poll);
// - processor sharing: when the demand exceeds the budget, each pass's work is stretched by
//   load = demand / budget (approximated per pass: the load when the pass starts holds for its work);
// - contention: past the budget the work itself grows, by `contention` x (load - 1): a throttled
//   container's threads stall for the rest of every CFS period, and the garbage collector's share grows
//   with the builds held in memory at once. This is the term that makes more workers *slower*
//   (kustomize-controller#816); it is fitted on the Flux 2.2 runs at 1 CPU (500 Kustomizations: 38 s at
//   4 workers, 1m50s at 10, 3m58s at 20).
// With no budget (cpuLimit 0, the default when neither the scenario nor the repository sets one) or with
// the demand within the budget, the factor is exactly 1 and every duration is today's, to the millisecond.
#pragma once

#include <optional>
#include <string_view>

#include "fluxsim/time.h"

namespace fluxsim {

/// timing.capacity.contention's upper bound (the scenario decoder's and calibrate's).
inline constexpr int kMaxContention = 100;

/// timing.capacity: the model's parameters (defaults and their sources in the README).
struct CapacityParams {
  double pass_cpu = 0.25;    ///< cores one working pass wants (passCpu)
  double poll_cpu = 0.02;    ///< cores one worker in a health-check wait wants (pollCpu)
  double contention = 1.3;   ///< extra work per unit of load over the budget (contention)
};

/// One controller's load when a pass starts.
struct ControllerLoad {
  double cpu_limit = 0;  ///< cores; 0 = no limit (the model is off)
  int working = 0;       ///< passes doing work, the starting one included
  int waiting = 0;       ///< workers held in health-check (or stage) waits
};

/// How much longer a pass's work takes under `load`: 1 when there is no limit or the demand fits in it,
/// else load x (1 + contention x (load - 1)) with load = demand / cpu_limit.
double stretch_factor(const CapacityParams& params, const ControllerLoad& load);

/// `total` with only its first `work` (its CPU part) stretched by `factor`: a Helm install is rendering and
/// applying (work, as long as a Kustomization's build) and then waiting for its resources (no CPU).
Duration stretch_work(Duration total, Duration work, double factor);

/// A Kubernetes CPU quantity in cores: "2", "1.5", "500m"; nullopt when it is not one (or negative).
std::optional<double> parse_cpu_quantity(std::string_view text);

/// `work` stretched by `factor`, rounded to the millisecond; exactly `work` when factor is 1.
Duration stretch(Duration work, double factor);

}  // namespace fluxsim
