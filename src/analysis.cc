// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/analysis.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "fluxsim/report.h"

namespace fluxsim {
namespace {

/// The Kustomization passes of each Kustomization, in start order: one scan of the pass records instead
/// of one per Kustomization.
std::vector<std::vector<const PassRecord*>> passes_by_kustomization(const RunResult& result) {
  std::vector<std::vector<const PassRecord*>> out(result.kustomizations.size());
  for (const PassRecord& p : result.passes)
    if (p.controller == Controller::Kustomize && p.subject >= 0 && static_cast<std::size_t>(p.subject) < out.size())
      out[static_cast<std::size_t>(p.subject)].push_back(&p);
  return out;
}

TimeSplit split_of(const World& world, const RunResult& result, std::size_t k, const std::vector<const PassRecord*>& passes);

}  // namespace

Duration TimeSplit::total() const {
  return creation + worker + dependency + source + retry + build + apply + health + other;
}

TimeSplit split_time(const World& world, const RunResult& result, std::size_t k) {
  std::vector<const PassRecord*> passes;
  for (const PassRecord& p : result.passes)
    if (p.controller == Controller::Kustomize && p.subject == static_cast<std::int32_t>(k)) passes.push_back(&p);
  return split_of(world, result, k, passes);
}

namespace {

TimeSplit split_of(const World& world, const RunResult& result, std::size_t k, const std::vector<const PassRecord*>& passes) {
  TimeSplit split;
  const KustomizationSummary& s = result.kustomizations.at(k);
  if (s.created_at == kNever) return split;
  const SimTime end = s.ready_at != kNever ? s.ready_at : result.ended_at;
  std::vector<Duration> per_dep(world.kustomizations.size(), Duration{0});
  SimTime cursor = s.created_at;
  const PassRecord* previous = nullptr;
  auto span = [&](SimTime from, SimTime to) { return to > from ? to - from : Duration{0}; };
  for (const PassRecord* pass : passes) {
    const PassRecord& p = *pass;
    if (p.started_at >= end) break;
    // Between the previous pass (or creation) and this one becoming due.
    const SimTime due = std::clamp(p.queued_at, cursor, p.started_at);
    const Duration gap = span(cursor, due);
    if (!previous) {
      split.creation += gap;
    } else {
      switch (previous->outcome) {
        case PassOutcome::DependencyNotReady:
          split.dependency += gap;
          if (previous->blocked_by >= 0) per_dep[static_cast<std::size_t>(previous->blocked_by)] += gap;
          break;
        case PassOutcome::SourceNotFound:
        case PassOutcome::ArtifactNotReady: split.source += gap; break;
        default: (is_failure(previous->outcome) ? split.retry : split.other) += gap; break;
      }
    }
    split.worker += span(due, p.started_at);
    const SimTime stop = std::min(p.ended_at, end);
    const SimTime built = std::min(p.built_at, stop);
    const SimTime applied = std::min(p.applied_at, stop);
    if (p.attempt > 0) {
      split.build += span(p.started_at, built);
      split.apply += span(built, applied);
      split.health += span(applied, stop);
    }
    cursor = stop;
    previous = &p;
  }
  // Time after the last pass that began before the end.
  if (cursor < end) {
    const Duration gap = end - cursor;
    if (!previous) split.creation += gap;
    else if (previous->outcome == PassOutcome::DependencyNotReady) {
      split.dependency += gap;
      if (previous->blocked_by >= 0) per_dep[static_cast<std::size_t>(previous->blocked_by)] += gap;
    } else if (previous->outcome == PassOutcome::SourceNotFound || previous->outcome == PassOutcome::ArtifactNotReady)
      split.source += gap;
    else if (is_failure(previous->outcome))
      split.retry += gap;
    else
      split.other += gap;
  }
  for (std::size_t d = 0; d < per_dep.size(); ++d)
    if (per_dep[d] > split.main_dependency_wait) {
      split.main_dependency_wait = per_dep[d];
      split.main_dependency = static_cast<std::int32_t>(d);
    }
  return split;
}

/// Worker usage over [0, end) recomputed from the pass records, for the pools the engine measured.
std::vector<WorkerUsage> usage_until(const World& world, const RunResult& r, SimTime end) {
  std::vector<WorkerUsage> out;
  std::map<std::string, std::size_t> index;
  for (const WorkerUsage& u : r.workers) {
    WorkerUsage w;
    w.controller = u.controller;
    w.pool = u.pool;
    w.workers = u.workers;
    w.end = end;
    index[u.pool] = out.size();
    out.push_back(std::move(w));
  }
  std::vector<std::vector<std::pair<SimTime, int>>> busy(out.size()), waiting(out.size());
  for (const PassRecord& p : r.passes) {
    auto it = index.find(worker_pool(world, p));
    if (it == index.end() || p.started_at == kNever || p.started_at >= end) continue;
    const SimTime stop = std::min(p.ended_at == kNever ? r.ended_at : p.ended_at, end);
    if (stop > p.started_at) {
      out[it->second].busy += stop - p.started_at;
      busy[it->second].push_back({p.started_at, +1});
      busy[it->second].push_back({stop, -1});
    }
    if (p.queued_at != kNever && p.queued_at < p.started_at) {
      waiting[it->second].push_back({p.queued_at, +1});
      waiting[it->second].push_back({p.started_at, -1});
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::sort(busy[i].begin(), busy[i].end());
    int running = 0;
    SimTime since{};
    for (const auto& [t, d] : busy[i]) {
      if (running >= out[i].workers && out[i].workers > 0) out[i].saturated += t - since;
      running += d;
      since = t;
    }
    std::sort(waiting[i].begin(), waiting[i].end());
    int depth = 0;
    for (const auto& [t, d] : waiting[i]) {
      depth += d;
      out[i].max_queue_depth = std::max(out[i].max_queue_depth, static_cast<std::size_t>(std::max(depth, 0)));
    }
  }
  return out;
}

}  // namespace

std::string worker_pool(const World& world, const PassRecord& p) {
  switch (p.controller) {
    case Controller::Kustomize: return "kustomize-controller";
    case Controller::Helm: return "helm-controller";
    case Controller::Source: {
      const auto i = static_cast<std::size_t>(p.subject);
      return "source-controller " + (p.subject >= 0 && i < world.sources.size() ? world.sources[i].ref.kind : std::string("HelmChart"));
    }
  }
  return {};
}

RunAnalysis analyse_run(const World& world, const Scenario& scenario, const RunResult& r) {
  RunAnalysis a{DependencyGraph(world), critical_path(world, scenario, r), {}, display_names(world), ready_order(world, r), {}, {}, {}, {}, {},
                {}, 0, 0, kNever, {}, {}, {}};
  const std::size_t n = world.kustomizations.size();
  a.on_critical_path.assign(n, false);
  for (const CriticalStep& s : a.critical_path.steps) a.on_critical_path[s.kustomization] = true;
  const auto by_k = passes_by_kustomization(r);
  a.timelines = timelines(r);
  a.timelines.resize(n);
  a.splits.reserve(n);
  for (std::size_t k = 0; k < n; ++k) a.splits.push_back(split_of(world, r, k, by_k[k]));

  // The rollout's frame: the last Ready, every creation, and the first failure of those never Ready.
  SimTime rollout{};
  for (std::size_t k = 0; k < n && k < r.kustomizations.size(); ++k) {
    const KustomizationSummary& s = r.kustomizations[k];
    if (s.ready_at != kNever) {
      ++a.ready;
      a.last_ready = a.last_ready == kNever ? s.ready_at : std::max(a.last_ready, s.ready_at);
      rollout = std::max(rollout, s.ready_at);
    }
    if (s.created_at != kNever) rollout = std::max(rollout, s.created_at);
    std::size_t index = a.failures.size();
    for (const PassRecord* p : by_k[k]) {
      if (p->outcome != PassOutcome::BuildFailed && p->outcome != PassOutcome::ApplyFailed && p->outcome != PassOutcome::HealthCheckFailed)
        continue;
      if (index == a.failures.size()) {
        a.failures.push_back({k, 0, p->ended_at, p->ended_at, {}, {}, 0, {}});
        if (s.ready_at == kNever) rollout = std::max(rollout, p->ended_at);
      }
      FailureGroup& g = a.failures[index];
      std::string text = message(world, r, *p);
      if (g.count > 0 && text != g.message) ++g.other_messages;
      ++g.count;
      g.last = p->ended_at;
      g.reason = to_string(p->reason);
      g.message = std::move(text);
      g.retry = p->requeue_after;
      ++a.failed_attempts;
    }
  }
  a.why_not_ready.assign(n, {});
  a.why_not_ready_reason.assign(n, {});
  for (std::size_t k = 0; k < n && k < r.kustomizations.size(); ++k) {
    const KustomizationSummary& s = r.kustomizations[k];
    if (s.ready_at != kNever) continue;
    const std::string reason = to_string(s.reason);
    a.why_not_ready_reason[k] = reason.empty() ? to_string(s.status) : reason;
    a.why_not_ready[k] = reason.empty() ? message(world, r, s) : reason + ": " + message(world, r, s);
  }
  for (const FailureGroup& g : a.failures) {
    if (r.kustomizations[g.kustomization].ready_at != kNever) continue;
    a.why_not_ready_reason[g.kustomization] = g.reason;
    a.why_not_ready[g.kustomization] = g.reason + ": " + g.message;
  }
  std::stable_sort(a.failures.begin(), a.failures.end(), [](const FailureGroup& x, const FailureGroup& y) { return x.first < y.first; });
  if (rollout == SimTime{}) rollout = r.ended_at;
  const Duration span = rollout.time_since_epoch();
  // A settled run (RunResult::settled) is known to stay as it ended until the horizon.
  const SimTime known_until = r.settled ? r.horizon : r.ended_at;
  a.frame_end = std::min(SimTime{span + std::max(Duration{1'000}, span / 25)}, std::max(known_until, SimTime{Duration{1'000}}));

  a.phases = parallel_phases(r, r.all_ready ? r.time_to_ready + Duration{1} : a.frame_end);

  // Worker usage over the rollout, not over the steady state that follows it.
  if (r.all_ready && !r.workers_until_ready.empty()) {
    a.usage = r.workers_until_ready;
    a.usage_window = "until all Ready";
  } else if (a.last_ready != kNever && a.last_ready > SimTime{} && !r.passes.empty()) {
    a.usage = usage_until(world, r, a.last_ready);
    a.usage_window = fmt::format("until the last Ready ({})", format_time(a.last_ready));
  } else {
    a.usage = r.workers;
    a.usage_window = fmt::format("over the run ({})", format_time(r.ended_at));
  }
  return a;
}

std::string longest_wait(const World& world, const TimeSplit& split) {
  struct Part {
    Duration d;
    std::string what;
  };
  std::vector<Part> parts = {
      {split.worker, "a free worker"},
      {split.source, "the source artifact"},
      {split.retry, "retryInterval after a failure"},
      {split.health, "health checks"},
  };
  if (split.dependency > Duration{0}) {
    std::string dep = split.main_dependency >= 0
                          ? "dependency " + world.kustomizations[static_cast<std::size_t>(split.main_dependency)].ref.name
                          : "a missing dependency";
    parts.push_back({split.dependency, dep});
  }
  auto best = std::max_element(parts.begin(), parts.end(), [](const Part& a, const Part& b) { return a.d < b.d; });
  if (best == parts.end() || best->d <= Duration{0}) return "-";
  return fmt::format("{} ({})", best->what, format_duration(best->d));
}

std::int32_t find_kustomization(const World& world, std::string_view name) {
  std::size_t slash = name.find('/');
  for (std::size_t i = 0; i < world.kustomizations.size(); ++i) {
    const ObjectRef& r = world.kustomizations[i].ref;
    if (slash == std::string_view::npos ? r.name == name : (r.ns == name.substr(0, slash) && r.name == name.substr(slash + 1)))
      return static_cast<std::int32_t>(i);
  }
  return -1;
}

std::vector<ExpectationResult> check_expectations(const Scenario& scenario, const World& world, const RunResult& r) {
  std::vector<ExpectationResult> out;
  const Expectations& e = scenario.expect;
  if (e.all_ready_within) {
    ExpectationResult x;
    x.expect = "allReadyWithin " + format_duration(*e.all_ready_within);
    x.met = r.all_ready && r.time_to_ready.time_since_epoch() <= *e.all_ready_within;
    x.detail = r.all_ready ? "all Ready after " + format_time(r.time_to_ready) : "not every Kustomization became Ready";
    out.push_back(std::move(x));
  }
  auto ready_at = [&](const std::string& name) {
    std::int32_t i = find_kustomization(world, name);
    return i < 0 ? kNever : r.kustomizations[static_cast<std::size_t>(i)].ready_at;
  };
  for (const std::string& name : e.ready) {
    ExpectationResult x;
    x.expect = "ready " + name;
    SimTime t = ready_at(name);
    x.met = t != kNever;
    x.detail = x.met ? "Ready at " + format_time(t) : "never Ready within the horizon";
    out.push_back(std::move(x));
  }
  for (const auto& [a, b] : e.before) {
    ExpectationResult x;
    x.expect = fmt::format("before {} {}", a, b);
    SimTime ta = ready_at(a);
    std::int32_t ib = find_kustomization(world, b);
    SimTime tb = ib < 0 ? kNever : r.kustomizations[static_cast<std::size_t>(ib)].first_applied_at;
    x.met = ta != kNever && ta <= tb;
    if (ta == kNever) x.detail = a + " never Ready";
    else if (tb == kNever) x.detail = fmt::format("{} Ready at {}; {} never applied", a, format_time(ta), b);
    else x.detail = fmt::format("{} Ready at {}, {} started applying at {}", a, format_time(ta), b, format_time(tb));
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace fluxsim
