// SPDX-License-Identifier: Apache-2.0
// `fluxsim check`: static findings about a World and its scenario, found without simulating — ordering
// mistakes Flux would only reveal at run time (cycles, missing or suspended dependencies, CRD- and
// Namespace-ordering hazards, health-check deadlocks, timeouts shorter than the readiness they wait for,
// short intervals, unknown custom kinds) plus the loader's and the scenario's own findings. Each has a
// file:line and a hint.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

#include "fluxsim/diagnostics.h"
#include "fluxsim/model.h"
#include "fluxsim/scenario.h"

namespace fluxsim {

/// One finding: a Diagnostic tagged with the check that produced it.
struct Finding {
  /// Stable id: "root-build" (the root cannot build: first, an error), "dependency-cycle", "missing-dependency", "suspended-dependency", "health-check-deadlock",
  /// "crd-ordering", "unknown-kind", "namespace-ordering", "health-check-timeout", "short-interval", "load"
  /// (World::diagnostics), "scenario" (rules that match nothing, see Simulation::diagnostics).
  std::string check;
  Diagnostic diagnostic;
};

struct CheckResult {
  std::vector<Finding> findings;  ///< root-build, loader and scenario findings, then each check in the order above
  std::size_t errors() const;
  std::size_t warnings() const;
  bool has_errors() const { return errors() > 0; }
};

/// Runs every check. Errors mean the rollout can never complete as written; warnings cost time or rest
/// on an assumption. Pure: no I/O.
CheckResult check_world(const World& world, const Scenario& scenario);

/// One line per finding (to_string(Diagnostic) plus " [check]"), then "N errors, M warnings".
/// (src/report/check_report.cc)
void write_check_text(const CheckResult& result, std::ostream& out);

/// {"errors": N, "warnings": M, "findings": [{"check", "severity", "file", "line", "column", "object",
/// "message", "hint"}]} with the scenario name and fluxsim version. (src/report/check_report.cc)
void write_check_json(const CheckResult& result, const Scenario& scenario, std::ostream& out);

}  // namespace fluxsim
