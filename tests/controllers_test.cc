// SPDX-License-Identifier: Apache-2.0
// helm-controller and source-controller behaviour, and injected faults, against hand-computed
// timelines (flux-semantics.md §10, §11). Defaults: Helm install 45s, HelmRelease timeout 5m,
// --requeue-dependency 30s, min retry delay 750ms doubling per failure.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "fluxsim/engine.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;
using fluxsim::test::quiet_scenario;

namespace {

std::int64_t hr_ready_ms(const RunResult& r, const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.helm_releases.size(); ++i)
    if (w.helm_releases[i].ref.name == name) return r.helm_ready_at[i] == kNever ? -1 : to_ms(r.helm_ready_at[i]);
  return -2;
}

std::int64_t ks_ready_ms(const RunResult& r, const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.kustomizations.size(); ++i)
    if (w.kustomizations[i].ref.name == name) return r.kustomizations[i].ready_at == kNever ? -1 : to_ms(r.kustomizations[i].ready_at);
  return -2;
}

std::string helm_passes(const RunResult& r, const World& w, std::string_view name) {
  std::string out;
  for (const PassRecord& p : r.passes) {
    if (p.controller != Controller::Helm || w.helm_releases[static_cast<std::size_t>(p.subject)].ref.name != name) continue;
    if (!out.empty()) out += "; ";
    out += fmt::format("{}@{} {}", p.number, to_ms(p.started_at), to_string(p.outcome));
  }
  return out;
}

Fault object_fault(Fault::Type type, std::string kind, std::string name) {
  Fault f;
  f.type = type;
  f.match.kind = std::move(kind);
  f.match.name = std::move(name);
  return f;
}

}  // namespace

TEST_CASE("two HelmReleases chained by dependsOn, charts from a HelmRepository") {
  WorldBuilder b;
  b.kustomization("apps");
  b.helm_release("apps", "app", "podinfo").depends_on.push_back({"HelmRelease", "flux-system", "db", {}, false});
  b.helm_release("apps", "db", "podinfo");
  b.helm_repository("apps", "podinfo");
  RunResult r = simulate(b.world(), quiet_scenario());
  const World& w = b.world();
  // apps: pass 2520, build 3520, writes HelmRelease app 3540, db 3560, HelmRepository podinfo 3580.
  CHECK(ks_ready_ms(r, w, "apps") == 3580);
  // podinfo: finalizer at 3580, first fetch at 4330 (0s) -> artifact. Its watch enqueues the
  // HelmCharts already created by the HelmReleases' first passes (app at 4290, db at 4310), which
  // are pulled at once (4330) and in turn enqueue their HelmReleases.
  // db: first pass 4310 finds its chart not ready (30s requeue), re-triggered at 4330: install 45s.
  CHECK(helm_passes(r, w, "db").starts_with("1@4310 ArtifactNotReady; 2@4330 Succeeded"));
  CHECK(hr_ready_ms(r, w, "db") == 49330);
  // app: 4290 db not Ready -> 30s; re-triggered by its chart at 4330 (db installing) -> 34330
  // (still) -> 64330: install -> 109330.
  CHECK(helm_passes(r, w, "app").starts_with("1@4290 DependencyNotReady; 2@4330 DependencyNotReady; 3@34330 DependencyNotReady; 4@64330 Succeeded"));
  CHECK(hr_ready_ms(r, w, "app") == 109330);
}

TEST_CASE("a failing Helm install with no retries stalls, and a waiting parent fails fast") {
  WorldBuilder b;
  b.kustomization("apps").wait = true;  // interval 10m: timeout 9m30s, retryInterval 10m
  b.helm_release("apps", "bad").timeout = 1min;
  Scenario s = quiet_scenario();
  s.faults.push_back(object_fault(Fault::Type::NeverReady, "HelmRelease", "bad"));
  const World& w = b.world();
  SUBCASE("retries 0 (the default): Stalled after one install") {
    RunResult r = simulate(w, s);
    // bad: created 3540, install at 4290 times out at 64290 -> Stalled (kstatus Failed). apps polls
    // from 3540 every 5s: the first tick after 64290 is 68540 -> fails fast, long before 9m30s.
    CHECK(helm_passes(r, w, "bad") == "1@4290 InstallFailed");
    bool fast = false;
    for (const PassRecord& p : r.passes)
      if (p.controller == Controller::Kustomize && p.outcome == PassOutcome::HealthCheckFailed && to_ms(p.ended_at) == 68540) {
        CHECK(message(w, r, p) == "health check failed after 1m5s: failed early due to stalled resources: [HelmRelease/flux-system/bad status: 'Failed']");
        fast = true;
      }
    CHECK(fast);
    CHECK(ks_ready_ms(r, w, "apps") == -1);
  }
  SUBCASE("retries 2: two more installs after 750ms and 1.5s remediation requeues, then Stalled") {
    b.get("apps");
    const_cast<World&>(w).helm_releases[0].install_retries = 2;
    RunResult r = simulate(w, s);
    // 4290 -> fails 64290; requeue 750ms: 65040 -> fails 125040; 1.5s: 126540 -> fails 186540: stalled.
    CHECK(helm_passes(r, w, "bad") == "1@4290 InstallFailed; 2@65040 InstallFailed; 3@126540 InstallFailed");
  }
  SUBCASE("retries -1: unlimited, never Stalled (flux-semantics.md §10, negative retries)") {
    const_cast<World&>(w).helm_releases[0].install_retries = -1;
    RunResult r = simulate(w, s);
    // The same as retries 2 for the first three, then on: 186540 + 3s = 189540 -> fails 249540;
    // + 6s = 255540 -> fails 315540; the rate limiter keeps doubling.
    CHECK(helm_passes(r, w, "bad").starts_with(
        "1@4290 InstallFailed; 2@65040 InstallFailed; 3@126540 InstallFailed; 4@189540 InstallFailed; 5@255540 InstallFailed"));
    for (const PassRecord& p : r.passes)
      if (p.controller == Controller::Helm) CHECK(p.reason != Reason::RetriesExceeded);
  }
}

