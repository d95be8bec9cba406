// SPDX-License-Identifier: Apache-2.0
// What-if sweeps: parsing `--sweep PATH=V1,V2`, validating every value through the scenario parser's
// override path, and the capacity-planning rows (time to readiness and worker waits per value).
#include "fluxsim/sweep.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <sstream>

#include "cli_runner.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;

namespace {

const char* kScenario = R"(apiVersion: fluxsim/v1alpha1
kind: Scenario
metadata: {name: capacity}
spec:
  controllers:
    kustomize: {concurrent: 4, intervalJitterPercent: 0}
  expect:
    allReadyWithin: 2m
)";

ScenarioReader reader() {
  return [](const std::vector<ScenarioOverride>& overrides) { return parse_scenario(kScenario, "capacity.yaml", overrides); };
}

// Eight sibling Kustomizations, each waiting for a Deployment Current 30s after apply.
World eight_waiting_siblings() {
  WorldBuilder b;
  for (int i = 0; i < 8; ++i) {
    const std::string name = fmt::format("app{}", i);
    b.kustomization(name).wait = true;
    b.object(name, "apps/v1", "Deployment", "default", name);
  }
  return b.world();
}

std::vector<SweepRow> run_rows(const World& world, const Sweep& sweep, const SweepScenarios& s, std::size_t runs) {
  std::vector<SweepRow> rows;
  for (std::size_t i = 0; i < s.scenarios.size(); ++i) {
    Simulation sim(world, s.scenarios[i]);
    MonteCarloOptions o;
    o.runs = runs;
    o.jobs = 2;
    o.record = true;
    rows.push_back({sweep.values[i], run_monte_carlo(sim, world, s.scenarios[i], o)});
  }
  return rows;
}

}  // namespace

TEST_CASE("a sweep names a field and a comma-separated list of numbers or durations") {
  SweepParse p = parse_sweep("controllers.kustomize.concurrent=1,2,4,8,16");
  REQUIRE(p.sweep);
  CHECK(p.sweep->path == "controllers.kustomize.concurrent");
  CHECK(p.sweep->values == std::vector<std::string>{"1", "2", "4", "8", "16"});
  // A distribution's own commas do not split it.
  p = parse_sweep("timing.build=uniform(1s, 2s), 3s,500ms");
  REQUIRE(p.sweep);
  CHECK(p.sweep->values == std::vector<std::string>{"uniform(1s, 2s)", "3s", "500ms"});

  CHECK(parse_sweep("controllers.kustomize.concurrent").error.find("expected PATH=V1,V2") != std::string::npos);
  CHECK(parse_sweep("=1,2").error.find("expected PATH=V1,V2") != std::string::npos);
  CHECK(parse_sweep("controllers.kustomize.concurrent=1,,2").error.find("empty value") != std::string::npos);
  CHECK(parse_sweep("entry=clusters/a,clusters/b").error.find("'clusters/a' is neither a number nor a duration") !=
        std::string::npos);
  CHECK(parse_sweep("timing.build=uniform(1s, 2s").error.find("unbalanced") != std::string::npos);
}

TEST_CASE("each sweep value goes through the scenario parser, and a bad one is named") {
  const Sweep good = *parse_sweep("controllers.kustomize.concurrent=1,2,8").sweep;
  SweepScenarios s = sweep_scenarios(good, {{"controllers.kustomize.requeueDependency", "10s"}}, reader());
  REQUIRE_FALSE(s.diagnostics.has_errors());
  REQUIRE(s.scenarios.size() == 3);
  CHECK(s.scenarios[0].controllers.kustomize.concurrent == 1);
  CHECK(s.scenarios[1].controllers.kustomize.concurrent == 2);
  CHECK(s.scenarios[2].controllers.kustomize.concurrent == 8);
  // The base --set overrides apply to every value.
  for (const Scenario& sc : s.scenarios) CHECK(sc.controllers.kustomize.requeue_dependency == 10s);

  // concurrent must be a whole number >= 1: the parser's own checks, located at the sweep value.
  SweepScenarios bad = sweep_scenarios(*parse_sweep("controllers.kustomize.concurrent=2,0,1.5").sweep, {}, reader());
  CHECK(bad.scenarios.empty());
  REQUIRE(bad.diagnostics.size() >= 2);
  std::string all;
  for (const Diagnostic& d : bad.diagnostics) all += to_string(d) + "\n";
  CHECK(all.find("--sweep controllers.kustomize.concurrent=0") != std::string::npos);
  CHECK(all.find("--sweep controllers.kustomize.concurrent=1.5") != std::string::npos);
  CHECK(all.find("concurrent=2") == std::string::npos);

  SweepScenarios unknown = sweep_scenarios(*parse_sweep("controllers.kustomize.bogus=1,2").sweep, {}, reader());
  CHECK(unknown.diagnostics.has_errors());

  // Durations are checked as durations.
  SweepScenarios dur = sweep_scenarios(*parse_sweep("controllers.kustomize.requeueDependency=5s,1m").sweep, {}, reader());
  REQUIRE(dur.scenarios.size() == 2);
  CHECK(dur.scenarios[1].controllers.kustomize.requeue_dependency == 1min);
}

