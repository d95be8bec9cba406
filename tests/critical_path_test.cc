// SPDX-License-Identifier: Apache-2.0
// The critical path on the hand-computed timelines of tests/engine_test.cc: the chain that decided the
// time to full readiness, each step's parts adding up, and the summary naming the Flux knob. Numbers
// are the engine test's (build 1s, 20ms per object, Deployment Current 30s after apply, 750ms
// finalizer requeue, --requeue-dependency 30s).
#include "fluxsim/critical_path.h"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include "fluxsim/engine.h"
#include "fluxsim/timeline.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;
using fluxsim::test::quiet_scenario;

namespace {

std::string chain(const World& w, const CriticalPath& cp) {
  std::string out;
  for (const CriticalStep& s : cp.steps)
    out += (out.empty() ? "" : " > ") + w.kustomizations[s.kustomization].ref.name + "(" + to_string(s.gate) + ")";
  return out;
}

std::string spans(const RunResult& r, std::size_t k) {
  std::string out;
  for (const PhaseSpan& s : timeline(r, k))
    out += fmt::format("{}{} {}-{}", out.empty() ? "" : "; ", to_string(s.phase), to_ms(s.from), to_ms(s.to));
  return out;
}

void check_adds_up(const CriticalPath& cp) {
  REQUIRE_FALSE(cp.steps.empty());
  CHECK(cp.steps.front().from == SimTime{});
  CHECK(cp.steps.back().to == cp.end);
  Duration sum{0};
  for (std::size_t i = 0; i < cp.steps.size(); ++i) {
    const CriticalStep& s = cp.steps[i];
    CHECK(s.parts.total() == s.to - s.from);
    if (i > 0) CHECK(s.from == cp.steps[i - 1].to);
    sum += s.parts.total();
  }
  CHECK(sum == cp.end.time_since_epoch());
  CHECK(cp.parts.total() == cp.end.time_since_epoch());
}

}  // namespace

TEST_CASE("the phases of one Kustomization are contiguous spans from its creation") {
  WorldBuilder b;
  for (const char* n : {"a", "b"}) {
    b.kustomization(n).wait = true;
    b.object(n, "apps/v1", "Deployment", "default", std::string(n) + "-app");
  }
  b.depends_on("b", "a");
  Scenario s = quiet_scenario();
  s.horizon = 2min;
  RunResult r = simulate(b.world(), s);
  // b: written 1790, finalizer, polls at 2540 and 32540, applies at 62540 (build 63540, write 63560),
  // health until the Deployment is Current at 93560, Ready until the end of the run (2m).
  CHECK(spans(r, 2) ==
        "startup 1790-2540; waiting for dependencies 2540-62540; applying 62540-63560; health checking 63560-93560; ready 93560-120000");
  CHECK(timeline(r, 99).empty());
}

TEST_CASE("parallel phases: which apply attempts actually overlapped") {
  WorldBuilder b = test::chain_of_three();
  b.kustomization("free").wait = true;  // no dependsOn: overlaps a
  b.object("free", "apps/v1", "Deployment", "default", "free-app");
  const World& w = b.world();
  RunResult r = simulate(w, quiet_scenario());
  std::vector<ParallelPhase> phases = parallel_phases(r, r.time_to_ready + Duration{1});
  auto names = [&](const ParallelPhase& p) {
    std::string out;
    for (std::size_t k : p.kustomizations) out += (out.empty() ? "" : " ") + w.kustomizations[k].ref.name;
    return out;
  };
  // root [750, 1830); a [2520, 33540) with free [2580, 33600); b [62540, 93560); c [122560, 153580).
  REQUIRE(phases.size() == 4);
  CHECK(names(phases[0]) == "flux-system");
  CHECK(names(phases[1]) == "a free");
  CHECK(phases[1].max_parallel == 2);
  CHECK(to_ms(phases[1].from) == 2520);
  CHECK(to_ms(phases[1].to) == 33600);
  CHECK(names(phases[2]) == "b");
  CHECK(names(phases[3]) == "c");
  CHECK(to_ms(phases[3].to) == 153580);
  CHECK(parallel_phases(r, at_ms(2000)).size() == 1);
}

