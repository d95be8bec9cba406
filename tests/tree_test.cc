// SPDX-License-Identifier: Apache-2.0
// `fluxsim tree`: the offline `flux tree kustomization` rendering of a loaded World.
#include <sstream>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "fluxsim/load.h"
#include "fluxsim/tree.h"
#include "test_util.h"

using namespace fluxsim;

namespace {

World tree_world() {
  auto ks = [](const std::string& name, const std::string& path, const std::string& extra = "") {
    return "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
           "\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n  path: " + path +
           "\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n" + extra;
  };
  test::MemoryFileSource fs{
      {"c/infra.yaml", ks("infra", "./infra")},
      {"c/apps.yaml", ks("apps", "./apps", "  dependsOn:\n    - name: infra\n")},
      {"infra/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n"},
      {"apps/kustomization.yaml", "resources: [cm.yaml, broken.yaml]\n"},
      {"apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: web\n"},
      {"apps/broken.yaml", "kind: [\n"},
  };
  LoadOptions o;
  o.entry = "c";
  return load_world(fs, "repo", o).world;
}

}  // namespace

TEST_CASE("the tree nests each Kustomization under its parent with source, path, dependsOn and counts") {
  World w = tree_world();
  std::ostringstream out;
  write_tree(w, TreeOptions{}, out);
  CHECK(out.str() ==
        "Kustomization/flux-system/flux-system  path=./c source=GitRepository/flux-system/flux-system objects=2 (Kustomization 2)\n"
        "├── Kustomization/flux-system/apps  path=./apps source=GitRepository/flux-system/flux-system "
        "dependsOn=[flux-system/infra] objects=0  [BuildFailed: kustomize build failed: accumulating resources from "
        "'apps/broken.yaml': MalformedYAMLError: yaml: line 2: did not find expected node content]\n"
        "└── Kustomization/flux-system/infra  path=./infra source=GitRepository/flux-system/flux-system objects=1 (Namespace 1)\n");
}

TEST_CASE("with objects, the tree lists what each Kustomization applies, children expanded in place") {
  World w = tree_world();
  std::ostringstream out;
  write_tree(w, TreeOptions{true, false}, out);
  CHECK(out.str() ==
        "Kustomization/flux-system/flux-system  path=./c source=GitRepository/flux-system/flux-system\n"
        "├── Kustomization/flux-system/apps  path=./apps source=GitRepository/flux-system/flux-system "
        "dependsOn=[flux-system/infra]  [BuildFailed: kustomize build failed: accumulating resources from "
        "'apps/broken.yaml': MalformedYAMLError: yaml: line 2: did not find expected node content]\n"
        "└── Kustomization/flux-system/infra  path=./infra source=GitRepository/flux-system/flux-system\n"
        "    └── Namespace/web\n");
}

TEST_CASE("the JSON tree carries the same facts") {
  World w = tree_world();
  std::ostringstream out;
  write_tree(w, TreeOptions{true, true}, out);
  auto j = nlohmann::json::parse(out.str());
  CHECK(j["name"] == "flux-system");
  REQUIRE(j["children"].size() == 2);
  CHECK(j["children"][0]["name"] == "apps");
  CHECK(j["children"][0]["dependsOn"][0]["name"] == "infra");
  CHECK(j["children"][0]["buildFailure"]["file"] == "apps/broken.yaml");
  CHECK(j["children"][1]["objectCounts"]["Namespace"] == 1);
  CHECK(j["children"][1]["objects"][0]["kind"] == "Namespace");
}
