// SPDX-License-Identifier: Apache-2.0
// load_world: the hierarchy discovered as Flux discovers it, Flux's build rules, sources, resource
// facts, and which problems are input errors versus BuildFailures of one Kustomization.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "fluxsim/load.h"
#include "cli_runner.h"
#include "test_util.h"

using namespace fluxsim;
using fluxsim::test::MemoryFileSource;

namespace {

std::string ks(const std::string& name, const std::string& path, const std::string& extra = "",
               const std::string& ns = "flux-system", const std::string& source = "flux-system") {
  return "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n  interval: 10m\n  prune: true\n  path: " + path +
         "\n  sourceRef:\n    kind: GitRepository\n    name: " + source + "\n    namespace: flux-system\n" + extra;
}

std::string cm(const std::string& name, const std::string& ns = "", const std::string& data = "") {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + (ns.empty() ? "" : "\n  namespace: " + ns) + "\n" +
         (data.empty() ? "" : "data:\n" + data);
}

WorldLoad load(const FileSource& fs, const std::string& entry, LoadOptions o = {}) {
  o.entry = entry;
  return load_world(fs, "repo", o);
}

const Kustomization& k_named(const World& w, const std::string& name) {
  for (const auto& k : w.kustomizations)
    if (k.ref.name == name) return k;
  FAIL("no Kustomization " << name);
  return w.kustomizations.front();
}

std::vector<std::string> names(const World& w) {
  std::vector<std::string> out;
  for (const auto& k : w.kustomizations) out.push_back(k.ref.name);
  return out;
}

bool has_warning(const World& w, const std::string& needle) {
  return std::any_of(w.diagnostics.begin(), w.diagnostics.end(),
                     [&](const Diagnostic& d) { return d.message.find(needle) != std::string::npos; });
}

}  // namespace

TEST_CASE("the implicit root applies the entry and every Kustomization found becomes a child, breadth first") {
  MemoryFileSource fs{
      {"clusters/prod/infra.yaml", ks("infra", "./infra") + "---\n" + ks("apps", "./apps", "  dependsOn:\n    - name: infra\n")},
      {"infra/kustomization.yaml", "resources: [flux-kustomizations.yaml, cm.yaml]\n"},
      {"infra/flux-kustomizations.yaml", ks("infra-base", "./infra/base")},
      {"infra/cm.yaml", cm("settings", "flux-system")},
      {"infra/base/crd.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names:\n    kind: Widget\n"},
      {"apps/app.yaml", cm("app", "default")},
  };
  auto r = load(fs, "clusters/prod");
  REQUIRE(r.diagnostics.empty());
  const World& w = r.world;
  CHECK(w.entry == "clusters/prod");
  CHECK(names(w) == std::vector<std::string>{"flux-system", "infra", "apps", "infra-base"});
  const Kustomization& root = w.kustomizations[0];
  CHECK_FALSE(root.parent.has_value());
  CHECK(root.path == "./clusters/prod");
  CHECK(root.prune);
  CHECK(root.source_ref.kind == "GitRepository");
  CHECK(root.source_ref.name == "flux-system");
  CHECK(k_named(w, "infra").parent == root.ref);
  CHECK(k_named(w, "infra-base").parent->name == "infra");
  CHECK(k_named(w, "apps").depends_on.size() == 1);
  CHECK(k_named(w, "apps").depends_on[0].ns == "flux-system");
  CHECK(k_named(w, "infra-base").objects.size() == 1);
  CHECK(k_named(w, "infra-base").objects[0].defines_kind == "example.com/Widget");
  REQUIRE(w.sources.size() == 1);
  CHECK(w.sources[0].directory == ".");
  CHECK(w.sources[0].exists_at_start);
}

