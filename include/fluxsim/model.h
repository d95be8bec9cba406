// SPDX-License-Identifier: Apache-2.0
// The simulated world as plain data: every Flux Kustomization reachable from the root with the objects
// its build applies, the HelmReleases and the sources. The loader (load.h) produces a World from a
// repository; the engine (engine.h) replays it. No yaml-cpp types and no pointers: objects refer to each
// other by ObjectRef, and one World owns everything, so a test can build or copy a whole world inline.
#pragma once

#include <compare>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fluxsim/diagnostics.h"
#include "fluxsim/time.h"

namespace fluxsim {

/// API groups of the Flux toolkit.
inline constexpr std::string_view kKustomizeGroup = "kustomize.toolkit.fluxcd.io";
inline constexpr std::string_view kHelmGroup = "helm.toolkit.fluxcd.io";
inline constexpr std::string_view kSourceGroup = "source.toolkit.fluxcd.io";

/// Identity of a Kubernetes object, as Flux's inventory keys it.
struct ObjectRef {
  std::string group;  ///< API group, "" for the core group ("apps", "kustomize.toolkit.fluxcd.io")
  std::string kind;   ///< "Deployment"
  std::string ns;     ///< namespace, "" for cluster-scoped objects
  std::string name;

  friend auto operator<=>(const ObjectRef&, const ObjectRef&) = default;
  friend bool operator==(const ObjectRef&, const ObjectRef&) = default;
};

/// "Kind/namespace/name", or "Kind/name" when cluster-scoped: how Flux names objects in messages.
std::string to_string(const ObjectRef& ref);

/// The API group of an apiVersion: "apps/v1" -> "apps", "v1" -> "".
std::string_view group_of(std::string_view api_version);

struct ObjectRefHash {
  std::size_t operator()(const ObjectRef& r) const noexcept;
};

/// A namespaced reference to another Flux object (dependsOn entries, sourceRef).
struct Reference {
  std::string kind;  ///< for sourceRef: GitRepository, OCIRepository, Bucket, ExternalArtifact; for dependsOn: the target kind
  std::string ns;    ///< resolved: defaults already applied (the referring object's namespace)
  std::string name;
  SourceLocation where;  ///< where the reference is written (after patches: where the patch wrote it)
  bool has_ready_expr = false;  ///< dependsOn[].readyExpr is set
  std::string ready_expr{};     ///< dependsOn[].readyExpr as written (CEL, variables self and dep; src/flux/cel.h)

  friend bool operator==(const Reference& a, const Reference& b) {
    return a.kind == b.kind && a.ns == b.ns && a.name == b.name;
  }
};

/// One object as a Kustomization's build produces it. Only facts the simulation uses are kept.
struct Resource {
  ObjectRef ref;
  std::string api_version;  ///< "apps/v1"
  SourceLocation origin;    ///< file and line of the document it was built from
  /// For a CustomResourceDefinition: the kind it registers, "group/Kind"; empty otherwise.
  std::string defines_kind;
  /// Annotated kustomize.toolkit.fluxcd.io/reconcile: disabled or kustomize.toolkit.fluxcd.io/ssa: Ignore:
  /// neither applied nor health checked.
  bool skipped = false;
  /// Installed by `flux bootstrap` before the root Kustomization exists (the objects of
  /// flux-system/gotk-components.yaml and gotk-sync.yaml): already Current at time zero.
  bool preinstalled = false;
  /// A Service of type LoadBalancer (kstatus waits for its address).
  bool load_balancer = false;
};

/// Why every build of a Kustomization fails, as Flux would report it.
struct BuildFailure {
  std::string reason;     ///< "BuildFailed" or "ArtifactFailed" (spec.path missing from the artifact)
  std::string message;    ///< Flux-like message naming the file, e.g. "kustomize build failed: ..."
  SourceLocation where;   ///< the file (and line) at fault
};

/// A postBuild.substituteFrom entry.
struct SubstituteFrom {
  std::string kind;  ///< ConfigMap or Secret
  std::string name;  ///< in the Kustomization's namespace
  bool optional = false;
  SourceLocation where;
};

/// A Flux Kustomization (kustomize.toolkit.fluxcd.io v1 or v1beta2) with its spec resolved (defaults
/// applied, parent patches and variables substituted) and the objects its build applies.
struct Kustomization {
  ObjectRef ref;            ///< kind "Kustomization", group kKustomizeGroup
  std::string api_version;
  SourceLocation origin;    ///< where its manifest is written
  /// metadata.labels and metadata.annotations as written: what a dependsOn readyExpr reads.
  std::vector<std::pair<std::string, std::string>> labels, annotations;
  /// The Kustomization whose build applies this one; empty for the root.
  std::optional<ObjectRef> parent;

