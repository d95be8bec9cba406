// SPDX-License-Identifier: Apache-2.0
// One run: the event loop over a compiled Plan. Each controller's reconcile step is in its own file
// (kustomize_controller.cc, helm_controller.cc, source_controller.cc): a pure transition decides, the
// Run applies what it decided (state, trace, queue, calendar). run.cc has the loop, restarts and the
// result.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "fluxsim/engine.h"
#include "sim/event_queue.h"
#include "sim/helm_controller.h"
#include "sim/kustomize_controller.h"
#include "sim/plan.h"
#include "sim/source_controller.h"
#include "sim/state.h"

namespace fluxsim::sim {

class Run {
 public:
  Run(std::shared_ptr<const Plan> plan, const EngineOptions& options);
  RunResult execute();

 private:
  // --- state queries -------------------------------------------------------------------------------
  enum class Status { NotFound, InProgress, Current, Failed };
  Status status(ObjId id, SimTime now) const;
  bool kind_served(std::int32_t kind, SimTime now) const { return kind_at_[static_cast<std::size_t>(kind)] <= now; }
  bool namespace_exists(std::int32_t ns, SimTime now) const { return ns == kNone || ns_at_[static_cast<std::size_t>(ns)] <= now; }
  bool dependency_ready(std::size_t k, std::int32_t dep) const;
  bool source_exists(std::int32_t src, SimTime now) const;

  // --- mechanics ------------------------------------------------------------------------------------
  void schedule(SimTime at, EventPriority prio, Event e) {
    if (at > horizon_) return;
    if (e.type == Ev::KsCreate || e.type == Ev::SourceCreate || e.type == Ev::HrCreate) ++pending_creates_;
    calendar_.push(at, prio, e);
  }
  void trace(TraceEvent e) {
    if (!options_.record) return;
    if (options_.on_event) options_.on_event(e, result_);
    if (options_.keep_events) result_.events.push_back(std::move(e));
  }
  static TraceEvent event(SimTime at, TraceType type, Controller controller, std::int32_t subject, std::int32_t other = kNone,
                          std::int32_t worker = kNone, std::int64_t value = 0, Reason reason = Reason::None,
                          Message message = {}) {
    return TraceEvent{at, type, controller, reason, false, subject, other, worker, value, message};
  }
  // Messages (trace.h MessageKind): their arguments only; src/trace.cc words them for reports.
  static Message msg(MessageKind kind, std::int32_t a = -1, std::int32_t b = -1, std::int32_t c = -1, std::int64_t n = 0,
                     std::uint8_t flag = 0) {
    Message m;
    m.kind = kind;
    m.a = a;
    m.b = b;
    m.c = c;
    m.n = n;
    m.flag = flag;
    return m;
  }
  // The objects of `objs` that are not Current at `now` (only the Failed ones with `failed_only`), as
  // (object, status) pairs appended to RunResult::message_args; sets m.c (offset) and m.b (count).
  template <typename Objs>
  void object_statuses(Message& m, const Objs& objs, SimTime now, bool failed_only = false);
  // A text CEL computed (a readyExpr's verdict), kept once in RunResult::texts.
  Message text(const std::string& s) {
    if (result_.texts.empty() || result_.texts.back() != s) result_.texts.push_back(s);
    return msg(MessageKind::Text, static_cast<std::int32_t>(result_.texts.size() - 1));
  }
  void enqueue(Pool& pool, std::uint32_t item, SimTime now, Duration after = Duration{0}, int priority = 0);
  void dispatch(SimTime now);
  void create_object(ObjId id, SimTime at, const Distribution* rule, std::int32_t by);
  void serve_kind(std::int32_t kind, SimTime at);

  // --- kustomize-controller -------------------------------------------------------------------------
  void create_kustomization(std::size_t k, SimTime now, std::int32_t parent);
  kustomize::Context ks_context(std::size_t k) const;
  void start_pass(std::size_t k, std::int32_t worker, SimTime now, SimTime due);
  void not_ready(std::size_t k, const kustomize::Effect& effect, int unready_dependency, SimTime now,
                 const flux::DependencyCheck* check = nullptr);
  // dependsOn[].readyExpr (kustomize_controller.cc, helm_controller.cc).
  bool ks_dependency_ready(std::size_t k, std::size_t i, flux::DependencyCheck& check) const;
  // What a dependency check reads of an object's Ready condition (both kinds); `message` holds its text.
  flux::StatusView ready_view(Ready ready, Reason reason, const Message& msg, std::string& message) const;
  flux::StatusView ks_status_view(std::size_t k, std::string& message) const;  // `message` holds the view's text
  bool hr_dependency_ready(std::size_t h, std::size_t i, flux::DependencyCheck& check) const;
  flux::StatusView hr_status_view(std::size_t h, bool self, std::string& message) const;
  void start_build(std::size_t k, SimTime now);
  void continue_pass(std::size_t k, SimTime now);
  void built(std::size_t k, SimTime now);
  void run_stage(std::size_t k, int stage, SimTime now);
  void poll_stage(std::size_t k, SimTime now);
  void start_health(std::size_t k, SimTime now);
  void poll_health(std::size_t k, SimTime now);
  void succeed(std::size_t k, SimTime now, const kustomize::Effect& effect);
  void fail(std::size_t k, SimTime now, const kustomize::Effect& effect, Reason reason, Message message);
  void end_pass(std::size_t k, SimTime now, Duration requeue, PassOutcome outcome);
  void set_ready(std::size_t k, Ready r, Reason reason, Message message);
  // Next moment a wait over `objs` can change its verdict: kNever when only the deadline can end it.
  SimTime next_change(const std::vector<ObjId>& objs, SimTime now, bool* dynamic) const;

