// SPDX-License-Identifier: Apache-2.0
// helm-controller's install (flux-semantics.md §10): the objects a chart creates and the health checks
// waiting on them, install.timeout, install.disableWait, install.createNamespace, failures that stored no
// release, an OCI HelmRepository — against hand-computed timelines. Defaults: timing.build 1s (Helm's own
// render-and-apply work is as long), applyPerObject 20ms, Deployment Current 30s after it is created,
// Helm install with its wait 45s, HelmRelease timeout 5m, --requeue-dependency 30s, --min-retry-delay
// 750ms doubling per failure, health checks polled every 5s.
//
// The common start (flux-semantics.md §12, §7): the root flux-system runs at 750ms (finalizer first),
// builds until 1750 and writes its children 20ms apart in name order; each child adds its finalizer when
// created and runs 750ms later. Kustomization "apps" (created 1770) runs at 2520, builds until 3520 and
// writes its HelmReleases from 3540 on, 20ms apart in name order; each HelmRelease adds its finalizer
// and runs 750ms later.
#include <sstream>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "fluxsim/check.h"
#include "fluxsim/engine.h"
#include "fluxsim/load.h"
#include "fluxsim/report.h"
#include "test_util.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;
using fluxsim::test::quiet_scenario;

namespace {

std::int64_t hr_ready_ms(const RunResult& r, const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.helm_releases.size(); ++i)
    if (w.helm_releases[i].ref.name == name) return r.helm_ready_at[i] == kNever ? -1 : to_ms(r.helm_ready_at[i]);
  return -2;
}

std::int64_t ks_ready_ms(const RunResult& r, const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.kustomizations.size(); ++i)
    if (w.kustomizations[i].ref.name == name) return r.kustomizations[i].ready_at == kNever ? -1 : to_ms(r.kustomizations[i].ready_at);
  return -2;
}

// "number@start outcome" per pass of one object, in order.
std::string passes(const RunResult& r, const World& w, Controller c, std::string_view name, std::size_t limit = 100) {
  std::string out;
  std::size_t n = 0;
  for (const PassRecord& p : r.passes) {
    if (p.controller != c) continue;
    const std::string& pname = c == Controller::Helm ? w.helm_releases[static_cast<std::size_t>(p.subject)].ref.name
                                                     : w.kustomizations[static_cast<std::size_t>(p.subject)].ref.name;
    if (pname != name) continue;
    if (n++ == limit) break;
    if (!out.empty()) out += "; ";
    out += fmt::format("{}@{} {}", p.number, to_ms(p.started_at), to_string(p.outcome));
  }
  return out;
}

const PassRecord* pass_of(const RunResult& r, const World& w, std::string_view ks, int number) {
  for (const PassRecord& p : r.passes)
    if (p.controller == Controller::Kustomize && w.kustomizations[static_cast<std::size_t>(p.subject)].ref.name == ks &&
        p.number == number)
      return &p;
  return nullptr;
}

ReadyRule helm_install_takes(std::string name, Duration d) {
  return ReadyRule{Match{"", "HelmRelease", "", std::move(name), "", {}}, Distribution::fixed(d)};
}

// apps applies HelmReleases db (3m install) and podinfo (dependsOn db); web only health-checks the
// Deployment flux-system/<checked> (timeout 1m, retryInterval 2m), which no Kustomization applies.
WorldBuilder chart_world(const std::string& checked) {
  WorldBuilder b;
  b.kustomization("apps");
  b.helm_release("apps", "db");
  b.helm_release("apps", "podinfo").depends_on.push_back({"HelmRelease", "flux-system", "db", {}, false});
  Kustomization& web = b.kustomization("web");
  web.health_checks.push_back(ObjectRef{"apps", "Deployment", "flux-system", checked});
  web.health_check_origins.push_back(SourceLocation{"web/ks.yaml", 12, 7});
  web.timeout = 1min;
  web.retry_interval = 2min;
  return b;
}

Scenario chart_scenario() {
  Scenario s = quiet_scenario();
  s.timing.ready.push_back(helm_install_takes("db", 3min));
  return s;
}

}  // namespace