  Reference source_ref;     ///< spec.sourceRef, namespace defaulted to the Kustomization's
  std::string path;         ///< spec.path as written ("./apps/production"); "" = artifact root
  Duration interval{600'000};             ///< spec.interval (required by the CRD)
  std::optional<Duration> retry_interval;  ///< spec.retryInterval; unset = interval
  std::optional<Duration> timeout;         ///< spec.timeout; unset = interval - 30s, floored at 30s
  bool wait = false;
  bool prune = false;
  bool suspend = false;
  bool force = false;
  std::vector<Reference> depends_on;        ///< kind "Kustomization", namespace defaulted
  std::vector<ObjectRef> health_checks;     ///< spec.healthChecks (ignored by Flux when wait is true)
  std::vector<SourceLocation> health_check_origins;  ///< where each healthChecks entry is written (same order)
  bool has_health_check_exprs = false;      ///< spec.healthCheckExprs set (CEL; evaluated as kstatus)
  std::vector<SubstituteFrom> substitute_from;
  std::string target_namespace;

  /// The objects one successful build applies, in build order. Child Kustomizations and HelmReleases
  /// appear here as ordinary objects; their specs are in World::kustomizations / World::helm_releases.
  std::vector<Resource> objects;
  /// Set when every build fails (broken YAML, missing file, unresolved variable, path not in artifact).
  std::optional<BuildFailure> build_failure;

  /// GetRetryInterval() and GetTimeout() (flux-semantics.md §9; the rules are in src/flux/defaults.cc).
  Duration retry_interval_or_default() const;
  Duration timeout_or_default() const;
};

/// A HelmRelease (helm.toolkit.fluxcd.io v2, v2beta2, v2beta1), as far as timing needs it.
struct HelmRelease {
  ObjectRef ref;
  std::string api_version;
  SourceLocation origin;
  std::vector<std::pair<std::string, std::string>> labels, annotations;  ///< metadata, for readyExpr
  std::optional<ObjectRef> parent;            ///< the Kustomization that applies it
  Duration interval{600'000};
  std::optional<Duration> timeout;            ///< spec.timeout; unset = 5m
  std::optional<Duration> install_timeout;    ///< spec.install.timeout; unset = spec.timeout
  std::optional<Duration> upgrade_timeout;    ///< spec.upgrade.timeout; unset = spec.timeout (one revision: unused)
  bool install_disable_wait = false;          ///< spec.install.disableWait: Ready once Helm has applied the chart
  std::string release_name;                   ///< spec.releaseName as written ("" = GetReleaseName's default)
  std::vector<Reference> depends_on;          ///< HelmReleases, namespace defaulted
  int install_retries = 0;                    ///< spec.install.remediation.retries
  int upgrade_retries = 0;                    ///< spec.upgrade.remediation.retries
  std::string install_strategy;               ///< spec.install.strategy.name: "", RemediateOnFailure, RetryOnFailure
  std::optional<Duration> retry_interval;     ///< spec.install.strategy.retryInterval (RetryOnFailure; 5m default)
  std::optional<ObjectRef> chart_source;      ///< HelmRepository / GitRepository / Bucket / OCIRepository behind the chart
  std::string chart;                          ///< chart name or path, for messages
  std::string target_namespace;
  bool create_namespace = false;              ///< spec.install.createNamespace
  bool suspend = false;

  /// helm-controller's GetReleaseName: spec.releaseName, else [targetNamespace-]name.
  std::string helm_release_name() const {
    if (!release_name.empty()) return release_name;
    return target_namespace.empty() ? ref.name : target_namespace + "-" + ref.name;
  }
  /// GetReleaseNamespace: spec.targetNamespace, else the HelmRelease's namespace.
  const std::string& release_namespace() const { return target_namespace.empty() ? ref.ns : target_namespace; }
  /// install.timeout, else spec.timeout, else 5m (GetInstall().GetTimeout(GetTimeout())).
  Duration install_timeout_or_default() const;
};

/// A Flux source (GitRepository, OCIRepository, Bucket, ExternalArtifact, HelmRepository).
struct Source {
  ObjectRef ref;
  std::string api_version;
  SourceLocation origin;    ///< where it is declared; unknown for the implicit root source
  std::string url;
  std::string branch;       ///< GitRepository spec.ref.branch (or tag/semver/commit as written), "" if unset
  Duration interval{60'000};
  /// The repository directory (relative to the repository root, "." for the root) whose files this
  /// source's artifact holds; unset when fluxsim cannot know it offline (another repository, a remote
  /// chart index): its artifact never appears in the simulation and its Kustomizations say why.
  std::optional<std::string> directory;
  /// Exists before the run starts (created by bootstrap, or declared only in the scenario).
  bool exists_at_start = false;
  /// The checkout cannot provide it (another repository, a remote OCI artifact, a bucket, a chart
  /// index) and it is assumed reachable: its artifact arrives after the scenario's timing.fetch for its
  /// kind, `directory` is "" (an empty tree), and each Kustomization built from it applies one
  /// kUnknownObjectsKind placeholder. Unset under --strict-offline (then: ArtifactFailed).
  bool assumed_remote = false;
  /// A HelmRepository with spec.type oci: source-controller never fetches it and it has no artifact
  /// (Ready at once); its HelmCharts pull straight from the registry.
  bool oci_helm_repository = false;
};

/// The placeholder object standing for what fluxsim cannot read offline: the objects of an
/// assumed-remote source's artifact, or of a remote base (`resources: - https://...`). It is applied
/// like any object (apply time, cluster-scoped, served from the start) and, when waited on, becomes
/// Current after the placeholder's default ready time (readiness.h), or a timing.ready rule matching
/// `kind: fluxsim.dev/UnknownObjects`.
inline constexpr std::string_view kUnknownObjectsGroup = "fluxsim.dev";
inline constexpr std::string_view kUnknownObjectsKind = "UnknownObjects";
bool is_unknown_objects(const ObjectRef& ref);

/// Something the simulation takes on trust because the checkout cannot tell, listed once in reports.
struct Assumption {
  enum class Kind {
    RemoteSource,      ///< a source assumed reachable (subject: "OCIRepository/ns/name")
    RemoteBase,        ///< a remote base or component counted as unknown objects (subject: the URL)
    UnreadableValues,  ///< a substituteFrom ConfigMap/Secret unreadable offline (subject: "Secret/ns/name")
    InferredProvider,  ///< a HelmRelease taken to install custom kinds (subject: "HelmRelease/ns/name")
  };
  Kind kind = Kind::RemoteSource;
  std::string subject;
  std::string detail;  ///< "used by Kustomization flux-system/apps", "variables A, B", "serves cert-manager.io/*"
  SourceLocation where;
};

/// A HelmRelease of the repository plausibly installing kinds whose CRD the repository does not hold
/// (its chart name matches their API group): modelled as a `provides` rule (apply_world_assumptions).
struct InferredProvider {
  ObjectRef by;                     ///< the HelmRelease
  std::vector<std::string> kinds;   ///< "group/*" patterns
  SourceLocation where;             ///< the HelmRelease's manifest
};

/// A flag the repository sets on a Flux controller it deploys: a patch adding container args to the
/// kustomize-, helm- or source-controller Deployment (in a kustomization.yaml, a Kustomization's
/// spec.patches, or a FluxInstance / flux-instance HelmRelease `kustomize.patches`), or the args of such
/// a Deployment itself. The real rollout runs with these, so the simulation does too unless the
/// scenario sets the same field.
struct ControllerFlag {
  std::string controller;  ///< "kustomize", "helm" or "source"
  std::string name;        ///< without dashes: "concurrent", "requeue-dependency", ...
  std::string value;       ///< as written: "20", "5s"
  SourceLocation where;
};

/// Everything one simulation replays. Owned by value; index 0 of kustomizations is the root.
struct World {
  std::string repo_root;    ///< the repository directory as given, for messages
  std::string entry;        ///< the path the root applies, relative to repo_root
  std::vector<Kustomization> kustomizations;  ///< [0] = root, then in discovery order (breadth first)
  std::vector<HelmRelease> helm_releases;
  std::vector<Source> sources;
  /// Controller flags found in the repository, in file order (the last one for a flag wins).
  std::vector<ControllerFlag> controller_flags;
  /// Loader findings (warnings about unreadable Secrets, external resources, dead references, ...).
  Diagnostics diagnostics;
  /// What the load assumed (remote sources and bases, unreadable values, inferred providers), in the
  /// order found, one entry per subject. Empty under --strict-offline except for unreadable values.
  std::vector<Assumption> assumptions;
  std::vector<InferredProvider> inferred_providers;

