// SPDX-License-Identifier: Apache-2.0
// The scenario file (product.md §2): every field, the Flux defaults, every class of bad input with the
// exact file:line:col it is reported at, `--set` overrides, and the `*` globs of selectors.
#include "fluxsim/scenario.h"

#include <stdlib.h>  // mkdtemp

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace fluxsim;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string out = "\n";
    for (const std::string& s : v) out += "  " + s + "\n";
    return String(out.c_str());
  }
};
}  // namespace doctest

namespace {

/// A scratch directory that scenario files are "in": repo/ (with clusters/production and apps/),
/// clusters/production (so that `repo: .` has an entry), and a plain file.
struct Fixture {
  fs::path dir;
  Fixture() {
    std::string tmpl = (fs::temp_directory_path() / "fluxsim-scenario-test-XXXXXX").string();
    // No doctest assertion here: the fixture may first be built while doctest formats an INFO message.
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory");
    dir = tmpl;
    fs::create_directories(dir / "repo" / "clusters" / "production");
    fs::create_directories(dir / "repo" / "apps");
    fs::create_directories(dir / "clusters" / "production");
    fs::create_directories(dir / "tekton");
    std::ofstream(dir / "a-file") << "not a directory\n";
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

const Fixture& fixture() {
  static Fixture f;
  return f;
}

std::string path_in_fixture(const std::string& name) { return (fixture().dir / name).string(); }

ScenarioLoad parse(std::string_view text, const std::vector<ScenarioOverride>& overrides = {},
                   const std::string& name = "s.yaml") {
  return parse_scenario(text, path_in_fixture(name), overrides);
}

/// Every diagnostic as the CLI prints it, with the fixture directory cut from paths.
std::vector<std::string> messages(const ScenarioLoad& load) {
  std::string prefix = fixture().dir.string() + "/";
  std::vector<std::string> out;
  for (const Diagnostic& d : load.diagnostics) {
    std::string s = to_string(d);
    for (std::size_t at = s.find(prefix); at != std::string::npos; at = s.find(prefix))
      s.erase(at, prefix.size());
    out.push_back(s);
  }
  return out;
}

std::string joined(const ScenarioLoad& load) {
  std::string out;
  for (const std::string& m : messages(load)) out += m + "\n";
  return out;
}

/// True when exactly this message (after the fixture prefix is cut) was reported.
bool reported(const ScenarioLoad& load, std::string_view message) {
  for (const std::string& m : messages(load))
    if (m == message) return true;
  return false;
}

#define CHECK_REPORTED(load, msg)                                  \
  do {                                                             \
    INFO("diagnostics:\n", joined(load));                          \
    CHECK(reported(load, msg));                                    \
  } while (false)

#define REQUIRE_CLEAN(load)                                        \
  do {                                                             \
    INFO("diagnostics:\n", joined(load));                          \
    REQUIRE(load.diagnostics.empty());                             \
  } while (false)

std::string render(const Match& m) {
  return fmt::format("{{group={} kind={} ns={} name={} ks={} @{}}}", m.group, m.kind, m.ns, m.name, m.kustomization,
                     m.where.line);
}

/// Every field of a Scenario on its own line: compared whole in determinism tests.
std::string render(const Scenario& s) {
  std::string out;
  auto line = [&](std::string text) { out += text + "\n"; };
  line(fmt::format("name={} description={} file={} repo={} entry={}", s.name, s.description, s.file, s.repo, s.entry));
  line(fmt::format("root={}/{} {}", s.root.ns, s.root.name, format_duration(s.root.interval)));
  line(fmt::format("manifests@{} {}", to_string(s.manifests_at), s.manifests));
  for (const SourceMapping& m : s.sources)
    line(fmt::format("source {} {}/{} path={} fetch={} @{}", m.kind, m.ns, m.name, m.path, to_string(m.fetch),
                     m.where.line));
  const KustomizeControllerSettings& k = s.controllers.kustomize;
  line(fmt::format("kustomize {} {} {} {} {} {} {}", k.concurrent, format_duration(k.requeue_dependency),
                   k.interval_jitter_percent, format_duration(k.health_poll_interval),
                   format_duration(k.first_reconcile_delay), format_duration(k.stage_wait_timeout),
                   format_duration(k.stage_poll_interval)));
  line(fmt::format("source {} helm {} {}", s.controllers.source.concurrent, s.controllers.helm.concurrent,
                   format_duration(s.controllers.helm.requeue_dependency)));
  line(fmt::format("build={} applyPerObject={}", to_string(s.timing.build), to_string(s.timing.apply_per_object)));
  for (const ReadyRule& r : s.timing.ready) line(fmt::format("ready {} after {}", render(r.match), to_string(r.after)));
  for (const ProvidesRule& p : s.provides) {
    std::string kinds;
    for (const std::string& k2 : p.kinds) kinds += k2 + ",";
    line(fmt::format("provides {} kinds {} @{}", render(p.by), kinds, p.where.line));
  }
  for (const Fault& f : s.faults)
    line(fmt::format("fault {} {} src={} ctl={} at={} from={} until={} count={} @{}", static_cast<int>(f.type),
                     render(f.match), f.source_kind, f.controller, format_time(f.at), format_time(f.from),
                     format_time(f.until), f.count, f.where.line));
  line(fmt::format("horizon={} seed={} runs={}", format_duration(s.horizon), s.seed, s.runs));
  std::string ready, before;
  for (const std::string& r : s.expect.ready) ready += r + ",";
  for (const auto& [a, b] : s.expect.before) before += a + "<" + b + ",";
  line(fmt::format("expect within={} ready={} before={}",
                   s.expect.all_ready_within ? format_duration(*s.expect.all_ready_within) : "-", ready, before));
  return out;
}

/// The example of product.md §2, verbatim apart from the elided manifests and a repo that exists.
constexpr std::string_view kFullExample = R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
metadata:
  name: tekton
  description: Tekton operator, then TektonConfig, then ClusterTasks
spec:
  # --- where the Flux objects come from (repo+entry, manifests, or both) ---
  repo: ./repo                 # a directory, relative to this file; default: this file's directory
  entry: clusters/production   # the path the implicit root Kustomization applies (flux bootstrap --path)
  root:                        # the implicit root Kustomization; defaults shown
    name: flux-system
    namespace: flux-system
    interval: 10m
  manifests: |                 # inline objects, applied by the root as if they were in the entry path
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
  sources:                     # which local directory backs which Flux source; default: every source
    - kind: GitRepository      #   named like the root's source maps to `repo`
      name: flux-system
      namespace: flux-system
      path: .                  # relative to repo
      fetch: 0s                # time until the first artifact exists (duration or distribution)

  # --- the controllers (kustomize-controller flags; defaults are Flux's) ---
  controllers:
    kustomize:
      concurrent: 4
      requeueDependency: 30s
      intervalJitterPercent: 5
      healthPollInterval: 5s
      firstReconcileDelay: 750ms   # a new object's first pass waits for the finalizer requeue
      stageWaitTimeout: 60s        # CRD/Namespace and *Class stage waits
    source:
      concurrent: 2
    helm:
      concurrent: 4

  # --- how long things take: a duration or a distribution; first matching rule wins ---
  timing:
    build: 1s                  # per Kustomization pass (fetch + kustomize build + dry-run)
    applyPerObject: 20ms
    ready:                     # from apply until kstatus says Current
      - match: {kind: Deployment}
        after: uniform(20s, 60s)
      - match: {kind: TektonConfig, name: config}
        after: 2m
      - match: {kind: HelmRelease}
        after: lognormal(45s, 0.3)     # median, sigma

  # --- operators that register kinds at run time (the Tekton problem) ---
  provides:
    - by: {kind: TektonConfig, name: config}
      kinds: [tekton.dev/ClusterTask, tekton.dev/Task, triggers.tekton.dev/*]

  # --- injected failures ---
  faults:
    - match: {kind: Deployment, namespace: database, name: postgres}
      readyAt: 12m             # not Current before 12m of simulated time
    - match: {kind: Certificate, name: wildcard}
      neverReady: true         # InProgress for ever
    - match: {kind: Deployment, name: grafana}
      failedAt: 5m             # kstatus Failed (Stalled / ProgressDeadlineExceeded) from 5m on
    - kustomization: {name: monitoring-alerts}
      failApplies: 3           # its first three apply attempts fail
    - source: {name: flux-system}
      unavailable: {from: 0s, until: 3m}
    - controller: kustomize
      restartAt: 4m            # passes in flight are lost; everything is listed and enqueued again

  horizon: 6h                  # stop simulating here
  seed: 1
  runs: 1                      # > 1: Monte Carlo, report percentiles

  expect:                      # any miss -> exit 1, listed in the report
    allReadyWithin: 15m
    ready: [tekton-tasks]
    before: [[tekton-base, tekton-tasks]]   # a ready before b starts applying
)yaml";

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Fields and defaults

TEST_CASE("the shortest scenario takes every other value from Flux's defaults") {
  ScenarioLoad l = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec: {repo: ., entry: clusters/production}\n",
                         {}, "shortest.yaml");
  REQUIRE_CLEAN(l);
  const Scenario& s = l.scenario;
  CHECK(s.name == "shortest");
  CHECK(s.description.empty());
  CHECK(s.file == path_in_fixture("shortest.yaml"));
  CHECK(s.repo == fixture().dir.string());
  CHECK(s.entry == "clusters/production");
  CHECK(s.root.name == "flux-system");
  CHECK(s.root.ns == "flux-system");
  CHECK(s.root.interval == 10min);
  CHECK(s.manifests.empty());
  CHECK_FALSE(s.manifests_at.known());
  CHECK(s.sources.empty());
  CHECK(s.controllers.kustomize.concurrent == 4);
  CHECK(s.controllers.kustomize.requeue_dependency == 30s);
  CHECK(s.controllers.kustomize.interval_jitter_percent == 5);
  CHECK(s.controllers.kustomize.health_poll_interval == 5s);
  CHECK(s.controllers.kustomize.first_reconcile_delay == 750ms);
  CHECK(s.controllers.kustomize.stage_wait_timeout == 60s);
  CHECK(s.controllers.kustomize.stage_poll_interval == 2s);
  CHECK(s.controllers.source.concurrent == 2);
  CHECK(s.controllers.helm.concurrent == 4);
  CHECK(s.controllers.helm.requeue_dependency == 30s);
  CHECK(s.timing.build == Distribution::fixed(1s));
  CHECK(s.timing.apply_per_object == Distribution::fixed(20ms));
  CHECK(s.timing.ready.empty());
  CHECK(s.provides.empty());
  CHECK(s.faults.empty());
  CHECK(s.horizon == 6h);
  CHECK(s.seed == 1);
  CHECK(s.runs == 1);
  CHECK(s.expect.empty());
}

TEST_CASE("a scenario with an empty spec or none at all means this directory, entry discovered") {
  for (std::string_view text : {"apiVersion: fluxsim/v1alpha1\nkind: Scenario\n",
                                "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec: {}\n",
                                "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n"}) {
    ScenarioLoad l = parse(text);
    REQUIRE_CLEAN(l);
    CHECK(l.scenario.repo == fixture().dir.string());
    CHECK(l.scenario.entry.empty());
  }
}

TEST_CASE("the example of the product contract reads back field by field") {
  ScenarioLoad l = parse(kFullExample);
  REQUIRE_CLEAN(l);
  const Scenario& s = l.scenario;
  CHECK(s.name == "tekton");
  CHECK(s.description == "Tekton operator, then TektonConfig, then ClusterTasks");
  CHECK(s.repo == (fixture().dir / "repo").string());
  CHECK(s.entry == "clusters/production");
  CHECK(s.manifests == "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n");

  REQUIRE(s.sources.size() == 1);
  CHECK(s.sources[0].kind == "GitRepository");
  CHECK(s.sources[0].name == "flux-system");
  CHECK(s.sources[0].ns == "flux-system");
  CHECK(s.sources[0].path == ".");
  CHECK(s.sources[0].fetch == Distribution::fixed(0ms));
  CHECK(s.sources[0].where.line == 19);

  REQUIRE(s.timing.ready.size() == 3);
  CHECK(s.timing.ready[0].match.kind == "Deployment");
  CHECK(s.timing.ready[0].after.kind == Distribution::Kind::Uniform);
  CHECK(s.timing.ready[0].after.a == 20s);
  CHECK(s.timing.ready[0].after.b == 60s);
  CHECK(s.timing.ready[1].match.kind == "TektonConfig");
  CHECK(s.timing.ready[1].match.name == "config");
  CHECK(s.timing.ready[1].match.where == SourceLocation{path_in_fixture("s.yaml"), 46, 16});
  CHECK(s.timing.ready[1].after == Distribution::fixed(2min));
  CHECK(s.timing.ready[2].after.kind == Distribution::Kind::LogNormal);
  CHECK(s.timing.ready[2].after.sigma == doctest::Approx(0.3));

  REQUIRE(s.provides.size() == 1);
  CHECK(s.provides[0].by.kind == "TektonConfig");
  CHECK(s.provides[0].by.name == "config");
  CHECK(s.provides[0].kinds == std::vector<std::string>{"tekton.dev/ClusterTask", "tekton.dev/Task", "triggers.tekton.dev/*"});
  CHECK(s.provides[0].where.line == 53);

  REQUIRE(s.faults.size() == 6);
  CHECK(s.faults[0].type == Fault::Type::ReadyAt);
  CHECK(s.faults[0].match.kind == "Deployment");
  CHECK(s.faults[0].match.ns == "database");
  CHECK(s.faults[0].match.name == "postgres");
  CHECK(s.faults[0].at == at_ms(12 * 60'000));
  CHECK(s.faults[0].where.line == 58);
  CHECK(s.faults[1].type == Fault::Type::NeverReady);
  CHECK(s.faults[1].match.name == "wildcard");
  CHECK(s.faults[2].type == Fault::Type::FailedAt);
  CHECK(s.faults[2].at == at_ms(5 * 60'000));
  CHECK(s.faults[3].type == Fault::Type::FailApplies);
  CHECK(s.faults[3].count == 3);
  CHECK(s.faults[3].match.kind == "Kustomization");
  CHECK(s.faults[3].match.group == kKustomizeGroup);
  CHECK(s.faults[3].match.name == "monitoring-alerts");
  CHECK(s.faults[3].match.ns.empty());
  CHECK(s.faults[4].type == Fault::Type::SourceUnavailable);
  CHECK(s.faults[4].source_kind == "GitRepository");
  CHECK(s.faults[4].match.kind == "GitRepository");
  CHECK(s.faults[4].match.group == kSourceGroup);
  CHECK(s.faults[4].match.name == "flux-system");
  CHECK(s.faults[4].from == at_ms(0));
  CHECK(s.faults[4].until == at_ms(3 * 60'000));
  CHECK(s.faults[5].type == Fault::Type::ControllerRestart);
  CHECK(s.faults[5].controller == "kustomize");
  CHECK(s.faults[5].at == at_ms(4 * 60'000));

  CHECK(s.horizon == 6h);
  CHECK(s.seed == 1);
  CHECK(s.runs == 1);
  REQUIRE(s.expect.all_ready_within);
  CHECK(*s.expect.all_ready_within == 15min);
  CHECK(s.expect.ready == std::vector<std::string>{"tekton-tasks"});
  REQUIRE(s.expect.before.size() == 1);
  CHECK(s.expect.before[0] == std::pair<std::string, std::string>{"tekton-base", "tekton-tasks"});
  CHECK(s.expect.where.line == 76);
}

TEST_CASE("every setting differs from its default when the scenario says so") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
metadata: {name: custom}
spec:
  repo: repo
  entry: ./clusters/production/
  root: {name: root, namespace: flux, interval: 1h}
  sources:
    - {kind: OCIRepository, name: apps, namespace: apps-ns, path: ./apps, fetch: exponential(10s)}
    - {name: flux-system}
  controllers:
    kustomize: {concurrent: 8, requeueDependency: 10s, intervalJitterPercent: 0, healthPollInterval: 2s,
                firstReconcileDelay: 0s, stageWaitTimeout: 2m}
    source: {concurrent: 1}
    helm: {concurrent: 16, requeueDependency: 15s}
  timing: {build: "normal(2s, 500ms)", applyPerObject: 5ms}
  horizon: 90m
  seed: 18446744073709551615
  runs: 500
)yaml");
  REQUIRE_CLEAN(l);
  const Scenario& s = l.scenario;
  CHECK(s.entry == "clusters/production");
  CHECK(s.root.name == "root");
  CHECK(s.root.ns == "flux");
  CHECK(s.root.interval == 1h);
  REQUIRE(s.sources.size() == 2);
  CHECK(s.sources[0].kind == "OCIRepository");
  CHECK(s.sources[0].ns == "apps-ns");
  CHECK(s.sources[0].path == "apps");
  CHECK(s.sources[0].fetch.kind == Distribution::Kind::Exponential);
  CHECK(s.sources[1].kind == "GitRepository");
  CHECK(s.sources[1].ns == "flux-system");
  CHECK(s.sources[1].path == ".");
  CHECK(s.sources[1].fetch == Distribution::fixed(0ms));
  const KustomizeControllerSettings& k = s.controllers.kustomize;
  CHECK(k.concurrent == 8);
  CHECK(k.requeue_dependency == 10s);
  CHECK(k.interval_jitter_percent == 0);
  CHECK(k.health_poll_interval == 2s);
  CHECK(k.first_reconcile_delay == 0ms);
  CHECK(k.stage_wait_timeout == 2min);
  CHECK(k.stage_poll_interval == 2s);  // not a key: kustomize-controller has no flag for it
  CHECK(s.controllers.source.concurrent == 1);
  CHECK(s.controllers.helm.concurrent == 16);
  CHECK(s.controllers.helm.requeue_dependency == 15s);
  CHECK(s.timing.build.kind == Distribution::Kind::Normal);
  CHECK(s.timing.build.a == 2s);
  CHECK(s.timing.build.b == 500ms);
  CHECK(s.timing.apply_per_object == Distribution::fixed(5ms));
  CHECK(s.horizon == 90min);
  CHECK(s.seed == 18446744073709551615ull);
  CHECK(s.runs == 500);
}

TEST_CASE("the scenario name defaults to the file name, or the directory of a NAME/scenario.yaml") {
  ScenarioLoad a = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\n", {}, "slow-postgres.yaml");
  REQUIRE_CLEAN(a);
  CHECK(a.scenario.name == "slow-postgres");
  ScenarioLoad b = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\n", {}, "tekton/scenario.yaml");
  REQUIRE_CLEAN(b);
  CHECK(b.scenario.name == "tekton");
  CHECK(b.scenario.repo == (fixture().dir / "tekton").string());
}

TEST_CASE("null values mean the default, as in Kubernetes") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  entry:
  timing:
  faults:
  controllers:
    kustomize:
      concurrent: ~
)yaml");
  REQUIRE_CLEAN(l);
  CHECK(l.scenario.entry.empty());
  CHECK(l.scenario.controllers.kustomize.concurrent == 4);
}

TEST_CASE("manifests keep their text and where their first line is, so later lines map back") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  manifests: |
      apiVersion: v1
      kind: Namespace
      metadata: {name: apps}
)yaml");
  REQUIRE_CLEAN(l);
  CHECK(l.scenario.manifests == "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n");
  CHECK(l.scenario.manifests_at == SourceLocation{path_in_fixture("s.yaml"), 5, 7});

  SUBCASE("leading blank lines are part of the text, so the first line is still the one after the `|`") {
    ScenarioLoad m = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  manifests: |-\n\n    kind: A\n");
    REQUIRE_CLEAN(m);
    CHECK(m.scenario.manifests == "\nkind: A");
    CHECK(m.scenario.manifests_at == SourceLocation{path_in_fixture("s.yaml"), 5, 5});
  }
  SUBCASE("a quoted string starts where its value starts") {
    ScenarioLoad m = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  manifests: \"kind: A\"\n");
    REQUIRE_CLEAN(m);
    CHECK(m.scenario.manifests_at == SourceLocation{path_in_fixture("s.yaml"), 4, 14});
  }
}

TEST_CASE("repo is resolved against the scenario file's directory") {
  ScenarioLoad l = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec: {repo: ./repo/../repo/}\n");
  REQUIRE_CLEAN(l);
  CHECK(l.scenario.repo == (fixture().dir / "repo").string());

  ScenarioLoad abs = parse_scenario(
      fmt::format("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec: {{repo: {}}}\n", (fixture().dir / "repo").string()),
      "/elsewhere/s.yaml");
  REQUIRE_CLEAN(abs);
  CHECK(abs.scenario.repo == (fixture().dir / "repo").string());
}

TEST_CASE("the same file gives the same scenario") {
  ScenarioLoad a = parse(kFullExample);
  ScenarioLoad b = parse(kFullExample);
  REQUIRE_CLEAN(a);
  CHECK(render(a.scenario) == render(b.scenario));
  // and the rendering is not vacuous
  CHECK(render(a.scenario) != render(parse(kFullExample, {{"seed", "2"}}).scenario));
}

// ---------------------------------------------------------------------------------------------------
// apiVersion and kind

TEST_CASE("apiVersion and kind are both required") {
  ScenarioLoad l = parse("spec: {repo: ., entry: clusters/production}\n");
  CHECK_REPORTED(l, "s.yaml:1:1: error: not a fluxsim scenario: missing apiVersion and kind (a scenario starts with "
                    "'apiVersion: fluxsim/v1alpha1' and 'kind: Scenario')");
  CHECK(l.diagnostics.size() == 1);

  ScenarioLoad no_api = parse("kind: Scenario\nspec: {}\n");
  CHECK_REPORTED(no_api, "s.yaml:1:1: error: missing apiVersion: a scenario starts with 'apiVersion: fluxsim/v1alpha1'");
  ScenarioLoad no_kind = parse("apiVersion: fluxsim/v1alpha1\nspec: {}\n");
  CHECK_REPORTED(no_kind, "s.yaml:1:1: error: missing kind: a scenario has 'kind: Scenario'");
}

TEST_CASE("a wrong apiVersion or kind is named, and nothing else is reported") {
  ScenarioLoad l = parse("apiVersion: fluxsim/v1\nkind: Scenario\nspec: {concurent: 3}\n");
  CHECK(messages(l) == std::vector<std::string>{
                           "s.yaml:1:13: error: apiVersion 'fluxsim/v1' is not supported: expected 'fluxsim/v1alpha1'"});

  ScenarioLoad k = parse(R"yaml(apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps}
spec: {interval: 10m, path: ./apps}
)yaml");
  CHECK_REPORTED(k, "s.yaml:2:7: error: kind 'Kustomization' is not a Scenario: expected 'kind: Scenario' (hint: this is "
                    "a Kubernetes manifest; to simulate a repository, pass its directory instead)");
  CHECK(k.diagnostics.size() == 2);
}

// ---------------------------------------------------------------------------------------------------
// Bad input: one clear error naming the file (and line)

TEST_CASE("an empty file is one error naming the file") {
  for (std::string_view text : {"", "\n\n", "# only a comment\n", "---\n"}) {
    ScenarioLoad l = parse(text);
    CHECK(messages(l) == std::vector<std::string>{"s.yaml: error: the scenario file is empty (a scenario starts with "
                                                  "'apiVersion: fluxsim/v1alpha1' and 'kind: Scenario')"});
  }
}

TEST_CASE("a YAML syntax error is one error at the line the parser stopped, in libyaml's (and Go's) words") {
  ScenarioLoad l = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  repo: .\n   entry: x\n");
  CHECK(messages(l) ==
        std::vector<std::string>{"s.yaml:5:9: error: invalid YAML: mapping values are not allowed in this context"});
  ScenarioLoad flow = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec: {repo: .\n");
  REQUIRE(flow.diagnostics.size() == 1);
  CHECK(messages(flow)[0].starts_with("s.yaml:4:1: error: invalid YAML: "));
}

TEST_CASE("a missing file, a directory and an unreadable shape are one error each") {
  ScenarioLoad missing = load_scenario(path_in_fixture("no-such.yaml"));
  CHECK(messages(missing) == std::vector<std::string>{"no-such.yaml: error: cannot read the scenario file: it does not exist"});
  ScenarioLoad dir = load_scenario(path_in_fixture("repo"));
  REQUIRE(dir.diagnostics.size() == 1);
  CHECK(messages(dir)[0].starts_with("repo: error: this is a directory, not a scenario file"));
  ScenarioLoad list = parse("- apiVersion: fluxsim/v1alpha1\n");
  CHECK(messages(list) == std::vector<std::string>{
                              "s.yaml:1:1: error: a scenario is a mapping with apiVersion, kind, metadata and spec; got a list"});
  ScenarioLoad two = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\n---\nkind: Scenario\n");
  CHECK(messages(two) == std::vector<std::string>{
                             "s.yaml:4:1: error: a scenario file holds one YAML document; found a second one here"});
}

TEST_CASE("a scenario file on disk loads like the same text in memory") {
  std::string file = path_in_fixture("on-disk.yaml");
  std::ofstream(file) << kFullExample;
  ScenarioLoad disk = load_scenario(file);
  REQUIRE_CLEAN(disk);
  ScenarioLoad mem = parse(kFullExample, {}, "on-disk.yaml");
  CHECK(render(disk.scenario) == render(mem.scenario));
}

TEST_CASE("alias bombs and deep nesting are refused, not expanded") {
  std::string bomb = "apiVersion: fluxsim/v1alpha1\nkind: Scenario\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 7; ++i)
    bomb += fmt::format("a{0}: &a{0} [*a{1}, *a{1}, *a{1}, *a{1}, *a{1}, *a{1}, *a{1}, *a{1}, *a{1}, *a{1}]\n", i, i - 1);
  ScenarioLoad l = parse(bomb);
  REQUIRE(l.diagnostics.size() == 1);
  // The repository loader's limits (one set for every YAML file), named at the alias that crossed it.
  CHECK(messages(l)[0].starts_with("s.yaml:8:"));  // a5: its second *a4 passes 250,000 copied nodes
  CHECK(messages(l)[0].find("error: invalid YAML: aliases expand to more than 250000 nodes (alias bomb?)") !=
        std::string::npos);

  std::string deep = "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec: " + std::string(3000, '[') +
                     std::string(3000, ']') + "\n";
  ScenarioLoad d = parse(deep);
  REQUIRE(d.diagnostics.size() == 1);
  CHECK(messages(d)[0].find("error: invalid YAML: nested more than") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------------
// Unknown fields, types and ranges: file:line:col, all collected

TEST_CASE("an unknown field is an error at its line, with the closest known name") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
metdata: {name: x}
spec:
  controllers:
    kustomize:
      concurent: 8
  timing:
    ready:
      - match: {kind: Deployment, nmae: api}
        after: 1s
  faults:
    - match: {kind: Deployment}
      readyat: 1m
  expect: {allReady: 1m}
  frobnicate: true
)yaml");
  CHECK(messages(l) == std::vector<std::string>{
                           "s.yaml:3:1: error: unknown field 'metdata' at the top level (did you mean 'metadata'?)",
                           "s.yaml:7:7: error: unknown field 'concurent' in controllers.kustomize (did you mean "
                           "'concurrent'?)",
                           "s.yaml:10:35: error: unknown field 'nmae' in timing.ready[0].match (did you mean 'name'?)",
                           "s.yaml:13:7: error: faults[0]: no action: give one of readyAt, neverReady, failedAt, "
                           "failApplies, unavailable or restartAt",
                           "s.yaml:14:7: error: unknown field 'readyat' in faults[0] (did you mean 'readyAt'?)",
                           "s.yaml:15:12: error: unknown field 'allReady' in expect (did you mean 'allReadyWithin'?)",
                           "s.yaml:16:3: error: unknown field 'frobnicate' in spec",
                       });
}

TEST_CASE("the stage poll interval is not a scenario key: kustomize-controller has no flag for it") {
  ScenarioLoad l = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  controllers:\n    kustomize:\n"
                         "      stagePollInterval: 1s\n");
  CHECK(messages(l) ==
        std::vector<std::string>{"s.yaml:6:7: error: unknown field 'stagePollInterval' in controllers.kustomize"});
}

TEST_CASE("a file with Windows line endings reads like any other") {
  ScenarioLoad l = parse("apiVersion: fluxsim/v1alpha1\r\nkind: Scenario\r\nspec:\r\n  seed: 3\r\n"
                         "  manifests: |\r\n    kind: A\r\n  runss: 2\r\n");
  CHECK(messages(l) == std::vector<std::string>{"s.yaml:7:3: error: unknown field 'runss' in spec (did you mean "
                                                "'runs'?)"});
  CHECK(l.scenario.seed == 3);
  CHECK(l.scenario.manifests == "kind: A\n");
  CHECK(l.scenario.manifests_at == SourceLocation{path_in_fixture("s.yaml"), 6, 5});
}

TEST_CASE("a field written twice is an error at the second") {
  ScenarioLoad l = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  seed: 1\n  seed: 2\n");
  CHECK(messages(l) == std::vector<std::string>{"s.yaml:5:3: error: duplicate field 'seed' in spec (first at line 4)"});
}

TEST_CASE("wrong types are errors at the value") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
metadata: [tekton]
spec:
  repo: {path: .}
  controllers:
    kustomize: {concurrent: four}
    source: {concurrent: "2"}
  timing: [build]
  sources: {name: flux-system}
  faults:
    - match: {kind: Deployment}
      neverReady: yes
  seed: abc
  runs: 1.5
  expect: {ready: tekton}
)yaml");
  CHECK(messages(l) == std::vector<std::string>{
                           "s.yaml:3:11: error: metadata: expected a mapping, got a list",
                           "s.yaml:5:9: error: repo: expected a string, got a mapping",
                           "s.yaml:7:29: error: controllers.kustomize.concurrent: expected an integer, got \"four\"",
                           "s.yaml:8:26: error: controllers.source.concurrent: expected an integer, got \"2\"",
                           "s.yaml:9:11: error: timing: expected a mapping, got a list",
                           "s.yaml:10:12: error: sources: expected a list, got a mapping",
                           "s.yaml:13:19: error: faults[0].neverReady: expected true or false, got \"yes\"",
                           "s.yaml:14:9: error: seed: expected a non-negative integer, got \"abc\"",
                           "s.yaml:15:9: error: runs: expected an integer, got \"1.5\"",
                           "s.yaml:16:19: error: expect.ready: expected a list, got \"tekton\"",
                       });
}

TEST_CASE("counts out of range are errors: concurrent, runs, jitter, failApplies, seed") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  controllers:
    kustomize: {concurrent: 0, intervalJitterPercent: 100}
    source: {concurrent: -2}
    helm: {concurrent: 0}
  faults:
    - kustomization: {name: apps}
      failApplies: 0
  seed: -1
  runs: 0
)yaml");
  CHECK(messages(l) == std::vector<std::string>{
                           "s.yaml:5:29: error: controllers.kustomize.concurrent must be between 1 and 10000, got 0",
                           "s.yaml:5:55: error: controllers.kustomize.intervalJitterPercent must be between 0 and 99, got 100",
                           "s.yaml:6:26: error: controllers.source.concurrent must be between 1 and 10000, got -2",
                           "s.yaml:7:24: error: controllers.helm.concurrent must be between 1 and 10000, got 0",
                           "s.yaml:10:20: error: faults[0].failApplies must be at least 1, got 0",
                           "s.yaml:11:9: error: seed: expected a non-negative integer, got \"-1\"",
                           "s.yaml:12:9: error: runs must be between 1 and 1000000, got 0",
                       });
  ScenarioLoad big = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec: {seed: 18446744073709551616}\n");
  CHECK(messages(big) == std::vector<std::string>{
                             "s.yaml:3:14: error: seed: 18446744073709551616 is out of range (at most 18446744073709551615)"});
}

TEST_CASE("invalid durations and distributions carry the parser's message and the line") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  root: {interval: 0s}
  controllers:
    kustomize: {requeueDependency: 30, healthPollInterval: -5s, firstReconcileDelay: 1x, stageWaitTimeout: [1m]}
    helm: {requeueDependency: "uniform(1s, 2s)"}
  timing:
    build: uniform(60s, 20s)
    applyPerObject: gamma(1s)
    ready:
      - match: {kind: Job}
        after: 5
  sources:
    - {name: flux-system, fetch: -1s}
  horizon: 0s
  expect: {allReadyWithin: soon}
)yaml");
  CHECK(messages(l) ==
        std::vector<std::string>{
            "s.yaml:4:20: error: root.interval must be greater than zero, got 0s",
            "s.yaml:6:36: error: controllers.kustomize.requeueDependency: invalid duration \"30\": missing unit (one of "
            "ns, us, ms, s, m, h)",
            "s.yaml:6:60: error: controllers.kustomize.healthPollInterval must be greater than zero, got -5s",
            "s.yaml:6:86: error: controllers.kustomize.firstReconcileDelay: invalid duration \"1x\": unknown unit \"x\" "
            "(one of ns, us, ms, s, m, h)",
            "s.yaml:6:108: error: controllers.kustomize.stageWaitTimeout: expected a duration such as 30s or 1m30s, got "
            "a list",
            "s.yaml:7:31: error: controllers.helm.requeueDependency takes a fixed duration, not a distribution (got "
            "\"uniform(1s, 2s)\")",
            "s.yaml:9:12: error: timing.build: invalid duration or distribution \"uniform(60s, 20s)\": uniform(a, b) "
            "needs a <= b",
            "s.yaml:10:21: error: timing.applyPerObject: invalid duration or distribution \"gamma(1s)\": unknown "
            "distribution \"gamma\" (uniform, normal, lognormal, exponential)",
            "s.yaml:13:16: error: timing.ready[0].after: invalid duration \"5\": missing unit (one of ns, us, ms, s, m, h)",
            "s.yaml:15:34: error: sources[0].fetch: invalid duration or distribution \"-1s\": must not be negative",
            "s.yaml:16:12: error: horizon must be greater than zero, got 0s",
            "s.yaml:17:28: error: expect.allReadyWithin: invalid duration \"soon\": expected a number",
        });
}

TEST_CASE("every error in a file is reported in one pass, in file order") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  runs: 0
  controllers: {kustomize: {concurrent: 0}}
  horizon: 1
  seed: x
)yaml");
  REQUIRE(l.diagnostics.size() == 4);
  std::vector<int> lines;
  for (const Diagnostic& d : l.diagnostics) lines.push_back(d.where.line);
  CHECK(lines == std::vector<int>{4, 5, 6, 7});
}

// ---------------------------------------------------------------------------------------------------
// repo, entry, sources: the filesystem

TEST_CASE("a repo that does not exist or is not a directory is an error at the repo line") {
  ScenarioLoad missing = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  repo: ./nope\n");
  CHECK(messages(missing) == std::vector<std::string>{"s.yaml:4:9: error: repo: directory 'nope' does not exist"});
  ScenarioLoad file = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  repo: a-file\n");
  CHECK(messages(file) == std::vector<std::string>{"s.yaml:4:9: error: repo: 'a-file' is not a directory"});
  ScenarioLoad elsewhere = parse_scenario("apiVersion: fluxsim/v1alpha1\nkind: Scenario\n", "/no/such/dir/s.yaml");
  CHECK(messages(elsewhere) == std::vector<std::string>{
                                   "/no/such/dir/s.yaml: error: repository directory '/no/such/dir' does not exist"});
}

TEST_CASE("entry and source paths must be directories inside the repository") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  repo: repo
  entry: clusters/staging
  sources:
    - {name: a, path: apps}
    - {name: b, path: infra}
    - {name: c, path: ../outside}
)yaml");
  CHECK(messages(l) == std::vector<std::string>{
                           "s.yaml:5:10: error: entry: 'clusters/staging' is not a directory in repository 'repo'",
                           "s.yaml:8:23: error: sources[1].path: 'infra' is not a directory in repository 'repo'",
                           "s.yaml:9:23: error: sources[2].path: \"../outside\" must be a directory inside the repository "
                           "(relative, without leading ..)",
                       });
  ScenarioLoad up = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec: {entry: /etc}\n");
  CHECK(messages(up) == std::vector<std::string>{"s.yaml:3:15: error: entry \"/etc\" must be a path inside the "
                                                 "repository (relative, without leading ..)"});
}

TEST_CASE("sources name a Flux source kind once each") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  sources:
    - {kind: GitRepo, name: a}
    - {name: b}
    - {name: b, namespace: flux-system}
    - {path: .}
)yaml");
  CHECK(messages(l) == std::vector<std::string>{
                           "s.yaml:5:14: error: sources[0].kind: 'GitRepo' is not a Flux source kind (one of "
                           "GitRepository, OCIRepository, Bucket, HelmRepository, ExternalArtifact or HelmChart)",
                           "s.yaml:7:7: error: sources[2]: GitRepository flux-system/b is already mapped at line 6",
                           "s.yaml:8:7: error: sources[3]: missing required field 'name'",
                       });
}

// ---------------------------------------------------------------------------------------------------
// match, provides, faults, expect

TEST_CASE("match takes kind (optionally group/Kind), namespace, name and kustomization") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  timing:
    ready:
      - match: {kind: tekton.dev/ClusterTask, namespace: "tekton-*", name: "git-*", kustomization: tekton-tasks}
        after: 1s
      - match: {kind: "*"}
        after: 2s
)yaml");
  REQUIRE_CLEAN(l);
  REQUIRE(l.scenario.timing.ready.size() == 2);
  const Match& m = l.scenario.timing.ready[0].match;
  CHECK(m.group == "tekton.dev");
  CHECK(m.kind == "ClusterTask");
  CHECK(m.ns == "tekton-*");
  CHECK(m.name == "git-*");
  CHECK(m.kustomization == "tekton-tasks");
  CHECK(m.where == SourceLocation{path_in_fixture("s.yaml"), 6, 16});
  CHECK(l.scenario.timing.ready[1].match.kind == "*");
  CHECK(l.scenario.timing.ready[1].match.group.empty());
}

TEST_CASE("a match that selects nothing or misnames a kind is an error") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  timing:
    ready:
      - {match: {}, after: 1s}
      - {match: {kind: apps/v1/Deployment}, after: 1s}
      - {match: {kind: v1/Service}, after: 1s}
      - {match: {kind: Deployment, name: ""}, after: 1s}
      - {after: 1s}
)yaml");
  CHECK(messages(l) ==
        std::vector<std::string>{
            "s.yaml:6:17: error: timing.ready[0].match selects nothing: give kind, namespace, name or kustomization "
            "(kind: \"*\" matches every object)",
            "s.yaml:7:24: error: timing.ready[1].match.kind: \"apps/v1/Deployment\" is not a kind (write Kind or "
            "group/Kind)",
            "s.yaml:8:24: error: timing.ready[2].match.kind: \"v1/Service\" names an API version, not a group (write "
            "Service or group/Service)",
            "s.yaml:9:42: error: timing.ready[3].match.name must not be empty",
            "s.yaml:10:9: error: timing.ready[4]: missing required field 'match'",
        });
}

TEST_CASE("provides names group/Kind, group/* or Kind patterns") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  provides:
    - by: {kind: TektonConfig, name: config}
      kinds: [tekton.dev/ClusterTask, triggers.tekton.dev/*, Widget]
    - by: {kind: Operator}
      kinds: ["*", v1/Foo, tekton.dev/Bad-Kind]
    - by: {kind: Operator}
      kinds: []
    - kinds: [a.io/B]
)yaml");
  CHECK(messages(l) ==
        std::vector<std::string>{
            "s.yaml:8:15: error: provides[1].kinds[0]: \"*\": '*' alone would provide every kind (write group/Kind, "
            "group/* or Kind)",
            "s.yaml:8:20: error: provides[1].kinds[1]: \"v1/Foo\": 'v1' is an API version, not a group (write "
            "group/Kind, group/* or Kind)",
            "s.yaml:8:28: error: provides[1].kinds[2]: \"tekton.dev/Bad-Kind\": 'Bad-Kind' is not a kind (write "
            "group/Kind, group/* or Kind)",
            "s.yaml:10:14: error: provides[2].kinds is empty: list the kinds the operator registers",
            "s.yaml:11:7: error: provides[3]: missing required field 'by'",
        });
  REQUIRE(l.scenario.provides.size() == 1);
  CHECK(l.scenario.provides[0].kinds == std::vector<std::string>{"tekton.dev/ClusterTask", "triggers.tekton.dev/*", "Widget"});
}

TEST_CASE("each fault form decodes to its type, target and time") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  faults:
    - {match: {kind: Deployment, name: postgres}, readyAt: 12m}
    - {match: {kind: Certificate}, neverReady: true}
    - {match: {name: grafana}, failedAt: 5m30s}
    - {kustomization: {name: alerts, namespace: monitoring}, failApplies: 2}
    - {source: {kind: OCIRepository, name: apps, namespace: flux-system}, unavailable: {until: 90s}}
    - {controller: helm, restartAt: 0s}
    - {controller: source, restartAt: 1h}
)yaml");
  REQUIRE_CLEAN(l);
  const std::vector<Fault>& f = l.scenario.faults;
  REQUIRE(f.size() == 7);
  CHECK(f[0].type == Fault::Type::ReadyAt);
  CHECK(f[0].at == at_ms(720'000));
  CHECK(f[1].type == Fault::Type::NeverReady);
  CHECK(f[1].match.kind == "Certificate");
  CHECK(f[2].type == Fault::Type::FailedAt);
  CHECK(f[2].at == at_ms(330'000));
  CHECK(f[3].type == Fault::Type::FailApplies);
  CHECK(f[3].match.ns == "monitoring");
  CHECK(f[3].count == 2);
  CHECK(f[4].type == Fault::Type::SourceUnavailable);
  CHECK(f[4].source_kind == "OCIRepository");
  CHECK(f[4].match.kind == "OCIRepository");
  CHECK(f[4].match.ns == "flux-system");
  CHECK(f[4].from == at_ms(0));  // from defaults to the start of the run
  CHECK(f[4].until == at_ms(90'000));
  CHECK(f[5].type == Fault::Type::ControllerRestart);
  CHECK(f[5].controller == "helm");
  CHECK(f[5].at == at_ms(0));
  CHECK(f[6].controller == "source");
  CHECK(f[6].where == SourceLocation{path_in_fixture("s.yaml"), 11, 7});
}

TEST_CASE("a fault takes exactly one action with its own target") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  faults:
    - match: {kind: Deployment}
    - match: {kind: Deployment}
      readyAt: 1m
      neverReady: true
    - kustomization: {name: apps}
      readyAt: 1m
    - failApplies: 2
    - match: {kind: Deployment}
      neverReady: false
    - match: {kind: Deployment}
      readyAt: uniform(1m, 2m)
    - source: {name: flux-system}
      unavailable: {from: 3m, until: 1m}
    - source: {name: flux-system}
      unavailable: {from: 1m}
    - controller: flux
      restartAt: 1m
    - controller: kustomize
      restartAt:
    -
)yaml");
  CHECK(messages(l) ==
        std::vector<std::string>{
            "s.yaml:5:7: error: faults[0]: no action: give one of readyAt, neverReady, failedAt, failApplies, "
            "unavailable or restartAt",
            "s.yaml:6:7: error: faults[1]: several actions (readyAt, neverReady): a fault takes exactly one; write one "
            "fault per action",
            "s.yaml:9:7: error: faults[2]: 'kustomization' does not go with readyAt (readyAt takes 'match')",
            "s.yaml:9:7: error: faults[2]: readyAt needs 'match': the objects it delays",
            "s.yaml:11:7: error: faults[3]: failApplies needs 'kustomization': {name, namespace} of the Kustomization "
            "whose applies fail",
            "s.yaml:13:19: error: faults[4]: neverReady: false injects nothing; remove the fault",
            "s.yaml:15:16: error: faults[5].readyAt takes a fixed duration, not a distribution (got \"uniform(1m, "
            "2m)\")",
            "s.yaml:17:38: error: faults[6].unavailable: until (1m) must be after from (3m)",
            "s.yaml:19:20: error: faults[7].unavailable: missing required field 'until'",
            "s.yaml:20:19: error: faults[8].controller: unknown controller 'flux' (kustomize, helm or source)",
            "s.yaml:23:7: error: faults[9]: restartAt has no value",
            "s.yaml:24:5: error: faults[10]: expected a mapping, got null",
        });
  CHECK(l.scenario.faults.empty());
}

TEST_CASE("expect names Kustomizations as name or namespace/name, and pairs for before") {
  ScenarioLoad ok = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  expect:
    allReadyWithin: 10m
    ready: [tekton-tasks, flux-system/tekton-rbac]
    before: [[tekton-base, tekton-tasks], [flux-system/a, b]]
)yaml");
  REQUIRE_CLEAN(ok);
  CHECK(ok.scenario.expect.ready == std::vector<std::string>{"tekton-tasks", "flux-system/tekton-rbac"});
  REQUIRE(ok.scenario.expect.before.size() == 2);
  CHECK(ok.scenario.expect.before[1].first == "flux-system/a");

  ScenarioLoad bad = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  expect:
    ready: [a/b/c, "", /x]
    before: [[a, a], [b], c, [d, e/]]
)yaml");
  CHECK(messages(bad) ==
        std::vector<std::string>{
            "s.yaml:5:13: error: expect.ready[0]: \"a/b/c\" is not a Kustomization name (write name or namespace/name)",
            "s.yaml:5:20: error: expect.ready[1] must not be empty",
            "s.yaml:5:24: error: expect.ready[2]: \"/x\" is not a Kustomization name (write name or namespace/name)",
            "s.yaml:6:14: error: expect.before[0]: 'a' cannot be Ready before it starts applying itself",
            "s.yaml:6:22: error: expect.before[1]: expected a pair [a, b] (a Ready before b starts applying), got a "
            "list of 1",
            "s.yaml:6:27: error: expect.before[2]: expected a pair [a, b] (a Ready before b starts applying), got \"c\"",
            "s.yaml:6:34: error: expect.before[3][1]: \"e/\" is not a Kustomization name (write name or namespace/name)",
        });
}

TEST_CASE("an expectation beyond the horizon is a warning, not an error") {
  ScenarioLoad l = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  horizon: 1h\n  expect: {allReadyWithin: 2h}\n");
  CHECK_FALSE(l.diagnostics.has_errors());
  CHECK(messages(l) == std::vector<std::string>{
                           "s.yaml:5:11: warning: expect.allReadyWithin 2h is beyond the horizon 1h: the run stops at "
                           "the horizon, so it means \"all Ready by 1h\""});
}

// ---------------------------------------------------------------------------------------------------
// --set overrides

TEST_CASE("--set overrides any field below spec before validation") {
  ScenarioLoad l = parse(kFullExample, {{"controllers.kustomize.concurrent", "8"},
                                        {"timing.build", "2s"},
                                        {"horizon", "1h"},
                                        {"seed", "7"},
                                        {"timing.ready.1.after", "uniform(1m, 3m)"},
                                        {"metadata.name", "tekton-what-if"},
                                        {"spec.runs", "20"},
                                        {"expect.ready", "[a, b]"},
                                        {"controllers.helm", "{concurrent: 2}"}});
  REQUIRE_CLEAN(l);
  const Scenario& s = l.scenario;
  CHECK(s.controllers.kustomize.concurrent == 8);
  CHECK(s.controllers.kustomize.requeue_dependency == 30s);  // its siblings are untouched
  CHECK(s.timing.build == Distribution::fixed(2s));
  CHECK(s.horizon == 1h);
  CHECK(s.seed == 7);
  CHECK(s.timing.ready[1].after.kind == Distribution::Kind::Uniform);
  CHECK(s.timing.ready[1].match.name == "config");
  CHECK(s.name == "tekton-what-if");
  CHECK(s.runs == 20);
  CHECK(s.expect.ready == std::vector<std::string>{"a", "b"});
  CHECK(s.controllers.helm.concurrent == 2);
}

TEST_CASE("--set creates the mappings on its path when the file does not have them") {
  ScenarioLoad l = parse("apiVersion: fluxsim/v1alpha1\nkind: Scenario\n",
                         {{"controllers.kustomize.concurrent", "2"}, {"entry", "clusters/production"}});
  REQUIRE_CLEAN(l);
  CHECK(l.scenario.controllers.kustomize.concurrent == 2);
  CHECK(l.scenario.entry == "clusters/production");
}

TEST_CASE("--set with an empty value restores the default") {
  ScenarioLoad l = parse(kFullExample, {{"controllers.kustomize.concurrent", ""}, {"expect", ""}});
  REQUIRE_CLEAN(l);
  CHECK(l.scenario.controllers.kustomize.concurrent == 4);
  CHECK(l.scenario.expect.empty());
}

TEST_CASE("a bad --set is an error naming the override, with the file's own validation") {
  ScenarioLoad l = parse(kFullExample, {{"controllers.kustomize.concurent", "8"},
                                        {"controllers.kustomize.concurrent", "0"},
                                        {"horizon", "forever"},
                                        {"timing.ready.9.after", "1s"},
                                        {"timing.ready.x", "1s"},
                                        {"seed.value", "1"},
                                        {"expect.ready", "[a"},
                                        {"entry", "clusters/nope"},
                                        {"controllers..concurrent", "1"},
                                        {"apiVersion", "v2"}});
  CHECK(messages(l) ==
        std::vector<std::string>{
            // in the order the overrides were given
            "--set controllers.kustomize.concurent: error: unknown field 'concurent' in controllers.kustomize (did you "
            "mean 'concurrent'?)",
            "--set controllers.kustomize.concurrent: error: controllers.kustomize.concurrent must be between 1 and "
            "10000, got 0",
            "--set horizon: error: horizon: invalid duration \"forever\": expected a number",
            "--set timing.ready.9.after: error: timing.ready has 3 entries: index 9 is out of range",
            "--set timing.ready.x: error: timing.ready is a list: index it with a number (timing.ready.0)",
            "--set seed.value: error: seed is \"1\", not a mapping: it has no field 'value'",
            "--set expect.ready: error: invalid YAML value \"[a\": did not find expected ',' or ']'",
            "--set entry: error: entry: 'clusters/nope' is not a directory in repository 'repo'",
            "--set controllers..concurrent: error: 'controllers..concurrent' is not a field path (empty segment)",
            "--set apiVersion: error: unknown field 'apiVersion' in spec",
        });
}

// ---------------------------------------------------------------------------------------------------
// Globs and selectors

TEST_CASE("glob_match: `*` matches any run of characters, everything else is literal") {
  CHECK(glob_match("", ""));
  CHECK_FALSE(glob_match("", "a"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*", "anything/at all"));
  CHECK(glob_match("postgres", "postgres"));
  CHECK_FALSE(glob_match("postgres", "postgres-0"));
  CHECK_FALSE(glob_match("Postgres", "postgres"));  // Kubernetes names and kinds are case-sensitive
  CHECK(glob_match("tekton-*", "tekton-tasks"));
  CHECK(glob_match("tekton-*", "tekton-"));
  CHECK_FALSE(glob_match("tekton-*", "tekton"));
  CHECK(glob_match("*-tasks", "tekton-tasks"));
  CHECK(glob_match("t*s", "tekton-tasks"));
  CHECK(glob_match("t*k*s", "tekton-tasks"));
  CHECK_FALSE(glob_match("t*k*x", "tekton-tasks"));
  CHECK(glob_match("a**b", "ab"));
  CHECK(glob_match("*.tekton.dev", "triggers.tekton.dev"));
  CHECK_FALSE(glob_match("*.tekton.dev", "tekton.dev"));
  CHECK(glob_match("?", "?"));  // `?` is not a wildcard
  CHECK_FALSE(glob_match("?", "a"));
  // Backtracking stays polynomial: this would take ages with naive recursion.
  std::string text(2000, 'a');
  CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*a*b", text));
}

TEST_CASE("a match selects an object when every field it sets matches") {
  ObjectRef deploy{"apps", "Deployment", "database", "postgres"};
  ObjectRef task{"tekton.dev", "ClusterTask", "", "git-clone"};
  Match any_deploy;
  any_deploy.kind = "Deployment";
  CHECK(any_deploy.matches(deploy, "databases"));
  CHECK_FALSE(any_deploy.matches(task, "tekton-tasks"));

  Match precise;
  precise.group = "apps";
  precise.kind = "Deployment";
  precise.ns = "database";
  precise.name = "postgres";
  precise.kustomization = "databases";
  CHECK(precise.matches(deploy, "databases"));
  CHECK_FALSE(precise.matches(deploy, "apps"));
  precise.group = "extensions";
  CHECK_FALSE(precise.matches(deploy, "databases"));

  Match tekton;
  tekton.group = "*.dev";
  tekton.kind = "*Task";
  CHECK(tekton.matches(task, ""));
  CHECK_FALSE(tekton.matches(deploy, ""));

  Match cluster_scoped;  // a namespace pattern never matches a cluster-scoped object, except "*"
  cluster_scoped.ns = "tekton-*";
  CHECK_FALSE(cluster_scoped.matches(task, ""));
  cluster_scoped.ns = "*";
  CHECK(cluster_scoped.matches(task, ""));

  Match empty;
  CHECK(empty.empty());
  CHECK(empty.matches(task, "x"));
  CHECK_FALSE(precise.empty());
}

// ---------------------------------------------------------------------------------------------------
// The shipped scenarios

TEST_CASE("every shipped scenario loads without a single diagnostic") {
  fs::path dir = fs::path(FLUXSIM_SOURCE_DIR) / "scenarios";
  std::vector<fs::path> files;
  if (fs::is_directory(dir))
    for (const auto& entry : fs::directory_iterator(dir))
      if (fs::is_regular_file(entry.path() / "scenario.yaml")) files.push_back(entry.path() / "scenario.yaml");
  std::sort(files.begin(), files.end());
  MESSAGE("shipped scenarios checked: ", files.size());
  for (const fs::path& file : files) {
    ScenarioLoad l = load_scenario(file.string());
    INFO(file.string(), "\n", joined(l));
    CHECK(l.diagnostics.empty());
    CHECK(l.scenario.name == file.parent_path().filename().string());
    CHECK(fs::is_directory(fs::path(l.scenario.repo) / l.scenario.entry));
  }
}

TEST_CASE("the Tekton scenarios say the operator's TektonConfig provides the Tekton kinds") {
  fs::path dir = fs::path(FLUXSIM_SOURCE_DIR) / "scenarios";
  for (const char* name : {"tekton", "tekton-flat"}) {
    fs::path file = dir / name / "scenario.yaml";
    if (!fs::exists(file)) {
      MESSAGE("skipped: ", file.string(), " is not in this checkout");
      continue;
    }
    ScenarioLoad l = load_scenario(file.string());
    REQUIRE_CLEAN(l);
    REQUIRE(l.scenario.provides.size() == 1);
    const ProvidesRule& p = l.scenario.provides[0];
    CHECK(p.by.matches(ObjectRef{"operator.tekton.dev", "TektonConfig", "", "config"}, "tekton-base"));
    CHECK(p.kinds == std::vector<std::string>{"tekton.dev/*", "triggers.tekton.dev/*"});
    CHECK(l.scenario.entry == "clusters/production");
  }
}

// ---------------------------------------------------------------------------------------------------
// A repository given directly

TEST_CASE("the scenario of a bare repository is named after its directory, with every default") {
  Scenario s = default_scenario_for_repo("some/path/my-repo");
  CHECK(s.name == "my-repo");
  CHECK(s.repo == "some/path/my-repo");
  CHECK(s.entry.empty());
  CHECK(s.file.empty());
  CHECK(s.controllers.kustomize.concurrent == 4);
  CHECK(s.horizon == 6h);
  CHECK(default_scenario_for_repo("./my-repo/").name == "my-repo");
  CHECK(default_scenario_for_repo("./my-repo/").repo == "./my-repo/");
  CHECK(default_scenario_for_repo(fixture().dir.string() + "/repo/.").name == "repo");
  // "." is named after the directory it stands for.
  CHECK(default_scenario_for_repo(".").name == fs::current_path().filename().string());
  CHECK_FALSE(default_scenario_for_repo("/").name.empty());
}

// ---------------------------------------------------------------------------------------------------
// Hostile input and the settings table (issues 13 and 15): one bound per setting, whether it is written
// in the file, in --set or (sweep_test.cc) in --sweep.

TEST_CASE("a scenario starting with a comma is one error at 1:1, not a hang") {
  CHECK(messages(parse(",")) == std::vector<std::string>{"s.yaml:1:1: error: invalid YAML: did not find expected node content"});
  CHECK(messages(parse(",a\n")) ==
        std::vector<std::string>{"s.yaml:1:1: error: invalid YAML: did not find expected node content"});
}

TEST_CASE("--set horizon=, is an error naming the setting, not ignored") {
  ScenarioLoad l = parse(kFullExample, {{"horizon", ","}});
  CHECK(messages(l) ==
        std::vector<std::string>{"--set horizon: error: invalid YAML value \",\": did not find expected node content"});
}

TEST_CASE("one bound per setting: the same value is refused in the file and in --set, with the setting's name") {
  const std::string base = "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n";
  struct Case {
    const char* path;
    const char* value;
    const char* message;
  };
  for (const Case& c : {Case{"horizon", "721h", "horizon must be at most 720h, got 721h"},
                        Case{"horizon", "2562047h", "horizon must be at most 720h, got 2562047h"},
                        Case{"runs", "1000001", "runs must be between 1 and 1000000, got 1000001"},
                        Case{"controllers.kustomize.concurrent", "10001",
                             "controllers.kustomize.concurrent must be between 1 and 10000, got 10001"},
                        Case{"controllers.kustomize.requeueDependency", "1000h",
                             "controllers.kustomize.requeueDependency must be at most 720h, got 1000h"},
                        Case{"timing.build", "uniform(1s, 1000h)",
                             "timing.build: \"uniform(1s, 1000h)\" goes beyond 720h, the longest a scenario duration "
                             "may be"}}) {
    INFO(c.path, "=", c.value);
    // In the file: `a.b.c: v` written as nested mappings.
    std::string yaml = base, indent = "  ";
    std::string_view rest = c.path;
    for (std::size_t dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
      yaml += indent + std::string(rest.substr(0, dot)) + ":\n";
      indent += "  ";
      rest.remove_prefix(dot + 1);
    }
    yaml += indent + std::string(rest) + ": " + c.value + "\n";
    std::vector<std::string> file = messages(parse(yaml));
    REQUIRE(file.size() == 1);
    CHECK(file[0].ends_with(std::string("error: ") + c.message));
    CHECK(file[0].starts_with("s.yaml:"));
    CHECK(messages(parse(base, {{c.path, c.value}})) ==
          std::vector<std::string>{fmt::format("--set {}: error: {}", c.path, c.message)});
  }
  // The largest values are accepted.
  ScenarioLoad ok = parse(base, {{"horizon", "720h"}, {"runs", "1000000"}});
  REQUIRE_CLEAN(ok);
  CHECK(ok.scenario.horizon == 720h);
  CHECK(ok.scenario.runs == 1'000'000);
}

TEST_CASE("the settings table names every bound the decoder applies") {
  const ScenarioSetting* runs = find_scenario_setting("runs");
  REQUIRE(runs);
  CHECK(runs->max == 1'000'000);
  CHECK(scenario_setting_max("runs") == 1'000'000);
  REQUIRE(find_scenario_setting("horizon"));
  CHECK(find_scenario_setting("horizon")->max == 720LL * 3'600'000);
  CHECK(find_scenario_setting("controllers.kustomize.concurrent")->max == 10'000);
  CHECK(find_scenario_setting("no.such.setting") == nullptr);
  for (const ScenarioSetting& s : scenario_settings()) {
    INFO(s.path);
    CHECK(s.min <= s.max);
  }
}

TEST_CASE("a scenario file over the size limit is refused before it is read") {
  const std::string file = path_in_fixture("huge.yaml");
  std::ofstream(file) << "apiVersion: fluxsim/v1alpha1\n";
  fs::resize_file(file, (64u << 20) + 1);  // sparse: nothing is written
  CHECK(messages(load_scenario(file)) ==
        std::vector<std::string>{"huge.yaml:1:1: error: the scenario file is 67108865 bytes, more than the 64 MiB a "
                                 "YAML file may hold (a scenario is a few hundred lines); it was not read"});
  fs::remove(file);
}

TEST_CASE("150,000 quoted list items, 150,000 empty ones and duplicate keys decode in one pass") {
  const std::string base = "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  expect:\n    ready:\n";
  std::string quoted = base, empty = "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  faults:\n";
  for (int i = 0; i < 150'000; ++i) {
    quoted += "      - \"app\"\n";
    empty += "    -\n";
  }
  ScenarioLoad q = parse(quoted);
  REQUIRE_CLEAN(q);
  CHECK(q.scenario.expect.ready.size() == 150'000);

  ScenarioLoad e = parse(empty);
  std::vector<std::string> m = messages(e);
  REQUIRE(m.size() == 150'000);
  CHECK(m[0] == "s.yaml:5:5: error: faults[0]: expected a mapping, got null");
  CHECK(m.back() == "s.yaml:150004:5: error: faults[149999]: expected a mapping, got null");

  std::string dup = "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n";
  for (int i = 0; i < 50'000; ++i) dup += "  seed: 1\n";
  std::vector<std::string> d = messages(parse(dup));
  REQUIRE(d.size() == 49'999);
  CHECK(d.back() == "s.yaml:50003:3: error: duplicate field 'seed' in spec (first at line 4)");
}

TEST_CASE("a scenario may use anchors and merge keys, as repository files may") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  controllers:
    kustomize: &k {concurrent: 8}
    helm:
      <<: *k
)yaml");
  REQUIRE_CLEAN(l);
  CHECK(l.scenario.controllers.kustomize.concurrent == 8);
  CHECK(l.scenario.controllers.helm.concurrent == 8);
}

TEST_CASE("a restart fault says crash (the default) or graceful: whether the new process waits for the lease") {
  ScenarioLoad l = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  faults:
    - {controller: kustomize, restartAt: 2m}
    - {controller: kustomize, restartAt: 3m, mode: crash}
    - {controller: helm, restartAt: 4m, mode: graceful}
    - {controller: source, restartAt: 5m, mode: ~}
)yaml");
  REQUIRE_CLEAN(l);
  const std::vector<Fault>& f = l.scenario.faults;
  REQUIRE(f.size() == 4);
  CHECK_FALSE(f[0].graceful);
  CHECK_FALSE(f[1].graceful);
  CHECK(f[2].graceful);
  CHECK_FALSE(f[3].graceful);
  ScenarioLoad bad = parse(R"yaml(apiVersion: fluxsim/v1alpha1
kind: Scenario
spec:
  faults:
    - {controller: kustomize, restartAt: 2m, mode: sigkill}
    - {match: {kind: Deployment}, readyAt: 1m, mode: graceful}
    - {controller: helm, restartAt: 1m, mode: [crash]}
)yaml");
  CHECK(messages(bad) ==
        std::vector<std::string>{
            "s.yaml:5:52: error: faults[0].mode: unknown restart mode 'sigkill' (crash: the lease expires first; graceful: "
            "it is released)",
            "s.yaml:6:48: error: faults[1]: 'mode' goes only with restartAt (crash or graceful)",
            "s.yaml:7:47: error: faults[2].mode: expected a string, got a list",
        });
  CHECK(bad.scenario.faults.empty());
}
