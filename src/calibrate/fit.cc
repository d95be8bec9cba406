// SPDX-License-Identifier: Apache-2.0
// Fitting timings to what a cluster reported (README "How accurate is it?", "Calibrating on your cluster").
//
// 1. Direct estimates, from each object's own record:
//    - a Kustomization's first pass (status.history lastReconciledDuration) is its work (fetch, build,
//      dry-run, apply) plus, with wait: true, whole health-check polls: the poller looks at once and then
//      every healthPollInterval P, so a pass of d ms holds m = floor(d / P) polls and d - m*P of work.
//      The work, over the default work for the same objects, scales timing.build and applyPerObject
//      together (one export cannot split fixed from per-object cost unless its passes differ in size).
//      The m polls say the slowest kind it waited on (by the default timings) became Current within
//      ((m-1)*P, m*P]: its ready time is the middle, (m - 1/2) * P, or 0 when m = 0.
//    - a source kind's fetch time is the 10th percentile of its objects' creation-to-Ready latency (the
//      rest of them waited for a source-controller worker).
//    - a HelmRelease's install is its Ready time minus the oldest Helm snapshot's firstDeployed (its
//      median); without history, the 10th percentile of creation-to-Ready.
// 2. With a repository, the estimates are refined against the whole rollout: the world is simulated and
//    each fitted value's scale is searched (golden section on its logarithm, within 1/5x..5x) for the
//    smallest error, one value at a time, twice over. The error (objective below) matches when the first
//    object became Ready and the pace after it separately, so that a start-up delay only one side has is
//    not paid for by shortening every pass. This is what accounts for queueing behind busy workers,
//    sources that arrive late and the capacity model.
// 3. When kustomize-controller runs under a CPU limit (the repository's resources.limits.cpu, or the
//    scenario's controllers.kustomize.cpu), the capacity model's `contention` is estimated from the
//    passes' overlap (estimate_capacity: passes within the budget give the unstretched work, passes over
//    it how much slower they got) and then refined like the rest. passCpu and pollCpu keep their values:
//    one rollout cannot tell a pass's CPU share from the growth past the budget. An export without passes
//    on both sides of the budget leaves contention as it was, and the overlay says so.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "fluxsim/calibrate.h"
#include "fluxsim/compare.h"
#include "fluxsim/engine.h"
#include "fluxsim/readiness.h"

