// SPDX-License-Identifier: Apache-2.0
// Simulation: the engine's public face. The work is in src/sim/: compile.cc compiles the World against
// the Scenario into a Plan once; each run is a Run (run.h) over that Plan, its controllers in
// kustomize_controller.cc, helm_controller.cc and source_controller.cc, the Flux rules they follow in
// src/flux/.
#include "fluxsim/engine.h"

#include "sim/plan.h"
#include "sim/run.h"

namespace fluxsim {

Simulation::Simulation(const World& world, const Scenario& scenario)
    : diagnostics_(), plan_(std::make_shared<const sim::Plan>(world, scenario, diagnostics_)) {}
Simulation::~Simulation() = default;
Simulation::Simulation(Simulation&&) noexcept = default;
Simulation& Simulation::operator=(Simulation&&) noexcept = default;

const Diagnostics& Simulation::diagnostics() const { return diagnostics_; }

RunResult Simulation::run(const EngineOptions& options) const {
  sim::Run run(plan_, options);
  return run.execute();
}

RunResult simulate(const World& world, const Scenario& scenario, const EngineOptions& options) {
  return Simulation(world, scenario).run(options);
}

}  // namespace fluxsim
