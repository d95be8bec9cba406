// SPDX-License-Identifier: Apache-2.0
// `fluxsim explain`: the run told as a numbered story for teaching. One line per decision the
// controllers take, each naming the Flux rule (field or flag) behind it. To stay readable it folds the
// events of one pass into the lines that matter, tells a run of identical dependency checks or identical
// failures by its first and last occurrence, and stops at full readiness, when only unchanged interval
// re-runs remain.
#include <algorithm>
#include <map>
#include <ostream>
#include <set>

#include <fmt/format.h>

#include "flux/dependencies.h"
#include "flux/health.h"
#include "fluxsim/critical_path.h"
#include "fluxsim/graph.h"
#include "fluxsim/report.h"
#include "fluxsim/version.h"

namespace fluxsim {
namespace {

bool failed(PassOutcome o) { return is_failure(o); }

bool waiting(PassOutcome o) {
  return o == PassOutcome::DependencyNotReady || o == PassOutcome::ArtifactNotReady || o == PassOutcome::SourceNotFound;
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string list(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  return out;
}

class Story {
 public:
  explicit Story(const RunReport& report)
      : report_(report), world_(report.world), r_(report.result), kc_(report.scenario.controllers.kustomize),
        names_(display_names(report.world)), health_(report.world) {
    const std::size_t n = world_.kustomizations.size();
    passes_.resize(n);
    for (const PassRecord& p : r_.passes)
      if (p.controller == Controller::Kustomize && p.subject >= 0 && static_cast<std::size_t>(p.subject) < n)
        passes_[static_cast<std::size_t>(p.subject)].push_back(&p);
    for (auto& v : passes_)
      std::sort(v.begin(), v.end(), [](const PassRecord* a, const PassRecord* b) { return a->number < b->number; });
    helm_passes_.resize(world_.helm_releases.size());
    helm_failures_told_.assign(world_.helm_releases.size(), 0);
    for (const PassRecord& p : r_.passes)
      if (p.controller == Controller::Helm && p.subject >= 0 && static_cast<std::size_t>(p.subject) < helm_passes_.size())
        helm_passes_[static_cast<std::size_t>(p.subject)].push_back(&p);
    for (const Kustomization& k : world_.kustomizations) {
      applied_.insert(k.ref);
      for (const Resource& r : k.objects) applied_.insert(r.ref);
    }
    // Health-checked objects only a chart makes, per HelmRelease (flux/health.h creators_of), worked out once.
    chart_made_.resize(world_.helm_releases.size());
    for (const Kustomization& k : world_.kustomizations) {
      if (k.wait) continue;
      for (const ObjectRef& ref : health_.targets(k)) {
        if (applied_.count(ref)) continue;
        for (std::size_t h : flux::creators_of(world_, report_.scenario.provides, ref).helm_releases) {
          std::vector<std::string>& made = chart_made_[h];
          if (std::find(made.begin(), made.end(), to_string(ref)) == made.end()) made.push_back(to_string(ref));
        }
      }
    }
    current_.assign(n, nullptr);
    quiet_.assign(n, false);
    suppressed_.assign(n, 0);
    // The rollout ends when the last Kustomization first became Ready; after that only interval re-runs
    // and the failures of those that never became Ready remain.
    rollout_end_ = SimTime{};
    for (const KustomizationSummary& s : r_.kustomizations)
      if (s.ready_at != kNever) rollout_end_ = std::max(rollout_end_, s.ready_at);
  }

  std::string tell() {
    header();
    for (const TraceEvent& e : r_.events) {
      if (r_.all_ready && e.at > r_.time_to_ready) break;
      if (e.controller == Controller::Kustomize) kustomize(e);
      else if (e.controller == Controller::Source) source(e);
      else if (e.controller == Controller::Helm) helm(e);
    }
    footer();
    return out_;
  }

 private:
  // ----- output -------------------------------------------------------------------------------------
  void line(SimTime at, const std::string& who, const std::string& text) {
    lines_.push_back(fmt::format("t={} {}: {}", format_time(at), who, text));
  }

  void header() {
    out_ += fmt::format("fluxsim {} explains scenario {} (seed {})\n", kVersion, report_.scenario.name, r_.seed);
    if (!report_.scenario.description.empty()) out_ += report_.scenario.description + "\n";
    out_ += fmt::format(
        "kustomize-controller: {} (--concurrent), dependency re-checks every {} (--requeue-dependency), health checks poll "
        "every {}, interval jitter ±{}%\n\n",
        plural(static_cast<std::size_t>(kc_.concurrent), "worker", "workers"), format_duration(kc_.requeue_dependency),
        format_duration(kc_.health_poll_interval), kc_.interval_jitter_percent);
  }

  void footer() {
    // Kustomizations whose story stopped in a loop: say so once, at the end.
    for (std::size_t k = 0; k < suppressed_.size(); ++k) {
      if (suppressed_[k] == 0 || r_.kustomizations[k].ready_at != kNever) continue;
      const KustomizationSummary& s = r_.kustomizations[k];
      std::string why = s.reason == Reason::None ? text(s.message) : reason(s.reason) + ": " + text(s.message);
      for (const PassRecord* p : passes_[k])  // a pass cut by the end of the run says less than the last failure
        if (failed(p->outcome) || waiting(p->outcome)) why = p->reason == Reason::None ? text(p->message) : reason(p->reason) + ": " + text(p->message);
      line(r_.ended_at, names_[k],
           fmt::format("still not Ready at the end of the run: the same outcome repeated {} more time{} ({})", suppressed_[k],
                       suppressed_[k] == 1 ? "" : "s", why));
    }
    const std::size_t width = std::to_string(lines_.size()).size();
    for (std::size_t i = 0; i < lines_.size(); ++i) out_ += fmt::format("{:>{}}. {}\n", i + 1, width, lines_[i]);
    out_ += '\n';
    if (r_.all_ready) {
      const std::string covered = r_.ended_at < r_.horizon ? " (" + coverage(r_) + ")" : "";
      if (const std::size_t later = later_passes(); later > 0)
        out_ += fmt::format("All {} Kustomizations were Ready after {}. After that each one only re-runs every spec.interval; "
                            "those {} later passes change nothing and are left out{}.\n",
                            world_.kustomizations.size(), format_time(r_.time_to_ready), later, covered);
      else
        out_ += fmt::format("All {} Kustomizations were Ready after {}. After that each one only re-runs every spec.interval, "
                            "which changes nothing{}.\n",
                            world_.kustomizations.size(), format_time(r_.time_to_ready), covered);
    } else {
      std::size_t ready = 0;
      for (const KustomizationSummary& s : r_.kustomizations) ready += s.ready_at != kNever ? 1 : 0;
      out_ += fmt::format("Only {} of {} Kustomizations became Ready within {}.\n", ready, world_.kustomizations.size(),
                          format_time(r_.ended_at));
    }
    const CriticalPath cp = critical_path(world_, report_.scenario, r_);
    if (!cp.steps.empty()) {
      std::string chain;
      for (const CriticalStep& s : cp.steps) chain += (chain.empty() ? "" : " → ") + names_[s.kustomization];
      out_ += fmt::format("{}: {}\n", cp.complete ? "Critical path" : "Critical path to the last that became Ready", chain);
    }
    out_ += cp.summary + "\n";
  }

  std::size_t later_passes() const {
    std::size_t n = 0;
    for (const PassRecord& p : r_.passes) n += p.started_at > r_.time_to_ready ? 1 : 0;
    return n;
  }

  // ----- helpers ------------------------------------------------------------------------------------
  /// Names listed in one line at most; the rest are counted.
  static constexpr std::size_t kListed = 8;

  /// True the first time a kind of line is told: it gets the full explanation, later ones a short form.
  bool first_time(const char* what) { return told_.insert(what).second; }

  const PassRecord* pass(std::size_t k, std::int64_t number) const {
    for (const PassRecord* p : passes_[k])
      if (p->number == number) return p;
    return nullptr;
  }
  /// The pass of k before `p`, or nullptr.
  const PassRecord* previous(std::size_t k, const PassRecord* p) const {
    const PassRecord* prev = nullptr;
    for (const PassRecord* q : passes_[k]) {
      if (q == p) return prev;
      prev = q;
    }
    return nullptr;
  }
  const PassRecord* next(std::size_t k, const PassRecord* p) const {
    bool found = false;
    for (const PassRecord* q : passes_[k]) {
      if (found) return q;
      found = q == p;
    }
    return nullptr;
  }
  /// Ready transitions of k: ends of its successful passes.
  SimTime first_ready_after(std::size_t k, SimTime t) const {
    for (const PassRecord* p : passes_[k])
      if (p->outcome == PassOutcome::Succeeded && p->ended_at > t) return p->ended_at;
    return kNever;
  }
  bool reconciling_at(std::size_t k, SimTime t) const {
    for (const PassRecord* p : passes_[k])
      if (p->attempt > 0 && p->started_at <= t && t < p->ended_at) return true;
    return false;
  }
  bool same_wait(const PassRecord* a, const PassRecord* b) const {
    return a && b && a->outcome == b->outcome && waiting(a->outcome) && a->blocked_by == b->blocked_by;
  }
  bool same_failure(const PassRecord* a, const PassRecord* b) const {
    return a && b && failed(a->outcome) && a->outcome == b->outcome && a->reason == b->reason &&
           (a->message == b->message || text(a->message) == text(b->message));  // same arguments: same words
  }
  std::string queue_wait(const PassRecord& p) {
    if (p.queued_at == kNever || p.started_at <= p.queued_at) return {};
    // The first time: the queue's order (controller-runtime v0.24 priority queue, `lessReady`).
    return fmt::format("waited {} for a free worker (all {} busy: --concurrent{}) → ", format_duration(p.started_at - p.queued_at),
                       kc_.concurrent,
                       first_time("queue order") ? "; due entries are served by priority, then in the order they became due" : "");
  }
  std::string retry_rule(std::size_t k) const {
    const Kustomization& spec = world_.kustomizations[k];
    return spec.retry_interval ? "spec.retryInterval" : "spec.retryInterval, unset = spec.interval";
  }
  std::string dep_name(std::int32_t dep, const PassRecord& p) const {
    if (dep >= 0) return names_[static_cast<std::size_t>(dep)];
    // A missing dependency: the message names it.
    const std::string m = text(p.message);
    return m.empty() ? "?" : m;
  }

  // ----- kustomize-controller -----------------------------------------------------------------------
  void kustomize(const TraceEvent& e) {
    if (e.type == TraceType::KindRegistered) {
      bool crd = false;
      for (const Kustomization& k : world_.kustomizations)
        for (const Resource& o : k.objects) crd = crd || o.defines_kind == text(e.message);
      line(e.at, "API server",
           fmt::format("kind {} is served now ({}) → dry-runs of its objects can pass", text(e.message),
                       crd ? "its CustomResourceDefinition is Established" : "its provider is Current: scenario `provides`"));
      return;
    }
    if (e.type == TraceType::ControllerRestarted) {
      if (e.reason == Reason::Crash)
        line(e.at, "kustomize-controller",
             fmt::format("crashes (fault): passes in flight are lost; the new process waits {} for the old leader's lease to "
                         "expire before it reconciles anything (leader election, --leader-election-lease-duration)",
                         format_duration(Duration{e.value})));
      else if (e.reason == Reason::LeaderElected)
        line(e.at, "kustomize-controller",
             "acquires the leader lease → every Kustomization is listed and enqueued again, at low priority");
      else
        line(e.at, "kustomize-controller",
             "restarts (fault): passes in flight are lost; the lease is released on shutdown, so every Kustomization is "
             "listed and enqueued again at once, at low priority");
      return;
    }
    if (e.subject < 0 || static_cast<std::size_t>(e.subject) >= names_.size()) return;
    const auto k = static_cast<std::size_t>(e.subject);
    const std::string& who = names_[k];
    const Kustomization& spec = world_.kustomizations[k];
    switch (e.type) {
      case TraceType::Created: {
        std::string by = e.other >= 0 ? fmt::format("created: {} applied its manifest", names_[static_cast<std::size_t>(e.other)])
                                      : std::string("created by flux bootstrap");
        if (first_time("created"))
          line(e.at, who,
               fmt::format("{} → its first reconcile only adds the finalizer; the real pass follows {} later (--min-retry-delay)", by,
                           format_duration(kc_.first_reconcile_delay)));
        else
          line(e.at, who, fmt::format("{} (finalizer first, real pass {} later: --min-retry-delay)", by,
                                      format_duration(kc_.first_reconcile_delay)));
        return;
      }
      case TraceType::PassStarted: {
        const PassRecord* p = pass(k, e.value);
        current_[k] = p;
        quiet_[k] = p && quiet(k, *p);
        if (quiet_[k]) ++suppressed_[k];
        return;
      }
      default: break;
    }
    const PassRecord* p = current_[k];
    if (!p || quiet_[k]) return;
    switch (e.type) {
      case TraceType::Suspended:
        line(e.at, who, queue_wait(*p) + "spec.suspend is true → nothing is reconciled and nothing requeues it");
        return;
      case TraceType::SourceNotFound:
        line(e.at, who,
             fmt::format("{}source {} not found → next try in {} ({}: a missing source waits the full retryInterval)", queue_wait(*p),
                         spec.source_ref.kind + "/" + spec.source_ref.name, format_duration(p->requeue_after), retry_rule(k)));
        return;
      case TraceType::ArtifactNotReady:
        line(e.at, who,
             fmt::format("{}source {} has no artifact yet → next check in {} (--requeue-dependency)", queue_wait(*p),
                         spec.source_ref.kind + "/" + spec.source_ref.name, format_duration(p->requeue_after)));
        return;
      case TraceType::DependencyNotReady: dependency_not_ready(e, k, *p); return;
      case TraceType::ApplyStarted: apply_started(e, k, *p); return;
      case TraceType::StageApplied: stage_applied(e, k, *p); return;
      case TraceType::HealthCheckStarted: health_started(e, k); return;
      case TraceType::ReconciliationSucceeded: {
        std::string health;
        if (p->health_started_at != kNever) health = fmt::format("its health check passed after {}; ", format_duration(e.at - p->health_started_at));
        line(e.at, who,
             fmt::format("Ready (ReconciliationSucceeded): {}next run in {} (spec.interval {}, ±{}% jitter)", health,
                         format_duration(p->requeue_after), format_duration(spec.interval), kc_.interval_jitter_percent));
        return;
      }
      case TraceType::ReconciliationFailed: {
        std::string rule = retry_rule(k);
        if (p->outcome == PassOutcome::HealthCheckFailed) rule += fmt::format("; the check gave up at spec.timeout {}", format_duration(spec.timeout_or_default()));
        line(e.at, who, fmt::format("{}: {} → retry in {} ({})", reason(e.reason), text(e.message), format_duration(p->requeue_after), rule));
        return;
      }
      default: return;
    }
  }

  /// Whether a pass is told at all: routine re-runs after the rollout, identical checks between the first
  /// and the last of a run of them, identical failures after the first are not.
  bool quiet(std::size_t k, const PassRecord& p) const {
    const KustomizationSummary& s = r_.kustomizations[k];
    const bool was_ready = s.ready_at != kNever && s.ready_at < p.started_at;
    if (was_ready && p.outcome == PassOutcome::Succeeded && p.started_at > rollout_end_) return true;
    const PassRecord* prev = previous(k, &p);
    const PassRecord* nxt = next(k, &p);
    if (same_wait(prev, &p) && same_wait(&p, nxt)) return true;
    if (failed(p.outcome)) {
      // Compare with the previous apply attempt.
      for (const PassRecord* q = prev; q; q = previous(k, q))
        if (q->attempt > 0) return same_failure(q, &p);
    }
    return false;
  }

  void dependency_not_ready(const TraceEvent& e, std::size_t k, const PassRecord& p) {
    const std::string dep = dep_name(e.other, p);
    const std::string wait = format_duration(p.requeue_after);
    const PassRecord* prev = previous(k, &p);
    const bool again = same_wait(prev, &p);
    std::string text;
    if (e.other < 0) {
      text = fmt::format("{} → next check in {} (--requeue-dependency); a dependsOn naming nothing never becomes Ready", this->text(p.message), wait);
      if (again && suppressed_checks(k, &p) > 0) text += fmt::format(" [{} identical checks before this one left out]", suppressed_checks(k, &p));
    } else {
      const auto d = static_cast<std::size_t>(e.other);
      const bool re_running = r_.kustomizations[d].ready_at != kNever && r_.kustomizations[d].ready_at < e.at && reconciling_at(d, e.at);
      const SimTime ready = first_ready_after(d, e.at);
      std::string state = re_running ? "is reconciling (Ready=Unknown during every pass, even an interval re-run)" : "not Ready";
      if (again) state = "still " + state;
      text = fmt::format("dependency {} {} → next check in {} (--requeue-dependency)", dep, state, wait);
      // dependsOn[].readyExpr decided (flux-semantics.md §2).
      const std::string message = this->text(p.message);
      if (p.reason == Reason::InvalidCELExpression) {
        line(e.at, names_[k],
             queue_wait(p) + fmt::format("the readyExpr of dependsOn {} is not valid CEL → Stalled (InvalidCELExpression), a "
                                         "terminal error: nothing requeues {} until its spec changes ({})",
                                         dep, names_[k], message));
        return;
      }
      if (message.find("according to readyExpr eval") != std::string::npos)
        text = fmt::format("{}readyExpr of dependsOn {} is false (it replaces the built-in readiness test) → next check in {} "
                           "(--requeue-dependency)",
                           again ? "still: " : "", dep, wait);
      else if (message.starts_with("failed to evaluate the CEL expression"))
        text = fmt::format("readyExpr of dependsOn {} cannot be evaluated ({}): an evaluation error leaves the dependency not "
                           "ready → next check in {} (--requeue-dependency)",
                           dep, message.substr(message.rfind("': ") + 3), wait);
      if (ready != kNever && ready < e.at + p.requeue_after)
        text += fmt::format("; {} becomes Ready at t={}, but nothing wakes {}: dependents only poll", dep, format_time(ready), names_[k]);
      if (again && suppressed_checks(k, &p) > 0) text += fmt::format(" [{} identical checks before this one left out]", suppressed_checks(k, &p));
    }
    line(e.at, names_[k], queue_wait(p) + text);
  }

  /// How many checks identical to p were left out just before it.
  std::size_t suppressed_checks(std::size_t k, const PassRecord* p) const {
    std::size_t n = 0;
    for (const PassRecord* q = previous(k, p); q && same_wait(q, p); q = previous(k, q)) ++n;
    return n > 0 ? n - 1 : 0;  // the first of the run was told
  }

  void apply_started(const TraceEvent& e, std::size_t k, const PassRecord& p) {
    const Kustomization& spec = world_.kustomizations[k];
    const KustomizationSummary& s = r_.kustomizations[k];
    const PassRecord* prev = previous(k, &p);
    std::string why;
    if (s.ready_at != kNever && s.ready_at < e.at) {
      why = fmt::format("interval re-run (spec.interval {}): Ready=Unknown until it ends, so a dependent checking now waits "
                        "another {} → ",
                        format_duration(spec.interval), format_duration(kc_.requeue_dependency));
    } else if (prev && failed(prev->outcome)) {
      why = fmt::format("retry after {} → ", reason(prev->reason));
    } else if (prev && prev->outcome == PassOutcome::DependencyNotReady) {
      std::size_t checks = 0;
      for (const PassRecord* q = prev; q && q->outcome == PassOutcome::DependencyNotReady; q = previous(k, q)) ++checks;
      why = fmt::format("all dependencies Ready at last ({} failed) → ", plural(checks, "check", "checks"));
    } else if (!spec.depends_on.empty()) {
      why = "all dependencies Ready → ";
    }
    // dependsOn[].readyExpr that fluxsim evaluates decided for these entries (flux-semantics.md §2).
    std::vector<std::string> by_expr;
    for (const Reference& d : spec.depends_on)
      if (!d.ready_expr.empty() && flux::compile_ready_expr(d).program) by_expr.push_back(d.ns + "/" + d.name);
    if (!why.empty() && !by_expr.empty()) {
      why.resize(why.size() - std::string_view(" → ").size());
      if (why.starts_with("all dependencies Ready")) why.replace(0, 22, "all dependency checks pass");
      why += fmt::format(" (readyExpr true for {}: {}) → ", list(by_expr),
                         kc_.additive_cel_dependency_check
                             ? "ANDed with the built-in test, AdditiveCELDependencyCheck on"
                             : "it replaces the built-in test, so Ready=True and the observed generation were not required");
    }
    const std::string build = to_string(report_.scenario.timing.build);
    line(e.at, names_[k],
         first_time("apply")
             ? fmt::format("{}{}apply attempt {}: fetch the artifact, kustomize build, server-side dry-run (timing.build {})",
                           queue_wait(p), why, e.value, build)
             : fmt::format("{}{}apply attempt {}: fetch, build, dry-run (timing.build {})", queue_wait(p), why, e.value, build));
  }

  void stage_applied(const TraceEvent& e, std::size_t k, const PassRecord& p) {
    const auto written = static_cast<std::size_t>(std::max(e.other, 0));
    if (written == 0) return;
    if (e.value == 1) {
      line(e.at, names_[k],
           fmt::format("stage 1 of the staged apply: writes {} (CRDs, Namespaces, ClusterRoles) and waits until they are "
                       "Established/Current (poll {}, at most {})",
                       plural(written, "object", "objects"), format_duration(kc_.stage_poll_interval),
                       format_duration(kc_.stage_wait_timeout)));
      return;
    }
    if (e.value == 2) {
      line(e.at, names_[k],
           fmt::format("stage 2: writes {} *Class object{} and waits until they are Current", written, written == 1 ? "" : "s"));
      return;
    }
    // The Kustomizations this pass created.
    std::vector<std::string> children;
    for (std::size_t c = 0; c < r_.kustomizations.size(); ++c) {
      const KustomizationSummary& s = r_.kustomizations[c];
      if (s.parent == static_cast<std::int32_t>(k) && s.created_at >= p.started_at && s.created_at <= p.ended_at)
        children.push_back(names_[c]);
    }
    std::string text = fmt::format("writes {} ({} each: timing.applyPerObject)", plural(written, "object", "objects"),
                                   to_string(report_.scenario.timing.apply_per_object));
    if (children.size() > kListed) {
      const std::size_t more = children.size() - kListed;
      children.resize(kListed);
      children.push_back(fmt::format("{} more", more));
    }
    if (!children.empty())
      text += fmt::format(", creating Kustomization{} {}: each is enqueued at once and reconciles on its own",
                          children.size() == 1 ? "" : "s", list(children));
    line(e.at, names_[k], text);
  }

  void health_started(const TraceEvent& e, std::size_t k) {
    const Kustomization& spec = world_.kustomizations[k];
    std::vector<std::string> kids;
    for (std::size_t c : health_.kustomizations(k)) kids.push_back(names_[c]);
    const std::string objects = plural(static_cast<std::size_t>(std::max(e.other, 0)), "object", "objects");
    std::string text =
        first_time("health")
            ? fmt::format("{} → waits for {} to become Current, holding its worker (kstatus polled every {}, gives up after {}: "
                          "spec.timeout{})",
                          spec.wait ? "wait: true" : "healthChecks", objects, format_duration(kc_.health_poll_interval),
                          format_duration(spec.timeout_or_default()), spec.timeout ? "" : ", unset = interval − 30s")
            : fmt::format("{} → waits for {} to become Current, holding its worker (timeout {}: spec.timeout)",
                          spec.wait ? "wait: true" : "healthChecks", objects, format_duration(spec.timeout_or_default()));
    if (kids.size() > kListed) {
      const std::size_t more = kids.size() - kListed;
      kids.resize(kListed);
      kids.push_back(fmt::format("{} more", more));
    }
    if (!kids.empty())
      text += fmt::format("; Kustomization{} {} count{} only once Ready", kids.size() == 1 ? "" : "s", list(kids), kids.size() == 1 ? "s" : "");
    // Objects no Kustomization applies (flux-semantics.md §10): who creates them, or that nothing does.
    if (!spec.wait)
      for (const ObjectRef& ref : health_.targets(spec)) {
        if (applied_.count(ref) || !told_objects_.insert(ref).second) continue;
        const flux::Creators c = flux::creators_of(world_, report_.scenario.provides, ref);
        if (!c.helm_releases.empty()) {
          std::vector<std::string> hrs;
          for (std::size_t h : c.helm_releases) hrs.push_back("HelmRelease " + world_.helm_releases[h].ref.ns + "/" + world_.helm_releases[h].ref.name);
          text += fmt::format("; {} is made by {}'s chart (release name begins its name): it exists only once helm-controller has "
                              "run that install",
                              to_string(ref), list(hrs));
        } else if (!c.rules.empty()) {
          text += fmt::format("; {} is made by a scenario `provides` rule's `by`: it exists only once that creates it", to_string(ref));
        } else {
          text += fmt::format("; {}: nothing creates it (no Kustomization applies it, no chart makes it), so this check can only "
                              "time out",
                              to_string(ref));
        }
      }
    line(e.at, names_[k], text);
  }

  // ----- helm-controller ----------------------------------------------------------------------------
  const PassRecord* helm_pass(std::size_t h, SimTime at) const {
    const PassRecord* found = nullptr;
    for (const PassRecord* p : helm_passes_[h])
      if (p->started_at <= at && at <= p->ended_at) found = p;
    return found;
  }

  void helm(const TraceEvent& e) {
    if (e.subject < 0 || static_cast<std::size_t>(e.subject) >= world_.helm_releases.size()) return;
    const auto h = static_cast<std::size_t>(e.subject);
    const HelmRelease& spec = world_.helm_releases[h];
    const std::string who = "HelmRelease/" + spec.ref.ns + "/" + spec.ref.name;
    const PassRecord* p = helm_pass(h, e.at);
    switch (e.type) {
      case TraceType::ApplyStarted: {
        if (e.value > 1 && helm_failures_told_[h] > 3) return;
        const std::vector<std::string>& made = chart_made_[h];
        std::string text = fmt::format("install attempt {}: Helm renders and applies the chart", e.value);
        if (!made.empty()) text += fmt::format(", creating {} (health-checked objects only its chart makes)", list(made));
        if (spec.create_namespace && !spec.target_namespace.empty() && spec.target_namespace != spec.ref.ns)
          text += fmt::format(", and Namespace {} (install.createNamespace with targetNamespace: it exists only from now on)",
                              spec.target_namespace);
        const std::string timeout_rule = spec.install_timeout ? "install.timeout"
                                         : spec.timeout       ? "spec.timeout"
                                                              : "spec.timeout, unset = 5m";
        if (spec.install_disable_wait)
          text += " → does not wait for its resources (install.disableWait): Ready as soon as it is applied";
        else
          text += fmt::format(" → waits until its resources are Current, at most {} ({})",
                              format_duration(spec.install_timeout_or_default()), timeout_rule);
        line(e.at, who, text);
        return;
      }
      case TraceType::ReconciliationSucceeded:
        if (e.reason == Reason::InstallSucceeded) line(e.at, who, "Ready (InstallSucceeded): dependents and health checks on it can pass");
        return;
      case TraceType::ReconciliationFailed: {
        if (++helm_failures_told_[h] > 3) {
          if (helm_failures_told_[h] == 4) line(e.at, who, "fails again, and so on (later failures left out)");
          return;
        }
        std::string rule;
        const std::string retry = p ? format_duration(p->requeue_after) : std::string("?");
        const std::string message = text(e.message);
        if (message.find("unable to build kubernetes objects") != std::string::npos)
          rule = fmt::format("no release was stored, so this is not an install failure remediation counts: the error is retried "
                             "with exponential backoff (--min-retry-delay doubling), in {}, never Stalled",
                             retry);
        else if (p && p->reason == Reason::RetriesExceeded)
          rule = fmt::format("install.remediation.retries {} exhausted → Stalled=True (kstatus Failed): nothing retries it", spec.install_retries);
        else if (spec.install_strategy == "RetryOnFailure")
          rule = fmt::format("install.strategy RetryOnFailure → retry in {} (retryInterval)", retry);
        else if (spec.install_retries < 0)
          rule = fmt::format("uninstall, then retry in {} through the rate limiter (install.remediation.retries {}: negative = "
                             "unlimited)",
                             retry, spec.install_retries);
        else
          rule = fmt::format("uninstall, then retry in {} through the rate limiter (install.remediation.retries {})", retry,
                             spec.install_retries);
        line(e.at, who, fmt::format("{}: {} → {}", reason(e.reason), message, rule));
        return;
      }
      default: return;
    }
  }

  // ----- source-controller --------------------------------------------------------------------------
  void source(const TraceEvent& e) {
    if (e.type == TraceType::ControllerRestarted) {  // leader election (flux-semantics.md §11)
      line(e.at, "source-controller",
           e.reason == Reason::Crash ? fmt::format("crashes (fault): fetches in flight are lost; the new process waits {} for the old "
                                             "leader's lease to expire (--leader-election-lease-duration)",
                                             format_duration(Duration{e.value}))
           : e.reason == Reason::LeaderElected ? std::string("acquires the leader lease → every source is listed and enqueued again")
                                         : std::string("restarts (fault): the lease is released on shutdown, so every source "
                                                       "is listed and enqueued again at once"));
      return;
    }
    if (e.helm_chart || e.subject < 0 || static_cast<std::size_t>(e.subject) >= world_.sources.size()) return;
    const Source& src = world_.sources[static_cast<std::size_t>(e.subject)];
    const std::string who = src.ref.kind + "/" + src.ref.name;
    if (e.type == TraceType::ArtifactStored && e.value == 1) {
      // The fan-out (source_controller.cc) tells what it enqueued after "; fan-out".
      const std::string message = text(e.message);
      const std::size_t fan = message.find("; fan-out");
      if (fan == std::string::npos)
        line(e.at, who, "first artifact stored");
      else if (message.find("circular dependency", fan) != std::string::npos)
        line(e.at, who, "first artifact stored, but the fan-out's dependsOn sort fails" + message.substr(fan + 9) +
                            " (kustomize-controller logs the error; they wait for their own requeue)");
      else
        line(e.at, who, "first artifact stored →" + message.substr(fan + 9) +
                            " (source fan-out over spec.sourceRef and dependsOn)");
    } else if (e.type == TraceType::FetchFailed)
      line(e.at, who, text(e.message) + " (errors requeue with exponential backoff, --min-retry-delay doubling)");
  }

  const RunReport& report_;
  const World& world_;
  const RunResult& r_;
  // Reasons and messages in Flux's words (trace.h).
  std::string text(const Message& m) const { return message(world_, r_, m); }
  static std::string reason(Reason r) { return to_string(r); }
  const KustomizeControllerSettings& kc_;
  std::vector<std::string> names_;
  flux::HealthCheckResolver health_;                    // which Kustomizations a health check waits on
  std::set<ObjectRef> applied_;                         // every object some Kustomization applies
  std::set<ObjectRef> told_objects_;                    // chart-made health-check targets already explained
  std::vector<std::vector<const PassRecord*>> helm_passes_;  // per HelmRelease
  std::vector<int> helm_failures_told_;                 // failed installs told, per HelmRelease
  std::vector<std::vector<std::string>> chart_made_;    // per HelmRelease: health-checked objects its chart makes
  std::vector<std::vector<const PassRecord*>> passes_;  // per Kustomization, by pass number
  std::vector<const PassRecord*> current_;              // the pass in flight, per Kustomization
  std::vector<bool> quiet_;                             // the pass in flight is left out
  std::vector<std::size_t> suppressed_;                 // passes left out, per Kustomization
  SimTime rollout_end_{};
  std::vector<std::string> lines_;
  std::set<std::string> told_;
  std::string out_;
};

}  // namespace

void write_explain(const RunReport& report, std::ostream& os) { os << Story(report).tell(); }

}  // namespace fluxsim