TEST_CASE("the root takes the spec of the gotk-sync Kustomization with its own identity, and stays at index 0") {
  std::string sync = "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: flux-system\n  namespace: flux-system\n"
                     "spec:\n  interval: 1m\n  url: ssh://git@github.com/example/fleet\n  ref:\n    branch: main\n---\n" +
                     ks("flux-system", "./clusters/prod", "  wait: true\n  timeout: 3m\n");
  MemoryFileSource fs{
      {"clusters/prod/flux-system/kustomization.yaml", "resources: [gotk-components.yaml, gotk-sync.yaml]\n"},
      {"clusters/prod/flux-system/gotk-components.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n"},
      {"clusters/prod/flux-system/gotk-sync.yaml", sync},
      {"clusters/prod/apps.yaml", ks("apps", "./apps")},
      {"apps/cm.yaml", cm("a", "default")},
      {"other/sync.yaml", "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: same-repo\n  namespace: flux-system\n"
                          "spec:\n  url: https://github.com/Example/fleet.git\n  ref:\n    branch: main\n---\n" +
                              ks("via-url", "./apps", "", "flux-system", "same-repo")},
  };
  fs.add("clusters/prod/other.yaml", ks("other", "./other"));
  auto r = load(fs, "clusters/prod");
  REQUIRE(r.diagnostics.empty());
  const World& w = r.world;
  CHECK(names(w) == std::vector<std::string>{"flux-system", "apps", "other", "via-url"});
  const Kustomization& root = w.kustomizations[0];
  CHECK(root.wait);
  REQUIRE(root.timeout.has_value());
  CHECK(root.timeout->count() == 180'000);
  CHECK(root.origin.file == "clusters/prod/flux-system/gotk-sync.yaml");
  // bootstrap applied gotk-components.yaml and gotk-sync.yaml before the root existed
  int preinstalled = 0;
  for (const Resource& o : root.objects) preinstalled += o.preinstalled;
  CHECK(preinstalled == 3);
  // a GitRepository with this repository's URL and branch maps to the checkout
  const Source* same = w.find_source("GitRepository", "flux-system", "same-repo");
  REQUIRE(same);
  CHECK(same->directory == ".");
  CHECK(k_named(w, "via-url").objects.size() == 1);
}

TEST_CASE("a second, different spec for the same Kustomization is a warning; the first builder wins") {
  MemoryFileSource fs{
      {"c/a.yaml", ks("dup", "./x")},
      {"c/b/kustomization.yaml", "resources: [k.yaml]\n"},
      {"c/b/k.yaml", ks("holder", "./y")},
      {"y/dup.yaml", ks("dup", "./z")},
      {"x/cm.yaml", cm("x", "default")},
      {"z/cm.yaml", cm("z", "default")},
  };
  auto r = load(fs, "c");
  const World& w = r.world;
  CHECK(std::count_if(w.kustomizations.begin(), w.kustomizations.end(), [](const auto& k) { return k.ref.name == "dup"; }) == 1);
  CHECK(k_named(w, "dup").path == "./x");
  CHECK(has_warning(w, "different spec"));
}

TEST_CASE("the same name in two namespaces is two Kustomizations; a missing namespace comes from kustomize") {
  MemoryFileSource fs{
      {"c/kustomization.yaml", "resources: [a.yaml, tenant]\n"},
      {"c/a.yaml", ks("app", "./a")},
      {"c/tenant/kustomization.yaml", "namespace: team\nresources: [k.yaml]\n"},
      {"c/tenant/k.yaml",
       "apiVersion: kustomize.toolkit.fluxcd.io/v1beta2\nkind: Kustomization\nmetadata:\n  name: app\nspec:\n  interval: 5m\n"
       "  prune: false\n  path: ./b\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n"
       "  dependsOn:\n    - name: other\n"},
      {"a/cm.yaml", cm("a", "default")},
      {"b/cm.yaml", cm("b", "default")},
  };
  auto r = load(fs, "c");
  const World& w = r.world;
  REQUIRE(w.kustomizations.size() == 3);
  const Kustomization* team = w.find_kustomization("team", "app");
  REQUIRE(team);
  CHECK(team->api_version == "kustomize.toolkit.fluxcd.io/v1beta2");
  CHECK(team->depends_on[0].ns == "team");
  CHECK(w.find_kustomization("flux-system", "app"));
}

TEST_CASE("Flux build rules: targetNamespace, spec.patches, components relative to spec.path, namePrefix") {
  MemoryFileSource fs{
      {"c/app.yaml", ks("app", "./apps/app",
                         "  targetNamespace: web\n  namePrefix: pre-\n  components:\n    - ../../components/extra\n"
                         "  patches:\n    - patch: |\n        - op: replace\n          path: /metadata/name\n          value: patched\n"
                         "      target:\n        kind: ConfigMap\n        name: rename-me\n")},
      {"apps/app/kustomization.yaml", "resources: [cm.yaml]\n"},
      {"apps/app/cm.yaml", cm("rename-me", "ignored") + "---\n" + cm("plain")},
      {"components/extra/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [sa.yaml]\n"},
      {"components/extra/sa.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: extra\n"},
  };
  auto r = load(fs, "c");
  REQUIRE(r.diagnostics.empty());
  const Kustomization& app = k_named(r.world, "app");
  REQUIRE_FALSE(app.build_failure);
  std::vector<std::string> got;
  for (const auto& o : app.objects) got.push_back(to_string(o.ref));
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"ConfigMap/web/pre-patched", "ConfigMap/web/pre-plain", "ServiceAccount/web/pre-extra"});
  CHECK(app.target_namespace == "web");
}