TEST_CASE("more workers shorten the rollout and the wait for a worker, row by row") {
  const World world = eight_waiting_siblings();
  const Sweep sweep = *parse_sweep("controllers.kustomize.concurrent=1,2,4,8").sweep;
  SweepScenarios s = sweep_scenarios(sweep, {}, reader());
  REQUIRE(s.scenarios.size() == 4);
  const std::vector<SweepRow> rows = run_rows(world, sweep, s, 1);
  REQUIRE(rows.size() == 4);
  // Root: pass at 750ms, build to 1750ms, writes app0..app7 at 1770..1910ms (20ms each); each child's
  // first real pass is due 750ms after creation: 2520, 2540, ..., 2660ms. A child pass holds its worker
  // for build 1s + write 20ms + 30s until its Deployment is Current (a 5s health tick): 31020ms.
  // 8 workers: all start when due; the last is Ready at 2660 + 31020 = 33680ms, nobody waits.
  REQUIRE(rows[3].result.time_to_ready_ms);
  CHECK(rows[3].result.time_to_ready_ms->p50 == 33680);
  REQUIRE(rows[3].result.workers[0].longest_wait_ms);
  CHECK(rows[3].result.workers[0].longest_wait_ms->max == 0);
  // 1 worker: the root holds it until 1910ms, so the children's finalizer passes (instant) all run at
  // 1910ms and their first real passes are all due at 2660ms; then one after another: the eighth starts
  // at 2660 + 7 * 31020 = 219800ms (it waited 217140ms) and is Ready at 250820ms.
  REQUIRE(rows[0].result.time_to_ready_ms);
  CHECK(rows[0].result.time_to_ready_ms->p50 == 250820);
  CHECK(rows[0].result.workers[0].longest_wait_ms->max == 217140);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    CHECK(rows[i].result.time_to_ready_ms->p50 < rows[i - 1].result.time_to_ready_ms->p50);
    CHECK(rows[i].result.workers[0].longest_wait_ms->p50 <= rows[i - 1].result.workers[0].longest_wait_ms->p50);
  }
  // allReadyWithin 2m: missed with 1 worker only.
  CHECK_FALSE(rows[0].result.expectations.at(0).met());
  CHECK(rows[3].result.expectations.at(0).met());
  CHECK(sweep_missed_expectations(rows));

  std::ostringstream table, json;
  write_sweep_table({s.scenarios.front(), sweep, rows}, table);
  write_sweep_json({s.scenarios.front(), sweep, rows}, json);
  const std::string t = table.str();
  CHECK(t.find("controllers.kustomize.concurrent  READY p50") != std::string::npos);
  CHECK(t.find("4m10.82s") != std::string::npos);  // 250820ms
  CHECK(t.find("33.68s") != std::string::npos);
  CHECK(t.find("FAILED 1/1") != std::string::npos);
  const std::string j = json.str();
  CHECK(j.find(R"("sweep": "controllers.kustomize.concurrent")") != std::string::npos);
  CHECK(j.find(R"("value": "8")") != std::string::npos);
  CHECK(j.find(R"("p50": 250820)") != std::string::npos);
}

TEST_CASE("a sweep with several runs per value reports percentiles and is the same for any thread count") {
  WorldBuilder b;
  for (int i = 0; i < 6; ++i) {
    const std::string name = fmt::format("svc{}", i);
    b.kustomization(name).wait = true;
    b.object(name, "apps/v1", "Deployment", "default", name);
  }
  const World& world = b.world();
  const Sweep sweep = *parse_sweep("controllers.kustomize.concurrent=1,3").sweep;
  SweepScenarios s = sweep_scenarios(sweep, {{"timing.ready", "[{match: {kind: Deployment}, after: \"uniform(10s, 50s)\"}]"}},
                                     reader());
  REQUIRE(s.scenarios.size() == 2);
  auto render = [&](unsigned jobs) {
    std::vector<SweepRow> rows;
    for (std::size_t i = 0; i < 2; ++i) {
      Simulation sim(world, s.scenarios[i]);
      MonteCarloOptions o;
      o.runs = 50;
      o.jobs = jobs;
      o.record = true;
      rows.push_back({sweep.values[i], run_monte_carlo(sim, world, s.scenarios[i], o)});
    }
    std::ostringstream out;
    write_sweep_json({s.scenarios.front(), sweep, rows}, out);
    write_sweep_table({s.scenarios.front(), sweep, rows}, out);
    REQUIRE(rows[0].result.time_to_ready_ms);
    CHECK(rows[0].result.time_to_ready_ms->p50 < rows[0].result.time_to_ready_ms->p90);
    return out.str();
  };
  CHECK(render(1) == render(2));
}

