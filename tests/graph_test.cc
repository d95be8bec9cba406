// SPDX-License-Identifier: Apache-2.0
// The static graph: waves over hierarchy and dependsOn, every cycle as a named ring with the location
// of each dependsOn entry, dangling references, and the dependency queries.
#include "fluxsim/graph.h"

#include <algorithm>

#include <doctest/doctest.h>

#include "world_builder.h"

using namespace fluxsim;
using fluxsim::test::WorldBuilder;

namespace {

NodeId id(const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.kustomizations.size(); ++i)
    if (w.kustomizations[i].ref.name == name) return i;
  FAIL("no Kustomization ", name);
  return 0;
}

void depends_at(WorldBuilder& b, const std::string& ks, const std::string& dep, const std::string& file, int line) {
  b.depends_on(ks, dep);
  b.get(ks).depends_on.back().where = {file, line, 7};
}

std::string names(const DependencyGraph& g, const std::vector<NodeId>& nodes) {
  std::string out;
  for (NodeId n : nodes) out += (out.empty() ? "" : " ") + g.name(n);
  return out;
}

// The ring as "a -> b -> a" in graph orientation (from happens before to).
std::string ring(const DependencyGraph& g, const Cycle& c) {
  std::string out = g.name(c.path.front().from);
  for (const GraphEdge& e : c.path) out += " -> " + g.name(e.to);
  return out;
}

}  // namespace

TEST_CASE("waves count the longest chain of parents and dependencies before a Kustomization") {
  WorldBuilder b;
  b.kustomization("infra");
  b.kustomization("tekton-base", "infra");
  b.kustomization("tekton-tasks", "infra");
  b.depends_on("tekton-tasks", "tekton-base");
  b.kustomization("apps");
  b.depends_on("apps", "tekton-tasks");
  const World& w = b.world();
  DependencyGraph g(w);
  CHECK(g.wave(id(w, "flux-system")) == 0);
  CHECK(g.wave(id(w, "infra")) == 1);
  CHECK(g.wave(id(w, "tekton-base")) == 2);
  CHECK(g.wave(id(w, "tekton-tasks")) == 3);
  CHECK(g.wave(id(w, "apps")) == 4);  // root -> infra -> tekton-base -> tekton-tasks -> apps
  CHECK(g.wave_count() == 5);
  CHECK(g.cycles().empty());
  CHECK(names(g, g.topological_order()) == "flux-system infra tekton-base tekton-tasks apps");
  CHECK(names(g, g.phases()[1]) == "infra");
}

namespace {

/// infra (wait: true) applies a, b and d; b dependsOn a; b (wait: true) applies c; d applies e (d has no
/// wait); apps dependsOn infra and applies x; lone has no dependsOn.
WorldBuilder waiting_world() {
  WorldBuilder b;
  b.kustomization("infra").wait = true;
  b.kustomization("a", "infra");
  b.kustomization("b", "infra").wait = true;
  depends_at(b, "b", "a", "infra/b.yaml", 8);
  b.kustomization("c", "b");
  b.kustomization("d", "infra");
  b.kustomization("e", "d");
  b.kustomization("apps");
  depends_at(b, "apps", "infra", "clusters/apps.yaml", 11);
  b.kustomization("x", "apps");
  b.kustomization("lone");
  return b;
}

}  // namespace

