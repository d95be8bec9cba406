// SPDX-License-Identifier: Apache-2.0
// Flux fidelity, round 2 (issue 9): source fan-out through dependsOn, leader election after a
// restart, the SSA kind order within a stage, the finalizer pass of bootstrap sources and helm-
// controller's --requeue-dependency for a chart that is not ready. Hand-computed timelines, arithmetic
// in the comments, against flux-semantics.md. Defaults: build 1s, 20ms per object written, finalizer
// requeue 750ms, --requeue-dependency 30s, no interval jitter (quiet_scenario).
#include <algorithm>
#include <span>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "flux/apply.h"
#include "fluxsim/engine.h"
#include "sim/source_controller.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;
using fluxsim::test::quiet_scenario;

namespace {

std::int64_t ks_ready_ms(const RunResult& r, const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.kustomizations.size(); ++i)
    if (w.kustomizations[i].ref.name == name) return r.kustomizations[i].ready_at == kNever ? -1 : to_ms(r.kustomizations[i].ready_at);
  return -2;
}

// "number@start outcome; ..." for the Kustomization `name`.
std::string ks_passes(const RunResult& r, const World& w, std::string_view name) {
  std::string out;
  for (const PassRecord& p : r.passes) {
    if (p.controller != Controller::Kustomize || w.kustomizations[static_cast<std::size_t>(p.subject)].ref.name != name) continue;
    if (!out.empty()) out += "; ";
    out += fmt::format("{}@{} {}", p.number, to_ms(p.started_at), to_string(p.outcome));
  }
  return out;
}

std::string artifact_message(const RunResult& r, const World& w, std::string_view source) {
  for (const TraceEvent& e : r.events)
    if (e.type == TraceType::ArtifactStored && !e.helm_chart && w.sources[static_cast<std::size_t>(e.subject)].ref.name == source)
      return message(w, r, e);
  return "";
}

SourceMapping slow_fetch(std::string name, Duration fetch) {
  SourceMapping m;
  m.name = std::move(name);
  m.fetch = Distribution::fixed(fetch);
  m.fetch_given = true;
  return m;
}

Fault restart(std::string controller, Duration at, bool graceful) {
  Fault f;
  f.type = Fault::Type::ControllerRestart;
  f.controller = std::move(controller);
  f.at = SimTime{at};
  f.graceful = graceful;
  return f;
}

}  // namespace

// ----- rule 7: bootstrap sources take the finalizer pass ---------------------------------------------

TEST_CASE("a source flux bootstrap creates adds its finalizer first, like any new object (flux-semantics.md §1.3, §11)") {
  WorldBuilder b;
  RunResult r = simulate(b.world(), quiet_scenario());
  // GitRepository flux-system: created at 0, finalizer pass -> requeue 750ms -> fetch (0s) -> artifact
  // at 750. The root's own finalizer pass also ends at 750, and its first pass at 750 comes before the
  // fetch ends: no artifact (ArtifactNotReady, 30s); the artifact's fan-out re-enqueues it at once.
  CHECK(to_ms(r.source_ready_at[0]) == 750);
  CHECK(ks_passes(r, b.world(), "flux-system").starts_with("1@750 ArtifactNotReady; 2@750 Succeeded"));
  // Pass 2: build 750 + 1s = 1750, nothing to write: Ready at 1750.
  CHECK(ks_ready_ms(r, b.world(), "flux-system") == 1750);
}

// ----- rule 3: source fan-out through dependsOn ------------------------------------------------------

namespace {

// root applies Kustomization apps (on GitRepository apps-repo, dependsOn infra), Kustomization infra
// (on flux-system) and the GitRepository apps-repo, whose first fetch takes 2m.
WorldBuilder apps_on_second_source() {
  WorldBuilder b;
  b.kustomization("apps").source_ref = {"GitRepository", "flux-system", "apps-repo", {}, false};
  b.kustomization("infra");
  b.depends_on("apps", "infra");
  b.git_repository("flux-system", "apps-repo");
  return b;
}

}  // namespace