namespace fluxsim {
namespace {

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

Duration ms(double v) { return Duration{static_cast<std::int64_t>(std::llround(std::max(v, 0.0)))}; }

// The kind among `kinds` that the default timings make slowest to become Current (simulated kinds and
// kinds Current at apply left out); "" when none waits.
std::string slowest_kind(const std::vector<std::string>& kinds) {
  std::string best;
  Duration best_after{0};
  for (const std::string& k : kinds) {
    if (k == "Kustomization" || k == "HelmRelease") continue;
    Resource r;
    r.ref.kind = k;
    const Duration after = default_ready_after(r).median();
    if (after > best_after) {
      best_after = after;
      best = k;
    }
  }
  return best;
}

// One fitted value the refinement may scale.
struct Knob {
  enum class What { Work, Ready, Fetch, Contention } what;
  std::string kind;
  double value = 0;  // ms (Work: scale of the base build/apply; Contention: timing.capacity.contention)
};

Scenario with_knobs(const Scenario& base, const std::vector<Knob>& knobs) {
  Scenario s = base;
  std::vector<ReadyRule> fitted;
  for (const Knob& k : knobs) {
    switch (k.what) {
      case Knob::What::Work:
        s.timing.build = Distribution::fixed(ms(static_cast<double>(base.timing.build.median().count()) * k.value));
        s.timing.apply_per_object =
            Distribution::fixed(ms(static_cast<double>(base.timing.apply_per_object.median().count()) * k.value));
        break;
      case Knob::What::Ready: {
        ReadyRule r;
        r.match.kind = k.kind;
        r.after = Distribution::fixed(ms(k.value));
        fitted.push_back(std::move(r));
        break;
      }
      case Knob::What::Fetch: {
        auto it = std::find_if(s.timing.fetch.begin(), s.timing.fetch.end(), [&](const auto& p) { return p.first == k.kind; });
        if (it == s.timing.fetch.end()) s.timing.fetch.emplace_back(k.kind, Distribution::fixed(ms(k.value)));
        else it->second = Distribution::fixed(ms(k.value));
        break;
      }
      case Knob::What::Contention: s.timing.capacity.contention = k.value; break;
    }
  }
  fitted.insert(fitted.end(), s.timing.ready.begin(), s.timing.ready.end());
  s.timing.ready = std::move(fitted);
  return s;
}

// A Kustomization's first pass as the export shows it (ms): its working part, then its health-check wait.
struct ObservedPass {
  double start, work_end, end;
  double ratio;  // its work over the default work for the same objects
};

// What the passes' overlap says about the capacity model (3. above).
struct CapacityEstimate {
  double work_scale;      // median ratio of the passes within the budget
  double contention;      // median of the passes over it
  double median_load, median_stretch;
  std::size_t within, over;
};

// The load each pass started under, as the capacity model computes it (passes at work x passCpu plus
// passes in a health wait x pollCpu, over the budget), from the export's own overlap; then the work of
// the passes within the budget (load <= 1) is the unstretched work, and each pass over it, taking
// f = its work / that, gives contention = (f / load - 1) / (load - 1). Nothing when the export lacks
// either kind of pass (the two cannot be told apart then).
std::optional<CapacityEstimate> estimate_capacity(const std::vector<ObservedPass>& passes, const CapacityParams& params, double cpu_limit) {
  std::vector<std::pair<double, double>> loaded;  // (load, ratio)
  std::vector<double> within;
  // At a pass's start t: at work are the passes started by t whose work has not ended, waiting those
  // whose work has ended but not their wait (binary searches in the sorted times: O(n log n)).
  std::vector<double> starts, work_ends, ends;
  for (const ObservedPass& p : passes) {
    starts.push_back(p.start);
    work_ends.push_back(p.work_end);
    ends.push_back(p.end);
  }
  std::sort(starts.begin(), starts.end());
  std::sort(work_ends.begin(), work_ends.end());
  std::sort(ends.begin(), ends.end());
  auto at_or_before = [](const std::vector<double>& v, double t) {
    return static_cast<long>(std::upper_bound(v.begin(), v.end(), t) - v.begin());
  };
  for (const ObservedPass& p : passes) {
    const double t = p.start;
    const long working = std::max(1L, at_or_before(starts, t) - at_or_before(work_ends, t));
    const long waiting = std::max(0L, at_or_before(work_ends, t) - at_or_before(ends, t));
    const double load = (static_cast<double>(working) * params.pass_cpu + static_cast<double>(waiting) * params.poll_cpu) / cpu_limit;
    if (load <= 1.0) within.push_back(p.ratio);
    else if (load > 1.1) loaded.emplace_back(load, p.ratio);
  }
  if (within.empty() || loaded.empty()) return std::nullopt;
  CapacityEstimate e{};
  e.work_scale = quantile(within, 0.5);
  std::vector<double> c, loads, stretches;
  for (const auto& [load, ratio] : loaded) {
    const double f = ratio / std::max(1e-9, e.work_scale);
    c.push_back(std::clamp((f / load - 1.0) / (load - 1.0), 0.0, static_cast<double>(kMaxContention)));
    loads.push_back(load);
    stretches.push_back(f);
  }
  e.contention = quantile(c, 0.5);
  e.median_load = quantile(loads, 0.5);
  e.median_stretch = quantile(stretches, 0.5);
  e.within = within.size();
  e.over = loaded.size();
  return e;
}

// The refinement's objective (ms), from one comparison: a rollout's Ready times are when the first object
// became Ready plus the pace of the rest after it (how a queue drains through the workers), and the two
// are matched separately:
//   |first error| + mean over the matched objects of |error of (Ready - first Ready)| + |error of the span|
// where the span is the last Ready minus the first. Matching their sums instead (each Ready time and the
// time to full readiness) lets a start-up delay that one side has and the other does not (helm-controller's
// finalizer requeue and the HelmChart it then waits for, flux-semantics.md §1 step 3 and §10) be traded
// against the pace: the fit then shortens every pass to pay for the delay once, and the prediction falls
// short by that delay times the number of rounds past the fitted N. Nothing when no object is Ready on
// both sides, or when either side is never fully Ready.
std::optional<double> objective(const Comparison& c) {
  if (c.matched == 0 || !c.observed_total_ms || !c.predicted_total_ms) return std::nullopt;
  std::int64_t obs_first = std::numeric_limits<std::int64_t>::max(), pred_first = obs_first;
  for (const ComparedObject& r : c.rows) {
    if (r.observed_ms) obs_first = std::min(obs_first, *r.observed_ms);
    if (r.predicted_ms) pred_first = std::min(pred_first, *r.predicted_ms);
  }
  double pace = 0;
  std::size_t n = 0;
  for (const ComparedObject& r : c.rows)
    if (r.observed_ms && r.predicted_ms) {
      pace += std::abs(static_cast<double>((*r.predicted_ms - pred_first) - (*r.observed_ms - obs_first)));
      ++n;
    }
  const double first = std::abs(static_cast<double>(pred_first - obs_first));
  const double span = std::abs(static_cast<double>((*c.predicted_total_ms - pred_first) - (*c.observed_total_ms - obs_first)));
  return first + pace / static_cast<double>(n) + span;
}

double error_of(const Observed& obs, const World& world, const Scenario& s) {
  Simulation sim(world, s);
  if (sim.diagnostics().has_errors()) return std::numeric_limits<double>::infinity();
  EngineOptions options;
  options.record = false;
  options.stop_when_all_ready = true;
  const RunResult r = sim.run(options);
  return objective(compare_with_observed(obs, world, r)).value_or(std::numeric_limits<double>::infinity());
}

}  // namespace

Calibration calibrate(const Observed& obs, const World* world, const Scenario& base) {
  Calibration out;
  const double poll = static_cast<double>(base.controllers.kustomize.health_poll_interval.count());
  const double base_build = static_cast<double>(base.timing.build.median().count());
  const double base_apply = static_cast<double>(base.timing.apply_per_object.median().count());

  // Kustomizations: work and health-poll rounds.
  std::vector<double> work, default_work;
  std::vector<ObservedPass> passes;
  std::map<std::string, std::vector<double>> ready_by_kind;
  for (const ObservedObject& o : obs.objects) {
    if (o.kind != "Kustomization" || !o.pass_ms) continue;
    bool wait = o.wait;
    std::size_t n = o.inventory_kinds.size();
    std::vector<std::string> kinds = o.inventory_kinds;
    if (world)
      if (const Kustomization* k = world->find_kustomization(o.ns, o.name)) {
        wait = k->wait || !k->health_checks.empty();
        n = k->objects.size();
        kinds.clear();
        for (const Resource& r : k->objects) kinds.push_back(r.ref.kind);
      }
    const double d = static_cast<double>(*o.pass_ms);
    double m = 0;
    const std::string slow = wait ? slowest_kind(kinds) : std::string();
    if (!slow.empty()) m = std::floor(d / poll);
    work.push_back(d - m * poll);
    default_work.push_back(base_build + base_apply * static_cast<double>(n));
    if (o.ready_ms) {
      const double end = static_cast<double>(*o.ready_ms);
      passes.push_back({end - d, end - m * poll, end, work.back() / std::max(1.0, default_work.back())});
    }
    if (!slow.empty()) ready_by_kind[slow].push_back(m > 0 ? (m - 0.5) * poll : 0.0);
  }
  std::vector<Knob> knobs;
  const double cpu_limit = std::max(base.controllers.kustomize.cpu_limit, base.controllers.helm.cpu_limit);
  const std::optional<CapacityEstimate> capacity =
      base.controllers.kustomize.cpu_limit > 0 ? estimate_capacity(passes, base.timing.capacity, base.controllers.kustomize.cpu_limit) : std::nullopt;
  if (capacity) {
    knobs.push_back({Knob::What::Work, "", capacity->work_scale});
    out.notes.push_back(fmt::format("build, applyPerObject: {} Kustomization first passes that ran within the CPU budget (load <= 1) give "
                                    "a median work of x{:.3f} the defaults'; {} passes over the budget were left out of this",
                                    capacity->within, capacity->work_scale, capacity->over));
  } else if (!work.empty()) {
    const double scale = quantile(work, 0.5) / std::max(1.0, quantile(default_work, 0.5));
    knobs.push_back({Knob::What::Work, "", scale});
    out.notes.push_back(fmt::format("build, applyPerObject: {} Kustomization first passes (status.history lastReconciledDuration), "
                                    "minus whole health-check polls, give a median work of {} against the defaults' {} (x{:.3f})",
                                    work.size(), format_duration(ms(quantile(work, 0.5))), format_duration(ms(quantile(default_work, 0.5))),
                                    scale));
  }
  for (const auto& [kind, v] : ready_by_kind) {
    knobs.push_back({Knob::What::Ready, kind, quantile(v, 0.5)});
    out.notes.push_back(fmt::format("ready {}: the slowest kind of {} wait: true Kustomizations; their health checks took a median "
                                    "of {} polls of {}", kind, v.size(), quantile(v, 0.5) / poll + 0.5, format_duration(ms(poll))));
  }
  // Sources and HelmReleases.
  std::map<std::string, std::vector<double>> latency;
  std::vector<double> installs, hr_latency;
  for (const ObservedObject& o : obs.objects) {
    if (!o.ready_ms || !o.created_ms) continue;
    const double l = static_cast<double>(*o.ready_ms - *o.created_ms);
    if (o.kind == "HelmRelease") {
      if (o.pass_ms) installs.push_back(static_cast<double>(*o.pass_ms));
      hr_latency.push_back(l);
    } else if (o.kind != "Kustomization") {
      latency[o.kind].push_back(l);
    }
  }
  for (const auto& [kind, v] : latency) {
    knobs.push_back({Knob::What::Fetch, kind, quantile(v, 0.1)});
    out.notes.push_back(fmt::format("fetch {}: 10th percentile of {} creation-to-Ready latencies", kind, v.size()));
  }
  if (!installs.empty() || !hr_latency.empty()) {
    const bool history = !installs.empty();
    knobs.push_back({Knob::What::Ready, "HelmRelease", history ? quantile(installs, 0.5) : quantile(hr_latency, 0.1)});
    out.notes.push_back(history ? fmt::format("ready HelmRelease (its Helm install): median of {} Ready times minus firstDeployed", installs.size())
                                : fmt::format("ready HelmRelease (its Helm install): 10th percentile of {} creation-to-Ready latencies", hr_latency.size()));
  }

  // The capacity model's contention, when a budget makes the model matter (3. above).
  const std::size_t contention_knob = knobs.size();
  if (capacity) {
    knobs.push_back({Knob::What::Contention, "", capacity->contention});
    out.notes.push_back(fmt::format("capacity contention: {} passes over the budget (median load {:.2f}) took x{:.2f} the work of those within "
                                    "it: contention {:.3f} by load x (1 + contention x (load - 1))",
                                    capacity->over, capacity->median_load, capacity->median_stretch, capacity->contention));
  } else if (cpu_limit > 0) {
    // Searching it anyway would only trade it against the work scale: many pairs explain one rollout
    // equally well and extrapolate differently (the flux-benchmark reproduction moved by 8 % that way).
    out.notes.push_back(fmt::format("capacity contention: kept at {:.3f}: the export has no Kustomization passes both within and over "
                                    "the CPU budget of {} cores, so it cannot tell contention from the work itself",
                                    base.timing.capacity.contention, cpu_limit));
  }

  // Refinement against the whole rollout.
  if (world && !knobs.empty()) {
    double best = error_of(obs, *world, with_knobs(base, knobs));
    out.error_before = best / 1000.0;
    if (std::isfinite(best)) {
      for (int round = 0; round < 2; ++round)
        for (Knob& k : knobs) {
          const double v0 = k.value > 0 ? k.value : (k.what == Knob::What::Work || k.what == Knob::What::Contention ? 1.0 : 100.0);
          auto eval = [&](double log_f) {
            Knob saved = k;
            k.value = v0 * std::exp(log_f);
            const double e = error_of(obs, *world, with_knobs(base, knobs));
            k = saved;
            return e;
          };
          // Golden-section search of log(scale) in [-ln 5, ln 5].
          const double g = (std::sqrt(5.0) - 1) / 2;
          double a = -std::log(5.0), b = std::log(5.0);
          double c = b - g * (b - a), d = a + g * (b - a);
          double fc = eval(c), fd = eval(d);
          for (int i = 0; i < 14; ++i) {
            if (fc < fd) {
              b = d;
              d = c;
              fd = fc;
              c = b - g * (b - a);
              fc = eval(c);
            } else {
              a = c;
              c = d;
              fc = fd;
              d = a + g * (b - a);
              fd = eval(d);
            }
          }
          const double x = fc < fd ? c : d;
          const double fx = std::min(fc, fd);
          if (fx < best) {
            best = fx;
            k.value = v0 * std::exp(x);
          }
        }
      out.error_after = best / 1000.0;
      out.notes.push_back(fmt::format("refined by simulating {} against the export: first-Ready error plus mean pace error plus span error {:.1f}s -> {:.1f}s",
                                      world->repo_root, out.error_before, out.error_after));
    }
  }
  for (const Knob& k : knobs) {
    switch (k.what) {
      case Knob::What::Work:
        out.build = ms(base_build * k.value);
        out.apply_per_object = ms(base_apply * k.value);
        break;
      case Knob::What::Ready: out.ready.emplace_back(k.kind, ms(k.value)); break;
      case Knob::What::Fetch: out.fetch.emplace_back(k.kind, ms(k.value)); break;
      case Knob::What::Contention: break;
    }
  }
  if (contention_knob < knobs.size()) {
    const double fitted = std::min(knobs[contention_knob].value, static_cast<double>(kMaxContention));
    if (std::abs(fitted - base.timing.capacity.contention) > 1e-9) {
      out.contention = std::round(fitted * 1000.0) / 1000.0;
      out.notes.push_back(fmt::format("capacity contention: {:.3f} (was {:.3f}) under the export's CPU limit of {} cores; passCpu and pollCpu kept",
                                      *out.contention, base.timing.capacity.contention, cpu_limit));
    }
  }
  return out;
}

}  // namespace fluxsim