TEST_CASE("a parent's spec.patches rewrite its child Kustomizations, label selectors included") {
  MemoryFileSource fs{
      {"c/apps.yaml", ks("apps", "./apps",
                          "  patches:\n    - patch: |\n        apiVersion: kustomize.toolkit.fluxcd.io/v1\n        kind: Kustomization\n"
                          "        metadata:\n          name: not-used\n        spec:\n          wait: true\n          dependsOn:\n"
                          "            - name: infra\n      target:\n        group: kustomize.toolkit.fluxcd.io\n        kind: Kustomization\n"
                          "        labelSelector: substitution.flux.home.arpa/disabled notin (true)\n")},
      {"apps/a.yaml", ks("a", "./x") + "---\n" +
                          "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: b\n  namespace: flux-system\n"
                          "  labels:\n    substitution.flux.home.arpa/disabled: \"true\"\nspec:\n  interval: 1m\n  prune: true\n  path: ./x\n"
                          "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"},
      {"x/cm.yaml", cm("x", "default")},
  };
  auto r = load(fs, "c");
  const World& w = r.world;
  CHECK(k_named(w, "a").wait);
  REQUIRE(k_named(w, "a").depends_on.size() == 1);
  CHECK(k_named(w, "a").depends_on[0].name == "infra");
  CHECK_FALSE(k_named(w, "b").wait);
  CHECK(k_named(w, "b").depends_on.empty());
}

TEST_CASE("two-level substitution: the parent's variables reach the child's own fields, then the child's apply") {
  MemoryFileSource fs{
      {"c/settings.yaml", cm("cluster-settings", "flux-system", "  CLUSTER: prod\n  DOMAIN: example.com\n")},
      {"c/apps.yaml", ks("apps", "./apps", "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-settings\n")},
      {"apps/podinfo.yaml",
       ks("podinfo-${CLUSTER}", "./deploy/${CLUSTER}/podinfo",
          "  dependsOn:\n    - name: infra-${CLUSTER}\n  postBuild:\n    substitute:\n      APP: podinfo\n      HOST: $${APP}.${DOMAIN}\n")},
      {"deploy/prod/podinfo/cm.yaml", cm("${APP}", "default", "  host: ${HOST}\n  literal: $${NOT_EXPANDED}\n  fallback: ${UNSET:=dflt}\n")},
  };
  auto r = load(fs, "c");
  const World& w = r.world;
  const Kustomization* child = w.find_kustomization("flux-system", "podinfo-prod");
  REQUIRE(child);
  CHECK(child->path == "./deploy/prod/podinfo");
  CHECK(child->depends_on[0].name == "infra-prod");
  REQUIRE_FALSE(child->build_failure);
  REQUIRE(child->objects.size() == 1);
  CHECK(child->objects[0].ref.name == "podinfo");
}

TEST_CASE("an unresolved variable makes that Kustomization BuildFailed, naming the variable and the file") {
  MemoryFileSource fs{
      {"c/app.yaml", ks("app", "./app", "  postBuild:\n    substitute:\n      KNOWN: x\n")},
      {"app/cm.yaml", cm("cm-${KNOWN}", "default", "  a: ${MISSING_VAR}\n")},
      {"c/other.yaml", ks("other", "./other")},
      {"other/cm.yaml", cm("fine", "default")},
  };
  auto r = load(fs, "c");
  REQUIRE(r.diagnostics.empty());
  const Kustomization& app = k_named(r.world, "app");
  REQUIRE(app.build_failure);
  CHECK(app.build_failure->reason == "BuildFailed");
  CHECK(app.build_failure->message.find("MISSING_VAR") != std::string::npos);
  CHECK(app.build_failure->where.file == "app/cm.yaml");
  CHECK(app.objects.empty());
  CHECK_FALSE(k_named(r.world, "other").build_failure);
  CHECK(has_warning(r.world, "MISSING_VAR"));
}

