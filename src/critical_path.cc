// SPDX-License-Identifier: Apache-2.0
// Walking back from the last Kustomization to become Ready. For a step of Kustomization k that ends at
// time E (its Ready, or the moment it created the next step's Kustomization), the pass running at E was
// released by whichever came last of:
//   - its health check's wait for a child Kustomization that turned Ready during it (HealthCheck),
//   - the dependsOn entry that turned Ready after its last failed dependency check (Dependency),
//   - its creation by its parent (Parent), or by bootstrap for the root (Start).
// Worked example (tests/engine_test.cc, chain a <- b <- c, all wait: true on a 30s Deployment):
//   c Ready 153.58s; its last DependencyNotReady check was at 92.56s and b turned Ready at 93.56s, so
//   c's step is [93.56s, 153.58s) = 29s dependency poll + 1.02s apply + 30s health; then b the same way,
//   then a from its creation at 1.77s, then flux-system from 0.
#include "fluxsim/critical_path.h"

#include <algorithm>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "flux/health.h"
#include "fluxsim/timeline.h"

namespace fluxsim {

Duration TimeParts::total() const { return startup + worker + dependency + source + apply + health + retry + other; }

TimeParts& TimeParts::operator+=(const TimeParts& o) {
  startup += o.startup;
  worker += o.worker;
  dependency += o.dependency;
  source += o.source;
  apply += o.apply;
  health += o.health;
  retry += o.retry;
  other += o.other;
  return *this;
}

std::vector<std::pair<const char*, Duration>> named_parts(const TimeParts& p) {
  return {{"startup", p.startup}, {"worker", p.worker}, {"dependency", p.dependency}, {"source", p.source},
          {"apply", p.apply},     {"health", p.health}, {"retry", p.retry},           {"other", p.other}};
}

std::string to_string(const TimeParts& parts) {
  auto named = named_parts(parts);
  std::stable_sort(named.begin(), named.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [name, d] : named)
    if (d > Duration{0}) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", name, format_duration(d));
  return out.empty() ? "-" : out;
}

const char* to_string(Gate g) {
  switch (g) {
    case Gate::Start: return "start";
    case Gate::Parent: return "parent";
    case Gate::Dependency: return "dependsOn";
    case Gate::HealthCheck: return "healthCheck";
  }
  return "?";
}

std::vector<NodeId> CriticalPath::nodes() const {
  std::vector<NodeId> out;
  for (const CriticalStep& s : steps) out.push_back(s.kustomization);
  return out;
}

namespace {

bool failed(PassOutcome o) { return is_failure(o); }

Duration& part_of(TimeParts& parts, Phase p) {
  switch (p) {
    case Phase::Startup: return parts.startup;
    case Phase::Queued: return parts.worker;
    case Phase::WaitingForSource: return parts.source;
    case Phase::WaitingForDependency: return parts.dependency;
    case Phase::Applying: return parts.apply;
    case Phase::HealthChecking: return parts.health;
    case Phase::Failed: return parts.retry;
    case Phase::Ready:
    case Phase::Idle: return parts.other;
  }
  return parts.other;
}


/// At most about 100 characters of a Flux message, cut at a word.
std::string shorten(const std::string& text) {
  constexpr std::size_t kMax = 100;
  if (text.size() <= kMax) return text;
  std::size_t cut = text.rfind(' ', kMax);
  if (cut == std::string::npos || cut < kMax / 2) cut = kMax;
  return text.substr(0, cut) + " …";
}

class Walker {
 public:
  Walker(const World& w, const Scenario& s, const RunResult& r)
      : world_(w), scenario_(s), result_(r), graph_(w), health_(w) {
    const std::size_t n = w.kustomizations.size();
    passes_.resize(n);
    ready_.resize(n);
    for (std::size_t i = 0; i < r.passes.size(); ++i) {
      const PassRecord& p = r.passes[i];
      if (p.controller != Controller::Kustomize || p.subject < 0 || static_cast<std::size_t>(p.subject) >= n) continue;
      passes_[static_cast<std::size_t>(p.subject)].push_back(i);
      if (p.outcome == PassOutcome::Succeeded && p.ended_at != kNever) ready_[static_cast<std::size_t>(p.subject)].push_back(p.ended_at);
    }
    for (auto& v : ready_) std::sort(v.begin(), v.end());
  }