TEST_CASE("a fan-out enqueues the dependencies it reaches on another source, which re-run (flux-semantics.md §3, §12)") {
  WorldBuilder b = apps_on_second_source();
  Scenario s = quiet_scenario();
  s.sources.push_back(slow_fetch("apps-repo", 2min));
  EngineOptions to_horizon;
  to_horizon.run_to_horizon = true;  // the spec.interval re-runs below come after the run would settle
  RunResult r = simulate(b.world(), s, to_horizon);
  const World& w = b.world();
  // root: pass 2 at 750, built 1750; stage 4 in SSA order (unknown kinds by group: kustomize.toolkit
  // before source.toolkit, then by name): Kustomization apps 1770, infra 1790, GitRepository apps-repo 1810.
  // infra: finalizer 1790 -> pass 2540, built 3540, Ready (nothing to apply).
  CHECK(ks_ready_ms(r, w, "infra") == 3540);
  // apps-repo: finalizer 1810 -> fetch at 2560 takes 2m -> artifact at 122560.
  CHECK(to_ms(r.source_ready_at[1]) == 122560);
  // apps: finalizer 1770 -> 2520 no artifact, requeue 30s (§1.8): 32520, 62520, 92520, 122520 likewise.
  // At 122560 the fan-out lists apps and walks its dependsOn: infra (on flux-system, so not listed)
  // is reached and enqueued before apps (§3 trigger 2; runtime/dependency Sort). Both start at 122560:
  // infra first, setting Ready=Unknown for its pass (§1.10), so apps' dependency check fails: 30s.
  // infra: built 123560, Ready again. apps at 152560: build 153560 -> Ready.
  CHECK(ks_passes(r, w, "infra").starts_with("1@2540 Succeeded; 2@122560 Succeeded; 3@723560"));  // then spec.interval
  CHECK(ks_passes(r, w, "apps").starts_with(
        "1@2520 ArtifactNotReady; 2@32520 ArtifactNotReady; 3@62520 ArtifactNotReady; 4@92520 ArtifactNotReady; "
        "5@122520 ArtifactNotReady; 6@122560 DependencyNotReady; 7@152560 Succeeded; 8@"));
  CHECK(ks_ready_ms(r, w, "apps") == 153560);
  CHECK(artifact_message(r, w, "apps-repo") ==
        "GitRepository/flux-system/apps-repo: stored artifact for revision 'main@sha1:0000001'; fan-out enqueues 2 "
        "Kustomizations in dependency order, with the dependencies the walk reached: flux-system/infra (on "
        "GitRepository/flux-system)");
}

TEST_CASE("a cycle in the fan-out's dependency walk enqueues nothing for that artifact (flux-semantics.md §2, §3)") {
  // x and y (on apps-repo) depend on each other; z (on apps-repo) depends on nothing.
  WorldBuilder b;
  for (const char* n : {"x", "y", "z"}) b.kustomization(n).source_ref = {"GitRepository", "flux-system", "apps-repo", {}, false};
  b.depends_on("x", "y");
  b.depends_on("y", "x");
  b.git_repository("flux-system", "apps-repo");
  Scenario s = quiet_scenario();
  s.sources.push_back(slow_fetch("apps-repo", 2min));
  RunResult r = simulate(b.world(), s);
  const World& w = b.world();
  // root built 1750, writes x 1770, y 1790, z 1810, GitRepository apps-repo 1830.
  // apps-repo: finalizer 1830 -> fetch 2580 + 2m -> artifact at 122580.
  CHECK(to_ms(r.source_ready_at[1]) == 122580);
  // z: finalizer 1810 -> 2560 no artifact, every 30s: ..., 122560 (20ms before the artifact) -> 152560.
  // At 122580 the list is y, x, z (the repository's dependsOn order, from the root down); the walk from
  // y meets x -> y: Sort fails, nothing is enqueued, z included. z waits for its own requeue: 152560,
  // built 153560 -> Ready. (An enqueued z would have been Ready at 123580.)
  CHECK(ks_passes(r, w, "z").starts_with(
        "1@2560 ArtifactNotReady; 2@32560 ArtifactNotReady; 3@62560 ArtifactNotReady; 4@92560 ArtifactNotReady; "
        "5@122560 ArtifactNotReady; 6@152560 Succeeded; 7@"));
  CHECK(ks_ready_ms(r, w, "z") == 153560);
  CHECK(ks_ready_ms(r, w, "x") == -1);
  INFO(artifact_message(r, w, "apps-repo"));
  CHECK(artifact_message(r, w, "apps-repo").ends_with(
      "; fan-out: circular dependency detected: flux-system/y -> flux-system/x -> flux-system/y, so no Kustomization is "
      "enqueued"));
}

