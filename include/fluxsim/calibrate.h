// SPDX-License-Identifier: Apache-2.0
// Calibration from a live cluster: what `kubectl get kustomizations,helmreleases,gitrepositories,
// ocirepositories,helmcharts -A -o json` (and optionally `kubectl get events -A -o json`) says happened,
// the timings fitted to it, and the timing overlay (`--timing FILE`) that carries them to run, diff,
// --sweep and compare. README "How accurate is it?" tells the method.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fluxsim/diagnostics.h"
#include "fluxsim/model.h"
#include "fluxsim/scenario.h"
#include "fluxsim/time.h"

namespace fluxsim {

/// One Flux object as the cluster reported it. Times are milliseconds since Observed::origin_ms.
struct ObservedObject {
  std::string kind;  ///< Kustomization, HelmRelease, GitRepository, OCIRepository, HelmChart, ...
  std::string ns, name;
  int line = 0;      ///< line of the item in the file (0 when unknown)
  std::optional<std::int64_t> created_ms;     ///< metadata.creationTimestamp
  std::optional<std::int64_t> ready_ms;       ///< Ready=True: its condition's lastTransitionTime
  bool ready = false;                         ///< Ready condition is True
  /// Kustomization: status.history (oldest entry) lastReconciledDuration; or the "Reconciliation
  /// finished in D" event. HelmRelease: Ready time minus status.history firstDeployed.
  std::optional<std::int64_t> pass_ms;
  bool wait = false;                          ///< Kustomization spec.wait (or healthChecks)
  std::vector<std::string> inventory_kinds;   ///< Kustomization status.inventory entries' kinds

  std::string id() const { return kind + "/" + ns + "/" + name; }
};

struct Observed {
  std::string file;
  std::int64_t origin_ms = 0;  ///< epoch ms of the earliest creationTimestamp (time zero)
  std::vector<ObservedObject> objects;
  const ObservedObject* find(std::string_view kind, std::string_view ns, std::string_view name) const;
};

/// Reads a kubectl `-o json` export (a List with items, or a single object). `events`, when given, is
/// `kubectl get events -A -o json`: "Reconciliation finished in D" events fill in Kustomizations'
/// pass durations that status.history lacks. Problems come back as one-line errors naming the file (and
/// the line where there is one).
struct ObservedLoad {
  Observed observed;
  Diagnostics diagnostics;
};
ObservedLoad read_observed(const std::string& path, const std::string& events_path = "");
ObservedLoad parse_observed(std::string_view text, const std::string& file, std::string_view events_text = "",
                            const std::string& events_file = "");

/// Epoch milliseconds of an RFC 3339 time ("2025-06-01T10:00:00Z", fractions and offsets allowed).
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

/// What calibrate fitted, with a line on how each value was derived.
struct Calibration {
  std::optional<Duration> build;             ///< timing.build
  std::optional<Duration> apply_per_object;  ///< timing.applyPerObject
  std::vector<std::pair<std::string, Duration>> ready;  ///< timing.ready per kind (HelmRelease: its install)
  std::vector<std::pair<std::string, Duration>> fetch;  ///< timing.fetch per source kind
  std::optional<double> contention;          ///< timing.capacity.contention, when a CPU limit let the export show it
  std::vector<std::string> notes;            ///< one line per fitted value: from what, how many objects
  double error_before = -1, error_after = -1;  ///< the refinement's objective (s): first-Ready error + mean error of Ready - first Ready + error of the span (last - first Ready)
};

/// Fits timings to `observed`. Direct estimates first (pass durations, health-poll rounds, fetch and
/// install latencies); then, when a repository world is given, the estimates are refined by simulating
/// it under `base` and searching each timing's scale for the smallest Ready-time error.
Calibration calibrate(const Observed& observed, const World* world, const Scenario& base);

/// The overlay file `fluxsim calibrate` writes: a Scenario whose spec holds only timing (and controllers).
std::string write_timing_overlay(const Calibration& c, const std::string& observed_file);

/// A loaded overlay: `--set`-style overrides for every field it sets (applied before the command
/// line's own --set, which win), and its timing.ready rules (tried before the scenario's own).
struct TimingOverlay {
  std::string file;
  std::vector<ScenarioOverride> overrides;
  std::vector<ReadyRule> ready;
  Diagnostics diagnostics;  ///< errors: unusable (exit 2)
};
TimingOverlay load_timing_overlay(const std::string& path);

/// Applies `overlay` to a loaded scenario's ready rules (the overrides go in before loading).
void apply_timing_overlay(const TimingOverlay& overlay, Scenario& scenario);

}  // namespace fluxsim