TEST_CASE("critical path of the dependsOn chain of three: root, a, then each dependency poll") {
  WorldBuilder b = test::chain_of_three();
  const World& w = b.world();
  RunResult r = simulate(w, quiet_scenario());
  CriticalPath cp = critical_path(w, quiet_scenario(), r);
  CHECK(chain(w, cp) == "flux-system(start) > a(parent) > b(dependsOn) > c(dependsOn)");
  check_adds_up(cp);
  REQUIRE(cp.steps.size() == 4);
  // flux-system: [0, 1770): finalizer 750, build 1s + writing a (20ms).
  CHECK(to_ms(cp.steps[0].to) == 1770);
  CHECK(cp.steps[0].parts.startup == 750ms);
  CHECK(cp.steps[0].parts.apply == 1020ms);
  // a: [1770, 33540): finalizer 750, apply 1020, health 30s.
  CHECK(cp.steps[1].parts.startup == 750ms);
  CHECK(cp.steps[1].parts.health == 30s);
  // b: a Ready at 33540; b's next check at 62540 (29s), apply 1020, health 30s -> 93560.
  CHECK(to_ms(cp.steps[2].from) == 33540);
  CHECK(cp.steps[2].parts.dependency == 29s);
  CHECK(cp.steps[2].parts.apply == 1020ms);
  CHECK(cp.steps[2].parts.health == 30s);
  // c: b Ready at 93560; next check 122560 (29s), apply, health -> 153580.
  CHECK(to_ms(cp.steps[3].from) == 93560);
  CHECK(cp.steps[3].parts.dependency == 29s);
  CHECK(to_ms(cp.end) == 153580);
  CHECK(cp.parts.dependency == 58s);
  CHECK(cp.parts.health == 90s);
  // Health checking dominates: 90s of 2m33.58s = 59%.
  CHECK(cp.summary.starts_with("59% of the 2m33.58s is health checking, mostly a"));

  SUBCASE("with 10s Deployments, dependency polling dominates and the hint is --requeue-dependency") {
    Scenario s = quiet_scenario();
    s.timing.ready.push_back({Match{"", "Deployment", "", "", "", {}}, Distribution::fixed(10s)});
    RunResult r2 = simulate(w, s);
    CriticalPath cp2 = critical_path(w, s, r2);
    CHECK(chain(w, cp2) == "flux-system(start) > a(parent) > b(dependsOn) > c(dependsOn)");
    check_adds_up(cp2);
    // a Ready 13540; b checks 2540 (no), 32540 -> Ready 43560; c checks 32560 (no), 62560 -> 73580.
    CHECK(to_ms(cp2.end) == 73580);
    CHECK(cp2.parts.dependency == 19s + 19s);
    CHECK(cp2.summary ==
          "52% of the 1m13.58s is dependency polling (2 dependsOn links on the path, each re-checked every 30s): "
          "consider --requeue-dependency=5s (controllers.kustomize.requeueDependency)");
    s.controllers.kustomize.requeue_dependency = 5s;
    CriticalPath cp3 = critical_path(w, s, simulate(w, s));
    check_adds_up(cp3);
    CHECK(cp3.end < cp2.end);
  }
}

TEST_CASE("critical path under worker starvation names the wait for a worker and who freed it") {
  WorldBuilder b;
  for (const char* n : {"w1", "w2", "w3", "w4"}) {
    b.kustomization(n).wait = true;
    b.object(n, "apps/v1", "Deployment", "default", n);
  }
  Scenario s = quiet_scenario();
  s.timing.ready.push_back({Match{"", "Deployment", "", "", "", {}}, Distribution::fixed(60s)});
  s.controllers.kustomize.concurrent = 2;
  const World& w = b.world();
  RunResult r = simulate(w, s);
  CriticalPath cp = critical_path(w, s, r);
  // w4: written 1830, due 2580, gets w2's worker at 63560, Ready 124580.
  CHECK(chain(w, cp) == "flux-system(start) > w4(parent)");
  check_adds_up(cp);
  const CriticalStep& last = cp.steps.back();
  CHECK(last.parts.worker == Duration{63560 - 2580});
  CHECK(last.worker_freed_by == 2);  // w2
  CHECK(cp.summary.starts_with("49% of the 2m4.58s is waiting for a free kustomize-controller worker (all 2 busy): "
                               "consider --concurrent=4"));
}

