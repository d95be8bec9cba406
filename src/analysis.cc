// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/analysis.h"

#include <algorithm>

#include <fmt/format.h>

namespace fluxsim {

Duration TimeSplit::total() const {
  return creation + worker + dependency + source + retry + build + apply + health + other;
}

TimeSplit split_time(const World& world, const RunResult& result, std::size_t k) {
  TimeSplit split;
  const KustomizationSummary& s = result.kustomizations.at(k);
  if (s.created_at == kNever) return split;
  const SimTime end = s.ready_at != kNever ? s.ready_at : result.ended_at;
  std::vector<Duration> per_dep(world.kustomizations.size(), Duration{0});
  SimTime cursor = s.created_at;
  const PassRecord* previous = nullptr;
  auto span = [&](SimTime from, SimTime to) { return to > from ? to - from : Duration{0}; };
  for (const PassRecord& p : result.passes) {
    if (p.controller != Controller::Kustomize || p.subject != static_cast<std::int32_t>(k)) continue;
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
