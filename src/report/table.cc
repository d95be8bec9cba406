// SPDX-License-Identifier: Apache-2.0
// The default report: a table a platform engineer reads in a terminal or a CI log.
#include <algorithm>
#include <ostream>

#include <fmt/format.h>

#include "fluxsim/report.h"
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

}  // namespace

void write_table(const RunReport& report, std::ostream& os) {
  const World& world = report.world;
  const RunResult& r = report.result;
  std::string out;
  out += fmt::format("fluxsim {} — scenario {} (seed {}, horizon {})\n", kVersion, report.scenario.name, r.seed,
                     format_time(r.horizon));
  if (!report.scenario.description.empty()) out += report.scenario.description + "\n";
  for (const std::string& flag : report.scenario.controllers.from_repository)
    out += "Controller flag from the repository: " + flag + "\n";
  out += '\n';

  const std::vector<std::string> names = display_names(world);
  struct Row {
    std::string cells[8];
  };
  std::vector<Row> rows;
  rows.push_back({{"KUSTOMIZATION", "PARENT", "STARTED", "APPLIED", "READY", "ATTEMPTS", "STATUS", "WAITED LONGEST ON"}});
  const std::vector<std::size_t> order = ready_order(world, r);
  for (std::size_t k : order) {
    const KustomizationSummary& s = r.kustomizations[k];
    const auto& parent = world.kustomizations[k].parent;
    std::string parent_name = "-";
    if (s.parent >= 0) parent_name = names[static_cast<std::size_t>(s.parent)];
    else if (parent) parent_name = parent->name;
    std::string status = s.status;
    if (!s.reason.empty()) status += " " + s.reason;
    rows.push_back({{names[k], parent_name, at(s.first_started_at), at(s.first_applied_at), at(s.ready_at),
                     std::to_string(s.attempts), status, longest_wait(world, split_time(world, r, k))}});
  }
  std::size_t width[8] = {};
  for (const Row& row : rows)
    for (int c = 0; c < 8; ++c) width[c] = std::max(width[c], row.cells[c].size());
  for (const Row& row : rows) {
    std::string line;
    for (int c = 0; c < 8; ++c) {
      const bool right = c >= 2 && c <= 5;
      if (c == 7) line += row.cells[c];
      else line += right ? fmt::format("{:>{}}  ", row.cells[c], width[c]) : fmt::format("{:<{}}  ", row.cells[c], width[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }

  // Failed attempts along the way: what Flux reported, and what each cost before the next try.
  {
    std::size_t shown = 0, total_failed = 0;
    std::string lines;
    for (const PassRecord& p : r.passes) {
      if (p.controller != Controller::Kustomize) continue;
      if (p.outcome != PassOutcome::BuildFailed && p.outcome != PassOutcome::ApplyFailed &&
          p.outcome != PassOutcome::HealthCheckFailed)
        continue;
      ++total_failed;
      if (shown == 20) continue;
      ++shown;
      lines += fmt::format("  {:>9}  {}: {}: {} (next attempt in {}, retryInterval)\n", format_time(p.ended_at),
                           names[static_cast<std::size_t>(p.subject)], p.reason, p.message, format_duration(p.requeue_after));
    }
    if (total_failed > 0) {
      out += "\nFailed attempts:\n" + lines;
      if (total_failed > shown) out += fmt::format("  ... and {} more (-o json lists every pass)\n", total_failed - shown);
    }
  }

  // Why the ones that are not Ready are not.
  bool header = false;
  for (std::size_t k : order) {
    const KustomizationSummary& s = r.kustomizations[k];
    if (s.status == "True" || s.message.empty()) continue;
    if (!header) {
      out += "\nNot Ready at the end of the run:\n";
      header = true;
    }
    out += fmt::format("  {}: {}{}\n", names[k], s.reason.empty() ? "" : s.reason + ": ", s.message);
  }

  out += '\n';
  const std::size_t total = world.kustomizations.size();
  std::size_t ready = 0;
  for (const KustomizationSummary& s : r.kustomizations) ready += s.ready_at != kNever ? 1 : 0;
  if (r.all_ready)
    out += fmt::format("Time to full readiness: {} (all {} Kustomizations Ready)\n", format_time(r.time_to_ready), total);
  else
    out += fmt::format("Not fully Ready within {}: {} of {} Kustomizations became Ready\n", format_time(r.ended_at), ready, total);
  out += "Workers:\n";
  if (!r.workers_until_ready.empty()) write_usage(r.workers_until_ready, "until all Ready", out);
  else write_usage(r.workers, "over the run", out);

  if (!report.expectations.empty()) {
    out += "Expectations:\n";
    for (const ExpectationResult& e : report.expectations)
      out += fmt::format("  {:<6} {} — {}\n", e.met ? "ok" : "FAILED", e.expect, e.detail);
  }
  os << out;
}

}  // namespace fluxsim
