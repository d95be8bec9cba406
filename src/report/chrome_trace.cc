// SPDX-License-Identifier: Apache-2.0
// The run as Chrome trace-event JSON (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU):
// one process per controller worker pool (kustomize-controller, helm-controller, each source-controller
// kind) with one named thread per worker, a complete ("X") event per pass and counter tracks for busy
// workers and queue depth; one process of Kustomizations with one named thread each (in ready order)
// holding its phases, failed phases carrying Flux's message. Flow events link a dependency's Ready to the
// dependent's first apply, and a parent's apply to the child it created. The trace frames the rollout
// (analysis.h: until the last Ready plus a margin), not the horizon. No slice has zero length (speedscope
// rejects them): an instant pass is an instant event. Timestamps are microseconds of simulated time.
// Opens in Perfetto (ui.perfetto.dev), chrome://tracing and speedscope.
#include <algorithm>
#include <map>
#include <ostream>

#include <nlohmann/json.hpp>

#include "fluxsim/analysis.h"
#include "fluxsim/report.h"
#include "fluxsim/version.h"
#include "json_text.h"

namespace fluxsim {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kKustomizationsPid = 1;
constexpr int kFirstPoolPid = 10;

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

std::string subject_name(const World& world, const std::vector<std::string>& names, const PassRecord& p) {
  const auto i = static_cast<std::size_t>(p.subject);
  if (p.subject < 0) return "?";
  switch (p.controller) {
    case Controller::Kustomize: return i < names.size() ? names[i] : "?";
    case Controller::Source: return i < world.sources.size() ? world.sources[i].ref.kind + "/" + world.sources[i].ref.name : "HelmChart";
    case Controller::Helm: return i < world.helm_releases.size() ? "HelmRelease/" + world.helm_releases[i].ref.name : "?";
  }
  return "?";
}

/// "kustomize-controller worker 3".
std::string fmt_worker(const std::string& pool, int w) { return pool + " worker " + std::to_string(w + 1); }

Json instant(std::string name, const char* cat, std::int64_t ts, int pid, int tid, const char* scope) {
  Json j;
  j["name"] = std::move(name);
  j["cat"] = cat;
  j["ph"] = "i";
  j["s"] = scope;
  j["ts"] = ts;
  j["pid"] = pid;
  j["tid"] = tid;
  return j;
}

// The traceEvents array written as it is built, one event at a time, instead of one tree of every
// event: the same bytes as dumping the whole document on one line (json_text(doc, -1)).
class EventStream {
 public:
  explicit EventStream(std::ostream& os) : os_(os) {}
  void push_back(const Json& event) {
    if (!first_) os_ << ',';
    first_ = false;
    os_ << json_text(event, -1);
  }

 private:
  std::ostream& os_;
  bool first_ = true;
};

}  // namespace

