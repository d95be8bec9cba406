// SPDX-License-Identifier: Apache-2.0
// `fluxsim graph -o text`: the waves, who applies whom, who waits for whom, and what can never work. A
// dependsOn entry whose dependency's health check pushes the dependent to a later wave says so: "dependsOn
// infrastructure (...), whose health check waits for db-migrations".
#include <ostream>

#include <fmt/format.h>

#include "fluxsim/graph_report.h"

namespace fluxsim {

std::optional<GraphFormat> parse_graph_format(std::string_view name) {
  if (name == "dot") return GraphFormat::Dot;
  if (name == "mermaid") return GraphFormat::Mermaid;
  if (name == "text") return GraphFormat::Text;
  return std::nullopt;
}

void write_graph_text(const World& world, const DependencyGraph& graph, std::ostream& os) {
  (void)world;  // the graph holds all it shows; World is in the signature for symmetry with the others
  std::string out = fmt::format("{} Kustomization{} in {} wave{}, {} cycle{}\n", graph.size(), graph.size() == 1 ? "" : "s",
                                graph.wave_count(), graph.wave_count() == 1 ? "" : "s", graph.cycles().size(),
                                graph.cycles().size() == 1 ? "" : "s");
  std::size_t width = 0;
  for (NodeId n : graph.sorted_nodes()) width = std::max(width, graph.name(n).size());
  const auto phases = graph.phases();
  for (std::size_t w = 0; w < phases.size(); ++w) {
    out += fmt::format("wave {}\n", w);
    for (NodeId n : phases[w]) {
      std::string about;
      if (auto p = graph.parent(n)) about = "applied by " + graph.name(*p);
      for (const GraphEdge& e : graph.edges()) {
        if (e.to != n || e.kind != EdgeKind::DependsOn) continue;
        about += fmt::format("{}dependsOn {}", about.empty() ? "" : "; ", graph.name(e.from));
        const std::string where = to_string(e.where);
        if (!where.empty()) about += " (" + where + ")";
        for (const GraphEdge& wait : graph.wait_edges())
          if (wait.to == n && wait.entry == e.entry) about += fmt::format(", whose health check waits for {}", graph.name(wait.from));
      }
      for (const DanglingDependency& d : graph.dangling())
        if (d.from == n) about += fmt::format("{}dependsOn {}/{} (not found)", about.empty() ? "" : "; ", d.ref.ns, d.ref.name);
      if (graph.in_cycle(n)) about += about.empty() ? "in a cycle" : "; in a cycle";
      std::string line = fmt::format("  {:<{}}  {}", graph.name(n), width, about);
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
  }
  if (!graph.cycles().empty()) {
    out += "cycles (nothing in a cycle can ever become Ready):\n";
    for (const Cycle& c : graph.cycles()) {
      out += "  " + graph.ring_text(c) + "\n";
      for (const std::string& link : graph.ring_links(c)) out += "    " + link + "\n";
    }
  }
  if (!graph.dangling().empty()) {
    out += "dependsOn naming no Kustomization in this repository:\n";
    for (const DanglingDependency& d : graph.dangling()) {
      const std::string where = to_string(d.ref.where);
      out += fmt::format("  {} dependsOn {}/{}{}\n", graph.name(d.from), d.ref.ns, d.ref.name, where.empty() ? "" : " (" + where + ")");
    }
  }
  os << out;
}

}  // namespace fluxsim
