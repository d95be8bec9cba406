// SPDX-License-Identifier: Apache-2.0
// A scenario (apiVersion fluxsim/v1alpha1, kind Scenario) as plain data: where the Flux objects come
// from, controller settings, how long things take, injected faults and expectations. Every field has
// the default Flux itself uses (flux-semantics.md), so a default-constructed Scenario is a valid
// "bootstrap this repository with stock Flux" run. Parsed by load_scenario (src/load/scenario_loader.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fluxsim/capacity.h"
#include "fluxsim/diagnostics.h"
#include "fluxsim/distribution.h"
#include "fluxsim/model.h"
#include "fluxsim/time.h"

namespace fluxsim {

/// Selects applied objects. Every set field must match; fields accept `*` globs. Empty = any.
struct Match {
  std::string group;          ///< from `kind: group/Kind`; empty = any group
  std::string kind;
  std::string ns;             ///< `namespace`
  std::string name;
  std::string kustomization;  ///< name of the Kustomization that applies the object
  SourceLocation where;

  bool matches(const ObjectRef& ref, std::string_view applied_by) const;
  bool empty() const { return group.empty() && kind.empty() && ns.empty() && name.empty() && kustomization.empty(); }
};

/// `*` glob match (the only wildcard), used by every selector in a scenario.
bool glob_match(std::string_view pattern, std::string_view text);

/// timing.ready[]: how long an applied object takes to become Current.
struct ReadyRule {
  Match match;
  Distribution after;
};

/// provides[]: what an operator or a Helm chart makes at run time. `kinds` are served once `by` is
/// Current; `objects` (objects no Kustomization applies, e.g. a chart's Deployment) are created when `by`
/// makes them: a HelmRelease when helm-controller runs its install, any other object once it is Current.
struct ProvidesRule {
  Match by;
  std::vector<std::string> kinds;  ///< "group/Kind", "group/*" or "Kind" patterns
  SourceLocation where;
  std::vector<Match> objects{};    ///< the objects `by` creates (kind, namespace, name; `*` globs)
};

/// faults[]: one injected failure.
struct Fault {
  enum class Type {
    ReadyAt,            ///< match: objects not Current before `at`
    NeverReady,         ///< match: objects InProgress for ever
    FailedAt,           ///< match: objects kstatus Failed from `at` on
    FailApplies,        ///< kustomization: its first `count` apply attempts fail
    SourceUnavailable,  ///< source: cannot be fetched from `from` until `until`
    ControllerRestart,  ///< controller: restarts at `at`
  };
  Type type = Type::NeverReady;
  Match match;                    ///< ReadyAt/NeverReady/FailedAt: objects; FailApplies/SourceUnavailable: the target
  std::string source_kind;        ///< SourceUnavailable: GitRepository unless given
  std::string controller;         ///< ControllerRestart: "kustomize", "helm" or "source"
  SimTime at{};                   ///< ReadyAt, FailedAt, ControllerRestart
  SimTime from{}, until{};        ///< SourceUnavailable window [from, until)
  int count = 0;                  ///< FailApplies
  bool graceful = false;          ///< ControllerRestart: `mode: graceful` (lease released) rather than a crash
  SourceLocation where;
};

/// spec.sources[]: which repository directory backs which Flux source.
struct SourceMapping {
  std::string kind = "GitRepository";
  std::string name;
  std::string ns = "flux-system";
  std::string path = ".";                    ///< relative to the repository
  Distribution fetch = Distribution::fixed(Duration{0});  ///< time until the first artifact exists
  bool fetch_given = false;  ///< `fetch` was written: it wins over timing.fetch for the kind
  SourceLocation where;
  /// Added by apply_world_assumptions for an assumed-remote source (its fetch time only; the loader
  /// never reads a directory for it).
  bool assumed = false;
};

/// controllers.kustomize: kustomize-controller flags (defaults are Flux's).
struct KustomizeControllerSettings {
  int concurrent = 4;                              ///< --concurrent
  Duration requeue_dependency{30'000};             ///< --requeue-dependency
  int interval_jitter_percent = 5;                 ///< --interval-jitter-percentage
  Duration health_poll_interval{5'000};            ///< kstatus poller interval of the health check
  Duration first_reconcile_delay{750};             ///< finalizer requeue: --min-retry-delay
  Duration stage_wait_timeout{60'000};             ///< CRD/Namespace and *Class stage waits
  Duration stage_poll_interval{2'000};             ///< poll of those waits (fixed in Flux)
  double cpu_limit = 0;                            ///< cpu: resources.limits.cpu in cores; 0 = no limit
  /// --feature-gates=AdditiveCELDependencyCheck=true: a dependsOn readyExpr is ANDed with the built-in
  /// readiness test instead of replacing it (flux-semantics.md §2; off by default).
  bool additive_cel_dependency_check = false;
};

struct SourceControllerSettings {
  int concurrent = 2;
  Duration first_reconcile_delay{750};             ///< finalizer requeue: --min-retry-delay
};

struct HelmControllerSettings {
  int concurrent = 4;
  Duration requeue_dependency{30'000};             ///< also the requeue while the chart is not ready
  int interval_jitter_percent = 5;                 ///< --interval-jitter-percentage
  Duration first_reconcile_delay{750};             ///< finalizer requeue: --min-retry-delay
  double cpu_limit = 0;  ///< cpu: resources.limits.cpu in cores; 0 = no limit
  bool additive_cel_dependency_check = false;  ///< --feature-gates=AdditiveCELDependencyCheck=true (§10)
};

struct Controllers {
  KustomizeControllerSettings kustomize;
  SourceControllerSettings source;
  HelmControllerSettings helm;
  /// Fields the scenario file or --set wrote ("kustomize.concurrent", "helm.requeueDependency", ...):
  /// flags found in the repository never override these.
  std::vector<std::string> set_in_scenario;
  /// Flags taken from the repository by apply_controller_flags, one line each, for reports.
  std::vector<std::string> from_repository;
};

/// timing: how long things take. `ready` holds only the scenario's own rules (first match wins);
/// the built-in defaults (readiness.h) apply to objects no rule matches.
struct Timing {
  Distribution build = Distribution::fixed(Duration{1'000});         ///< per apply attempt: fetch + build + dry-run
  Distribution apply_per_object = Distribution::fixed(Duration{20});  ///< per object written
  std::vector<ReadyRule> ready;
  /// timing.fetch: time until a source's first artifact, per source kind (HelmChart included), for
  /// sources whose spec.sources mapping does not set `fetch`; a kind not listed fetches at once.
  std::vector<std::pair<std::string, Distribution>> fetch;
  CapacityParams capacity;  ///< timing.capacity: the capacity model (capacity.h)
};

/// How long source-controller takes to store the first artifact of a source the checkout cannot
/// provide (assumed reachable), per kind: the timing.fetch entry for `kind` when there is one, else
/// a shallow clone (GitRepository 3s), an OCI pull (OCIRepository 2s), a bucket listing (Bucket 2s),
/// a chart index download (HelmRepository 3s); other kinds take the GitRepository time.
Distribution remote_fetch_time(const Timing& timing, std::string_view kind);

/// expect: checked after the run; any miss makes `fluxsim run` exit 1.
struct Expectations {
  std::optional<Duration> all_ready_within;
  std::vector<std::string> ready;                             ///< Kustomization names ("name" or "ns/name")
  std::vector<std::pair<std::string, std::string>> before;    ///< a Ready before b starts applying
  SourceLocation where;
  bool empty() const { return !all_ready_within && ready.empty() && before.empty(); }
};

/// The implicit root Kustomization (what `flux bootstrap --path` creates).
struct RootSettings {
  std::string name = "flux-system";
  std::string ns = "flux-system";
  Duration interval{600'000};
};

struct Scenario {
  std::string name;          ///< metadata.name; for a bare repository, its directory name
  std::string description;
  std::string file;          ///< the scenario file as given; empty when a repository was given directly
  std::string repo;          ///< repository directory, resolved against the scenario file's directory
  std::string entry;         ///< path the root applies, relative to repo; empty = discover it
  RootSettings root;
  std::string manifests;     ///< inline objects the root applies as if they were in `entry`
  SourceLocation manifests_at;  ///< where the manifests block starts, so its lines map back to the file
  std::vector<SourceMapping> sources;
  Controllers controllers;
  Timing timing;
  std::vector<ProvidesRule> provides;
  std::vector<Fault> faults;
  Duration horizon{6 * 3'600'000};
  std::uint64_t seed = 1;
  int runs = 1;
  Expectations expect;
  /// spec.offline: strict (or --strict-offline): sources and bases the checkout cannot provide fail
  /// (ArtifactFailed) instead of being assumed reachable.
  bool strict_offline = false;
};

/// One setting of a scenario file, as `--set` and `--sweep` name it ("horizon",
/// "controllers.kustomize.concurrent", "faults[].failApplies" for a field of every list item). The
/// decoder takes each bound from here, so a value is accepted or refused the same way in a file, in
/// `--set`, in `--sweep` and (runs) in `--runs`. README "Limits" prints this table.
struct ScenarioSetting {
  enum class Type { String, Integer, Seed, Boolean, Duration, Distribution, Number };
  std::string_view path;
  Type type = Type::String;
  std::int64_t min = 0;  ///< Integer, Number: the smallest value; Duration: the shortest, in milliseconds
  std::int64_t max = 0;  ///< Integer, Number: the largest value; Duration: the longest, in milliseconds
  std::string_view default_value;
  std::string_view doc;
};

/// Every setting with a type or bound of its own, in the order of product.md §2.
std::span<const ScenarioSetting> scenario_settings();
/// The setting at `path` (`--set` spelling; list items as `name[]`); nullptr when there is none.
const ScenarioSetting* find_scenario_setting(std::string_view path);
/// The bound of an Integer setting, e.g. scenario_setting_max("runs") == 1'000'000.
std::int64_t scenario_setting_max(std::string_view path);

/// `--set path=value` override, applied to the scenario document before it is decoded.
struct ScenarioOverride {
  std::string path;   ///< dotted path below spec, e.g. "controllers.kustomize.concurrent"
  std::string value;  ///< YAML scalar or flow text
};

struct ScenarioLoad {
  Scenario scenario;
  Diagnostics diagnostics;  ///< errors mean the scenario is unusable (exit 2)
};

/// Reads and validates a scenario file. Unknown fields, bad durations and wrong types are errors with
/// file:line. Relative `repo` is resolved against the file's directory.
ScenarioLoad load_scenario(const std::string& path, const std::vector<ScenarioOverride>& overrides = {});

/// Parses scenario text already in memory (`file` is used in messages and to resolve `repo`).
ScenarioLoad parse_scenario(std::string_view text, const std::string& file,
                            const std::vector<ScenarioOverride>& overrides = {});

/// The scenario for `fluxsim run REPO`: every default, repo = the directory, entry to be discovered.
Scenario default_scenario_for_repo(const std::string& repo_dir);

/// Runs the controllers the repository runs: applies World::controller_flags (--concurrent,
/// --requeue-dependency, --interval-jitter-percentage, --min-retry-delay) to every controller setting
/// the scenario did not set itself, and records each in controllers.from_repository. Flags with values
/// fluxsim cannot use are skipped with a warning in `warnings`.
void apply_controller_flags(Scenario& scenario, const World& world, Diagnostics& warnings);

}  // namespace fluxsim
