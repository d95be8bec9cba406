// SPDX-License-Identifier: Apache-2.0
// Each controller's reconcile stepped by hand, transition by transition, without running a simulation:
// the input is what the controller reads, the context its flags and the object's timings, the effect
// what happens next (flux-semantics.md §1, §2, §6, §10, §11).
#include <doctest/doctest.h>

#include "sim/helm_controller.h"
#include "sim/kustomize_controller.h"
#include "sim/source_controller.h"

using namespace fluxsim;
using namespace fluxsim::sim;
using namespace std::chrono_literals;

namespace {
// The trace's word for why a pass asked for its requeue (a message without arguments).
std::string requeue_text(PassOutcome outcome) {
  Message m;
  m.kind = kustomize::requeue_reason(outcome);
  return message(World{}, RunResult{}, m);
}
}  // namespace

TEST_CASE("kustomize-controller: a pass from dequeue to Ready, step by step") {
  KustomizeControllerSettings flags;  // Flux defaults: --requeue-dependency 30s, --min-retry-delay 750ms
  const kustomize::Context ctx{flags, 10min, 2min};

  kustomize::Dequeued in;  // a new Kustomization: the first reconcile only adds the finalizer
  kustomize::Effect e = kustomize::on_dequeue(in, ctx);
  CHECK(e.step == kustomize::Step::AddFinalizer);
  CHECK(e.requeue == 750ms);
  CHECK_FALSE(e.ends_pass());

  in.finalized = true;  // the source object does not exist yet: retryInterval
  e = kustomize::on_dequeue(in, ctx);
  CHECK(e.step == kustomize::Step::SourceNotFound);
  CHECK(e.outcome == PassOutcome::SourceNotFound);
  CHECK(e.requeue == 2min);

  in.source_exists = true;  // no artifact yet: --requeue-dependency
  e = kustomize::on_dequeue(in, ctx);
  CHECK(e.step == kustomize::Step::ArtifactNotReady);
  CHECK(e.requeue == 30s);

  in.artifact = true;
  in.unready_dependency = 0;  // dependsOn[0] not Ready: --requeue-dependency, not retryInterval, no jitter
  e = kustomize::on_dequeue(in, ctx);
  CHECK(e.step == kustomize::Step::DependencyNotReady);
  CHECK(e.outcome == PassOutcome::DependencyNotReady);
  CHECK(e.requeue == 30s);
  CHECK_FALSE(e.jitter);
  CHECK(requeue_text(e.outcome) == "--requeue-dependency");

  in.unready_dependency = -1;
  CHECK(kustomize::on_dequeue(in, ctx).step == kustomize::Step::Build);
  CHECK(kustomize::on_built({}, ctx).step == kustomize::Step::ApplyStage);
  CHECK(kustomize::on_dry_run(true, ctx).step == kustomize::Step::ApplyStage);
  CHECK(kustomize::on_stage_poll({true, false, false}, ctx).step == kustomize::Step::ApplyStage);
  CHECK(kustomize::on_applied(true, ctx).step == kustomize::Step::StartHealthCheck);
  CHECK(kustomize::on_health_poll({false, false, false}, ctx).step == kustomize::Step::WaitAgain);
  e = kustomize::on_health_poll({true, false, false}, ctx);
  CHECK(e.step == kustomize::Step::Ready);
  CHECK(e.outcome == PassOutcome::Succeeded);
  CHECK(e.requeue == 10min);  // the interval, then jittered
  CHECK(e.jitter);

  // Suspended wins over everything but the finalizer.
  in.suspended = true;
  e = kustomize::on_dequeue(in, ctx);
  CHECK(e.step == kustomize::Step::Suspended);
  CHECK(e.requeue == Duration{0});
}

