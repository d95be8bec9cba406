// SPDX-License-Identifier: Apache-2.0
// Hand-computed timelines. Each test states the arithmetic of kustomize-controller's schedule
// (flux-semantics.md) beside the numbers it checks. Default timings unless a test says otherwise:
// build 1s per apply attempt, 20ms per object written, Deployment Current 30s after apply,
// firstReconcileDelay 750ms, --requeue-dependency 30s, health polls every 5s from the start.
#include "fluxsim/engine.h"

#include <type_traits>

#include <doctest/doctest.h>

#include <fmt/format.h>

#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;
using fluxsim::test::quiet_scenario;

namespace {

std::int64_t ready_ms(const RunResult& r, const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.kustomizations.size(); ++i)
    if (w.kustomizations[i].ref.name == name) {
      SimTime t = r.kustomizations[i].ready_at;
      return t == kNever ? -1 : to_ms(t);
    }
  FAIL("no Kustomization ", name);
  return -2;
}

const KustomizationSummary& summary(const RunResult& r, const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.kustomizations.size(); ++i)
    if (w.kustomizations[i].ref.name == name) return r.kustomizations[i];
  throw std::runtime_error("no Kustomization");
}

// "name#pass@start outcome" for every pass of one Kustomization, in order: a compact timeline.
std::string passes_of(const RunResult& r, const World& w, std::string_view name) {
  std::string out;
  for (const PassRecord& p : r.passes) {
    if (w.kustomizations[static_cast<std::size_t>(p.subject)].ref.name != name) continue;
    if (!out.empty()) out += "; ";
    out += fmt::format("{}@{} {}", p.number, to_ms(p.started_at), to_string(p.outcome));
  }
  return out;
}

}  // namespace

TEST_CASE("a dependsOn chain of three costs a 30s poll per edge") {
  WorldBuilder b = test::chain_of_three();
  const World& w = b.world();
  RunResult r = simulate(w, quiet_scenario());

  // root: created 0, finalizer pass, real pass at 750; build 1s -> 1750; writes a, b, c at 1770,
  // 1790, 1810 (20ms each, SSA order by name); no wait -> Ready at 1810.
  CHECK(ready_ms(r, w, "flux-system") == 1810);
  // Each child: created at its write, finalizer at once, first pass 750ms later: 2520, 2540, 2560.
  // a: build 2520 -> 3520, Deployment written 3540, Current at 33540 = a health tick (3540 + 6*5s).
  CHECK(ready_ms(r, w, "a") == 33540);
  // b: 2540 a not Ready (mid-pass) -> 32540 still not (33540) -> 62540 applies: build 63540,
  // Deployment 63560, Current 93560.
  CHECK(passes_of(r, w, "b").starts_with("1@2540 DependencyNotReady; 2@32540 DependencyNotReady; 3@62540 Succeeded"));
  CHECK(ready_ms(r, w, "b") == 93560);
  // c: polls at 2560, 32560, 62560, 92560 (b Ready at 93560, 1s too late), 122560 applies:
  // build 123560, Deployment 123580, Current 153580.
  CHECK(ready_ms(r, w, "c") == 153580);
  CHECK(summary(r, w, "c").attempts == 1);
  CHECK(summary(r, w, "c").first_started_at == at_ms(2560));
  CHECK(summary(r, w, "c").first_applied_at == at_ms(122560));
  CHECK(r.all_ready);
  CHECK(to_ms(r.time_to_ready) == 153580);
}

TEST_CASE("the same scenario and run give the same result, event for event") {
  WorldBuilder b;
  for (int i = 0; i < 12; ++i) {
    std::string n = fmt::format("k{:02}", i);
    b.kustomization(n).wait = i % 2 == 0;
    b.object(n, "apps/v1", "Deployment", "default", n);
    if (i > 2) b.depends_on(n, fmt::format("k{:02}", i / 2));
  }
  Scenario s;
  s.timing.ready.push_back({Match{"", "Deployment", "", "", "", {}}, parse_distribution("uniform(10s, 90s)").value});
  RunResult x = simulate(b.world(), s), y = simulate(b.world(), s);
  REQUIRE(x.events.size() == y.events.size());
  for (std::size_t i = 0; i < x.events.size(); ++i) {
    CHECK(x.events[i].at == y.events[i].at);
    CHECK(x.events[i].type == y.events[i].type);
    CHECK(x.events[i].subject == y.events[i].subject);
  }
  EngineOptions other_run;
  other_run.run = 1;
  RunResult z = simulate(b.world(), s, other_run);
  CHECK(z.time_to_ready != x.time_to_ready);  // another run draws other samples
}

