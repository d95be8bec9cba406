// SPDX-License-Identifier: Apache-2.0
// The real repositories of ../shared/corpus, each entry: entry discovery, the number of Flux
// Kustomizations and dependsOn edges (counted by hand and with an independent script over the
// files, see the comments), and a stated reason for every Kustomization that gets no objects.
// Skips (tests/skip.h: CTest reports it skipped) when the corpus is absent (FLUXSIM_CORPUS overrides its path).
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "fluxsim/load.h"
#include "skip.h"
#include "test_util.h"

using namespace fluxsim;

namespace {

struct Loaded {
  WorldLoad load;
  std::size_t edges = 0;
};

Loaded load_corpus(const std::string& repo, const std::string& entry) {
  std::string dir = test::corpus_dir() + "/" + repo;
  auto files = make_disk_file_source(dir);
  LoadOptions o;
  o.entry = entry;
  Loaded l{load_world(*files, dir, o), 0};
  for (const auto& k : l.load.world.kustomizations) l.edges += k.depends_on.size();
  return l;
}

// Every Kustomization either built, failed with a BuildFailure, or is named in a warning (its source
// is unmapped, undefined, ...): nothing is silently empty.
void check_reasons(const World& w) {
  for (const auto& k : w.kustomizations) {
    if (!k.objects.empty() || k.build_failure) continue;
    const Source* s = w.find_source(k.source_ref.kind, k.source_ref.ns, k.source_ref.name);
    bool stated = !s || !s->directory;
    for (const auto& d : w.diagnostics)
      if (d.object == to_string(k.ref)) stated = true;
    CHECK_MESSAGE(stated, to_string(k.ref) << " has no objects and no stated reason");
  }
}

#define REQUIRE_CORPUS()                                                                                  \
  if (test::corpus_dir().empty()) {                                                                       \
    test::skip("corpus of real repositories not found (../shared/corpus beside the checkout, or set FLUXSIM_CORPUS)"); \
    return;                                                                                               \
  }

}  // namespace

TEST_CASE("corpus flux2-kustomize-helm-example: two clusters, three Kustomizations each, chain of two edges") {
  REQUIRE_CORPUS();
  // Hand count: clusters/<c>/apps.yaml holds apps (dependsOn infra-configs); infrastructure.yaml holds
  // infra-controllers and infra-configs (dependsOn infra-controllers). flux-system/ only has
  // comment-only gotk placeholders. 3 Kustomizations + the implicit root, 2 edges.
  auto files = make_disk_file_source(test::corpus_dir() + "/flux2-kustomize-helm-example");
  auto entries = discover_entries(*files);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].path == "clusters/production");
  CHECK(entries[1].path == "clusters/staging");
  auto none = load_corpus("flux2-kustomize-helm-example", "");
  CHECK(none.load.diagnostics.has_errors());
  for (const char* entry : {"clusters/production", "clusters/staging"}) {
    CAPTURE(entry);
    auto l = load_corpus("flux2-kustomize-helm-example", entry);
    REQUIRE_FALSE(l.load.diagnostics.has_errors());
    const World& w = l.load.world;
    CHECK(w.kustomizations.size() == 4);
    CHECK(l.edges == 2);
    CHECK(w.helm_releases.size() == 3);  // podinfo, cert-manager, ingress-nginx
    for (const auto& k : w.kustomizations) CHECK_FALSE(k.build_failure);
    const Kustomization* apps = w.find_kustomization("flux-system", "apps");
    REQUIRE(apps);
    CHECK(apps->wait);
    CHECK(apps->timeout->count() == 300'000);
    check_reasons(w);
  }
}

TEST_CASE("corpus flux2-multi-tenancy: five Kustomizations per cluster, the tenant's branch is external") {
  REQUIRE_CORPUS();
  // Hand count: clusters/<c>/infrastructure.yaml (kyverno, kyverno-policies -> kyverno),
  // tenants.yaml (tenants -> kyverno-policies); infrastructure/kyverno/sync.yaml (kyverno-controller,
  // OCIRepository); tenants/base/dev-team/sync.yaml (dev-team in namespace apps, patched per cluster).
  // The two *-patch.yaml files are partial Kustomizations used as patches, not objects.
  for (const char* entry : {"clusters/production", "clusters/staging"}) {
    CAPTURE(entry);
    auto l = load_corpus("flux2-multi-tenancy", entry);
    REQUIRE_FALSE(l.load.diagnostics.has_errors());
    const World& w = l.load.world;
    CHECK(w.kustomizations.size() == 6);
    CHECK(l.edges == 2);
    const Kustomization* dev = w.find_kustomization("apps", "dev-team");
    REQUIRE(dev);
    CHECK(dev->path == (std::string(entry) == "clusters/production" ? "./production" : "./staging"));
    const Source* tenant = w.find_source("GitRepository", "apps", "dev-team");
    REQUIRE(tenant);
    CHECK(tenant->branch == "dev-team");
    CHECK_FALSE(tenant->directory.has_value());  // same URL, another branch: external
    const Source* oci = w.find_source("OCIRepository", "flux-system", "kyverno-controller");
    REQUIRE(oci);
    CHECK_FALSE(oci->directory.has_value());
    check_reasons(w);
  }
}

