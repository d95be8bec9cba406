// SPDX-License-Identifier: Apache-2.0
// dependsOn[].readyExpr against hand-computed timelines (flux-semantics.md §2 for Kustomizations, §10
// for HelmReleases): with the AdditiveCELDependencyCheck gate off (the default) the expression REPLACES
// the built-in readiness test; with it on both must pass. An evaluation error leaves the dependency not
// ready (requeue --requeue-dependency, 30s); invalid CEL stalls the dependent (no requeue). Defaults as
// in engine_test.cc: build 1s, 20ms per object, Deployment Current 30s after apply, health polls every
// 5s, firstReconcileDelay 750ms; Helm install 45s.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "fluxsim/check.h"
#include "fluxsim/engine.h"
#include "fluxsim/load.h"
#include "fluxsim/report.h"
#include "test_util.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::quiet_scenario;
using fluxsim::test::WorldBuilder;

namespace {

std::int64_t ready_ms(const RunResult& r, const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.kustomizations.size(); ++i)
    if (w.kustomizations[i].ref.name == name) return r.kustomizations[i].ready_at == kNever ? -1 : to_ms(r.kustomizations[i].ready_at);
  return -2;
}

std::int64_t hr_ready_ms(const RunResult& r, const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.helm_releases.size(); ++i)
    if (w.helm_releases[i].ref.name == name) return r.helm_ready_at[i] == kNever ? -1 : to_ms(r.helm_ready_at[i]);
  return -2;
}

// "pass@start outcome; ..." for one object's passes, `limit` at most.
std::string passes_of(const RunResult& r, const World& w, std::string_view name, Controller c = Controller::Kustomize,
                      std::size_t limit = 5) {
  std::string out;
  std::size_t n = 0;
  for (const PassRecord& p : r.passes) {
    if (p.controller != c) continue;
    const std::string& subject = c == Controller::Kustomize ? w.kustomizations[static_cast<std::size_t>(p.subject)].ref.name
                                                            : w.helm_releases[static_cast<std::size_t>(p.subject)].ref.name;
    if (subject != name || n++ >= limit) continue;
    if (!out.empty()) out += "; ";
    out += fmt::format("{}@{} {}", p.number, to_ms(p.started_at), to_string(p.outcome));
  }
  return out;
}

const PassRecord& pass(const RunResult& r, const World& w, std::string_view name, int number) {
  for (const PassRecord& p : r.passes)
    if (p.controller == Controller::Kustomize && p.number == number && w.kustomizations[static_cast<std::size_t>(p.subject)].ref.name == name)
      return p;
  throw std::runtime_error("no such pass");
}

std::string pass_message(const RunResult& r, const World& w, std::string_view name, int number) {
  return message(w, r, pass(r, w, name, number));
}

// The chain of three (a <- b <- c, each wait: true on one Deployment), with a readyExpr on b's entry.
WorldBuilder chain(const std::string& ready_expr) {
  WorldBuilder b = test::chain_of_three();
  b.get("a").labels = {{"app/version", "v1"}};
  b.get("b").depends_on[0].ready_expr = ready_expr;
  b.get("b").depends_on[0].has_ready_expr = true;
  return b;
}

}  // namespace

TEST_CASE("readyExpr, lax: the dependent starts before its dependency is Ready (gate off: the built-in test is replaced)") {
  WorldBuilder b = chain("dep.metadata.generation >= 1");
  const World& w = b.world();
  EngineOptions to_horizon;
  to_horizon.run_to_horizon = true;  // b's spec.interval re-run below comes after the run would settle
  RunResult r = simulate(w, quiet_scenario(), to_horizon);
  // Without the expression (engine_test.cc "a dependsOn chain of three"): b polls at 2540 and
  // 32540 and applies at 62540, Ready 93560.
  // a: created 1770, first pass 2520, build -> 3520, Deployment 3540, Current 33540: Ready 33540.
  CHECK(ready_ms(r, w, "a") == 33540);
  // b: created 1790, first pass 2540. a exists (generation 1), so the expression is true at once, though
  // a is mid-pass (Ready=Unknown): build -> 3540, Deployment 3560, Current 33560 (3560 + 6 polls of 5s).
  CHECK(passes_of(r, w, "b", Controller::Kustomize, 2) == "1@2540 Succeeded; 2@633560 Succeeded");  // then spec.interval 10m
  CHECK(ready_ms(r, w, "b") == 33560);
  // c keeps the built-in test: 2560 and 32560 (b Ready only at 33560) fail, 62560 applies: build
  // 63560, Deployment 63580, Current 93580.
  CHECK(passes_of(r, w, "c").starts_with("1@2560 DependencyNotReady; 2@32560 DependencyNotReady; 3@62560 Succeeded"));
  CHECK(ready_ms(r, w, "c") == 93580);
  CHECK(to_ms(r.time_to_ready) == 93580);  // 60s earlier than without the expression (153580)

  SUBCASE("with AdditiveCELDependencyCheck the built-in test must pass too: the chain's own timing") {
    Scenario s = quiet_scenario();
    s.controllers.kustomize.additive_cel_dependency_check = true;
    RunResult g = simulate(w, s);
    // b: 2540 (a mid-pass) and 32540 (a Ready at 33540) fail the built-in test; 62540 applies.
    CHECK(passes_of(g, w, "b").starts_with("1@2540 DependencyNotReady; 2@32540 DependencyNotReady; 3@62540 Succeeded"));
    CHECK(pass_message(g, w, "b", 1) == "dependency 'flux-system/a' is not ready");
    CHECK(ready_ms(g, w, "b") == 93560);
    CHECK(ready_ms(g, w, "c") == 153580);
  }
}