TEST_CASE("a Deployment only a HelmRelease's chart creates: the health check times out and retries until the install") {
  WorldBuilder b = chart_world("podinfo");
  const World& w = b.world();
  RunResult r = simulate(w, chart_scenario());
  // db: created 3540, installs at 4290 for 3m (its timing.ready rule): Ready 4290 + 180000 = 184290.
  CHECK(hr_ready_ms(r, w, "db") == 184290);
  // podinfo (created 3560) checks db every 30s from 4310 (§10 dependsOn): 4310, 34310, ..., 154310 not
  // Ready; 184310 Ready → install. Helm applies the chart at 184310 + 1s = 185310, creating the
  // Deployment flux-system/podinfo (the default rule: in its release namespace, named after the
  // release), Current 30s later at 215310. The install waits for it: done at max(184310 + 45s, 215310) =
  // 229310.
  CHECK(passes(r, w, Controller::Helm, "podinfo", 7) ==
        "1@4310 DependencyNotReady; 2@34310 DependencyNotReady; 3@64310 DependencyNotReady; 4@94310 DependencyNotReady; "
        "5@124310 DependencyNotReady; 6@154310 DependencyNotReady; 7@184310 Succeeded");
  CHECK(hr_ready_ms(r, w, "podinfo") == 229310);
  // web (created 1790): pass at 2540, build until 3540, nothing to apply, health check from 3540 with
  // timeout 1m (§6.2, §6.4): the Deployment does not exist (NotFound) → fails at 63540; retryInterval 2m
  // → 183540, build until 184540, checks from 184540: NotFound until 185310, InProgress until 215310; the
  // first 5s tick at or after 215310 is 184540 + 7·5s = 219540 → Ready.
  CHECK(passes(r, w, Controller::Kustomize, "web", 2) == "1@2540 HealthCheckFailed; 2@183540 Succeeded");
  const PassRecord* first = pass_of(r, w, "web", 1);
  REQUIRE(first);
  CHECK(to_ms(first->ended_at) == 63540);
  CHECK(message(w, r, *first) == "health check failed after 1m: timeout waiting for: [Deployment/flux-system/podinfo status: 'NotFound']");
  CHECK(ks_ready_ms(r, w, "web") == 219540);
}

TEST_CASE("a typo in healthChecks: nothing creates the object, the Kustomization is never Ready, and check names the entry") {
  WorldBuilder b = chart_world("podnifo");  // no HelmRelease's release name begins "podnifo"
  const World& w = b.world();
  RunResult r = simulate(w, chart_scenario());
  // web fails at 63540, then every 2m (retryInterval) + 1s build + 1m timeout: 183540 → 244540, ... for
  // the whole hour; the releases are installed as before.
  CHECK(ks_ready_ms(r, w, "web") == -1);
  CHECK(passes(r, w, Controller::Kustomize, "web", 3) == "1@2540 HealthCheckFailed; 2@183540 HealthCheckFailed; 3@364540 HealthCheckFailed");
  CHECK(hr_ready_ms(r, w, "podinfo") == 229310);
  const CheckResult found = check_world(w, chart_scenario());
  bool named = false;
  for (const Finding& f : found.findings)
    if (f.check == "health-check-uncreated") {
      CHECK(to_string(f.diagnostic).starts_with("web/ks.yaml:12:7: error: web's healthChecks names Deployment/flux-system/podnifo, "
                                                "which nothing creates"));
      named = true;
    }
  CHECK(named);
  // The correctly spelt entry gets no such finding.
  WorldBuilder ok = chart_world("podinfo");
  for (const Finding& f : check_world(ok.world(), chart_scenario()).findings) CHECK(f.check != "health-check-uncreated");
}

TEST_CASE("a scenario provides rule says which HelmRelease creates an object the default would not give it") {
  WorldBuilder b = chart_world("frontend");
  const World& w = b.world();
  Scenario s = chart_scenario();
  ProvidesRule rule;
  rule.by = Match{"", "HelmRelease", "", "podinfo", "", {}};
  rule.objects.push_back(Match{"", "Deployment", "", "front*", "", {}});
  s.provides.push_back(rule);
  RunResult r = simulate(w, s);
  // As with the default-named Deployment: podinfo's install at 184310 creates it at 185310, Current at
  // 215310; web's second attempt sees it at the tick 219540.
  CHECK(ks_ready_ms(r, w, "web") == 219540);
  for (const Finding& f : check_world(w, s).findings) CHECK(f.check != "health-check-uncreated");
}

