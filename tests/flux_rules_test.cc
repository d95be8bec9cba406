// SPDX-License-Identifier: Apache-2.0
// The Flux rules of src/flux/, each written once, and the layers that used to carry their own copies
// (engine, graph, check, explain) agreeing on the cases where the copies differed.
#include <algorithm>
#include <sstream>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "flux/apply.h"
#include "flux/defaults.h"
#include "flux/dependencies.h"
#include "flux/health.h"
#include "flux/kinds.h"
#include "fluxsim/check.h"
#include "fluxsim/engine.h"
#include "fluxsim/graph.h"
#include "fluxsim/readiness.h"
#include "fluxsim/report.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;
using fluxsim::test::quiet_scenario;

namespace {

std::size_t index_of(const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.kustomizations.size(); ++i)
    if (w.kustomizations[i].ref.name == name) return i;
  FAIL("no Kustomization ", name);
  return 0;
}

std::int64_t ready_ms(const RunResult& r, const World& w, std::string_view name) {
  const SimTime t = r.kustomizations[index_of(w, name)].ready_at;
  return t == kNever ? -1 : to_ms(t);
}

std::string explain(const World& w, const Scenario& s) {
  RunResult r = simulate(w, s);
  std::ostringstream out;
  write_explain(RunReport{s, w, r, {}}, out);
  return out.str();
}

bool has_finding(const CheckResult& c, std::string_view check, std::string_view object) {
  return std::any_of(c.findings.begin(), c.findings.end(),
                     [&](const Finding& f) { return f.check == check && f.diagnostic.object.find(object) != std::string::npos; });
}

}  // namespace

