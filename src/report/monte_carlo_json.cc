// SPDX-License-Identifier: Apache-2.0
// The machine-readable Monte Carlo report (product.md §3, runs > 1): the single-run field names, with
// timeToReadyMs and each readyAtMs turned into percentile objects and readyProbability added.
#include <ostream>

#include "fluxsim/monte_carlo.h"
#include "fluxsim/version.h"
#include "report/stats_format.h"

namespace fluxsim {

using namespace report_detail;

void write_monte_carlo_json(const MonteCarloReport& report, std::ostream& os) {
  const World& world = report.world;
  const MonteCarloResult& mc = report.result;
  Json doc;
  doc["fluxsimVersion"] = kVersion;
  doc["scenario"] = report.scenario.name;
  doc["seed"] = mc.seed;
  doc["runs"] = mc.runs;
  doc["horizonMs"] = to_ms(mc.horizon);
  doc["percentiles"] = "nearest-rank, over the runs in which it became Ready";
  doc["allReady"] = mc.all_ready_runs == mc.runs;
  doc["readyProbability"] = mc.ready_probability;
  doc["readyRuns"] = mc.all_ready_runs;
  doc["timeToReadyMs"] = stats_ms_json(mc.time_to_ready_ms);
  Json ks = Json::array();
  for (std::size_t k : median_ready_order(mc)) {
    const Kustomization& spec = world.kustomizations[k];
    const KustomizationStats& s = mc.kustomizations[k];
    Json j;
    j["name"] = spec.ref.name;
    j["namespace"] = spec.ref.ns;
    j["parent"] = spec.parent ? Json(spec.parent->name) : Json(nullptr);
    j["readyProbability"] = s.ready_probability;
    j["readyRuns"] = s.ready_runs;
    j["readyAtMs"] = stats_ms_json(s.ready_at_ms);
    j["attempts"] = stats_json(s.attempts, 3);
    if (s.first_not_ready_run >= 0) {
      j["firstNotReadyRun"] = s.first_not_ready_run;
      j["reason"] = s.not_ready_reason;
      j["message"] = s.not_ready_message;
    }
    ks.push_back(std::move(j));
  }
  doc["kustomizations"] = std::move(ks);
  Json workers = Json::array();
  for (const PoolStats& p : mc.workers) workers.push_back(pool_json(p));
  doc["workers"] = std::move(workers);
  Json expectations = Json::array();
  for (const ExpectationStats& e : mc.expectations) {
    Json x{{"expect", e.expect}, {"met", e.met()}, {"metRuns", e.met_runs}, {"runs", e.runs}};
    if (!e.met()) {
      x["firstMissRun"] = e.first_miss_run;
      x["detail"] = e.first_miss_detail;
    }
    expectations.push_back(std::move(x));
  }
  doc["expectations"] = std::move(expectations);
  os << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace fluxsim
