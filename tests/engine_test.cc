// SPDX-License-Identifier: Apache-2.0
// Hand-computed timelines. Each test states the arithmetic of kustomize-controller's schedule
// (flux-semantics.md) beside the numbers it checks. Default timings unless a test says otherwise:
// build 1s per apply attempt, 20ms per object written, Deployment Current 30s after apply,
// firstReconcileDelay 750ms, --requeue-dependency 30s, health polls every 5s from the start.
#include "fluxsim/engine.h"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;

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

Scenario quiet_scenario() {
  Scenario s;
  s.controllers.kustomize.interval_jitter_percent = 0;  // interval re-runs at exactly the interval
  s.horizon = 1h;
  return s;
}

}  // namespace

TEST_CASE("a dependsOn chain of three costs a 30s poll per edge") {
  WorldBuilder b;
  for (const char* n : {"a", "b", "c"}) {
    b.kustomization(n).wait = true;
    b.object(n, "apps/v1", "Deployment", "default", std::string(n) + "-app");
  }
  b.depends_on("b", "a");
  b.depends_on("c", "b");
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