TEST_CASE("readyExpr, strict: a condition that never holds keeps the dependent polling every 30s, never applying") {
  // a is Ready at 33540 and stays Ready, but its label says v1.
  WorldBuilder b = chain("dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True') && "
                         "dep.metadata.labels['app/version'] == 'v2'");
  const World& w = b.world();
  RunResult r = simulate(w, quiet_scenario());
  // b: 2540, then every --requeue-dependency (30s, not jittered): 32540, 62540, 92540, 122540, ...
  CHECK(passes_of(r, w, "b") ==
        "1@2540 DependencyNotReady; 2@32540 DependencyNotReady; 3@62540 DependencyNotReady; 4@92540 DependencyNotReady; "
        "5@122540 DependencyNotReady");
  CHECK(pass_message(r, w, "b", 3) == "dependency 'flux-system/a' is not ready according to readyExpr eval");
  CHECK(pass(r, w, "b", 3).requeue_after == 30s);
  CHECK(pass(r, w, "b", 3).reason == Reason::DependencyNotReady);
  // Within the one-hour horizon: (3600000 - 2540) / 30000 -> passes at 2540 + 30000·k, k = 0..119.
  CHECK(std::count_if(r.passes.begin(), r.passes.end(), [&](const PassRecord& p) {
          return p.controller == Controller::Kustomize && w.kustomizations[static_cast<std::size_t>(p.subject)].ref.name == "b";
        }) == 120);
  CHECK(ready_ms(r, w, "b") == -1);
  CHECK(ready_ms(r, w, "c") == -1);
  CHECK_FALSE(r.all_ready);
}

TEST_CASE("readyExpr: an evaluation error leaves the dependency not ready, as Flux's error return does") {
  // status.observedGeneration is left out until a's first success (omitempty): reading it without has()
  // is an error until then. a is Ready (observed) at 33540.
  WorldBuilder b = chain("dep.status.observedGeneration == dep.metadata.generation");
  const World& w = b.world();
  RunResult r = simulate(w, quiet_scenario());
  CHECK(passes_of(r, w, "b").starts_with("1@2540 DependencyNotReady; 2@32540 DependencyNotReady; 3@62540 Succeeded"));
  CHECK(pass_message(r, w, "b", 1) ==
        "failed to evaluate the CEL expression 'dep.status.observedGeneration == dep.metadata.generation': no such key: "
        "observedGeneration");
  CHECK(pass(r, w, "b", 1).requeue_after == 30s);
  CHECK(ready_ms(r, w, "b") == 93560);

  SUBCASE("has() guards it: false instead of an error, same timing") {
    WorldBuilder g = chain("has(dep.status.observedGeneration) && dep.status.observedGeneration == dep.metadata.generation");
    RunResult x = simulate(g.world(), quiet_scenario());
    CHECK(pass_message(x, g.world(), "b", 1) == "dependency 'flux-system/a' is not ready according to readyExpr eval");
    CHECK(ready_ms(x, g.world(), "b") == 93560);
  }
}

