// SPDX-License-Identifier: Apache-2.0
// The static ordering graph of a World: one node per Kustomization and one edge per "must happen
// before" — a parent applies its child (Parent), a dependency must be Ready before its dependent
// applies (DependsOn) — plus what health checks add to that: a Kustomization with wait: true (or
// healthChecks) is Ready only once what it waits for is. Waves, cycles and ordering queries ("is A Ready
// before B applies?"); Boost.Graph stays inside src/graph.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fluxsim/diagnostics.h"
#include "fluxsim/model.h"

namespace fluxsim {

/// A node of the graph: the index of a Kustomization in World::kustomizations.
using NodeId = std::size_t;

enum class EdgeKind : std::uint8_t {
  Parent,     ///< the parent's build applies the child: the child exists only once the parent applied
  DependsOn,  ///< the dependent lists the dependency in spec.dependsOn: it applies only once that is Ready
  /// Implied, not written anywhere: the dependent lists `via` in dependsOn, and `via` is Ready only once
  /// `from` is (its health check waits for `from`, directly or through Kustomizations it waits for).
  /// Only in DependencyGraph::wait_edges(), never in edges().
  Wait,
};

const char* to_string(EdgeKind kind);

/// One edge, always oriented "from happens before to".
struct GraphEdge {
  NodeId from = 0;        ///< Parent: the parent; DependsOn: the dependency
  NodeId to = 0;          ///< Parent: the child; DependsOn: the dependent (whose spec lists `from`)
  EdgeKind kind = EdgeKind::Parent;
  SourceLocation where;   ///< DependsOn: the dependsOn entry (Reference::where); Parent: the child's manifest
  std::size_t entry = 0;  ///< DependsOn, Wait: index of the entry in the dependent's spec.dependsOn; 0 for Parent
  NodeId via = 0;         ///< Wait: the dependency whose health check waits for `from`; 0 otherwise

  friend bool operator==(const GraphEdge&, const GraphEdge&) = default;
};

/// A dependsOn entry that names no Kustomization of the World.
struct DanglingDependency {
  NodeId from = 0;        ///< the Kustomization whose spec lists it
  std::size_t entry = 0;  ///< index in its spec.dependsOn
  Reference ref;          ///< as written (namespace defaulted)
};

/// A set of Kustomizations that wait on each other in a ring (a strongly connected component), none of
/// which can ever become Ready, with one concrete ring through it.
///   a dependsOn b, b dependsOn a  ->  members {a, b}, path [b->a (a's entry), a->b (b's entry)]
struct Cycle {
  std::vector<NodeId> members;  ///< in the graph's sorted-name order
  /// A closed walk inside the component starting at its first member, edges in graph orientation:
  /// path[i].to == path[i+1].from and path.back().to == path.front().from. A self-dependency is one edge.
  std::vector<GraphEdge> path;
};

/// The graph, computed once from a World. Plain data: it keeps no reference to the World.
///
/// Ordering (flux-semantics.md §2, §4.3, §6.1, §7). Each Kustomization k has two moments: applies(k), its
/// first apply starts, and ready(k), it first becomes Ready. What Flux guarantees between them:
///   applies(k) -> ready(k)                  a Kustomization is Ready only after it applied;
///   applies(p) -> applies(c)                a parent's build creates the child (Parent edge), after the
///                                           parent's CRD/Namespace stage is applied and Established;
///   ready(d)   -> applies(x)                x dependsOn d (DependsOn edge);
///   ready(c)   -> ready(w)                  w's health check waits for c: w has wait: true and applies c
///                                           (skipped objects excepted), or w's healthChecks name c.
/// `a -> ... -> b` over these links means a happens before b. Every check that asks "has A applied its
/// CRDs/Namespaces before B applies?" (ordered_before) or "is A Ready before B applies?" (ready_before),
/// and the waves, read this one relation.
class DependencyGraph {
 public:
  explicit DependencyGraph(const World& world);

  std::size_t size() const { return names_.size(); }
  /// Every node in deterministic order: by name, then namespace.
  const std::vector<NodeId>& sorted_nodes() const { return sorted_; }
  /// Every edge, sorted by (dependent's position, Parent before DependsOn, entry).
  const std::vector<GraphEdge>& edges() const { return edges_; }

  /// The Kustomization whose build applies `n`; nullopt for the root (or a parent not in the World).
  std::optional<NodeId> parent(NodeId n) const;
  /// The Kustomizations `n` applies, in sorted-name order.
  std::vector<NodeId> children(NodeId n) const;
  /// The Kustomizations `n` lists in dependsOn that exist, in spec order (duplicates removed).
  std::vector<NodeId> dependencies(NodeId n) const;
  /// The Kustomizations whose dependsOn lists `n`, in sorted-name order.
  std::vector<NodeId> dependents(NodeId n) const;
  /// Everything before `n` over the written edges (transitively, Parent and DependsOn), sorted-name
  /// order; never contains `n` unless `n` is in a cycle. What health checks add is in ordered_before().
  std::vector<NodeId> predecessors(NodeId n) const;
  /// Everything that can happen only after `n` (transitively, both edge kinds), sorted-name order.
  std::vector<NodeId> successors(NodeId n) const;
  /// Whether a path of edges leads from `a` to `b` (a == b only through a cycle).
  bool reaches(NodeId a, NodeId b) const;