TEST_CASE("kustomize-controller: a dry-run failure requeues after retryInterval") {
  KustomizeControllerSettings flags;
  const kustomize::Context ctx{flags, 1h, 2min};
  const kustomize::Effect e = kustomize::on_dry_run(false, ctx);
  CHECK(e.step == kustomize::Step::ApplyFailed);
  CHECK(e.outcome == PassOutcome::ApplyFailed);
  CHECK(e.requeue == 2min);
  CHECK_FALSE(e.jitter);
  CHECK(requeue_text(e.outcome) == "retryInterval");
  // A failed build and an injected apply failure take the same retry.
  kustomize::Built built;
  built.build_failure = true;
  CHECK(kustomize::on_built(built, ctx).outcome == PassOutcome::BuildFailed);
  CHECK(kustomize::on_built(built, ctx).requeue == 2min);
  built = {};
  built.fail_applies_left = 1;
  CHECK(kustomize::on_built(built, ctx).outcome == PassOutcome::ApplyFailed);
  // A stage wait that reaches its 60s deadline fails the apply the same way.
  CHECK(kustomize::on_stage_poll({false, false, true}, ctx).outcome == PassOutcome::ApplyFailed);
  CHECK(kustomize::on_stage_poll({false, false, false}, ctx).step == kustomize::Step::WaitAgain);
}

TEST_CASE("kustomize-controller: a health check times out, or fails fast on a Failed object") {
  KustomizeControllerSettings flags;
  const kustomize::Context ctx{flags, 10min, 10min};
  kustomize::Poll poll;
  poll.deadline_reached = true;  // the deadline wins even over a last-moment Current
  poll.all_current = true;
  kustomize::Effect e = kustomize::on_health_poll(poll, ctx);
  CHECK(e.step == kustomize::Step::HealthCheckFailed);
  CHECK(e.outcome == PassOutcome::HealthCheckFailed);
  CHECK(e.requeue == 10min);  // retryInterval (unset: the interval), not jittered
  CHECK_FALSE(e.jitter);
  poll = {};
  poll.any_failed = true;  // fail fast, before the deadline
  e = kustomize::on_health_poll(poll, ctx);
  CHECK(e.step == kustomize::Step::HealthCheckFailed);
  CHECK(e.requeue == 10min);
  // Without wait or healthChecks there is nothing to wait for: Ready at once.
  e = kustomize::on_applied(false, ctx);
  CHECK(e.step == kustomize::Step::Ready);
  CHECK(e.jitter);
}

