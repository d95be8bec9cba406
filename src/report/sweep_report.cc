// SPDX-License-Identifier: Apache-2.0
// The capacity-planning table of a sweep, and its JSON form: one row per value of the swept field.
#include <ostream>

#include <fmt/format.h>

#include "fluxsim/sweep.h"
#include "fluxsim/version.h"
#include "report/stats_format.h"

namespace fluxsim {

using namespace report_detail;

namespace {

std::string expectations_cell(const MonteCarloResult& mc) {
  if (mc.expectations.empty()) return "-";
  std::size_t met = 0;
  for (const ExpectationStats& e : mc.expectations) met += e.met() ? 1 : 0;
  return met == mc.expectations.size() ? "ok" : fmt::format("FAILED {}/{}", mc.expectations.size() - met, mc.expectations.size());
}

}  // namespace

void write_sweep_table(const SweepReport& report, std::ostream& os) {
  const std::size_t runs = report.rows.empty() ? 0 : report.rows.front().result.runs;
  std::string out = fmt::format("fluxsim {} — scenario {} (seed {}, {} run{} per value), sweep of {}\n\n", kVersion,
                                report.scenario.name, report.scenario.seed, runs, runs == 1 ? "" : "s", report.sweep.path);
  std::vector<std::vector<std::string>> rows;
  rows.push_back({report.sweep.path, "READY p50", "p90", "READY IN", "WORKERS", "BUSY", "ALL BUSY", "LONGEST WAIT", "EXPECT"});
  for (const SweepRow& row : report.rows) {
    const MonteCarloResult& mc = row.result;
    std::vector<std::string> cells = {row.value};
    if (mc.time_to_ready_ms) {
      cells.push_back(dur(mc.time_to_ready_ms->p50));
      cells.push_back(dur(mc.time_to_ready_ms->p90));
    } else {
      cells.push_back("never");
      cells.push_back("never");
    }
    cells.push_back(percent(mc.ready_probability));
    if (!mc.workers.empty()) {
      const PoolStats& k = mc.workers.front();
      cells.push_back(std::to_string(k.workers));
      cells.push_back(percent(k.utilisation.mean));
      cells.push_back(dur(k.saturated_ms.p50));
      cells.push_back(k.longest_wait_ms ? dur(k.longest_wait_ms->p50) : "-");
    } else {
      for (int i = 0; i < 4; ++i) cells.push_back("-");
    }
    cells.push_back(expectations_cell(mc));
    rows.push_back(std::move(cells));
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t c = 0; c < r.size(); ++c)
      line += c == 0 || c + 1 == r.size() ? fmt::format("{:<{}}  ", r[c], width[c]) : fmt::format("{:>{}}  ", r[c], width[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  out += "\nREADY: time to full readiness (nearest-rank percentiles over the runs that got there); READY IN: share of\n"
         "runs that got there. BUSY, ALL BUSY and LONGEST WAIT are kustomize-controller's: mean utilisation, median time\n"
         "with every worker busy, and the median over runs of the longest time a due Kustomization waited for a worker.\n";
  os << out;
}

void write_sweep_json(const SweepReport& report, std::ostream& os) {
  Json doc;
  doc["fluxsimVersion"] = kVersion;
  doc["scenario"] = report.scenario.name;
  doc["seed"] = report.scenario.seed;
  doc["runs"] = report.rows.empty() ? 0 : report.rows.front().result.runs;
  doc["sweep"] = report.sweep.path;
  doc["percentiles"] = "nearest-rank, over the runs in which it became Ready";
  Json rows = Json::array();
  for (const SweepRow& row : report.rows) {
    const MonteCarloResult& mc = row.result;
    Json r;
    r["value"] = row.value;
    r["allReady"] = mc.all_ready_runs == mc.runs;
    r["readyProbability"] = mc.ready_probability;
    r["timeToReadyMs"] = stats_ms_json(mc.time_to_ready_ms);
    Json workers = Json::array();
    for (const PoolStats& p : mc.workers) workers.push_back(pool_json(p));
    r["workers"] = std::move(workers);
    Json expectations = Json::array();
    for (const ExpectationStats& e : mc.expectations)
      expectations.push_back(Json{{"expect", e.expect}, {"met", e.met()}, {"metRuns", e.met_runs}, {"runs", e.runs}});
    r["expectations"] = std::move(expectations);
    rows.push_back(std::move(r));
  }
  doc["rows"] = std::move(rows);
  os << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace fluxsim