TEST_CASE("worker starvation: four waiting Kustomizations on two workers run two at a time") {
  // Four siblings, each `wait: true` on a Deployment Current 60s after apply, no dependsOn.
  auto build = [] {
    WorldBuilder b;
    for (const char* n : {"w1", "w2", "w3", "w4"}) {
      b.kustomization(n).wait = true;
      b.object(n, "apps/v1", "Deployment", "default", n);
    }
    return b;
  };
  WorldBuilder b = build();
  Scenario s = quiet_scenario();
  s.timing.ready.push_back({Match{"", "Deployment", "", "", "", {}}, Distribution::fixed(60s)});
  // Root writes w1..w4 at 1770, 1790, 1810, 1830; their finalizer passes requeue them to
  // 2520, 2540, 2560, 2580. One pass = build 1s + write 20ms + health until the Deployment is
  // Current 60s later (a 5s tick exactly): 61020ms.
  SUBCASE("four workers: all in parallel") {
    s.controllers.kustomize.concurrent = 4;
    RunResult r = simulate(b.world(), s);
    CHECK(ready_ms(r, b.world(), "w1") == 2520 + 61020);
    CHECK(ready_ms(r, b.world(), "w4") == 2580 + 61020);
    CHECK(to_ms(r.time_to_ready) == 63600);
  }
  SUBCASE("two workers: w3 and w4 wait for w1 and w2 to free theirs") {
    s.controllers.kustomize.concurrent = 2;
    RunResult r = simulate(b.world(), s);
    CHECK(ready_ms(r, b.world(), "w1") == 63540);
    CHECK(ready_ms(r, b.world(), "w2") == 63560);
    // w3 was due at 2560 but gets w1's worker at 63540; w4 (due 2580) gets w2's at 63560.
    CHECK(ready_ms(r, b.world(), "w3") == 63540 + 61020);
    CHECK(ready_ms(r, b.world(), "w4") == 63560 + 61020);
    CHECK(to_ms(r.time_to_ready) == 124580);
    bool found = false;
    for (const PassRecord& p : r.passes)
      if (b.world().kustomizations[static_cast<std::size_t>(p.subject)].ref.name == "w3") {
        CHECK(to_ms(p.queued_at) == 2560);
        CHECK(to_ms(p.started_at) == 63540);
        found = true;
        break;
      }
    CHECK(found);
    CHECK(r.workers[0].saturated >= 120s);
  }
}

TEST_CASE("a custom resource whose kind an operator provides") {
  // `operator` waits on its Deployment (Current 40s after apply); that Deployment registers the
  // kind example.com/Widget; `crs` applies a Widget.
  WorldBuilder b;
  b.kustomization("crs");
  b.object("crs", "example.com/v1", "Widget", "default", "w1");
  b.kustomization("operator").wait = true;
  b.object("operator", "apps/v1", "Deployment", "operators", "op");
  Scenario s = quiet_scenario();
  s.timing.ready.push_back({Match{"", "Deployment", "", "op", "", {}}, Distribution::fixed(40s)});
  s.provides.push_back({Match{"", "Deployment", "", "op", "", {}}, {"example.com/Widget"}, {}});
  EngineOptions steady;  // the interval re-runs after Ready are part of what is checked
  steady.run_to_horizon = true;
  // Root writes crs at 1770 and operator at 1790 (name order); first passes at 2520 and 2540.
  // operator: build 3540, Deployment written 3560, Current 43560 (8 ticks of 5s): Ready 43560.
  SUBCASE("with dependsOn: crs applies once the operator is Ready") {
    b.depends_on("crs", "operator");
    RunResult r = simulate(b.world(), s, steady);
    CHECK(ready_ms(r, b.world(), "operator") == 43560);
    // crs polls at 2520, 32520 (operator not Ready), 62520: build 63520, Widget written 63540.
    CHECK(passes_of(r, b.world(), "crs").starts_with("1@2520 DependencyNotReady; 2@32520 DependencyNotReady; 3@62520 Succeeded; 4@663540 Succeeded"));
    CHECK(ready_ms(r, b.world(), "crs") == 63540);
  }
  SUBCASE("without dependsOn: the dry-run fails until the kind exists, and a retryInterval is lost") {
    b.get("crs").retry_interval = 2min;
    RunResult r = simulate(b.world(), s, steady);
    // crs: build 2520 -> 3520, dry-run: no kind Widget yet -> ReconciliationFailed, retry 2m later at
    // 123520: build 124520, Widget written 124540.
    CHECK(passes_of(r, b.world(), "crs").starts_with("1@2520 ApplyFailed; 2@123520 Succeeded; 3@724540 Succeeded"));
    CHECK(ready_ms(r, b.world(), "crs") == 124540);
    bool saw = false;
    for (const PassRecord& p : r.passes)
      if (p.outcome == PassOutcome::ApplyFailed) {
        CHECK(p.reason == Reason::ReconciliationFailed);
        CHECK(message(b.world(), r, p) == "Widget/default/w1 dry-run failed: no matches for kind \"Widget\" in version \"example.com/v1\"");
        saw = true;
      }
    CHECK(saw);
    CHECK(summary(r, b.world(), "crs").attempts == 2);
  }
}

