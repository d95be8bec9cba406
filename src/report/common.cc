// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <numeric>

#include "fluxsim/report.h"

namespace fluxsim {

std::optional<ReportFormat> parse_report_format(std::string_view name) {
  if (name == "table") return ReportFormat::Table;
  if (name == "json") return ReportFormat::Json;
  if (name == "mermaid") return ReportFormat::Mermaid;
  if (name == "trace") return ReportFormat::Trace;
  if (name == "svg") return ReportFormat::Svg;
  if (name == "html") return ReportFormat::Html;
  return std::nullopt;
}

bool drawn_by_reports(TraceType type) { return type == TraceType::KindRegistered || type == TraceType::ControllerRestarted; }

const RunAnalysis& RunReport::analysis() const {
  if (!analysis_cache) analysis_cache = std::make_shared<const RunAnalysis>(analyse_run(world, scenario, result));
  return *analysis_cache;
}

std::vector<std::size_t> ready_order(const World& world, const RunResult& result) {
  std::vector<std::size_t> order(world.kustomizations.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const KustomizationSummary &x = result.kustomizations[a], &y = result.kustomizations[b];
    if (x.ready_at != y.ready_at) return x.ready_at < y.ready_at;
    if (x.created_at != y.created_at) return x.created_at < y.created_at;
    return world.kustomizations[a].ref < world.kustomizations[b].ref;
  });
  return order;
}

}  // namespace fluxsim
