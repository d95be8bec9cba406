// SPDX-License-Identifier: Apache-2.0
// The run as Chrome trace-event JSON (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU):
// process 1 is kustomize-controller with one thread per worker and a complete ("X") event per pass;
// process 2 has one thread per Kustomization (sorted in ready order) with its phases; process 3 holds
// the other controllers' passes when the engine records them. Timestamps are microseconds of simulated
// time. Opens in Perfetto (ui.perfetto.dev) and chrome://tracing.
#include <ostream>

#include <nlohmann/json.hpp>

#include "fluxsim/report.h"
#include "fluxsim/timeline.h"
#include "fluxsim/version.h"

namespace fluxsim {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kWorkersPid = 1;
constexpr int kKustomizationsPid = 2;
constexpr int kOtherControllersPid = 3;

std::int64_t us(SimTime t) { return to_ms(t) * 1000; }

Json metadata(const char* what, int pid, int tid, Json args) {
  Json j;
  j["name"] = what;
  j["ph"] = "M";
  j["pid"] = pid;
  if (tid >= 0) j["tid"] = tid;
  j["args"] = std::move(args);
  return j;
}

std::string subject_name(const World& world, const PassRecord& p) {
  const auto i = static_cast<std::size_t>(p.subject);
  switch (p.controller) {
    case Controller::Kustomize: return i < world.kustomizations.size() ? world.kustomizations[i].ref.name : "?";
    case Controller::Source: return i < world.sources.size() ? world.sources[i].ref.kind + "/" + world.sources[i].ref.name : "?";
    case Controller::Helm: return i < world.helm_releases.size() ? "HelmRelease/" + world.helm_releases[i].ref.name : "?";
  }
  return "?";
}

}  // namespace

void write_chrome_trace(const RunReport& report, std::ostream& os) {
  const World& world = report.world;
  const RunResult& r = report.result;
  const std::vector<std::string> names = display_names(world);
  Json events = Json::array();

  // Tracks.
  int kustomize_workers = 0;
  for (const WorkerUsage& u : r.workers)
    if (u.controller == Controller::Kustomize) kustomize_workers = std::max(kustomize_workers, u.workers);
  for (const PassRecord& p : r.passes)
    if (p.controller == Controller::Kustomize) kustomize_workers = std::max(kustomize_workers, p.worker + 1);
  events.push_back(metadata("process_name", kWorkersPid, -1, {{"name", "kustomize-controller workers"}}));
  events.push_back(metadata("process_sort_index", kWorkersPid, -1, {{"sort_index", 1}}));
  for (int w = 0; w < kustomize_workers; ++w) {
    events.push_back(metadata("thread_name", kWorkersPid, w + 1, {{"name", "worker " + std::to_string(w + 1)}}));
    events.push_back(metadata("thread_sort_index", kWorkersPid, w + 1, {{"sort_index", w + 1}}));
  }
  events.push_back(metadata("process_name", kKustomizationsPid, -1, {{"name", "Kustomizations"}}));
  events.push_back(metadata("process_sort_index", kKustomizationsPid, -1, {{"sort_index", 2}}));
  const std::vector<std::size_t> order = ready_order(world, r);
  for (std::size_t row = 0; row < order.size(); ++row) {
    const int tid = static_cast<int>(order[row]) + 1;
    events.push_back(metadata("thread_name", kKustomizationsPid, tid, {{"name", names[order[row]]}}));
    events.push_back(metadata("thread_sort_index", kKustomizationsPid, tid, {{"sort_index", row + 1}}));
  }

  // One complete event per pass, on the worker that ran it.
  bool other_controllers = false;
  for (const PassRecord& p : r.passes) {
    const SimTime end = p.ended_at == kNever ? r.ended_at : p.ended_at;
    const bool kustomize = p.controller == Controller::Kustomize;
    other_controllers = other_controllers || !kustomize;
    Json j;
    j["name"] = kustomize && p.subject >= 0 && static_cast<std::size_t>(p.subject) < names.size()
                    ? names[static_cast<std::size_t>(p.subject)]
                    : subject_name(world, p);
    j["cat"] = "pass";
    j["ph"] = "X";
    j["ts"] = us(p.started_at);
    j["dur"] = std::max<std::int64_t>(0, us(end) - us(p.started_at));
    j["pid"] = kustomize ? kWorkersPid : kOtherControllersPid;
    j["tid"] = kustomize ? p.worker + 1 : static_cast<int>(p.controller) * 100 + p.worker + 1;
    Json args;
    args["controller"] = to_string(p.controller);
    args["pass"] = p.number;
    if (p.attempt > 0) args["attempt"] = p.attempt;
    args["outcome"] = to_string(p.outcome);
    if (!p.reason.empty()) args["reason"] = p.reason;
    if (!p.message.empty()) args["message"] = p.message;
    if (p.queued_at != kNever && p.queued_at < p.started_at) args["waitedForWorkerMs"] = to_ms(p.started_at) - to_ms(p.queued_at);
    if (p.requeue_after.count() > 0) args["requeueAfterMs"] = p.requeue_after.count();
    j["args"] = std::move(args);
    events.push_back(std::move(j));
  }
  if (other_controllers) events.push_back(metadata("process_name", kOtherControllersPid, -1, {{"name", "other controllers"}}));

  // The phases of each Kustomization on its own track.
  for (std::size_t k : order) {
    for (const PhaseSpan& s : timeline(r, k)) {
      Json j;
      j["name"] = to_string(s.phase);
      j["cat"] = "phase";
      j["ph"] = "X";
      j["ts"] = us(s.from);
      j["dur"] = us(s.to) - us(s.from);
      j["pid"] = kKustomizationsPid;
      j["tid"] = static_cast<int>(k) + 1;
      if (s.pass >= 0) j["args"] = Json{{"pass", r.passes[static_cast<std::size_t>(s.pass)].number}};
      events.push_back(std::move(j));
    }
  }

  // Moments: kinds appearing, controller restarts, everything Ready.
  for (const TraceEvent& e : r.events) {
    if (e.type != TraceType::KindRegistered && e.type != TraceType::ControllerRestarted) continue;
    Json j;
    j["name"] = e.type == TraceType::KindRegistered ? "kind served: " + e.message : std::string("kustomize-controller restarted");
    j["cat"] = "moment";
    j["ph"] = "i";
    j["s"] = "g";
    j["ts"] = us(e.at);
    j["pid"] = kKustomizationsPid;
    j["tid"] = 0;
    events.push_back(std::move(j));
  }
  if (r.all_ready) {
    Json j;
    j["name"] = "all Kustomizations Ready";
    j["cat"] = "moment";
    j["ph"] = "i";
    j["s"] = "g";
    j["ts"] = us(r.time_to_ready);
    j["pid"] = kKustomizationsPid;
    j["tid"] = 0;
    events.push_back(std::move(j));
  }

  Json doc;
  doc["displayTimeUnit"] = "ms";
  doc["otherData"] = {{"fluxsimVersion", kVersion}, {"scenario", report.scenario.name}, {"seed", r.seed}};
  doc["traceEvents"] = std::move(events);
  os << doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace fluxsim
