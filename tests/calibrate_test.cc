// SPDX-License-Identifier: Apache-2.0
// fluxsim calibrate: reading a kubectl export, and fitting back timings known in advance (an export
// generated from a fluxsim run with those timings, in the shape kubectl prints).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "cli_runner.h"
#include "fluxsim/calibrate.h"
#include "fluxsim/compare.h"
#include "fluxsim/engine.h"
#include "fluxsim/load.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace fluxsim::test;

namespace {

const std::string kFixtures = std::string(FLUXSIM_SOURCE_DIR) + "/tests/fixtures/observed/";

// 2026-01-01T00:00:00Z plus `ms`, as Kubernetes prints times (with milliseconds, which it accepts).
std::string stamp(std::int64_t ms) {
  const std::int64_t s = ms / 1000;
  return fmt::format("2026-01-01T{:02}:{:02}:{:02}.{:03}Z", s / 3600, s / 60 % 60, s % 60, ms % 1000);
}

// The export a cluster that behaved exactly like `result` would give: every Kustomization with its
// creation, Ready transition and first successful pass in status.history, and every HelmRelease with
// its install in a Helm snapshot.
std::string export_of(const World& w, const RunResult& r) {
  std::string items;
  for (std::size_t k = 0; k < w.kustomizations.size(); ++k) {
    const KustomizationSummary& s = r.kustomizations[k];
    const Kustomization& ks = w.kustomizations[k];
    std::int64_t duration = 0, started = 0;
    for (const PassRecord& p : r.passes)
      if (p.controller == Controller::Kustomize && p.subject == static_cast<int>(k) && p.outcome == PassOutcome::Succeeded) {
        duration = to_ms(p.ended_at) - to_ms(p.started_at);
        started = to_ms(p.started_at);
        break;
      }
    std::string inventory;
    for (const Resource& o : ks.objects)
      inventory += fmt::format("{}{{\"id\": \"{}_{}_{}_{}\", \"v\": \"v1\"}}", inventory.empty() ? "" : ", ", o.ref.ns,
                               o.ref.name, o.ref.group, o.ref.kind);
    items += fmt::format(R"({}{{"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
  "metadata": {{"name": "{}", "namespace": "{}", "creationTimestamp": "{}"}},
  "spec": {{"wait": {}, "interval": "10m"}},
  "status": {{"conditions": [{{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded", "lastTransitionTime": "{}"}}],
    "inventory": {{"entries": [{}]}},
    "history": [{{"firstReconciled": "{}", "lastReconciled": "{}", "lastReconciledDuration": "{}ms", "totalReconciliations": 1}}]}}}})",
                         items.empty() ? "" : ",\n", ks.ref.name, ks.ref.ns, stamp(to_ms(s.created_at)), ks.wait ? "true" : "false",
                         stamp(to_ms(s.ready_at)), inventory, stamp(started), stamp(to_ms(s.ready_at)), duration);
  }
  return "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n" + items + "\n]}\n";
}

// 16 wait: true Kustomizations with a Service and a Deployment each, 4 workers.
World sixteen_apps() {
  WorldBuilder b;
  for (int i = 0; i < 16; ++i) {
    const std::string name = "app-" + std::to_string(i);
    b.kustomization(name).wait = true;
    b.object(name, "v1", "Service", "default", name);
    b.object(name, "apps/v1", "Deployment", "default", name);
  }
  return b.world();
}

Scenario known_timings() {
  Scenario s = quiet_scenario("truth");
  s.timing.build = Distribution::fixed(Duration{300});
  s.timing.apply_per_object = Distribution::fixed(Duration{10});
  ReadyRule r;
  r.match.kind = "Deployment";
  r.after = Distribution::fixed(Duration{7000});  // found Current by the third poll: 0s, 5s, 10s
  s.timing.ready.push_back(r);
  return s;
}

// The percentage of "Time to full readiness: observed X, predicted Y, error +Z%".
double total_error(const std::string& out) {
  const std::size_t line = out.find("Time to full readiness:");
  const std::size_t at = out.find("error ", line);
  if (line == std::string::npos || at == std::string::npos || out.compare(at + 6, 3, "n/a") == 0) return 1e9;
  return std::stod(out.substr(at + 6));
}

}  // namespace

TEST_CASE("calibrate: RFC 3339 times") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339("2025-06-01T10:00:07.500+00:00") == parse_rfc3339("2025-06-01T10:00:07Z").value() + 500);
  CHECK(parse_rfc3339("2025-06-01T12:00:00+02:00") == parse_rfc3339("2025-06-01T10:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2025-06-01 10:00").has_value());
  CHECK_FALSE(parse_rfc3339("2025-13-01T10:00:00Z").has_value());
}

