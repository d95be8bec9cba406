// SPDX-License-Identifier: Apache-2.0
// The pipeline every command runs, written once: read the scenario (or a repository's defaults) with
// --entry and --set applied -> load the repository -> apply the controller flags the repository deploys
// -> compile the Simulation and refuse scenario rules that match nothing. Errors come back as BadInput,
// the one line `fluxsim:` prints before exiting 2. src/cli.cc keeps flags, help and the command table.
#pragma once

#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fluxsim/diagnostics.h"
#include "fluxsim/engine.h"
#include "fluxsim/model.h"
#include "fluxsim/scenario.h"

namespace fluxsim::app {

/// An input problem: printed as one line, exit code 2.
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Throws BadInput with every error of `diags`, one per line.
[[noreturn]] void throw_diagnostics(const Diagnostics& diags);

/// What a command reads: a scenario file or a repository directory, and --entry.
struct Input {
  std::string path;             ///< SCENARIO file or REPO directory
  std::string entry;            ///< --entry
  bool strict_offline = false;  ///< --strict-offline
  std::string timing;           ///< --timing FILE: a timing overlay (fluxsim calibrate writes one)
};

/// The scenario `in` names (a repository directory: every default) with `overrides` applied; problems
/// come back as diagnostics.
ScenarioLoad read_scenario(const Input& in, const std::vector<ScenarioOverride>& overrides);

/// The same, or BadInput.
Scenario load_scenario(const Input& in, const std::vector<ScenarioOverride>& overrides);

/// Loads the scenario's repository and makes the scenario run the controllers the repository deploys
/// (flags such as --concurrent=20 in its patches) unless the scenario set those fields itself. The
/// loader's findings stay in World::diagnostics; with `findings`, the first ten are also written there
/// (problems inside the repository are part of the simulation: the Kustomization that builds them fails
/// as Flux would).
World load_repository(Scenario& scenario, std::ostream* findings);

/// A scenario, its World and their compiled Simulation, kept together (the Simulation refers to both).
class Prepared {
 public:
  Prepared(Scenario scenario, std::ostream* findings);
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;

  const Scenario& scenario() const { return scenario_; }
  const World& world() const { return world_; }
  const Simulation& simulation() const { return *simulation_; }

 private:
  Scenario scenario_;
  World world_;
  std::unique_ptr<const Simulation> simulation_;
};

/// The whole pipeline for one scenario; BadInput when the Simulation has errors.
std::unique_ptr<const Prepared> prepare(Scenario scenario, std::ostream* findings);

}  // namespace fluxsim::app