  // --- source-controller ----------------------------------------------------------------------------
  void create_source(std::size_t s, SimTime now);
  void start_fetch(std::size_t s, std::int32_t worker, SimTime now);
  void handle(const Event& e, SimTime now);
  void finish(SimTime end);
  void snapshot_usage(std::vector<WorkerUsage>& out, SimTime end);
  void finish_fetch(std::size_t s, SimTime now);
  void store_first_artifact(std::size_t s, SimTime now);
  // A source-controller event about engine source `s`, in the trace's subject space: a World source by
  // its index, a HelmChart by its HelmRelease's index (TraceEvent::helm_chart).
  TraceEvent source_event(SimTime at, TraceType type, std::size_t s, std::int64_t value = 0, Reason reason = Reason::None,
                          Message message = {}) const;
  bool in_outage(std::size_t s, SimTime t) const;

  // --- helm-controller ------------------------------------------------------------------------------
  void create_helm_release(std::size_t h, SimTime now, std::int32_t parent);
  helm::Context helm_context(std::size_t h) const;
  Duration helm_requeue(std::size_t h, const helm::Effect& effect);
  void start_helm_pass(std::size_t h, std::int32_t worker, SimTime now, SimTime due);
  void start_install(std::size_t h, SimTime now);
  void finish_helm_action(std::size_t h, SimTime now, bool success);
  void end_helm_pass(std::size_t h, SimTime now, const helm::Effect& effect);
  bool helm_release_ready(std::int32_t h) const;
  // The World source behind engine source `chart`: itself (an OCIRepository), or a HelmChart's repository.
  std::int32_t world_source_of_chart(std::int32_t chart) const {
    if (static_cast<std::size_t>(chart) < world_.sources.size()) return chart;
    return plan_.sources[static_cast<std::size_t>(chart)].repo;
  }

  void restart(const Fault& fault, SimTime now);
  // Leader election (flux-semantics.md §11): after a crash the new process of a controller watches and
  // reconciles nothing until it holds the lease; `lead` lists every object of that controller then.
  void lead(const Fault& fault, SimTime now);
  SimTime& leads_at(Controller c) { return leads_at_[static_cast<std::size_t>(c)]; }
  std::array<SimTime, 3> leads_at_{};  // per Controller: when its current process holds the lease

  // --- the end of the run ---------------------------------------------------------------------------
  // True when nothing later can change a reported figure (RunResult::settled): every Kustomization and
  // HelmRelease Ready with no pass in flight, every existing source stored, no worker busy, no creation
  // pending, and now at or past quiet_from_ (no fault, restart, outage or object status change ahead).
  bool settled(SimTime now) const;
  // Note a time at which an input changes something (a fault's instant, an object becoming Current or
  // Failed): the run cannot settle before it, and may settle at it (a wake-up there lets the loop look).
  void input_at(SimTime t) {
    if (t == kNever || t <= quiet_from_) return;
    quiet_from_ = t;
    schedule(t, EventPriority::Wakeup, Event{Ev::Wake, 0});
  }
  SimTime quiet_from_{};
  std::size_t pending_creates_ = 0;  // KsCreate/SourceCreate/HrCreate events in the calendar

  std::shared_ptr<const Plan> plan_ptr_;
  const Plan& plan_;
  const World& world_;
  const Scenario& scenario_;
  const KustomizeControllerSettings& kc_;
  EngineOptions options_;
  SimTime horizon_;
  EventQueue<Event> calendar_;
  std::vector<ObjState> objs_;
  std::vector<SimTime> kind_at_;
  std::vector<SimTime> ns_at_;
  std::vector<KsState> ks_;
  std::vector<SourceState> src_;
  Pool kpool_;
  Pool hpool_;
  std::vector<Pool> spools_;
  std::vector<HrState> hr_;
  std::size_t ready_count_ = 0;  // Kustomizations and HelmReleases Ready at least once
  // Called when a Kustomization or HelmRelease is Ready for the first time: the headline (time to full
  // readiness) is the last of every Kustomization and HelmRelease becoming Ready.
  void count_ready(SimTime now) {
    ++ready_count_;
    if (ready_count_ != ks_.size() + hr_.size()) return;
    snapshot_usage(result_.workers_until_ready, now);
    if (options_.stop_when_all_ready) stop_ = true;
  }
  bool stop_ = false;
  RunResult result_;
};

}  // namespace fluxsim::sim
