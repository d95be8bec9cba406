// SPDX-License-Identifier: Apache-2.0
// The only Boost.Graph file. The constructor builds a private adjacency_list<vecS, vecS,
// bidirectionalS> whose vertex i is the i-th Kustomization in sorted-name order (so every traversal is
// deterministic) and finds every cycle of written edges with strong_components. Waves come from a second
// graph of "moments" (applies(k), ready(k); see graph.h) whose links add what health checks imply; its
// condensation is a DAG by construction: boost::not_a_dag can only mean a bug and never reaches a caller.
#include "fluxsim/graph.h"

#include <algorithm>
#include <deque>
#include <map>
#include <numeric>
#include <tuple>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>
#include <boost/graph/topological_sort.hpp>

#include "flux/health.h"

namespace fluxsim {
namespace {

using BglGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;

}  // namespace

const char* to_string(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::Parent: return "parent";
    case EdgeKind::DependsOn: return "dependsOn";
    case EdgeKind::Wait: return "wait";
  }
  return "?";
}

DependencyGraph::DependencyGraph(const World& world) {
  const std::size_t n = world.kustomizations.size();
  names_ = display_names(world);
  sorted_.resize(n);
  std::iota(sorted_.begin(), sorted_.end(), NodeId{0});
  std::sort(sorted_.begin(), sorted_.end(), [&](NodeId a, NodeId b) {
    const ObjectRef &x = world.kustomizations[a].ref, &y = world.kustomizations[b].ref;
    return std::tie(x.name, x.ns, a) < std::tie(y.name, y.ns, b);
  });
  position_.resize(n);
  for (std::size_t i = 0; i < n; ++i) position_[sorted_[i]] = i;

  // Index by (namespace, name): the first Kustomization wins when the loader left a duplicate.
  std::map<std::pair<std::string, std::string>, NodeId> index;
  for (NodeId i = 0; i < n; ++i) index.emplace(std::make_pair(world.kustomizations[i].ref.ns, world.kustomizations[i].ref.name), i);

  for (NodeId i = 0; i < n; ++i) {
    const Kustomization& k = world.kustomizations[i];
    if (k.parent) {
      auto it = index.find({k.parent->ns, k.parent->name});
      if (it != index.end() && it->second != i) edges_.push_back({it->second, i, EdgeKind::Parent, k.origin, 0});
    }
    for (std::size_t e = 0; e < k.depends_on.size(); ++e) {
      const Reference& d = k.depends_on[e];
      auto it = index.find({d.ns, d.name});
      if (it == index.end()) {
        dangling_.push_back({i, e, d});
        continue;
      }
      edges_.push_back({it->second, i, EdgeKind::DependsOn, d.where, e});
    }
  }
  std::sort(edges_.begin(), edges_.end(), [&](const GraphEdge& a, const GraphEdge& b) {
    return std::make_tuple(position_[a.to], a.kind, a.entry, position_[a.from]) <
           std::make_tuple(position_[b.to], b.kind, b.entry, position_[b.from]);
  });
  std::sort(dangling_.begin(), dangling_.end(), [&](const DanglingDependency& a, const DanglingDependency& b) {
    return std::make_pair(position_[a.from], a.entry) < std::make_pair(position_[b.from], b.entry);
  });
  out_.assign(n, {});
  in_.assign(n, {});
  for (std::size_t e = 0; e < edges_.size(); ++e) {
    out_[edges_[e].from].push_back(e);
    in_[edges_[e].to].push_back(e);
  }
  // Visit successors in sorted order of their target, so walks are deterministic.
  for (auto& list : out_)
    std::stable_sort(list.begin(), list.end(), [&](std::size_t a, std::size_t b) { return position_[edges_[a].to] < position_[edges_[b].to]; });

  // The Kustomizations each health check waits for (src/flux/health.h).
  const flux::HealthCheckResolver health(world);
  health_checked_.assign(n, {});
  for (NodeId i = 0; i < n; ++i) {
    for (std::size_t c : health.kustomizations(i)) health_checked_[i].push_back(static_cast<NodeId>(c));
    std::sort(health_checked_[i].begin(), health_checked_[i].end(), [&](NodeId a, NodeId b) { return position_[a] < position_[b]; });
  }
  // The ordering links, backwards: applies(k) = k, ready(k) = n + k.
  moment_in_.assign(2 * n, {});
  for (const GraphEdge& e : edges_)
    moment_in_[e.to].push_back(e.kind == EdgeKind::Parent ? e.from : n + e.from);
  for (NodeId i = 0; i < n; ++i) {
    moment_in_[n + i].push_back(i);
    for (NodeId c : health_checked_[i]) moment_in_[n + i].push_back(n + c);
  }

  // The Boost graph, vertices in sorted-name order.
  BglGraph g(n);
  for (const GraphEdge& e : edges_) boost::add_edge(position_[e.from], position_[e.to], g);
  std::vector<int> component(n, 0);
  const int components = n == 0 ? 0
                                 : static_cast<int>(boost::strong_components(
                                       g, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, g))));

  // Members per component (vertices ascending = sorted-name order); a cycle is a component of two or
  // more, or one node that depends on itself.
  std::vector<std::vector<NodeId>> members(static_cast<std::size_t>(components));
  for (std::size_t v = 0; v < n; ++v) members[static_cast<std::size_t>(component[v])].push_back(sorted_[v]);
  std::vector<bool> self_loop(n, false);
  for (const GraphEdge& e : edges_)
    if (e.from == e.to) self_loop[e.from] = true;
  cycle_of_.assign(n, -1);
  std::vector<std::size_t> order(static_cast<std::size_t>(components));
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return position_[members[a].front()] < position_[members[b].front()]; });
  for (std::size_t c : order) {
    const std::vector<NodeId>& m = members[c];
    if (m.size() < 2 && !self_loop[m.front()]) continue;
    Cycle cycle;
    cycle.members = m;
    // Shortest ring through the first member: breadth first over edges inside the component.
    const NodeId start = m.front();
    std::vector<std::size_t> via(n, SIZE_MAX);  // edge that reached the node
    std::deque<NodeId> queue{start};
    std::size_t closing = SIZE_MAX;
    std::vector<bool> seen(n, false);
    seen[start] = true;
    while (!queue.empty() && closing == SIZE_MAX) {
      NodeId u = queue.front();
      queue.pop_front();
      for (std::size_t e : out_[u]) {
        NodeId v = edges_[e].to;
        if (component[position_[v]] != static_cast<int>(c)) continue;
        if (v == start) {
          closing = e;
          break;
        }
        if (seen[v]) continue;
        seen[v] = true;
        via[v] = e;
        queue.push_back(v);
      }
    }
    if (closing == SIZE_MAX) fatal_bug("a strongly connected component without a ring");
    for (std::size_t e = closing;;) {
      cycle.path.push_back(edges_[e]);
      NodeId from = edges_[e].from;
      if (from == start) break;
      e = via[from];
    }
    std::reverse(cycle.path.begin(), cycle.path.end());
    for (NodeId member : m) cycle_of_[member] = static_cast<int>(cycles_.size());
    cycles_.push_back(std::move(cycle));
  }

  // Waves: longest path over the condensation of the moments graph, counting the links into an
  // applies moment (a Kustomization that has to come first) and not those into a ready moment.
  waves_.assign(n, 0);
  wave_count_ = n == 0 ? 0 : 1;
  if (n == 0) return;
  auto vertex = [&](std::size_t moment) { return moment < n ? position_[moment] : n + position_[moment - n]; };
  BglGraph moments(2 * n);
  for (std::size_t m = 0; m < 2 * n; ++m)
    for (std::size_t from : moment_in_[m]) boost::add_edge(vertex(from), vertex(m), moments);
  std::vector<int> moment_component(2 * n, 0);
  const auto mcomponents = static_cast<std::size_t>(boost::strong_components(
      moments, boost::make_iterator_property_map(moment_component.begin(), boost::get(boost::vertex_index, moments))));
  BglGraph dag(mcomponents);
  std::vector<std::vector<std::pair<std::size_t, int>>> dag_out(mcomponents);  // (component, weight)
  for (std::size_t m = 0; m < 2 * n; ++m)
    for (std::size_t from : moment_in_[m]) {
      const auto a = static_cast<std::size_t>(moment_component[vertex(from)]), b = static_cast<std::size_t>(moment_component[vertex(m)]);
      if (a == b) continue;
      boost::add_edge(a, b, dag);
      dag_out[a].push_back({b, m < n ? 1 : 0});
    }
  std::vector<std::size_t> topo;
  try {
    boost::topological_sort(dag, std::back_inserter(topo));
  } catch (const boost::not_a_dag&) {
    fatal_bug("the condensation of the ordering graph has a cycle");
  }
  std::vector<int> component_wave(mcomponents, 0);
  for (auto it = topo.rbegin(); it != topo.rend(); ++it)  // topological_sort yields reverse order
    for (const auto& [d, weight] : dag_out[*it]) component_wave[d] = std::max(component_wave[d], component_wave[*it] + weight);
  for (NodeId k = 0; k < n; ++k) {
    waves_[k] = component_wave[static_cast<std::size_t>(moment_component[vertex(k)])];
    wave_count_ = std::max(wave_count_, waves_[k] + 1);
  }

  // Wait edges: for each dependsOn edge, the latest Kustomization its dependency's health check waits for
  // (transitively), when that pushes the dependent past the dependsOn edge alone.
  for (const GraphEdge& e : edges_) {
    if (e.kind != EdgeKind::DependsOn) continue;
    std::vector<bool> seen(n, false);
    std::vector<NodeId> queue = health_checked_[e.from];
    for (NodeId c : queue) seen[c] = true;
    std::optional<NodeId> latest;
    for (std::size_t i = 0; i < queue.size(); ++i) {
      const NodeId c = queue[i];
      if (c != e.to && c != e.from &&
          (!latest || waves_[c] > waves_[*latest] || (waves_[c] == waves_[*latest] && position_[c] < position_[*latest])))
        latest = c;
      for (NodeId d : health_checked_[c])
        if (!seen[d]) {
          seen[d] = true;
          queue.push_back(d);
        }
    }
    if (latest && waves_[*latest] > waves_[e.from]) wait_edges_.push_back({*latest, e.to, EdgeKind::Wait, e.where, e.entry, e.from});
  }
}