TEST_CASE("install.timeout longer than 5m overrides spec.timeout for the install (flux-semantics.md §10)") {
  WorldBuilder b;
  b.kustomization("apps");
  HelmRelease& hr = b.helm_release("apps", "slow");
  Scenario s = quiet_scenario();
  s.timing.ready.push_back(helm_install_takes("slow", 7min));
  SUBCASE("spec.timeout unset (5m): the install times out and, retries 0, Stalls") {
    RunResult r = simulate(b.world(), s);
    // Install at 4290 (created 3540 + 750ms); deadline 4290 + 300000 = 304290 < 4290 + 420000.
    CHECK(passes(r, b.world(), Controller::Helm, "slow") == "1@4290 InstallFailed");
    CHECK(hr_ready_ms(r, b.world(), "slow") == -1);
  }
  SUBCASE("install.timeout 10m, spec.timeout 2m: the install's own timeout wins") {
    hr.timeout = 2min;
    hr.install_timeout = 10min;
    RunResult r = simulate(b.world(), s);
    // 4290 + 420000 = 424290, within 4290 + 600000.
    CHECK(passes(r, b.world(), Controller::Helm, "slow", 1) == "1@4290 Succeeded");
    CHECK(hr_ready_ms(r, b.world(), "slow") == 424290);
  }
}

TEST_CASE("install.disableWait: the release is Ready once Helm has applied the chart, before its Deployment is Current") {
  WorldBuilder b = chart_world("podinfo");
  const_cast<World&>(b.world()).helm_releases[1].install_disable_wait = true;
  RunResult r = simulate(b.world(), chart_scenario());
  // podinfo installs at 184310 (after db, as above) and is Ready when Helm has applied the chart,
  // 184310 + 1s = 185310, without waiting the 45s install rule or the Deployment (Current at 215310).
  CHECK(hr_ready_ms(r, b.world(), "podinfo") == 185310);
  // The health check still waits for the Deployment itself: 219540 as before.
  CHECK(ks_ready_ms(r, b.world(), "web") == 219540);
}

TEST_CASE("install.createNamespace: the namespace exists only once the install runs; a dry-run into it fails until then") {
  WorldBuilder b;
  b.kustomization("apps");
  HelmRelease& hr = b.helm_release("apps", "podinfo");
  hr.target_namespace = "podinfo";
  Kustomization& config = b.kustomization("config");
  config.retry_interval = 1min;
  b.object("config", "v1", "ConfigMap", "podinfo", "settings");
  SUBCASE("createNamespace: true") {
    hr.create_namespace = true;
    RunResult r = simulate(b.world(), quiet_scenario());
    // config (created 1790): pass 2540, build until 3540, dry-run of ConfigMap podinfo/settings: namespaces
    // "podinfo" not found (§10) → ReconciliationFailed, retry after 1m at 63540. podinfo: created 3540,
    // installs at 4290 and creates the namespace when Helm applies the chart, 5290. config's retry:
    // build until 64540, the dry-run passes, ConfigMap written 64560 → Ready (no health check).
    CHECK(passes(r, b.world(), Controller::Kustomize, "config", 2) == "1@2540 ApplyFailed; 2@63540 Succeeded");
    const PassRecord* first = pass_of(r, b.world(), "config", 1);
    REQUIRE(first);
    CHECK(message(b.world(), r, *first) == "ConfigMap/podinfo/settings dry-run failed: namespaces \"podinfo\" not found");
    CHECK(ks_ready_ms(r, b.world(), "config") == 64560);
    const CheckResult found = check_world(b.world(), quiet_scenario());
    bool said = false;
    for (const Finding& f : found.findings)
      said |= f.check == "namespace-ordering" && f.diagnostic.message.find("install.createNamespace") != std::string::npos;
    CHECK(said);
  }
  SUBCASE("without createNamespace the namespace is assumed to exist") {
    RunResult r = simulate(b.world(), quiet_scenario());
    // pass 2540, build until 3540, ConfigMap written at 3560.
    CHECK(ks_ready_ms(r, b.world(), "config") == 3560);
  }
}

TEST_CASE("an install that fails before Helm stores a release is retried with backoff, not Stalled, even with retries 0") {
  // podinfo's chart makes a Widget (health-checked by web) whose CRD only Kustomization crds applies,
  // and crds waits a long time: until then Helm cannot build the manifest (no matches for kind).
  WorldBuilder b;
  b.kustomization("apps");
  b.helm_release("apps", "podinfo");
  b.kustomization("crds").retry_interval = 1min;
  b.crd("crds", "example.com", "Widget");
  Kustomization& web = b.kustomization("web");
  web.health_checks.push_back(ObjectRef{"example.com", "Widget", "flux-system", "podinfo-widget"});
  web.timeout = 10min;
  Scenario s = quiet_scenario();
  Fault late;
  late.type = Fault::Type::ReadyAt;  // the CRD is Established only at 10s
  late.match.kind = "CustomResourceDefinition";
  late.at = SimTime{10s};
  s.faults.push_back(late);
  RunResult r = simulate(b.world(), s);
  // podinfo installs at 4290: the kind is not served (CRD Established at 10000) → no release stored
  // after Helm's 1s of work (5290): an error, requeued by the rate limiter (§10): 750ms → 6040, fails at
  // 7040; 1.5s → 8540, fails 9540; 3s → 12540: served now → install, Ready 12540 + 45s = 57540.
  CHECK(passes(r, b.world(), Controller::Helm, "podinfo", 4) == "1@4290 InstallFailed; 2@6040 InstallFailed; 3@8540 InstallFailed; 4@12540 Succeeded");
  CHECK(hr_ready_ms(r, b.world(), "podinfo") == 57540);
  for (const PassRecord& p : r.passes)
    if (p.controller == Controller::Helm) CHECK(p.reason != Reason::RetriesExceeded);
}