TEST_CASE("a dependent of a wait: true Kustomization comes after everything that one waits for") {
  WorldBuilder b = waiting_world();
  const World& w = b.world();
  DependencyGraph g(w);
  CHECK(names(g, g.health_checked(id(w, "infra"))) == "a b d");
  CHECK(names(g, g.health_checked(id(w, "b"))) == "c");
  CHECK(g.health_checked(id(w, "d")).empty());
  // infra is Ready only once c is (through b's wait), so apps applies after c: wave 5, not 2.
  CHECK(g.wave(id(w, "infra")) == 1);
  CHECK(g.wave(id(w, "b")) == 3);
  CHECK(g.wave(id(w, "c")) == 4);
  CHECK(g.wave(id(w, "e")) == 3);  // d does not wait for e: infra's wait does not cover it
  CHECK(g.wave(id(w, "apps")) == 5);
  CHECK(g.wave(id(w, "x")) == 6);
  CHECK(g.wave(id(w, "lone")) == 1);
  // One wait edge explains apps' wave: from c, via infra, at apps' dependsOn entry.
  REQUIRE(g.wait_edges().size() == 1);
  const GraphEdge& e = g.wait_edges()[0];
  CHECK(e.kind == EdgeKind::Wait);
  CHECK(g.name(e.from) == "c");
  CHECK(g.name(e.to) == "apps");
  CHECK(g.name(e.via) == "infra");
  CHECK(e.where == SourceLocation{"clusters/apps.yaml", 11, 7});
  // Written edges stay as written: apps has one dependsOn edge, from infra; no cycle.
  for (const GraphEdge& edge : g.edges()) CHECK(edge.kind != EdgeKind::Wait);
  CHECK(g.cycles().empty());

  SUBCASE("without wait on the dependency, only the dependsOn edge orders the dependent") {
    WorldBuilder c = waiting_world();
    c.get("infra").wait = false;
    DependencyGraph h(c.world());
    CHECK(h.wave(id(c.world(), "apps")) == 2);
    CHECK(h.wait_edges().empty());
  }
  SUBCASE("healthChecks without wait: only the named Kustomizations, and what they wait for") {
    WorldBuilder c = waiting_world();
    c.get("infra").wait = false;
    c.get("infra").health_checks.push_back(c.get("b").ref);
    DependencyGraph h(c.world());
    CHECK(names(h, h.health_checked(id(c.world(), "infra"))) == "b");
    CHECK(h.wave(id(c.world(), "apps")) == 5);  // after c, which b waits for
  }
  SUBCASE("a skipped child object is not waited for") {
    WorldBuilder c = waiting_world();
    for (Resource& r : c.get("b").objects)
      if (r.ref.name == "c") r.skipped = true;
    DependencyGraph h(c.world());
    CHECK(h.health_checked(id(c.world(), "b")).empty());
    CHECK(h.wave(id(c.world(), "apps")) == 4);  // after b (wave 3)
  }
}

TEST_CASE("ordered_before and ready_before: what has applied, and what has been Ready, before a Kustomization applies") {
  WorldBuilder b = waiting_world();
  const World& w = b.world();
  DependencyGraph g(w);
  // apps dependsOn infra, which waits for a, b, d and (through b) c; e is only created by d.
  CHECK(names(g, g.ready_before(id(w, "apps"))) == "a b c d infra");
  CHECK(names(g, g.ordered_before(id(w, "apps"))) == "a b c d flux-system infra");
  // x is created by apps: apps has applied, but is not Ready yet.
  CHECK(names(g, g.ready_before(id(w, "x"))) == "a b c d infra");
  CHECK(names(g, g.ordered_before(id(w, "x"))) == "a apps b c d flux-system infra");
  // c is created by b, which dependsOn a: a is Ready, b and infra have only applied.
  CHECK(names(g, g.ready_before(id(w, "c"))) == "a");
  CHECK(names(g, g.ordered_before(id(w, "c"))) == "a b flux-system infra");
  CHECK(names(g, g.ordered_before(id(w, "lone"))) == "flux-system");
  CHECK(g.ready_before(id(w, "lone")).empty());
  CHECK(g.ordered_before(0).empty());

  SUBCASE("a child that dependsOn its wait: true parent is a deadlock: it comes after itself") {
    WorldBuilder c = waiting_world();
    depends_at(c, "c", "b", "infra/c.yaml", 9);
    DependencyGraph h(c.world());
    const auto before = h.ready_before(id(c.world(), "c"));
    CHECK(std::find(before.begin(), before.end(), id(c.world(), "c")) != before.end());
    CHECK(h.cycles().empty());  // not a cycle of written edges: check reports it as a deadlock
  }
}

