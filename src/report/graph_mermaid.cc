// SPDX-License-Identifier: Apache-2.0
// `fluxsim graph -o mermaid`: a flowchart, one subgraph per wave, read top to bottom as the DOT output:
// every link points down the waves, in the order things happen. `-->` parent applies child; `-.->|Ready
// before|` from a dependency to the Kustomization whose dependsOn names it; purple `-.->|via d|` from what
// a dependency d's health check waits for to the dependent (DependencyGraph::wait_edges: why it is in its
// wave); cycle members and links in red.
#include <ostream>

#include <fmt/format.h>

#include "fluxsim/graph_report.h"

namespace fluxsim {
namespace {

/// A label inside ["..."]: Mermaid takes entity codes for quotes.
std::string label(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"') out += "#quot;";
    else out += c;
  }
  return out;
}

}  // namespace

void write_graph_mermaid(const World& world, const DependencyGraph& graph, std::ostream& os) {
  (void)world;
  std::string out = "flowchart TB\n";
  out += "  %% -->: parent applies child; -.->|Ready before|: a dependsOn, from the dependency to the dependent; purple "
         "-.->|via d|: d's health check waits for it; red: cycle\n";
  const auto phases = graph.phases();
  for (std::size_t w = 0; w < phases.size(); ++w) {
    out += fmt::format("  subgraph wave{} [\"wave {}\"]\n", w, w);
    for (NodeId n : phases[w]) out += fmt::format("    k{}[\"{}\"]\n", n, label(graph.name(n)));
    out += "  end\n";
  }
  std::size_t link = 0;
  std::vector<std::size_t> red;
  for (const GraphEdge& e : graph.edges()) {
    if (e.kind == EdgeKind::Parent) out += fmt::format("  k{} --> k{}\n", e.from, e.to);
    else out += fmt::format("  k{} -.->|Ready before| k{}\n", e.from, e.to);
    if (graph.edge_in_cycle(e)) red.push_back(link);
    ++link;
  }
  std::vector<std::size_t> purple;
  for (const GraphEdge& e : graph.wait_edges()) {
    out += fmt::format("  k{} -.->|via {}| k{}\n", e.from, label(graph.name(e.via)), e.to);
    purple.push_back(link++);
  }
  for (std::size_t i = 0; i < graph.dangling().size(); ++i) {
    const DanglingDependency& d = graph.dangling()[i];
    out += fmt::format("  missing{}[\"{} (not found)\"] -.->|never Ready before| k{}\n", i, label(d.ref.name), d.from);
    red.push_back(link++);
  }
  std::string members;
  for (NodeId n : graph.sorted_nodes())
    if (graph.in_cycle(n)) members += fmt::format("{}k{}", members.empty() ? "" : ",", n);
  for (std::size_t i = 0; i < graph.dangling().size(); ++i) members += fmt::format("{}missing{}", members.empty() ? "" : ",", i);
  if (!members.empty()) {
    out += "  classDef cycle fill:#fee5d9,stroke:#d7301f,stroke-width:2px\n";
    out += "  class " + members + " cycle\n";
  }
  if (!purple.empty()) {
    std::string list;
    for (std::size_t l : purple) list += fmt::format("{}{}", list.empty() ? "" : ",", l);
    out += "  linkStyle " + list + " stroke:#6a51a3,color:#6a51a3\n";
  }
  if (!red.empty()) {
    std::string list;
    for (std::size_t l : red) list += fmt::format("{}{}", list.empty() ? "" : ",", l);
    out += "  linkStyle " + list + " stroke:#d7301f,stroke-width:2px\n";
  }
  os << out;
}

}  // namespace fluxsim
