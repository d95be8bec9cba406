// SPDX-License-Identifier: Apache-2.0
// Whether a dependsOn entry is satisfied (flux-semantics.md §2 for Kustomizations, §10 for HelmReleases).
// Pure: the caller describes the dependency as its controller would read it from the API server.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "flux/cel.h"
#include "fluxsim/model.h"

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

// ----- dependsOn[].readyExpr (§2: kustomize-controller v1.7, helm-controller v1.4) -------------------

/// A dependsOn entry's readyExpr, compiled once per world. No program and not invalid: there is no
/// expression, or fluxsim cannot evaluate it (Unsupported; the loader said so) and the built-in test
/// stands in.
struct ReadyExpr {
  std::shared_ptr<const cel::Program> program;
  bool invalid = false;  ///< CEL rejects it: Flux stalls the dependent (InvalidCELExpression)
  std::string problem;   ///< why it is invalid, "1:5: ..."
  bool decides() const { return program != nullptr || invalid; }
};
ReadyExpr compile_ready_expr(const Reference& entry);

/// What the simulation knows of a Flux object's status at one moment: the part of it a readyExpr can
/// read (status.conditions, observedGeneration, revisions).
struct StatusView {
  enum class Condition : std::uint8_t { None, True, False, Unknown };
  Condition ready = Condition::None;
  std::string_view reason, message;
  bool reconciling = false;                  ///< Reconciling=True
  bool stalled = false;                      ///< Stalled=True
  bool observed = false;                     ///< status.observedGeneration is set (= metadata.generation, 1)
  std::string_view last_applied_revision;    ///< Kustomization; "" = never applied
  std::string_view last_attempted_revision;  ///< Kustomization; "" = never attempted
  int install_failures = 0;                  ///< HelmRelease
};

/// The object as runtime.DefaultUnstructuredConverter gives it to CEL: apiVersion, kind, metadata
/// (name, namespace, generation 1, labels and annotations as written plus the
/// kustomize.toolkit.fluxcd.io/name and /namespace labels its parent's apply adds), spec (the fields
/// fluxsim reads) and status; empty fields are left out, as omitempty leaves them out.
cel::Value kustomization_object(const Kustomization& k, const StatusView& s);
cel::Value helm_release_object(const HelmRelease& h, const StatusView& s);

/// checkDependencies for one entry whose readyExpr decides (expr.decides()): evaluate it (when the
/// dependency exists; `self` and `dep` are then the two objects), then, with the
/// AdditiveCELDependencyCheck gate on, also the built-in test (`builtin_ready`).
struct DependencyCheck {
  enum class Verdict : std::uint8_t { Ready, NotReady, Stalled };
  Verdict verdict = Verdict::Ready;
  bool by_expr = false;  ///< the readyExpr made the verdict (true, false or an error), not the built-in test
  std::string reason;    ///< DependencyNotReady or InvalidCELExpression
  std::string message;   ///< Flux's condition message
};
DependencyCheck check_ready_expr(const ReadyExpr& expr, const Reference& entry, const cel::Value& self, const cel::Value& dep,
                                 bool additive, bool builtin_ready);

}  // namespace fluxsim::flux
