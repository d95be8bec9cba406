// SPDX-License-Identifier: Apache-2.0
// Monte Carlo statistics: nearest-rank percentiles, fixed timings giving one value, a uniform readiness
// time giving its hand-computed median, runs that never become Ready counted against readyProbability
// and left out of percentiles, and reports that are byte-identical for any number of threads.
#include "fluxsim/monte_carlo.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <sstream>

#include "cli_runner.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;

namespace {

Scenario scenario_from(const std::string& spec) {
  ScenarioLoad load = parse_scenario("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nmetadata: {name: mc}\nspec:\n" + spec,
                                     "mc.yaml");
  for (const Diagnostic& d : load.diagnostics) FAIL_CHECK(to_string(d));
  return load.scenario;
}

// The root waits for one Deployment: root pass at 750ms (finalizer requeue), build 1s -> 1750ms,
// Deployment written 20ms later -> 1770ms, then Current after its `ready` time, seen by the next health
// poll (every 100ms from 1770ms here, so the quantisation is below 100ms).
World one_deployment_world() {
  WorldBuilder b;
  b.get("flux-system").wait = true;
  b.object("flux-system", "apps/v1", "Deployment", "default", "app");
  return b.world();
}

// A few dozen Kustomizations with dependsOn, waits and random timings: enough for threads to interleave.
struct Busy {
  World world;
  Scenario scenario;
};
Busy busy_world() {
  WorldBuilder b;
  Rng rng(11);
  std::vector<std::string> names;
  for (int i = 0; i < 24; ++i) {
    std::string name = fmt::format("k{:02}", i);
    std::string parent = names.empty() || rng.next() % 3 == 0 ? "flux-system" : names[rng.next() % names.size()];
    b.kustomization(name, parent).wait = rng.next() % 2 == 0;
    if (!names.empty() && rng.next() % 2 == 0) b.depends_on(name, names[rng.next() % names.size()]);
    b.object(name, "apps/v1", "Deployment", "default", name + "-app");
    b.object(name, "v1", "ConfigMap", "default", name + "-cm");
    names.push_back(name);
  }
  Busy out{b.world(), scenario_from(R"(  controllers: {kustomize: {concurrent: 2}}
  horizon: 30m
  timing:
    build: uniform(500ms, 3s)
    ready:
      - match: {kind: Deployment}
        after: lognormal(40s, 0.5)
      - match: {kind: Deployment, name: k07-app}
        after: exponential(5m)
  expect:
    allReadyWithin: 12m
)")};
  return out;
}

std::string table_of(const World& w, const Scenario& s, const MonteCarloResult& mc) {
  std::ostringstream out;
  write_monte_carlo_table({s, w, mc}, out);
  return out.str();
}
std::string json_of(const World& w, const Scenario& s, const MonteCarloResult& mc) {
  std::ostringstream out;
  write_monte_carlo_json({s, w, mc}, out);
  return out.str();
}

MonteCarloResult monte_carlo(const World& w, const Scenario& s, std::size_t runs, unsigned jobs, bool record = false) {
  Simulation sim(w, s);
  REQUIRE_FALSE(sim.diagnostics().has_errors());
  MonteCarloOptions o;
  o.runs = runs;
  o.jobs = jobs;
  o.record = record;
  return run_monte_carlo(sim, w, s, o);
}

}  // namespace

TEST_CASE("percentiles are nearest-rank: a sample that occurred, the smallest with P% at or below it") {
  const std::vector<double> four = {10, 20, 30, 40};
  CHECK(nearest_rank(four, 50) == 20);  // ceil(0.5 * 4) = 2nd
  CHECK(nearest_rank(four, 90) == 40);  // ceil(3.6) = 4th
  CHECK(nearest_rank(four, 25) == 10);  // ceil(1.0) = 1st, exactly: no rounding up past an integer rank
  CHECK(nearest_rank(four, 26) == 20);
  CHECK(nearest_rank(four, 0) == 10);
  CHECK(nearest_rank(four, 100) == 40);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  CHECK(nearest_rank(hundred, 50) == 50);
  CHECK(nearest_rank(hundred, 90) == 90);
  CHECK(nearest_rank(hundred, 99) == 99);
  // summarize sorts a copy and keeps the mean of the samples as given.
  std::optional<Stats> s = summarize({40, 10, 30, 20});
  REQUIRE(s);
  CHECK(s->p50 == 20);
  CHECK(s->min == 10);
  CHECK(s->max == 40);
  CHECK(s->mean == 25);
  CHECK(s->count == 4);
  CHECK_FALSE(summarize({}).has_value());
}

TEST_CASE("fixed durations give every percentile the same value") {
  const World w = one_deployment_world();
  const Scenario s = scenario_from(R"(  controllers: {kustomize: {healthPollInterval: 100ms}}
  timing:
    ready:
      - match: {kind: Deployment}
        after: 40s
)");
  MonteCarloResult mc = monte_carlo(w, s, 50, 2);
  CHECK(mc.runs == 50);
  CHECK(mc.all_ready_runs == 50);
  CHECK(mc.ready_probability == 1.0);
  REQUIRE(mc.time_to_ready_ms);
  const Stats& t = *mc.time_to_ready_ms;
  // 1770ms + 40s, on a 100ms poll grid starting at 1770ms.
  CHECK(t.p50 == 41770);
  for (double v : {t.p90, t.p99, t.min, t.max, t.mean}) CHECK(v == 41770);
  CHECK(t.count == 50);
  REQUIRE(mc.kustomizations[0].ready_at_ms);
  CHECK(mc.kustomizations[0].ready_at_ms->p99 == 41770);
  CHECK(mc.kustomizations[0].ready_probability == 1.0);
  CHECK(mc.kustomizations[0].first_not_ready_run == -1);
  // The JSON has the product.md §3 shape.
  const std::string json = json_of(w, s, mc);
  CHECK(json.find(R"("timeToReadyMs": {
    "p50": 41770,
    "p90": 41770,
    "p99": 41770,
    "min": 41770,
    "max": 41770,
    "mean": 41770
  })") != std::string::npos);
  CHECK(json.find(R"("readyProbability": 1.0)") != std::string::npos);
  CHECK(json.find(R"("runs": 50)") != std::string::npos);
}

TEST_CASE("a uniform(20s, 60s) readiness time has its median where the arithmetic puts it") {
  const World w = one_deployment_world();
  const Scenario s = scenario_from(R"(  controllers: {kustomize: {healthPollInterval: 100ms}}
  timing:
    ready:
      - match: {kind: Deployment}
        after: uniform(20s, 60s)
)");
  MonteCarloResult mc = monte_carlo(w, s, 2000, 2);
  REQUIRE(mc.time_to_ready_ms);
  const Stats& t = *mc.time_to_ready_ms;
  // Ready = 1770ms + U rounded up to the 100ms poll grid: median 1770 + 40000 (+ under 100ms);
  // min >= 1770 + 20000, max <= 1770 + 60000 + 100; p90 ~ 1770 + 56000.
  CHECK(std::abs(t.p50 - 41770) <= 2000);
  CHECK(std::abs(t.mean - 41770) <= 2000);
  CHECK(std::abs(t.p90 - 57770) <= 2000);
  CHECK(t.min >= 21770);
  CHECK(t.max <= 61870);
  CHECK(t.min < t.p50);
  CHECK(t.p50 < t.p90);
  CHECK(t.p90 <= t.p99);
  CHECK(t.p99 <= t.max);
}

TEST_CASE("runs that never become Ready count against readyProbability and stay out of the percentiles") {
  const World w = one_deployment_world();
  // exponential(30s) after 1770ms, horizon 1m: Ready within the horizon with probability about
  // 1 - exp(-(60000 - 1770 - ~50) / 30000) = 0.857.
  const Scenario s = scenario_from(R"(  controllers: {kustomize: {healthPollInterval: 100ms}}
  horizon: 1m
  timing:
    ready:
      - match: {kind: Deployment}
        after: exponential(30s)
  expect:
    allReadyWithin: 30s
)");
  MonteCarloResult mc = monte_carlo(w, s, 600, 2);
  CHECK(mc.ready_probability == doctest::Approx(0.857).epsilon(0.06));
  CHECK(mc.ready_probability < 1.0);
  const KustomizationStats& root = mc.kustomizations[0];
  CHECK(root.ready_runs == mc.all_ready_runs);
  CHECK(root.ready_probability == mc.ready_probability);
  REQUIRE(root.ready_at_ms);
  CHECK(root.ready_at_ms->count == root.ready_runs);
  CHECK(root.ready_at_ms->max <= 60000);  // only Ready runs: no horizon or sentinel leaks in
  REQUIRE(root.first_not_ready_run >= 0);
  // The first run that missed is reported with the Ready reason it ended that run with.
  CHECK(root.not_ready_reason == "Progressing");  // its health check still running at the horizon
  CHECK_FALSE(root.not_ready_message.empty());
  // allReadyWithin 30s: met exactly in the runs Ready by 30s.
  std::size_t within = 0;
  Simulation sim(w, s);
  for (std::uint64_t run = 0; run < 600; ++run) {
    RunResult r = sim.run({run, false, true, {}, true});
    within += r.all_ready && r.time_to_ready <= at_ms(30000) ? 1 : 0;
  }
  REQUIRE(mc.expectations.size() == 1);
  CHECK(mc.expectations[0].met_runs == within);
  CHECK_FALSE(mc.expectations[0].met());
  CHECK(mc.expectations[0].first_miss_run >= 0);
  const std::string table = table_of(w, s, mc);
  CHECK(table.find("Not Ready in every run") != std::string::npos);
  CHECK(table.find(fmt::format("FAILED allReadyWithin 30s — met in {} of 600 runs", within)) != std::string::npos);
}

TEST_CASE("a never-Ready Kustomization has no percentiles and a readyProbability of 0") {
  WorldBuilder b;
  b.kustomization("stuck").wait = true;
  b.object("stuck", "apps/v1", "Deployment", "default", "db");
  b.kustomization("fine");
  const Scenario s = scenario_from(R"(  horizon: 20m
  faults:
    - match: {kind: Deployment, name: db}
      neverReady: true
)");
  MonteCarloResult mc = monte_carlo(b.world(), s, 5, 2);
  CHECK(mc.all_ready_runs == 0);
  CHECK_FALSE(mc.time_to_ready_ms.has_value());
  const KustomizationStats& stuck = mc.kustomizations[1];
  CHECK(stuck.ready_probability == 0.0);
  CHECK_FALSE(stuck.ready_at_ms.has_value());
  CHECK(stuck.first_not_ready_run == 0);
  CHECK(mc.kustomizations[2].ready_probability == 1.0);
  const std::string json = json_of(b.world(), s, mc);
  CHECK(json.find(R"("timeToReadyMs": null)") != std::string::npos);
  CHECK(json.find(R"("readyAtMs": null)") != std::string::npos);
  // Never-Ready rows come last.
  const std::string table = table_of(b.world(), s, mc);
  CHECK(table.find("fine") < table.find("stuck "));
  CHECK(table.find("Not fully Ready within 20m in any of the 5 runs") != std::string::npos);
}

TEST_CASE("reports are byte-identical for any number of threads") {
  const Busy b = busy_world();
  const MonteCarloResult one = monte_carlo(b.world, b.scenario, 120, 1);
  const MonteCarloResult two = monte_carlo(b.world, b.scenario, 120, 2);
  const MonteCarloResult five = monte_carlo(b.world, b.scenario, 120, 5);
  const std::string json = json_of(b.world, b.scenario, one);
  CHECK(json == json_of(b.world, b.scenario, two));
  CHECK(json == json_of(b.world, b.scenario, five));
  CHECK(table_of(b.world, b.scenario, one) == table_of(b.world, b.scenario, two));
  // And the runs really differ from one another (the test would be vacuous otherwise).
  REQUIRE(one.time_to_ready_ms);
  CHECK(one.time_to_ready_ms->min < one.time_to_ready_ms->max);
  // A different seed gives different numbers.
  Scenario other = b.scenario;
  other.seed = 2;
  CHECK(json_of(b.world, other, monte_carlo(b.world, other, 120, 2)) != json);
}

TEST_CASE("recording every run changes no statistic and adds queue waits") {
  const Busy b = busy_world();
  const MonteCarloResult fast = monte_carlo(b.world, b.scenario, 40, 2, false);
  const MonteCarloResult full = monte_carlo(b.world, b.scenario, 40, 2, true);
  REQUIRE(fast.time_to_ready_ms);
  REQUIRE(full.time_to_ready_ms);
  CHECK(fast.time_to_ready_ms->p50 == full.time_to_ready_ms->p50);
  CHECK(fast.time_to_ready_ms->mean == full.time_to_ready_ms->mean);
  for (std::size_t k = 0; k < fast.kustomizations.size(); ++k) {
    CHECK(fast.kustomizations[k].ready_runs == full.kustomizations[k].ready_runs);
    if (fast.kustomizations[k].ready_at_ms) CHECK(fast.kustomizations[k].ready_at_ms->p90 == full.kustomizations[k].ready_at_ms->p90);
  }
  CHECK(fast.workers[0].utilisation.mean == full.workers[0].utilisation.mean);
  CHECK_FALSE(fast.workers[0].longest_wait_ms.has_value());
  REQUIRE(full.workers[0].longest_wait_ms);
  // Two workers for two dozen Kustomizations: some pass waited for a worker.
  CHECK(full.workers[0].longest_wait_ms->max > 0);
}

TEST_CASE("the progress hook sees every run once, serialised") {
  const Busy b = busy_world();
  Simulation sim(b.world, b.scenario);
  std::vector<std::size_t> seen;
  MonteCarloOptions o;
  o.runs = 30;
  o.jobs = 3;
  o.progress = [&](std::size_t done, std::size_t total) {
    CHECK(total == 30);
    seen.push_back(done);
  };
  run_monte_carlo(sim, b.world, b.scenario, o);
  REQUIRE(seen.size() == 30);
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == i + 1);
}

