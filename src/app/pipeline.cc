// SPDX-License-Identifier: Apache-2.0
#include "app/pipeline.h"

#include <filesystem>
#include <optional>
#include <ostream>

#include <fmt/format.h>

#include "fluxsim/calibrate.h"
#include "fluxsim/load.h"

namespace fluxsim::app {

namespace fs = std::filesystem;

void throw_diagnostics(const Diagnostics& diags) {
  std::string lines;
  for (const Diagnostic& d : diags)
    if (d.severity == Severity::Error) {
      if (!lines.empty()) lines += "\nfluxsim: ";
      lines += to_string(d);
    }
  throw BadInput(lines);
}

ScenarioLoad read_scenario(const Input& in, const std::vector<ScenarioOverride>& given) {
  if (in.path.empty()) throw BadInput("missing SCENARIO or REPO argument");
  // --timing FILE: the overlay's fields go in first, so the command line's --set (and --sweep) win.
  std::optional<TimingOverlay> overlay;
  std::vector<ScenarioOverride> overrides = given;
  if (!in.timing.empty()) {
    overlay = load_timing_overlay(in.timing);
    if (overlay->diagnostics.has_errors()) throw_diagnostics(overlay->diagnostics);
    overrides.insert(overrides.begin(), overlay->overrides.begin(), overlay->overrides.end());
  }
  std::error_code ec;
  const fs::file_status st = fs::status(in.path, ec);
  if (ec || !fs::exists(st)) throw BadInput(fmt::format("{}: no such file or directory", in.path));
  ScenarioLoad load;
  if (fs::is_directory(st)) {
    // A bare repository: every default. Overrides go through the scenario parser so they are
    // validated exactly like fields written in a file.
    Scenario defaults = default_scenario_for_repo(in.path);
    if (overrides.empty()) {
      load.scenario = defaults;
    } else {
      std::string text =
          fmt::format("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nmetadata:\n  name: \"{}\"\nspec:\n  repo: \"{}\"\n",
                      defaults.name, fs::absolute(in.path).generic_string());
      load = parse_scenario(text, "(command line)", overrides);
    }
  } else {
    load = fluxsim::load_scenario(in.path, overrides);
  }
  if (!in.entry.empty()) load.scenario.entry = in.entry;
  if (in.strict_offline) load.scenario.strict_offline = true;
  if (overlay) apply_timing_overlay(*overlay, load.scenario);
  return load;
}

Scenario load_scenario(const Input& in, const std::vector<ScenarioOverride>& overrides) {
  ScenarioLoad load = read_scenario(in, overrides);
  if (load.diagnostics.has_errors()) throw_diagnostics(load.diagnostics);
  return std::move(load.scenario);
}

World load_repository(Scenario& scenario, std::ostream* findings) {
  WorldLoad load = load_world(scenario);
  if (load.diagnostics.has_errors()) throw_diagnostics(load.diagnostics);
  apply_controller_flags(scenario, load.world, load.world.diagnostics);
  apply_world_assumptions(scenario, load.world);
  if (!findings) return std::move(load.world);
  std::size_t shown = 0, warnings = 0;
  for (const Diagnostic& d : load.world.diagnostics) {
    if (d.severity == Severity::Note) continue;
    ++warnings;
    if (shown < 10) {
      *findings << "fluxsim: " << to_string(d) << '\n';
      ++shown;
    }
  }
  if (warnings > shown) *findings << fmt::format("fluxsim: ... and {} more findings (see `fluxsim check`)\n", warnings - shown);
  return std::move(load.world);
}

Prepared::Prepared(Scenario scenario, std::ostream* findings)
    : scenario_(std::move(scenario)),
      world_(load_repository(scenario_, findings)),
      simulation_(std::make_unique<const Simulation>(world_, scenario_)) {}

std::unique_ptr<const Prepared> prepare(Scenario scenario, std::ostream* findings) {
  auto prepared = std::make_unique<const Prepared>(std::move(scenario), findings);
  if (prepared->simulation().diagnostics().has_errors()) throw_diagnostics(prepared->simulation().diagnostics());
  return prepared;
}

}  // namespace fluxsim::app