TEST_CASE("a source outage during bootstrap delays the first artifact by the fetch backoff") {
  WorldBuilder b;
  Scenario s = quiet_scenario();
  Fault f;
  f.type = Fault::Type::SourceUnavailable;
  f.match.name = "flux-system";
  f.from = SimTime{};
  f.until = SimTime{3min};
  s.faults.push_back(f);
  RunResult r = simulate(b.world(), s);
  // The bootstrap GitRepository's first reconcile only adds its finalizer (750ms, flux-semantics.md §11).
  // Fetches at 0.75s, 1.5s, 3s, 6s, 12s, 24s, 48s, 96s fail (backoff 750ms doubling); the one at
  // 96s + 96s = 192s succeeds and enqueues the root, which applies at once.
  CHECK(to_ms(r.source_ready_at[0]) == 192000);
  CHECK(ks_ready_ms(r, b.world(), "flux-system") == 193000);
}

TEST_CASE("a kustomize-controller restart loses the passes in flight and lists everything again") {
  WorldBuilder b;
  b.kustomization("slow").wait = true;
  b.object("slow", "apps/v1", "Deployment", "default", "slow");
  Scenario s = quiet_scenario();
  s.timing.ready.push_back({Match{"", "Deployment", "", "", "", {}}, Distribution::fixed(2min)});
  Fault f;
  f.type = Fault::Type::ControllerRestart;
  f.controller = "kustomize";
  f.at = SimTime{1min};
  s.faults.push_back(f);
  RunResult r = simulate(b.world(), s);
  // slow: pass at 2520, Deployment written 3540 (Current at 123540), health check lost at 60000.
  // A crash (the default mode): the new process takes the lease over 35s later (flux-semantics.md §11)
  // and lists everything at 95000: build 96000, nothing to write, polls from 96000: first tick >= 123540
  // is 96000 + 6*5s = 126000.
  CHECK(ks_ready_ms(r, b.world(), "slow") == 126000);
  int interrupted = 0;
  for (const PassRecord& p : r.passes) interrupted += p.outcome == PassOutcome::Interrupted;
  CHECK(interrupted == 1);
}

TEST_CASE("object faults: readyAt delays Current, failedAt fails a waiting parent fast") {
  WorldBuilder b;
  b.kustomization("db").wait = true;
  b.object("db", "apps/v1", "Deployment", "database", "postgres");
  b.kustomization("web").wait = true;
  b.object("web", "apps/v1", "Deployment", "default", "grafana");
  Scenario s = quiet_scenario();
  Fault late = object_fault(Fault::Type::ReadyAt, "Deployment", "postgres");
  late.at = SimTime{12min};
  s.faults.push_back(late);
  Fault broken = object_fault(Fault::Type::FailedAt, "Deployment", "grafana");
  broken.at = SimTime{1min};
  s.faults.push_back(broken);
  RunResult r = simulate(b.world(), s);
  // db: pass 2520, Deployment 3540, not Current before 12m; health check from 3540 with timeout 9m30s
  // fails at 573540; retry at 1173540 (10m): build, nothing to write, Current already -> Ready 1174540.
  CHECK(ks_ready_ms(r, b.world(), "db") == 1174540);
  // web: pass 2540, Deployment 3560, Failed from 60000: the poll at 63560 fails fast.
  bool fast = false;
  for (const PassRecord& p : r.passes)
    if (p.outcome == PassOutcome::HealthCheckFailed && to_ms(p.ended_at) == 63560) fast = true;
  CHECK(fast);
  CHECK(ks_ready_ms(r, b.world(), "web") == -1);
}

TEST_CASE("a fault that matches nothing is an error naming it") {
  WorldBuilder b;
  Scenario s = quiet_scenario();
  Fault f = object_fault(Fault::Type::NeverReady, "Deployment", "no-such-thing");
  f.where = {"scenario.yaml", 12, 5};
  s.faults.push_back(f);
  Simulation sim(b.world(), s);
  REQUIRE(sim.diagnostics().has_errors());
  CHECK(to_string(sim.diagnostics().items()[0]).starts_with("scenario.yaml:12:5: error: fault matches nothing"));
}

TEST_CASE("an installed HelmRelease's interval re-runs take no Helm action") {
  WorldBuilder b;
  b.kustomization("apps");
  b.helm_release("apps", "web").interval = 5min;
  Scenario s = quiet_scenario();
  EngineOptions steady;  // the re-runs are the steady state a run otherwise stops before
  steady.run_to_horizon = true;
  RunResult r = simulate(b.world(), s, steady);
  // web: created 3540, installs at 4290 (45s): Ready 49290; then every 5m (±5%) a pass that ends at once.
  CHECK(hr_ready_ms(r, b.world(), "web") == 49290);
  int reruns = 0;
  for (const PassRecord& p : r.passes)
    if (p.controller == Controller::Helm && p.number > 1) {
      CHECK(p.ended_at == p.started_at);
      ++reruns;
    }
  CHECK(reruns >= 10);
  CHECK(r.workers[1].busy == 45s);  // helm-controller busy only for the install
}
