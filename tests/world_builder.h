// SPDX-License-Identifier: Apache-2.0
// Builds small Worlds inline for engine tests: a root Kustomization "flux-system" on the GitRepository
// "flux-system" (mapped to the repository root), children added by name.
#pragma once

#include <stdexcept>
#include <string>

#include "fluxsim/model.h"
#include "fluxsim/scenario.h"

namespace fluxsim::test {

inline Resource resource(std::string api_version, std::string kind, std::string ns, std::string name) {
  Resource r;
  r.ref.group = std::string(group_of(api_version));
  r.ref.kind = std::move(kind);
  r.ref.ns = std::move(ns);
  r.ref.name = std::move(name);
  r.api_version = std::move(api_version);
  return r;
}

class WorldBuilder {
 public:
  explicit WorldBuilder(Duration root_interval = std::chrono::minutes(10)) {
    Kustomization root;
    root.ref = {std::string(kKustomizeGroup), "Kustomization", "flux-system", "flux-system"};
    root.api_version = "kustomize.toolkit.fluxcd.io/v1";
    root.source_ref = {"GitRepository", "flux-system", "flux-system", {}, false};
    root.path = "./clusters/test";
    root.interval = root_interval;
    root.prune = true;
    world_.kustomizations.push_back(root);
    Source src;
    src.ref = {std::string(kSourceGroup), "GitRepository", "flux-system", "flux-system"};
    src.api_version = "source.toolkit.fluxcd.io/v1";
    src.directory.emplace(".");  // not `= "."`: GCC 12 at -O3 sees a bogus overlapping memcpy in that (-Wrestrict)
    src.exists_at_start = true;
    world_.sources.push_back(src);
  }

  /// Adds a Kustomization applied by `parent` (default interval 10m, no wait).
  Kustomization& kustomization(const std::string& name, const std::string& parent = "flux-system") {
    Kustomization k;
    k.ref = {std::string(kKustomizeGroup), "Kustomization", "flux-system", name};
    k.api_version = "kustomize.toolkit.fluxcd.io/v1";
    k.source_ref = {"GitRepository", "flux-system", "flux-system", {}, false};
    k.path = "./" + name;
    k.prune = true;
    k.parent = get(parent).ref;
    get(parent).objects.push_back(resource("kustomize.toolkit.fluxcd.io/v1", "Kustomization", "flux-system", name));
    world_.kustomizations.push_back(k);
    return world_.kustomizations.back();
  }

  /// Adds an object to the build of Kustomization `ks`.
  Resource& object(const std::string& ks, std::string api_version, std::string kind, std::string ns, std::string name) {
    Kustomization& k = get(ks);
    k.objects.push_back(resource(std::move(api_version), std::move(kind), std::move(ns), std::move(name)));
    return k.objects.back();
  }

  Resource& crd(const std::string& ks, const std::string& group, const std::string& kind) {
    Resource& r = object(ks, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "", kind + "s." + group);
    r.defines_kind = group + "/" + kind;
    return r;
  }

  /// Adds a HelmRelease (v2) applied by `ks`; its chart comes from `chart_source` (a HelmRepository
  /// in flux-system) when given.
  HelmRelease& helm_release(const std::string& ks, const std::string& name, const std::string& chart_source = "") {
    object(ks, "helm.toolkit.fluxcd.io/v2", "HelmRelease", "flux-system", name);
    HelmRelease hr;
    hr.ref = {std::string(kHelmGroup), "HelmRelease", "flux-system", name};
    hr.api_version = "helm.toolkit.fluxcd.io/v2";
    hr.parent = get(ks).ref;
    if (!chart_source.empty()) hr.chart_source = ObjectRef{std::string(kSourceGroup), "HelmRepository", "flux-system", chart_source};
    world_.helm_releases.push_back(hr);
    return world_.helm_releases.back();
  }

  /// Adds a HelmRepository applied by `ks`.
  Source& helm_repository(const std::string& ks, const std::string& name) {
    object(ks, "source.toolkit.fluxcd.io/v1", "HelmRepository", "flux-system", name);
    Source src;
    src.ref = {std::string(kSourceGroup), "HelmRepository", "flux-system", name};
    src.api_version = "source.toolkit.fluxcd.io/v1";
    src.url = "https://charts.example.com";
    src.interval = std::chrono::minutes(10);
    world_.sources.push_back(src);
    return world_.sources.back();
  }

  /// Adds a GitRepository applied by `ks`; its fetch time comes from the scenario (timing.fetch, sources[]).
  Source& git_repository(const std::string& ks, const std::string& name) {
    object(ks, "source.toolkit.fluxcd.io/v1", "GitRepository", "flux-system", name);
    Source src;
    src.ref = {std::string(kSourceGroup), "GitRepository", "flux-system", name};
    src.api_version = "source.toolkit.fluxcd.io/v1";
    src.url = "https://example.com/" + name + ".git";
    src.directory.emplace(".");  // mapped to the checkout: its Kustomizations build what the test gives them
    world_.sources.push_back(src);
    return world_.sources.back();
  }

  void depends_on(const std::string& ks, const std::string& dep) {
    get(ks).depends_on.push_back({"Kustomization", "flux-system", dep, {}, false});
  }

  Kustomization& get(const std::string& name) {
    for (Kustomization& k : world_.kustomizations)
      if (k.ref.name == name) return k;
    throw std::runtime_error("no Kustomization " + name);
  }

  const World& world() const { return world_; }

 private:
  World world_;
};

/// The scenario the hand-computed timelines assume: Flux's defaults, no interval jitter (re-runs at
/// exactly the interval), a one-hour horizon.
inline Scenario quiet_scenario(std::string name = {}) {
  Scenario s;
  s.name = std::move(name);
  s.controllers.kustomize.interval_jitter_percent = 0;
  s.horizon = std::chrono::hours(1);
  return s;
}

/// The dependsOn chain of three the timeline tests share: a, b, c, each `wait: true` on one Deployment
/// (`<name>-app`), b dependsOn a, c dependsOn b, all applied by the root.
inline WorldBuilder chain_of_three() {
  WorldBuilder b;
  for (const char* n : {"a", "b", "c"}) {
    b.kustomization(n).wait = true;
    b.object(n, "apps/v1", "Deployment", "default", std::string(n) + "-app");
  }
  b.depends_on("b", "a");
  b.depends_on("c", "b");
  return b;
}

}  // namespace fluxsim::test
