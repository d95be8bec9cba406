// SPDX-License-Identifier: Apache-2.0
// The Monte Carlo table: the single-run table's rows with a percentile block per ready time, how often
// each Kustomization became Ready, then the distribution of time to full readiness and worker load.
#include <algorithm>
#include <ostream>

#include <fmt/format.h>

#include "fluxsim/monte_carlo.h"
#include "fluxsim/report.h"
#include "fluxsim/version.h"
#include "report/stats_format.h"

namespace fluxsim {
namespace {

using namespace report_detail;

std::string parent_name(const World& world, const std::vector<std::string>& names, std::size_t k) {
  const auto& parent = world.kustomizations[k].parent;
  if (!parent) return "-";
  const Kustomization* p = world.find_kustomization(parent->ns, parent->name);
  if (!p) return parent->name;
  return names[static_cast<std::size_t>(p - world.kustomizations.data())];
}

/// Left-aligned first columns, right-aligned numbers; trailing spaces trimmed.
std::string render_rows(const std::vector<std::vector<std::string>>& rows, std::size_t left_columns) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c)
      line += c < left_columns ? fmt::format("{:<{}}  ", row[c], width[c]) : fmt::format("{:>{}}  ", row[c], width[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  return out;
}

}  // namespace

void write_monte_carlo_table(const MonteCarloReport& report, std::ostream& os) {
  const World& world = report.world;
  const MonteCarloResult& mc = report.result;
  std::string out;
  out += fmt::format("fluxsim {} — scenario {} (seed {}, {} runs, horizon {})\n", kVersion, report.scenario.name, mc.seed,
                     mc.runs, format_time(mc.horizon));
  if (!report.scenario.description.empty()) out += report.scenario.description + "\n";
  out += '\n';

  const std::vector<std::string> names = display_names(world);
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"KUSTOMIZATION", "PARENT", "READY p50", "p90", "p99", "min", "max", "mean", "READY IN"});
  const std::vector<std::size_t> order = median_ready_order(mc);
  for (std::size_t k : order) {
    const KustomizationStats& s = mc.kustomizations[k];
    std::vector<std::string> row = {names[k], parent_name(world, names, k)};
    if (s.ready_at_ms) {
      for (double v : {s.ready_at_ms->p50, s.ready_at_ms->p90, s.ready_at_ms->p99, s.ready_at_ms->min,
                       s.ready_at_ms->max, s.ready_at_ms->mean})
        row.push_back(dur(v));
    } else {
      for (int i = 0; i < 6; ++i) row.push_back("-");
    }
    row.push_back(percent(s.ready_probability));
    rows.push_back(std::move(row));
  }
  out += render_rows(rows, 2);

  bool header = false;
  for (std::size_t k : order) {
    const KustomizationStats& s = mc.kustomizations[k];
    if (s.first_not_ready_run < 0) continue;
    if (!header) {
      out += "\nNot Ready in every run (the first run that missed, and why):\n";
      header = true;
    }
    out += fmt::format("  {}: Ready in {} of {} runs; run {}: {}{}\n", names[k], s.ready_runs, mc.runs, s.first_not_ready_run,
                       s.not_ready_reason.empty() ? "" : s.not_ready_reason + ": ", s.not_ready_message);
  }

  out += '\n';
  if (mc.time_to_ready_ms) {
    const Stats& t = *mc.time_to_ready_ms;
    out += fmt::format("Time to full readiness, over the {} of {} runs in which every Kustomization became Ready ({}):\n",
                       mc.all_ready_runs, mc.runs, percent(mc.ready_probability));
    out += fmt::format("  p50 {}  p90 {}  p99 {}  min {}  max {}  mean {}\n", dur(t.p50), dur(t.p90), dur(t.p99), dur(t.min),
                       dur(t.max), dur(t.mean));
  } else {
    out += fmt::format("Not fully Ready within {} in any of the {} runs\n", format_time(mc.horizon), mc.runs);
  }
  out += "Workers (each run until every Kustomization was Ready, else to the horizon):\n";
  for (const PoolStats& p : mc.workers) {
    out += fmt::format("  {:<34} {} worker{}, busy p50 {} p90 {} (mean {}), all busy p50 {} p90 {} max {}", p.pool, p.workers,
                       p.workers == 1 ? "" : "s", percent(p.utilisation.p50), percent(p.utilisation.p90),
                       percent(p.utilisation.mean), dur(p.saturated_ms.p50), dur(p.saturated_ms.p90), dur(p.saturated_ms.max));
    if (p.longest_wait_ms) out += fmt::format(", longest wait for a worker p50 {} max {}", dur(p.longest_wait_ms->p50), dur(p.longest_wait_ms->max));
    out += '\n';
  }
  if (!mc.expectations.empty()) {
    out += "Expectations (met when met in every run):\n";
    for (const ExpectationStats& e : mc.expectations) {
      out += fmt::format("  {:<6} {} — met in {} of {} runs", e.met() ? "ok" : "FAILED", e.expect, e.met_runs, e.runs);
      if (!e.met()) out += fmt::format("; run {}: {}", e.first_miss_run, e.first_miss_detail);
      out += '\n';
    }
  }
  out += "\nPercentiles are nearest-rank, over the runs in which that Kustomization (or, for time to full readiness,\n"
         "every Kustomization) became Ready within the horizon; READY IN counts all runs.\n";
  os << out;
}

}  // namespace fluxsim