// ----- the command line ----------------------------------------------------------------------------

TEST_CASE("fluxsim run --sweep names a bad value before anything runs") {
  test::TempDir dir("fluxsim-sweep-args");
  test::write_app_repo(dir);
  const std::string s = test::write_app_scenario(dir, "s.yaml", "30s");
  test::CliResult r = test::run_fluxsim({"run", s, "--sweep", "controllers.kustomize.concurrent=1,0,4"});
  CHECK(r.code == ExitCode::BadInput);
  CHECK(r.out.empty());
  CHECK(r.err.find("--sweep controllers.kustomize.concurrent=0: error: controllers.kustomize.concurrent must be between 1") !=
        std::string::npos);
  r = test::run_fluxsim({"run", s, "--sweep", "entry=a,b"});
  CHECK(r.code == ExitCode::BadInput);
  CHECK(r.err.find("'a' is neither a number nor a duration") != std::string::npos);
  r = test::run_fluxsim({"run", s, "--sweep", "controllers.kustomize.concurrent"});
  CHECK(r.code == ExitCode::BadInput);
}

TEST_CASE("fluxsim run --sweep prints one row per value") {
  test::TempDir dir("fluxsim-sweep-rows");
  test::write_app_repo(dir);
  const std::string s = test::write_app_scenario(dir, "s.yaml", "30s");
  const test::CliResult r = test::run_fluxsim({"run", s, "--sweep", "controllers.kustomize.concurrent=1,2,4"});
  CHECK(r.code == ExitCode::Ok);
  CHECK(r.out.find("controllers.kustomize.concurrent  READY p50") != std::string::npos);
  for (const char* row : {"\n1 ", "\n2 ", "\n4 "}) CHECK(r.out.find(row) != std::string::npos);
  const test::CliResult j = test::run_fluxsim({"run", s, "--sweep", "timing.build=1s,2s", "-o", "json", "--runs", "3"});
  CHECK(j.code == ExitCode::Ok);
  CHECK(j.out.find(R"("sweep": "timing.build")") != std::string::npos);
}

// ----- one bound per setting (issue 15): --sweep, --set and --runs refuse what a file refuses ------------

TEST_CASE("a sweep value beyond a setting's bound is refused with the setting's name") {
  SweepScenarios h = sweep_scenarios(*parse_sweep("horizon=1h,721h").sweep, {}, reader());
  CHECK(h.scenarios.empty());
  REQUIRE(h.diagnostics.size() == 1);
  CHECK(to_string(*h.diagnostics.begin()) == "--sweep horizon=721h: error: horizon must be at most 720h, got 721h");
  SweepScenarios r = sweep_scenarios(*parse_sweep("runs=10,1000001").sweep, {}, reader());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(to_string(*r.diagnostics.begin()) ==
        "--sweep runs=1000001: error: runs must be between 1 and 1000000, got 1000001");
}

TEST_CASE("fluxsim run refuses --set horizon=, and out-of-bound settings with exit 2 naming the setting") {
  test::TempDir dir("fluxsim-set-bounds");
  test::write_app_repo(dir);
  const std::string s = test::write_app_scenario(dir, "s.yaml", "30s");
  test::CliResult r = test::run_fluxsim({"run", s, "--set", "horizon=,"});
  CHECK(r.code == ExitCode::BadInput);
  CHECK(r.err.find("--set horizon: error: invalid YAML value \",\"") != std::string::npos);
  r = test::run_fluxsim({"run", s, "--set", "horizon=8760h"});
  CHECK(r.code == ExitCode::BadInput);
  CHECK(r.err.find("--set horizon: error: horizon must be at most 720h, got 8760h") != std::string::npos);
  r = test::run_fluxsim({"run", s, "--runs", "1000001"});
  CHECK(r.code == ExitCode::BadInput);
  CHECK(r.err.find("--runs 1000001: expected 1 to 1000000") != std::string::npos);
  r = test::run_fluxsim({"run", s, "--sweep", "horizon=1h,721h"});
  CHECK(r.code == ExitCode::BadInput);
  CHECK(r.err.find("--sweep horizon=721h: error: horizon must be at most 720h") != std::string::npos);
}
