// SPDX-License-Identifier: Apache-2.0
#include "flux/kinds.h"

#include <array>

#include "fluxsim/scenario.h"  // glob_match

namespace fluxsim::flux {

bool is_kubernetes_group(std::string_view group) {
  static constexpr std::array<std::string_view, 24> kGroups = {
      "",
      "apps",
      "batch",
      "autoscaling",
      "policy",
      "extensions",
      "rbac.authorization.k8s.io",
      "networking.k8s.io",
      "storage.k8s.io",
      "apiextensions.k8s.io",
      "admissionregistration.k8s.io",
      "scheduling.k8s.io",
      "coordination.k8s.io",
      "node.k8s.io",
      "discovery.k8s.io",
      "apiregistration.k8s.io",
      "certificates.k8s.io",
      "events.k8s.io",
      "flowcontrol.apiserver.k8s.io",
      "resource.k8s.io",
      "authentication.k8s.io",
      "authorization.k8s.io",
      "storagemigration.k8s.io",
      "internal.apiserver.k8s.io",
  };
  for (std::string_view g : kGroups)
    if (g == group) return true;
  return false;
}

bool is_served_at_bootstrap(std::string_view group) {
  return is_kubernetes_group(group) || group.ends_with(".toolkit.fluxcd.io");
}

bool is_statusless_custom_kind(std::string_view group, std::string_view kind) {
  struct GroupKind {
    std::string_view group, kind;
  };
  static constexpr std::array<GroupKind, 23> kKinds = {{
      {"monitoring.coreos.com", "ServiceMonitor"},
      {"monitoring.coreos.com", "PodMonitor"},
      {"monitoring.coreos.com", "PrometheusRule"},
      {"monitoring.coreos.com", "Probe"},
      {"monitoring.coreos.com", "AlertmanagerConfig"},
      {"monitoring.coreos.com", "ScrapeConfig"},
      {"tekton.dev", "Task"},
      {"tekton.dev", "ClusterTask"},
      {"tekton.dev", "Pipeline"},
      {"triggers.tekton.dev", "TriggerTemplate"},
      {"triggers.tekton.dev", "TriggerBinding"},
      {"triggers.tekton.dev", "ClusterTriggerBinding"},
      {"triggers.tekton.dev", "Interceptor"},
      {"traefik.io", "Middleware"},
      {"traefik.io", "IngressRoute"},
      {"traefik.containo.us", "Middleware"},
      {"traefik.containo.us", "IngressRoute"},
      {"notification.toolkit.fluxcd.io", "Alert"},
      {"notification.toolkit.fluxcd.io", "Provider"},
      {"snapshot.storage.k8s.io", "VolumeSnapshotClass"},
      {"k8s.cni.cncf.io", "NetworkAttachmentDefinition"},
      {"cilium.io", "CiliumNetworkPolicy"},
      {"cilium.io", "CiliumClusterwideNetworkPolicy"},
  }};
  for (const GroupKind& gk : kKinds)
    if (gk.group == group && gk.kind == kind) return true;
  return false;
}

bool is_source_kind(std::string_view kind) {
  return kind == "GitRepository" || kind == "OCIRepository" || kind == "Bucket" || kind == "HelmRepository" ||
         kind == "HelmChart" || kind == "ExternalArtifact";
}

std::string kind_key(std::string_view group, std::string_view kind) {
  std::string out(group);
  out += '/';
  out += kind;
  return out;
}

bool kind_pattern_matches(std::string_view pattern, std::string_view group, std::string_view kind) {
  const std::size_t slash = pattern.find('/');
  if (slash == std::string_view::npos) return glob_match(pattern, kind);
  return glob_match(pattern.substr(0, slash), group) && glob_match(pattern.substr(slash + 1), kind);
}

}  // namespace fluxsim::flux
