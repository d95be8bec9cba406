// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/readiness.h"

#include "flux/defaults.h"
#include "flux/kinds.h"

namespace fluxsim {
using namespace std::chrono_literals;
using flux::is_kubernetes_group;
using flux::is_statusless_custom_kind;

ReadinessClass readiness_class(const ObjectRef& ref) {
  if (ref.group == kKustomizeGroup && ref.kind == "Kustomization") return ReadinessClass::Kustomization;
  if (ref.group == kHelmGroup && ref.kind == "HelmRelease") return ReadinessClass::HelmRelease;
  if (ref.group == kSourceGroup && flux::is_source_kind(ref.kind)) return ReadinessClass::Source;
  if (is_kubernetes_group(ref.group)) {
    std::string_view k = ref.kind;
    if (k == "Deployment" || k == "StatefulSet" || k == "DaemonSet" || k == "Job" ||
        k == "CustomResourceDefinition" || k == "PersistentVolumeClaim" || k == "Pod" || k == "ReplicaSet" ||
        k == "Service" || k == "APIService")
      return ReadinessClass::Timed;
    return ReadinessClass::Immediate;
  }
  if (is_statusless_custom_kind(ref.group, ref.kind)) return ReadinessClass::Immediate;
  return ReadinessClass::Timed;
}

Distribution default_ready_after(const Resource& r) {
  const ObjectRef& ref = r.ref;
  auto fixed = [](Duration d) { return Distribution::fixed(d); };
  switch (readiness_class(ref)) {
    case ReadinessClass::Immediate: return fixed(0s);
    case ReadinessClass::HelmRelease: return fixed(flux::kHelmInstallTime);
    case ReadinessClass::Kustomization:
    case ReadinessClass::Source: return fixed(0s);
    case ReadinessClass::Timed: break;
  }
  if (!is_kubernetes_group(ref.group)) return fixed(5s);
  std::string_view k = ref.kind;
  if (k == "Deployment" || k == "DaemonSet" || k == "Job" || k == "ReplicaSet") return fixed(30s);
  if (k == "StatefulSet") return fixed(60s);
  if (k == "CustomResourceDefinition") return fixed(1s);
  if (k == "PersistentVolumeClaim" || k == "Pod" || k == "APIService") return fixed(5s);
  if (k == "Service") return fixed(r.load_balancer ? 30s : 0s);
  return fixed(0s);
}

std::vector<std::string> describe_default_timings() {
  return {
      "build: 1s per apply attempt (artifact fetch, kustomize build, server-side dry-run)",
      "applyPerObject: 20ms per object created or changed",
      "Deployment, DaemonSet, ReplicaSet: Current 30s after apply",
      "StatefulSet: 60s",
      "Job: 30s (until Complete)",
      "CustomResourceDefinition: 1s (Established)",
      "PersistentVolumeClaim, Pod, APIService: 5s",
      "Service of type LoadBalancer: 30s; other Services at once",
      "HelmRelease: 45s (Helm install with its wait)",
      "other custom resources: 5s (assumed to carry a Ready condition), except well-known kinds without status",
      "kinds without status (ConfigMap, Secret, Namespace, RBAC, ...): at once",
      "Kustomizations and sources: when their simulated controller makes them Ready",
  };
}

}  // namespace fluxsim