TEST_CASE("substitution opt-out and Kustomizations without variables leave ${} text alone") {
  MemoryFileSource fs{
      {"c/app.yaml", ks("app", "./app", "  postBuild:\n    substitute:\n      A: x\n") + "---\n" + ks("novars", "./novars")},
      {"app/cm.yaml", cm("keep-${B}", "default") + "  labels:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n"},
      {"novars/cm.yaml", cm("literal-${B}", "default")},
  };
  auto r = load(fs, "c");
  CHECK_FALSE(k_named(r.world, "app").build_failure);
  CHECK(k_named(r.world, "app").objects[0].ref.name == "keep-${B}");
  CHECK(k_named(r.world, "novars").objects[0].ref.name == "literal-${B}");
}

TEST_CASE("a SOPS-encrypted Secret is unreadable offline: its variables stay as written, with a warning") {
  MemoryFileSource fs{
      {"c/secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\nstringData:\n"
                        "  TOKEN: ENC[AES256_GCM,data:abc]\nsops:\n  mac: ENC[xyz]\n"},
      {"c/plain.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: plain\n  namespace: flux-system\ndata:\n  USER: YWRtaW4=\n"},
      {"c/app.yaml", ks("app", "./app",
                         "  postBuild:\n    substituteFrom:\n      - {kind: Secret, name: plain}\n      - {kind: Secret, name: cluster-secrets}\n"
                         "      - {kind: ConfigMap, name: optional-missing, optional: true}\n")},
      {"app/cm.yaml", cm("cm", "default", "  user: ${USER}\n  token: ${TOKEN}\n")},
  };
  auto r = load(fs, "c");
  const Kustomization& app = k_named(r.world, "app");
  CHECK_FALSE(app.build_failure);
  CHECK(app.substitute_from.size() == 3);
  CHECK(has_warning(r.world, "TOKEN"));
  CHECK(has_warning(r.world, "SOPS"));
  CHECK_FALSE(has_warning(r.world, "USER"));
}

TEST_CASE("sources: an unmapped source is assumed reachable (a note), or under --strict-offline a warning with no build") {
  MemoryFileSource fs{
      {"c/tenant.yaml",
       "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: tenant\n  namespace: flux-system\n"
       "spec:\n  url: https://github.com/example/tenant\n  ref:\n    branch: dev\n---\n" +
           ks("tenant", "./deploy", "", "flux-system", "tenant") + "---\n" +
           "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: OCIRepository\nmetadata:\n  name: oci\n  namespace: flux-system\n"
           "spec:\n  url: oci://ghcr.io/example/manifests\n  ref:\n    tag: v1\n"},
      {"c/oci.yaml", "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: from-oci\n  namespace: flux-system\n"
                     "spec:\n  interval: 1m\n  prune: true\n  path: ./\n  sourceRef:\n    kind: OCIRepository\n    name: oci\n"},
      {"tenant-checkout/deploy/cm.yaml", cm("tenant-cm", "default")},
  };
  SUBCASE("by default: assumed reachable, each Kustomization built from it applies unknown objects") {
    auto r = load(fs, "c");
    const World& w = r.world;
    const Source* tenant = w.find_source("GitRepository", "flux-system", "tenant");
    REQUIRE(tenant);
    CHECK(tenant->assumed_remote);
    CHECK(tenant->branch == "dev");
    REQUIRE(k_named(w, "tenant").objects.size() == 1);
    CHECK(is_unknown_objects(k_named(w, "tenant").objects[0].ref));
    CHECK_FALSE(k_named(w, "tenant").build_failure);
    CHECK(has_warning(w, "GitRepository/flux-system/tenant"));
    CHECK(has_warning(w, "OCIRepository/flux-system/oci"));
  }
  SUBCASE("--strict-offline: not read, and said so (0.1's answer)") {
    LoadOptions o;
    o.strict_offline = true;
    auto r = load(fs, "c", o);
    const World& w = r.world;
    const Source* tenant = w.find_source("GitRepository", "flux-system", "tenant");
    REQUIRE(tenant);
    CHECK_FALSE(tenant->directory.has_value());
    CHECK(k_named(w, "tenant").objects.empty());
    CHECK_FALSE(k_named(w, "tenant").build_failure);
    CHECK(has_warning(w, "GitRepository/flux-system/tenant"));
    CHECK(has_warning(w, "OCIRepository/flux-system/oci"));
  }
  SUBCASE("mapped by the scenario") {
    LoadOptions o;
    SourceMapping m;
    m.kind = "GitRepository";
    m.name = "tenant";
    m.ns = "flux-system";
    m.path = "tenant-checkout";
    o.sources.push_back(m);
    auto r = load(fs, "c", o);
    const World& w = r.world;
    CHECK(w.find_source("GitRepository", "flux-system", "tenant")->directory == "tenant-checkout");
    REQUIRE(k_named(w, "tenant").objects.size() == 1);
    CHECK(k_named(w, "tenant").objects[0].ref.name == "tenant-cm");
  }
}

