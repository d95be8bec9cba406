// SPDX-License-Identifier: Apache-2.0
// Observed vs predicted: a cluster's export (calibrate.h) held against a simulated run of the same
// repository, per Kustomization and HelmRelease and overall (`fluxsim compare`).
//
// Both sides are timed from the same moment: the first creation among the objects they share (on a real
// cluster, when the bootstrap or the push landed). A Kustomization or HelmRelease is matched by kind,
// namespace and name.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "fluxsim/calibrate.h"
#include "fluxsim/model.h"
#include "fluxsim/trace.h"

namespace fluxsim {

struct ComparedObject {
  std::string kind, ns, name;
  std::optional<std::int64_t> observed_ms;   ///< Ready, from the common origin; nullopt: not Ready
  std::optional<std::int64_t> predicted_ms;  ///< the same in the simulation
};

struct Comparison {
  std::vector<ComparedObject> rows;               ///< matched objects, in observed Ready order
  std::size_t matched = 0;                        ///< rows Ready on both sides
  double mean_abs_error_ms = 0;                   ///< over those
  std::optional<std::int64_t> observed_total_ms;  ///< the last matched object Ready (all of them Ready)
  std::optional<std::int64_t> predicted_total_ms;
  std::vector<std::string> only_observed;         ///< Kustomizations/HelmReleases the repository lacks
  std::size_t only_predicted = 0;                 ///< in the repository, not in the export
};

Comparison compare_with_observed(const Observed& observed, const World& world, const RunResult& result);

/// The relative error of `predicted` against `observed`, in percent ("+12.5%"); "n/a" when undefined.
std::string percent_error(std::optional<std::int64_t> observed, std::optional<std::int64_t> predicted);

void write_comparison_table(const Comparison& c, const std::string& observed_file, const std::string& scenario,
                            std::ostream& out);
void write_comparison_json(const Comparison& c, const std::string& observed_file, const std::string& scenario,
                           std::ostream& out);

}  // namespace fluxsim