std::optional<NodeId> DependencyGraph::parent(NodeId n) const {
  for (std::size_t e : in_.at(n))
    if (edges_[e].kind == EdgeKind::Parent) return edges_[e].from;
  return std::nullopt;
}

std::vector<NodeId> DependencyGraph::children(NodeId n) const {
  std::vector<NodeId> out;
  for (std::size_t e : out_.at(n))
    if (edges_[e].kind == EdgeKind::Parent) out.push_back(edges_[e].to);
  return out;
}

std::vector<NodeId> DependencyGraph::dependencies(NodeId n) const {
  std::vector<std::pair<std::size_t, NodeId>> found;
  for (std::size_t e : in_.at(n))
    if (edges_[e].kind == EdgeKind::DependsOn) found.push_back({edges_[e].entry, edges_[e].from});
  std::sort(found.begin(), found.end());
  std::vector<NodeId> out;
  for (const auto& [entry, d] : found)
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  return out;
}

std::vector<NodeId> DependencyGraph::dependency_order() const {
  const std::size_t n = size();
  std::vector<int> state(n, 0);  // 0 unseen, 1 on the stack, 2 listed
  std::vector<NodeId> order;
  order.reserve(n);
  std::vector<std::pair<NodeId, std::vector<NodeId>>> stack;  // node, its dependencies not yet visited (reversed)
  auto push = [&](NodeId node) {
    std::vector<NodeId> deps = dependencies(node);
    std::reverse(deps.begin(), deps.end());
    state[node] = 1;
    stack.push_back({node, std::move(deps)});
  };
  for (NodeId root = 0; root < n; ++root) {
    if (state[root]) continue;
    push(root);
    while (!stack.empty()) {
      auto& [node, deps] = stack.back();
      if (!deps.empty()) {
        const NodeId d = deps.back();
        deps.pop_back();
        if (state[d] == 0) push(d);
        continue;
      }
      state[node] = 2;
      order.push_back(node);
      stack.pop_back();
    }
  }
  return order;
}

