// SPDX-License-Identifier: Apache-2.0
// The event loop of one run, restarts and the result (run.h).
#include <algorithm>

#include <fmt/format.h>

#include "flux/defaults.h"
#include "flux/dependencies.h"
#include "sim/run.h"

namespace fluxsim::sim {

Run::Run(std::shared_ptr<const Plan> plan, const EngineOptions& options)
    : plan_ptr_(std::move(plan)),
      plan_(*plan_ptr_),
      world_(plan_.world),
      scenario_(plan_.scenario),
      kc_(plan_.scenario.controllers.kustomize),
      options_(options),
      horizon_(SimTime{plan_.scenario.horizon}) {
  result_.plan = plan_ptr_;
  const std::uint64_t seed = scenario_.seed;
  objs_.resize(plan_.objects.size());
  kind_at_.assign(plan_.kinds.size(), kNever);
  for (std::size_t i = 0; i < plan_.kinds.size(); ++i)
    if (plan_.kinds[i].assumed) kind_at_[i] = SimTime{};
  ns_at_.assign(plan_.namespaces.size(), kNever);
  for (std::size_t i = 0; i < plan_.namespaces.size(); ++i)
    if (plan_.namespaces[i].assumed) ns_at_[i] = SimTime{};
  ks_.resize(plan_.ks.size());
  for (std::size_t k = 0; k < ks_.size(); ++k) {
    const std::uint64_t key = plan_.ks[k].key;
    ks_[k].build_rng = Rng::stream(seed, options_.run, key ^ stable_hash("build"));
    ks_[k].apply_rng = Rng::stream(seed, options_.run, key ^ stable_hash("apply"));
    ks_[k].jitter_rng = Rng::stream(seed, options_.run, key ^ stable_hash("jitter"));
    ks_[k].fail_applies_left = plan_.ks[k].fail_applies;
  }
  src_.resize(plan_.sources.size());
  for (std::size_t s = 0; s < src_.size(); ++s)
    src_[s].fetch_rng = Rng::stream(seed, options_.run, plan_.sources[s].key ^ stable_hash("fetch"));
  hr_.resize(plan_.hrs.size());
  for (std::size_t h = 0; h < hr_.size(); ++h) {
    hr_[h].install_rng = Rng::stream(seed, options_.run, plan_.hrs[h].key ^ stable_hash("install"));
    hr_[h].jitter_rng = Rng::stream(seed, options_.run, plan_.hrs[h].key ^ stable_hash("jitter"));
  }
  hpool_.controller = Controller::Helm;
  hpool_.label = "helm-controller";
  hpool_.queue = WorkQueue(hr_.size());
  hpool_.busy.assign(static_cast<std::size_t>(std::max(1, scenario_.controllers.helm.concurrent)), false);
  kpool_.controller = Controller::Kustomize;
  kpool_.label = "kustomize-controller";
  kpool_.queue = WorkQueue(ks_.size());
  kpool_.busy.assign(static_cast<std::size_t>(std::max(1, kc_.concurrent)), false);
  for (std::size_t p = 0; p < plan_.source_pools.size(); ++p) {
    Pool pool;
    pool.controller = Controller::Source;
    pool.label = "source-controller " + plan_.source_pools[p];
    pool.queue = WorkQueue(src_.size());
    pool.busy.assign(static_cast<std::size_t>(std::max(1, scenario_.controllers.source.concurrent)), false);
    spools_.push_back(std::move(pool));
  }
  // Every scheduled input of the scenario is a time before which the run cannot settle.
  for (const Fault& f : scenario_.faults) {
    switch (f.type) {
      case Fault::Type::ReadyAt:
      case Fault::Type::FailedAt:
      case Fault::Type::ControllerRestart: input_at(f.at); break;
      case Fault::Type::SourceUnavailable: input_at(max_time(f.from, f.until)); break;
      case Fault::Type::NeverReady:
      case Fault::Type::FailApplies: break;
    }
  }
  result_.seed = seed;
  result_.run = options_.run;
  result_.horizon = horizon_;
}

// ----- queries ---------------------------------------------------------------------------------------

Run::Status Run::status(ObjId id, SimTime now) const {
  const Plan::Obj& o = plan_.objects[id];
  switch (o.cls) {
    case ReadinessClass::Kustomization:
      if (o.link != kNone) {
        const KsState& k = ks_[static_cast<std::size_t>(o.link)];
        if (!k.exists) return Status::NotFound;
        if (k.stalled) return Status::Failed;  // Stalled=True (invalid readyExpr): a waiting parent fails fast
        // kstatus generic rules: observedGeneration must match, Reconciling=True is InProgress, and
        // Ready=True is Current; a failing Kustomization is InProgress, never Failed (it is not Stalled).
        if (k.ready == Ready::True && k.observed && !k.reconciling) return Status::Current;
        return Status::InProgress;
      }
      break;
    case ReadinessClass::Source:
      if (o.link != kNone) {
        const SourceState& s = src_[static_cast<std::size_t>(o.link)];
        if (!s.exists) return Status::NotFound;
        // An OCI HelmRepository is Ready with no artifact (§11).
        return s.artifact || plan_.sources[static_cast<std::size_t>(o.link)].static_repository ? Status::Current
                                                                                               : Status::InProgress;
      }
      break;
    case ReadinessClass::HelmRelease:
      if (o.link != kNone) {
        const HrState& h = hr_[static_cast<std::size_t>(o.link)];
        if (!h.exists) return Status::NotFound;
        if (h.stalled) return Status::Failed;  // Stalled=True: kstatus Failed, a waiting parent fails fast
        if (h.ready == Ready::True && h.observed && !h.reconciling) return Status::Current;
        return Status::InProgress;
      }
      break;
    default: break;
  }
  const ObjState& st = objs_[id];
  if (st.created_at > now) return Status::NotFound;
  if (st.failed_at <= now) return Status::Failed;
  if (st.current_at <= now) return Status::Current;
  return Status::InProgress;
}

bool Run::dependency_ready(std::size_t k, std::int32_t dep) const {
  if (dep == kNone) return false;
  const KsState& d = ks_[static_cast<std::size_t>(dep)];
  const std::int32_t src = plan_.ks[k].source;
  flux::DependencyView view;
  view.exists = d.exists;
  view.has_conditions = d.ready != Ready::None;
  view.observed = d.observed;
  view.ready = d.ready == Ready::True;
  view.same_source_stale = src != kNone && plan_.ks[static_cast<std::size_t>(dep)].source == src &&
                           d.last_applied != src_[static_cast<std::size_t>(src)].revision;
  return flux::kustomization_dependency_ready(view);
}

bool Run::source_exists(std::int32_t src, SimTime) const { return src != kNone && src_[static_cast<std::size_t>(src)].exists; }

// ----- mechanics -------------------------------------------------------------------------------------

void Run::enqueue(Pool& pool, std::uint32_t item, SimTime now, Duration after, int priority) {
  // A process waiting for the leader lease has no watches and no queue yet (§11): the event is lost.
  if (now < leads_at(pool.controller)) return;
  pool.queue.add(item, now, after, priority);
  // A delayed entry needs an instant at which dispatch runs; stale wake-ups are harmless.
  if (after.count() > 0) schedule(now + after, EventPriority::Wakeup, Event{Ev::Wake, 0});
}

void Run::dispatch(SimTime now) {
  // Source controllers first: an artifact stored at this instant is visible to a pass starting now.
  for (Pool& pool : spools_) {
    while (pool.has_free()) {
      std::optional<WorkQueue::Popped> item = pool.queue.pop_ready(now);
      if (!item) break;
      start_fetch(item->item, pool.take(now), now);
    }
  }
  while (!stop_ && kpool_.has_free()) {
    std::optional<WorkQueue::Popped> item = kpool_.queue.pop_ready(now);
    if (!item) break;
    start_pass(item->item, kpool_.take(now), now, item->due);
  }
  while (!stop_ && hpool_.has_free()) {
    std::optional<WorkQueue::Popped> item = hpool_.queue.pop_ready(now);
    if (!item) break;
    start_helm_pass(item->item, hpool_.take(now), now, item->due);
  }
}

void Run::create_object(ObjId id, SimTime at, const Distribution* rule, std::int32_t) {
  ObjState& st = objs_[id];
  if (st.created_at <= at) return;  // exists already (or is created earlier by another pass)
  const Plan::Obj& o = plan_.objects[id];
  const bool first = st.created_at == kNever;
  st.created_at = at;
  if (first) {
    // One sample per object and run, from the object's own stream: independent of who applies it
    // and of how many other objects exist.
    Rng rng = Rng::stream(scenario_.seed, options_.run, o.key);
    Duration delay = o.preinstalled ? Duration{0} : (rule ? rule : o.ready)->sample(rng);
    st.current_at = at + delay;
  } else {
    st.current_at = at + (st.current_at - st.created_at);
  }
  if (o.never_ready) st.current_at = kNever;
  if (st.current_at != kNever) st.current_at = max_time(st.current_at, o.not_before);
  if (o.failed_at != kNever) {
    // failedAt: the rollout never completes (ProgressDeadlineExceeded, Stalled): InProgress until
    // `at`, Failed from then on.
    st.failed_at = max_time(o.failed_at, at);
    st.current_at = kNever;
  }
  if (o.defines_namespace != kNone) {
    SimTime& ns = ns_at_[static_cast<std::size_t>(o.defines_namespace)];
    ns = min_time(ns, at);
  }
  // A status change ahead (Current, or Failed) can flip a health check or register a kind.
  input_at(st.current_at);
  input_at(st.failed_at);
  if (st.current_at != kNever) {
    if (o.defines_kind != kNone) serve_kind(o.defines_kind, st.current_at);
    for (std::int32_t kid : o.provides) serve_kind(kid, st.current_at);
    for (ObjId made : o.creates) create_object(made, st.current_at, nullptr, kNone);  // provides.objects
  }
}

TraceEvent Run::source_event(SimTime at, TraceType type, std::size_t s, std::int64_t value, Reason reason,
                             Message message) const {
  const Plan::Src& plan = plan_.sources[s];
  const bool chart = s >= world_.sources.size();
  TraceEvent e =
      event(at, type, Controller::Source, static_cast<std::int32_t>(chart ? plan.chart_of : static_cast<std::int32_t>(s)), kNone,
            kNone, value, reason, message);
  e.helm_chart = chart;
  return e;
}

void Run::serve_kind(std::int32_t kind, SimTime at) {
  SimTime& k = kind_at_[static_cast<std::size_t>(kind)];
  if (at >= k) return;
  k = at;
  if (options_.record) schedule(at, EventPriority::StateChange, Event{Ev::KindServed, static_cast<std::uint32_t>(kind)});
}

// ----- controller restarts ---------------------------------------------------------------------------

// A restart loses the passes in flight and the queue. The new process lists every object (start-up
// list events: low priority) once it holds the leader lease (flux-semantics.md §11): at once after a
// graceful shutdown, which releases the lease; after a crash, only when the old lease has expired:
// --leader-election-lease-duration (35s) after the new process first reads it, i.e. after the crash
// (the old leader renewed it at most a retry period before). Until then the controller watches
// nothing: events for its objects are lost, and the start-up list covers them.
void Run::restart(const Fault& fault, SimTime now) {
  const std::string& c = fault.controller;
  const Controller controller = c == "helm" ? Controller::Helm : c == "source" ? Controller::Source : Controller::Kustomize;
  const Duration wait = fault.graceful ? Duration{0} : flux::kLeaseDuration;
  Message told =
      msg(fault.graceful ? MessageKind::ControllerRestartedGracefully : MessageKind::ControllerCrashed, -1, -1, -1, wait.count());
  told.controller = static_cast<std::uint8_t>(controller);
  trace(event(now, TraceType::ControllerRestarted, controller, kNone, kNone, kNone, wait.count(),
              fault.graceful ? Reason::GracefulRestart : Reason::Crash, told));
  if (controller == Controller::Kustomize) {
    for (std::size_t k = 0; k < ks_.size(); ++k) {
      KsState& st = ks_[k];
      if (!st.in_pass) continue;
      st.pass.ended_at = now;
      st.pass.outcome = PassOutcome::Interrupted;
      st.pass.reason = st.reason;
      st.pass.message = msg(MessageKind::LostToRestart);
      if (options_.record) result_.passes.push_back(st.pass);
      st.in_pass = false;
      st.phase = Phase::Idle;
      ++st.token;
      kpool_.release(now, st.worker);
      st.worker = kNone;
    }
    kpool_.queue.clear();
  } else if (controller == Controller::Helm) {
    for (std::size_t h = 0; h < hr_.size(); ++h) {
      HrState& st = hr_[h];
      if (!st.in_pass) continue;
      st.pass.ended_at = now;
      st.pass.outcome = PassOutcome::Interrupted;
      st.pass.message = msg(MessageKind::LostToRestart);
      if (options_.record) result_.passes.push_back(st.pass);
      st.in_pass = false;
      ++st.token;
      hpool_.release(now, st.worker);
      st.worker = kNone;
    }
    hpool_.queue.clear();
  } else {
    for (std::size_t s = 0; s < src_.size(); ++s) {
      SourceState& st = src_[s];
      if (!st.in_pass) continue;
      st.in_pass = false;
      ++st.token;
      spools_[static_cast<std::size_t>(plan_.sources[s].pool)].release(now, st.worker);
      st.worker = kNone;
    }
    for (Pool& pool : spools_) pool.queue.clear();
  }
  leads_at(controller) = now + wait;
  input_at(now + wait);  // the new process's listing lies ahead: the run cannot settle before it
  if (wait.count() == 0) {
    lead(fault, now);
  } else {
    for (std::size_t i = 0; i < plan_.restarts.size(); ++i)
      if (plan_.restarts[i] == &fault)
        schedule(now + wait, EventPriority::StateChange, Event{Ev::Restart, static_cast<std::uint32_t>(i), 1});
  }
}

void Run::lead(const Fault& fault, SimTime now) {
  const std::string& c = fault.controller;
  const Controller controller = c == "helm" ? Controller::Helm : c == "source" ? Controller::Source : Controller::Kustomize;
  if (leads_at(controller) != now) return;  // a later restart of the same controller took over
  if (!fault.graceful) {
    Message told = msg(MessageKind::LeaderElected);
    told.controller = static_cast<std::uint8_t>(controller);
    trace(event(now, TraceType::ControllerRestarted, controller, kNone, kNone, kNone, 0, Reason::LeaderElected, told));
  }
  if (controller == Controller::Kustomize) {
    for (std::size_t k = 0; k < ks_.size(); ++k)
      if (ks_[k].exists) enqueue(kpool_, static_cast<std::uint32_t>(k), now, Duration{0}, WorkQueue::kLowPriority);
  } else if (controller == Controller::Helm) {
    for (std::size_t h = 0; h < hr_.size(); ++h)
      if (hr_[h].exists && !hr_[h].stalled)
        enqueue(hpool_, static_cast<std::uint32_t>(h), now, Duration{0}, WorkQueue::kLowPriority);
  } else {
    for (std::size_t s = 0; s < src_.size(); ++s)
      if (src_[s].exists)
        enqueue(spools_[static_cast<std::size_t>(plan_.sources[s].pool)], static_cast<std::uint32_t>(s), now, Duration{0},
                WorkQueue::kLowPriority);
  }
}

// ----- the loop --------------------------------------------------------------------------------------

void Run::handle(const Event& e, SimTime now) {
  if (e.type == Ev::KsCreate || e.type == Ev::SourceCreate || e.type == Ev::HrCreate) --pending_creates_;
  switch (e.type) {
    case Ev::KsStep:
      if (ks_[e.id].in_pass && ks_[e.id].token == e.token) continue_pass(e.id, now);
      break;
    case Ev::KsCreate: create_kustomization(e.id, now, e.arg); break;
    case Ev::SourceCreate: create_source(e.id, now); break;
    case Ev::SourceStep:
      if (src_[e.id].in_pass && src_[e.id].token == e.token) finish_fetch(e.id, now);
      break;
    case Ev::Wake: break;
    case Ev::KindServed:
      if (kind_at_[e.id] == now)
        trace(event(now, TraceType::KindRegistered, Controller::Kustomize, kNone, kNone, kNone, 0, Reason::None,
                    msg(MessageKind::KindServed, static_cast<std::int32_t>(e.id))));
      break;
    case Ev::Restart:
      if (e.arg == 1)
        lead(*plan_.restarts[e.id], now);
      else
        restart(*plan_.restarts[e.id], now);
      break;
    case Ev::HrCreate: create_helm_release(e.id, now, e.arg); break;
    case Ev::HrStep:
      if (hr_[e.id].in_pass && hr_[e.id].token == e.token) finish_helm_action(e.id, now, e.arg == 1);
      break;
  }
}

RunResult Run::execute() {
  const SimTime zero{};
  // Bootstrap: flux bootstrap has installed the controllers (preinstalled objects), created the
  // sources it syncs from and the root Kustomization.
  for (ObjId id = 0; id < plan_.objects.size(); ++id)
    if (plan_.objects[id].preinstalled) create_object(id, zero, nullptr, kNone);
  // Sources bootstrap creates are new objects to source-controller like any other (§1 step 3, §11): the
  // first reconcile only adds the finalizer and requeues after --min-retry-delay, then fetches.
  for (std::size_t s = 0; s < world_.sources.size(); ++s)
    if (world_.sources[s].exists_at_start) create_source(s, zero);
  for (std::size_t i = 0; i < plan_.restarts.size(); ++i)
    schedule(plan_.restarts[i]->at, EventPriority::StateChange, Event{Ev::Restart, static_cast<std::uint32_t>(i)});
  if (!ks_.empty()) create_kustomization(0, zero, kNone);

  SimTime now = zero;
  dispatch(now);
  while (!stop_ && !calendar_.empty()) {
    if (calendar_.top().at > horizon_) break;
    now = calendar_.top().at;
    while (!stop_ && !calendar_.empty() && calendar_.top().at == now) {
      Event e = calendar_.pop().payload;
      ++result_.simulated_events;
      handle(e, now);
    }
    dispatch(now);
    if (!stop_ && !options_.run_to_horizon && settled(now)) {
      result_.settled = true;
      stop_ = true;
    }
  }
  finish(stop_ ? now : horizon_);
  return std::move(result_);
}

bool Run::settled(SimTime now) const {
  if (now < quiet_from_ || pending_creates_ > 0 || ks_.empty() || ready_count_ != ks_.size() + hr_.size()) return false;
  if (kpool_.busy_count > 0 || hpool_.busy_count > 0) return false;
  for (const Pool& pool : spools_)
    if (pool.busy_count > 0) return false;
  // Each Kustomization's next passes re-apply what is there and find it Current: Ready stays True.
  for (std::size_t k = 0; k < ks_.size(); ++k) {
    const KsState& st = ks_[k];
    if (!st.exists || st.ready != Ready::True || !st.observed || st.reconciling || st.in_pass || st.fail_applies_left > 0)
      return false;
    const std::int32_t src = plan_.ks[k].source;
    if (src != kNone && st.last_applied != src_[static_cast<std::size_t>(src)].revision) return false;
  }
  for (const HrState& st : hr_)
    if (!st.exists || st.ready != Ready::True || !st.observed || st.reconciling || st.stalled || st.in_pass) return false;
  // A source still without an artifact could store its first one later (RunResult::source_ready_at).
  for (const SourceState& st : src_)
    if (st.exists && (!st.artifact || st.in_pass)) return false;
  return true;
}

void Run::finish(SimTime end) {
  result_.ended_at = end;
  for (std::size_t k = 0; k < ks_.size(); ++k) {
    KsState& st = ks_[k];
    if (st.in_pass && options_.record) {
      st.pass.outcome = PassOutcome::Running;
      result_.passes.push_back(st.pass);
    }
  }
  result_.kustomizations.resize(ks_.size());
  SimTime last_ready{};
  bool all_ready = !ks_.empty();
  for (std::size_t k = 0; k < ks_.size(); ++k) {
    KsState& st = ks_[k];
    KustomizationSummary& out = result_.kustomizations[k];
    out = st.summary;
    out.passes = st.passes;
    out.attempts = st.summary.ready_at != kNever ? st.attempts_at_ready : st.attempts;
    if (!st.exists) {
      out.status = ReadyStatus::Unknown;
      out.reason = Reason::NotCreated;
      out.message = msg(MessageKind::NeverCreated, static_cast<std::int32_t>(k));
    } else {
      out.status = st.ready == Ready::True    ? ReadyStatus::True
                   : st.ready == Ready::False ? ReadyStatus::False
                                              : ReadyStatus::Unknown;
      out.reason = st.ready == Ready::None ? Reason::None : st.reason;
      out.message = st.message;
      if (st.ready == Ready::None) out.message = msg(MessageKind::WaitingFirstReconcile);
    }
    if (st.summary.ready_at == kNever)
      all_ready = false;
    else
      last_ready = max_time(last_ready, st.summary.ready_at);
  }
  result_.helm_ready_at.assign(world_.helm_releases.size(), kNever);
  for (std::size_t h = 0; h < hr_.size(); ++h) {
    result_.helm_ready_at[h] = hr_[h].ready_at;
    if (hr_[h].ready_at == kNever)
      all_ready = false;
    else
      last_ready = max_time(last_ready, hr_[h].ready_at);
    if (hr_[h].in_pass && options_.record) {
      hr_[h].pass.outcome = PassOutcome::Running;
      result_.passes.push_back(hr_[h].pass);
    }
  }
  result_.all_ready = all_ready;
  result_.time_to_ready = all_ready ? last_ready : kNever;
  result_.source_ready_at.resize(world_.sources.size());
  for (std::size_t s = 0; s < world_.sources.size(); ++s) result_.source_ready_at[s] = src_[s].first_artifact;
  if (options_.record) {
    std::stable_sort(result_.passes.begin(), result_.passes.end(),
                     [](const PassRecord& a, const PassRecord& b) { return a.started_at < b.started_at; });
    // Longest queue: the most passes that were due but waiting for a worker at one instant.
    std::vector<std::pair<SimTime, int>> sweep;
    for (const PassRecord& p : result_.passes) {
      if (p.controller != Controller::Kustomize || p.queued_at >= p.started_at) continue;
      sweep.push_back({p.queued_at, +1});
      sweep.push_back({p.started_at, -1});
    }
    std::sort(sweep.begin(), sweep.end());
    int waiting = 0;
    std::size_t until_ready = 0;
    for (const auto& [t, d] : sweep) {
      waiting += d;
      const auto depth = static_cast<std::size_t>(std::max(waiting, 0));
      kpool_.max_depth = std::max(kpool_.max_depth, depth);
      if (t < result_.time_to_ready) until_ready = std::max(until_ready, depth);
    }
    if (!result_.workers_until_ready.empty()) result_.workers_until_ready[0].max_queue_depth = until_ready;
  }
  snapshot_usage(result_.workers, end);
}

void Run::snapshot_usage(std::vector<WorkerUsage>& out, SimTime end) {
  out.clear();
  auto usage = [&](Pool& pool) {
    pool.account(end);
    WorkerUsage u;
    u.controller = pool.controller;
    u.pool = pool.label;
    u.workers = static_cast<int>(pool.busy.size());
    u.busy = pool.busy_time;
    u.end = end;
    u.saturated = pool.saturated;
    u.max_queue_depth = pool.max_depth;
    return u;
  };
  out.push_back(usage(kpool_));
  if (!hr_.empty()) out.push_back(usage(hpool_));
  for (Pool& pool : spools_) out.push_back(usage(pool));
}

flux::StatusView Run::ready_view(Ready ready, Reason reason, const Message& msg, std::string& message) const {
  flux::StatusView v;
  switch (ready) {
    case Ready::True: v.ready = flux::StatusView::Condition::True; break;
    case Ready::False: v.ready = flux::StatusView::Condition::False; break;
    case Ready::Unknown: v.ready = flux::StatusView::Condition::Unknown; break;
    case Ready::None: break;
  }
  v.reason = to_string(reason);
  message = fluxsim::message(world_, result_, msg);
  v.message = message;
  return v;
}

}  // namespace fluxsim::sim