  CriticalPath walk() {
    CriticalPath cp;
    const std::size_t n = world_.kustomizations.size();
    if (n == 0 || result_.kustomizations.size() != n) {
      cp.summary = "no critical path: the run has no Kustomizations";
      return cp;
    }
    std::string missing;  // "not every Kustomization became Ready ...: " when some never did
    if (!result_.all_ready) {
      std::vector<std::string> never;
      for (NodeId k : graph_.sorted_nodes())
        if (result_.kustomizations[k].ready_at == kNever) never.push_back(graph_.name(k));
      std::string list;
      for (std::size_t i = 0; i < never.size() && i < 5; ++i) list += (i ? ", " : "") + never[i];
      if (never.size() > 5) list += fmt::format(" and {} more", never.size() - 5);
      missing = fmt::format("not every Kustomization became Ready within {} ({})", format_time(result_.ended_at), list);
      if (never.size() == n) {
        cp.summary = "no critical path: " + missing;
        return cp;
      }
    }
    if (result_.passes.empty()) {
      cp.summary = "no critical path: the run was not recorded";
      return cp;
    }
    // The last to become Ready (ties: the first in sorted-name order).
    std::optional<NodeId> last;
    for (NodeId k : graph_.sorted_nodes()) {
      const SimTime t = result_.kustomizations[k].ready_at;
      if (t != kNever && (!last || t > result_.kustomizations[*last].ready_at)) last = k;
    }
    cp.end = result_.kustomizations[*last].ready_at;
    cp.complete = result_.all_ready;

    std::vector<CriticalStep> reversed;
    std::set<std::tuple<NodeId, std::int64_t, bool>> visited;
    NodeId k = *last;
    SimTime end = cp.end;
    bool ready_end = true;
    for (std::size_t guard = 0; guard <= result_.passes.size() + n; ++guard) {
      visited.insert({k, to_ms(end), ready_end});
      Next next;
      CriticalStep step = make_step(k, end, ready_end, next);
      // Never loop: a predecessor already on the path (or later in time) ends the walk here.
      if (next.k >= 0 && (next.end > end || visited.count({static_cast<NodeId>(next.k), to_ms(next.end), next.ready_end}))) {
        next.k = -1;
      }
      reversed.push_back(std::move(step));
      if (next.k < 0) break;
      k = static_cast<NodeId>(next.k);
      end = next.end;
      ready_end = next.ready_end;
    }
    cp.steps.assign(reversed.rbegin(), reversed.rend());
    for (const CriticalStep& s : cp.steps) cp.parts += s.parts;
    cp.summary = summarize(cp);
    if (!missing.empty())
      cp.summary = fmt::format("{}; up to the last that did ({} at {}): {}", missing, graph_.name(*last), format_time(cp.end), cp.summary);
    return cp;
  }

 private:
  struct Next {
    std::int32_t k = -1;
    SimTime end{};
    bool ready_end = false;
  };

  const PassRecord& pass(std::size_t i) const { return result_.passes[i]; }

  /// The first Ready transition of k in (a, b], or kNever.
  SimTime first_ready_in(NodeId k, SimTime a, SimTime b) const {
    for (SimTime t : ready_[k])
      if (t > a && t <= b) return t;
    return kNever;
  }
  /// The last Ready transition of k in (a, b], or kNever.
  SimTime last_ready_in(NodeId k, SimTime a, SimTime b) const {
    SimTime found = kNever;
    for (SimTime t : ready_[k])
      if (t > a && t <= b) found = t;
    return found;
  }

