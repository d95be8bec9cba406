// SPDX-License-Identifier: Apache-2.0
// `fluxsim graph -o dot`: Graphviz, top to bottom, one rank per wave (anchored by a column of "wave N"
// labels linked by invisible edges). Solid grey edges: the parent applies the child. Dashed blue edges:
// dependsOn, drawn dependency -> dependent so ranks follow the order of events, with the arrowhead at the
// dependency (dir=back) so the arrow reads "dependent depends on". Dotted purple edges: implied by a
// health check (DependencyGraph::wait_edges) — the dependent's dependency waits for (wait: true or
// healthChecks) the Kustomization at the arrowhead, which is what puts the dependent in its wave. Cycles
// in red, listed in comments.
#include <ostream>

#include <fmt/format.h>

#include "fluxsim/graph_report.h"

namespace fluxsim {
namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

void write_graph_dot(const World& world, const DependencyGraph& graph, std::ostream& os) {
  std::string out;
  out += fmt::format("// fluxsim graph: {} Kustomizations in {} waves, {} cycles\n", graph.size(), graph.wave_count(),
                     graph.cycles().size());
  out += "// solid: parent applies child; dashed: dependsOn (arrow points at the dependency); dotted: the dependency's "
         "health check waits for the Kustomization the arrow points at; red: cycle\n";
  for (const Cycle& c : graph.cycles()) {
    out += "// cycle: " + graph.ring_text(c) + "\n";
    for (const std::string& link : graph.ring_links(c)) out += "//   " + link + "\n";
  }
  out += "digraph fluxsim {\n";
  out += "  graph [rankdir=TB, fontname=\"Helvetica\", nodesep=0.3, ranksep=0.5];\n";
  out += "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f7fbff\", color=\"#4a4a4a\", fontname=\"Helvetica\", fontsize=11];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9];\n";
  const auto phases = graph.phases();
  // The wave column.
  for (std::size_t w = 0; w < phases.size(); ++w)
    out += fmt::format("  wave{} [shape=plaintext, style=\"\", fontcolor=\"#777777\", label=\"wave {}\"];\n", w, w);
  for (std::size_t w = 0; w + 1 < phases.size(); ++w) out += fmt::format("  wave{} -> wave{} [style=invis];\n", w, w + 1);
  for (std::size_t w = 0; w < phases.size(); ++w) {
    out += fmt::format("  {{ rank=same; wave{};", w);
    for (NodeId n : phases[w]) out += fmt::format(" k{};", n);
    out += " }\n";
  }
  for (NodeId n : graph.sorted_nodes()) {
    const Kustomization& k = world.kustomizations[n];
    std::string tooltip = k.ref.ns + "/" + k.ref.name;
    if (!k.path.empty()) tooltip += " — path " + k.path;
    const std::string origin = to_string(k.origin);
    if (!origin.empty()) tooltip += " — " + origin;
    out += fmt::format("  k{} [label={}, tooltip={}{}];\n", n, quoted(graph.name(n)), quoted(tooltip),
                       graph.in_cycle(n) ? ", color=\"#d7301f\", penwidth=2, fillcolor=\"#fee5d9\"" : "");
  }
  for (const GraphEdge& e : graph.edges()) {
    const bool ring = graph.edge_in_cycle(e);
    const std::string where = to_string(e.where);
    if (e.kind == EdgeKind::Parent) {
      out += fmt::format("  k{} -> k{} [color={}{}];\n", e.from, e.to, ring ? "\"#d7301f\", penwidth=2" : "\"#888888\"",
                         where.empty() ? "" : ", tooltip=" + quoted("applies (" + where + ")"));
    } else {
      out += fmt::format("  k{} -> k{} [style=dashed, dir=back, color={}, label=\"dependsOn\"{}];\n", e.from, e.to,
                         ring ? "\"#d7301f\", penwidth=2, fontcolor=\"#d7301f\"" : "\"#2171b5\", fontcolor=\"#2171b5\"",
                         where.empty() ? "" : ", tooltip=" + quoted(where));
    }
  }
  for (const GraphEdge& e : graph.wait_edges()) {
    const std::string where = to_string(e.where);
    out += fmt::format("  k{} -> k{} [style=dotted, dir=back, color=\"#6a51a3\", fontcolor=\"#6a51a3\", label={}, tooltip={}];\n", e.from,
                       e.to, quoted("via " + graph.name(e.via)),
                       quoted(fmt::format("{} dependsOn {}{}, whose health check waits for {}", graph.name(e.to), graph.name(e.via),
                                          where.empty() ? "" : " (" + where + ")", graph.name(e.from))));
  }
  for (std::size_t i = 0; i < graph.dangling().size(); ++i) {
    const DanglingDependency& d = graph.dangling()[i];
    out += fmt::format("  missing{} [label={}, shape=box, style=\"dashed\", color=\"#d7301f\", fontcolor=\"#d7301f\"];\n", i,
                       quoted(d.ref.name + "\n(not found)"));
    out += fmt::format("  missing{} -> k{} [style=dashed, dir=back, color=\"#d7301f\", fontcolor=\"#d7301f\", label=\"dependsOn\"];\n", i, d.from);
  }
  out += "}\n";
  os << out;
}

}  // namespace fluxsim
