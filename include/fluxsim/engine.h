// SPDX-License-Identifier: Apache-2.0
// The discrete-event engine: replays a World under a Scenario as kustomize-controller (and the
// source-controller feeding it) would schedule it, and returns a RunResult (trace.h). Pure: no I/O, no
// wall clock, no globals; the same inputs and run index give the same result, byte for byte.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "fluxsim/diagnostics.h"
#include "fluxsim/model.h"
#include "fluxsim/scenario.h"
#include "fluxsim/trace.h"

namespace fluxsim {

namespace sim {
struct Plan;  // src/sim/plan.h
}  // namespace sim

struct EngineOptions {
  std::uint64_t run = 0;            ///< Monte Carlo run index: selects the random streams
  bool record = true;               ///< keep events and pass records (off for Monte Carlo)
  bool stop_when_all_ready = false; ///< end the run as soon as every Kustomization has been Ready once
  /// Recording: each trace event is handed to `on_event` (when set) as the engine produces it, and kept
  /// in RunResult::events only when `keep_events` (so `--events FILE` streams without holding them all),
  /// with the run's result so far, which message() needs to word the event.
  std::function<void(const TraceEvent&, const RunResult&)> on_event = {};
  bool keep_events = true;
  /// Keep simulating steady state until the horizon even once nothing can change (RunResult::settled):
  /// only pass counts, worker usage over the run and events differ (tests compare the two).
  bool run_to_horizon = false;
};

/// A World compiled against a Scenario: object ids, apply stages, matched timing rules, faults and
/// provided kinds, computed once and shared by every run (run() is const and thread-safe). Holds
/// references: the World and Scenario must outlive it.
class Simulation {
 public:
  Simulation(const World& world, const Scenario& scenario);
  ~Simulation();
  Simulation(Simulation&&) noexcept;
  Simulation& operator=(Simulation&&) noexcept;

  /// Scenario rules that cannot apply to this world (a fault or provides rule matching nothing, an
  /// expectation naming an unknown Kustomization): errors, reported before anything runs.
  const Diagnostics& diagnostics() const;

  RunResult run(const EngineOptions& options = {}) const;

 private:
  Diagnostics diagnostics_;  // declared first: the Plan reports into it while it is built
  std::shared_ptr<const sim::Plan> plan_;  // shared with the RunResults, whose messages name its objects
};

/// One run with default options.
RunResult simulate(const World& world, const Scenario& scenario, const EngineOptions& options = {});

}  // namespace fluxsim