TEST_CASE("an OCI HelmRepository is never fetched and has no artifact: its chart pulls straight from the registry") {
  WorldBuilder b;
  b.kustomization("apps");
  b.helm_release("apps", "app", "podinfo");
  Source& repo = b.helm_repository("apps", "podinfo");
  Scenario s = quiet_scenario();
  s.timing.fetch.push_back({"HelmRepository", Distribution::fixed(10s)});
  SUBCASE("an HTTPS HelmRepository: the chart waits for the index") {
    RunResult r = simulate(b.world(), s);
    // podinfo (created 3560) fetches at 4310 for 10s: artifact 14310. app's first pass (4290) creates
    // the HelmChart, which adds its finalizer and at 5040 waits for the repository; the index at 14310
    // enqueues it: pulled at once, 14310 → app installs at 14310: Ready 59310.
    CHECK(to_ms(r.source_ready_at[1]) == 14310);
    CHECK(hr_ready_ms(r, b.world(), "app") == 59310);
  }
  SUBCASE("type: oci") {
    repo.oci_helm_repository = true;
    RunResult r = simulate(b.world(), s);
    // No fetch, no artifact. The HelmChart (created 4290) is pulled at 5040, after its finalizer; its
    // artifact enqueues app: installs at 5040, Ready 50040.
    CHECK(r.source_ready_at[1] == kNever);
    CHECK(hr_ready_ms(r, b.world(), "app") == 50040);
  }
}

namespace {

std::string explain_text(const World& w, const Scenario& s) {
  RunResult r = simulate(w, s);
  std::ostringstream out;
  write_explain(RunReport{s, w, r, {}}, out);
  return out.str();
}

}  // namespace

TEST_CASE("explain names the helm-controller rule at each step: chart-made objects, timeouts, createNamespace, retries") {
  SUBCASE("a chart's Deployment under healthChecks, and a typo") {
    WorldBuilder b = chart_world("podinfo");
    b.get("web").health_checks.push_back(ObjectRef{"apps", "Deployment", "flux-system", "podnifo"});
    const std::string story = explain_text(b.world(), chart_scenario());
    CHECK(story.find("t=3.54s web: healthChecks → waits for 2 objects to become Current") != std::string::npos);
    CHECK(story.find("; Deployment/flux-system/podinfo is made by HelmRelease flux-system/podinfo's chart (release name begins its "
                     "name): it exists only once helm-controller has run that install") != std::string::npos);
    CHECK(story.find("; Deployment/flux-system/podnifo: nothing creates it (no Kustomization applies it, no chart makes it), so this "
                     "check can only time out") != std::string::npos);
    CHECK(story.find("t=3m4.31s HelmRelease/flux-system/podinfo: install attempt 1: Helm renders and applies the chart, creating "
                     "Deployment/flux-system/podinfo (health-checked objects only its chart makes) → waits until its resources are "
                     "Current, at most 5m (spec.timeout, unset = 5m)") != std::string::npos);
  }
  SUBCASE("createNamespace, install.timeout, disableWait") {
    WorldBuilder b;
    b.kustomization("apps");
    HelmRelease& hr = b.helm_release("apps", "podinfo");
    hr.target_namespace = "podinfo";
    hr.create_namespace = true;
    hr.install_timeout = 10min;
    std::string story = explain_text(b.world(), quiet_scenario());
    CHECK(story.find("install attempt 1: Helm renders and applies the chart, and Namespace podinfo (install.createNamespace with "
                     "targetNamespace: it exists only from now on) → waits until its resources are Current, at most 10m "
                     "(install.timeout)") != std::string::npos);
    hr.install_disable_wait = true;
    story = explain_text(b.world(), quiet_scenario());
    CHECK(story.find("→ does not wait for its resources (install.disableWait): Ready as soon as it is applied") != std::string::npos);
  }
  SUBCASE("unlimited retries") {
    WorldBuilder b;
    b.kustomization("apps");
    b.helm_release("apps", "bad").install_retries = -1;
    Scenario s = quiet_scenario();
    Fault f;
    f.type = Fault::Type::NeverReady;
    f.match.kind = "HelmRelease";
    s.faults.push_back(f);
    const std::string story = explain_text(b.world(), s);
    // Install at 4290 times out at 304290; uninstall and retry after 750ms (the rate limiter's first step).
    CHECK(story.find("t=5m4.29s HelmRelease/flux-system/bad: InstallFailed: Helm install failed for release flux-system/bad: context "
                     "deadline exceeded (timeout 5m) → uninstall, then retry in 750ms through the rate limiter "
                     "(install.remediation.retries -1: negative = unlimited)") != std::string::npos);
    CHECK(story.find("fails again, and so on (later failures left out)") != std::string::npos);
  }
}

