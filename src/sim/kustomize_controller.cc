// SPDX-License-Identifier: Apache-2.0
// kustomize-controller (flux-semantics.md §1, §2, §4, §6): the transitions of kustomize_controller.h,
// then the Run applying them.
#include "sim/kustomize_controller.h"

#include <algorithm>

#include <fmt/format.h>

#include "flux/apply.h"
#include "flux/defaults.h"
#include "flux/dependencies.h"
#include "sim/run.h"

namespace fluxsim::sim {

namespace kustomize {

namespace {
Effect end(Step step, PassOutcome outcome, Duration requeue) { return Effect{step, outcome, requeue, false}; }
Effect go_on(Step step) { return Effect{step}; }
}  // namespace

MessageKind requeue_reason(PassOutcome outcome) {
  switch (outcome) {
    case PassOutcome::Succeeded: return MessageKind::RequeueInterval;
    case PassOutcome::DependencyNotReady:
    case PassOutcome::ArtifactNotReady: return MessageKind::RequeueDependency;
    default: return MessageKind::RequeueRetry;
  }
}

Effect on_dequeue(const Dequeued& in, const Context& ctx) {
  // The first reconcile of a new object only adds the finalizer and asks for a rate-limited requeue.
  if (!in.finalized) return Effect{Step::AddFinalizer, PassOutcome::Running, ctx.settings.first_reconcile_delay};
  if (in.suspended) return end(Step::Suspended, PassOutcome::Suspended, Duration{0});
  if (!in.source_exists) return end(Step::SourceNotFound, PassOutcome::SourceNotFound, ctx.retry_interval);
  if (!in.artifact) return end(Step::ArtifactNotReady, PassOutcome::ArtifactNotReady, ctx.settings.requeue_dependency);
  // An invalid readyExpr is a terminal error: Stalled, nothing requeues it (§1 step 9, §2).
  if (in.unready_dependency >= 0)
    return end(Step::DependencyNotReady, PassOutcome::DependencyNotReady,
               in.dependency_stalled ? Duration{0} : ctx.settings.requeue_dependency);
  return go_on(Step::Build);
}

Effect on_built(const Built& in, const Context& ctx) {
  if (in.build_failure || in.source_unmapped) return end(Step::BuildFailed, PassOutcome::BuildFailed, ctx.retry_interval);
  if (in.fail_applies_left > 0) return end(Step::ApplyFailed, PassOutcome::ApplyFailed, ctx.retry_interval);
  return go_on(Step::ApplyStage);
}

Effect on_dry_run(bool every_object_passes, const Context& ctx) {
  if (!every_object_passes) return end(Step::ApplyFailed, PassOutcome::ApplyFailed, ctx.retry_interval);
  return go_on(Step::ApplyStage);
}

Effect on_stage_poll(const Poll& in, const Context& ctx) {
  if (in.all_current) return go_on(Step::ApplyStage);
  if (in.deadline_reached) return end(Step::ApplyFailed, PassOutcome::ApplyFailed, ctx.retry_interval);
  return go_on(Step::WaitAgain);
}

Effect on_applied(bool checks_health, const Context& ctx) {
  if (!checks_health) return Effect{Step::Ready, PassOutcome::Succeeded, ctx.interval, true};
  return go_on(Step::StartHealthCheck);
}

Effect on_health_poll(const Poll& in, const Context& ctx) {
  if (in.deadline_reached) return end(Step::HealthCheckFailed, PassOutcome::HealthCheckFailed, ctx.retry_interval);
  if (in.all_current) return Effect{Step::Ready, PassOutcome::Succeeded, ctx.interval, true};
  // Fail fast (on by default since kustomize-controller v1.1).
  if (in.any_failed) return end(Step::HealthCheckFailed, PassOutcome::HealthCheckFailed, ctx.retry_interval);
  return go_on(Step::WaitAgain);
}

}  // namespace kustomize

// ----- the Run applying them -------------------------------------------------------------------------

namespace {
constexpr int kStageNumber[3] = {1, 2, 4};
}  // namespace

kustomize::Context Run::ks_context(std::size_t k) const {
  return kustomize::Context{kc_, plan_.ks[k].interval, plan_.ks[k].retry};
}

void Run::create_kustomization(std::size_t k, SimTime now, std::int32_t parent) {
  KsState& st = ks_[k];
  if (st.exists) return;
  st.exists = true;
  st.summary.created_at = now;
  st.summary.parent = parent;
  create_object(static_cast<ObjId>(plan_.ks[k].self), now, nullptr, parent);
  trace(event(now, TraceType::Created, Controller::Kustomize, static_cast<std::int32_t>(k), parent));
  enqueue(kpool_, static_cast<std::uint32_t>(k), now);  // the Create event
}

void Run::set_ready(std::size_t k, Ready r, Reason reason, Message message) {
  KsState& st = ks_[k];
  st.ready = r;
  st.reason = reason;
  st.message = message;
}

void Run::start_pass(std::size_t k, std::int32_t worker, SimTime now, SimTime due) {
  KsState& st = ks_[k];
  const Plan::Ks& plan = plan_.ks[k];
  const Kustomization& spec = world_.kustomizations[k];
  const auto id = static_cast<std::int32_t>(k);
  st.in_pass = true;
  st.worker = worker;
  ++st.token;

  kustomize::Dequeued in;
  in.finalized = st.finalized;
  in.suspended = spec.suspend;
  in.source_exists = source_exists(plan.source, now);
  in.artifact = in.source_exists && src_[static_cast<std::size_t>(plan.source)].artifact;
  flux::DependencyCheck dep_check;
  if (in.finalized && !in.suspended && in.artifact)
    for (std::size_t i = 0; i < plan.deps.size() && in.unready_dependency < 0; ++i)
      if (!ks_dependency_ready(k, i, dep_check)) in.unready_dependency = static_cast<int>(i);
  in.dependency_stalled = dep_check.verdict == flux::DependencyCheck::Verdict::Stalled;
  const kustomize::Effect effect = kustomize::on_dequeue(in, ks_context(k));

  if (effect.step == kustomize::Step::AddFinalizer) {
    st.finalized = true;
    trace(event(now, TraceType::FinalizerAdded, Controller::Kustomize, id, kNone, worker));
    st.in_pass = false;
    kpool_.release(now, worker);
    kpool_.queue.done(static_cast<std::uint32_t>(k));
    enqueue(kpool_, static_cast<std::uint32_t>(k), now, effect.requeue);
    return;
  }

  ++st.passes;
  if (st.summary.first_started_at == kNever) st.summary.first_started_at = now;
  st.pass = PassRecord{};
  st.pass.controller = Controller::Kustomize;
  st.pass.subject = id;
  st.pass.number = st.passes;
  st.pass.worker = worker;
  st.pass.queued_at = due;
  st.pass.started_at = now;
  trace(event(now, TraceType::PassStarted, Controller::Kustomize, id, kNone, worker, st.passes));
  if (effect.step == kustomize::Step::Build) {
    start_build(k, now);
    return;
  }
  not_ready(k, effect, in.unready_dependency, now, &dep_check);
}

// dependsOn entry i of Kustomization k (§2): the built-in test, or its readyExpr when it has one that
// fluxsim evaluates. The objects CEL sees are built only then.
bool Run::ks_dependency_ready(std::size_t k, std::size_t i, flux::DependencyCheck& check) const {
  const Plan::Ks& plan = plan_.ks[k];
  const std::int32_t dep = plan.deps[i];
  check = flux::DependencyCheck{};
  const bool builtin = dependency_ready(k, dep);
  if (plan.ready_exprs.empty() || !plan.ready_exprs[i].decides()) return builtin;
  if (dep == kNone || !ks_[static_cast<std::size_t>(dep)].exists) return false;  // "not found" comes first
  const auto d = static_cast<std::size_t>(dep);
  std::string self_message, dep_message;
  check = flux::check_ready_expr(plan.ready_exprs[i], world_.kustomizations[k].depends_on[i],
                                 flux::kustomization_object(world_.kustomizations[k], ks_status_view(k, self_message)),
                                 flux::kustomization_object(world_.kustomizations[d], ks_status_view(d, dep_message)),
                                 kc_.additive_cel_dependency_check, builtin);
  return check.verdict == flux::DependencyCheck::Verdict::Ready;
}

flux::StatusView Run::ks_status_view(std::size_t k, std::string& message) const {
  const KsState& st = ks_[k];
  flux::StatusView v = ready_view(st.ready, st.reason, st.message, message);
  v.reconciling = st.reconciling;
  v.stalled = st.stalled;
  v.observed = st.observed;
  if (st.last_applied >= 0) v.last_applied_revision = kRevision;
  if (st.last_attempted >= 0) v.last_attempted_revision = kRevision;
  return v;
}

void Run::not_ready(std::size_t k, const kustomize::Effect& effect, int unready_dependency, SimTime now,
                    const flux::DependencyCheck* check) {
  KsState& st = ks_[k];
  const Plan::Ks& plan = plan_.ks[k];
  const auto id = static_cast<std::int32_t>(k);
  const std::int32_t src = plan.source;
  Message msg;
  switch (effect.step) {
    case kustomize::Step::Suspended:
      trace(event(now, TraceType::Suspended, Controller::Kustomize, id, kNone, st.worker, 0, Reason::None,
                  this->msg(MessageKind::Suspended)));
      break;
    case kustomize::Step::SourceNotFound:
      msg = this->msg(MessageKind::SourceNotFound, id);
      set_ready(k, Ready::False, Reason::ArtifactFailed, msg);
      trace(event(now, TraceType::SourceNotFound, Controller::Kustomize, id, src, st.worker, 0, Reason::ArtifactFailed, msg));
      break;
    case kustomize::Step::ArtifactNotReady:
      msg = this->msg(MessageKind::ArtifactNotFound, -1, -1, -1, effect.requeue.count());
      set_ready(k, Ready::False, Reason::ArtifactFailed, msg);
      trace(event(now, TraceType::ArtifactNotReady, Controller::Kustomize, id, src, st.worker, 0, Reason::ArtifactFailed, msg));
      break;
    default: {
      const std::int32_t dep = plan.deps[static_cast<std::size_t>(unready_dependency)];
      const bool missing = dep == kNone || !ks_[static_cast<std::size_t>(dep)].exists;
      msg = this->msg(missing ? MessageKind::DependencyNotFound : MessageKind::DependencyNotReady, id, unready_dependency);
      Reason reason = Reason::DependencyNotReady;
      if (check && check->by_expr) {
        // The readyExpr said no, could not be evaluated, or is invalid CEL (Stalled; observedGeneration set).
        msg = text(check->message);
        reason = check->reason == "InvalidCELExpression" ? Reason::InvalidCELExpression : Reason::DependencyNotReady;
        if (check->verdict == flux::DependencyCheck::Verdict::Stalled) st.stalled = st.observed = true;
      }
      set_ready(k, Ready::False, reason, msg);
      st.pass.blocked_by = dep;
      trace(event(now, TraceType::DependencyNotReady, Controller::Kustomize, id, dep, st.worker, 0, reason, msg));
      break;
    }
  }
  end_pass(k, now, effect.requeue, effect.outcome);
}

// An apply attempt: Ready=Unknown and Reconciling=True for the whole of it.
void Run::start_build(std::size_t k, SimTime now) {
  KsState& st = ks_[k];
  const Plan::Ks& plan = plan_.ks[k];
  ++st.attempts;
  st.pass.attempt = st.attempts;
  if (st.summary.first_applied_at == kNever) st.summary.first_applied_at = now;
  st.last_attempted = src_[static_cast<std::size_t>(plan.source)].revision;
  st.reconciling = true;
  set_ready(k, Ready::Unknown, Reason::Progressing, msg(MessageKind::Fetching, -1, -1, -1, plan.timeout.count()));
  trace(event(now, TraceType::ApplyStarted, Controller::Kustomize, static_cast<std::int32_t>(k), kNone, st.worker, st.attempts));
  st.phase = Phase::Building;
  // Capacity model (capacity.h): the controller's CPU budget shared by the passes at work now.
  st.stretch = 1.0;
  if (kc_.cpu_limit > 0) {
    ControllerLoad load{kc_.cpu_limit, 0, 0};
    for (const KsState& o : ks_)
      if (o.in_pass) ++(o.phase == Phase::Health || o.phase == Phase::StageWait ? load.waiting : load.working);
    st.stretch = stretch_factor(scenario_.timing.capacity, load);
  }
  schedule(now + stretch(scenario_.timing.build.sample(st.build_rng), st.stretch), EventPriority::StateChange,
           Event{Ev::KsStep, static_cast<std::uint32_t>(k), kNone, st.token});
}

void Run::continue_pass(std::size_t k, SimTime now) {
  KsState& st = ks_[k];
  switch (st.phase) {
    case Phase::Building: built(k, now); return;
    case Phase::StageWait: poll_stage(k, now); return;
    case Phase::Applied:
      st.pass.applied_at = now;
      start_health(k, now);
      return;
    case Phase::Health: poll_health(k, now); return;
    case Phase::Idle: return;
  }
}

void Run::built(std::size_t k, SimTime now) {
  KsState& st = ks_[k];
  const Kustomization& spec = world_.kustomizations[k];
  const std::int32_t src = plan_.ks[k].source;
  st.pass.built_at = now;
  kustomize::Built in;
  in.build_failure = spec.build_failure.has_value();
  in.source_unmapped = src != kNone && !world_.sources[static_cast<std::size_t>(src)].directory;
  in.fail_applies_left = st.fail_applies_left;
  const kustomize::Effect effect = kustomize::on_built(in, ks_context(k));
  if (effect.step == kustomize::Step::ApplyStage) {
    run_stage(k, 0, now);
  } else if (in.build_failure) {
    // The loader's reason is BuildFailed, or ArtifactFailed for a path missing from the artifact.
    const Reason reason = spec.build_failure->reason == "ArtifactFailed" ? Reason::ArtifactFailed : Reason::BuildFailed;
    fail(k, now, effect, reason, msg(MessageKind::BuildFailure, static_cast<std::int32_t>(k)));
  } else if (in.source_unmapped) {
    fail(k, now, effect, Reason::ArtifactFailed, msg(MessageKind::SourceUnmapped, static_cast<std::int32_t>(k)));
  } else {
    --st.fail_applies_left;
    fail(k, now, effect, Reason::ReconciliationFailed, msg(MessageKind::InjectedApplyFailure, -1, -1, -1, st.fail_applies_left));
  }
}

void Run::run_stage(std::size_t k, int stage, SimTime now) {
  KsState& st = ks_[k];
  const Plan::Ks& plan = plan_.ks[k];
  while (stage < flux::kStageCount && plan.stages[stage].empty()) ++stage;
  if (stage == flux::kStageCount) {
    st.pass.applied_at = now;
    start_health(k, now);
    return;
  }
  const auto& objects = plan.stages[stage];

  // Server-side dry-run of every object of the stage; any failure fails the stage before a write.
  const Plan::KsObj* rejected = nullptr;
  for (const Plan::KsObj& o : objects) {
    const Plan::Obj& info = plan_.objects[o.obj];
    if (!kind_served(info.kind, now) || !namespace_exists(info.ns, now)) {
      rejected = &o;
      break;
    }
  }
  if (const kustomize::Effect effect = kustomize::on_dry_run(rejected == nullptr, ks_context(k)); effect.ends_pass()) {
    const Plan::Obj& info = plan_.objects[rejected->obj];
    fail(k, now, effect, Reason::ReconciliationFailed,
         !kind_served(info.kind, now) ? msg(MessageKind::NoMatchesForKind, static_cast<std::int32_t>(k), stage,
                                            static_cast<std::int32_t>(rejected - objects.data()))
                                      : msg(MessageKind::NamespaceNotFound, static_cast<std::int32_t>(rejected->obj)));
    return;
  }

  // Apply new objects one by one; unchanged ones are not written.
  SimTime t = now;
  std::int64_t written = 0;
  for (const Plan::KsObj& o : objects) {
    if (objs_[o.obj].created_at <= t) continue;
    t += stretch(scenario_.timing.apply_per_object.sample(st.apply_rng), st.stretch);
    ++written;
    create_object(o.obj, t, o.ready, static_cast<std::int32_t>(k));
    const Plan::Obj& info = plan_.objects[o.obj];
    if (info.link == kNone) continue;
    if (info.cls == ReadinessClass::Kustomization && !ks_[static_cast<std::size_t>(info.link)].exists)
      schedule(t, EventPriority::StateChange,
               Event{Ev::KsCreate, static_cast<std::uint32_t>(info.link), static_cast<std::int32_t>(k)});
    else if (info.cls == ReadinessClass::Source && !src_[static_cast<std::size_t>(info.link)].exists)
      schedule(t, EventPriority::StateChange,
               Event{Ev::SourceCreate, static_cast<std::uint32_t>(info.link), static_cast<std::int32_t>(k)});
    else if (info.cls == ReadinessClass::HelmRelease && !hr_[static_cast<std::size_t>(info.link)].exists)
      schedule(t, EventPriority::StateChange,
               Event{Ev::HrCreate, static_cast<std::uint32_t>(info.link), static_cast<std::int32_t>(k)});
  }
  trace(event(now, TraceType::StageApplied, Controller::Kustomize, static_cast<std::int32_t>(k),
              static_cast<std::int32_t>(written), st.worker, kStageNumber[stage]));
  st.stage = stage;
  if (flux::stage_is_waited_on(stage)) {
    // CRDs/Namespaces/ClusterRoles and *Class objects are waited on before the next stage.
    st.phase = Phase::StageWait;
    st.step_start = t;
    st.deadline = t + kc_.stage_wait_timeout;
    schedule(t, EventPriority::Observation, Event{Ev::KsStep, static_cast<std::uint32_t>(k), kNone, st.token});
  } else {
    st.phase = Phase::Applied;
    schedule(t, EventPriority::StateChange, Event{Ev::KsStep, static_cast<std::uint32_t>(k), kNone, st.token});
  }
}

SimTime Run::next_change(const std::vector<ObjId>& objs, SimTime now, bool* dynamic) const {
  SimTime all_current = now, first_failure = kNever;
  for (ObjId id : objs) {
    Status s = status(id, now);
    if (s == Status::Current) continue;
    const Plan::Obj& o = plan_.objects[id];
    const bool controlled =
        (o.cls == ReadinessClass::Kustomization || o.cls == ReadinessClass::Source || o.cls == ReadinessClass::HelmRelease) &&
        o.link != kNone;
    const ObjState& st = objs_[id];
    if (controlled || st.created_at == kNever) {
      *dynamic = true;  // its own controller, or a future apply, decides: look again at the next poll
      return kNever;
    }
    all_current = max_time(all_current, st.current_at);
    first_failure = min_time(first_failure, st.failed_at);
  }
  return min_time(all_current, first_failure);
}

template <typename Objs>
void Run::object_statuses(Message& m, const Objs& objs, SimTime now, bool failed_only) {
  std::vector<std::int32_t>& args = result_.message_args;
  m.c = static_cast<std::int32_t>(args.size());
  m.b = 0;
  for (const auto& item : objs) {
    ObjId id;
    if constexpr (std::is_same_v<std::decay_t<decltype(item)>, ObjId>)
      id = item;
    else
      id = item.obj;
    const Status s = status(id, now);
    if (s == Status::Current || (failed_only && s != Status::Failed)) continue;
    args.push_back(static_cast<std::int32_t>(id));
    args.push_back(static_cast<std::int32_t>(s));  // read back by src/trace.cc
    ++m.b;
  }
}

void Run::poll_stage(std::size_t k, SimTime now) {
  KsState& st = ks_[k];
  const auto& objects = plan_.ks[k].stages[st.stage];
  kustomize::Poll in;
  in.all_current = true;
  for (const Plan::KsObj& o : objects)
    if (status(o.obj, now) != Status::Current) {
      in.all_current = false;
      break;
    }
  in.deadline_reached = now >= st.deadline;
  const kustomize::Effect effect = kustomize::on_stage_poll(in, ks_context(k));
  if (effect.step == kustomize::Step::ApplyStage) {
    trace(event(now, TraceType::StageWaitFinished, Controller::Kustomize, static_cast<std::int32_t>(k), kNone, st.worker,
                kStageNumber[st.stage]));
    run_stage(k, st.stage + 1, now);
    return;
  }
  if (effect.ends_pass()) {
    Message m = msg(MessageKind::StageTimeout);
    object_statuses(m, objects, now);
    fail(k, now, effect, Reason::ReconciliationFailed, m);
    return;
  }
  std::vector<ObjId> ids;
  ids.reserve(objects.size());
  for (const Plan::KsObj& o : objects) ids.push_back(o.obj);
  bool dynamic = false;
  SimTime change = next_change(ids, now, &dynamic);
  SimTime next =
      tick_at_or_after(st.step_start, kc_.stage_poll_interval, dynamic ? now + Duration{1} : max_time(change, now + Duration{1}));
  schedule(min_time(next, st.deadline), EventPriority::Observation,
           Event{Ev::KsStep, static_cast<std::uint32_t>(k), kNone, st.token});
}

void Run::start_health(std::size_t k, SimTime now) {
  KsState& st = ks_[k];
  const Plan::Ks& plan = plan_.ks[k];
  if (const kustomize::Effect effect = kustomize::on_applied(plan.checks_health, ks_context(k)); effect.ends_pass()) {
    succeed(k, now, effect);
    return;
  }
  st.pass.health_started_at = now;
  // Objects only a health check names are not created here: what creates them does (compile.cc
  // compile_creators); until then they are NotFound, and if nothing does, the check times out (§6.2, §10).
  st.phase = Phase::Health;
  st.step_start = now;
  st.deadline = now + plan.timeout;
  trace(event(now, TraceType::HealthCheckStarted, Controller::Kustomize, static_cast<std::int32_t>(k),
              static_cast<std::int32_t>(plan.health.size()), st.worker));
  schedule(now, EventPriority::Observation, Event{Ev::KsStep, static_cast<std::uint32_t>(k), kNone, st.token});
}

void Run::poll_health(std::size_t k, SimTime now) {
  KsState& st = ks_[k];
  const Plan::Ks& plan = plan_.ks[k];
  kustomize::Poll in;
  in.deadline_reached = now >= st.deadline;
  in.all_current = true;
  if (!in.deadline_reached)
    for (ObjId id : plan.health) {
      const Status s = status(id, now);
      if (s != Status::Current) in.all_current = false;
      if (s == Status::Failed) in.any_failed = true;
    }
  const kustomize::Effect effect = kustomize::on_health_poll(in, ks_context(k));
  if (effect.step == kustomize::Step::Ready) {
    succeed(k, now, effect);
    return;
  }
  if (effect.ends_pass() && in.deadline_reached) {
    Message m = msg(MessageKind::HealthTimeout, -1, -1, -1, (now - st.step_start).count());
    object_statuses(m, plan.health, now);
    fail(k, now, effect, Reason::HealthCheckFailed, m);
    return;
  }
  if (effect.ends_pass()) {
    Message m = msg(MessageKind::HealthFailedEarly, -1, -1, -1, (now - st.step_start).count());
    object_statuses(m, plan.health, now, true);
    fail(k, now, effect, Reason::HealthCheckFailed, m);
    return;
  }
  bool dynamic = false;
  SimTime change = next_change(plan.health, now, &dynamic);
  SimTime next = tick_at_or_after(st.step_start, kc_.health_poll_interval,
                                  dynamic ? now + Duration{1} : max_time(change, now + Duration{1}));
  schedule(min_time(next, st.deadline), EventPriority::Observation,
           Event{Ev::KsStep, static_cast<std::uint32_t>(k), kNone, st.token});
}

void Run::succeed(std::size_t k, SimTime now, const kustomize::Effect& effect) {
  KsState& st = ks_[k];
  const Plan::Ks& plan = plan_.ks[k];
  st.reconciling = false;
  st.observed = true;
  const std::int32_t src = plan.source;
  st.last_applied = src == kNone ? 0 : src_[static_cast<std::size_t>(src)].revision;
  set_ready(k, Ready::True, Reason::ReconciliationSucceeded, msg(MessageKind::AppliedRevision));
  trace(event(now, TraceType::ReconciliationSucceeded, Controller::Kustomize, static_cast<std::int32_t>(k), kNone, st.worker, 0,
              Reason::ReconciliationSucceeded, st.message));
  if (st.summary.ready_at == kNever) {
    st.summary.ready_at = now;
    st.attempts_at_ready = st.attempts;
    for (std::int32_t kid : plan.provides) serve_kind(kid, now);
    for (ObjId made : plan.creates) create_object(made, now, nullptr, static_cast<std::int32_t>(k));
    count_ready(now);
  }
  // Success requeue: interval with ±jitter (uniform), as fluxcd/pkg runtime/jitter does.
  const Duration requeue =
      effect.jitter ? flux::jittered(effect.requeue, kc_.interval_jitter_percent, st.jitter_rng.uniform01()) : effect.requeue;
  end_pass(k, now, requeue, effect.outcome);
}

void Run::fail(std::size_t k, SimTime now, const kustomize::Effect& effect, Reason reason, Message message) {
  KsState& st = ks_[k];
  st.reconciling = true;  // Reconciling=True, reason ProgressingWithRetry
  trace(event(now, TraceType::ReconciliationFailed, Controller::Kustomize, static_cast<std::int32_t>(k), kNone, st.worker, 0,
              reason, message));
  set_ready(k, Ready::False, reason, message);
  end_pass(k, now, effect.requeue, effect.outcome);
}

void Run::end_pass(std::size_t k, SimTime now, Duration requeue, PassOutcome outcome) {
  KsState& st = ks_[k];
  st.pass.ended_at = now;
  st.pass.outcome = outcome;
  st.pass.requeue_after = requeue;
  st.pass.reason = st.reason;
  st.pass.message = st.message;
  if (options_.record) {
    result_.passes.push_back(st.pass);
    if (requeue.count() > 0)
      trace(event(now, TraceType::Requeued, Controller::Kustomize, static_cast<std::int32_t>(k), kNone, st.worker,
                  requeue.count(), Reason::None, msg(kustomize::requeue_reason(outcome))));
  }
  st.in_pass = false;
  st.phase = Phase::Idle;
  ++st.token;
  kpool_.release(now, st.worker);
  kpool_.queue.done(static_cast<std::uint32_t>(k));
  st.worker = kNone;
  if (requeue.count() > 0) enqueue(kpool_, static_cast<std::uint32_t>(k), now, requeue);
}

}  // namespace fluxsim::sim