TEST_CASE("a GitRepository whose Kustomization applies a path containing itself is this repository") {
  MemoryFileSource fs{
      {"k8s/flux/config/cluster.yaml",
       "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: GitRepository\nmetadata:\n  name: home-ops\n  namespace: flux-system\n"
       "spec:\n  url: ssh://git@github.com/me/home-ops\n  ref:\n    branch: main\n---\n" +
           ks("cluster", "./k8s/flux", "", "flux-system", "home-ops")},
      {"k8s/flux/config/kustomization.yaml", "resources: [cluster.yaml]\n"},
      {"k8s/flux/apps.yaml", ks("cluster-apps", "./k8s/apps", "", "flux-system", "home-ops")},
      {"k8s/apps/cm.yaml", cm("app", "default")},
  };
  auto r = load(fs, "k8s/flux/config");
  const World& w = r.world;
  CHECK(names(w) == std::vector<std::string>{"flux-system", "cluster", "cluster-apps"});
  CHECK(w.find_source("GitRepository", "flux-system", "home-ops")->directory == ".");
  CHECK(k_named(w, "cluster-apps").objects.size() == 1);
  CHECK(k_named(w, "cluster-apps").parent->name == "cluster");
}

TEST_CASE("spec.path that does not exist is ArtifactFailed; one that climbs out is clamped like securejoin") {
  MemoryFileSource fs{
      {"c/a.yaml", ks("missing", "./not/there") + "---\n" + ks("escaping", "../../../etc")},
      {"etc/cm.yaml", cm("inside-the-repo", "default")},
  };
  auto r = load(fs, "c");
  REQUIRE(r.diagnostics.empty());
  const Kustomization& missing = k_named(r.world, "missing");
  REQUIRE(missing.build_failure);
  CHECK(missing.build_failure->reason == "ArtifactFailed");
  CHECK(missing.build_failure->where.file == "c/a.yaml");
  const Kustomization& esc = k_named(r.world, "escaping");
  CHECK_FALSE(esc.build_failure);
  REQUIRE(esc.objects.size() == 1);
  CHECK(esc.objects[0].ref.name == "inside-the-repo");
  CHECK(has_warning(r.world, "climbs above"));
}