  CriticalStep make_step(NodeId k, SimTime end, bool ready_end, Next& next) const {
    const KustomizationSummary& summary = result_.kustomizations[k];
    const std::vector<std::size_t>& ps = passes_[k];
    // The pass running at `end`: the one that turned Ready then, or the apply that created the child.
    std::size_t at = ps.size();
    for (std::size_t i = 0; i < ps.size(); ++i) {
      const PassRecord& p = pass(ps[i]);
      if (ready_end ? (p.outcome == PassOutcome::Succeeded && p.ended_at == end)
                    : (p.attempt > 0 && p.started_at <= end && p.ended_at >= end)) {
        at = i;
        break;
      }
    }
    CriticalStep step;
    step.kustomization = k;
    step.to = end;
    step.gate = Gate::Parent;
    step.from = std::min(summary.created_at, end);
    next = Next{summary.parent, step.from, false};

    bool gated = false;
    if (at < ps.size()) {
      const PassRecord& pe = pass(ps[at]);
      // Its health check waited for a child Kustomization that turned Ready during it.
      if (ready_end && pe.health_started_at != kNever) {
        SimTime best = kNever;
        std::int32_t who = -1;
        for (std::size_t j : health_.kustomizations(k)) {
          SimTime t = last_ready_in(j, pe.health_started_at, end);
          if (t != kNever && (best == kNever || t > best)) {
            best = t;
            who = static_cast<std::int32_t>(j);
          }
        }
        if (who >= 0) {
          step.gate = Gate::HealthCheck;
          step.from = best;
          next = Next{who, best, true};
          gated = true;
        }
      }
      // Its last failed dependency check, and the dependency that turned Ready last after it.
      if (!gated) {
        for (std::size_t i = at; i-- > 0;) {
          const PassRecord& q = pass(ps[i]);
          if (q.outcome == PassOutcome::Succeeded) break;
          if (q.outcome != PassOutcome::DependencyNotReady) continue;
          const SimTime bound = pass(ps[i + 1]).started_at;
          SimTime best = kNever;
          std::int32_t who = -1;
          for (NodeId d : graph_.dependencies(k)) {
            SimTime t = first_ready_in(d, q.started_at, bound);
            if (t != kNever && (best == kNever || t > best)) {
              best = t;
              who = static_cast<std::int32_t>(d);
            }
          }
          if (who >= 0 && best >= summary.created_at) {
            step.gate = Gate::Dependency;
            step.from = best;
            next = Next{who, best, true};
            gated = true;
          }
          break;
        }
      }
    }
    if (!gated && next.k < 0) step.gate = Gate::Start;

    // Where the time of [from, to) went.
    for (const PhaseSpan& s : timeline(result_, k)) {
      const SimTime a = std::max(s.from, step.from), b = std::min(s.to, step.to);
      if (b > a) part_of(step.parts, s.phase) += b - a;
    }

    Duration longest{0};
    for (std::size_t i : ps) {
      const PassRecord& p = pass(i);
      if (p.started_at <= step.from || p.started_at > step.to) continue;
      const SimTime due = std::max(p.queued_at, step.from);
      if (p.started_at > due && p.started_at - due > longest) {
        longest = p.started_at - due;
        step.worker_freed_by = -1;
        for (const PassRecord& o : result_.passes)
          if (o.controller == Controller::Kustomize && o.worker == p.worker && o.ended_at == p.started_at && o.subject != p.subject) {
            step.worker_freed_by = o.subject;
            break;
          }
      }
      if (failed(p.outcome) && p.started_at < step.to) {
        ++step.failed_attempts;
        const std::string reason = to_string(p.reason);
        step.last_failure = reason.empty() ? message(world_, result_, p) : reason + ": " + message(world_, result_, p);
        if (p.outcome == PassOutcome::HealthCheckFailed && p.health_started_at != kNever && step.starved_child < 0)
          step.starved_child = starved_child(k, p.health_started_at, p.ended_at);
      }
    }
    return step;
  }

  /// A Kustomization k's health check waited on over [from, to) that was queued for a worker (or not yet
  /// past its finalizer requeue) for at least half of that time; -1 when there is none.
  std::int32_t starved_child(NodeId k, SimTime from, SimTime to) const {
    if (to <= from) return -1;
    for (std::size_t j : health_.kustomizations(k)) {
      Duration queued{0};
      for (const PhaseSpan& s : timeline(result_, j)) {
        if (s.phase != Phase::Queued && s.phase != Phase::Startup) continue;
        const SimTime a = std::max(s.from, from), b = std::min(s.to, to);
        if (b > a) queued += b - a;
      }
      if (queued * 2 >= to - from) return static_cast<std::int32_t>(j);
    }
    return -1;
  }