TEST_CASE("calibrate: reads kubectl's List shape, history, inventory, Helm snapshots and events") {
  ObservedLoad load = read_observed(kFixtures + "cluster.json", kFixtures + "events.json");
  REQUIRE_FALSE(load.diagnostics.has_errors());
  const Observed& o = load.observed;
  REQUIRE(o.objects.size() == 5);
  const ObservedObject* apps = o.find("Kustomization", "flux-system", "apps");
  REQUIRE(apps);
  CHECK(apps->created_ms == 3000);   // 10:00:03 from the earliest creation, 10:00:00
  CHECK(apps->ready_ms == 15250);
  CHECK(apps->pass_ms == 11200);     // lastReconciledDuration 11.2s
  CHECK(apps->wait);
  CHECK(apps->inventory_kinds == std::vector<std::string>{"Service", "Deployment"});
  const ObservedObject* hr = o.find("HelmRelease", "flux-system", "podinfo");
  REQUIRE(hr);
  CHECK(hr->pass_ms == 32000);       // Ready 10:00:40 - firstDeployed 10:00:08
  const ObservedObject* chart = o.find("HelmChart", "flux-system", "flux-system-podinfo");
  REQUIRE(chart);
  CHECK(chart->ready_ms == 7500);
  // history wins over the event for the root (1.52s, not the event's 1.4s).
  CHECK(o.find("Kustomization", "flux-system", "flux-system")->pass_ms == 1520);
}

TEST_CASE("calibrate: bad exports are one error naming the file and line") {
  TempDir dir("fluxsim-calibrate-bad");
  const std::string broken = dir.write("broken.json", "{\n  \"kind\": \"List\",\n  \"items\": [\n    {\"kind\": \n");
  CliResult r = run_fluxsim({"calibrate", broken});
  CHECK(r.code == ExitCode::BadInput);
  CHECK(r.err.find("broken.json:") != std::string::npos);
  const std::string bad_time = dir.write("time.json", R"({"kind": "List", "items": [
  {"kind": "Kustomization", "metadata": {"name": "a", "namespace": "x", "creationTimestamp": "yesterday"}}
]})");
  r = run_fluxsim({"calibrate", bad_time});
  CHECK(r.code == ExitCode::BadInput);
  CHECK(r.err.find("time.json:2") != std::string::npos);
  CHECK(r.err.find("not an RFC 3339 time") != std::string::npos);
  r = run_fluxsim({"calibrate", dir.path("missing.json")});
  CHECK(r.code == ExitCode::BadInput);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("calibrate: fits back the timings an export was generated with") {
  const World w = sixteen_apps();
  const Scenario truth = known_timings();
  const RunResult r = simulate(w, truth);
  REQUIRE(r.all_ready);
  ObservedLoad load = parse_observed(export_of(w, r), "generated.json");
  REQUIRE_FALSE(load.diagnostics.has_errors());

  // Directly from the records (no simulation): a pass of 300 + 2 x 10 + 10 000 (two polls after the
  // first) = 10 320 ms holds 2 whole polls and 320 ms of work, against the defaults' 1 000 + 2 x 20 =
  // 1 040 ms: scale 0.3077, build 308 ms, applyPerObject 6 ms. Deployment: Current within (5 s, 10 s],
  // fitted at the middle, 7.5 s.
  const Calibration direct = calibrate(load.observed, nullptr, quiet_scenario());
  REQUIRE(direct.build);
  CHECK(direct.build->count() == doctest::Approx(300).epsilon(0.05));
  REQUIRE(direct.ready.size() == 1);
  CHECK(direct.ready[0].first == "Deployment");
  CHECK(direct.ready[0].second == Duration{7500});

  // Refined against the world, the overlay reproduces the rollout.
  const Calibration refined = calibrate(load.observed, &w, quiet_scenario());
  CHECK(refined.error_after <= refined.error_before);
  Scenario fitted = quiet_scenario("fitted");
  fitted.timing.build = Distribution::fixed(*refined.build);
  fitted.timing.apply_per_object = Distribution::fixed(*refined.apply_per_object);
  for (const auto& [kind, d] : refined.ready) {
    ReadyRule rule;
    rule.match.kind = kind;
    rule.after = Distribution::fixed(d);
    fitted.timing.ready.push_back(rule);
  }
  const RunResult again = simulate(w, fitted);
  REQUIRE(again.all_ready);
  CHECK(to_ms(again.time_to_ready) == doctest::Approx(to_ms(r.time_to_ready)).epsilon(0.02));
}

