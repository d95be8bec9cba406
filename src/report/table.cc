// SPDX-License-Identifier: Apache-2.0
// The default report: a table a platform engineer reads in a terminal or a CI log.
#include <algorithm>
#include <ostream>

#include <fmt/format.h>

#include "fluxsim/critical_path.h"
#include "fluxsim/graph.h"
#include "fluxsim/report.h"
#include "fluxsim/timeline.h"
#include "fluxsim/version.h"

namespace fluxsim {
namespace {

std::string at(SimTime t) { return t == kNever ? "-" : format_time(t); }

void write_usage(const std::vector<WorkerUsage>& usage, std::string_view window, std::string& out) {
  for (const WorkerUsage& u : usage) {
    if (u.end.time_since_epoch().count() == 0) continue;
    out += fmt::format("  {:<34} {} worker{}, {:.0f}% busy {}, all busy for {}", u.pool, u.workers, u.workers == 1 ? "" : "s",
                       100.0 * u.utilisation(), window, format_duration(u.saturated));
    if (u.max_queue_depth > 0) out += fmt::format(", up to {} waiting", u.max_queue_depth);
    out += '\n';
  }
}

/// Terminal columns of UTF-8 text (one per code point: fluxsim prints no wide characters).
std::size_t columns(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string pad(const std::string& text, std::size_t width) {
  const std::size_t c = columns(text);
  return c >= width ? text : text + std::string(width - c, ' ');
}

/// "Critical path (2m33.58s): flux-system → a → b", one line per step, where the time went, the hint.
void write_critical_path(const RunReport& report, const DependencyGraph& graph, std::string& out) {
  const CriticalPath& cp = report.analysis().critical_path;
  if (cp.steps.empty()) {
    out += fmt::format("Critical path: {}\n", cp.summary);
    return;
  }
  std::string chain;
  for (const CriticalStep& s : cp.steps) chain += (chain.empty() ? "" : " → ") + graph.name(s.kustomization);
  if (cp.complete) out += fmt::format("Critical path ({}): {}\n", format_time(cp.end), chain);
  else out += fmt::format("Critical path to the last Kustomization that became Ready ({}): {}\n", format_time(cp.end), chain);
  struct Line {
    std::string name, span, via, parts;
  };
  std::vector<Line> lines;
  std::size_t w0 = 0, w1 = 0, w2 = 0;
  for (std::size_t i = 0; i < cp.steps.size(); ++i) {
    const CriticalStep& s = cp.steps[i];
    std::string via;
    const std::string prev = i > 0 ? graph.name(cp.steps[i - 1].kustomization) : "";
    switch (s.gate) {
      case Gate::Start: via = "created by bootstrap"; break;
      case Gate::Parent: via = "created by " + prev; break;
      case Gate::Dependency: via = "dependsOn " + prev + " Ready"; break;
      case Gate::HealthCheck: via = "health check saw " + prev + " Ready"; break;
    }
    std::string parts = to_string(s.parts);
    if (s.worker_freed_by >= 0) parts += fmt::format(" (worker freed by {})", graph.name(static_cast<NodeId>(s.worker_freed_by)));
    if (s.failed_attempts > 0) parts += fmt::format(" ({} failed attempt{})", s.failed_attempts, s.failed_attempts == 1 ? "" : "s");
    lines.push_back({graph.name(s.kustomization), fmt::format("{} → {}", format_time(s.from), format_time(s.to)), via, parts});
    w0 = std::max(w0, columns(lines.back().name));
    w1 = std::max(w1, columns(lines.back().span));
    w2 = std::max(w2, columns(lines.back().via));
  }
  for (const Line& l : lines)
    out += "  " + pad(l.name, w0) + "  " + pad(l.span, w1) + "  " + pad(l.via, w2) + "  " + l.parts + "\n";
  std::string split;
  const Duration total = cp.parts.total();
  auto named = named_parts(cp.parts);
  std::stable_sort(named.begin(), named.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [name, d] : named)
    if (d > Duration{0})
      split += fmt::format("{}{} {} ({:.0f}%)", split.empty() ? "" : ", ", name, format_duration(d),
                           100.0 * static_cast<double>(d.count()) / static_cast<double>(total.count()));
  out += fmt::format("  where the time went: {}\n", split);
  out += fmt::format("  {}\n", cp.summary);
}

/// The simulated parallel phases: which apply attempts actually overlapped, until everything was Ready.
void write_phases(const RunReport& report, const std::vector<std::string>& names, std::string& out) {
  const RunResult& r = report.result;
  const std::vector<ParallelPhase>& phases = report.analysis().phases;
  if (phases.empty()) return;
  constexpr std::size_t kShown = 12, kNames = 6;
  out += fmt::format("Parallel phases (apply attempts that overlapped{}): {}\n", r.all_ready ? ", until all Ready" : "", phases.size());
  std::vector<std::string> spans;
  std::size_t width = 0;
  for (std::size_t i = 0; i < phases.size() && i < kShown; ++i) {
    spans.push_back(fmt::format("{} → {}", format_time(phases[i].from), format_time(phases[i].to)));
    width = std::max(width, columns(spans.back()));
  }
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const ParallelPhase& p = phases[i];
    std::string who;
    for (std::size_t j = 0; j < p.kustomizations.size() && j < kNames; ++j) who += (j ? ", " : "") + names[p.kustomizations[j]];
    if (p.kustomizations.size() > kNames) who += fmt::format(" and {} more", p.kustomizations.size() - kNames);
    if (p.kustomizations.size() == 1) out += fmt::format("  {:>2}. {}  {}\n", i + 1, pad(spans[i], width), who);
    else
      out += fmt::format("  {:>2}. {}  {} Kustomizations, up to {} at once: {}\n", i + 1, pad(spans[i], width),
                         p.kustomizations.size(), p.max_parallel, who);
  }
  if (phases.size() > kShown) out += fmt::format("  ... and {} more (-o json lists them all)\n", phases.size() - kShown);
}

}  // namespace

void write_table(const RunReport& report, std::ostream& os) {
  const World& world = report.world;
  const RunResult& r = report.result;
  std::string out;
  out += fmt::format("fluxsim {} — scenario {} (seed {}, {})\n", kVersion, report.scenario.name, r.seed, coverage(r));
  if (!report.scenario.description.empty()) out += report.scenario.description + "\n";
  for (const std::string& flag : report.scenario.controllers.from_repository)
    out += "Controller flag from the repository: " + flag + "\n";
  out += '\n';

  const RunAnalysis& analysis = report.analysis();
  const std::vector<std::string>& names = analysis.names;
  const DependencyGraph& graph = analysis.graph;
  constexpr int kColumns = 9;
  struct Row {
    std::string cells[kColumns];
  };
  std::vector<Row> rows;
  rows.push_back({{"KUSTOMIZATION", "WAVE", "PARENT", "STARTED", "APPLIED", "READY", "ATTEMPTS", "STATUS", "WAITED LONGEST ON"}});
  const std::vector<std::size_t>& order = analysis.order;
  for (std::size_t k : order) {
    const KustomizationSummary& s = r.kustomizations[k];
    const auto& parent = world.kustomizations[k].parent;
    std::string parent_name = "-";
    if (s.parent >= 0) parent_name = names[static_cast<std::size_t>(s.parent)];
    else if (parent) parent_name = parent->name;
    std::string status = to_string(s.status);
    if (s.reason != Reason::None) status += std::string(" ") + to_string(s.reason);
    rows.push_back({{names[k], std::to_string(graph.wave(k)), parent_name, at(s.first_started_at), at(s.first_applied_at),
                     at(s.ready_at), std::to_string(s.attempts), status, longest_wait(world, analysis.splits[k])}});
  }
  std::size_t width[kColumns] = {};
  for (const Row& row : rows)
    for (int c = 0; c < kColumns; ++c) width[c] = std::max(width[c], row.cells[c].size());
  for (const Row& row : rows) {
    std::string line;
    for (int c = 0; c < kColumns; ++c) {
      const bool right = c == 1 || (c >= 3 && c <= 6);
      if (c == kColumns - 1) line += row.cells[c];
      else line += right ? fmt::format("{:>{}}  ", row.cells[c], width[c]) : fmt::format("{:<{}}  ", row.cells[c], width[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }

  // Failed attempts along the way, one line per Kustomization: what Flux reported, how often, and what
  // each failure cost before the next try.
  if (!analysis.failures.empty()) {
    out += fmt::format("\nFailed attempts ({} in all):\n", analysis.failed_attempts);
    std::vector<std::string> when;
    std::size_t width = 0;
    for (const FailureGroup& g : analysis.failures) {
      when.push_back(g.count == 1 ? format_time(g.first)
                                  : fmt::format("{}× {} … {}", g.count, format_time(g.first), format_time(g.last)));
      width = std::max(width, columns(when.back()));
    }
    for (std::size_t i = 0; i < analysis.failures.size(); ++i) {
      const FailureGroup& g = analysis.failures[i];
      std::string line = fmt::format("  {}  {}: {}: {}", pad(when[i], width), names[g.kustomization], g.reason, g.message);
      if (g.other_messages > 0)
        line += fmt::format(" (the last of them; {} other message{} before)", g.other_messages, g.other_messages == 1 ? "" : "s");
      if (g.retry.count() > 0) line += fmt::format(" (next attempt after {}, retryInterval)", format_duration(g.retry));
      out += line + "\n";
    }
  }

  // Why the ones that are not Ready are not.
  bool header = false;
  for (std::size_t k : order) {
    const KustomizationSummary& s = r.kustomizations[k];
    if (s.status == ReadyStatus::True) continue;
    const std::string message = fluxsim::message(world, r, s);
    if (message.empty()) continue;
    if (!header) {
      out += "\nNot Ready at the end of the run:\n";
      header = true;
    }
    const std::string now = s.reason == Reason::None ? message : to_string(s.reason) + (": " + message);
    if (analysis.why_not_ready[k].empty() || analysis.why_not_ready[k] == now) out += fmt::format("  {}: {}\n", names[k], now);
    else out += fmt::format("  {}: {} (the last failure; at the end of the run: {})\n", names[k], analysis.why_not_ready[k], now);
  }

  out += '\n';
  const std::size_t total = world.kustomizations.size();
  std::size_t ready = 0;
  for (const KustomizationSummary& s : r.kustomizations) ready += s.ready_at != kNever ? 1 : 0;
  if (r.all_ready)
    out += fmt::format("Time to full readiness: {} (all {} Kustomizations Ready)\n", format_time(r.time_to_ready), total);
  else
    out += fmt::format("Not fully Ready within {}: {} of {} Kustomizations became Ready\n", format_time(r.ended_at), ready, total);
  if (const std::string assumed = assumptions_summary(world); !assumed.empty()) out += "  " + assumed + "\n";
  write_critical_path(report, graph, out);
  write_phases(report, names, out);
  out += "Workers:\n";
  write_usage(analysis.usage, analysis.usage_window, out);

  if (!report.expectations.empty()) {
    out += "Expectations:\n";
    for (const ExpectationResult& e : report.expectations)
      out += fmt::format("  {:<6} {} — {}\n", e.met ? "ok" : "FAILED", e.expect, e.detail);
  }
  os << out;
}

}  // namespace fluxsim