TEST_CASE("resource facts: CRD kinds, skipped objects, LoadBalancer services; HelmReleases with defaults") {
  MemoryFileSource fs{
      {"c/objs.yaml",
       "apiVersion: v1\nkind: Service\nmetadata:\n  name: lb\n  namespace: web\nspec:\n  type: LoadBalancer\n---\n"
       "apiVersion: v1\nkind: Service\nmetadata:\n  name: internal\n  namespace: web\n---\n" +
           cm("ignored", "web") + "  annotations:\n    kustomize.toolkit.fluxcd.io/reconcile: disabled\n---\n" +
           cm("ssa-ignored", "web") + "  annotations:\n    kustomize.toolkit.fluxcd.io/ssa: Ignore\n---\n"
           "apiVersion: helm.toolkit.fluxcd.io/v2beta1\nkind: HelmRelease\nmetadata:\n  name: podinfo\n  namespace: web\nspec:\n"
           "  interval: 5m\n  timeout: 10m\n  dependsOn:\n    - name: redis\n  chart:\n    spec:\n      chart: podinfo\n      sourceRef:\n"
           "        kind: HelmRepository\n        name: podinfo\n        namespace: flux-system\n  install:\n    remediation:\n      retries: 3\n"},
  };
  auto r = load(fs, "c");
  const Kustomization& root = r.world.kustomizations[0];
  auto find = [&](const std::string& name) {
    for (const auto& o : root.objects)
      if (o.ref.name == name) return o;
    FAIL("no object " << name);
    return root.objects[0];
  };
  CHECK(find("lb").load_balancer);
  CHECK_FALSE(find("internal").load_balancer);
  CHECK(find("ignored").skipped);
  CHECK(find("ssa-ignored").skipped);
  REQUIRE(r.world.helm_releases.size() == 1);
  const HelmRelease& h = r.world.helm_releases[0];
  CHECK(h.ref.ns == "web");
  CHECK(h.parent == root.ref);
  CHECK(h.interval.count() == 300'000);
  CHECK(h.timeout->count() == 600'000);
  CHECK(h.install_retries == 3);
  CHECK(h.depends_on[0].ns == "web");
  REQUIRE(h.chart_source);
  CHECK(h.chart_source->kind == "HelmRepository");
  CHECK(h.chart_source->ns == "flux-system");
  CHECK(h.chart == "podinfo");
}

TEST_CASE("inline manifests are applied by the root as if they were in the entry, with scenario line numbers") {
  MemoryFileSource fs{{"c/cm.yaml", cm("from-repo", "default")}, {"x/cm.yaml", cm("x", "default")}};
  LoadOptions o;
  o.manifests = "---\n" + ks("inline", "./x");
  o.manifests_at = SourceLocation{"scenario.yaml", 10, 3};
  auto r = load(fs, "c", o);
  REQUIRE(r.diagnostics.empty());
  const Kustomization& inline_ks = k_named(r.world, "inline");
  CHECK(inline_ks.origin.file == "scenario.yaml");
  CHECK(inline_ks.origin.line == 12);
  CHECK(inline_ks.parent->name == "flux-system");
  CHECK(inline_ks.objects.size() == 1);
}

TEST_CASE("input errors: missing repository, missing entry, unparsable manifests, several entries") {
  MemoryFileSource empty;
  MemoryFileSource fs{{"a/cm.yaml", cm("a")}};
  SUBCASE("no repository") {
    auto gone = make_disk_file_source("/nonexistent/fluxsim/repo");
    auto r = load_world(*gone, "/nonexistent/fluxsim/repo", LoadOptions{});
    REQUIRE(r.diagnostics.has_errors());
    CHECK(r.diagnostics.first_error()->message.find("/nonexistent/fluxsim/repo") != std::string::npos);
  }
  SUBCASE("entry path missing") {
    auto r = load(fs, "clusters/nope");
    REQUIRE(r.diagnostics.has_errors());
    CHECK(r.diagnostics.first_error()->message.find("clusters/nope") != std::string::npos);
  }
  SUBCASE("manifests do not parse") {
    LoadOptions o;
    o.manifests = "a: [1,\n";
    o.manifests_at = SourceLocation{"scenario.yaml", 7, 1};
    auto r = load(fs, "a", o);
    REQUIRE(r.diagnostics.has_errors());
    CHECK(r.diagnostics.first_error()->where.file == "scenario.yaml");
    CHECK(r.diagnostics.first_error()->where.line >= 8);
  }
  SUBCASE("several entries and none chosen") {
    MemoryFileSource two{{"clusters/a/flux-system/gotk-sync.yaml", "# placeholder\n"},
                         {"clusters/b/flux-system/gotk-sync.yaml", "# placeholder\n"}};
    auto r = load(two, "");
    REQUIRE(r.diagnostics.has_errors());
    std::string msg = r.diagnostics.first_error()->message;
    CHECK(msg.find("clusters/a") != std::string::npos);
    CHECK(msg.find("clusters/b") != std::string::npos);
    CHECK_FALSE(r.diagnostics.first_error()->hint.empty());
  }
  SUBCASE("no entry found") {
    auto r = load(fs, "");
    CHECK(r.diagnostics.has_errors());
  }
}

TEST_CASE("each file is read once per load however many Kustomizations include it, and unreferenced files never") {
  MemoryFileSource fs{
      {"c/ks.yaml", ks("a", "./a") + "---\n" + ks("b", "./b") + "---\n" + ks("c", "./a", "  namePrefix: c-\n")},
      {"a/kustomization.yaml", "resources: [../shared]\n"},
      {"b/kustomization.yaml", "namePrefix: b-\nresources: [../shared]\n"},
      {"shared/kustomization.yaml", "resources: [cm.yaml]\n"},
      {"shared/cm.yaml", cm("shared", "default")},
      {"unused/never.yaml", "this: [is not even valid"},
  };
  auto r = load(fs, "c");
  CHECK(r.world.kustomizations.size() == 4);
  CHECK(fs.reads("shared/cm.yaml") == 1);
  CHECK(fs.reads("unused/never.yaml") == 0);  // a file nothing references is never read
  CHECK(fs.reads("shared/kustomization.yaml") == 1);
  CHECK(r.stats.files_read == 5);
  CHECK(r.stats.builds == 4);
}

TEST_CASE("load_world(Scenario) reads the repository from disk") {
  fluxsim::test::ScratchDir dir("scenario");
  dir.write("clusters/prod/a.yaml", ks("a", "./apps"));
  dir.write("apps/cm.yaml", cm("x", "default"));
  Scenario s;
  s.repo = dir.path().string();
  s.entry = "clusters/prod";
  s.root.name = "root";
  auto r = load_world(s);
  REQUIRE(r.diagnostics.empty());
  CHECK(r.world.kustomizations[0].ref.name == "root");
  CHECK(r.world.kustomizations.size() == 2);
  CHECK(r.world.repo_root == s.repo);
}

TEST_CASE("a Kustomization waits for sources and substitution data that later builds declare") {
  MemoryFileSource fs{
      // "a-consumer" is found (and would be built) before "z-provider", whose build declares both the
      // GitRepository it uses and the ConfigMap it substitutes from.
      {"c/a.yaml", ks("a-consumer", "./deploy", "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: late-settings\n",
                      "flux-system", "late-source")},
      {"c/z.yaml", ks("z-provider", "./provider")},
      {"provider/src.yaml",
       "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: late-source\n  namespace: flux-system\n"
       "spec:\n  url: https://example.com/other\n"},
      {"provider/settings.yaml", cm("late-settings", "flux-system", "  NAME: from-late-settings\n")},
      {"other-checkout/deploy/cm.yaml", cm("${NAME}", "default")},
  };
  LoadOptions o;
  SourceMapping m;
  m.name = "late-source";
  m.path = "other-checkout";
  o.sources.push_back(m);
  auto r = load(fs, "c", o);
  const World& w = r.world;
  CHECK(names(w) == std::vector<std::string>{"flux-system", "a-consumer", "z-provider"});
  const Kustomization& consumer = k_named(w, "a-consumer");
  REQUIRE_FALSE(consumer.build_failure);
  REQUIRE(consumer.objects.size() == 1);
  CHECK(consumer.objects[0].ref.name == "from-late-settings");
  const Source* late = w.find_source("GitRepository", "flux-system", "late-source");
  REQUIRE(late);
  CHECK_FALSE(late->exists_at_start);
  CHECK(late->directory == "other-checkout");
}

TEST_CASE("a source declared only in the scenario exists at start; a missing ConfigMap is noted, not fatal") {
  MemoryFileSource fs{
      {"c/a.yaml", ks("app", "./deploy", "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: nowhere\n",
                      "flux-system", "declared-in-scenario")},
      {"ext/deploy/cm.yaml", cm("app-${CLUSTER:=dev}", "default")},
  };
  LoadOptions o;
  SourceMapping m;
  m.name = "declared-in-scenario";
  m.path = "ext";
  o.sources.push_back(m);
  auto r = load(fs, "c", o);
  const World& w = r.world;
  const Source* s = w.find_source("GitRepository", "flux-system", "declared-in-scenario");
  REQUIRE(s);
  CHECK(s->exists_at_start);
  const Kustomization& app = k_named(w, "app");
  REQUIRE_FALSE(app.build_failure);
  REQUIRE(app.objects.size() == 1);
  CHECK(app.objects[0].ref.name == "app-dev");
  CHECK(has_warning(w, "ConfigMap/nowhere"));
}

TEST_CASE("a root adopted from gotk-sync with spec.patches rebuilds the entry with them") {
  MemoryFileSource fs{
      {"c/flux-system/kustomization.yaml", "resources: [gotk-sync.yaml]\n"},
      {"c/flux-system/gotk-sync.yaml",
       ks("flux-system", "./c", "  patches:\n    - patch: |\n        - op: add\n          path: /metadata/labels\n          value: {patched: \"yes\"}\n"
                             "      target:\n        kind: ConfigMap\n")},
      {"c/cm.yaml", cm("plain", "default")},
  };
  auto r = load(fs, "c");
  REQUIRE(r.world.kustomizations.size() == 1);
  CHECK(r.stats.builds == 2);
  CHECK(r.world.kustomizations[0].objects.size() == 2);
}

TEST_CASE("a build redone after waiting reports its warnings once") {
  MemoryFileSource fs{
      {"c/a.yaml", ks("a-waits", "./a", "  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: settings\n")},
      {"c/z.yaml", ks("z-provides", "./z")},
      {"a/kustomization.yaml", "resources:\n  - https://example.com/remote.yaml\n  - cm.yaml\n"},
      {"a/cm.yaml", cm("a-${V}", "default")},
      {"z/settings.yaml", cm("settings", "flux-system", "  V: ok\n")},
  };
  auto r = load(fs, "c");
  CHECK(k_named(r.world, "a-waits").objects[0].ref.name == "a-ok");
  int remote = 0;
  for (const auto& d : r.world.diagnostics) remote += d.message.find("remote resource") != std::string::npos;
  CHECK(remote == 1);
}

TEST_CASE("kustomization.yaml field names match case-insensitively, as kustomize's Go JSON decoding does") {
  MemoryFileSource fs{
      {"c/kustomization.yaml", "apiversion: kustomize.config.k8s.io/v1beta1\nKind: Kustomization\nResources:\n  - cm.yaml\nNAMESPACE: apps\n"},
      {"c/cm.yaml", cm("settings")},
      // A later key for the same field replaces the earlier one (encoding/json decodes both in turn).
      {"d/kustomization.yaml", "resources: [a.yaml]\nRESOURCES: [b.yaml]\n"},
      {"d/a.yaml", cm("a", "default")},
      {"d/b.yaml", cm("b", "default")},
  };
  auto r = load(fs, "c");
  const Kustomization& root = r.world.kustomizations[0];
  CHECK_FALSE(root.build_failure);
  REQUIRE(root.objects.size() == 1);
  CHECK(root.objects[0].ref.ns == "apps");
  auto d = load(fs, "d");
  REQUIRE(d.world.kustomizations[0].objects.size() == 1);
  CHECK(d.world.kustomizations[0].objects[0].ref.name == "b");
  // A field kustomize does not know in any spelling still fails, as kustomize does.
  MemoryFileSource bad{{"c/kustomization.yaml", "resourcez: [cm.yaml]\n"}, {"c/cm.yaml", cm("x")}};
  auto b = load(bad, "c");
  REQUIRE(b.world.kustomizations[0].build_failure);
  CHECK(b.world.kustomizations[0].build_failure->message.find("unknown field \"resourcez\"") != std::string::npos);
}

TEST_CASE("a Kustomization in flux-system/gotk-components.yaml is created by the root and reconciled like any other") {
  MemoryFileSource fs{
      {"c/flux-system/kustomization.yaml", "resources: [gotk-components.yaml, gotk-sync.yaml]\n"},
      {"c/flux-system/gotk-components.yaml",
       "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n---\n" + ks("extra", "./extra")},
      {"c/flux-system/gotk-sync.yaml", ks("flux-system", "./c")},
      {"extra/cm.yaml", cm("extra", "default")},
  };
  auto r = load(fs, "c");
  const World& w = r.world;
  REQUIRE(w.kustomizations.size() == 2);
  const Kustomization& extra = k_named(w, "extra");
  CHECK(extra.parent->name == "flux-system");
  CHECK(extra.objects.size() == 1);
  for (const Resource& o : w.kustomizations[0].objects) {
    CAPTURE(to_string(o.ref));
    // The Namespace and the root itself are bootstrap's; the extra Kustomization is the root's to apply.
    CHECK(o.preinstalled == (o.ref.kind != "Kustomization" || o.ref.name == "flux-system"));
  }
}

TEST_CASE("an error about a relative repository path names it once") {
  fluxsim::test::TempDir dir("fluxsim-relative-repo");
  dir.write("manifests/cm.yaml", cm("x", "default"));
  Scenario s;
  s.repo = std::filesystem::relative(dir.path()).generic_string();
  REQUIRE(s.repo.front() != '/');
  auto r = load_world(s);
  REQUIRE(r.diagnostics.has_errors());
  const Diagnostic& e = *r.diagnostics.begin();
  CHECK(e.where.file == s.repo);
  CHECK(e.message.find("no entry point found in " + s.repo + ":") != std::string::npos);
}