TEST_CASE("critical path through a wait: true parent's health check returns to the parent") {
  WorldBuilder b;
  Kustomization& parent = b.kustomization("parent");
  parent.interval = 5min;
  parent.wait = true;
  Kustomization& child = b.kustomization("child", "parent");
  child.interval = 1h;
  child.wait = true;
  b.object("child", "apps/v1", "Deployment", "default", "big");
  Scenario s = quiet_scenario();
  s.timing.ready.push_back({Match{"", "Deployment", "", "big", "", {}}, Distribution::fixed(10min)});
  const World& w = b.world();
  RunResult r = simulate(w, s);
  CriticalPath cp = critical_path(w, s, r);
  // parent writes child at 3540; child Ready 605310; parent's retried health check sees it at 609540.
  CHECK(chain(w, cp) == "flux-system(start) > parent(parent) > child(parent) > parent(healthCheck)");
  check_adds_up(cp);
  CHECK(to_ms(cp.steps[1].to) == 3540);
  CHECK(to_ms(cp.steps[2].to) == 605310);
  CHECK(cp.steps[2].parts.health == 10min);
  CHECK(cp.steps[3].parts.health == Duration{609540 - 605310});
}

TEST_CASE("critical path of a failed dry-run counts the retry delay and quotes the failure") {
  WorldBuilder b;
  b.kustomization("crs").retry_interval = 2min;
  b.object("crs", "example.com/v1", "Widget", "default", "w1");
  b.kustomization("operator").wait = true;
  b.object("operator", "apps/v1", "Deployment", "operators", "op");
  Scenario s = quiet_scenario();
  s.timing.ready.push_back({Match{"", "Deployment", "", "op", "", {}}, Distribution::fixed(40s)});
  s.provides.push_back({Match{"", "Deployment", "", "op", "", {}}, {"example.com/Widget"}, {}});
  const World& w = b.world();

  SUBCASE("without dependsOn") {
    RunResult r = simulate(w, s);
    CriticalPath cp = critical_path(w, s, r);
    CHECK(chain(w, cp) == "flux-system(start) > crs(parent)");
    check_adds_up(cp);
    // crs: fails at 3520, retries at 123520, Ready 124540.
    CHECK(cp.steps.back().parts.retry == 2min);
    CHECK(cp.steps.back().failed_attempts == 1);
    CHECK(cp.summary.find("retry delay after failed attempts, mostly crs (ReconciliationFailed: Widget/default/w1 dry-run failed") !=
          std::string::npos);
    CHECK(cp.summary.find("spec.retryInterval on crs (now 2m)") != std::string::npos);
  }
  SUBCASE("with dependsOn: the operator is on the path") {
    b.depends_on("crs", "operator");
    RunResult r = simulate(w, s);
    CriticalPath cp = critical_path(w, s, r);
    CHECK(chain(w, cp) == "flux-system(start) > operator(parent) > crs(dependsOn)");
    check_adds_up(cp);
    CHECK(to_ms(cp.steps[1].to) == 43560);
  }
}

TEST_CASE("when some never become Ready, the path leads to the last one that did and says so") {
  WorldBuilder b;
  b.kustomization("parent").wait = true;
  b.kustomization("paused", "parent").suspend = true;
  b.kustomization("ok");
  RunResult r = simulate(b.world(), quiet_scenario());
  CriticalPath cp = critical_path(b.world(), quiet_scenario(), r);
  CHECK_FALSE(cp.complete);
  CHECK(chain(b.world(), cp) == "flux-system(start) > ok(parent)");
  CHECK(to_ms(cp.end) == 3520);  // ok: written first (1770), first pass 2520, build 1s, nothing to wait for
  CHECK(cp.summary.starts_with("not every Kustomization became Ready within 1h (parent, paused); up to the last that did (ok at 3.52s): "));
  Duration sum{0};
  for (const CriticalStep& s : cp.steps) sum += s.parts.total();
  CHECK(sum == cp.end.time_since_epoch());

  SUBCASE("nothing Ready at all: no path") {
    World none;
    none.kustomizations.push_back(b.world().kustomizations.front());
    none.kustomizations.front().suspend = true;
    none.sources = b.world().sources;
    CriticalPath empty = critical_path(none, quiet_scenario(), simulate(none, quiet_scenario()));
    CHECK(empty.steps.empty());
    CHECK(empty.end == kNever);
    CHECK(empty.summary == "no critical path: not every Kustomization became Ready within 1h (flux-system)");
  }
}