  std::string summarize(const CriticalPath& cp) const {
    const TimeParts& t = cp.parts;
    const Duration total = t.total();
    if (total <= Duration{0}) return "everything was Ready at once";
    struct Cause {
      Duration d;
      int which;
    };
    const Cause causes[] = {{t.dependency, 0}, {t.worker, 1}, {t.health, 2}, {t.retry, 3},
                            {t.source, 4},     {t.apply, 5},  {t.startup, 6}, {t.other, 7}};
    const Cause* best = &causes[0];
    for (const Cause& c : causes)
      if (c.d > best->d) best = &c;
    const long pct = std::lround(100.0 * static_cast<double>(best->d.count()) / static_cast<double>(total.count()));
    const std::string head = fmt::format("{}% of the {} is", pct, format_duration(total));
    const KustomizeControllerSettings& kc = scenario_.controllers.kustomize;

    // The step that holds most of the dominant part, to name names.
    auto part = [&](const TimeParts& p) {
      switch (best->which) {
        case 0: return p.dependency;
        case 1: return p.worker;
        case 2: return p.health;
        case 3: return p.retry;
        case 4: return p.source;
        case 5: return p.apply;
        case 6: return p.startup;
        default: return p.other;
      }
    };
    const CriticalStep* top = &cp.steps.front();
    for (const CriticalStep& s : cp.steps)
      if (part(s.parts) > part(top->parts)) top = &s;
    const std::string& who = graph_.name(top->kustomization);
    const Kustomization& spec = world_.kustomizations[top->kustomization];

    // A health check that failed because what it waited for never got a worker: worker saturation, whatever
    // the largest part is called.
    if ((best->which == 2 || best->which == 3) && top->starved_child >= 0)
      return fmt::format("{} {} because {}'s health check waited for {}, which could not get a worker while all {} were busy "
                         "(wait: true passes hold theirs): consider --concurrent={} (controllers.kustomize.concurrent), or "
                         "fewer wait: true Kustomizations",
                         head, best->which == 2 ? "health checking" : "retry delay after a failed health check", who,
                         graph_.name(static_cast<NodeId>(top->starved_child)), kc.concurrent, kc.concurrent * 2);

    switch (best->which) {
      case 0: {
        int links = 0;
        for (const CriticalStep& s : cp.steps) links += s.gate == Gate::Dependency ? 1 : 0;
        std::string what = fmt::format("{} dependency polling ({} dependsOn link{} on the path, each re-checked every {})", head,
                                       links, links == 1 ? "" : "s", format_duration(kc.requeue_dependency));
        if (kc.requeue_dependency > Duration{5'000})
          return what + ": consider --requeue-dependency=5s (controllers.kustomize.requeueDependency)";
        return what + ": consider fewer dependsOn links on this path";
      }
      case 1:
        return fmt::format("{} waiting for a free kustomize-controller worker (all {} busy): consider --concurrent={} "
                           "(controllers.kustomize.concurrent), or fewer wait: true Kustomizations holding workers",
                           head, kc.concurrent, kc.concurrent * 2);
      case 2:
        return fmt::format("{} health checking, mostly {} waiting for its objects to become Current ({}): that is the "
                           "workloads' own readiness time; drop wait: true where dependents do not need it, or check only "
                           "what they need with healthChecks",
                           head, who, spec.wait ? "wait: true" : "healthChecks");
      case 3:
        return fmt::format("{} retry delay after failed attempts, mostly {} ({}): consider a shorter spec.retryInterval on {} "
                           "(now {}), or fix the failure",
                           head, who, shorten(top->last_failure.empty() ? "failed" : top->last_failure), who,
                           format_duration(spec.retry_interval_or_default()));
      case 4:
        return fmt::format("{} waiting for the source artifact (mostly {}): check the source's fetch time and its "
                           "spec.interval, or source-controller --concurrent",
                           head, who);
      case 5:
        return fmt::format("{} building and applying, mostly {}: large bundles and CRD/Namespace stage waits; "
                           "consider splitting it",
                           head, who);
      case 6:
        return fmt::format("{} new Kustomizations' first requeue (their first pass only adds the finalizer, "
                           "--min-retry-delay): a flatter hierarchy pays it fewer times",
                           head);
      default: return fmt::format("{} idle time between passes", head);
    }
  }

  const World& world_;
  const Scenario& scenario_;
  const RunResult& result_;
  DependencyGraph graph_;
  flux::HealthCheckResolver health_;
  std::vector<std::vector<std::size_t>> passes_;  // per Kustomization: indexes into result.passes
  std::vector<std::vector<SimTime>> ready_;       // per Kustomization: Ready transitions, ascending
};

}  // namespace

CriticalPath critical_path(const World& world, const Scenario& scenario, const RunResult& result) {
  return Walker(world, scenario, result).walk();
}

}  // namespace fluxsim
