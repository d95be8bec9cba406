// SPDX-License-Identifier: Apache-2.0
// What the checkout cannot provide is simulated, not failed (issue 11): a source of another repository
// or an OCI artifact is assumed reachable (its artifact after timing.fetch for its kind) and its
// Kustomizations apply a placeholder for the objects fluxsim cannot see; remote bases count as such a
// placeholder; unreadable substituteFrom Secrets are assumed; a HelmRelease whose chart matches an API
// group provides its kinds. Every assumption is listed once; --strict-offline keeps the 0.1 answers.
#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "fluxsim/check.h"
#include "fluxsim/engine.h"
#include "fluxsim/load.h"
#include "cli_runner.h"
#include "test_util.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::MemoryFileSource;

namespace {

std::string ks(const std::string& name, const std::string& path, const std::string& extra = "",
               const std::string& source_kind = "GitRepository", const std::string& source = "flux-system") {
  return "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
         "\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n  path: " + path + "\n  sourceRef:\n    kind: " +
         source_kind + "\n    name: " + source + "\n" + extra;
}

const char* kOciSource =
    "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata:\n  name: podinfo\n  namespace: flux-system\n"
    "spec:\n  interval: 10m\n  url: oci://ghcr.io/stefanprodan/manifests/podinfo\n  ref:\n    tag: latest\n";

// infra (wait: true) applies an OCIRepository and the Kustomization built from it (wait: true).
MemoryFileSource remote_oci_repo() {
  return MemoryFileSource{
      {"clusters/prod/infra.yaml", ks("infra", "./infra", "  wait: true\n")},
      {"infra/source.yaml", kOciSource},
      {"infra/podinfo.yaml", ks("podinfo", "./", "  wait: true\n", "OCIRepository", "podinfo")},
  };
}

WorldLoad load(const FileSource& fs, const std::string& entry, bool strict = false) {
  LoadOptions o;
  o.entry = entry;
  o.strict_offline = strict;
  return load_world(fs, "repo", o);
}

std::size_t index_of(const World& w, const std::string& name) {
  for (std::size_t i = 0; i < w.kustomizations.size(); ++i)
    if (w.kustomizations[i].ref.name == name) return i;
  FAIL("no Kustomization " << name);
  return 0;
}

std::size_t source_index(const World& w, const std::string& kind, const std::string& name) {
  for (std::size_t i = 0; i < w.sources.size(); ++i)
    if (w.sources[i].ref.kind == kind && w.sources[i].ref.name == name) return i;
  FAIL("no source " << kind << "/" << name);
  return 0;
}

std::size_t count(const World& w, Assumption::Kind kind) {
  return static_cast<std::size_t>(
      std::count_if(w.assumptions.begin(), w.assumptions.end(), [&](const Assumption& a) { return a.kind == kind; }));
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

RunResult simulate_with_assumptions(const World& w, Scenario s = {}) {
  apply_world_assumptions(s, w);
  Simulation sim(w, s);
  REQUIRE_FALSE(sim.diagnostics().has_errors());
  return sim.run();
}

}  // namespace

TEST_CASE("a remote OCI source under a wait parent: assumed reachable, its Kustomization applies unknown objects") {
  MemoryFileSource fs = remote_oci_repo();
  WorldLoad l = load(fs, "clusters/prod");
  REQUIRE_FALSE(l.diagnostics.has_errors());
  const World& w = l.world;
  const Source& oci = w.sources[source_index(w, "OCIRepository", "podinfo")];
  CHECK(oci.assumed_remote);
  CHECK(oci.directory == "");
  const Kustomization& podinfo = w.kustomizations[index_of(w, "podinfo")];
  CHECK_FALSE(podinfo.build_failure);
  REQUIRE(podinfo.objects.size() == 1);
  CHECK(is_unknown_objects(podinfo.objects[0].ref));
  CHECK(podinfo.objects[0].ref.name == "flux-system.podinfo");
  REQUIRE(count(w, Assumption::Kind::RemoteSource) == 1);
  CHECK(w.assumptions[0].subject == "OCIRepository/flux-system/podinfo");
  CHECK(assumptions_summary(w) ==
        "assumed: 1 remote source (OCIRepository/flux-system/podinfo) — map sources under `spec.sources` for exact results");

  // The run (flux-semantics.md §1, §4.3, §6): the root (750ms first-reconcile delay, 1s build, 20ms to
  // write infra) is Ready at 1.77s; infra's pass starts at 1.77 + 0.75 = 2.52s, builds until 3.52s and
  // writes its two objects, 20ms each, until 3.56s, then waits (wait: true), polling every 5s from 3.56s.
  // The OCIRepository, created at 3.54s or 3.56s, gets its finalizer first (750ms), then its artifact
  // after timing.fetch.OCIRepository (2s): at 6.31s. podinfo, whose first pass found no artifact,
  // is enqueued by it: build 1s, the placeholder written (20ms) at 7.33s, Current 30s later
  // (fluxsim.dev/UnknownObjects): Ready at 37.33s. infra's poll sees it at 3.56 + 7 × 5 = 38.56s.
  const RunResult r = simulate_with_assumptions(w);
  REQUIRE(r.all_ready);
  const std::size_t src = source_index(w, "OCIRepository", "podinfo");
  CHECK(r.source_ready_at[src] == SimTime{} + 6310ms);
  const SimTime podinfo_ready = r.kustomizations[index_of(w, "podinfo")].ready_at;
  CHECK(podinfo_ready == SimTime{} + 37330ms);
  CHECK(podinfo_ready == r.source_ready_at[src] + 1s + 20ms + 30s);
  const SimTime infra_ready = r.kustomizations[index_of(w, "infra")].ready_at;
  CHECK(infra_ready == SimTime{} + 38560ms);
  CHECK(r.time_to_ready == infra_ready);

  SUBCASE("timing.fetch and a ready rule for the placeholder change it") {
    Scenario s;
    s.timing.fetch.emplace_back("OCIRepository", Distribution::fixed(10s));
    ReadyRule rule;
    rule.match.group = "fluxsim.dev";
    rule.match.kind = "UnknownObjects";
    rule.after = Distribution::fixed(2min);
    s.timing.ready.push_back(rule);
    const RunResult slow = simulate_with_assumptions(w, s);
    REQUIRE(slow.all_ready);
    CHECK(slow.source_ready_at[src] == r.source_ready_at[src] - 2s + 10s);
    CHECK(slow.kustomizations[index_of(w, "podinfo")].ready_at == slow.source_ready_at[src] + 1s + 20ms + 2min);
  }
}

TEST_CASE("--strict-offline keeps the 0.1 answer: the remote source's Kustomization fails with ArtifactFailed") {
  MemoryFileSource fs = remote_oci_repo();
  WorldLoad l = load(fs, "clusters/prod", /*strict=*/true);
  const World& w = l.world;
  const Source& oci = w.sources[source_index(w, "OCIRepository", "podinfo")];
  CHECK_FALSE(oci.assumed_remote);
  CHECK_FALSE(oci.directory.has_value());
  CHECK(w.kustomizations[index_of(w, "podinfo")].objects.empty());
  CHECK(w.assumptions.empty());
  CHECK(assumptions_summary(w).empty());
  Scenario s;
  s.strict_offline = true;
  const RunResult r = simulate_with_assumptions(w, s);
  CHECK_FALSE(r.all_ready);
  CHECK(r.kustomizations[index_of(w, "podinfo")].reason == Reason::ArtifactFailed);
  CHECK(r.kustomizations[index_of(w, "infra")].ready_at == kNever);
}

TEST_CASE("a source mapped under spec.sources is read from the checkout, not assumed") {
  MemoryFileSource fs = remote_oci_repo();
  fs.add("podinfo/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: podinfo\n  namespace: default\n");
  LoadOptions o;
  o.entry = "clusters/prod";
  SourceMapping m;
  m.kind = "OCIRepository";
  m.name = "podinfo";
  m.path = "podinfo";
  o.sources.push_back(m);
  WorldLoad l = load_world(fs, "repo", o);
  const World& w = l.world;
  CHECK_FALSE(w.sources[source_index(w, "OCIRepository", "podinfo")].assumed_remote);
  const Kustomization& podinfo = w.kustomizations[index_of(w, "podinfo")];
  REQUIRE(podinfo.objects.size() == 1);
  CHECK(podinfo.objects[0].ref.kind == "Deployment");
  CHECK(count(w, Assumption::Kind::RemoteSource) == 0);
}

TEST_CASE("a remote base counts as unknown objects, listed once; --strict-offline leaves it out as before") {
  MemoryFileSource fs{
      {"clusters/prod/apps.yaml", ks("apps", "./apps", "  wait: true\n")},
      {"apps/kustomization.yaml",
       "resources:\n  - https://github.com/stefanprodan/podinfo//kustomize?ref=6.5.0\n  - github.com/org/base?ref=v1\n  - cm.yaml\n"},
      {"apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\n"},
  };
  WorldLoad l = load(fs, "clusters/prod");
  const World& w = l.world;
  const Kustomization& apps = w.kustomizations[index_of(w, "apps")];
  CHECK_FALSE(apps.build_failure);
  REQUIRE(apps.objects.size() == 2);
  CHECK(apps.objects[0].ref.kind == "ConfigMap");
  CHECK(is_unknown_objects(apps.objects[1].ref));
  CHECK(apps.objects[1].origin == SourceLocation{"apps/kustomization.yaml", 2, 5});
  CHECK(count(w, Assumption::Kind::RemoteBase) == 2);
  CHECK(has(assumptions_summary(w), "2 remote bases"));
  // wait: true waits for the placeholder's 30s: the root's 1.77s, apps' pass from 2.52s, 1s build,
  // 40ms for its two objects, then 30s, seen by the poll started at 3.56s: Ready at 33.56s.
  const RunResult r = simulate_with_assumptions(w);
  REQUIRE(r.all_ready);
  CHECK(r.kustomizations[index_of(w, "apps")].ready_at == SimTime{} + 33560ms);

  WorldLoad strict = load(fs, "clusters/prod", /*strict=*/true);
  CHECK(strict.world.kustomizations[index_of(strict.world, "apps")].objects.size() == 1);
  CHECK(strict.world.assumptions.empty());
}

TEST_CASE("a SOPS-encrypted substituteFrom Secret: its variables are assumed, not a failure") {
  MemoryFileSource fs{
      {"clusters/prod/apps.yaml",
       ks("apps", "./apps",
          "  postBuild:\n    substituteFrom:\n      - kind: Secret\n        name: cluster-secrets\n")},
      {"clusters/prod/secret.sops.yaml",
       "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\nstringData:\n  DOMAIN: "
       "ENC[AES256_GCM,data:abc]\nsops:\n  version: 3.7.3\n"},
      {"apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: default\ndata:\n  host: web.${DOMAIN}\n"},
  };
  for (bool strict : {false, true}) {
    CAPTURE(strict);
    WorldLoad l = load(fs, "clusters/prod", strict);
    const World& w = l.world;
    const Kustomization& apps = w.kustomizations[index_of(w, "apps")];
    CHECK_FALSE(apps.build_failure);
    CHECK(apps.objects.size() == 1);
    const auto variables = std::find_if(w.diagnostics.begin(), w.diagnostics.end(),
                                        [](const Diagnostic& d) { return has(d.message, "variables left as written (DOMAIN)"); });
    REQUIRE(variables != w.diagnostics.end());
    // An assumption is a note; --strict-offline keeps the 0.1 warning.
    CHECK(variables->severity == (strict ? Severity::Warning : Severity::Note));
  }
  WorldLoad l = load(fs, "clusters/prod");
  REQUIRE(count(l.world, Assumption::Kind::UnreadableValues) == 1);
  CHECK(l.world.assumptions[0].subject == "Secret/cluster-secrets in namespace flux-system");
  CHECK(has(assumptions_summary(l.world), "1 unreadable substituteFrom source"));
  CHECK(simulate_with_assumptions(l.world).all_ready);
}

TEST_CASE("a HelmRelease whose chart matches an API group provides its kinds, and check says so") {
  const std::string hr =
      "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cert-manager\n  namespace: cert-manager\n"
      "spec:\n  interval: 1h\n  chart:\n    spec:\n      chart: cert-manager\n      sourceRef:\n        kind: HelmRepository\n"
      "        name: jetstack\n        namespace: flux-system\n";
  const std::string issuer =
      "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: letsencrypt\nspec:\n  acme: {}\n";
  const std::string monitor =
      "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: web\n  namespace: default\n";
  MemoryFileSource fs{
      {"clusters/prod/ks.yaml", ks("controllers", "./controllers", "  wait: true\n") + "---\n" +
                                    ks("configs", "./configs", "  dependsOn:\n    - name: controllers\n")},
      {"controllers/cert-manager.yaml", hr},
      {"configs/issuer.yaml", issuer},
      {"configs/monitor.yaml", monitor},
  };
  WorldLoad l = load(fs, "clusters/prod");
  const World& w = l.world;
  REQUIRE(w.inferred_providers.size() == 1);
  CHECK(w.inferred_providers[0].by.name == "cert-manager");
  CHECK(w.inferred_providers[0].kinds == std::vector<std::string>{"cert-manager.io/*"});
  REQUIRE(count(w, Assumption::Kind::InferredProvider) == 1);

  Scenario s;
  apply_world_assumptions(s, w);
  REQUIRE(s.provides.size() == 1);
  CHECK(s.provides[0].by.kind == "HelmRelease");
  CHECK(s.provides[0].by.name == "cert-manager");
  CHECK(s.provides[0].kinds == std::vector<std::string>{"cert-manager.io/*"});
  // configs depends on controllers, which waits for the HelmRelease: ClusterIssuer is served in time.
  const RunResult r = Simulation(w, s).run();
  CHECK(r.all_ready);

  // check: no warning per unknown kind; one note for the kinds left, one for the provider.
  CheckResult c = check_world(w, s);
  std::vector<const Finding*> unknown;
  for (const Finding& f : c.findings)
    if (f.check == "unknown-kind") unknown.push_back(&f);
  REQUIRE(unknown.size() == 2);
  CHECK(unknown[0]->diagnostic.severity == Severity::Note);
  CHECK(has(unknown[0]->diagnostic.message, "1 custom kind with no CustomResourceDefinition"));
  CHECK(has(unknown[0]->diagnostic.message, "monitoring.coreos.com/ServiceMonitor"));
  CHECK_FALSE(has(unknown[0]->diagnostic.message, "ClusterIssuer"));
  CHECK(has(unknown[0]->diagnostic.hint, "docs/scenario-format.md"));
  CHECK(unknown[1]->diagnostic.severity == Severity::Note);
  CHECK(has(unknown[1]->diagnostic.message, "HelmRelease/cert-manager/cert-manager serves cert-manager.io/*"));
  CHECK(has(unknown[1]->diagnostic.message, "modelled as a `provides` rule"));

  SUBCASE("a scenario rule for the group decides instead") {
    Scenario own;
    ProvidesRule rule;
    rule.by.kind = "Deployment";
    rule.kinds = {"cert-manager.io/*"};
    own.provides.push_back(rule);
    apply_world_assumptions(own, w);
    CHECK(own.provides.size() == 1);
  }
  SUBCASE("not when the HelmRelease's own Kustomization applies the kind: that stage could never pass") {
    MemoryFileSource same{
        {"clusters/prod/ks.yaml", ks("controllers", "./controllers")},
        {"controllers/cert-manager.yaml", hr},
        {"controllers/issuer.yaml", issuer},
    };
    CHECK(load(same, "clusters/prod").world.inferred_providers.empty());
  }
  SUBCASE("not when a Kustomization applying the kind does not wait for it: the repository relies on it being installed") {
    MemoryFileSource unordered = fs;
    unordered.add("clusters/prod/more.yaml", ks("more", "./more"));
    unordered.add("more/issuer.yaml", "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: self\n  namespace: default\n");
    CHECK(load(unordered, "clusters/prod").world.inferred_providers.empty());
  }
  SUBCASE("--strict-offline infers nothing") { CHECK(load(fs, "clusters/prod", true).world.inferred_providers.empty()); }
}

TEST_CASE("fluxsim run prints a time and the assumptions; --strict-offline and spec.offline: strict keep the 0.1 answer") {
  fluxsim::test::TempDir dir("fluxsim-remote-oci");
  dir.write("clusters/prod/infra.yaml", ks("infra", "./infra", "  wait: true\n"));
  dir.write("infra/source.yaml", kOciSource);
  dir.write("infra/podinfo.yaml", ks("podinfo", "./", "  wait: true\n", "OCIRepository", "podinfo"));
  auto assumed = fluxsim::test::run_fluxsim({"run", dir.path(), "--entry", "clusters/prod"});
  CHECK(assumed.code == ExitCode::Ok);
  CHECK(has(assumed.out, "Time to full readiness: "));
  CHECK(has(assumed.out, "\n  assumed: 1 remote source (OCIRepository/flux-system/podinfo) — map sources under `spec.sources`"));
  auto strict = fluxsim::test::run_fluxsim({"run", dir.path(), "--entry", "clusters/prod", "--strict-offline"});
  CHECK(strict.code == ExitCode::Ok);
  CHECK(has(strict.out, "Not fully Ready within 6h: 1 of 3 Kustomizations became Ready"));
  CHECK_FALSE(has(strict.out, "assumed:"));
  CHECK(has(strict.out, "podinfo: ArtifactFailed"));
  const std::string scenario = dir.write("strict.yaml", "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nmetadata:\n  name: strict\n"
                                                        "spec:\n  repo: .\n  entry: clusters/prod\n  offline: strict\n");
  auto from_file = fluxsim::test::run_fluxsim({"run", scenario});
  CHECK(has(from_file.out, "Not fully Ready within 6h: 1 of 3 Kustomizations became Ready"));
  auto slower = fluxsim::test::run_fluxsim({"run", dir.path(), "--entry", "clusters/prod", "--set", "timing.fetch.OCIRepository=1m"});
  CHECK(slower.code == ExitCode::Ok);
  // The artifact at 3.56 + 0.75 + 60 = 64.31s, podinfo Ready at 64.31 + 1.02 + 30 = 95.33s, seen by
  // infra's poll at 3.56 + 19 × 5 = 98.56s.
  CHECK(has(slower.out, "Time to full readiness: 1m38.56s"));
  auto bad = fluxsim::test::run_fluxsim({"run", dir.path(), "--entry", "clusters/prod", "--set", "offline=sometimes"});
  CHECK(bad.code == ExitCode::BadInput);
}

TEST_CASE("fluxsim check on a root that cannot build exits 1 with that error first") {
  fluxsim::test::TempDir dir("fluxsim-root-broken");
  dir.write("clusters/prod/kustomization.yaml", "resourcez: [cm.yaml]\n");
  dir.write("clusters/prod/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");
  auto r = fluxsim::test::run_fluxsim({"check", dir.path(), "--entry", "clusters/prod"});
  CHECK(r.code == ExitCode::Failed);
  CHECK(r.out.find("error: the root Kustomization flux-system cannot build") < r.out.find('\n'));
  CHECK(has(r.out, "[root-build]"));
}