TEST_CASE("a CRD and its custom resources in one Kustomization apply in stages") {
  WorldBuilder b;
  b.kustomization("infra");
  b.crd("infra", "example.com", "Widget");
  b.object("infra", "example.com/v1", "Widget", "default", "w1");
  Scenario s = quiet_scenario();
  RunResult r = simulate(b.world(), s);
  // infra: pass 2520, build 3520; stage 1 writes the CRD (3540), waits: polls every 2s from 3540,
  // Established 1s after apply -> seen at the 5540 poll; stage 4 writes the Widget at 5560.
  CHECK(ready_ms(r, b.world(), "infra") == 5560);
}

TEST_CASE("the default timeout is interval - 30s and the default retryInterval is the interval") {
  WorldBuilder b;
  Kustomization& k = b.kustomization("slow");
  k.interval = 5min;
  k.wait = true;
  b.object("slow", "apps/v1", "Deployment", "default", "slow");
  Scenario s = quiet_scenario();
  s.timing.ready.push_back({Match{"", "Deployment", "", "", "", {}}, Distribution::fixed(6min)});
  EngineOptions steady;  // pass 3, the interval re-run after Ready, is part of what is checked
  steady.run_to_horizon = true;
  RunResult r = simulate(b.world(), s, steady);
  // Pass 1 at 2520: Deployment written 3540, health check until 3540 + 4m30s = 273540 -> failed.
  // retryInterval = interval = 5m -> pass 2 at 573540: build 574540, nothing to write, the
  // Deployment has been Current since 3540 + 6m = 363540 -> Ready at the first poll, 574540.
  // After success the interval (5m) applies: pass 3 at 574540 + 5m.
  CHECK(passes_of(r, b.world(), "slow").starts_with("1@2520 HealthCheckFailed; 2@573540 Succeeded; 3@874540 Succeeded"));
  CHECK(ready_ms(r, b.world(), "slow") == 574540);
  for (const PassRecord& p : r.passes)
    if (p.outcome == PassOutcome::HealthCheckFailed) {
      CHECK(to_ms(p.ended_at) == 273540);
      CHECK(message(b.world(), r, p) == "health check failed after 4m30s: timeout waiting for: [Deployment/default/slow status: 'InProgress']");
    }
  CHECK(summary(r, b.world(), "slow").attempts == 2);
  SUBCASE("the timeout is never below 30s") {
    Kustomization t;
    t.interval = 30s;
    CHECK(t.timeout_or_default() == 30s);
    t.timeout = 10s;
    CHECK(t.timeout_or_default() == 30s);
    t.timeout = 2min;
    CHECK(t.timeout_or_default() == 2min);
  }
}

TEST_CASE("a wait: true parent whose child is slower than the parent's timeout") {
  WorldBuilder b;
  Kustomization& parent = b.kustomization("parent");
  parent.interval = 5min;  // timeout 4m30s, retryInterval 5m
  parent.wait = true;
  Kustomization& child = b.kustomization("child", "parent");
  child.interval = 1h;
  child.wait = true;
  b.object("child", "apps/v1", "Deployment", "default", "big");
  Scenario s = quiet_scenario();
  s.timing.ready.push_back({Match{"", "Deployment", "", "big", "", {}}, Distribution::fixed(10min)});
  RunResult r = simulate(b.world(), s);
  // parent: pass 2520, build 3520, writes child at 3540 and waits on it from 3540 (deadline 273540).
  // child: finalizer 3540 -> pass 4290, build 5290, Deployment written 5310, Current 605310 (a tick).
  CHECK(ready_ms(r, b.world(), "child") == 605310);
  // parent times out at 273540 (the child is InProgress, never Failed), retries at 573540: build
  // 574540, then polls every 5s until the child is Ready: 574540 + 7*5s = 609540.
  CHECK(passes_of(r, b.world(), "parent").starts_with("1@2520 HealthCheckFailed; 2@573540 Succeeded"));
  CHECK(ready_ms(r, b.world(), "parent") == 609540);
}

