// SPDX-License-Identifier: Apache-2.0
// `fluxsim explain` on hand-computed runs: the story names the Flux rule behind each decision, tells the
// near miss of a dependency poll, stops at full readiness, and folds endless repeats into one line.
#include <sstream>

#include <doctest/doctest.h>

#include "fluxsim/engine.h"
#include "fluxsim/report.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;
using fluxsim::test::quiet_scenario;

namespace {

std::vector<std::string> story_lines(const World& w, const Scenario& s) {
  RunResult r = simulate(w, s);
  std::ostringstream out;
  write_explain(RunReport{s, w, r, {}}, out);
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// The numbered lines only, without their "N. " prefix.
std::vector<std::string> steps(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const std::string& l : lines) {
    std::size_t dot = l.find(". t=");
    if (dot != std::string::npos && dot < 6) out.push_back(l.substr(dot + 2));
  }
  return out;
}

bool contains(const std::vector<std::string>& lines, const std::string& text) {
  for (const std::string& l : lines)
    if (l.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("explain tells the dependsOn chain of three as a story of polls") {
  WorldBuilder b = test::chain_of_three();
  const auto lines = story_lines(b.world(), quiet_scenario("chain"));
  const auto story = steps(lines);
  REQUIRE(story.size() > 10);
  CHECK(lines[0] == "fluxsim 0.1.0 explains scenario chain (seed 1)");
  CHECK(story[0] == "t=0s flux-system: created by flux bootstrap → its first reconcile only adds the finalizer; the real pass "
                    "follows 750ms later (--min-retry-delay)");
  // The bootstrap GitRepository adds its finalizer first too: its artifact comes just after the root's
  // first pass, whose fan-out re-enqueues it (flux-semantics.md §3).
  CHECK(story[1] == "t=750ms flux-system: source GitRepository/flux-system has no artifact yet → next check in 30s (--requeue-dependency)");
  CHECK(story[2] == "t=750ms GitRepository/flux-system: first artifact stored → enqueues 1 Kustomization in dependency order "
                    "(source fan-out over spec.sourceRef and dependsOn)");
  CHECK(contains(story, "t=2.54s b: dependency a not Ready → next check in 30s (--requeue-dependency)"));
  // The near miss: b's second check comes 1s before a turns Ready, so b waits another 30s.
  CHECK(contains(story, "t=32.54s b: dependency a still not Ready → next check in 30s (--requeue-dependency); a becomes Ready at "
                        "t=33.54s, but nothing wakes b: dependents only poll"));
  // The first of a kind of line explains in full, the later ones are short.
  CHECK(contains(story, "t=750ms flux-system: apply attempt 1: fetch the artifact, kustomize build, server-side dry-run (timing.build 1s)"));
  CHECK(contains(story, "t=1m2.54s b: all dependencies Ready at last (2 checks failed) → apply attempt 1: fetch, build, dry-run (timing.build 1s)"));
  CHECK(contains(story, "t=1.79s b: created: flux-system applied its manifest (finalizer first, real pass 750ms later: --min-retry-delay)"));
  CHECK(contains(story, "t=3.54s a: wait: true → waits for 1 object to become Current, holding its worker (kstatus polled every 5s, "
                        "gives up after 9m30s: spec.timeout, unset = interval − 30s)"));
  // c's middle check (at 32.56s) repeats its first and is left out; its last failing one says so.
  CHECK_FALSE(contains(story, "t=32.56s c:"));
  CHECK(contains(story, "t=1m32.56s c: dependency b still not Ready → next check in 30s (--requeue-dependency); b becomes Ready at "
                        "t=1m33.56s, but nothing wakes c: dependents only poll [2 identical checks before this one left out]"));
  CHECK(story.back() == "t=2m33.58s c: Ready (ReconciliationSucceeded): its health check passed after 30s; next run in 10m "
                        "(spec.interval 10m, ±0% jitter)");
  CHECK(contains(lines, "All 4 Kustomizations were Ready after 2m33.58s."));
  CHECK(contains(lines, "Critical path: flux-system → a → b → c"));
  // Every line names the rule or the actor behind it.
  for (const std::string& l : story) {
    INFO(l);
    const bool named = l.find("--") != std::string::npos || l.find("spec.") != std::string::npos ||
                       l.find("timing.") != std::string::npos || l.find("bootstrap") != std::string::npos ||
                       l.find("wait: true") != std::string::npos || l.find("dependents only poll") != std::string::npos;
    CHECK(named);
  }
}

TEST_CASE("explain says when a pass waited for a worker") {
  WorldBuilder b;
  for (const char* n : {"w1", "w2", "w3"}) {
    b.kustomization(n).wait = true;
    b.object(n, "apps/v1", "Deployment", "default", n);
  }
  Scenario s = quiet_scenario("starved");
  s.controllers.kustomize.concurrent = 2;
  const auto story = steps(story_lines(b.world(), s));
  // w3 due at 2.56s; w1 frees its worker at 33.54s.
  // The first wait also says the queue's order (controller-runtime v0.24 priority queue, lessReady).
  CHECK(contains(story, "t=33.54s w3: waited 30.98s for a free worker (all 2 busy: --concurrent; due entries are served by "
                        "priority, then in the order they became due) → apply attempt 1"));
}

TEST_CASE("explain folds endless repeats and says what never became Ready") {
  WorldBuilder b;
  b.kustomization("app");
  b.depends_on("app", "ghost");
  Kustomization& slow = b.kustomization("slow");
  slow.wait = true;
  slow.interval = 5min;
  b.object("slow", "apps/v1", "Deployment", "default", "slow");
  Scenario s = quiet_scenario("stuck");
  s.horizon = 6h;
  Fault f;
  f.type = Fault::Type::NeverReady;
  f.match.name = "slow";
  s.faults.push_back(f);
  const auto lines = story_lines(b.world(), s);
  const auto story = steps(lines);
  CHECK(story.size() < 20);  // 720 dependency checks and 37 failed health checks, told in a few lines
  CHECK(contains(story, "t=4m33.56s slow: HealthCheckFailed: health check failed after 4m30s: timeout waiting for: "
                        "[Deployment/default/slow status: 'InProgress'] → retry in 5m (spec.retryInterval, unset = spec.interval; "
                        "the check gave up at spec.timeout 4m30s)"));
  CHECK(contains(story, "t=6h slow: still not Ready at the end of the run: the same outcome repeated"));
  CHECK(contains(story, "t=6h app: still not Ready at the end of the run: the same outcome repeated"));
  CHECK(contains(lines, "Only 1 of 3 Kustomizations became Ready within 6h."));
  CHECK(contains(lines, "Critical path to the last that became Ready: flux-system"));
  CHECK(contains(lines, "not every Kustomization became Ready within 6h (app, slow); up to the last that did (flux-system at 1.79s): "));
}

TEST_CASE("explain tells a crash restart and the leader lease the new process waits for (flux-semantics.md §11)") {
  WorldBuilder b;
  Scenario s = quiet_scenario("crash");
  Fault crash;
  crash.type = Fault::Type::ControllerRestart;
  crash.controller = "source";
  crash.at = SimTime{500ms};
  s.faults.push_back(crash);
  const auto story = steps(story_lines(b.world(), s));
  // Crash at 500ms; the lease taken over 35s later (fidelity_test.cc has the timeline).
  CHECK(contains(story, "t=500ms source-controller: crashes (fault): fetches in flight are lost; the new process waits 35s for "
                        "the old leader's lease to expire (--leader-election-lease-duration)"));
  CHECK(contains(story, "t=35.5s source-controller: acquires the leader lease → every source is listed and enqueued again"));
}
