// SPDX-License-Identifier: Apache-2.0
#include "flux/apply.h"

#include <array>
#include <tuple>

namespace fluxsim {

// fluxcd/pkg ssa/utils IsClusterDefinition (CRD, Namespace, ClusterRole since ssa v0.58) and the
// "*Class" stage of ApplyAllStaged.
ApplyStage apply_stage(const ObjectRef& ref) {
  if ((ref.kind == "CustomResourceDefinition" && ref.group == "apiextensions.k8s.io") ||
      (ref.kind == "Namespace" && ref.group.empty()) || (ref.kind == "ClusterRole" && ref.group == "rbac.authorization.k8s.io"))
    return ApplyStage::ClusterDefinitions;
  // ssa/utils IsClassDefinition: any kind ending in "Class" (strings.HasSuffix).
  if (std::string_view(ref.kind).ends_with("Class")) return ApplyStage::Classes;
  return ApplyStage::Rest;
}

// fluxcd/pkg ssa/sort.go `ReconcileOrder` (ssa v0.77.0, what kustomize-controller v1.9 pins): listed
// kinds first in this order (index -23 .. -1), unknown kinds next (0), webhook configurations last (1,
// 2). The index goes by kind alone, whatever the group; ties go by group, kind, namespace, name.
int apply_kind_order(std::string_view kind) {
  static constexpr std::array<std::string_view, 23> kFirst = {"CustomResourceDefinition",
                                                              "Namespace",
                                                              "ClusterRole",
                                                              "ClusterClass",
                                                              "RuntimeClass",
                                                              "PriorityClass",
                                                              "StorageClass",
                                                              "VolumeSnapshotClass",
                                                              "IngressClass",
                                                              "GatewayClass",
                                                              "ClusterRoleBinding",
                                                              "ResourceQuota",
                                                              "ServiceAccount",
                                                              "Role",
                                                              "RoleBinding",
                                                              "ConfigMap",
                                                              "Secret",
                                                              "Service",
                                                              "LimitRange",
                                                              "Deployment",
                                                              "StatefulSet",
                                                              "CronJob",
                                                              "PodDisruptionBudget"};
  for (std::size_t i = 0; i < kFirst.size(); ++i)
    if (kFirst[i] == kind) return -static_cast<int>(kFirst.size()) + static_cast<int>(i);
  if (kind == "MutatingWebhookConfiguration") return 1;
  if (kind == "ValidatingWebhookConfiguration") return 2;
  return 0;
}

namespace flux {

int stage_slot(ApplyStage stage) {
  switch (stage) {
    case ApplyStage::ClusterDefinitions: return 0;
    case ApplyStage::Classes: return 1;
    case ApplyStage::Rest: break;
  }
  return 2;
}

bool applied_before(const ObjectRef& a, const ObjectRef& b) {
  const int sa = stage_slot(apply_stage(a)), sb = stage_slot(apply_stage(b));
  if (sa != sb) return sa < sb;
  const int oa = apply_kind_order(a.kind), ob = apply_kind_order(b.kind);
  if (oa != ob) return oa < ob;
  return std::tie(a.group, a.kind, a.ns, a.name) < std::tie(b.group, b.kind, b.ns, b.name);
}

}  // namespace flux
}  // namespace fluxsim