TEST_CASE("defaults: GetTimeout, GetRetryInterval, the rate limiter and interval jitter (flux-semantics.md §3, §9)") {
  CHECK(flux::kustomization_timeout(std::nullopt, 10min) == 9min + 30s);  // interval − 30s
  CHECK(flux::kustomization_timeout(std::nullopt, 40s) == 30s);           // floor 30s
  CHECK(flux::kustomization_timeout(Duration{10'000}, 10min) == 30s);     // the floor applies to an explicit value
  CHECK(flux::kustomization_retry_interval(std::nullopt, 10min) == 10min);
  CHECK(flux::kustomization_retry_interval(Duration{120'000}, 10min) == 2min);
  // 750ms·2^n, at most 15m: 750ms, 1.5s, 3s, ... 768s, then 900s.
  CHECK(flux::rate_limited_delay(0) == 750ms);
  CHECK(flux::rate_limited_delay(1) == 1500ms);
  CHECK(flux::rate_limited_delay(10) == 768s);
  CHECK(flux::rate_limited_delay(11) == 15min);
  CHECK(flux::rate_limited_delay(40) == 15min);
  // ±5%: u = 0 → 0.95·interval, u = 0.5 → interval, u → 1 → 1.05·interval; 0% → exactly the interval.
  CHECK(flux::jittered(10min, 5, 0.0) == Duration{570'000});
  CHECK(flux::jittered(10min, 5, 0.5) == 10min);
  CHECK(flux::jittered(10min, 5, 0.75) == Duration{615'000});
  CHECK(flux::jittered(10min, 0, 0.9) == 10min);
}

TEST_CASE("kinds: one list of Kubernetes API groups for readiness and check; provides patterns") {
  // The two copies differed: readiness.cc lacked storagemigration.k8s.io and internal.apiserver.k8s.io,
  // so their objects were timed as custom resources (5s) while check called them built in.
  for (const char* g : {"", "apps", "storagemigration.k8s.io", "internal.apiserver.k8s.io"}) {
    CHECK(flux::is_kubernetes_group(g));
    CHECK(flux::is_served_at_bootstrap(g));
  }
  Resource migration;
  migration.ref = {"storagemigration.k8s.io", "StorageVersionMigration", "", "m"};
  CHECK(readiness_class(migration.ref) == ReadinessClass::Immediate);
  CHECK(default_ready_after(migration).median() == Duration{0});
  // Flux's own groups are served from bootstrap on, but their objects are custom resources for kstatus.
  CHECK(flux::is_served_at_bootstrap("image.toolkit.fluxcd.io"));
  CHECK_FALSE(flux::is_kubernetes_group("image.toolkit.fluxcd.io"));
  CHECK_FALSE(flux::is_served_at_bootstrap("cert-manager.io"));

  CHECK(flux::kind_pattern_matches("cert-manager.io/*", "cert-manager.io", "Certificate"));
  CHECK(flux::kind_pattern_matches("Certificate", "cert-manager.io", "Certificate"));
  CHECK(flux::kind_pattern_matches("*.cert-manager.io/*", "acme.cert-manager.io", "Order"));
  CHECK_FALSE(flux::kind_pattern_matches("cert-manager.io/Issuer", "cert-manager.io", "Certificate"));
  CHECK(flux::kind_key("", "ConfigMap") == "/ConfigMap");
}

TEST_CASE("apply: stages and SSA order (flux-semantics.md §4.3)") {
  const ObjectRef crd{"apiextensions.k8s.io", "CustomResourceDefinition", "", "x"};
  const ObjectRef ns{"", "Namespace", "", "apps"};
  const ObjectRef sc{"storage.k8s.io", "StorageClass", "", "fast"};
  const ObjectRef cm{"", "ConfigMap", "apps", "a"};
  const ObjectRef dep{"apps", "Deployment", "apps", "a"};
  const ObjectRef hook{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "", "w"};
  CHECK(flux::stage_slot(apply_stage(crd)) == 0);
  CHECK(flux::stage_slot(apply_stage(sc)) == 1);
  CHECK(flux::stage_slot(apply_stage(dep)) == 2);
  std::vector<ObjectRef> refs{hook, dep, cm, sc, ns, crd};
  std::sort(refs.begin(), refs.end(), flux::applied_before);
  CHECK(refs == std::vector<ObjectRef>{crd, ns, sc, cm, dep, hook});
}

TEST_CASE("dependencies: Kustomization and HelmRelease readiness (flux-semantics.md §2, §10)") {
  flux::DependencyView d;
  d.exists = d.has_conditions = d.observed = d.ready = true;
  CHECK(flux::kustomization_dependency_ready(d));
  CHECK(flux::helm_release_dependency_ready(d));
  d.same_source_stale = true;  // same source, revision not applied yet: only Kustomizations care
  CHECK_FALSE(flux::kustomization_dependency_ready(d));
  CHECK(flux::helm_release_dependency_ready(d));
  d.same_source_stale = false;
  d.observed = false;  // generation not observed
  CHECK_FALSE(flux::kustomization_dependency_ready(d));
  CHECK_FALSE(flux::helm_release_dependency_ready(d));
}

// The copies disagreed on an entry written without apiVersion: the engine searched only the objects it
// had numbered so far (so a Deployment a later Kustomization applies was missed, and a core-group
// "Deployment" was invented and created out of band), check matched it in any group. Now both resolve
// it to the object the repository has.
TEST_CASE("health-check targets: an entry without apiVersion names the Deployment another Kustomization applies") {
  WorldBuilder b;
  b.kustomization("a").health_checks.push_back(ObjectRef{"", "Deployment", "default", "app"});
  b.kustomization("b");
  b.object("b", "apps/v1", "Deployment", "default", "app");
  const World& w = b.world();
  const flux::HealthCheckResolver health(w);
  REQUIRE(health.targets(w.kustomizations[index_of(w, "a")]).size() == 1);
  CHECK(health.targets(w.kustomizations[index_of(w, "a")])[0].group == "apps");

  // The Deployment takes 10m when b applies it; a's health check gives up after 9m30s (interval − 30s).
  Scenario s = quiet_scenario();
  ReadyRule slow;
  slow.match.kind = "Deployment";
  slow.match.kustomization = "b";
  slow.after = Distribution::fixed(10min);
  s.timing.ready.push_back(slow);
  // check: a's health check cannot pass in time.
  CHECK(has_finding(check_world(w, s), "health-check-timeout", "Kustomization/flux-system/a"));
  // engine: root pass 750 + build 1s = 1750, applies a at 1770, b at 1790. a: finalizer, pass at 2520,
  // build to 3520, nothing to apply, health check from 3520 with deadline 3520 + 570000 = 573520.
  // b: pass at 2540, build to 3540, Deployment written at 3560, Current at 603560: too late for a.
  RunResult r = simulate(w, s);
  bool timed_out = false;
  for (const PassRecord& p : r.passes)
    if (p.controller == Controller::Kustomize && static_cast<std::size_t>(p.subject) == index_of(w, "a") && p.number == 1)
      timed_out = p.outcome == PassOutcome::HealthCheckFailed && to_ms(p.ended_at) == 573'520;
  CHECK(timed_out);
}

// explain matched healthChecks by kind alone, so an entry of another group named "Kustomization" made it
// say the check waits for that Kustomization; the engine and the graph never did.
TEST_CASE("health-check targets: a Kustomization kind of another API group is not a Flux Kustomization") {
  WorldBuilder b;
  b.kustomization("a").health_checks.push_back(ObjectRef{"example.com", "Kustomization", "flux-system", "b"});
  b.kustomization("b").wait = true;
  b.object("b", "apps/v1", "Deployment", "default", "slow");
  const World& w = b.world();
  CHECK(DependencyGraph(w).health_checked(index_of(w, "a")).empty());
  CHECK(explain(w, quiet_scenario()).find("Kustomization b counts only once Ready") == std::string::npos);
  // engine: a waits for example.com/Kustomization/flux-system/b, an object nothing builds and no chart
  // creates (flux-semantics.md §10): it stays NotFound, so a's check times out on every attempt, while
  // b (a Flux Kustomization, not the object a names) becomes Ready when its Deployment is, 3560 + 30000.
  RunResult r = simulate(w, quiet_scenario());
  CHECK(ready_ms(r, w, "a") == -1);
  CHECK(ready_ms(r, w, "b") == 33'560);
}

TEST_CASE("health-check targets: an entry without apiVersion naming a Kustomization, in every layer") {
  WorldBuilder b;
  b.kustomization("a").health_checks.push_back(ObjectRef{"", "Kustomization", "flux-system", "b"});
  b.kustomization("b").wait = true;
  b.object("b", "apps/v1", "Deployment", "default", "slow");
  const World& w = b.world();
  const DependencyGraph graph(w);
  CHECK(graph.health_checked(index_of(w, "a")) == std::vector<NodeId>{static_cast<NodeId>(index_of(w, "b"))});
  CHECK(explain(w, quiet_scenario()).find("Kustomization b counts only once Ready") != std::string::npos);
  RunResult r = simulate(w, quiet_scenario());
  // b: pass 2540, build 3540, Deployment written at 3560, Current 30s later at 33560; its health check
  // started at 3560 and polls every 5s from there, so it sees it at once: Ready 33560.
  // a's check started at 3520 and waits on b (a Kustomization: polled every 5s): 33520 is 40ms too early,
  // 38520 sees b Ready.
  CHECK(ready_ms(r, w, "b") == 33'560);
  CHECK(ready_ms(r, w, "a") == 38'520);
}

// The helm copies of the jitter formula hard-coded 5%, the chart-not-ready requeue was a literal 30s, and
// helm- and source-controller finalizers took kustomize-controller's --min-retry-delay. Each now reads its
// own controller's setting.
TEST_CASE("helm-controller and source-controller read their own flags (flux-semantics.md §3, §10, §11)") {
  WorldBuilder b;
  b.kustomization("apps");
  b.helm_release("apps", "db", "podinfo");
  b.helm_repository("apps", "podinfo");
  Scenario s = quiet_scenario();
  s.controllers.helm.interval_jitter_percent = 0;
  s.controllers.helm.first_reconcile_delay = 2s;
  s.controllers.helm.requeue_dependency = 10s;
  s.controllers.source.first_reconcile_delay = 1s;
  RunResult r = simulate(b.world(), s);
  const World& w = b.world();
  // GitRepository flux-system (created by bootstrap): finalizer at 0, source-controller's 1s later its
  // fetch: artifact at 1000; the root's pass at 750 found none, the fan-out re-enqueues it at 1000.
  // apps: pass 2770, build 3770, writes HelmRelease db at 3790 and HelmRepository podinfo at 3810.
  // podinfo: finalizer at 3810, its own 1s later (4810) the first fetch (0s): artifact at 4810.
  REQUIRE(w.sources[1].ref.name == "podinfo");
  CHECK(to_ms(r.source_ready_at[1]) == 4'810);
  // db: finalizer at 3790, helm-controller's own 2s later its first pass, 5790: it creates the HelmChart,
  // whose artifact does not exist yet → SourceNotReady, requeue --requeue-dependency 10s with no jitter.
  // The HelmChart's finalizer pass runs at once (5790: source-controller sees the new object), its fetch
  // its own 1s later (6790); the chart's watch re-triggers db at 6790: install 45s → 51790, and the
  // success requeue is exactly spec.interval (10m).
  std::vector<std::string> passes;
  std::vector<std::int64_t> requeues;
  for (const PassRecord& p : r.passes)
    if (p.controller == Controller::Helm) {
      passes.push_back(fmt::format("{}@{} {}", p.number, to_ms(p.started_at), to_string(p.outcome)));
      requeues.push_back(p.requeue_after.count());
    }
  REQUIRE(passes.size() >= 2);
  CHECK(passes[0] == "1@5790 ArtifactNotReady");
  CHECK(passes[1] == "2@6790 Succeeded");
  CHECK(requeues[0] == 10'000);
  CHECK(requeues[1] == 600'000);
  CHECK(to_ms(r.helm_ready_at[0]) == 51'790);
}
