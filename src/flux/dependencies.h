// SPDX-License-Identifier: Apache-2.0
// Whether a dependsOn entry is satisfied (flux-semantics.md §2 for Kustomizations, §10 for HelmReleases).
// Pure: the caller describes the dependency as its controller would read it from the API server.
#pragma once

namespace fluxsim::flux {

/// A dependency as checkDependencies reads it.
struct DependencyView {
  bool exists = false;          ///< the object is found
  bool has_conditions = false;  ///< status has at least one condition
  bool observed = false;        ///< status.observedGeneration == metadata.generation
  bool ready = false;           ///< Ready=True
  /// Kustomizations only: dependency and dependent reference the same source, and the dependency's
  /// lastAppliedRevision is not the revision the dependent is about to apply.
  bool same_source_stale = false;
};

/// kustomize-controller (§2): found, has conditions, generation observed, Ready=True, and, on the same
/// source, the revision the dependent is about to apply already applied.
inline bool kustomization_dependency_ready(const DependencyView& d) {
  return d.exists && d.has_conditions && d.observed && d.ready && !d.same_source_stale;
}

/// helm-controller (§10): found, generation observed and Ready=True; no revision rule.
inline bool helm_release_dependency_ready(const DependencyView& d) { return d.exists && d.ready && d.observed; }

}  // namespace fluxsim::flux