// ----- the command line ----------------------------------------------------------------------------

TEST_CASE("fluxsim run --runs N reports percentiles, the same bytes for any --jobs") {
  test::TempDir dir("fluxsim-run-runs");
  test::write_app_repo(dir);
  const std::string s = test::write_app_scenario(dir, "s.yaml", "uniform(20s, 60s)");
  const test::CliResult one = test::run_fluxsim({"run", s, "--runs", "200", "--jobs", "1", "-o", "json"});
  CHECK(one.code == ExitCode::Ok);
  CHECK(one.out.find(R"("runs": 200)") != std::string::npos);
  CHECK(one.out.find(R"("readyProbability")") != std::string::npos);
  const test::CliResult two = test::run_fluxsim({"run", s, "--runs", "200", "--jobs", "2", "-o", "json"});
  CHECK(one.out == two.out);
  CHECK(test::run_fluxsim({"run", s, "--runs", "200", "-j", "2"}).out == test::run_fluxsim({"run", s, "--runs", "200", "-j", "1"}).out);
}

TEST_CASE("--runs and --jobs are checked before anything runs") {
  test::TempDir dir("fluxsim-run-flags");
  test::write_app_repo(dir);
  const std::string s = test::write_app_scenario(dir, "s.yaml", "30s");
  // spec.runs's bound, the same on the command line as in a file (scenario settings table).
  for (const char* bad : {"0", "-3", "1000001", "10000000"}) {
    const test::CliResult r = test::run_fluxsim({"run", s, "--runs", bad});
    CHECK(r.code == ExitCode::BadInput);
    CHECK(r.err.find(std::string("--runs ") + bad + ": expected 1 to 1000000") != std::string::npos);
  }
  const test::CliResult r = test::run_fluxsim({"run", s, "--jobs", "-1"});
  CHECK(r.code == ExitCode::BadInput);
  CHECK(r.err.find("--jobs -1") != std::string::npos);
  CHECK(test::run_fluxsim({"run", s, "--runs", "many"}).code == ExitCode::BadInput);
}
