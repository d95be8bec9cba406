// SPDX-License-Identifier: Apache-2.0
// `fluxsim check`: each problem planted in a fixture world is found at its file:line with a useful hint,
// and a clean world (CRDs and operators correctly ordered, waits that can pass) gives no finding.
#include "fluxsim/check.h"

#include <sstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;

namespace {

void depends_at(WorldBuilder& b, const std::string& ks, const std::string& dep, const std::string& file, int line) {
  b.depends_on(ks, dep);
  b.get(ks).depends_on.back().where = {file, line, 7};
}

Resource& object_at(WorldBuilder& b, const std::string& ks, std::string api_version, std::string kind, std::string ns,
                    std::string name, const std::string& file, int line) {
  Resource& r = b.object(ks, std::move(api_version), std::move(kind), std::move(ns), std::move(name));
  r.origin = {file, line, 1};
  return r;
}

/// Findings of one check, as "file:line severity" plus the message, for compact assertions.
std::vector<const Finding*> of(const CheckResult& r, std::string_view check) {
  std::vector<const Finding*> out;
  for (const Finding& f : r.findings)
    if (f.check == check) out.push_back(&f);
  return out;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// A well-ordered world: infra installs a CRD and an operator (waiting for it), apps depend on infra and
/// use both kinds, a wait: true parent whose child depends on something else.
WorldBuilder clean_world() {
  WorldBuilder b;
  b.get("flux-system").origin = {"clusters/prod/flux-system/gotk-sync.yaml", 20, 1};
  Kustomization& infra = b.kustomization("infra");
  infra.origin = {"clusters/prod/infra.yaml", 2, 1};
  infra.wait = true;
  b.crd("infra", "example.com", "Widget");
  b.object("infra", "apps/v1", "Deployment", "operators", "tekton-operator");
  Kustomization& apps = b.kustomization("apps");
  apps.origin = {"clusters/prod/apps.yaml", 2, 1};
  depends_at(b, "apps", "infra", "clusters/prod/apps.yaml", 9);
  b.object("apps", "example.com/v1", "Widget", "default", "w1");
  b.object("apps", "tekton.dev/v1", "Task", "default", "build");
  b.object("apps", "v1", "ConfigMap", "default", "settings");
  Kustomization& team = b.kustomization("team", "apps");
  team.wait = true;
  b.object("team", "apps/v1", "Deployment", "team", "web");
  b.kustomization("team-config", "team");
  depends_at(b, "team-config", "infra", "apps/team/config.yaml", 8);
  return b;
}

Scenario clean_scenario() {
  Scenario s;
  s.name = "clean";
  s.provides.push_back({Match{"", "Deployment", "", "tekton-operator", "", {"scenario.yaml", 30, 7}}, {"tekton.dev/*"}, {"scenario.yaml", 30, 7}});
  return s;
}

}  // namespace

TEST_CASE("check finds nothing in a well-ordered world") {
  WorldBuilder b = clean_world();
  CheckResult r = check_world(b.world(), clean_scenario());
  for (const Finding& f : r.findings) INFO(to_string(f.diagnostic));
  CHECK(r.findings.empty());
  CHECK_FALSE(r.has_errors());
  std::ostringstream text;
  write_check_text(r, text);
  CHECK(text.str() == "no findings\n");
}

TEST_CASE("check: a dependsOn cycle is an error naming the ring and the file:line of each entry") {
  WorldBuilder b = clean_world();
  b.kustomization("x");
  b.kustomization("y");
  depends_at(b, "x", "y", "apps/x.yaml", 11);
  depends_at(b, "y", "x", "apps/y.yaml", 12);
  CheckResult r = check_world(b.world(), clean_scenario());
  auto found = of(r, "dependency-cycle");
  REQUIRE(found.size() == 1);
  const Diagnostic& d = found[0]->diagnostic;
  CHECK(d.severity == Severity::Error);
  CHECK(d.message == "dependsOn cycle x → y → x (→: waits for): none of them can ever become Ready");
  CHECK(d.hint == "x dependsOn y (apps/x.yaml:11:7); y dependsOn x (apps/y.yaml:12:7); remove one of these dependsOn entries");
  CHECK(d.where == SourceLocation{"apps/x.yaml", 11, 7});
  CHECK(r.has_errors());
}

TEST_CASE("check: dependsOn naming nothing, with a hint for typos, namespaces and HelmReleases") {
  WorldBuilder b = clean_world();
  depends_at(b, "apps", "infar", "clusters/prod/apps.yaml", 10);
  depends_at(b, "apps", "podinfo", "clusters/prod/apps.yaml", 11);
  HelmRelease hr;
  hr.ref = {std::string(kHelmGroup), "HelmRelease", "flux-system", "podinfo"};
  hr.parent = b.get("apps").ref;
  b.get("infra").objects.push_back(test::resource("helm.toolkit.fluxcd.io/v2", "HelmRelease", "flux-system", "podinfo"));
  const_cast<World&>(b.world()).helm_releases.push_back(hr);
  b.get("team-config").depends_on.push_back({"Kustomization", "other", "infra", {"apps/team/config.yaml", 9, 7}, false});
  CheckResult r = check_world(b.world(), clean_scenario());
  auto found = of(r, "missing-dependency");
  REQUIRE(found.size() == 3);
  CHECK(found[0]->diagnostic.where == SourceLocation{"clusters/prod/apps.yaml", 10, 7});
  CHECK(has(found[0]->diagnostic.message, "apps dependsOn Kustomization flux-system/infar, which does not exist"));
  CHECK(found[0]->diagnostic.hint == "did you mean infra?");
  CHECK(has(found[1]->diagnostic.hint, "HelmRelease/flux-system/podinfo has that name, but a Kustomization can depend only on Kustomizations"));
  CHECK(found[2]->diagnostic.hint == "there is a Kustomization infra in namespace flux-system: set dependsOn[].namespace: flux-system");
}

TEST_CASE("check: a custom resource applied before its CRD's Kustomization is a warning at the resource") {
  WorldBuilder b = clean_world();
  b.kustomization("early");
  object_at(b, "early", "example.com/v1", "Widget", "default", "w2", "apps/early/widget.yaml", 3);
  object_at(b, "early", "example.com/v1", "Widget", "default", "w3", "apps/early/widget.yaml", 12);
  CheckResult r = check_world(b.world(), clean_scenario());
  auto found = of(r, "crd-ordering");
  REQUIRE(found.size() == 1);
  const Diagnostic& d = found[0]->diagnostic;
  CHECK(d.severity == Severity::Warning);
  CHECK(d.where == SourceLocation{"apps/early/widget.yaml", 3, 1});
  CHECK(has(d.message, "early applies Widget/default/w2 and 1 more Widget, but the CustomResourceDefinition of example.com/Widget is applied by infra"));
  CHECK(has(d.message, "each failure costs a retryInterval (10m)"));
  CHECK(d.hint == "add `dependsOn: [{name: infra}]` to early");
  CHECK_FALSE(r.has_errors());

  SUBCASE("a child of the CRD's Kustomization is created after the CRD is Established: fine") {
    WorldBuilder c = clean_world();
    c.kustomization("inner", "infra");
    c.object("inner", "example.com/v1", "Widget", "default", "w4");
    CHECK(of(check_world(c.world(), clean_scenario()), "crd-ordering").empty());
  }
}

TEST_CASE("check: a CRD applied by a child of a wait: true dependency is ordered (production's ServiceMonitor)") {
  // infra (wait: true) applies the operator's Kustomization, which applies the CRD; apps dependsOn infra.
  // infra is Ready only once monitoring-operator is, and that has applied the CRD and waited for it to
  // be Established: apps' ServiceMonitor is safe, and so is one applied by a child apps creates.
  auto world = [](bool wait) {
    WorldBuilder b = clean_world();
    b.get("infra").wait = wait;
    b.kustomization("monitoring-operator", "infra");
    b.crd("monitoring-operator", "monitoring.coreos.com", "ServiceMonitor");
    object_at(b, "apps", "monitoring.coreos.com/v1", "ServiceMonitor", "default", "web", "apps/monitor.yaml", 2);
    object_at(b, "team", "monitoring.coreos.com/v1", "ServiceMonitor", "team", "web", "apps/team/monitor.yaml", 2);
    return b;
  };
  WorldBuilder b = world(true);
  CHECK(of(check_world(b.world(), clean_scenario()), "crd-ordering").empty());

  SUBCASE("through healthChecks instead of wait") {
    WorldBuilder c = world(false);
    c.get("infra").health_checks.push_back(c.get("monitoring-operator").ref);
    c.get("infra").health_checks.push_back({"apps", "Deployment", "operators", "tekton-operator"});
    CHECK(of(check_world(c.world(), clean_scenario()), "crd-ordering").empty());
  }
  SUBCASE("without the wait, infra's Ready says nothing about its child: both are warned") {
    WorldBuilder c = world(false);
    const CheckResult r = check_world(c.world(), clean_scenario());
    std::vector<SourceLocation> at;
    for (const Finding* f : of(r, "crd-ordering"))
      if (has(f->diagnostic.message, "ServiceMonitor")) at.push_back(f->diagnostic.where);
    CHECK(at == std::vector<SourceLocation>{{"apps/monitor.yaml", 2, 1}, {"apps/team/monitor.yaml", 2, 1}});
  }
}

TEST_CASE("check: a kind provided by an operator that its user does not wait for") {
  SUBCASE("no dependsOn at all") {
    WorldBuilder b = clean_world();
    b.kustomization("tasks");
    object_at(b, "tasks", "tekton.dev/v1", "Task", "default", "lint", "apps/tasks/lint.yaml", 1);
    CheckResult r = check_world(b.world(), clean_scenario());
    auto found = of(r, "crd-ordering");
    REQUIRE(found.size() == 1);
    CHECK(has(found[0]->diagnostic.message, "kind tekton.dev/Task is served only once Deployment/operators/tekton-operator (applied by infra) is Current (provides rule at scenario.yaml:30:7)"));
    CHECK(found[0]->diagnostic.hint == "add `dependsOn: [{name: infra}]` to tasks");
  }
  SUBCASE("dependsOn the operator's Kustomization, which does not wait for the operator") {
    WorldBuilder b = clean_world();
    b.get("infra").wait = false;
    CheckResult r = check_world(b.world(), clean_scenario());
    auto found = of(r, "crd-ordering");
    REQUIRE(found.size() == 1);  // apps' Task; its Widget's CRD is still ordered by the dependsOn
    CHECK(found[0]->diagnostic.hint ==
          "add `dependsOn: [{name: infra}]` to apps, and wait: true (or a healthCheck on Deployment/operators/tekton-operator) to infra");
  }
  SUBCASE("the operator and its custom resource in one Kustomization can never apply") {
    WorldBuilder b = clean_world();
    b.kustomization("all-in-one");
    b.object("all-in-one", "apps/v1", "Deployment", "operators", "tekton-operator");
    object_at(b, "all-in-one", "tekton.dev/v1", "Task", "default", "t", "all/task.yaml", 4);
    Scenario s = clean_scenario();
    CheckResult r = check_world(b.world(), s);
    auto found = of(r, "crd-ordering");
    REQUIRE(found.size() == 1);
    CHECK(found[0]->diagnostic.severity == Severity::Error);
    CHECK(has(found[0]->diagnostic.message, "before Deployment/operators/tekton-operator is ever written, on every attempt"));
  }
}

TEST_CASE("check: a namespaced object whose Namespace another Kustomization creates, unordered (tekton-rbac)") {
  // base creates Namespace ci; rbac applies a ServiceAccount and a RoleBinding in it, with no dependsOn.
  auto world = [] {
    WorldBuilder b = clean_world();
    b.kustomization("base");
    object_at(b, "base", "v1", "Namespace", "", "ci", "tekton/base/namespaces.yaml", 1);
    b.kustomization("rbac");
    object_at(b, "rbac", "rbac.authorization.k8s.io/v1", "RoleBinding", "ci", "runner", "tekton/rbac/rbac.yaml", 12);
    object_at(b, "rbac", "v1", "ServiceAccount", "ci", "runner", "tekton/rbac/rbac.yaml", 1);
    return b;
  };
  WorldBuilder b = world();
  const CheckResult r = check_world(b.world(), clean_scenario());
  auto found = of(r, "namespace-ordering");
  REQUIRE(found.size() == 1);
  const Diagnostic& d = found[0]->diagnostic;
  CHECK(d.severity == Severity::Warning);
  CHECK(d.where == SourceLocation{"tekton/rbac/rbac.yaml", 1, 1});  // the ServiceAccount: applied before the RoleBinding
  CHECK(d.object == "Kustomization/flux-system/rbac");
  CHECK(d.message ==
        "rbac applies ServiceAccount/ci/runner and 1 more object in namespace ci, but Namespace/ci is created by base, which rbac "
        "does not come after: its dry-run fails ('namespaces \"ci\" not found') until base has applied it, and each failure "
        "costs a retryInterval (10m)");
  CHECK(d.hint == "add `dependsOn: [{name: base}]` to rbac");
  CHECK_FALSE(r.has_errors());

  SUBCASE("a creator in another namespace: the hint names it") {
    WorldBuilder c = world();
    c.get("base").ref.ns = "platform";
    const CheckResult other = check_world(c.world(), clean_scenario());
    auto hint = of(other, "namespace-ordering");
    REQUIRE(hint.size() == 1);
    CHECK(hint[0]->diagnostic.hint == "add `dependsOn: [{name: base, namespace: platform}]` to flux-system/rbac");
  }
  SUBCASE("ordered: dependsOn the creator") {
    WorldBuilder c = world();
    c.depends_on("rbac", "base");
    CHECK(of(check_world(c.world(), clean_scenario()), "namespace-ordering").empty());
  }
  SUBCASE("ordered: created by the creator, or by a child of it") {
    WorldBuilder c = world();
    c.get("rbac").parent = c.get("base").ref;
    CHECK(of(check_world(c.world(), clean_scenario()), "namespace-ordering").empty());
  }
  SUBCASE("ordered: dependsOn a wait: true Kustomization that waits for the creator") {
    WorldBuilder c = world();
    c.get("base").parent = c.get("infra").ref;  // infra has wait: true
    c.get("infra").objects.push_back(test::resource("kustomize.toolkit.fluxcd.io/v1", "Kustomization", "flux-system", "base"));
    c.depends_on("rbac", "infra");
    CHECK(of(check_world(c.world(), clean_scenario()), "namespace-ordering").empty());
    c.get("infra").wait = false;  // infra's Ready now says nothing about base
    CHECK(of(check_world(c.world(), clean_scenario()), "namespace-ordering").size() == 1);
  }
  SUBCASE("the same Kustomization creates the Namespace: stage 1 applies it first") {
    WorldBuilder c = world();
    c.object("rbac", "v1", "Namespace", "", "ci");
    CHECK(of(check_world(c.world(), clean_scenario()), "namespace-ordering").empty());
  }
  SUBCASE("namespaces nobody creates, built-in ones and bootstrap's are assumed to exist") {
    WorldBuilder c = world();
    for (const char* ns : {"default", "flux-system"}) c.object("base", "v1", "Namespace", "", ns);
    c.object("rbac", "v1", "ConfigMap", "default", "a");
    c.object("rbac", "v1", "ConfigMap", "flux-system", "b");
    c.object("rbac", "v1", "ConfigMap", "elsewhere", "c");
    c.get("base").objects.front().preinstalled = true;  // Namespace ci as flux bootstrap installed it
    CHECK(of(check_world(c.world(), clean_scenario()), "namespace-ordering").empty());
  }
  SUBCASE("the creator applies only after the user has: an error") {
    WorldBuilder c = world();
    c.get("base").parent = c.get("rbac").ref;  // rbac's last stage creates base, but its dry-run fails first
    c.get("rbac").objects.push_back(test::resource("kustomize.toolkit.fluxcd.io/v1", "Kustomization", "flux-system", "base"));
    const CheckResult e = check_world(c.world(), clean_scenario());
    auto never = of(e, "namespace-ordering");
    REQUIRE(never.size() == 1);
    CHECK(never[0]->diagnostic.severity == Severity::Error);
    CHECK(has(never[0]->diagnostic.message, "which applies only after rbac has: the dry-run of rbac fails"));
    CHECK(never[0]->diagnostic.hint == "move Namespace/ci into rbac (stage 1 applies it first) or into a Kustomization rbac dependsOn");
  }
}

TEST_CASE("check: a child that depends on its own wait: true parent is a deadlock") {
  WorldBuilder b = clean_world();
  depends_at(b, "team-config", "team", "apps/team/config.yaml", 10);
  // team waits for team-config (its child, wait: true); team-config waits for team.
  CheckResult r = check_world(b.world(), clean_scenario());
  auto found = of(r, "health-check-deadlock");
  REQUIRE(found.size() == 1);
  const Diagnostic& d = found[0]->diagnostic;
  CHECK(d.severity == Severity::Error);
  CHECK(d.where == SourceLocation{"apps/team/config.yaml", 10, 7});
  CHECK(d.message ==
        "deadlock: team waits for team-config to become Ready (wait: true), but team-config dependsOn team "
        "(apps/team/config.yaml:10:7): team times out after 9m30s and retries every 10m, for ever");

  SUBCASE("through another Kustomization") {
    WorldBuilder c = clean_world();
    c.kustomization("middle");
    depends_at(c, "middle", "team", "apps/middle.yaml", 5);
    depends_at(c, "team-config", "middle", "apps/team/config.yaml", 10);
    CheckResult r2 = check_world(c.world(), clean_scenario());
    auto via = of(r2, "health-check-deadlock");
    REQUIRE(via.size() == 1);
    CHECK(has(via[0]->diagnostic.message, "but team-config dependsOn middle (apps/team/config.yaml:10:7), middle dependsOn team (apps/middle.yaml:5:7)"));
  }
  SUBCASE("without wait there is no deadlock") {
    WorldBuilder c = clean_world();
    c.get("team").wait = false;
    depends_at(c, "team-config", "team", "apps/team/config.yaml", 10);
    CHECK(check_world(c.world(), clean_scenario()).findings.empty());
  }
}

TEST_CASE("check: a health-check timeout shorter than the readiness it waits for") {
  WorldBuilder b = clean_world();
  Kustomization& slow = b.kustomization("slow");
  slow.origin = {"apps/slow.yaml", 1, 1};
  slow.interval = 5min;  // timeout 4m30s
  slow.wait = true;
  b.object("slow", "apps/v1", "Deployment", "default", "big");
  Scenario s = clean_scenario();
  s.timing.ready.push_back({Match{"", "Deployment", "", "big", "", {"scenario.yaml", 40, 9}}, parse_distribution("uniform(4m, 8m)").value});
  CheckResult r = check_world(b.world(), s);
  auto found = of(r, "health-check-timeout");
  REQUIRE(found.size() == 1);
  CHECK(found[0]->diagnostic.where == SourceLocation{"apps/slow.yaml", 1, 1});
  CHECK(found[0]->diagnostic.message ==
        "slow's health check times out after 4m30s (spec.timeout, default interval − 30s), but Deployment/default/big takes 6m "
        "to become Current (the timing.ready rule at scenario.yaml:40:9): the first attempt fails with HealthCheckFailed and slow "
        "becomes Ready only on a retry, a retryInterval (5m) later");
  CHECK(found[0]->diagnostic.hint == "set spec.timeout above 6m on slow");
  b.get("slow").timeout = 7min;
  CHECK(of(check_world(b.world(), s), "health-check-timeout").empty());
}

TEST_CASE("check: intervals under a minute, unknown kinds, suspended dependencies, loader and scenario findings") {
  WorldBuilder b = clean_world();
  b.get("apps").interval = 30s;
  object_at(b, "apps", "monitoring.coreos.com/v1", "ServiceMonitor", "default", "web", "apps/monitor.yaml", 2);
  object_at(b, "team", "monitoring.coreos.com/v1", "ServiceMonitor", "team", "web", "apps/team/monitor.yaml", 2);
  b.kustomization("paused").suspend = true;
  depends_at(b, "team-config", "paused", "apps/team/config.yaml", 11);
  const_cast<World&>(b.world()).diagnostics.warning({"apps/broken.yaml", 3, 1}, "unreadable Secret");
  // A broken scenario rule (a "scenario" finding) is left out here: see engine_diagnostics_test.cc.
  Scenario s = clean_scenario();
  CheckResult r = check_world(b.world(), s);

  auto interval = of(r, "short-interval");
  REQUIRE(interval.size() == 1);
  CHECK(interval[0]->diagnostic.where == SourceLocation{"clusters/prod/apps.yaml", 2, 1});
  CHECK(has(interval[0]->diagnostic.message, "spec.interval 30s is under 1m"));

  // Kinds nothing installs are one note (an assumption, not a mistake), however many there are.
  auto unknown = of(r, "unknown-kind");
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0]->diagnostic.severity == Severity::Note);
  CHECK(unknown[0]->diagnostic.where == SourceLocation{"apps/monitor.yaml", 2, 1});
  CHECK(has(unknown[0]->diagnostic.message,
            "1 custom kind with no CustomResourceDefinition in the repository and no `provides` rule, assumed installed already: "
            "monitoring.coreos.com/ServiceMonitor (ServiceMonitor/default/web in apps and 1 more)"));

  auto suspended = of(r, "suspended-dependency");
  REQUIRE(suspended.size() == 1);
  CHECK(suspended[0]->diagnostic.where == SourceLocation{"apps/team/config.yaml", 11, 7});

  REQUIRE(of(r, "load").size() == 1);
  CHECK(r.findings[0].check == "load");
  CHECK_FALSE(r.has_errors());
  CHECK(r.warnings() == 3);

  std::ostringstream text, json;
  write_check_text(r, text);
  CHECK(has(text.str(), "apps/monitor.yaml:2:1: note: 1 custom kind"));
  CHECK(has(text.str(), "[unknown-kind]\n"));
  CHECK(has(text.str(), "\n0 errors, 3 warnings\n"));
  write_check_json(r, s, json);
  auto doc = nlohmann::json::parse(json.str());
  CHECK(doc["errors"] == 0);
  CHECK(doc["warnings"] == 3);
  CHECK(doc["findings"].size() == r.findings.size());
  CHECK(doc["findings"][0]["file"] == "apps/broken.yaml");
  CHECK(doc["findings"][0]["line"] == 3);
}

TEST_CASE("check: a root that cannot build is an error, first: nothing can roll out") {
  WorldBuilder b = clean_world();
  Kustomization& root = const_cast<Kustomization&>(b.world().kustomizations.front());
  root.build_failure = BuildFailure{"BuildFailed", "kustomize build failed: invalid Kustomization: json: unknown field \"resourcez\"",
                                    SourceLocation{"clusters/prod/kustomization.yaml", 1, 1}};
  const_cast<World&>(b.world()).diagnostics.warning({"apps/broken.yaml", 3, 1}, "unreadable Secret");
  CheckResult r = check_world(b.world(), clean_scenario());
  REQUIRE_FALSE(r.findings.empty());
  CHECK(r.findings[0].check == "root-build");
  CHECK(r.findings[0].diagnostic.severity == Severity::Error);
  CHECK(r.findings[0].diagnostic.where == SourceLocation{"clusters/prod/kustomization.yaml", 1, 1});
  CHECK(has(r.findings[0].diagnostic.message, "cannot build (BuildFailed: kustomize build failed: invalid Kustomization"));
  CHECK(has(r.findings[0].diagnostic.message, "nothing can roll out"));
  CHECK(r.has_errors());
}
