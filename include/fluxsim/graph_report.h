// SPDX-License-Identifier: Apache-2.0
// Pictures of the static graph for `fluxsim graph`: Graphviz DOT, a Mermaid flowchart and plain text.
// Parent -> child and dependsOn edges are drawn differently, waves are ranks (they include what health
// checks imply, drawn as a third, dotted kind of edge), cycles are highlighted and listed with the file
// and line of each edge. Pure functions of (World, DependencyGraph).
#pragma once

#include <iosfwd>
#include <optional>
#include <string_view>

#include "fluxsim/graph.h"
#include "fluxsim/model.h"

namespace fluxsim {

enum class GraphFormat { Dot, Mermaid, Text };

/// Parses "dot", "mermaid", "text"; nullopt for anything else.
std::optional<GraphFormat> parse_graph_format(std::string_view name);

/// Graphviz DOT: one rank per wave; solid edges parent -> child ("applies"), dashed edges drawn from the
/// dependent to its dependency ("dependsOn"), dotted purple edges for DependencyGraph::wait_edges (what
/// a dependency's health check waits for, which sets the dependent's wave); cycle members and edges in
/// red. (src/report/graph_dot.cc)
void write_graph_dot(const World& world, const DependencyGraph& graph, std::ostream& out);

/// A Mermaid flowchart with one subgraph per wave, same conventions. (src/report/graph_mermaid.cc)
void write_graph_mermaid(const World& world, const DependencyGraph& graph, std::ostream& out);

/// Waves as an indented list with each Kustomization's parent and dependsOn (and, for a dependsOn whose
/// health check sets the wave, what it waits for), then cycles and dependsOn entries naming nothing. (src/report/graph_text.cc)
void write_graph_text(const World& world, const DependencyGraph& graph, std::ostream& out);

}  // namespace fluxsim
