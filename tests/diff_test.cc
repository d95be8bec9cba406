// SPDX-License-Identifier: Apache-2.0
// `fluxsim diff`: a rollout compared with itself shows no change and passes; a slower HEAD fails
// --max-slowdown; added, removed, reordered and newly failing Kustomizations are named; the gating
// chain (the interim critical path) follows what released each Kustomization last.
#include "fluxsim/diff.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <sstream>

#include "cli_runner.h"
#include "fluxsim/critical_path.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;

namespace {

Scenario scenario_from(const std::string& name, const std::string& spec) {
  ScenarioLoad load = parse_scenario(
      fmt::format("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nmetadata: {{name: {}}}\nspec:\n{}", name, spec), name + ".yaml");
  for (const Diagnostic& d : load.diagnostics) FAIL_CHECK(to_string(d));
  return load.scenario;
}

MonteCarloResult monte_carlo(const World& w, const Scenario& s, std::size_t runs) {
  Simulation sim(w, s);
  for (const Diagnostic& d : sim.diagnostics()) FAIL_CHECK(to_string(d));
  MonteCarloOptions o;
  o.runs = runs;
  o.jobs = 2;
  return run_monte_carlo(sim, w, s, o);
}

struct Rendered {
  std::string markdown, table, json;
};
Rendered render(const DiffResult& d) {
  std::ostringstream md, table, json;
  write_diff_markdown(d, md);
  write_diff_table(d, table);
  write_diff_json(d, json);
  return {md.str(), table.str(), json.str()};
}

// root -> app (wait: true) with one Deployment. The root's pass writes app at 1770ms; app's first
// pass is due at 2520ms, builds to 3520ms, writes its Deployment at 3540ms; with a Deployment Current
// D after apply (a multiple of the 5s health poll) app is Ready at 3540ms + D.
World app_world() {
  WorldBuilder b;
  b.kustomization("app").wait = true;
  b.object("app", "apps/v1", "Deployment", "default", "web");
  return b.world();
}

std::string deployment_after(const std::string& d) {
  return fmt::format("  timing:\n    ready:\n      - match: {{kind: Deployment}}\n        after: {}\n", d);
}

}  // namespace

TEST_CASE("a slowdown limit is a duration or a percentage") {
  SlowdownParse p = parse_slowdown("20%");
  REQUIRE(p.value);
  CHECK_FALSE(p.value->absolute.has_value());
  CHECK(p.value->percent == 20);
  p = parse_slowdown("12.5%");
  REQUIRE(p.value);
  CHECK(p.value->percent == 12.5);
  p = parse_slowdown("2m");
  REQUIRE(p.value);
  CHECK(p.value->absolute == 2min);
  CHECK(p.value->text == "2m");
  CHECK_FALSE(parse_slowdown("fast").value);
  CHECK_FALSE(parse_slowdown("-5%").value);
  CHECK_FALSE(parse_slowdown("%").value);
  CHECK_FALSE(parse_slowdown("-1m").value);
  CHECK_FALSE(parse_slowdown("").value);
}

TEST_CASE("a rollout compared with itself reports no change and passes") {
  const World w = app_world();
  for (std::size_t runs : {std::size_t{1}, std::size_t{25}}) {
    CAPTURE(runs);
    const Scenario s = scenario_from("same", "  timing:\n    ready:\n      - match: {kind: Deployment}\n        after: uniform(10s, 50s)\n"
                                             "  expect:\n    allReadyWithin: 5m\n");
    const MonteCarloResult base = monte_carlo(w, s, runs);
    const MonteCarloResult head = monte_carlo(w, s, runs);
    const DiffResult d = compare_rollouts({s, w, base}, {s, w, head}, parse_slowdown("0%").value);
    CHECK_FALSE(d.changed());
    CHECK_FALSE(d.failed());
    CHECK(d.added.empty());
    CHECK(d.removed.empty());
    CHECK(d.order_changes.empty());
    CHECK(d.new_failures.empty());
    CHECK(d.ready_time_changes.empty());
    CHECK(d.base_critical_path == std::vector<std::string>{"flux-system", "app"});
    CHECK(d.base_critical_path == d.head_critical_path);
    REQUIRE(d.slowdown);
    CHECK_FALSE(d.slowdown->exceeded);
    const Rendered r = render(d);
    CHECK(r.markdown.find(":white_check_mark: **No change** to the rollout.") != std::string::npos);
    CHECK(r.markdown.find("**Critical path** (unchanged): `flux-system` → `app`") != std::string::npos);
    CHECK(r.table.find("No change to the rollout.") != std::string::npos);
    CHECK(r.json.find(R"("changed": false)") != std::string::npos);
    CHECK(r.json.find(R"("failed": false)") != std::string::npos);
  }
}