TEST_CASE("nodes are ordered by name whatever the discovery order") {
  WorldBuilder b;
  for (const char* n : {"zeta", "alpha", "mid"}) b.kustomization(n);
  DependencyGraph g(b.world());
  CHECK(names(g, g.sorted_nodes()) == "alpha flux-system mid zeta");
  CHECK(names(g, g.phases()[1]) == "alpha mid zeta");
  CHECK(names(g, g.children(0)) == "alpha mid zeta");
}

TEST_CASE("dependencies, dependents, predecessors and successors") {
  WorldBuilder b;
  b.kustomization("a");
  b.kustomization("b");
  b.kustomization("c", "b");
  b.depends_on("c", "a");
  b.depends_on("b", "a");
  b.depends_on("b", "a");  // written twice: one dependency
  const World& w = b.world();
  DependencyGraph g(w);
  CHECK(names(g, g.dependencies(id(w, "b"))) == "a");
  CHECK(names(g, g.dependents(id(w, "a"))) == "b c");
  CHECK(names(g, g.predecessors(id(w, "c"))) == "a b flux-system");
  CHECK(names(g, g.successors(id(w, "a"))) == "b c");
  CHECK(g.parent(id(w, "c")) == id(w, "b"));
  CHECK_FALSE(g.parent(0).has_value());
  CHECK(g.reaches(id(w, "a"), id(w, "c")));
  CHECK_FALSE(g.reaches(id(w, "c"), id(w, "a")));
  CHECK_FALSE(g.reaches(id(w, "a"), id(w, "a")));
}

TEST_CASE("every dependsOn cycle is found and named, with the file and line of each entry") {
  WorldBuilder b;
  for (const char* n : {"a", "b", "c", "x", "y", "ok"}) b.kustomization(n);
  depends_at(b, "a", "c", "apps/a.yaml", 10);
  depends_at(b, "b", "a", "apps/b.yaml", 11);
  depends_at(b, "c", "b", "apps/c.yaml", 12);
  depends_at(b, "x", "y", "apps/x.yaml", 20);
  depends_at(b, "y", "x", "apps/y.yaml", 21);
  depends_at(b, "ok", "x", "apps/ok.yaml", 30);
  const World& w = b.world();
  DependencyGraph g(w);  // must not throw boost::not_a_dag
  REQUIRE(g.cycles().size() == 2);
  const Cycle& abc = g.cycles()[0];
  CHECK(names(g, abc.members) == "a b c");
  // a before b (b dependsOn a), b before c, c before a.
  CHECK(ring(g, abc) == "a -> b -> c -> a");
  REQUIRE(abc.path.size() == 3);
  CHECK(abc.path[0].where == SourceLocation{"apps/b.yaml", 11, 7});
  CHECK(abc.path[1].where == SourceLocation{"apps/c.yaml", 12, 7});
  CHECK(abc.path[2].where == SourceLocation{"apps/a.yaml", 10, 7});
  CHECK(g.ring_text(abc) == "a → c → b → a");
  CHECK(g.ring_links(abc) ==
        std::vector<std::string>{"a dependsOn c (apps/a.yaml:10:7)", "c dependsOn b (apps/c.yaml:12:7)", "b dependsOn a (apps/b.yaml:11:7)"});
  CHECK(ring(g, g.cycles()[1]) == "x -> y -> x");
  CHECK(g.in_cycle(id(w, "a")));
  CHECK_FALSE(g.in_cycle(id(w, "ok")));
  // Members of a ring share a wave; what depends on a ring comes after it.
  CHECK(g.wave(id(w, "a")) == g.wave(id(w, "c")));
  CHECK(g.wave(id(w, "ok")) == g.wave(id(w, "x")) + 1);
  for (const GraphEdge& e : g.edges())
    CHECK(g.edge_in_cycle(e) == (e.kind == EdgeKind::DependsOn && e.to != id(w, "ok")));
}