std::vector<NodeId> DependencyGraph::dependents(NodeId n) const {
  std::vector<NodeId> out;
  for (std::size_t e : out_.at(n))
    if (edges_[e].kind == EdgeKind::DependsOn && (out.empty() || out.back() != edges_[e].to)) out.push_back(edges_[e].to);
  return out;
}

namespace {

template <typename Next>
std::vector<NodeId> reach(std::size_t n, NodeId start, const std::vector<std::size_t>& position, Next next) {
  std::vector<bool> seen(n, false);
  std::vector<NodeId> stack{start}, out;
  while (!stack.empty()) {
    NodeId u = stack.back();
    stack.pop_back();
    next(u, [&](NodeId v) {
      if (seen[v]) return;
      seen[v] = true;
      out.push_back(v);
      stack.push_back(v);
    });
  }
  std::sort(out.begin(), out.end(), [&](NodeId a, NodeId b) { return position[a] < position[b]; });
  return out;
}

}  // namespace

std::vector<NodeId> DependencyGraph::predecessors(NodeId n) const {
  return reach(size(), n, position_, [&](NodeId u, auto&& visit) {
    for (std::size_t e : in_.at(u)) visit(edges_[e].from);
  });
}

std::vector<NodeId> DependencyGraph::successors(NodeId n) const {
  return reach(size(), n, position_, [&](NodeId u, auto&& visit) {
    for (std::size_t e : out_.at(u)) visit(edges_[e].to);
  });
}