TEST_CASE("a HEAD slower than --max-slowdown fails the check") {
  const World w = app_world();
  const Scenario base_s = scenario_from("base", deployment_after("30s"));
  const Scenario head_s = scenario_from("head", deployment_after("90s"));
  const MonteCarloResult base = monte_carlo(w, base_s, 1);
  const MonteCarloResult head = monte_carlo(w, head_s, 1);
  // BASE: 3540 + 30000 = 33540ms; HEAD: 3540 + 90000 = 93540ms: 60s (179%) slower.
  auto check = [&](const char* limit) {
    return compare_rollouts({base_s, w, base}, {head_s, w, head}, parse_slowdown(limit).value);
  };
  const DiffResult d = check("20%");
  CHECK(d.changed());
  REQUIRE(d.slowdown);
  CHECK(d.slowdown->base_ms == 33540);
  CHECK(d.slowdown->head_ms == 93540);
  CHECK(d.slowdown->exceeded);
  CHECK(d.failed());
  CHECK(check("1m").failed() == false);  // exactly 60s slower: not more than the limit
  CHECK(check("59s").failed());
  CHECK(check("178%").failed());  // 60000 / 33540 = 178.9%
  CHECK_FALSE(check("179%").failed());
  // Without a limit, a slower HEAD is reported but does not fail.
  CHECK_FALSE(compare_rollouts({base_s, w, base}, {head_s, w, head}, std::nullopt).failed());
  // A faster HEAD never exceeds.
  CHECK_FALSE(compare_rollouts({head_s, w, head}, {base_s, w, base}, parse_slowdown("0s").value).failed());

  const Rendered r = render(d);
  CHECK(r.markdown.find("### fluxsim diff: time to full readiness 33.54s → 1m33.54s (+1m (+179%))") != std::string::npos);
  CHECK(r.markdown.find(":x: **HEAD fails the check**: slower than --max-slowdown 20% (median run 33.54s → 1m33.54s)") !=
        std::string::npos);
  CHECK(r.markdown.find("| `app` | 33.54s | 1m33.54s | +1m (+179%) |") != std::string::npos);
  CHECK(r.table.find("HEAD FAILS THE CHECK") != std::string::npos);
  CHECK(r.json.find(R"("timeToReadyChangeMs": 60000)") != std::string::npos);
  CHECK(r.json.find(R"("exceeded": true)") != std::string::npos);
}

