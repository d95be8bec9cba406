// SPDX-License-Identifier: Apache-2.0
// helm-controller (flux-semantics.md §10): the transitions of helm_controller.h, then the Run applying
// them.
#include "sim/helm_controller.h"

#include <algorithm>

#include <fmt/format.h>

#include "flux/defaults.h"
#include "flux/dependencies.h"
#include "sim/run.h"

namespace fluxsim::sim {

namespace helm {

Effect on_dequeue(const Dequeued& in, const Context& ctx) {
  if (!in.finalized) return Effect{Step::AddFinalizer, PassOutcome::Running, ctx.settings.first_reconcile_delay};
  if (in.suspended || in.stalled) return Effect{Step::Suspended, PassOutcome::Suspended};
  if (in.unready_dependency >= 0)
    return Effect{Step::DependencyNotReady, PassOutcome::DependencyNotReady,
                  in.dependency_stalled ? Duration{0} : ctx.settings.requeue_dependency};
  if (!in.chart_ready) return Effect{Step::ChartNotReady, PassOutcome::ArtifactNotReady, ctx.settings.requeue_dependency, true};
  if (in.installed) return Effect{Step::UpToDate, PassOutcome::Succeeded, ctx.interval, true};
  return Effect{Step::Install};
}

InstallOutcome install_outcome(SimTime started, SimTime done, SimTime failed, Duration timeout) {
  const SimTime deadline = started + timeout;
  if (failed < done && failed < deadline) return {InstallEnd::FailedEarly, failed};
  if (done <= deadline) return {InstallEnd::Succeeded, done};
  return {InstallEnd::TimedOut, deadline};
}

Effect on_install_finished(bool success, bool stored_release, int failures, const Context& ctx) {
  if (success) return Effect{Step::Installed, PassOutcome::Succeeded, ctx.interval, true};
  // No release stored: not a failure remediation counts; the error goes through the rate limiter (§10).
  if (!stored_release) return Effect{Step::InstallError, PassOutcome::InstallFailed, Duration{0}, false, true};
  // RetryOnFailure: no remediation, retry every retryInterval (jittered) for ever.
  if (ctx.retry_on_failure) return Effect{Step::RetryOnFailure, PassOutcome::InstallFailed, ctx.retry_interval, true};
  // Remediation (uninstall), then Requeue: true through the rate limiter; negative retries: unlimited.
  if (ctx.retries < 0 || failures <= ctx.retries)
    return Effect{Step::Remediate, PassOutcome::InstallFailed, Duration{0}, false, true};
  // Retries exhausted: Stalled=True RetriesExceeded, Reconciling removed; nothing retries it.
  return Effect{Step::Stalled, PassOutcome::InstallFailed};
}

}  // namespace helm

// ----- the Run applying them -------------------------------------------------------------------------

helm::Context Run::helm_context(std::size_t h) const {
  const Plan::Hr& plan = plan_.hrs[h];
  helm::Context ctx{scenario_.controllers.helm};
  ctx.interval = plan.interval;
  ctx.timeout = plan.timeout;
  ctx.retry_interval = plan.retry_interval;
  ctx.retries = plan.retries;
  ctx.retry_on_failure = plan.retry_on_failure;
  return ctx;
}

Duration Run::helm_requeue(std::size_t h, const helm::Effect& effect) {
  if (!effect.jitter) return effect.requeue;
  return flux::jittered(effect.requeue, scenario_.controllers.helm.interval_jitter_percent, hr_[h].jitter_rng.uniform01());
}

void Run::create_helm_release(std::size_t h, SimTime now, std::int32_t parent) {
  HrState& st = hr_[h];
  if (st.exists) return;
  st.exists = true;
  st.created_at = now;
  create_object(static_cast<ObjId>(plan_.hrs[h].obj), now, nullptr, parent);
  trace(event(now, TraceType::Created, Controller::Helm, static_cast<std::int32_t>(h), parent));
  enqueue(hpool_, static_cast<std::uint32_t>(h), now);
}

bool Run::helm_release_ready(std::int32_t h) const {
  if (h == kNone) return false;
  const HrState& d = hr_[static_cast<std::size_t>(h)];
  flux::DependencyView view;
  view.exists = d.exists;
  view.has_conditions = d.ready != Ready::None;
  view.observed = d.observed;
  view.ready = d.ready == Ready::True;
  return flux::helm_release_dependency_ready(view);
}

// dependsOn entry i of HelmRelease h (§10): the built-in test, or its readyExpr when it has one that
// fluxsim evaluates.
bool Run::hr_dependency_ready(std::size_t h, std::size_t i, flux::DependencyCheck& check) const {
  const Plan::Hr& plan = plan_.hrs[h];
  const std::int32_t dep = plan.deps[i];
  check = flux::DependencyCheck{};
  const bool builtin = helm_release_ready(dep);
  if (plan.ready_exprs.empty() || !plan.ready_exprs[i].decides()) return builtin;
  if (dep == kNone || !hr_[static_cast<std::size_t>(dep)].exists) return false;  // "unable to get" comes first
  const auto d = static_cast<std::size_t>(dep);
  std::string self_message, dep_message;
  check = flux::check_ready_expr(plan.ready_exprs[i], world_.helm_releases[h].depends_on[i],
                                 flux::helm_release_object(world_.helm_releases[h], hr_status_view(h, true, self_message)),
                                 flux::helm_release_object(world_.helm_releases[d], hr_status_view(d, false, dep_message)),
                                 scenario_.controllers.helm.additive_cel_dependency_check, builtin);
  return check.verdict == flux::DependencyCheck::Verdict::Ready;
}

// `self`: the HelmRelease being reconciled, which has just been marked Reconciling ("Fulfilling
// prerequisites") before its dependencies are checked.
flux::StatusView Run::hr_status_view(std::size_t h, bool self, std::string& message) const {
  const HrState& st = hr_[h];
  flux::StatusView v = ready_view(st.ready, st.reason, st.message, message);
  v.reconciling = st.reconciling || self;
  v.stalled = st.stalled;
  v.observed = st.observed;
  v.install_failures = st.failures;
  return v;
}

void Run::start_helm_pass(std::size_t h, std::int32_t worker, SimTime now, SimTime due) {
  HrState& st = hr_[h];
  const Plan::Hr& plan = plan_.hrs[h];
  const HelmRelease& spec = world_.helm_releases[h];
  const auto id = static_cast<std::int32_t>(h);
  st.in_pass = true;
  st.worker = worker;
  ++st.token;
  helm::Dequeued in;
  in.finalized = st.finalized;
  in.suspended = spec.suspend;
  in.stalled = st.stalled;
  flux::DependencyCheck dep_check;
  if (in.finalized && !in.suspended && !in.stalled)
    for (std::size_t i = 0; i < plan.deps.size() && in.unready_dependency < 0; ++i)
      if (!hr_dependency_ready(h, i, dep_check)) in.unready_dependency = static_cast<int>(i);
  in.dependency_stalled = dep_check.verdict == flux::DependencyCheck::Verdict::Stalled;
  in.chart_ready = plan.chart == kNone || src_[static_cast<std::size_t>(plan.chart)].artifact;
  in.installed = st.ready_at != kNever && st.ready == Ready::True;
  const helm::Effect effect = helm::on_dequeue(in, helm_context(h));
  if (effect.step == helm::Step::AddFinalizer) {
    st.finalized = true;
    trace(event(now, TraceType::FinalizerAdded, Controller::Helm, id, kNone, worker));
    st.in_pass = false;
    hpool_.release(now, worker);
    hpool_.queue.done(static_cast<std::uint32_t>(h));
    enqueue(hpool_, static_cast<std::uint32_t>(h), now, effect.requeue);
    return;
  }
  ++st.passes;
  st.pass = PassRecord{};
  st.pass.controller = Controller::Helm;
  st.pass.subject = id;
  st.pass.number = st.passes;
  st.pass.worker = worker;
  st.pass.queued_at = due;
  st.pass.started_at = now;
  trace(event(now, TraceType::PassStarted, Controller::Helm, id, kNone, worker, st.passes));
  if (effect.step == helm::Step::Suspended) {
    end_helm_pass(h, now, effect);
    return;
  }
  // Prerequisites: the HelmChart (created on the first pass), dependsOn, then the chart's artifact.
  if (plan.chart != kNone && plan_.sources[static_cast<std::size_t>(plan.chart)].chart_of == id && !st.chart_requested) {
    st.chart_requested = true;
    create_source(static_cast<std::size_t>(plan.chart), now);
    // source-controller sees the new HelmChart now: its pools were dispatched before this pass began at
    // this instant, so wake them again (otherwise the chart would wait for the next unrelated event).
    schedule(now, EventPriority::Wakeup, Event{Ev::Wake, 0});
  }
  st.reconciling = true;
  switch (effect.step) {
    case helm::Step::DependencyNotReady: {
      const std::int32_t dep = plan.deps[static_cast<std::size_t>(in.unready_dependency)];
      st.ready = Ready::False;
      st.reason = Reason::DependencyNotReady;
      st.message = msg(MessageKind::DependencyNotReady, id, in.unready_dependency, -1, 0, 1);
      if (dep_check.by_expr) {
        // The readyExpr said no, could not be evaluated, or is invalid CEL (Stalled, never retried).
        st.reason = dep_check.reason == "InvalidCELExpression" ? Reason::InvalidCELExpression : Reason::DependencyNotReady;
        st.message = text(dep_check.message);
        if (dep_check.verdict == flux::DependencyCheck::Verdict::Stalled) st.stalled = true;
      }
      st.pass.blocked_by = dep;
      trace(event(now, TraceType::DependencyNotReady, Controller::Helm, id, dep, worker, 0, st.reason, st.message));
      break;
    }
    case helm::Step::ChartNotReady:
      // The chart's watch re-triggers it earlier when the artifact appears.
      st.ready = Ready::False;
      st.reason = Reason::SourceNotReady;
      st.message = msg(MessageKind::ChartNotReady, plan.chart);
      trace(event(now, TraceType::ArtifactNotReady, Controller::Helm, id, world_source_of_chart(plan.chart), worker, 0, st.reason,
                  st.message));
      break;
    case helm::Step::UpToDate:
      // Installed and in sync (a single revision is simulated): no Helm action, Ready stays True.
      st.reconciling = false;
      break;
    default: start_install(h, now); return;
  }
  end_helm_pass(h, now, effect);
}

// The Helm install (flux-semantics.md §10): render and apply the chart — Helm's own work, as long as a
// Kustomization's build — creating the objects the chart makes (and with install.createNamespace its
// target namespace), then its wait (kstatus poller, fail fast) for them and for the release's own
// readiness rule, bounded by install.timeout (else spec.timeout, 5m). install.disableWait: Ready once
// applied. A chart object whose kind is not served yet fails the install before Helm stores a release.
void Run::start_install(std::size_t h, SimTime now) {
  HrState& st = hr_[h];
  const Plan::Hr& plan = plan_.hrs[h];
  ++st.installs;
  st.pass.attempt = st.installs;
  st.pass.built_at = now;
  st.ready = Ready::Unknown;
  st.reason = Reason::Progressing;
  st.message = msg(MessageKind::RunningInstall, -1, -1, -1, plan.timeout.count());
  trace(event(now, TraceType::ApplyStarted, Controller::Helm, static_cast<std::int32_t>(h), kNone, st.worker, st.installs));
  const Plan::Obj& o = plan_.objects[static_cast<std::size_t>(plan.obj)];
  // Capacity model (capacity.h): helm-controller's CPU budget shared by the installs at work now.
  const double factor =
      stretch_factor(scenario_.timing.capacity, ControllerLoad{scenario_.controllers.helm.cpu_limit, hpool_.busy_count, 0});
  const Duration work = scenario_.timing.build.median();
  const SimTime applied = now + stretch(work, factor);
  // Helm builds the manifest against the API server first: a kind not served fails before any write.
  for (ObjId id : plan.creates) {
    const Plan::Obj& made = plan_.objects[id];
    if (kind_served(made.kind, now)) continue;
    st.stored_release = false;
    st.failure = msg(MessageKind::InstallUnmappedKind, static_cast<std::int32_t>(h), static_cast<std::int32_t>(id));
    schedule(applied, EventPriority::StateChange, Event{Ev::HrStep, static_cast<std::uint32_t>(h), 0, st.token});
    return;
  }
  st.stored_release = true;
  if (plan.creates_namespace != kNone) {
    SimTime& ns = ns_at_[static_cast<std::size_t>(plan.creates_namespace)];
    ns = min_time(ns, applied);
  }
  SimTime done = plan.disable_wait ? applied : now + stretch_work(plan.install->sample(st.install_rng), work, factor);
  SimTime failed = o.failed_at == kNever ? kNever : max_time(now, o.failed_at);
  for (ObjId id : plan.creates) {
    create_object(id, applied, nullptr, kNone);
    if (plan.disable_wait) continue;
    // The wait covers the chart's objects: done when the last is Current, failed early when one is Failed.
    done = max_time(done, objs_[id].current_at);
    failed = min_time(failed, objs_[id].failed_at);
  }
  if (plan.disable_wait) failed = kNever;
  if (o.never_ready)
    done = kNever;
  else if (done != kNever)
    done = max_time(done, o.not_before);
  const helm::InstallOutcome outcome = helm::install_outcome(now, done, failed, plan.timeout);
  if (outcome.end == helm::InstallEnd::FailedEarly)
    st.failure = msg(MessageKind::InstallFailedEarly, static_cast<std::int32_t>(h));
  else if (outcome.end == helm::InstallEnd::TimedOut)
    st.failure = msg(MessageKind::InstallTimedOut, static_cast<std::int32_t>(h), -1, -1, plan.timeout.count());
  schedule(outcome.at, EventPriority::StateChange,
           Event{Ev::HrStep, static_cast<std::uint32_t>(h), outcome.end == helm::InstallEnd::Succeeded ? 1 : 0, st.token});
}

void Run::finish_helm_action(std::size_t h, SimTime now, bool success) {
  HrState& st = hr_[h];
  const Plan::Hr& plan = plan_.hrs[h];
  const auto id = static_cast<std::int32_t>(h);
  if (success) {
    st.ready = Ready::True;
    st.reconciling = false;
    st.observed = true;
    st.failures = 0;
    st.reason = Reason::InstallSucceeded;
    st.message = msg(MessageKind::InstallSucceeded, id);
    trace(event(now, TraceType::ReconciliationSucceeded, Controller::Helm, id, kNone, st.worker, 0, st.reason, st.message));
    if (st.ready_at == kNever) {
      st.ready_at = now;
      for (std::int32_t kid : plan.provides) serve_kind(kid, now);
      count_ready(now);
    }
  } else {
    if (st.stored_release) ++st.failures;  // only a failure that stored a release counts for remediation
    st.ready = Ready::False;
    st.reason = Reason::InstallFailed;
    st.message = st.failure;
    trace(event(now, TraceType::ReconciliationFailed, Controller::Helm, id, kNone, st.worker, 0, st.reason, st.message));
  }
  const helm::Effect effect = helm::on_install_finished(success, st.stored_release, st.failures, helm_context(h));
  if (effect.step == helm::Step::Stalled) {
    st.stalled = true;
    st.reconciling = false;
    st.reason = Reason::RetriesExceeded;
    st.message = st.failure;
    st.message.flag = 1;
    st.message.c = plan.retries;
  }
  end_helm_pass(h, now, effect);
}

void Run::end_helm_pass(std::size_t h, SimTime now, const helm::Effect& effect) {
  HrState& st = hr_[h];
  Duration requeue = helm_requeue(h, effect);
  st.pass.ended_at = now;
  st.pass.outcome = effect.outcome;
  st.pass.reason = st.reason;
  st.pass.message = st.message;
  if (effect.rate_limited) {
    requeue = flux::rate_limited_delay(st.rate_limited);
    ++st.rate_limited;
  } else {
    st.rate_limited = 0;  // Forget
  }
  st.pass.requeue_after = requeue;
  if (options_.record) result_.passes.push_back(st.pass);
  st.in_pass = false;
  ++st.token;
  hpool_.release(now, st.worker);
  hpool_.queue.done(static_cast<std::uint32_t>(h));
  st.worker = kNone;
  if (requeue.count() > 0) enqueue(hpool_, static_cast<std::uint32_t>(h), now, requeue);
}

}  // namespace fluxsim::sim