TEST_CASE("calibrate: fits the pace of a HelmRelease queue, not a start-up delay the export does not show") {
  // 8 HelmReleases of one chart on 2 helm-controller workers: 4 rounds. The export (the shape
  // bench/flux_benchmark/observed.py writes) has every release created at 0 and installing for I = 4 s
  // from the moment it is created: release i Ready at 4 s x ceil((i + 1) / 2), 4 s .. 16 s, with
  // firstDeployed = Ready - 4 s. The simulation cannot start an install at creation: helm-controller
  // first adds its finalizer (requeue after --min-retry-delay 750 ms, flux-semantics.md §1 step 3), then
  // creates the HelmChart and waits for its artifact (§10), which source-controller stores after its own
  // finalizer requeue: a start-up delay L >= 1.5 s.
  //   Matching the time to full readiness (16 s) makes L + 4 x I' = 16 s: I' = (16 - L) / 4 <= 3.625 s,
  //   every round 9 % short, and the rounds past the fitted N short by that much each.
  //   Matching the first Ready and the pace separately keeps I' = 4 s (the span, Ready of the last round
  //   minus the first, 3 x 4 s = 12 s, weighs three rounds against the one delay).
  WorldBuilder b;
  b.helm_repository("flux-system", "charts");
  for (int i = 0; i < 8; ++i) b.helm_release("flux-system", "app-" + std::to_string(i), "charts");
  const World w = b.world();
  std::string items;
  for (int i = 0; i < 8; ++i) {
    const std::int64_t ready = 4000 * ((i + 2) / 2);
    items += fmt::format(R"({}{{"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
  "metadata": {{"name": "app-{}", "namespace": "flux-system", "creationTimestamp": "{}"}},
  "status": {{"conditions": [{{"type": "Ready", "status": "True", "reason": "InstallSucceeded", "lastTransitionTime": "{}"}}],
    "history": [{{"name": "app-{}", "version": 1, "status": "deployed", "firstDeployed": "{}", "lastDeployed": "{}"}}]}}}})",
                         items.empty() ? "" : ",\n", i, stamp(0), stamp(ready), i, stamp(ready - 4000), stamp(ready - 4000));
  }
  ObservedLoad load = parse_observed("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n" + items + "\n]}\n", "queue.json");
  REQUIRE_FALSE(load.diagnostics.has_errors());
  Scenario base = quiet_scenario("two-workers");
  base.controllers.helm.concurrent = 2;
  const Calibration fitted = calibrate(load.observed, &w, base);
  REQUIRE(fitted.ready.size() == 1);
  CHECK(fitted.ready[0].first == "HelmRelease");
  CHECK(fitted.ready[0].second.count() == doctest::Approx(4000).epsilon(0.03));
  // And the fitted rollout drains its queue at the export's pace: last Ready - first Ready = 12 s.
  Scenario again = base;
  ReadyRule rule;
  rule.match.kind = "HelmRelease";
  rule.after = Distribution::fixed(fitted.ready[0].second);
  again.timing.ready.push_back(rule);
  const RunResult r = simulate(w, again);
  REQUIRE(r.all_ready);
  const auto [first, last] = std::minmax_element(r.helm_ready_at.begin(), r.helm_ready_at.end());
  CHECK(to_ms(*last) - to_ms(*first) == doctest::Approx(12000).epsilon(0.03));
}