TEST_CASE("corpus onedr0p-home-ops-2023: a self-referencing root, 94 Kustomizations, 139 dependsOn edges") {
  REQUIRE_CORPUS();
  // Counted with an independent script (PyYAML, kustomize resources and Flux's generated
  // kustomization, following GitRepository paths from kubernetes/flux/config): 94 Flux
  // Kustomizations (flux, cluster, cluster-apps and 91 app Kustomizations), 139 dependsOn entries.
  // kubernetes/archive/ is never reached.
  auto files = make_disk_file_source(test::corpus_dir() + "/onedr0p-home-ops-2023");
  auto entries = discover_entries(*files);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].path == "kubernetes/flux/config");
  auto l = load_corpus("onedr0p-home-ops-2023", "");
  REQUIRE_FALSE(l.load.diagnostics.has_errors());
  const World& w = l.load.world;
  CHECK(w.entry == "kubernetes/flux/config");
  CHECK(w.kustomizations.size() == 95);
  CHECK(l.edges == 139);
  for (const auto& k : w.kustomizations) CHECK(k.ref.name.find("archive") == std::string::npos);
  // cluster-apps' label-selected patch injects substituteFrom into its 91 app Kustomizations.
  int injected = 0;
  for (const auto& k : w.kustomizations)
    if (k.parent && k.parent->name == "cluster-apps" && k.substitute_from.size() == 2) ++injected;
  CHECK(injected == 91);
  const Kustomization* cluster = w.find_kustomization("flux-system", "cluster");
  REQUIRE(cluster);
  CHECK(cluster->parent->name == "flux-system");
  CHECK(w.find_source("GitRepository", "flux-system", "home-ops-kubernetes")->directory == ".");
  // Only the Kustomization whose generator input (./Corefile) is missing from the corpus fails.
  std::vector<std::string> failed;
  for (const auto& k : w.kustomizations)
    if (k.build_failure) failed.push_back(k.ref.name);
  CHECK(failed == std::vector<std::string>{"cluster-apps-k8s-gateway"});
  CHECK(w.helm_releases.size() >= 80);
  check_reasons(w);
}

TEST_CASE("corpus buroa-k8s-gitops: flux-operator entry, 71 Kustomizations, 44 dependsOn edges") {
  REQUIRE_CORPUS();
  // Counted with the same independent script from kubernetes/flux/cluster (the sync.path of the
  // flux-instance HelmRelease): 71 Flux Kustomizations, 44 dependsOn entries. 69 of them get their
  // namespace from a kustomization.yaml `namespace:`.
  auto files = make_disk_file_source(test::corpus_dir() + "/buroa-k8s-gitops");
  auto entries = discover_entries(*files);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].path == "kubernetes/flux/cluster");
  CHECK(entries[0].how.find("HelmRelease") != std::string::npos);
  auto l = load_corpus("buroa-k8s-gitops", "");
  REQUIRE_FALSE(l.load.diagnostics.has_errors());
  const World& w = l.load.world;
  CHECK(w.kustomizations.size() == 72);
  CHECK(l.edges == 44);
  int cross_namespace = 0;
  for (const auto& k : w.kustomizations)
    for (const auto& d : k.depends_on) cross_namespace += d.ns != k.ref.ns;
  CHECK(cross_namespace == 26);
  // Every namespace came from the manifests or the parent's kustomization.yaml, none was guessed.
  for (const auto& d : w.diagnostics) CHECK(d.message.find("has no namespace") == std::string::npos);
  const Kustomization* atuin = w.find_kustomization("default", "atuin");
  REQUIRE(atuin);
  CHECK(atuin->target_namespace == "default");
  CHECK(atuin->objects.size() > 0);
  // Only the Kustomization whose generator input is missing from the corpus fails.
  std::vector<std::string> failed;
  for (const auto& k : w.kustomizations)
    if (k.build_failure) failed.push_back(k.ref.name);
  CHECK(failed == std::vector<std::string>{"kopia"});
  check_reasons(w);
}
