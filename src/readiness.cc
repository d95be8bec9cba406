// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/readiness.h"

#include <array>

namespace fluxsim {
namespace {

using namespace std::chrono_literals;

// API groups served by Kubernetes itself. Objects of these groups follow the per-kind rules of
// kstatus; anything else is a custom resource.
bool is_builtin_group(std::string_view g) {
  static constexpr std::array<std::string_view, 22> kGroups = {
      "", "apps", "batch", "autoscaling", "policy", "rbac.authorization.k8s.io", "networking.k8s.io",
      "storage.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io", "scheduling.k8s.io",
      "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io", "apiregistration.k8s.io",
      "certificates.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io",
      "authentication.k8s.io", "authorization.k8s.io", "extensions"};
  for (std::string_view b : kGroups)
    if (b == g) return true;
  return false;
}

// Custom kinds that carry no status conditions, so kstatus calls them Current as soon as they exist.
bool is_statusless_custom_kind(std::string_view group, std::string_view kind) {
  struct GK {
    std::string_view group, kind;
  };
  static constexpr std::array<GK, 23> kKinds = {{
      {"monitoring.coreos.com", "ServiceMonitor"}, {"monitoring.coreos.com", "PodMonitor"},
      {"monitoring.coreos.com", "PrometheusRule"}, {"monitoring.coreos.com", "Probe"},
      {"monitoring.coreos.com", "AlertmanagerConfig"}, {"monitoring.coreos.com", "ScrapeConfig"},
      {"tekton.dev", "Task"}, {"tekton.dev", "ClusterTask"}, {"tekton.dev", "Pipeline"},
      {"triggers.tekton.dev", "TriggerTemplate"}, {"triggers.tekton.dev", "TriggerBinding"},
      {"triggers.tekton.dev", "ClusterTriggerBinding"}, {"triggers.tekton.dev", "Interceptor"},
      {"traefik.io", "Middleware"}, {"traefik.io", "IngressRoute"}, {"traefik.containo.us", "Middleware"},
      {"traefik.containo.us", "IngressRoute"}, {"notification.toolkit.fluxcd.io", "Alert"},
      {"notification.toolkit.fluxcd.io", "Provider"}, {"snapshot.storage.k8s.io", "VolumeSnapshotClass"},
      {"k8s.cni.cncf.io", "NetworkAttachmentDefinition"}, {"cilium.io", "CiliumNetworkPolicy"},
      {"cilium.io", "CiliumClusterwideNetworkPolicy"},
  }};
  for (const GK& gk : kKinds)
    if (gk.group == group && gk.kind == kind) return true;
  return false;
}

}  // namespace

ReadinessClass readiness_class(const ObjectRef& ref) {
  if (ref.group == kKustomizeGroup && ref.kind == "Kustomization") return ReadinessClass::Kustomization;
  if (ref.group == kHelmGroup && ref.kind == "HelmRelease") return ReadinessClass::HelmRelease;
  if (ref.group == kSourceGroup &&
      (ref.kind == "GitRepository" || ref.kind == "OCIRepository" || ref.kind == "Bucket" ||
       ref.kind == "HelmRepository" || ref.kind == "HelmChart" || ref.kind == "ExternalArtifact"))
    return ReadinessClass::Source;
  if (is_builtin_group(ref.group)) {
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
    case ReadinessClass::HelmRelease: return fixed(45s);
    case ReadinessClass::Kustomization:
    case ReadinessClass::Source: return fixed(0s);
    case ReadinessClass::Timed: break;
  }
  if (is_unknown_objects(ref)) return fixed(30s);  // what a remote source or base applies: a rollout, say
  if (!is_builtin_group(ref.group)) return fixed(5s);
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
      "fluxsim.dev/UnknownObjects (what an assumed-remote source or a remote base applies): 30s",
      "other custom resources: 5s (assumed to carry a Ready condition), except well-known kinds without status",
      "kinds without status (ConfigMap, Secret, Namespace, RBAC, ...): at once",
      "Kustomizations and sources: when their simulated controller makes them Ready",
      "fetch of a source the checkout cannot provide (assumed reachable; timing.fetch): GitRepository 3s, OCIRepository 2s, "
      "Bucket 2s, HelmRepository 3s",
  };
}

}  // namespace fluxsim