TEST_CASE("calibrate: under a CPU limit it fits the capacity model's contention too") {
  // On 1 CPU with 8 workers: 3 "base" Kustomizations of 8 objects run alone (3 x 0.25 = 0.75 cores, within
  // the budget: their passes show the unstretched work), then the 40 "app" ones that dependsOn them keep
  // 8 workers busy (8 x 0.25 = 2 cores, load 2, stretched by 2 x (1 + c x (2 - 1)), capacity.h). The
  // truth has contention 3; calibration starts from 1.3. (The root, flux-system, runs alone first.)
  WorldBuilder b;
  for (int i = 0; i < 43; ++i) {
    const std::string name = (i < 3 ? "base-" : "app-") + std::to_string(i);
    b.kustomization(name);
    for (int j = 0; j < 8; ++j) b.object(name, "v1", "ConfigMap", "default", name + "-" + std::to_string(j));
    if (i >= 3)
      for (int d = 0; d < 3; ++d) b.depends_on(name, "base-" + std::to_string(d));
  }
  const World w = b.world();
  auto on_one_cpu = [](double contention) {
    Scenario s = quiet_scenario("one-cpu");
    s.controllers.kustomize.concurrent = 8;
    s.controllers.kustomize.cpu_limit = 1.0;
    s.timing.capacity.contention = contention;
    return s;
  };
  const RunResult r = simulate(w, on_one_cpu(3.0));
  REQUIRE(r.all_ready);
  ObservedLoad load = parse_observed(export_of(w, r), "generated.json");
  REQUIRE_FALSE(load.diagnostics.has_errors());

  const Calibration fitted = calibrate(load.observed, &w, on_one_cpu(1.3));
  REQUIRE(fitted.contention);
  CHECK(*fitted.contention > 2.0);  // moved from 1.3 toward the truth
  CHECK(*fitted.contention < 4.5);
  CHECK(std::any_of(fitted.notes.begin(), fitted.notes.end(), [](const std::string& n) { return n.starts_with("capacity contention:"); }));
  Scenario again_s = on_one_cpu(*fitted.contention);
  again_s.timing.build = Distribution::fixed(*fitted.build);
  again_s.timing.apply_per_object = Distribution::fixed(*fitted.apply_per_object);
  const RunResult again = simulate(w, again_s);
  REQUIRE(again.all_ready);
  CHECK(to_ms(again.time_to_ready) == doctest::Approx(to_ms(r.time_to_ready)).epsilon(0.03));
  // The overlay carries it, leaf by leaf.
  CHECK(write_timing_overlay(fitted, "generated.json").find("    capacity:\n      contention: ") != std::string::npos);

  // Without a CPU limit the model is off, and calibrate does not pretend to have fitted it.
  const RunResult free = simulate(w, quiet_scenario("free"));
  const Calibration unlimited = calibrate(parse_observed(export_of(w, free), "free.json").observed, &w, quiet_scenario());
  CHECK_FALSE(unlimited.contention);
}

TEST_CASE("calibrate: the overlay it writes is what run and compare read with --timing") {
  TempDir dir("fluxsim-calibrate-cli");
  write_app_repo(dir);
  // The truth: the Deployment is Current 12 s after apply (found by the poll at 15 s).
  const std::string truth = write_app_scenario(dir, "truth.yaml", "12s");
  const CliResult run = run_fluxsim({"run", truth, "-o", "json"});
  REQUIRE(run.code == ExitCode::Ok);
  // Export of that run, built from the engine directly.
  Scenario s = load_scenario(truth).scenario;
  WorldLoad wl = load_world(s);
  REQUIRE_FALSE(wl.diagnostics.has_errors());
  const RunResult r = simulate(wl.world, s);
  const std::string observed = dir.write("observed.json", export_of(wl.world, r));

  const std::string overlay = dir.path("timing.yaml");
  CliResult cal = run_fluxsim({"calibrate", observed, "--repo", dir.path("repo"), "--entry", "clusters/test", "--out", overlay});
  REQUIRE(cal.code == ExitCode::Ok);
  CliResult cmp = run_fluxsim({"compare", observed, dir.path("repo"), "--entry", "clusters/test", "--timing", overlay});
  REQUIRE(cmp.code == ExitCode::Ok);
  CHECK(cmp.out.find("Kustomization/flux-system/apps") != std::string::npos);
  CHECK(std::abs(total_error(cmp.out)) < 2.0);
  // Without the overlay the defaults (Deployment 30 s) are far off, and compare says by how much.
  CliResult raw = run_fluxsim({"compare", observed, dir.path("repo"), "--entry", "clusters/test"});
  REQUIRE(raw.code == ExitCode::Ok);
  CHECK(total_error(raw.out) > 20.0);
  // --set still wins over the overlay, and a broken overlay names its file and line.
  const std::string bad = dir.write("bad-timing.yaml", "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n"
                                                       "  timing:\n    build: soon\n");
  CliResult b = run_fluxsim({"run", dir.path("repo"), "--entry", "clusters/test", "--timing", bad});
  CHECK(b.code == ExitCode::BadInput);
  CHECK(b.err.find("bad-timing.yaml:6") != std::string::npos);
  const std::string other = dir.write("other.yaml", "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n"
                                                    "  horizon: 1h\n");
  b = run_fluxsim({"run", dir.path("repo"), "--entry", "clusters/test", "--timing", other});
  CHECK(b.code == ExitCode::BadInput);
  CHECK(b.err.find("other.yaml:5") != std::string::npos);
}
