// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/timeline.h"

#include <algorithm>
#include <utility>

namespace fluxsim {

const char* to_string(Phase p) {
  switch (p) {
    case Phase::Startup: return "startup";
    case Phase::Queued: return "queued";
    case Phase::WaitingForSource: return "waiting for source";
    case Phase::WaitingForDependency: return "waiting for dependencies";
    case Phase::Applying: return "applying";
    case Phase::HealthChecking: return "health checking";
    case Phase::Failed: return "failed";
    case Phase::Ready: return "ready";
    case Phase::Idle: return "idle";
  }
  return "?";
}

namespace {

/// The phase between the end of a pass and the next one, decided by how the pass ended.
Phase after(PassOutcome o) {
  switch (o) {
    case PassOutcome::SourceNotFound:
    case PassOutcome::ArtifactNotReady: return Phase::WaitingForSource;
    case PassOutcome::DependencyNotReady: return Phase::WaitingForDependency;
    case PassOutcome::Succeeded: return Phase::Ready;
    default: return is_failure(o) ? Phase::Failed : Phase::Idle;
  }
}

/// Builds one Kustomization's spans from its passes, fed in start order.
class TimelineBuilder {
 public:
  TimelineBuilder(const RunResult& result, std::size_t k)
      : created_(result.kustomizations[k].created_at),
        // A settled run stays as it ended until the horizon (RunResult::settled): its last phase runs on to it.
        end_(result.settled ? result.horizon : result.ended_at),
        cursor_(created_),
        done_(created_ == kNever || created_ >= end_) {}

  bool done() const { return done_; }

  /// Pass `i` of RunResult::passes, one of this Kustomization's.
  void pass(const PassRecord& p, std::size_t i) {
    if (done_) return;
    if (p.started_at >= end_) {
      done_ = true;
      return;
    }
    const auto id = static_cast<std::int32_t>(i);
    const SimTime due = std::clamp(p.queued_at, cursor_, std::max(cursor_, p.started_at));
    add(gap_, cursor_, due, previous_);
    add(Phase::Queued, due, p.started_at, id);
    const SimTime stop = std::min(p.ended_at, end_);
    if (p.attempt > 0) {
      const SimTime health = p.health_started_at != kNever ? std::min(p.health_started_at, stop) : stop;
      add(Phase::Applying, p.started_at, health, id);
      add(Phase::HealthChecking, health, stop, id);
    }
    cursor_ = std::max(cursor_, stop);
    gap_ = after(p.outcome);
    previous_ = id;
    if (p.ended_at == kNever) done_ = true;  // still running at the end of the run
  }

  std::vector<PhaseSpan> finish() && {
    if (created_ == kNever || created_ >= end_) return {};
    add(gap_, cursor_, end_, previous_);
    return std::move(spans_);
  }

 private:
  void add(Phase phase, SimTime from, SimTime to, std::int32_t pass) {
    from = std::max(from, created_);
    to = std::min(to, end_);
    if (to <= from) return;
    // Consecutive waits of one kind (dependency polls, say) read as one span; passes stay apart.
    const bool wait = phase != Phase::Applying && phase != Phase::HealthChecking && phase != Phase::Queued;
    if (!spans_.empty() && spans_.back().phase == phase && spans_.back().to == from && (wait || spans_.back().pass == pass)) {
      spans_.back().to = to;
      return;
    }
    spans_.push_back({phase, from, to, pass});
  }

  std::vector<PhaseSpan> spans_;
  SimTime created_;
  SimTime end_;
  SimTime cursor_;
  Phase gap_ = Phase::Startup;
  std::int32_t previous_ = -1;
  bool done_;
};

}  // namespace

std::vector<PhaseSpan> timeline(const RunResult& result, std::size_t k) {
  if (k >= result.kustomizations.size()) return {};
  TimelineBuilder b(result, k);
  for (std::size_t i = 0; i < result.passes.size() && !b.done(); ++i) {
    const PassRecord& p = result.passes[i];
    if (p.controller == Controller::Kustomize && p.subject == static_cast<std::int32_t>(k)) b.pass(p, i);
  }
  return std::move(b).finish();
}

std::vector<std::vector<PhaseSpan>> timelines(const RunResult& result) {
  std::vector<TimelineBuilder> builders;
  builders.reserve(result.kustomizations.size());
  for (std::size_t k = 0; k < result.kustomizations.size(); ++k) builders.emplace_back(result, k);
  for (std::size_t i = 0; i < result.passes.size(); ++i) {
    const PassRecord& p = result.passes[i];
    if (p.controller == Controller::Kustomize && p.subject >= 0 && static_cast<std::size_t>(p.subject) < builders.size())
      builders[static_cast<std::size_t>(p.subject)].pass(p, i);
  }
  std::vector<std::vector<PhaseSpan>> out;
  out.reserve(builders.size());
  for (TimelineBuilder& b : builders) out.push_back(std::move(b).finish());
  return out;
}

std::vector<ParallelPhase> parallel_phases(const RunResult& result, SimTime until) {
  struct Attempt {
    SimTime from, to;
    std::size_t k;
  };
  std::vector<Attempt> attempts;
  for (const PassRecord& p : result.passes) {
    if (p.controller != Controller::Kustomize || p.attempt <= 0 || p.subject < 0 || p.started_at >= until) continue;
    attempts.push_back({p.started_at, p.ended_at == kNever ? std::max(result.ended_at, p.started_at) : p.ended_at,
                        static_cast<std::size_t>(p.subject)});
  }
  std::stable_sort(attempts.begin(), attempts.end(), [](const Attempt& a, const Attempt& b) { return a.from < b.from; });
  std::vector<ParallelPhase> phases;
  std::vector<std::pair<SimTime, int>> edges;  // +1 at a start, -1 at an end, for the phase being built
  auto close = [&] {
    if (phases.empty()) return;
    std::sort(edges.begin(), edges.end());  // at equal times ends (-1) come before starts (+1)
    int running = 0;
    for (const auto& [t, delta] : edges) phases.back().max_parallel = std::max(phases.back().max_parallel, running += delta);
    edges.clear();
  };
  for (const Attempt& a : attempts) {
    if (phases.empty() || a.from >= phases.back().to) {
      close();
      phases.push_back({a.from, a.to, {}, 0});
    }
    ParallelPhase& ph = phases.back();
    ph.to = std::max(ph.to, a.to);
    if (std::find(ph.kustomizations.begin(), ph.kustomizations.end(), a.k) == ph.kustomizations.end()) ph.kustomizations.push_back(a.k);
    edges.push_back({a.from, 1});
    edges.push_back({a.to, -1});
  }
  close();
  return phases;
}

}  // namespace fluxsim
