// SPDX-License-Identifier: Apache-2.0
// Controller flags the repository sets (--concurrent, --requeue-dependency, ...) are found wherever
// real repositories write them, and the simulation runs with them unless the scenario says otherwise.
#include <doctest/doctest.h>

#include "fluxsim/load.h"
#include "fluxsim/scenario.h"
#include "test_util.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::MemoryFileSource;

namespace {

const char* kFluxSystemKustomization = R"yaml(apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - gotk-components.yaml
patches:
  - patch: |
      - op: add
        path: /spec/template/spec/containers/0/args/-
        value: --concurrent=20
      - op: add
        path: /spec/template/spec/containers/0/args/-
        value: --requeue-dependency=5s
    target:
      kind: Deployment
      name: "(kustomize-controller|helm-controller)"
  - patch: |
      - op: add
        path: /spec/template/spec/containers/0/args/-
        value: --concurrent=10
    target:
      kind: Deployment
      name: notification-controller
)yaml";

}  // namespace

TEST_CASE("flags patched onto the controller Deployments are found, with their file and line") {
  MemoryFileSource fs{{"clusters/prod/flux-system/kustomization.yaml", kFluxSystemKustomization},
                      {"clusters/prod/flux-system/gotk-components.yaml", "# placeholder\n"}};
  WorldLoad load = load_world(fs, "repo", LoadOptions{"clusters/prod", {}, {}, {}, {}});
  REQUIRE_FALSE(load.diagnostics.has_errors());
  const auto& flags = load.world.controller_flags;
  REQUIRE(flags.size() == 4);  // notification-controller is not a controller fluxsim simulates
  CHECK(flags[0].controller == "kustomize");
  CHECK(flags[0].name == "concurrent");
  CHECK(flags[0].value == "20");
  CHECK(to_string(flags[0].where) == "clusters/prod/flux-system/kustomization.yaml:9");
  CHECK(flags[1].controller == "helm");
  CHECK(flags[3].name == "requeue-dependency");
  CHECK(to_string(flags[3].where) == "clusters/prod/flux-system/kustomization.yaml:12");

  SUBCASE("the scenario runs with them") {
    Scenario s;
    Diagnostics warnings;
    apply_controller_flags(s, load.world, warnings);
    CHECK(s.controllers.kustomize.concurrent == 20);
    CHECK(s.controllers.helm.concurrent == 20);
    CHECK(s.controllers.kustomize.requeue_dependency == 5s);
    CHECK(s.controllers.helm.requeue_dependency == 5s);
    CHECK(s.controllers.source.concurrent == 2);
    CHECK(s.controllers.from_repository.size() == 4);
    CHECK(warnings.empty());
  }
  SUBCASE("a field the scenario sets wins over the repository") {
    ScenarioLoad sl = parse_scenario(
        "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  controllers:\n    kustomize:\n      concurrent: 4\n",
        "s.yaml");
    REQUIRE_FALSE(sl.diagnostics.has_errors());
    Diagnostics warnings;
    apply_controller_flags(sl.scenario, load.world, warnings);
    CHECK(sl.scenario.controllers.kustomize.concurrent == 4);
    CHECK(sl.scenario.controllers.kustomize.requeue_dependency == 5s);
  }
}

TEST_CASE("flags in a flux-instance HelmRelease's kustomize patches and in a controller Deployment's args") {
  MemoryFileSource fs{
      {"clusters/prod/kustomization.yaml", "resources: [flux-instance.yaml, sc.yaml]\n"},
      {"clusters/prod/flux-instance.yaml", R"(apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: flux-instance, namespace: flux-system}
spec:
  interval: 1h
  chart: {spec: {chart: flux-instance, sourceRef: {kind: HelmRepository, name: fo}}}
  values:
    instance:
      kustomize:
        patches:
          - patch: |-
              - op: add
                path: /spec/template/spec/containers/0/args/-
                value: --concurrent=12
            target:
              kind: Deployment
              name: kustomize-controller
)"},
      {"clusters/prod/sc.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: source-controller, namespace: flux-system}
spec:
  template:
    spec:
      containers:
        - name: manager
          args: ["--events-addr=http://x", "--concurrent=6"]
)"}};
  WorldLoad load = load_world(fs, "repo", LoadOptions{"clusters/prod", {}, {}, {}, {}});
  REQUIRE_FALSE(load.diagnostics.has_errors());
  Scenario s;
  Diagnostics warnings;
  apply_controller_flags(s, load.world, warnings);
  CHECK(s.controllers.kustomize.concurrent == 12);
  CHECK(s.controllers.source.concurrent == 6);
}