bool DependencyGraph::reaches(NodeId a, NodeId b) const {
  const std::vector<NodeId> after = successors(a);
  return std::find(after.begin(), after.end(), b) != after.end();
}

std::vector<bool> DependencyGraph::reached_before(NodeId n) const {
  std::vector<bool> reached(2 * size(), false);
  std::vector<std::size_t> stack{n};
  while (!stack.empty()) {
    const std::size_t m = stack.back();
    stack.pop_back();
    for (std::size_t from : moment_in_.at(m))
      if (!reached[from]) {
        reached[from] = true;
        stack.push_back(from);
      }
  }
  return reached;
}

std::vector<NodeId> DependencyGraph::ordered_before(NodeId n) const {
  const std::vector<bool> reached = reached_before(n);
  std::vector<NodeId> out;
  for (NodeId k : sorted_)
    if (reached[k]) out.push_back(k);
  return out;
}

std::vector<NodeId> DependencyGraph::ready_before(NodeId n) const {
  const std::vector<bool> reached = reached_before(n);
  std::vector<NodeId> out;
  for (NodeId k : sorted_)
    if (reached[size() + k]) out.push_back(k);
  return out;
}

std::vector<std::vector<NodeId>> DependencyGraph::phases() const {
  std::vector<std::vector<NodeId>> out(static_cast<std::size_t>(wave_count_));
  for (NodeId v : sorted_) out[static_cast<std::size_t>(waves_[v])].push_back(v);
  return out;
}

std::vector<NodeId> DependencyGraph::topological_order() const {
  std::vector<NodeId> out;
  for (const auto& phase : phases()) out.insert(out.end(), phase.begin(), phase.end());
  return out;
}

std::string DependencyGraph::ring_text(const Cycle& cycle) const {
  if (cycle.path.empty()) return {};
  std::string out = names_.at(cycle.path.back().to);
  for (auto it = cycle.path.rbegin(); it != cycle.path.rend(); ++it) out += " → " + names_.at(it->from);
  return out;
}

std::vector<std::string> DependencyGraph::ring_links(const Cycle& cycle) const {
  std::vector<std::string> out;
  for (auto it = cycle.path.rbegin(); it != cycle.path.rend(); ++it) {
    const std::string where = to_string(it->where);
    std::string line = it->kind == EdgeKind::DependsOn ? names_.at(it->to) + " dependsOn " + names_.at(it->from)
                                                       : names_.at(it->to) + " is applied by " + names_.at(it->from);
    if (!where.empty()) line += " (" + where + ")";
    out.push_back(std::move(line));
  }
  return out;
}

bool DependencyGraph::edge_in_cycle(const GraphEdge& e) const {
  return cycle_of_.at(e.from) >= 0 && cycle_of_.at(e.from) == cycle_of_.at(e.to);
}

}  // namespace fluxsim
