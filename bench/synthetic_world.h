// SPDX-License-Identifier: Apache-2.0
// A World built in code in the shape bench/gen_repo.py writes to disk (phases -> components, each a
// `<c>-base` with wait: true plus features that dependsOn it, cross-component base chains, M objects per
// Kustomization), for benches that must not depend on the loader's speed.
#pragma once

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "fluxsim/model.h"
#include "fluxsim/random.h"

namespace fluxsim::bench {

inline Resource make_resource(std::string api_version, std::string kind, std::string ns, std::string name) {
  Resource r;
  r.ref = {std::string(group_of(api_version)), std::move(kind), std::move(ns), std::move(name)};
  r.api_version = std::move(api_version);
  return r;
}

inline World synthetic_world(int kustomizations, int objects_per_kustomization, std::uint64_t seed = 1) {
  World w;
  Rng rng(seed);
  auto below = [&](std::uint64_t n) { return static_cast<int>(rng.next() % n); };
  auto make_ks = [&](const std::string& name, const std::optional<ObjectRef>& parent) {
    Kustomization k;
    k.ref = {std::string(kKustomizeGroup), "Kustomization", "flux-system", name};
    k.api_version = "kustomize.toolkit.fluxcd.io/v1";
    k.source_ref = {"GitRepository", "flux-system", "flux-system", {}, false};
    k.path = "./" + name;
    k.prune = true;
    k.parent = parent;
    return k;
  };
  Source src;
  src.ref = {std::string(kSourceGroup), "GitRepository", "flux-system", "flux-system"};
  src.directory = ".";
  src.exists_at_start = true;
  w.sources.push_back(src);
  w.kustomizations.push_back(make_ks("flux-system", std::nullopt));
  const char* phases[] = {"infrastructure", "platform", "apps"};
  for (int p = 0; p < 3; ++p) {
    Kustomization k = make_ks(phases[p], w.kustomizations[0].ref);
    k.wait = p < 2;
    if (p > 0) k.depends_on.push_back({"Kustomization", "flux-system", phases[p - 1], {}, false});
    w.kustomizations[0].objects.push_back(make_resource("kustomize.toolkit.fluxcd.io/v1", "Kustomization", "flux-system", phases[p]));
    w.kustomizations.push_back(k);
  }
  int made = 3, component = 0;
  std::string previous_base;
  while (made < kustomizations) {
    // Phases in contiguous blocks, so cross-component chains only point back to earlier phases.
    const int phase = 1 + std::min(2, made * 3 / kustomizations);
    const std::string c = fmt::format("c{:04}", component++);
    const int features = 1 + below(5);
    const ObjectRef phase_ref = w.kustomizations[static_cast<std::size_t>(phase)].ref;
    for (int f = 0; f <= features && made < kustomizations; ++f, ++made) {
      const std::string name = f == 0 ? c + "-base" : fmt::format("{}-f{}", c, f);
      Kustomization k = make_ks(name, phase_ref);
      k.interval = std::chrono::minutes(f == 0 ? 10 : (f % 3 == 0 ? 60 : 30));
      if (f == 0) {
        k.wait = true;
        if (!previous_base.empty() && below(10) < 3) k.depends_on.push_back({"Kustomization", "flux-system", previous_base, {}, false});
      } else {
        k.wait = below(2) == 0;
        k.depends_on.push_back({"Kustomization", "flux-system", c + "-base", {}, false});
      }
      w.kustomizations[static_cast<std::size_t>(phase)].objects.push_back(
          make_resource("kustomize.toolkit.fluxcd.io/v1", "Kustomization", "flux-system", name));
      for (int o = 0; o < objects_per_kustomization; ++o) {
        std::string on = fmt::format("{}-{}", name, o);
        switch (o % 8) {
          case 0:
            if (f == 0) k.objects.push_back(make_resource("v1", "Namespace", "", c));
            else k.objects.push_back(make_resource("v1", "ServiceAccount", c, on));
            break;
          case 1:
            if (f == 0) {
              Resource crd = make_resource("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets." + c + ".example.com");
              crd.defines_kind = c + ".example.com/Widget";
              k.objects.push_back(crd);
            } else {
              k.objects.push_back(make_resource(c + ".example.com/v1", "Widget", c, on));
            }
            break;
          case 2: k.objects.push_back(make_resource("apps/v1", "Deployment", c, on)); break;
          case 3: k.objects.push_back(make_resource("v1", "Service", c, on)); break;
          default: k.objects.push_back(make_resource("v1", "ConfigMap", c, on)); break;
        }
      }
      w.kustomizations.push_back(std::move(k));
    }
    previous_base = c + "-base";
  }
  return w;
}

}  // namespace fluxsim::bench