TEST_CASE("a Kustomization whose first applies fail retries every retryInterval, without backoff") {
  WorldBuilder b;
  Kustomization& k = b.kustomization("flaky");
  k.retry_interval = 1min;
  b.object("flaky", "v1", "ConfigMap", "default", "settings");
  Scenario s = quiet_scenario();
  Fault f;
  f.type = Fault::Type::FailApplies;
  f.match.name = "flaky";
  f.count = 2;
  s.faults.push_back(f);
  RunResult r = simulate(b.world(), s);
  // 2520 build -> 3520 fails; 63520 -> 64520 fails; 124520 -> 125520 writes the ConfigMap (125540).
  CHECK(passes_of(r, b.world(), "flaky").starts_with("1@2520 ApplyFailed; 2@63520 ApplyFailed; 3@124520 Succeeded"));
  CHECK(ready_ms(r, b.world(), "flaky") == 125540);
  CHECK(summary(r, b.world(), "flaky").attempts == 3);
}

TEST_CASE("suspended Kustomizations are never reconciled and keep a waiting parent InProgress") {
  WorldBuilder b;
  b.kustomization("parent").wait = true;
  b.kustomization("paused", "parent").suspend = true;
  RunResult r = simulate(b.world(), quiet_scenario());
  CHECK(ready_ms(r, b.world(), "paused") == -1);
  CHECK(ready_ms(r, b.world(), "parent") == -1);
  CHECK(summary(r, b.world(), "paused").passes == 1);
  CHECK_FALSE(r.all_ready);
}

TEST_CASE("a namespaced object fails its dry-run until its Namespace exists") {
  WorldBuilder b;
  b.kustomization("app").retry_interval = 1min;
  b.object("app", "v1", "ConfigMap", "team", "settings");
  b.kustomization("namespaces");
  b.object("namespaces", "v1", "Namespace", "", "team");
  Scenario s = quiet_scenario();
  RunResult r = simulate(b.world(), s);
  // app (written first, pass 2520) builds until 3520 while `team` does not exist yet (namespaces'
  // pass 2540 writes it at 3560): namespaces "team" not found; retry at 63520 succeeds.
  CHECK(passes_of(r, b.world(), "app").starts_with("1@2520 ApplyFailed; 2@63520 Succeeded"));
  CHECK(ready_ms(r, b.world(), "app") == 64540);
}

TEST_CASE("an object only a health check names appears when the HelmRelease whose chart makes it installs") {
  // A HelmRelease's chart creates Deployment/web/podinfo; the Kustomization health-checks it by name
  // (flux-semantics.md §6.2, §10).
  WorldBuilder b;
  Kustomization& k = b.kustomization("app");
  k.health_checks.push_back({"apps", "Deployment", "web", "podinfo"});
  b.object("app", "v1", "ConfigMap", "web", "values");
  Scenario s = quiet_scenario();
  SUBCASE("nothing creates it: never Ready") {
    RunResult r = simulate(b.world(), s);
    CHECK(ready_ms(r, b.world(), "app") == -1);
  }
  SUBCASE("the HelmRelease podinfo (targetNamespace web) makes it: the kind's default time after the install") {
    b.helm_release("app", "podinfo").target_namespace = "web";
    RunResult r = simulate(b.world(), s);
    // app: pass 2520, build 3520, ConfigMap 3540, HelmRelease 3560 (SSA kind order), health check from
    // 3560. podinfo: finalizer 3560, install at 4310, Helm applies the chart at 4310 + 1s = 5310: the
    // Deployment exists from then and is Current 30s later, 35310; first 5s tick: 3560 + 7·5s = 38560.
    CHECK(ready_ms(r, b.world(), "app") == 38560);
  }
  SUBCASE("a matching timing rule") {
    b.helm_release("app", "podinfo").target_namespace = "web";
    s.timing.ready.push_back({Match{"", "Deployment", "", "podinfo", "", {}}, Distribution::fixed(2min)});
    RunResult r = simulate(b.world(), s);
    // Current at 5310 + 120000 = 125310; tick 3560 + 25·5s = 128560.
    CHECK(ready_ms(r, b.world(), "app") == 128560);
  }
}

TEST_CASE("a run's records hold no text: reasons and messages are numbers until a report words them") {
  // Nothing is formatted or allocated per event while simulating (issue 13): every record copies as bytes.
  static_assert(std::is_trivially_copyable_v<TraceEvent>);
  static_assert(std::is_trivially_copyable_v<PassRecord>);
  static_assert(std::is_trivially_copyable_v<KustomizationSummary>);
  CHECK(sizeof(TraceEvent) <= 56);
  CHECK(sizeof(PassRecord) <= 104);
}