TEST_CASE("readyExpr: invalid CEL stalls the dependent (InvalidCELExpression), nothing requeues it") {
  // A field alone is dyn, not bool: cel.WithOutputType(bool) rejects it when compiling -> terminal error.
  WorldBuilder b = chain("dep.status.ready");
  const World& w = b.world();
  RunResult r = simulate(w, quiet_scenario());
  CHECK(passes_of(r, w, "b") == "1@2540 DependencyNotReady");
  const PassRecord& p = pass(r, w, "b", 1);
  CHECK(p.reason == Reason::InvalidCELExpression);
  CHECK(p.requeue_after == 0s);
  CHECK(message(w, r, p) ==
        "Reconciliation failed terminally due to configuration error: failed to evaluate dependency a: failed to parse the "
        "CEL expression 'dep.status.ready': 1:12: CEL expression output type mismatch: expected bool, got dyn");
  CHECK(ready_ms(r, w, "b") == -1);
}

TEST_CASE("readyExpr on a HelmRelease: evaluated by helm-controller before the chart check (§10)") {
  // controllers_test.cc "two HelmReleases chained by dependsOn": without the expression app polls at
  // 4290, 4330, 34330 and installs at 64330 (Ready 109330).
  WorldBuilder b;
  b.kustomization("apps");
  Reference db;
  db.kind = "HelmRelease";
  db.ns = "flux-system";
  db.name = "db";
  db.has_ready_expr = true;
  db.ready_expr = "dep.metadata.generation >= 1";
  b.helm_release("apps", "app", "podinfo").depends_on.push_back(db);
  b.helm_release("apps", "db", "podinfo");
  b.helm_repository("apps", "podinfo");
  const World& w = b.world();
  RunResult r = simulate(w, quiet_scenario());
  // db: chart not ready at 4310, re-triggered at 4330, install 45s -> 49330.
  CHECK(hr_ready_ms(r, w, "db") == 49330);
  // app: 4290 db exists, the expression holds, but the chart has no artifact yet -> SourceNotReady;
  // its chart's artifact re-triggers it at 4330: install -> 49330.
  CHECK(passes_of(r, w, "app", Controller::Helm, 2) == "1@4290 ArtifactNotReady; 2@4330 Succeeded");
  CHECK(hr_ready_ms(r, w, "app") == 49330);

  SUBCASE("strict: a field that never appears keeps it requeued every 30s") {
    const_cast<World&>(w).helm_releases[0].depends_on[0].ready_expr = "dep.status.installFailures == 0";
    RunResult s = simulate(w, quiet_scenario());
    // 4290, 4330 (chart watch), then 34330, 64330, 94330: db never failed, so installFailures is absent.
    CHECK(passes_of(s, w, "app", Controller::Helm) ==
          "1@4290 DependencyNotReady; 2@4330 DependencyNotReady; 3@34330 DependencyNotReady; 4@64330 DependencyNotReady; "
          "5@94330 DependencyNotReady");
    CHECK(hr_ready_ms(s, w, "app") == -1);
  }
  SUBCASE("with helm-controller's AdditiveCELDependencyCheck: the built-in timing") {
    Scenario s = quiet_scenario();
    s.controllers.helm.additive_cel_dependency_check = true;
    RunResult g = simulate(w, s);
    CHECK(hr_ready_ms(g, w, "app") == 109330);
  }
}