TEST_CASE("the fan-out walk: Sort's order, one hop outside the list, cycles only among listed ones") {
  // Kustomizations 0..5; deps as written below; kNone = a dependency that does not exist.
  std::vector<std::vector<std::int32_t>> deps(6);
  auto of = [&](std::int32_t k) { return std::span<const std::int32_t>(deps[static_cast<std::size_t>(k)]); };
  deps[1] = {2, -1};  // 1 -> 2 (not listed), a missing one
  deps[2] = {3};      // 2 is not listed: its edge to 3 is not followed
  deps[4] = {1};
  auto fan = sim::source::fan_out(std::vector<std::int32_t>{4, 1, 5}, 6, of);
  CHECK(fan.cycle.empty());
  CHECK(fan.enqueue == std::vector<std::int32_t>{2, 1, 4, 5});  // 2 reached from 1, before it; 3 never
  // A cycle through Kustomizations outside the list is not seen: 4 -> 1 -> 2 -> 4, but 1 (not listed)
  // has no edges, so the walk stops there.
  deps[2] = {4};
  CHECK(sim::source::fan_out(std::vector<std::int32_t>{4, 2}, 6, of).enqueue == std::vector<std::int32_t>{1, 4, 2});
  // All three listed: the walk from 4 meets 4 again: "4 -> 1 -> 2 -> 4", nothing enqueued.
  fan = sim::source::fan_out(std::vector<std::int32_t>{4, 1, 2}, 6, of);
  CHECK(fan.enqueue.empty());
  CHECK(fan.cycle == std::vector<std::int32_t>{4, 1, 2, 4});
}

// ----- rule 5: leader election after a restart -------------------------------------------------------

TEST_CASE("a crashed controller's successor waits 35s for the lease; a graceful restart does not (flux-semantics.md §11)") {
  // slow (wait: true) applies one Deployment that is Current 2m after it is written.
  WorldBuilder b;
  b.kustomization("slow").wait = true;
  b.object("slow", "apps/v1", "Deployment", "default", "slow");
  Scenario s = quiet_scenario();
  s.timing.ready.push_back({Match{"", "Deployment", "", "", "", {}}, Distribution::fixed(2min)});
  // slow: created 1770, pass at 2520 building until 3520; the restart at 3s loses that pass.
  SUBCASE("graceful: the lease is released, the new process lists everything at once") {
    s.faults.push_back(restart("kustomize", 3s, true));
    RunResult r = simulate(b.world(), s);
    // Listed at 3000: pass 3000, built 4000, Deployment written 4020, Current at 4020 + 2m = 124020;
    // health polls every 5s from 4020: 4020 + 24 * 5s = 124020 -> Ready.
    CHECK(ks_passes(r, b.world(), "slow").starts_with("1@2520 Interrupted; 2@3000 Succeeded"));
    CHECK(ks_ready_ms(r, b.world(), "slow") == 124020);
  }
  SUBCASE("crash (the default): nothing is reconciled until the old lease expires") {
    s.faults.push_back(restart("kustomize", 3s, false));
    RunResult r = simulate(b.world(), s);
    // The new process reads the lease at 3000 and takes it over 35s later (--leader-election-lease-
    // duration): listed at 38000, built 39000, written 39020, Current 159020 = 39020 + 24 * 5s -> Ready:
    // exactly 35s after the graceful case.
    CHECK(ks_passes(r, b.world(), "slow").starts_with("1@2520 Interrupted; 2@38000 Succeeded"));
    CHECK(ks_ready_ms(r, b.world(), "slow") == 159020);
    int restarts = 0, elected = 0;
    for (const TraceEvent& e : r.events)
      if (e.type == TraceType::ControllerRestarted) {
        restarts += e.reason == Reason::Crash && to_ms(e.at) == 3000 && e.value == 35000;
        elected += e.reason == Reason::LeaderElected && to_ms(e.at) == 38000;
      }
    CHECK(restarts == 1);
    CHECK(elected == 1);
  }
}

TEST_CASE("events while a crashed source-controller waits for the lease are lost; its start-up list covers them") {
  WorldBuilder b;
  Scenario s = quiet_scenario();
  s.faults.push_back(restart("source", 500ms, false));
  RunResult r = simulate(b.world(), s);
  // GitRepository flux-system: finalizer pass at 0 (stored in the object), requeue for 750 lost in the
  // crash at 500. The new process leads at 500 + 35s = 35500 and lists it: fetch (0s) -> artifact.
  // The root polls every 30s for an artifact (750, 30750) and is enqueued by the fan-out at 35500:
  // built 36500 -> Ready.
  CHECK(to_ms(r.source_ready_at[0]) == 35500);
  CHECK(ks_passes(r, b.world(), "flux-system").starts_with("1@750 ArtifactNotReady; 2@30750 ArtifactNotReady; 3@35500 Succeeded"));
  CHECK(ks_ready_ms(r, b.world(), "flux-system") == 36500);
}