void write_chrome_trace(const RunReport& report, std::ostream& os) {
  const World& world = report.world;
  const RunResult& r = report.result;
  const RunAnalysis& analysis = report.analysis();
  const std::vector<std::string>& names = analysis.names;
  const std::int64_t frame = us(analysis.frame_end);
  // {"displayTimeUnit", "otherData", "traceEvents": [...]} in that order (an ordered_json document).
  const Json other = {{"fluxsimVersion", kVersion},
                      {"scenario", report.scenario.name},
                      {"seed", r.seed},
                      {"frameMs", to_ms(analysis.frame_end)},
                      {"runEndedMs", to_ms(r.ended_at)},
                      {"settled", r.settled},
                      {"coverage", coverage(r)}};
  os << "{\"displayTimeUnit\":\"ms\",\"otherData\":" << json_text(other, -1) << ",\"traceEvents\":[";
  EventStream events(os);

  // The worker pools: one process each, in the order the engine measured them.
  std::map<std::string, int> pool_pid;
  std::map<std::string, int> pool_workers;
  for (const WorkerUsage& u : r.workers) {
    if (pool_pid.count(u.pool)) continue;
    pool_pid[u.pool] = kFirstPoolPid + static_cast<int>(pool_pid.size());
    pool_workers[u.pool] = u.workers;
  }
  for (const PassRecord& p : r.passes) {
    const std::string pool = worker_pool(world, p);
    if (!pool_pid.count(pool)) pool_pid[pool] = kFirstPoolPid + static_cast<int>(pool_pid.size());
    pool_workers[pool] = std::max(pool_workers[pool], p.worker + 1);
  }
  for (const auto& [pool, pid] : pool_pid) {
    events.push_back(metadata("process_name", pid, -1, {{"name", pool}}));
    events.push_back(metadata("process_sort_index", pid, -1, {{"sort_index", pid}}));
    for (int w = 0; w < pool_workers[pool]; ++w) {
      events.push_back(metadata("thread_name", pid, w + 1, {{"name", fmt_worker(pool, w)}}));
      events.push_back(metadata("thread_sort_index", pid, w + 1, {{"sort_index", w + 1}}));
    }
    events.push_back(metadata("thread_name", pid, 0, {{"name", pool + " (moments)"}}));
  }
  events.push_back(metadata("process_name", kKustomizationsPid, -1, {{"name", "Kustomizations"}}));
  events.push_back(metadata("process_sort_index", kKustomizationsPid, -1, {{"sort_index", 1}}));
  events.push_back(metadata("thread_name", kKustomizationsPid, 0, {{"name", "moments"}}));
  for (std::size_t row = 0; row < analysis.order.size(); ++row) {
    const int tid = static_cast<int>(analysis.order[row]) + 1;
    events.push_back(metadata("thread_name", kKustomizationsPid, tid, {{"name", names[analysis.order[row]]}}));
    events.push_back(metadata("thread_sort_index", kKustomizationsPid, tid, {{"sort_index", row + 1}}));
  }

  // One complete event per pass, on the worker that ran it; counters of busy workers and queue depth.
  std::map<std::string, std::vector<std::pair<std::int64_t, int>>> busy, waiting;
  for (const PassRecord& p : r.passes) {
    if (p.started_at == kNever) continue;
    const std::int64_t start = us(p.started_at);
    if (start >= frame) continue;
    const std::int64_t end = std::min(us(p.ended_at == kNever ? r.ended_at : p.ended_at), frame);
    const std::string pool = worker_pool(world, p);
    const int pid = pool_pid[pool];
    Json args;
    args["controller"] = to_string(p.controller);
    args["pass"] = p.number;
    if (p.attempt > 0) args["attempt"] = p.attempt;
    args["outcome"] = to_string(p.outcome);
    if (p.reason != Reason::None) args["reason"] = to_string(p.reason);
    if (std::string m = message(world, r, p); !m.empty()) args["message"] = std::move(m);
    if (p.queued_at != kNever && p.queued_at < p.started_at) args["waitedForWorkerMs"] = to_ms(p.started_at) - to_ms(p.queued_at);
    if (p.requeue_after.count() > 0) args["requeueAfterMs"] = p.requeue_after.count();
    if (end > start) {
      Json j;
      j["name"] = subject_name(world, names, p);
      j["cat"] = "pass";
      j["ph"] = "X";
      j["ts"] = start;
      j["dur"] = end - start;
      j["pid"] = pid;
      j["tid"] = p.worker + 1;
      j["args"] = std::move(args);
      events.push_back(std::move(j));
      busy[pool].push_back({start, +1});
      busy[pool].push_back({end, -1});
    } else {
      Json j = instant(subject_name(world, names, p), "pass", start, pid, p.worker + 1, "t");
      j["args"] = std::move(args);
      events.push_back(std::move(j));
    }
    if (p.queued_at != kNever && p.queued_at < p.started_at) {
      waiting[pool].push_back({us(p.queued_at), +1});
      waiting[pool].push_back({start, -1});
    }
  }
  auto counters = [&](std::map<std::string, std::vector<std::pair<std::int64_t, int>>>& sweeps, const char* what) {
    for (auto& [pool, sweep] : sweeps) {
      std::sort(sweep.begin(), sweep.end());
      int level = 0;
      for (std::size_t i = 0; i < sweep.size(); ++i) {
        level += sweep[i].second;
        if (i + 1 < sweep.size() && sweep[i + 1].first == sweep[i].first) continue;  // one sample per instant
        Json j;
        j["name"] = pool + " " + what;
        j["ph"] = "C";
        j["ts"] = sweep[i].first;
        j["pid"] = pool_pid[pool];
        j["args"] = Json{{what, std::max(level, 0)}};
        events.push_back(std::move(j));
      }
    }
  };
  counters(busy, "busy workers");
  counters(waiting, "queue depth");

  // The phases of each Kustomization on its own track; failed phases carry what Flux said.
  for (std::size_t k : analysis.order) {
    for (const PhaseSpan& s : analysis.timelines[k]) {
      const std::int64_t from = us(s.from), to = std::min(us(s.to), frame);
      if (from >= frame || to <= from) continue;
      Json j;
      j["name"] = to_string(s.phase);
      j["cat"] = "phase";
      j["ph"] = "X";
      j["ts"] = from;
      j["dur"] = to - from;
      j["pid"] = kKustomizationsPid;
      j["tid"] = static_cast<int>(k) + 1;
      if (s.pass >= 0) {
        const PassRecord& p = r.passes[static_cast<std::size_t>(s.pass)];
        Json args{{"pass", p.number}};
        if (s.phase == Phase::Failed || s.phase == Phase::WaitingForDependency || s.phase == Phase::WaitingForSource) {
          if (p.reason != Reason::None) args["reason"] = to_string(p.reason);
          if (std::string m = message(world, r, p); !m.empty()) args["message"] = std::move(m);
        }
        j["args"] = std::move(args);
      }
      events.push_back(std::move(j));
    }
  }

  // Flows: a dependency's Ready releases the dependent's first apply; a parent's apply creates its child.
  // A flow starts inside the slice that ends at the releasing instant and ends at the slice it released.
  std::uint64_t flow = 0;
  auto add_flow = [&](const char* name, std::size_t from_k, std::int64_t from_ts, std::size_t to_k, std::int64_t to_ts) {
    if (from_ts <= 0 || from_ts >= frame || to_ts >= frame || to_ts < from_ts) return;
    ++flow;
    Json s;
    s["name"] = name;
    s["cat"] = "flow";
    s["ph"] = "s";
    s["id"] = flow;
    s["ts"] = from_ts - 1;
    s["pid"] = kKustomizationsPid;
    s["tid"] = static_cast<int>(from_k) + 1;
    events.push_back(std::move(s));
    Json f;
    f["name"] = name;
    f["cat"] = "flow";
    f["ph"] = "f";
    f["bp"] = "e";
    f["id"] = flow;
    f["ts"] = to_ts;
    f["pid"] = kKustomizationsPid;
    f["tid"] = static_cast<int>(to_k) + 1;
    events.push_back(std::move(f));
  };
  for (const GraphEdge& e : analysis.graph.edges()) {
    const KustomizationSummary& from = r.kustomizations[e.from];
    const KustomizationSummary& to = r.kustomizations[e.to];
    if (e.kind == EdgeKind::Parent) {
      if (to.created_at != kNever && to.parent == static_cast<std::int32_t>(e.from)) add_flow("applies", e.from, us(to.created_at), e.to, us(to.created_at));
    } else if (from.ready_at != kNever && to.first_applied_at != kNever) {
      // The dependent's first apply attempt that started after the dependency became Ready.
      for (const PhaseSpan& s : analysis.timelines[e.to])
        if (s.phase == Phase::Applying && s.from >= from.ready_at) {
          add_flow("dependsOn Ready", e.from, us(from.ready_at), e.to, us(s.from));
          break;
        }
    }
  }

  // Moments: kinds appearing, controller restarts, everything Ready.
  for (const TraceEvent& e : r.events) {
    if (e.type != TraceType::KindRegistered && e.type != TraceType::ControllerRestarted) continue;
    if (us(e.at) >= frame) continue;
    Json j = instant(e.type == TraceType::KindRegistered ? "kind served: " + message(world, r, e) : std::string(to_string(e.controller)) + "-controller restarted",
                     "moment", us(e.at), kKustomizationsPid, 0, "g");
    events.push_back(std::move(j));
  }
  if (r.all_ready) events.push_back(instant("all Kustomizations Ready", "moment", us(r.time_to_ready), kKustomizationsPid, 0, "g"));

  os << "]}\n";
}

}  // namespace fluxsim
