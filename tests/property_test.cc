// SPDX-License-Identifier: Apache-2.0
// Invariants on random worlds: whatever the shape, Flux's rules hold in every run.
#include <algorithm>
#include <functional>
#include <map>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "fluxsim/engine.h"
#include "fluxsim/graph.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;

namespace {

struct RandomWorld {
  WorldBuilder builder;
  Scenario scenario;
};

// A hierarchy of n Kustomizations (each applied by the root or an earlier one), dependsOn edges to
// earlier ones (a DAG), optional waits, Deployments and ConfigMaps, random timings.
RandomWorld random_world(std::uint64_t seed, bool with_cycle = false) {
  Rng rng(seed);
  auto below = [&](std::uint64_t n) { return n == 0 ? 0 : rng.next() % n; };
  RandomWorld rw;
  const int n = 3 + static_cast<int>(below(30));
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) {
    std::string name = fmt::format("k{:02}", i);
    std::string parent = names.empty() || below(3) == 0 ? "flux-system" : names[below(names.size())];
    Kustomization& k = rw.builder.kustomization(name, parent);
    k.wait = below(2) == 0;
    k.interval = std::chrono::minutes(1 + below(10));
    if (below(4) == 0) k.retry_interval = std::chrono::seconds(30 + below(120));
    for (std::uint64_t d = below(3); d > 0 && !names.empty(); --d) rw.builder.depends_on(name, names[below(names.size())]);
    for (std::uint64_t o = below(4); o > 0; --o)
      rw.builder.object(name, "apps/v1", "Deployment", "default", fmt::format("{}-d{}", name, o));
    rw.builder.object(name, "v1", "ConfigMap", "default", name + "-cm");
    names.push_back(name);
  }
  if (with_cycle && n >= 3) {
    rw.builder.depends_on(names[0], names[n - 1]);
    rw.builder.depends_on(names[n - 1], names[0]);
  }
  rw.scenario.controllers.kustomize.concurrent = 1 + static_cast<int>(below(6));
  rw.scenario.seed = seed;
  rw.scenario.horizon = 2h;
  rw.scenario.timing.ready.push_back({Match{"", "Deployment", "", "", "", {}}, parse_distribution("uniform(5s, 2m)").value});
  rw.scenario.timing.build = parse_distribution("uniform(500ms, 3s)").value;
  return rw;
}

std::string fingerprint(const World& w, const RunResult& r) {
  std::string out;
  for (const TraceEvent& e : r.events)
    out += fmt::format("{} {} {} {} {} {} {}|", to_ms(e.at), static_cast<int>(e.type), e.subject, e.other, e.worker, e.value,
                       message(w, r, e));
  return out;
}

}  // namespace

TEST_CASE("on random worlds: never Ready before dependencies, workers bounded, runs reproducible") {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    CAPTURE(seed);
    RandomWorld rw = random_world(seed);
    const World& w = rw.builder.world();
    RunResult r = simulate(w, rw.scenario);

    // An apply attempt only starts when every dependency has been Ready.
    for (const PassRecord& p : r.passes) {
      if (p.attempt == 0) continue;
      const Kustomization& k = w.kustomizations[static_cast<std::size_t>(p.subject)];
      for (const Reference& d : k.depends_on) {
        const Kustomization* dep = w.find_kustomization(d.ns, d.name);
        REQUIRE(dep != nullptr);
        SimTime dep_ready = r.kustomizations[static_cast<std::size_t>(dep - w.kustomizations.data())].ready_at;
        CHECK(dep_ready <= p.started_at);
      }
    }
    // First Ready never precedes creation, and children are created during a pass of their parent.
    for (std::size_t i = 0; i < w.kustomizations.size(); ++i) {
      const KustomizationSummary& s = r.kustomizations[i];
      if (s.ready_at != kNever) CHECK(s.created_at <= s.ready_at);
      if (s.parent >= 0) CHECK(r.kustomizations[static_cast<std::size_t>(s.parent)].first_applied_at <= s.created_at);
    }
    // Busy workers never exceed --concurrent.
    std::map<SimTime, int> delta;
    for (const PassRecord& p : r.passes) {
      delta[p.started_at] += 1;
      delta[p.ended_at == kNever ? r.ended_at : p.ended_at] -= 1;
    }
    int busy = 0, peak = 0;
    for (const auto& [t, d] : delta) {
      busy += d;
      peak = std::max(peak, busy);
    }
    CHECK(peak <= rw.scenario.controllers.kustomize.concurrent);
    CHECK(r.workers[0].busy <= r.ended_at.time_since_epoch() * rw.scenario.controllers.kustomize.concurrent);
    // Same inputs, same result; stopping at all-Ready does not change when that happened.
    CHECK(fingerprint(w, simulate(w, rw.scenario)) == fingerprint(w, r));
    EngineOptions fast;
    fast.record = false;
    fast.stop_when_all_ready = true;
    RunResult quick = simulate(w, rw.scenario, fast);
    CHECK(quick.time_to_ready == r.time_to_ready);
    for (std::size_t i = 0; i < w.kustomizations.size(); ++i) CHECK(quick.kustomizations[i].ready_at == r.kustomizations[i].ready_at);
  }
}

