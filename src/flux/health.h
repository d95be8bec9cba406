// SPDX-License-Identifier: Apache-2.0
// Which objects a Kustomization's health check waits on (flux-semantics.md §6.1), written once for the
// engine, the dependency graph, the critical path, check and explain:
//   - neither wait nor healthChecks: none, Ready right after the apply;
//   - wait: true: every object of the apply set except skipped ones (healthChecks is ignored);
//   - healthChecks: exactly the listed objects, whoever creates them (a Deployment a HelmRelease makes);
//   - always without the Kustomization itself.
// A healthChecks entry written without apiVersion has an empty group. kustomize-controller would look it
// up in the core group; fluxsim reads it as naming the object of that kind, namespace and name the
// repository has: a core-group one when there is one, else the first in World order (Kustomizations,
// sources, HelmReleases, then each Kustomization's objects). An entry that names nothing in the World
// stands for itself: an object nothing builds (it is NotFound until something creates it).
//
// Objects a Helm chart creates (flux-semantics.md §10): an object no Kustomization applies exists only
// once something creates it. A scenario `provides` rule listing it under `objects` says what (`by`);
// with no such rule, fluxsim takes it to be made by every HelmRelease whose release namespace
// (targetNamespace, else its own) is the object's and whose release name (spec.releaseName, else
// [targetNamespace-]name) or metadata.name begins the object's name, as chart templates name what they
// make. helm-controller creates it when it runs that release's install; an object nothing creates (a
// typo in healthChecks) never exists, so a health check on it always times out.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fluxsim/model.h"
#include "fluxsim/scenario.h"

namespace fluxsim::flux {

/// Whether the Kustomization runs a health check at all (wait: true or healthChecks set).
bool checks_health(const Kustomization& k);

/// Whether `r`, an object `k` applies, is waited on when k has wait: true.
bool waits_for_applied(const Kustomization& k, const Resource& r);

/// Whether helm-controller's install of `hr` creates `ref` by fluxsim's default (above).
bool chart_creates_by_default(const HelmRelease& hr, const ObjectRef& ref);

/// What creates `ref`, an object no Kustomization applies: the provides rules (indexes into `rules`)
/// whose `objects` list it, else the HelmReleases (World indexes) that create it by default.
struct Creators {
  std::vector<std::size_t> rules;
  std::vector<std::size_t> helm_releases;
  bool any() const { return !rules.empty() || !helm_releases.empty(); }
};
Creators creators_of(const World& world, const std::vector<ProvidesRule>& rules, const ObjectRef& ref);

/// Resolves healthChecks entries against a World; built once per World (it keeps pointers into it).
class HealthCheckResolver {
 public:
  explicit HealthCheckResolver(const World& world);

  /// The object a healthChecks entry names (see above).
  const ObjectRef& resolve(const ObjectRef& entry) const;

  /// The objects k's health check waits on, self removed: with wait: true the applied objects in build
  /// order (duplicates removed), else the resolved healthChecks entries in spec order.
  std::vector<ObjectRef> targets(const Kustomization& k) const;

  /// The Kustomizations (World indexes) k's health check waits on, without duplicates, in the order of
  /// targets(); never k itself.
  std::vector<std::size_t> kustomizations(std::size_t k) const;

  /// World index of the Kustomization `ref` names, or -1.
  std::ptrdiff_t kustomization_index(const ObjectRef& ref) const;

 private:
  struct Key {
    std::string_view kind, ns, name;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  const World& world_;
  std::unordered_map<Key, const ObjectRef*, KeyHash> any_group_;  // first object of that kind/ns/name
  std::unordered_map<Key, const ObjectRef*, KeyHash> core_;       // core-group object of that kind/ns/name
  std::unordered_map<Key, std::size_t, KeyHash> kustomizations_;  // ns/name -> index (kind "Kustomization")
};

}  // namespace fluxsim::flux
