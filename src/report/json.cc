// SPDX-License-Identifier: Apache-2.0
// The machine-readable report (product.md §3). Field names are a stable contract: camelCase, times in
// integer milliseconds of simulated time, null for "never".
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "json_text.h"
#include "fluxsim/critical_path.h"
#include "fluxsim/graph.h"
#include "fluxsim/report.h"
#include "fluxsim/timeline.h"
#include "fluxsim/version.h"

namespace fluxsim {
namespace {

using Json = nlohmann::ordered_json;

Json ms(SimTime t) { return t == kNever ? Json(nullptr) : Json(to_ms(t)); }

Json parts_ms(const TimeParts& parts) {
  Json j = Json::object();
  for (const auto& [name, d] : named_parts(parts)) j[name] = d.count();
  return j;
}

/// `criticalPath` (distinct names in first-visit order, product.md §3: a wait: true parent that created a
/// child and then waited for it is named once) and `criticalPathDetail` (every step, where its time went).
void add_critical_path(const RunReport& report, Json& doc) {
  const World& world = report.world;
  const CriticalPath& cp = report.analysis().critical_path;
  Json names = Json::array();
  std::vector<bool> named(world.kustomizations.size(), false);
  for (const CriticalStep& s : cp.steps) {
    if (named.at(s.kustomization)) continue;
    named[s.kustomization] = true;
    names.push_back(world.kustomizations[s.kustomization].ref.name);
  }
  doc["criticalPath"] = std::move(names);
  Json detail;
  detail["summary"] = cp.summary;
  detail["complete"] = cp.complete;  // false: the path leads to the last Kustomization that became Ready
  detail["totalMs"] = ms(cp.end);
  detail["partsMs"] = parts_ms(cp.parts);
  Json steps = Json::array();
  for (const CriticalStep& s : cp.steps) {
    const Kustomization& k = world.kustomizations[s.kustomization];
    Json j;
    j["name"] = k.ref.name;
    j["namespace"] = k.ref.ns;
    j["gate"] = to_string(s.gate);
    j["fromMs"] = to_ms(s.from);
    j["toMs"] = to_ms(s.to);
    j["partsMs"] = parts_ms(s.parts);
    j["workerFreedBy"] = s.worker_freed_by >= 0 ? Json(world.kustomizations[static_cast<std::size_t>(s.worker_freed_by)].ref.name)
                                                : Json(nullptr);
    j["failedAttempts"] = s.failed_attempts;
    if (!s.last_failure.empty()) j["lastFailure"] = s.last_failure;
    steps.push_back(std::move(j));
  }
  detail["steps"] = std::move(steps);
  doc["criticalPathDetail"] = std::move(detail);
}

}  // namespace

std::string object_name(const World& world, const TraceEvent& e) {
  auto named = [](const char* kind, const ObjectRef& ref) { return std::string(kind) + "/" + ref.ns + "/" + ref.name; };
  if (e.subject < 0) return {};
  const auto i = static_cast<std::size_t>(e.subject);
  switch (e.controller) {
    case Controller::Kustomize: return i < world.kustomizations.size() ? named("Kustomization", world.kustomizations[i].ref) : "";
    case Controller::Source:
      if (e.helm_chart) {  // the HelmChart helm-controller creates for HelmRelease i: <namespace>-<name>
        if (i >= world.helm_releases.size()) return "";
        const ObjectRef& hr = world.helm_releases[i].ref;
        return "HelmChart/" + hr.ns + "/" + hr.ns + "-" + hr.name;
      }
      return i < world.sources.size() ? named(world.sources[i].ref.kind.c_str(), world.sources[i].ref) : "";
    case Controller::Helm: return i < world.helm_releases.size() ? named("HelmRelease", world.helm_releases[i].ref) : "";
  }
  return {};
}

void write_event_line(const World& world, const RunResult& r, const TraceEvent& e, std::ostream& os) {
  Json j;
  j["atMs"] = to_ms(e.at);
  j["object"] = object_name(world, e);
  j["type"] = to_string(e.type);
  if (e.worker >= 0) j["worker"] = e.worker;
  if (e.reason != Reason::None) j["reason"] = to_string(e.reason);
  if (std::string m = message(world, r, e); !m.empty()) j["message"] = std::move(m);
  os << json_text(j, -1) << '\n';
}

void write_run_end_line(const RunResult& r, std::ostream& os) {
  Json j;
  j["atMs"] = to_ms(r.ended_at);
  j["object"] = "";
  j["type"] = "RunEnded";
  j["reason"] = r.settled ? "Settled" : r.ended_at < r.horizon ? "AllReady" : "Horizon";
  j["message"] = coverage(r);
  os << json_text(j, -1) << '\n';
}

void write_json(const RunReport& report, std::ostream& os) {
  const World& world = report.world;
  const RunResult& r = report.result;
  Json doc;
  doc["fluxsimVersion"] = kVersion;
  doc["scenario"] = report.scenario.name;
  doc["seed"] = r.seed;
  doc["runs"] = 1;
  doc["horizonMs"] = to_ms(r.horizon);
  // What the figures that grow with time (passes, events) cover: [0, endedMs).
  doc["endedMs"] = to_ms(r.ended_at);
  doc["settled"] = r.settled;
  doc["coverage"] = coverage(r);
  doc["controllerFlagsFromRepository"] = report.scenario.controllers.from_repository;
  doc["allReady"] = r.all_ready;
  doc["timeToReadyMs"] = r.all_ready ? ms(r.time_to_ready) : Json(nullptr);
  add_critical_path(report, doc);
  const RunAnalysis& analysis = report.analysis();
  const DependencyGraph& graph = analysis.graph;
  Json ks = Json::array();
  for (std::size_t k : analysis.order) {
    const Kustomization& spec = world.kustomizations[k];
    const KustomizationSummary& s = r.kustomizations[k];
    Json j;
    j["name"] = spec.ref.name;
    j["namespace"] = spec.ref.ns;
    if (s.parent >= 0) j["parent"] = world.kustomizations[static_cast<std::size_t>(s.parent)].ref.name;
    else if (spec.parent) j["parent"] = spec.parent->name;
    else j["parent"] = nullptr;
    j["wave"] = graph.wave(k);
    j["createdAtMs"] = ms(s.created_at);
    j["firstStartedAtMs"] = ms(s.first_started_at);
    j["firstAppliedAtMs"] = ms(s.first_applied_at);
    j["readyAtMs"] = ms(s.ready_at);
    j["attempts"] = s.attempts;
    j["passes"] = s.passes;
    j["status"] = s.status == ReadyStatus::True ? "Ready" : s.status == ReadyStatus::False ? "NotReady" : "Unknown";
    j["reason"] = to_string(s.reason);
    j["message"] = message(world, r, s);
    j["waitedLongestOn"] = longest_wait(world, analysis.splits[k]);
    ks.push_back(std::move(j));
  }
  doc["kustomizations"] = std::move(ks);
  Json workers = Json::array();
  for (const WorkerUsage& u : analysis.usage) {
    Json w;
    w["pool"] = u.pool;
    w["workers"] = u.workers;
    w["windowMs"] = to_ms(u.end);
    w["busyMs"] = u.busy.count();
    w["utilisation"] = u.utilisation();
    w["saturatedMs"] = u.saturated.count();
    w["maxQueueDepth"] = u.max_queue_depth;
    workers.push_back(std::move(w));
  }
  doc["workers"] = std::move(workers);
  doc["workersWindow"] = analysis.usage_window;
  // One entry per Kustomization that ever failed: how often, the first and last time, the last message.
  Json failures = Json::array();
  for (const FailureGroup& g : analysis.failures) {
    Json j;
    j["name"] = world.kustomizations[g.kustomization].ref.name;
    j["namespace"] = world.kustomizations[g.kustomization].ref.ns;
    j["count"] = g.count;
    j["firstAtMs"] = to_ms(g.first);
    j["lastAtMs"] = to_ms(g.last);
    j["reason"] = g.reason;
    j["message"] = g.message;
    j["retryMs"] = g.retry.count();
    failures.push_back(std::move(j));
  }
  doc["failedAttempts"] = std::move(failures);
  // The simulated parallel phases until everything was Ready (or over the whole run).
  Json phases = Json::array();
  for (const ParallelPhase& p : analysis.phases) {
    Json j;
    j["fromMs"] = to_ms(p.from);
    j["toMs"] = to_ms(p.to);
    j["maxParallel"] = p.max_parallel;
    Json names = Json::array();
    for (std::size_t k : p.kustomizations) names.push_back(world.kustomizations[k].ref.name);
    j["kustomizations"] = std::move(names);
    phases.push_back(std::move(j));
  }
  doc["parallelPhases"] = std::move(phases);
  Json expectations = Json::array();
  for (const ExpectationResult& e : report.expectations)
    expectations.push_back(Json{{"expect", e.expect}, {"met", e.met}, {"detail", e.detail}});
  doc["expectations"] = std::move(expectations);
  os << json_text(doc) << '\n';
}

}  // namespace fluxsim