// ----- rule 6: the work queue's order ------------------------------------------------------------------

TEST_CASE("one worker: a requeue due since 2.5s is served before a child created at 3.6s (flux-semantics.md §3 Queue type)") {
  // --concurrent 1. root applies a and b; a applies Deployment slow (Current 60s after it is written)
  // and Kustomization e, and health-checks only the Deployment (healthChecks).
  WorldBuilder b;
  b.kustomization("a").health_checks.push_back(ObjectRef{"apps", "Deployment", "default", "slow"});
  b.object("a", "apps/v1", "Deployment", "default", "slow");
  b.kustomization("b");
  b.kustomization("e", "a");
  Scenario s = quiet_scenario();
  s.controllers.kustomize.concurrent = 1;
  s.timing.ready.push_back({Match{"", "Deployment", "", "", "", {}}, Distribution::fixed(60s)});
  RunResult r = simulate(b.world(), s);
  const World& w = b.world();
  // root: pass 2 at 750, built 1750, writes a 1770, b 1790; the worker is free at 1790.
  // a, b: finalizer passes at 1790 (one worker, in the order they were added) -> both due at 2540.
  // a: pass 2540, built 3540, writes Deployment 3560 (kind order first), Kustomization e 3580; its health
  // check polls from 3580 every 5s: 3560 + 60s = 63560 -> tick 3580 + 12 * 5s = 63580 -> Ready.
  CHECK(ks_ready_ms(r, w, "a") == 63580);
  // At 63580 two entries wait: b, due since 2540, and e, added at 3580 when a created it. b became due
  // first, so b goes first (lessReady), having waited 63580 - 2540 = 61.04s: built 64580 -> Ready.
  CHECK(ks_ready_ms(r, w, "b") == 64580);
  for (const PassRecord& p : r.passes)
    if (p.controller == Controller::Kustomize && w.kustomizations[static_cast<std::size_t>(p.subject)].ref.name == "b" &&
        p.number == 1) {
      CHECK(to_ms(p.queued_at) == 2540);
      CHECK(to_ms(p.started_at) == 63580);
    }
  // e: finalizer pass at 64580 -> due 65330 -> built 66330 -> Ready. (Served before b, as an entry
  // added without delay once was, e would have been Ready at 65580 and b still at 64580.)
  CHECK(ks_ready_ms(r, w, "e") == 66330);
}

// ----- rule 7: SSA order within a stage --------------------------------------------------------------

TEST_CASE("SSA applies a stage's objects in fluxcd/pkg ssa/sort.go ReconcileOrder (flux-semantics.md §4.3)") {
  // ssa v0.77.0 ReconcileOrder.First: CRD, Namespace, ClusterRole, ClusterClass, RuntimeClass,
  // PriorityClass, StorageClass, VolumeSnapshotClass, IngressClass, GatewayClass, ClusterRoleBinding,
  // ResourceQuota, ServiceAccount, Role, RoleBinding, ConfigMap, Secret, Service, LimitRange,
  // Deployment, StatefulSet, CronJob, PodDisruptionBudget; then unknown kinds (by group, kind);
  // then Mutating-, ValidatingWebhookConfiguration. Ties: namespace, then name.
  const ObjectRef crb{"rbac.authorization.k8s.io", "ClusterRoleBinding", "", "crb"};
  const ObjectRef quota{"", "ResourceQuota", "apps", "q"};
  const ObjectRef sa{"", "ServiceAccount", "apps", "sa"};
  const ObjectRef role{"rbac.authorization.k8s.io", "Role", "apps", "r"};
  const ObjectRef svc{"", "Service", "apps", "svc"};
  const ObjectRef limits{"", "LimitRange", "apps", "l"};
  const ObjectRef dep{"apps", "Deployment", "apps", "d"};
  const ObjectRef pdb{"policy", "PodDisruptionBudget", "apps", "p"};
  const ObjectRef hr{"helm.toolkit.fluxcd.io", "HelmRelease", "apps", "h"};
  const ObjectRef ks{"kustomize.toolkit.fluxcd.io", "Kustomization", "apps", "k"};
  const ObjectRef mhook{"admissionregistration.k8s.io", "MutatingWebhookConfiguration", "", "m"};
  const ObjectRef vhook{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "", "v"};
  std::vector<ObjectRef> stage{vhook, ks, hr, pdb, dep, limits, svc, role, sa, quota, crb, mhook};
  std::sort(stage.begin(), stage.end(), flux::applied_before);
  // ClusterRoleBinding now comes before ResourceQuota and ServiceAccount (it was after RoleBinding),
  // unknown kinds go by group: helm.toolkit < kustomize.toolkit.
  CHECK(stage == std::vector<ObjectRef>{crb, quota, sa, role, svc, limits, dep, pdb, hr, ks, mhook, vhook});
  // Stage 2 (IsClassDefinition: any kind ending in "Class"), in the list's order: PriorityClass,
  // StorageClass, IngressClass; an unknown *Class kind after them.
  const ObjectRef pc{"scheduling.k8s.io", "PriorityClass", "", "p"};
  const ObjectRef sc{"storage.k8s.io", "StorageClass", "", "s"};
  const ObjectRef ic{"networking.k8s.io", "IngressClass", "", "i"};
  const ObjectRef other{"example.com", "WidgetClass", "", "w"};
  std::vector<ObjectRef> classes{other, ic, sc, pc};
  for (const ObjectRef& c : classes) CHECK(apply_stage(c) == ApplyStage::Classes);
  std::sort(classes.begin(), classes.end(), flux::applied_before);
  CHECK(classes == std::vector<ObjectRef>{pc, sc, ic, other});
}