  /// The Kustomizations whose Ready `n`'s health check waits for (wait: true: the Kustomizations it
  /// applies; otherwise those spec.healthChecks names), sorted-name order; never `n` itself.
  const std::vector<NodeId>& health_checked(NodeId n) const { return health_checked_.at(n); }
  /// Every Kustomization k with applies(k) -> ... -> applies(n): k has applied its cluster definitions
  /// (CRDs Established, Namespaces created) before `n` first applies. Sorted-name order; `n` itself only
  /// through a cycle or deadlock (callers treat "same Kustomization" by the stage rule).
  std::vector<NodeId> ordered_before(NodeId n) const;
  /// Every Kustomization k with ready(k) -> ... -> applies(n): k has been Ready before `n` first applies.
  /// A subset of ordered_before(n), sorted-name order.
  std::vector<NodeId> ready_before(NodeId n) const;

  /// Topological wave over the ordering above: 0 for the root (and any node with nothing before it),
  /// else 1 + the largest wave among the Kustomizations that must apply, or be Ready, before it. So a
  /// dependent of a wait: true Kustomization comes after everything that one waits for. Members of a
  /// cycle (or of a health-check deadlock) share one wave.
  int wave(NodeId n) const { return waves_.at(n); }
  const std::vector<int>& waves() const { return waves_; }
  int wave_count() const { return wave_count_; }
  /// Nodes per wave, each in sorted-name order.
  std::vector<std::vector<NodeId>> phases() const;
  /// All nodes by wave, then sorted-name order: a valid order when there is no cycle.
  std::vector<NodeId> topological_order() const;
  /// Every node after the Kustomizations it dependsOn: a depth-first walk from each node in World order,
  /// dependencies in spec order, each node listed once it has no unlisted dependency left (or closes a
  /// cycle). The order source fan-out enqueues Kustomizations in (flux-semantics.md §3).
  std::vector<NodeId> dependency_order() const;

  /// One Wait edge per dependsOn edge whose dependency's health check makes the dependent later than the
  /// dependsOn edge alone would: from the waited-for Kustomization with the largest wave (first by name)
  /// to the dependent, `via` the dependency, `where`/`entry` of the dependsOn entry. Sorted like edges().
  /// It explains the wave; pictures draw it apart from the written edges.
  const std::vector<GraphEdge>& wait_edges() const { return wait_edges_; }

  /// Every cycle of written edges (one per strongly connected component), in the order of their first
  /// members. Deadlocks through a health check (a child that dependsOn its wait: true parent) are not
  /// cycles here; `fluxsim check` reports them as health-check-deadlock.
  const std::vector<Cycle>& cycles() const { return cycles_; }
  bool in_cycle(NodeId n) const { return cycle_of_.at(n) >= 0; }
  /// Whether the edge joins two members of the same cycle (it is part of some ring).
  bool edge_in_cycle(const GraphEdge& e) const;

  /// dependsOn entries naming no Kustomization, in the order of the Kustomizations that list them.
  const std::vector<DanglingDependency>& dangling() const { return dangling_; }

  /// The ring read in waiting direction, "a → c → b → a": each arrow means "waits for" (lists it in
  /// dependsOn, or is applied by it).
  std::string ring_text(const Cycle& cycle) const;
  /// One line per link of the ring, in the same order: "a dependsOn c (apps/a.yaml:10)" or
  /// "child is applied by parent (clusters/child.yaml:3)"; the location is left out when unknown.
  std::vector<std::string> ring_links(const Cycle& cycle) const;

  /// "name" or "namespace/name" (when the World spans several namespaces or names repeat).
  const std::string& name(NodeId n) const { return names_.at(n); }

 private:
  std::vector<std::string> names_;
  std::vector<NodeId> sorted_;
  std::vector<std::size_t> position_;  // node -> index in sorted_
  std::vector<GraphEdge> edges_;
  std::vector<GraphEdge> wait_edges_;
  std::vector<std::vector<std::size_t>> out_, in_;  // node -> edge indexes
  std::vector<std::vector<NodeId>> health_checked_;
  /// Ordering links backwards: for the moment m (applies(k) = k, ready(k) = size() + k), the moments
  /// with a link into m.
  std::vector<std::vector<std::size_t>> moment_in_;
  std::vector<bool> reached_before(NodeId n) const;
  std::vector<int> waves_;
  int wave_count_ = 0;
  std::vector<Cycle> cycles_;
  std::vector<int> cycle_of_;  // node -> index in cycles_, -1 when not in a cycle
  std::vector<DanglingDependency> dangling_;
};

}  // namespace fluxsim