TEST_CASE("helm-controller: dependsOn, chart, install, and retries until exhausted") {
  HelmControllerSettings flags;
  flags.requeue_dependency = 10s;
  flags.first_reconcile_delay = 2s;  // its own --min-retry-delay, not kustomize-controller's
  helm::Context ctx{flags, 10min, 5min, 5min};
  ctx.retries = 2;

  helm::Dequeued in;
  helm::Effect e = helm::on_dequeue(in, ctx);
  CHECK(e.step == helm::Step::AddFinalizer);
  CHECK(e.requeue == 2s);
  in.finalized = true;
  in.unready_dependency = 0;
  e = helm::on_dequeue(in, ctx);
  CHECK(e.step == helm::Step::DependencyNotReady);
  CHECK(e.requeue == 10s);
  CHECK_FALSE(e.jitter);
  in.unready_dependency = -1;
  in.chart_ready = false;  // the chart has no artifact: --requeue-dependency, jittered
  e = helm::on_dequeue(in, ctx);
  CHECK(e.step == helm::Step::ChartNotReady);
  CHECK(e.outcome == PassOutcome::ArtifactNotReady);
  CHECK(e.requeue == 10s);
  CHECK(e.jitter);
  in.chart_ready = true;
  CHECK(helm::on_dequeue(in, ctx).step == helm::Step::Install);

  // The install: 45s to Current, timeout 5m; a Failed object at 20s fails it early; never Current: timeout.
  const SimTime t0{Duration{100'000}};
  CHECK(helm::install_outcome(t0, t0 + 45s, kNever, 5min).end == helm::InstallEnd::Succeeded);
  CHECK(helm::install_outcome(t0, t0 + 45s, kNever, 5min).at == t0 + 45s);
  CHECK(helm::install_outcome(t0, t0 + 45s, t0 + 20s, 5min).end == helm::InstallEnd::FailedEarly);
  CHECK(helm::install_outcome(t0, kNever, kNever, 5min).end == helm::InstallEnd::TimedOut);
  CHECK(helm::install_outcome(t0, kNever, kNever, 5min).at == t0 + 5min);

  // retries: 2 → the first two failures remediate and requeue through the rate limiter, the third stalls.
  e = helm::on_install_finished(false, true, 1, ctx);
  CHECK(e.step == helm::Step::Remediate);
  CHECK(e.outcome == PassOutcome::InstallFailed);
  CHECK(e.rate_limited);
  CHECK(helm::on_install_finished(false, true, 2, ctx).step == helm::Step::Remediate);
  e = helm::on_install_finished(false, true, 3, ctx);
  CHECK(e.step == helm::Step::Stalled);
  CHECK(e.outcome == PassOutcome::InstallFailed);
  CHECK(e.requeue == Duration{0});
  CHECK_FALSE(e.rate_limited);
  // Stalled: later passes do nothing.
  in.stalled = true;
  CHECK(helm::on_dequeue(in, ctx).step == helm::Step::Suspended);

  // The defaults (retries 0): the first failure stalls. Negative retries: unlimited (§10).
  ctx.retries = 0;
  CHECK(helm::on_install_finished(false, true, 1, ctx).step == helm::Step::Stalled);
  ctx.retries = -1;
  CHECK(helm::on_install_finished(false, true, 50, ctx).step == helm::Step::Remediate);
  // RetryOnFailure: retryInterval, jittered, for ever.
  ctx.retry_on_failure = true;
  e = helm::on_install_finished(false, true, 50, ctx);
  CHECK(e.step == helm::Step::RetryOnFailure);
  CHECK(e.requeue == 5min);
  CHECK(e.jitter);
  // Success: Ready, the interval jittered.
  e = helm::on_install_finished(true, true, 0, ctx);
  CHECK(e.step == helm::Step::Installed);
  CHECK(e.requeue == 10min);
  CHECK(e.jitter);
}

TEST_CASE("source-controller: finalizer, a HelmChart waiting for its repository, fetch failures back off") {
  SourceControllerSettings flags;
  source::Dequeued in;
  CHECK(source::on_dequeue(in, flags).step == source::Step::AddFinalizer);
  CHECK(source::on_dequeue(in, flags).requeue == 750ms);
  in.finalized = true;
  in.repository_artifact = false;
  CHECK(source::on_dequeue(in, flags).step == source::Step::WaitRepository);
  CHECK(source::on_dequeue(in, flags).requeue == Duration{0});
  in.repository_artifact = true;
  CHECK(source::on_dequeue(in, flags).step == source::Step::Fetch);

  // An outage [60s, 120s) fails a fetch that overlaps it, not one that ended before it began.
  const SimTime a{Duration{60'000}}, b{Duration{120'000}};
  CHECK(source::outage_overlaps(a, b, SimTime{Duration{50'000}}, SimTime{Duration{60'000}}));
  CHECK_FALSE(source::outage_overlaps(a, b, SimTime{Duration{50'000}}, SimTime{Duration{59'999}}));
  CHECK_FALSE(source::outage_overlaps(a, b, b, b));

  source::Fetched f;
  f.failed = true;
  f.interval = 1min;
  for (int n = 1; n <= 3; ++n) {  // 750ms, 1.5s, 3s
    f.failures = n;
    const source::Effect e = source::on_fetched(f);
    CHECK(e.step == source::Step::FetchFailed);
    CHECK(e.requeue == Duration{750 << (n - 1)});
  }
  f = {};
  f.interval = 1min;
  source::Effect e = source::on_fetched(f);
  CHECK(e.step == source::Step::Stored);
  CHECK(e.first_artifact);
  CHECK(e.requeue == 1min);
  f.had_artifact = true;
  CHECK_FALSE(source::on_fetched(f).first_artifact);
}
