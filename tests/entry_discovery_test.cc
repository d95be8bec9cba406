// SPDX-License-Identifier: Apache-2.0
// Finding the entry point of a repository without a scenario, as a person would (README, "What you can ask it").
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "fluxsim/load.h"
#include "test_util.h"

using namespace fluxsim;
using fluxsim::test::MemoryFileSource;

namespace {

std::string ks(const std::string& name, const std::string& path, const std::string& source_kind = "GitRepository") {
  return "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
         "\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n  path: " + path +
         "\n  sourceRef:\n    kind: " + source_kind + "\n    name: flux-system\n";
}

}  // namespace

TEST_CASE("flux bootstrap's gotk-sync.yaml names the entry through its Kustomization's path") {
  MemoryFileSource fs{
      {"clusters/prod/flux-system/gotk-sync.yaml", ks("flux-system", "./clusters/prod")},
      {"clusters/prod/apps.yaml", ks("apps", "./apps")},
  };
  auto found = discover_entries(fs);
  REQUIRE(found.size() == 1);
  CHECK(found[0].path == "clusters/prod");
  CHECK(found[0].how == "flux-system/gotk-sync.yaml");
  CHECK(found[0].where.file == "clusters/prod/flux-system/gotk-sync.yaml");
}

TEST_CASE("comment-only placeholder gotk files make their parent directory the entry; one per cluster") {
  MemoryFileSource fs{
      {"clusters/production/flux-system/gotk-sync.yaml", "# This file will be generated automatically by flux bootstrap.\n"},
      {"clusters/staging/flux-system/gotk-sync.yaml", "# placeholder\n"},
  };
  auto found = discover_entries(fs);
  REQUIRE(found.size() == 2);
  CHECK(found[0].path == "clusters/production");
  CHECK(found[1].path == "clusters/staging");
  CHECK(found[0].how.find("placeholder") != std::string::npos);
}

TEST_CASE("a flux-operator FluxInstance or flux-instance HelmRelease names the sync path") {
  MemoryFileSource fs{
      {"k8s/flux/cluster/ks.yaml", ks("apps", "./k8s/apps")},
      {"k8s/apps/flux-instance/helmrelease.yaml",
       "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: flux-instance\nspec:\n  values:\n"
       "    instance:\n      sync:\n        kind: GitRepository\n        url: https://github.com/me/ops\n        path: ./k8s/flux/cluster\n"},
  };
  auto found = discover_entries(fs);
  REQUIRE(found.size() == 1);
  CHECK(found[0].path == "k8s/flux/cluster");
  CHECK(found[0].how.find("HelmRelease flux-instance") == 0);

  MemoryFileSource instance{
      {"clusters/a/sync/ks.yaml", ks("apps", "./apps")},
      {"flux/instance.yaml",
       "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\nspec:\n  sync:\n    path: clusters/a/sync\n"},
  };
  auto f2 = discover_entries(instance);
  REQUIRE(f2.size() == 1);
  CHECK(f2[0].path == "clusters/a/sync");
  CHECK(f2[0].how == "FluxInstance flux");
}

TEST_CASE("without bootstrap files, a Kustomization applied by hand whose own path contains it is the entry") {
  MemoryFileSource fs{
      {"k8s/flux/config/cluster.yaml", ks("cluster", "./k8s/flux") + "---\n" + ks("flux", "./", "OCIRepository")},
      {"k8s/flux/apps.yaml", ks("apps", "./k8s/apps")},
      {"archive/old.yaml", ks("old", "./")},  // the whole repository: not a self-reference
  };
  auto found = discover_entries(fs);
  REQUIRE(found.size() == 1);
  CHECK(found[0].path == "k8s/flux/config");
  CHECK(found[0].how.find("self-referencing Kustomization cluster") == 0);
}

TEST_CASE("bootstrap files win over self-referencing Kustomizations; hidden directories are not searched") {
  MemoryFileSource fs{
      {"clusters/prod/flux-system/gotk-sync.yaml", ks("flux-system", "./clusters/prod")},
      {"k8s/flux/config/cluster.yaml", ks("cluster", "./k8s/flux")},
      {".github/flux-system/gotk-sync.yaml", "# not a cluster\n"},
  };
  auto found = discover_entries(fs);
  REQUIRE(found.size() == 1);
  CHECK(found[0].path == "clusters/prod");
}

TEST_CASE("a repository with no recognisable entry finds nothing") {
  MemoryFileSource fs{{"apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"}};
  CHECK(discover_entries(fs).empty());
}

TEST_CASE("a FluxInstance syncing from an OCIRepository makes a root of that kind") {
  MemoryFileSource fs{
      {"flux/instance.yaml",
       "apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n"
       "  sync:\n    kind: OCIRepository\n    url: oci://ghcr.io/org/fleet\n    ref: latest\n    path: clusters/prod\n"},
      {"clusters/prod/apps.yaml", ks("apps", "./apps", "OCIRepository")},
      {"apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\n"},
  };
  auto found = discover_entries(fs);
  REQUIRE(found.size() == 1);
  CHECK(found[0].path == "clusters/prod");
  CHECK(found[0].source_kind == "OCIRepository");
  WorldLoad l = load_world(fs, "repo", LoadOptions{});
  REQUIRE_FALSE(l.diagnostics.has_errors());
  const World& w = l.world;
  CHECK(w.kustomizations[0].source_ref.kind == "OCIRepository");
  const Source* root = w.find_source("OCIRepository", "flux-system", "flux-system");
  REQUIRE(root);
  CHECK(root->directory == ".");
  CHECK(root->exists_at_start);
  // apps is built from that same artifact: this checkout.
  const Kustomization* apps = w.find_kustomization("flux-system", "apps");
  REQUIRE(apps);
  REQUIRE(apps->objects.size() == 1);
  CHECK(apps->objects[0].ref.kind == "ConfigMap");
  CHECK(w.assumptions.empty());
}

TEST_CASE("without flux-system/, the folders holding Flux Kustomizations that nothing applies are the candidates") {
  MemoryFileSource fs{
      {"clusters/production/apps.yaml", ks("apps", "./apps/production")},
      {"clusters/staging/apps.yaml", ks("apps", "./apps/staging")},
      {"apps/production/podinfo.yaml", ks("podinfo", "./podinfo")},
      {"apps/staging/podinfo.yaml", ks("podinfo", "./podinfo")},
      {"podinfo/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"},
  };
  CHECK(discover_entries(fs).empty());
  CHECK(unapplied_kustomization_dirs(fs) == std::vector<std::string>{"clusters/production", "clusters/staging"});
  WorldLoad l = load_world(fs, "repo", LoadOptions{});
  REQUIRE(l.diagnostics.has_errors());
  const Diagnostic& e = *l.diagnostics.begin();
  CHECK(e.message.find("folders holding Flux Kustomizations that nothing applies: clusters/production, clusters/staging") !=
        std::string::npos);
  CHECK(e.hint.find("--entry clusters/production") != std::string::npos);
}