TEST_CASE("on random worlds: what the graph orders before a Kustomization happened before it applied, in the run") {
  for (std::uint64_t seed = 200; seed < 240; ++seed) {
    CAPTURE(seed);
    RandomWorld rw = random_world(seed);
    const World& w = rw.builder.world();
    const DependencyGraph g(w);
    const RunResult r = simulate(w, rw.scenario);
    const std::size_t n = w.kustomizations.size();
    for (NodeId x = 0; x < n; ++x) {
      const SimTime applied = r.kustomizations[x].first_applied_at;
      if (applied == kNever) continue;
      CAPTURE(g.name(x));
      for (NodeId k : g.ready_before(x)) {
        CAPTURE(g.name(k));
        CHECK(r.kustomizations[k].ready_at <= applied);
      }
      for (NodeId k : g.ordered_before(x)) {
        CAPTURE(g.name(k));
        CHECK(r.kustomizations[k].first_applied_at <= applied);
      }
    }
    // Waves are the longest chain of "applies before" (parent, dependsOn, and everything a dependency's
    // health check waits for), computed here by brute-force relaxation.
    std::function<void(NodeId, std::vector<bool>&)> waited = [&](NodeId k, std::vector<bool>& out) {
      for (NodeId c : g.health_checked(k))
        if (!out[c]) {
          out[c] = true;
          waited(c, out);
        }
    };
    std::vector<int> wave(n, 0);
    bool changed = true;
    int rounds = 0;
    for (; changed && rounds <= static_cast<int>(2 * n + 2); ++rounds) {
      changed = false;
      for (NodeId x = 0; x < n; ++x) {
        int best = 0;
        if (auto p = g.parent(x)) best = std::max(best, wave[*p] + 1);
        for (NodeId d : g.dependencies(x)) {
          best = std::max(best, wave[d] + 1);
          std::vector<bool> covered(n, false);
          waited(d, covered);
          for (NodeId c = 0; c < n; ++c)
            if (covered[c]) best = std::max(best, wave[c] + 1);
        }
        if (best > wave[x]) {
          wave[x] = best;
          changed = true;
        }
      }
    }
    if (changed) continue;  // a cycle or a health-check deadlock: no longest chain
    for (NodeId x = 0; x < n; ++x) CHECK(g.wave(x) == wave[x]);
  }
}

TEST_CASE("a dependsOn cycle neither hangs nor becomes Ready, and says why") {
  for (std::uint64_t seed = 100; seed < 110; ++seed) {
    CAPTURE(seed);
    RandomWorld rw = random_world(seed, /*with_cycle=*/true);
    const World& w = rw.builder.world();
    RunResult r = simulate(w, rw.scenario);
    const std::size_t first = 1, last = w.kustomizations.size() - 1;
    for (std::size_t i : {first, last}) {
      CHECK(r.kustomizations[i].ready_at == kNever);
      if (r.kustomizations[i].created_at != kNever) CHECK(r.kustomizations[i].reason == Reason::DependencyNotReady);
    }
    CHECK_FALSE(r.all_ready);
  }
}
