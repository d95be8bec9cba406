// SPDX-License-Identifier: Apache-2.0
// How kstatus judges an applied object, and fluxsim's default time for it to become Current when no
// scenario rule matches (product.md §2, flux-semantics.md §6.3). Kustomizations, HelmReleases and
// sources are not timed here: their own simulated controllers make them Ready.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fluxsim/distribution.h"
#include "fluxsim/model.h"

namespace fluxsim {

/// What decides an object's kstatus in the simulation.
enum class ReadinessClass {
  Immediate,      ///< no status to wait for (ConfigMap, Namespace, RBAC, status-less custom resources)
  Timed,          ///< Current a while after apply (rollouts, Jobs, CRDs Established, custom resources with Ready)
  Kustomization,  ///< Ready when its simulated kustomize-controller pass succeeds
  HelmRelease,    ///< Ready when its Helm install succeeds
  Source,         ///< Ready when its simulated source-controller fetch produces an artifact
};

ReadinessClass readiness_class(const ObjectRef& ref);

/// The built-in time from apply to Current for a Timed or Immediate object:
/// Deployment 30s, StatefulSet 60s, DaemonSet 30s, Job 30s (until Complete), CustomResourceDefinition 1s
/// (Established), PersistentVolumeClaim 5s, Service of type LoadBalancer 30s, HelmRelease 45s (its Helm
/// install with wait), other custom resources 5s (assumed to carry a Ready condition, except well-known
/// kinds without status), everything else at once.
Distribution default_ready_after(const Resource& r);

/// One line per built-in default, for `fluxsim run --help` and the README.
std::vector<std::string> describe_default_timings();

}  // namespace fluxsim