TEST_CASE("SSA order decides which object of a stage is written first, and so when a waited-on one is Current") {
  // One Kustomization `app` (wait: true) writes a ClusterRoleBinding Current 10s after it is written
  // and a ServiceAccount Current at once; 20ms per write; the health check polls every 10ms here so
  // that the poll grid does not hide the 20ms. app: finalizer 1770 -> pass 2520, built 3520.
  WorldBuilder b;
  b.kustomization("app").wait = true;
  b.object("app", "v1", "ServiceAccount", "apps", "sa");
  b.object("app", "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "crb");
  Scenario s = quiet_scenario();
  s.controllers.kustomize.health_poll_interval = Duration{10};
  s.timing.ready.push_back({Match{"", "ServiceAccount", "", "", "", {}}, Distribution::fixed(Duration{0})});
  s.timing.ready.push_back({Match{"", "ClusterRoleBinding", "", "", "", {}}, Distribution::fixed(10s)});
  RunResult r = simulate(b.world(), s);
  // ClusterRoleBinding first: written 3540, Current 13540; ServiceAccount 3560. Polls from 3560 every
  // 10ms: 13540 = 3560 + 998 * 10ms -> Ready. (ServiceAccount first would write the binding at 3560:
  // Ready at 13560.)
  CHECK(ks_ready_ms(r, b.world(), "app") == 13540);
}

// ----- rule 7: helm-controller's --requeue-dependency for a chart that is not ready -------------------

TEST_CASE("a HelmRelease whose chart is not ready requeues after helm-controller's --requeue-dependency (flux-semantics.md §10)") {
  WorldBuilder b;
  b.kustomization("apps");
  b.helm_release("apps", "app", "podinfo");
  b.helm_repository("apps", "podinfo");
  Scenario s = quiet_scenario();
  s.controllers.helm.requeue_dependency = 7s;    // helm-controller's flag ...
  s.controllers.kustomize.requeue_dependency = 50s;  // ... not kustomize-controller's
  s.controllers.helm.interval_jitter_percent = 0;
  s.timing.fetch.push_back({"HelmRepository", Distribution::fixed(20s)});
  RunResult r = simulate(b.world(), s);
  // apps: built 3520, writes HelmRelease app 3540, HelmRepository podinfo 3560.
  // app: finalizer 3540 -> first pass 4290 creates HelmChart flux-system-app: chart not ready -> 7s.
  // podinfo: finalizer 3560 -> fetch 4310 + 20s = 24310. The HelmChart (created 4290, finalizer ->
  // 5040) waits for its repository; passes of app at 11290 and 18290 still find no chart (7s each),
  // 25290 would be next but podinfo's artifact at 24310 enqueues the chart: pulled at 24310 (0s)
  // -> app enqueued by the chart's watch at 24310: install 45s -> Ready at 69310.
  std::string passes;
  for (const PassRecord& p : r.passes)
    if (p.controller == Controller::Helm)
      passes += fmt::format("{}{}@{} {}", passes.empty() ? "" : "; ", p.number, to_ms(p.started_at), to_string(p.outcome));
  CHECK(passes.starts_with("1@4290 ArtifactNotReady; 2@11290 ArtifactNotReady; 3@18290 ArtifactNotReady; 4@24310 Succeeded"));
  CHECK(to_ms(r.helm_ready_at[0]) == 69310);
}