TEST_CASE("the install settings, release name, OCI type and healthChecks lines are read from the manifests") {
  test::MemoryFileSource fs{
      {"c/ks.yaml",
       "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\n  namespace: flux-system\n"
       "spec:\n  interval: 10m\n  prune: true\n  path: ./web\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
       "  healthChecks:\n    - apiVersion: apps/v1\n      kind: Deployment\n      name: podinfo\n      namespace: podinfo\n"},
      {"c/hr.yaml",
       "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: podinfo\n  namespace: flux-system\n"
       "spec:\n  type: oci\n  url: oci://ghcr.io/stefanprodan/charts\n---\n"
       "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n"
       "  interval: 5m\n  releaseName: front\n  targetNamespace: podinfo\n  install:\n    createNamespace: true\n"
       "    disableWait: true\n    timeout: 12m\n  upgrade:\n    timeout: 7m\n  chart:\n    spec:\n      chart: podinfo\n"
       "      sourceRef:\n        kind: HelmRepository\n        name: podinfo\n"},
  };
  LoadOptions o;
  o.entry = "c";
  WorldLoad r = load_world(fs, "repo", o);
  REQUIRE(r.world.helm_releases.size() == 1);
  const HelmRelease& h = r.world.helm_releases[0];
  CHECK(h.install_timeout == std::optional<Duration>(12min));
  CHECK(h.upgrade_timeout == std::optional<Duration>(7min));
  CHECK(h.install_timeout_or_default() == 12min);
  CHECK(h.install_disable_wait);
  CHECK(h.create_namespace);
  CHECK(h.helm_release_name() == "front");
  CHECK(h.release_namespace() == "podinfo");
  bool oci = false;
  for (const Source& src : r.world.sources) oci |= src.ref.name == "podinfo" && src.oci_helm_repository;
  CHECK(oci);
  const Kustomization* web = r.world.find_kustomization("flux-system", "web");
  REQUIRE(web);
  REQUIRE(web->health_check_origins.size() == 1);
  CHECK(web->health_check_origins[0].line == 14);
  // The default release name is [targetNamespace-]name (helm-controller GetReleaseName).
  HelmRelease plain = h;
  plain.release_name.clear();
  CHECK(plain.helm_release_name() == "podinfo-podinfo");
}

TEST_CASE("a scenario provides rule with objects and no kinds is read; an empty objects list is an error") {
  ScenarioLoad ok = parse_scenario(
      "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  repo: .\n  provides:\n"
      "    - by: {kind: HelmRelease, name: podinfo}\n      objects:\n        - {kind: apps/Deployment, namespace: web, name: \"front*\"}\n",
      "s.yaml");
  CHECK_FALSE(ok.diagnostics.has_errors());
  REQUIRE(ok.scenario.provides.size() == 1);
  REQUIRE(ok.scenario.provides[0].objects.size() == 1);
  CHECK(ok.scenario.provides[0].objects[0].matches(ObjectRef{"apps", "Deployment", "web", "frontend"}, ""));
  CHECK(ok.scenario.provides[0].kinds.empty());
  ScenarioLoad bad = parse_scenario(
      "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nspec:\n  repo: .\n  provides:\n    - by: {kind: HelmRelease, name: podinfo}\n"
      "      objects: []\n",
      "s.yaml");
  REQUIRE(bad.diagnostics.has_errors());
  INFO(to_string(bad.diagnostics.items()[0]));
  CHECK(to_string(bad.diagnostics.items()[0]).starts_with("s.yaml:7:16: error: provides[0].objects is empty: list the objects `by` creates"));
}