TEST_CASE("a ring through a parent: a Kustomization that depends on its own child") {
  WorldBuilder b;
  b.kustomization("parent");
  b.kustomization("child", "parent");
  depends_at(b, "parent", "child", "clusters/parent.yaml", 9);
  DependencyGraph g(b.world());
  REQUIRE(g.cycles().size() == 1);
  const Cycle& c = g.cycles()[0];
  CHECK(ring(g, c) == "child -> parent -> child");
  CHECK(c.path[0].kind == EdgeKind::DependsOn);
  CHECK(c.path[1].kind == EdgeKind::Parent);
  CHECK(g.ring_text(c) == "child → parent → child");
  CHECK(g.ring_links(c)[0] == "child is applied by parent");
  CHECK(g.ring_links(c)[1] == "parent dependsOn child (clusters/parent.yaml:9:7)");
}

TEST_CASE("a Kustomization that depends on itself is a cycle of one") {
  WorldBuilder b;
  b.kustomization("narcissus");
  depends_at(b, "narcissus", "narcissus", "n.yaml", 3);
  DependencyGraph g(b.world());
  REQUIRE(g.cycles().size() == 1);
  CHECK(g.cycles()[0].path.size() == 1);
  CHECK(ring(g, g.cycles()[0]) == "narcissus -> narcissus");
}

TEST_CASE("dependsOn entries naming no Kustomization are listed, not turned into edges") {
  WorldBuilder b;
  b.kustomization("app");
  depends_at(b, "app", "ghost", "app.yaml", 4);
  b.get("app").depends_on.push_back({"Kustomization", "other-ns", "flux-system", {"app.yaml", 5, 7}, false});
  DependencyGraph g(b.world());
  REQUIRE(g.dangling().size() == 2);
  CHECK(g.dangling()[0].ref.name == "ghost");
  CHECK(g.dangling()[1].entry == 1);
  CHECK(g.dangling()[1].ref.ns == "other-ns");
  CHECK(g.dependencies(1).empty());
  CHECK(g.wave(1) == 1);
}

TEST_CASE("an empty world is an empty graph") {
  World w;
  DependencyGraph g(w);
  CHECK(g.size() == 0);
  CHECK(g.wave_count() == 0);
  CHECK(g.cycles().empty());
}

TEST_CASE("random worlds with rings: waves respect every edge outside a ring") {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Rng rng(seed);
    WorldBuilder b;
    std::vector<std::string> all{"flux-system"};
    const int n = 2 + static_cast<int>(rng.next() % 25);
    for (int i = 0; i < n; ++i) {
      std::string name = std::string("k") + std::to_string(i);
      b.kustomization(name, all[rng.next() % all.size()]);
      all.push_back(name);
    }
    for (int i = 0; i < n; ++i)
      if (rng.next() % 2) b.depends_on(all[1 + rng.next() % static_cast<std::uint64_t>(n)], all[1 + rng.next() % static_cast<std::uint64_t>(n)]);
    DependencyGraph g(b.world());
    for (const GraphEdge& e : g.edges()) {
      if (g.edge_in_cycle(e)) CHECK(g.wave(e.from) == g.wave(e.to));
      else CHECK(g.wave(e.from) < g.wave(e.to));
    }
    for (const Cycle& c : g.cycles()) {
      REQUIRE_FALSE(c.path.empty());
      CHECK(c.path.front().from == c.path.back().to);
      for (std::size_t i = 0; i + 1 < c.path.size(); ++i) CHECK(c.path[i].to == c.path[i + 1].from);
      for (NodeId m : c.members) CHECK(g.reaches(m, m));
    }
  }
}