TEST_CASE("on random worlds the critical path is contiguous and adds up to the time to full readiness") {
  int with_path = 0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    Rng rng(seed);
    auto below = [&](std::uint64_t n) { return n == 0 ? 0 : rng.next() % n; };
    WorldBuilder b;
    std::vector<std::string> names;
    const int n = 2 + static_cast<int>(below(20));
    for (int i = 0; i < n; ++i) {
      std::string name = fmt::format("k{:02}", i);
      std::string parent = names.empty() || below(3) == 0 ? "flux-system" : names[below(names.size())];
      Kustomization& k = b.kustomization(name, parent);
      k.wait = below(2) == 0;
      k.interval = std::chrono::minutes(1 + below(10));
      for (std::uint64_t d = below(3); d > 0 && !names.empty(); --d) b.depends_on(name, names[below(names.size())]);
      for (std::uint64_t o = below(3); o > 0; --o) b.object(name, "apps/v1", "Deployment", "default", fmt::format("{}-d{}", name, o));
      names.push_back(name);
    }
    Scenario s;
    s.seed = seed;
    s.horizon = 2h;
    s.controllers.kustomize.concurrent = 1 + static_cast<int>(below(4));
    s.timing.ready.push_back({Match{"", "Deployment", "", "", "", {}}, parse_distribution("uniform(5s, 2m)").value});
    s.timing.build = parse_distribution("uniform(500ms, 3s)").value;
    RunResult r = simulate(b.world(), s);
    CriticalPath cp = critical_path(b.world(), s, r);
    INFO("seed ", seed);
    CHECK(cp.complete == r.all_ready);
    if (cp.steps.empty()) continue;
    ++with_path;
    check_adds_up(cp);
    CHECK(cp.steps.front().kustomization == 0);
    if (r.all_ready) CHECK(cp.steps.back().to == r.time_to_ready);
    CHECK_FALSE(cp.summary.empty());
  }
  CHECK(with_path > 40);
}

TEST_CASE("a health check that fails because its children cannot get a worker is named as worker saturation") {
  // Two wait: true parents on two workers: each holds its worker while waiting for a child that needs one.
  WorldBuilder b;
  for (const char* n : {"p1", "p2"}) {
    Kustomization& p = b.kustomization(n);
    p.wait = true;
    p.interval = 5min;  // timeout 4m30s, retryInterval 5m
    const std::string child = std::string(n) + "-child";
    b.kustomization(child, n);
    b.object(child, "v1", "ConfigMap", "default", child);
  }
  Scenario s = quiet_scenario();
  s.controllers.kustomize.concurrent = 2;
  const World& w = b.world();
  RunResult r = simulate(w, s);
  REQUIRE(r.all_ready);
  CriticalPath cp = critical_path(w, s, r);
  check_adds_up(cp);
  const CriticalStep& last = cp.steps.back();
  CHECK(last.failed_attempts >= 1);
  REQUIRE(last.starved_child >= 0);
  CHECK(w.kustomizations[static_cast<std::size_t>(last.starved_child)].ref.name.ends_with("-child"));
  CHECK(cp.summary.find("which could not get a worker while all 2 were busy") != std::string::npos);
  CHECK(cp.summary.find("consider --concurrent=4") != std::string::npos);

  SUBCASE("with enough workers the children run and nothing starves") {
    s.controllers.kustomize.concurrent = 4;
    CriticalPath ok = critical_path(w, s, simulate(w, s));
    check_adds_up(ok);
    CHECK(ok.steps.back().starved_child == -1);
    CHECK(ok.summary.find("could not get a worker") == std::string::npos);
  }
}