TEST_CASE("readyExpr: the loader reads it, reports invalid and unsupported expressions at the dependsOn entry") {
  auto ks = [](const std::string& name, const std::string& extra) {
    return "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
           "\n  namespace: flux-system\n  labels:\n    app/version: v1\nspec:\n  interval: 10m\n  prune: true\n  path: ./" + name +
           "\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n" + extra;
  };
  test::MemoryFileSource fs{
      {"clusters/prod/ks.yaml",
       ks("db", "") + "---\n" +
           ks("app", "  dependsOn:\n    - name: db\n      readyExpr: >\n        dep.metadata.labels['app/version'] ==\n"
                     "        self.metadata.labels['app/version']\n") +
           "---\n" + ks("web", "  dependsOn:\n    - name: db\n      readyExpr: dep.metadata.name.matches('^d')\n") + "---\n" +
           ks("api", "  dependsOn:\n    - name: db\n      readyExpr: deps.status == 1\n")},
      {"db/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n"},
      {"app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n  namespace: default\n"},
      {"web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: z\n  namespace: default\n"},
      {"api/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n  namespace: default\n"},
  };
  LoadOptions o;
  o.entry = "clusters/prod";
  WorldLoad load = load_world(fs, "repo", o);
  REQUIRE_FALSE(load.diagnostics.has_errors());
  const World& w = load.world;
  auto named = [&](const std::string& n) -> const Kustomization& {
    for (const Kustomization& k : w.kustomizations)
      if (k.ref.name == n) return k;
    throw std::runtime_error("no " + n);
  };
  CHECK(named("app").depends_on[0].ready_expr ==
        "dep.metadata.labels['app/version'] == self.metadata.labels['app/version']\n");
  CHECK(named("app").labels == std::vector<std::pair<std::string, std::string>>{{"app/version", "v1"}});

  CheckResult r = check_world(w, Scenario{});
  std::vector<const Diagnostic*> found;
  for (const Finding& f : r.findings)
    if (f.diagnostic.message.find("readyExpr") != std::string::npos) found.push_back(&f.diagnostic);
  REQUIRE(found.size() == 2);
  CHECK(found[0]->severity == Severity::Warning);
  CHECK(found[0]->message ==
        "unsupported expression: dependsOn[0].readyExpr (flux-system/db): 1:19: the function 'matches' is not supported");
  CHECK(found[0]->where.line == 51);  // the `- name: db` line of web's dependsOn
  CHECK(found[1]->severity == Severity::Error);
  CHECK(found[1]->message ==
        "invalid CEL expression: dependsOn[0].readyExpr (flux-system/db): 1:1: undeclared reference to 'deps' (in container '')");
  CHECK(found[1]->where.line == 69);
  CHECK(r.has_errors());

  // The run: the root writes api, app, db, web (by name) at 1770, 1790, 1810, 1830; first passes at
  // 2520, 2540, 2560, 2580. app's labels match db's: it applies at 2540 while db has not even started
  // (Ready 3560, db 3580). web falls back to the built-in test: db is mid-pass at 2580, so 32580.
  // api stalls at 2520.
  Scenario s = quiet_scenario();
  RunResult run = simulate(w, s);
  CHECK(ready_ms(run, w, "db") == 3580);
  CHECK(ready_ms(run, w, "app") == 3560);
  CHECK(ready_ms(run, w, "web") == 33600);
  CHECK(ready_ms(run, w, "api") == -1);
  CHECK(passes_of(run, w, "api") == "1@2520 DependencyNotReady");
}

TEST_CASE("readyExpr: the AdditiveCELDependencyCheck gate is read from --feature-gates on the controller Deployments") {
  const char* kustomization = R"yaml(apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - gotk-components.yaml
patches:
  - patch: |
      - op: add
        path: /spec/template/spec/containers/0/args/-
        value: --feature-gates=DisableFailFastBehavior=false,AdditiveCELDependencyCheck=true
    target:
      kind: Deployment
      name: kustomize-controller
  - patch: |
      - op: add
        path: /spec/template/spec/containers/0/args/-
        value: --feature-gates=OOMWatch=true
    target:
      kind: Deployment
      name: helm-controller
)yaml";
  test::MemoryFileSource fs{{"clusters/prod/flux-system/kustomization.yaml", kustomization},
                            {"clusters/prod/flux-system/gotk-components.yaml", "# placeholder\n"}};
  LoadOptions o;
  o.entry = "clusters/prod";
  WorldLoad load = load_world(fs, "repo", o);
  REQUIRE_FALSE(load.diagnostics.has_errors());
  Scenario s;
  Diagnostics warnings;
  apply_controller_flags(s, load.world, warnings);
  CHECK(warnings.empty());
  CHECK(s.controllers.kustomize.additive_cel_dependency_check);
  CHECK_FALSE(s.controllers.helm.additive_cel_dependency_check);  // other gates leave it off (the default)
  REQUIRE(s.controllers.from_repository.size() == 1);
  CHECK(s.controllers.from_repository[0] ==
        "--feature-gates=AdditiveCELDependencyCheck=true on kustomize-controller (clusters/prod/flux-system/kustomization.yaml:9)");
}

TEST_CASE("explain says when a readyExpr decided a dependency") {
  WorldBuilder lax = chain("dep.metadata.generation >= 1");
  Scenario s = quiet_scenario();
  const RunResult run = simulate(lax.world(), s);
  RunReport report{s, lax.world(), run, {}};
  std::ostringstream out;
  write_explain(report, out);
  CHECK(out.str().find("all dependency checks pass (readyExpr true for flux-system/a: it replaces the built-in test, so "
                       "Ready=True and the observed generation were not required) → apply attempt 1") != std::string::npos);

  WorldBuilder strict = chain("dep.metadata.labels['app/version'] == 'v2'");
  const RunResult run2 = simulate(strict.world(), s);
  RunReport r2{s, strict.world(), run2, {}};
  std::ostringstream out2;
  write_explain(r2, out2);
  CHECK(out2.str().find("readyExpr of dependsOn a is false (it replaces the built-in readiness test) → next check in 30s "
                        "(--requeue-dependency)") != std::string::npos);
}
