// SPDX-License-Identifier: Apache-2.0
// source-controller (flux-semantics.md §11): the transitions of source_controller.h, then the Run
// applying them.
#include "sim/source_controller.h"

#include <algorithm>

#include <fmt/format.h>

#include "flux/defaults.h"
#include "flux/dependencies.h"
#include "sim/run.h"

namespace fluxsim::sim {

namespace source {

Effect on_dequeue(const Dequeued& in, const SourceControllerSettings& settings) {
  if (!in.finalized) return Effect{Step::AddFinalizer, settings.first_reconcile_delay};
  // A HelmChart cannot be pulled before its repository has an artifact; the repository's watch enqueues
  // it when it does.
  if (!in.repository_artifact) return Effect{Step::WaitRepository};
  return Effect{Step::Fetch};
}

Effect on_fetched(const Fetched& in) {
  // Errors go through the rate limiter: 750ms doubling per consecutive failure, at most 15m.
  if (in.failed) return Effect{Step::FetchFailed, flux::rate_limited_delay(in.failures - 1)};
  return Effect{Step::Stored, in.interval, !in.had_artifact};
}

FanOut fan_out(std::span<const std::int32_t> listed, std::size_t kustomizations,
               const std::function<std::span<const std::int32_t>(std::int32_t)>& deps) {
  enum Mark : std::uint8_t { Unmarked, Temporary, Permanent };
  std::vector<Mark> mark(kustomizations, Unmarked);
  std::vector<bool> vertex(kustomizations, false);
  for (std::int32_t k : listed) vertex[static_cast<std::size_t>(k)] = true;
  FanOut out;
  // Iterative depth-first search (a long dependsOn chain must not exhaust the stack): each frame is a
  // Kustomization and the index of its next dependency to visit.
  std::vector<std::pair<std::int32_t, std::size_t>> stack;
  for (std::int32_t root : listed) {
    if (mark[static_cast<std::size_t>(root)] != Unmarked) continue;
    mark[static_cast<std::size_t>(root)] = Temporary;
    stack.push_back({root, 0});
    while (!stack.empty()) {
      auto& [u, next] = stack.back();
      const std::span<const std::int32_t> edges = vertex[static_cast<std::size_t>(u)] ? deps(u) : std::span<const std::int32_t>{};
      if (next < edges.size()) {
        const std::int32_t v = edges[next++];
        if (v < 0) continue;  // a dependency that does not exist: its request finds nothing
        if (mark[static_cast<std::size_t>(v)] == Permanent) continue;
        if (mark[static_cast<std::size_t>(v)] == Temporary) {
          // "circular dependency detected: root -> ... -> u -> v"
          for (const auto& frame : stack) out.cycle.push_back(frame.first);
          out.cycle.push_back(v);
          out.enqueue.clear();
          return out;
        }
        mark[static_cast<std::size_t>(v)] = Temporary;
        stack.push_back({v, 0});
        continue;
      }
      mark[static_cast<std::size_t>(u)] = Permanent;
      out.enqueue.push_back(u);
      stack.pop_back();
    }
  }
  return out;
}

}  // namespace source

// ----- the Run applying them -------------------------------------------------------------------------

bool Run::in_outage(std::size_t s, SimTime t) const {
  for (const Fault* f : plan_.sources[s].outages)
    if (f->from <= t && t < f->until) return true;
  return false;
}

void Run::create_source(std::size_t s, SimTime now) {
  SourceState& st = src_[s];
  if (st.exists) return;
  st.exists = true;
  const Plan::Src& plan = plan_.sources[s];
  if (plan.obj != kNone) create_object(static_cast<ObjId>(plan.obj), now, nullptr, kNone);
  trace(source_event(now, TraceType::Created, s, 0, Reason::None, msg(MessageKind::SourceName, static_cast<std::int32_t>(s))));
  if (plan.static_repository) return;  // an OCI HelmRepository: nothing to fetch, no artifact (§11)
  enqueue(spools_[static_cast<std::size_t>(plan.pool)], static_cast<std::uint32_t>(s), now);
}

void Run::start_fetch(std::size_t s, std::int32_t worker, SimTime now) {
  SourceState& st = src_[s];
  const Plan::Src& plan = plan_.sources[s];
  Pool& pool = spools_[static_cast<std::size_t>(plan.pool)];
  source::Dequeued in;
  in.finalized = st.finalized;
  in.repository_artifact = plan.repo == kNone || src_[static_cast<std::size_t>(plan.repo)].artifact;
  const source::Effect effect = source::on_dequeue(in, scenario_.controllers.source);
  if (effect.step != source::Step::Fetch) {
    st.finalized = true;
    pool.release(now, worker);
    pool.queue.done(static_cast<std::uint32_t>(s));
    if (effect.step == source::Step::AddFinalizer) enqueue(pool, static_cast<std::uint32_t>(s), now, effect.requeue);
    return;
  }
  st.in_pass = true;
  st.worker = worker;
  ++st.token;
  st.fetch_started = now;
  const Duration fetch = plan.fetch->sample(st.fetch_rng);
  schedule(now + fetch, EventPriority::StateChange, Event{Ev::SourceStep, static_cast<std::uint32_t>(s), kNone, st.token});
}

void Run::finish_fetch(std::size_t s, SimTime now) {
  SourceState& st = src_[s];
  const Plan::Src& plan = plan_.sources[s];
  Pool& pool = spools_[static_cast<std::size_t>(plan.pool)];
  source::Fetched in;
  for (const Fault* f : plan.outages) in.failed |= source::outage_overlaps(f->from, f->until, st.fetch_started, now);
  st.failures = in.failed ? st.failures + 1 : 0;
  in.failures = st.failures;
  in.had_artifact = st.artifact;
  in.interval = plan.interval;
  const source::Effect effect = source::on_fetched(in);
  st.in_pass = false;
  pool.release(now, st.worker);
  pool.queue.done(static_cast<std::uint32_t>(s));
  st.worker = kNone;
  if (effect.step == source::Step::FetchFailed) {
    trace(source_event(now, TraceType::FetchFailed, s, effect.requeue.count(), Reason::FetchFailed,
                       msg(MessageKind::FetchOutage, static_cast<std::int32_t>(s), -1, -1, effect.requeue.count())));
    enqueue(pool, static_cast<std::uint32_t>(s), now, effect.requeue);
    return;
  }
  if (effect.first_artifact) store_first_artifact(s, now);
  enqueue(pool, static_cast<std::uint32_t>(s), now, effect.requeue);
}

void Run::store_first_artifact(std::size_t s, SimTime now) {
  SourceState& st = src_[s];
  const Plan::Src& plan = plan_.sources[s];
  st.artifact = true;
  st.revision = 1;
  st.first_artifact = now;
  // Fan-out (§3): the Kustomizations of this source, less those that already attempted this revision and
  // are Ready or Reconciling, sorted by dependsOn; their dependencies reached in that walk come along
  // (even on another source); a cycle enqueues nothing.
  std::vector<std::int32_t> listed;
  for (std::int32_t k : plan.kustomizations) {
    const KsState& ks = ks_[static_cast<std::size_t>(k)];
    if (!ks.exists) continue;  // not in the informer cache yet
    if (ks.last_attempted == st.revision && (ks.ready == Ready::True || ks.reconciling)) continue;
    listed.push_back(k);
  }
  const source::FanOut fan = listed.empty() ? source::FanOut{} : source::fan_out(listed, ks_.size(), [&](std::int32_t k) {
    return std::span<const std::int32_t>(plan_.ks[static_cast<std::size_t>(k)].deps);
  });
  // The trace's message names the dependencies the walk added (or the cycle): Kustomization indexes in
  // RunResult::message_args, worded by src/trace.cc.
  Message told = msg(MessageKind::ArtifactStoredFanOut, static_cast<std::int32_t>(s));
  std::vector<std::int32_t>& args = result_.message_args;
  if (options_.record) {
    told.c = static_cast<std::int32_t>(args.size());
    told.b = 0;
  }
  std::size_t enqueued = 0;
  for (std::int32_t k : fan.enqueue) {
    if (!ks_[static_cast<std::size_t>(k)].exists) continue;  // the request finds no object
    enqueue(kpool_, static_cast<std::uint32_t>(k), now);
    ++enqueued;
    if (!options_.record || !fan.cycle.empty() || std::find(listed.begin(), listed.end(), k) != listed.end()) continue;
    args.push_back(k);
    ++told.b;
  }
  if (options_.record) {
    if (!fan.cycle.empty()) {
      told.flag = 2;
      for (std::int32_t k : fan.cycle) args.push_back(k);
      told.b = static_cast<std::int32_t>(fan.cycle.size());
    } else if (enqueued > 0) {
      told.flag = 1;
      told.n = static_cast<std::int64_t>(enqueued);
    }
  }
  trace(source_event(now, TraceType::ArtifactStored, s, st.revision, Reason::Succeeded, told));
  // HelmCharts waiting for this repository, and HelmReleases watching this chart.
  for (std::int32_t c : plan.charts)
    if (src_[static_cast<std::size_t>(c)].exists)
      enqueue(spools_[static_cast<std::size_t>(plan_.sources[static_cast<std::size_t>(c)].pool)], static_cast<std::uint32_t>(c),
              now);
  for (std::int32_t h : plan.helm_releases)
    if (hr_[static_cast<std::size_t>(h)].exists && !hr_[static_cast<std::size_t>(h)].stalled)
      enqueue(hpool_, static_cast<std::uint32_t>(h), now);
}

}  // namespace fluxsim::sim