  const Kustomization* find_kustomization(std::string_view ns, std::string_view name) const;
  const Source* find_source(std::string_view kind, std::string_view ns, std::string_view name) const;
};

/// One line for reports, or "" when nothing was assumed: "assumed: 3 remote sources, 2 remote bases, 1
/// unreadable Secret — map sources under `spec.sources` for exact results".
std::string assumptions_summary(const World& world);

/// How every report names each Kustomization: "name", or "namespace/name" for all of them when the world
/// has Kustomizations in several namespaces (or two share a name). Parallel to World::kustomizations.
std::vector<std::string> display_names(const World& world);

/// Stage of the staged server-side apply an object belongs to (flux-semantics.md §4.3).
enum class ApplyStage {
  ClusterDefinitions = 1,  ///< CustomResourceDefinition, Namespace, ClusterRole: applied, then waited on
  Classes = 2,             ///< kinds whose name ends in "Class": applied, then waited on
  Rest = 4,                ///< everything else, child Kustomizations and HelmReleases included
};
ApplyStage apply_stage(const ObjectRef& ref);  // defined with the rest of the rule in src/flux/apply.cc

/// Position of a kind in the SSA apply order within a stage (fluxcd/pkg ssa sort.go); lower first.
int apply_kind_order(std::string_view kind);

}  // namespace fluxsim