// The hole issue 12 found: with one Kustomization never Ready on both sides, neither side is ever fully
// Ready, the headline read "never → never (-)" and --max-slowdown 20% passed although another
// Kustomization went from 7m to 18m. root applies stuck (wait: true on a Deployment that is never
// Ready) and app (wait: true on a Deployment Current 7m, then 18m, after its apply).
TEST_CASE("the slowdown gate compares what both sides can compare when one Kustomization is never Ready on both") {
  WorldBuilder b;
  for (const char* n : {"app", "stuck"}) {
    b.kustomization(n).wait = true;
    b.object(n, "apps/v1", "Deployment", "default", n);
  }
  b.get("app").timeout = std::chrono::minutes(30);  // its health check outlasts the 18m Deployment
  const World& w = b.world();
  auto side = [](const char* name, const char* app_after) {
    return scenario_from(name, fmt::format(R"(  horizon: 1h
  timing:
    ready:
      - match: {{kind: Deployment, name: app}}
        after: {}
  faults:
    - match: {{kind: Deployment, name: stuck}}
      neverReady: true
)", app_after));
  };
  const Scenario base_s = side("base", "7m"), head_s = side("head", "18m");
  const MonteCarloResult base = monte_carlo(w, base_s, 1), head = monte_carlo(w, head_s, 1);
  auto check = [&](const char* limit) { return compare_rollouts({base_s, w, base}, {head_s, w, head}, parse_slowdown(limit).value); };
  const DiffResult d = check("20%");
  CHECK_FALSE(d.base_time_to_ready.has_value());
  CHECK_FALSE(d.head_time_to_ready.has_value());
  REQUIRE(d.slowdown);
  CHECK_FALSE(d.slowdown->base_ms.has_value());
  CHECK_FALSE(d.slowdown->head_ms.has_value());
  // Ready on both sides: flux-system and app; app decides the time to readiness of those, and is
  // exactly 11m later in HEAD (same apply time, the Deployment 11m slower).
  REQUIRE(d.slowdown->base_common_ms);
  REQUIRE(d.slowdown->head_common_ms);
  CHECK(*d.slowdown->head_common_ms - *d.slowdown->base_common_ms == 660'000);
  REQUIRE(d.slowdown->regressions.size() == 1);
  CHECK(d.slowdown->regressions[0].name == "app");
  CHECK(d.slowdown->never_ready.empty());  // stuck was never Ready in BASE either
  CHECK(d.slowdown->exceeded);
  CHECK(d.failed());
  // 11m over BASE's ~7m4s is ~156%: a 150% limit fails, 160% passes, as does an absolute 11m.
  CHECK(check("150%").failed());
  CHECK_FALSE(check("160%").failed());
  CHECK_FALSE(check("11m").failed());
  CHECK(check("10m59s").failed());
  // The same rollout against itself passes: stuck, never Ready on both sides, is no regression.
  CHECK_FALSE(compare_rollouts({base_s, w, base}, {base_s, w, base}, parse_slowdown("0%").value).failed());

  const Rendered r = render(d);
  CHECK(r.markdown.find("never → never (-); of those Ready on both sides 7m") != std::string::npos);
  CHECK(r.markdown.find(":x: **HEAD fails the check**: `app` Ready 7m") != std::string::npos);
  CHECK(r.markdown.find("beyond --max-slowdown 20%") != std::string::npos);
  CHECK(r.markdown.find("| time to readiness of those Ready on both sides | 7m") != std::string::npos);
  CHECK(r.json.find(R"("regressions": [)") != std::string::npos);
}

TEST_CASE("a Kustomization Ready in BASE and never Ready in HEAD fails the slowdown gate") {
  const World w = app_world();
  const Scenario base_s = scenario_from("base", deployment_after("30s"));
  const Scenario head_s = scenario_from("head", "  horizon: 30m\n  faults:\n    - match: {kind: Deployment, name: web}\n      neverReady: true\n");
  const MonteCarloResult base = monte_carlo(w, base_s, 1), head = monte_carlo(w, head_s, 1);
  const DiffResult d = compare_rollouts({base_s, w, base}, {head_s, w, head}, parse_slowdown("1h").value);
  REQUIRE(d.slowdown);
  CHECK(d.slowdown->never_ready == std::vector<std::string>{"app"});
  CHECK(d.failed());
  CHECK(render(d).markdown.find("`app` never Ready in HEAD") != std::string::npos);
}

TEST_CASE("the diff names new failed attempts as the cause of a slowdown") {
  const World w = app_world();
  const Scenario base_s = scenario_from("base", deployment_after("30s"));
  const Scenario head_s = scenario_from("head", deployment_after("30s") + "  faults:\n    - kustomization: {name: app}\n      failApplies: 2\n");
  const MonteCarloResult base = monte_carlo(w, base_s, 1), head = monte_carlo(w, head_s, 1);
  const DiffResult d = compare_rollouts({base_s, w, base}, {head_s, w, head}, parse_slowdown("20%").value);
  REQUIRE(d.failure_changes.size() == 1);
  CHECK(d.failure_changes[0].base_count == 0);
  CHECK(d.failure_changes[0].head_count == 2);
  CHECK(d.failure_changes[0].outcome == PassOutcome::ApplyFailed);
  CHECK(d.failed());
  const Rendered r = render(d);
  CAPTURE(r.markdown);
  CHECK(r.markdown.find("cause: +2 failed applies") != std::string::npos);
  CHECK(r.markdown.find("each costs a retryInterval of") != std::string::npos);
}

TEST_CASE("worker rows name each side's workers and identical runs are one row") {
  const World w = app_world();
  const Scenario base_s = scenario_from("base", deployment_after("30s") + "  controllers:\n    kustomize:\n      concurrent: 20\n");
  const Scenario head_s = scenario_from("head", deployment_after("30s") + "  controllers:\n    kustomize:\n      concurrent: 4\n");
  const MonteCarloResult base = monte_carlo(w, base_s, 5), head = monte_carlo(w, head_s, 5);
  const std::string table = render(compare_rollouts({base_s, w, base}, {head_s, w, head}, std::nullopt)).table;
  CAPTURE(table);
  CHECK(table.find("kustomize-controller workers") != std::string::npos);
  CHECK(table.find("-16") != std::string::npos);
  CHECK(table.find("time to full readiness (every run alike)") != std::string::npos);
  CHECK(table.find("p90") == std::string::npos);
}

TEST_CASE("scenario names cannot break the Markdown table") {
  const World w = app_world();
  Scenario s = scenario_from("s", deployment_after("30s"));
  s.name = "infra|`prod`";
  const MonteCarloResult r = monte_carlo(w, s, 1);
  const std::string md = render(compare_rollouts({s, w, r}, {s, w, r}, std::nullopt)).markdown;
  CHECK(md.find("| | BASE `infra/'prod'` | HEAD `infra/'prod'` | change |") != std::string::npos);
}

TEST_CASE("a HEAD that misses an expectation fails the check even without a slowdown limit") {
  const World w = app_world();
  const Scenario base_s = scenario_from("base", deployment_after("30s"));
  const Scenario head_s = scenario_from("head", deployment_after("90s") + "  expect:\n    allReadyWithin: 1m\n");
  const MonteCarloResult base = monte_carlo(w, base_s, 3);
  const MonteCarloResult head = monte_carlo(w, head_s, 3);
  const DiffResult d = compare_rollouts({base_s, w, base}, {head_s, w, head}, std::nullopt);
  CHECK(d.failed());
  const Rendered r = render(d);
  CHECK(r.markdown.find("expectation `allReadyWithin 1m` missed in 3 of 3 runs") != std::string::npos);
  CHECK(r.markdown.find(":x: `allReadyWithin 1m` — met in 0 of 3 runs") != std::string::npos);
}

TEST_CASE("added, removed, reordered and newly failing Kustomizations are named") {
  WorldBuilder bb;
  for (const char* n : {"a", "b"}) {
    bb.kustomization(n).wait = true;
    bb.object(n, "apps/v1", "Deployment", "default", n);
  }
  bb.kustomization("c");
  WorldBuilder hb;
  for (const char* n : {"a", "b", "d"}) {
    hb.kustomization(n).wait = true;
    hb.object(n, "apps/v1", "Deployment", "default", n);
  }
  const World& base_w = bb.world();
  const World& head_w = hb.world();
  // The root writes a, b (and c or d) at 1770, 1790, 1810ms; each child is Ready 1770ms after it was
  // written plus its Deployment's time (see app_world). BASE: a at 33.54s, b at 63.56s. HEAD: a at
  // 93.54s (now after b), b at 63.56s, d never.
  const Scenario base_s = scenario_from("base", R"(  timing:
    ready:
      - match: {kind: Deployment, name: a}
        after: 30s
      - match: {kind: Deployment}
        after: 60s
)");
  const Scenario head_s = scenario_from("head", R"(  horizon: 30m
  timing:
    ready:
      - match: {kind: Deployment, name: a}
        after: 90s
      - match: {kind: Deployment}
        after: 60s
  faults:
    - match: {kind: Deployment, name: d}
      neverReady: true
)");
  const MonteCarloResult base = monte_carlo(base_w, base_s, 1);
  const MonteCarloResult head = monte_carlo(head_w, head_s, 1);
  const DiffResult d = compare_rollouts({base_s, base_w, base}, {head_s, head_w, head}, parse_slowdown("10m").value);
  CHECK(d.added == std::vector<std::string>{"d"});
  CHECK(d.removed == std::vector<std::string>{"c"});
  // Ready in both: flux-system, a, b (BASE) and flux-system, b, a (HEAD): a moved from 2nd to 3rd.
  REQUIRE(d.order_changes.size() == 1);
  CHECK(d.order_changes[0].name == "a");
  CHECK(d.order_changes[0].base_position == 2);
  CHECK(d.order_changes[0].head_position == 3);
  REQUIRE(d.new_failures.size() == 1);
  CHECK(d.new_failures[0].name == "d");
  CHECK(d.new_failures[0].added);
  CHECK(d.new_failures[0].head_ready_probability == 0.0);
  CHECK_FALSE(d.new_failures[0].reason.empty());
  // HEAD never fully Ready: infinitely slower than any limit.
  CHECK_FALSE(d.head_time_to_ready.has_value());
  CHECK(d.failed());
  // Critical paths: BASE ends at b (Ready last, released by the root creating it); HEAD, never fully
  // Ready, leads to the last Kustomization that did become Ready: a.
  CHECK(d.base_critical_path == std::vector<std::string>{"flux-system", "b"});
  CHECK(d.head_critical_path == std::vector<std::string>{"flux-system", "a"});
  REQUIRE(d.ready_time_changes.size() == 1);
  CHECK(d.ready_time_changes[0].name == "a");
  CHECK(d.ready_time_changes[0].delta_ms() == 60000);

  const Rendered r = render(d);
  CHECK(r.markdown.find("**Added:** `d`") != std::string::npos);
  CHECK(r.markdown.find("**Removed:** `c`") != std::string::npos);
  CHECK(r.markdown.find("- `a`: Ready 3rd (was 2nd), 33.54s → 1m33.54s") != std::string::npos);
  CHECK(r.markdown.find("**New failures** (1)") != std::string::npos);
  CHECK(r.markdown.find("- `d` (added) — Ready in 0% of HEAD runs") != std::string::npos);
  CHECK(r.markdown.find("- BASE: `flux-system` → `b` (Ready at 1m3.56s)") != std::string::npos);
  CHECK(r.markdown.find("| time to full readiness | 1m3.56s | never | never fully Ready |") != std::string::npos);
  CHECK(r.json.find(R"("added": [
    "d"
  ])") != std::string::npos);

  // The reverse diff: d and its failure go away, c comes back, a moves forward.
  const DiffResult back = compare_rollouts({head_s, head_w, head}, {base_s, base_w, base}, std::nullopt);
  CHECK(back.added == std::vector<std::string>{"c"});
  CHECK(back.removed == std::vector<std::string>{"d"});
  CHECK(back.new_failures.empty());
  CHECK_FALSE(back.failed());
}

// ----- the command line ----------------------------------------------------------------------------

TEST_CASE("fluxsim diff of a scenario with itself reports no change and exits 0") {
  test::TempDir dir("fluxsim-diff-same");
  test::write_app_repo(dir);
  const std::string s = test::write_app_scenario(dir, "base.yaml", "uniform(20s, 40s)");
  const test::CliResult r = test::run_fluxsim({"diff", s, s, "--runs", "20", "-o", "markdown", "--max-slowdown", "0%"});
  CHECK(r.err.empty());
  CHECK(r.code == ExitCode::Ok);
  CHECK(r.out.find("**No change** to the rollout.") != std::string::npos);
}

TEST_CASE("fluxsim diff exits 1 when HEAD is slower than --max-slowdown") {
  test::TempDir dir("fluxsim-diff-slower");
  test::write_app_repo(dir);
  const std::string base = test::write_app_scenario(dir, "base.yaml", "30s");
  const std::string head = test::write_app_scenario(dir, "head.yaml", "90s");
  const test::CliResult slower = test::run_fluxsim({"diff", base, head, "--max-slowdown", "20%"});
  CHECK(slower.code == ExitCode::Failed);
  CHECK(slower.out.find("HEAD FAILS THE CHECK") != std::string::npos);
  CHECK(test::run_fluxsim({"diff", base, head, "--max-slowdown", "2m"}).code == ExitCode::Ok);
  CHECK(test::run_fluxsim({"diff", head, base, "--max-slowdown", "0s"}).code == ExitCode::Ok);
  // One scenario on two checkouts.
  test::write_app_repo(dir);
  std::filesystem::copy(dir.path("repo"), dir.path("head-checkout"), std::filesystem::copy_options::recursive);
  const test::CliResult repos =
      test::run_fluxsim({"diff", base, "--base-repo", dir.path("repo"), "--head-repo", dir.path("head-checkout"), "-o", "json"});
  CHECK(repos.code == ExitCode::Ok);
  CHECK(repos.out.find(R"("changed": false)") != std::string::npos);
}

TEST_CASE("fluxsim diff rejects bad arguments with exit 2 before simulating anything") {
  test::TempDir dir("fluxsim-diff-args");
  test::write_app_repo(dir);
  const std::string s = test::write_app_scenario(dir, "s.yaml", "30s");
  auto rejected = [&](std::vector<std::string> args, const std::string& message) {
    const test::CliResult r = test::run_fluxsim(std::move(args));
    CHECK(r.code == ExitCode::BadInput);
    CHECK(r.out.empty());
    CHECK_MESSAGE(r.err.find(message) != std::string::npos, r.err);
  };
  rejected({"diff", s}, "diff needs BASE and HEAD");
  rejected({"diff", s, s, s}, "unexpected argument");
  rejected({"diff", s, s, "--max-slowdown", "fast"}, "--max-slowdown fast");
  rejected({"diff", s, s, "-o", "svg"}, "-o svg: unknown format (table, markdown, json)");
  rejected({"diff", s, "--base-repo", dir.path("repo")}, "--base-repo and --head-repo go together");
  rejected({"diff", s, s, "--runs", "0"}, "--runs 0: expected 1 to");
  rejected({"diff", s, dir.path("missing.yaml")}, "missing.yaml: no such file or directory");
}
