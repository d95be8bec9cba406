// SPDX-License-Identifier: Apache-2.0
// kustomize build, one feature per test case, from inline YAML. Expected names were checked with
// `kubectl kustomize` (kustomize v5.5); tests/kustomize_kubectl_test.cc repeats that check on disk.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "load/kustomize.h"
#include "test_util.h"

using fluxsim::FileSource;
using fluxsim::load::BuildResult;
using fluxsim::load::FluxOverlay;
using fluxsim::load::Kustomizer;
using fluxsim::load::KustomizeOptions;
using fluxsim::load::Node;
using fluxsim::load::RepoFiles;
using fluxsim::test::MemoryFileSource;

namespace {

BuildResult build(const FileSource& files, const std::string& dir, const FluxOverlay* overlay = nullptr,
                  KustomizeOptions options = {}) {
  RepoFiles cache(files);
  Kustomizer k(cache, options);
  return k.build(dir, overlay);
}

// "Kind namespace/name" of every object, sorted.
std::vector<std::string> ids(const BuildResult& r) {
  std::vector<std::string> out;
  for (const auto& o : r.objects) out.push_back(o.kind() + " " + o.ns() + "/" + o.name());
  std::sort(out.begin(), out.end());
  return out;
}

const fluxsim::load::KObject* find(const BuildResult& r, const std::string& kind, const std::string& name) {
  for (const auto& o : r.objects)
    if (o.kind() == kind && o.name() == name) return &o;
  return nullptr;
}

const char* kConfigMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ";

}  // namespace

TEST_CASE("resources take files and nested kustomization directories") {
  MemoryFileSource fs{
      {"app/kustomization.yaml", "resources: [cm.yaml, ../base]\n"},
      {"app/cm.yaml", std::string(kConfigMap) + "app\n"},
      {"base/kustomization.yml", "resources: [svc.yaml]\n"},
      {"base/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: web}\n"},
  };
  auto r = build(fs, "app");
  REQUIRE_FALSE(r.error);
  CHECK(ids(r) == std::vector<std::string>{"ConfigMap /app", "Service web/svc"});
  CHECK(r.objects[0].origin.file == "app/cm.yaml");
  CHECK(r.objects[0].origin.line == 1);
}

TEST_CASE("a directory without a kustomization file gets Flux's generated one") {
  MemoryFileSource fs{
      {"apps/a.yaml", std::string(kConfigMap) + "a\n"},
      {"apps/notes.txt", "ignored"},
      {"apps/sub/b.yml", std::string(kConfigMap) + "b\n"},
      {"apps/unit/kustomization.yaml", "namespace: unit\nresources: [c.yaml]\n"},
      {"apps/unit/c.yaml", std::string(kConfigMap) + "c\n"},
      {"apps/unit/not-listed.yaml", std::string(kConfigMap) + "never\n"},
      {"apps/.github/workflow.yaml", "name: ci\n"},
  };
  auto r = build(fs, "apps");
  REQUIRE_FALSE(r.error);
  CHECK(ids(r) == std::vector<std::string>{"ConfigMap /a", "ConfigMap /b", "ConfigMap unit/c"});
  KustomizeOptions kubectl;
  kubectl.flux_generate = false;
  CHECK(build(fs, "apps", nullptr, kubectl).error);
}

TEST_CASE("the generated kustomization fails on a YAML file that is not a Kubernetes object") {
  MemoryFileSource fs{{"apps/values.yaml", "replicas: 3\n"}};
  auto r = build(fs, "apps");
  REQUIRE(r.error);
  CHECK(r.error->message.find("failed to decode Kubernetes YAML from apps/values.yaml") != std::string::npos);
}

TEST_CASE("components add resources and transform the whole accumulation") {
  MemoryFileSource fs{
      {"app/kustomization.yaml", "namespace: apps\nresources: [deploy.yaml]\ncomponents: [../comp]\n"},
      {"app/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"},
      {"comp/kustomization.yaml",
       "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [sa.yaml]\nnamePrefix: c-\n"},
      {"comp/sa.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n"},
  };
  auto r = build(fs, "app");
  REQUIRE_FALSE(r.error);
  CHECK(ids(r) == std::vector<std::string>{"Deployment apps/c-web", "ServiceAccount apps/c-sa"});
}

TEST_CASE("a component listed as a resource, or a kustomization listed as a component, is an error") {
  MemoryFileSource fs{
      {"a/kustomization.yaml", "resources: [../comp]\n"},
      {"b/kustomization.yaml", "components: [../plain]\n"},
      {"comp/kustomization.yaml", "kind: Component\nnamePrefix: x-\n"},
      {"plain/kustomization.yaml", "namePrefix: y-\n"},
  };
  CHECK(build(fs, "a").error);
  CHECK(build(fs, "b").error);
}

TEST_CASE("namespace sets namespaced objects, renames Namespace objects, leaves cluster-scoped kinds") {
  MemoryFileSource fs{
      {"k/kustomization.yaml", "namespace: team\nresources: [o.yaml]\n"},
      {"k/o.yaml",
       "apiVersion: v1\nkind: Namespace\nmetadata: {name: old}\n---\n"
       "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cr}\n---\n"
       "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: ci}\n---\n"
       "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: other}\n"},
  };
  auto r = build(fs, "k");
  REQUIRE_FALSE(r.error);
  // kustomize does not know ClusterIssuer (a custom kind) is cluster-scoped: it gets the namespace.
  CHECK(ids(r) == std::vector<std::string>{"ClusterIssuer team/ci", "ClusterRole /cr", "Deployment team/d", "Namespace /team"});
}

TEST_CASE("namePrefix and nameSuffix skip CRDs, Namespaces and APIServices") {
  MemoryFileSource fs{
      {"k/kustomization.yaml", "namePrefix: p-\nnameSuffix: -s\nresources: [o.yaml]\n"},
      {"k/o.yaml",
       "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a.example.com}\n---\n"
       "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n---\n"
       "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: v1.x}\n---\n"
       "apiVersion: v1\nkind: Service\nmetadata: {name: svc}\n"},
  };
  auto r = build(fs, "k");
  REQUIRE_FALSE(r.error);
  CHECK(ids(r) == std::vector<std::string>{"APIService /v1.x", "CustomResourceDefinition /a.example.com", "Namespace /ns",
                                           "Service /p-svc-s"});
}

TEST_CASE("labels, commonLabels and commonAnnotations land in metadata") {
  MemoryFileSource fs{
      {"k/kustomization.yaml",
       "resources: [o.yaml]\ncommonLabels: {team: a}\nlabels:\n  - pairs: {tier: web}\ncommonAnnotations: {owner: b}\n"},
      {"k/o.yaml", std::string(kConfigMap) + "cm\n"},
  };
  auto r = build(fs, "k");
  REQUIRE_FALSE(r.error);
  const Node& n = r.objects[0].node;
  CHECK(n.text({"metadata", "labels", "team"}) == "a");
  CHECK(n.text({"metadata", "labels", "tier"}) == "web");
  CHECK(n.text({"metadata", "annotations", "owner"}) == "b");
}

TEST_CASE("patches select targets by kind, name pattern and set-based label selectors") {
  MemoryFileSource fs{
      {"k/kustomization.yaml",
       "resources: [o.yaml]\n"
       "patches:\n"
       "  - target: {kind: ConfigMap, labelSelector: \"tier in (web,api),stage notin (old),!skip\"}\n"
       "    patch: |\n"
       "      - op: add\n"
       "        path: /metadata/annotations\n"
       "        value: {patched: \"yes\"}\n"
       "  - target: {kind: ConfigMap, name: \"rename-.*\"}\n"
       "    patch: |\n"
       "      - {op: replace, path: /metadata/name, value: renamed}\n"},
      {"k/o.yaml",
       std::string(kConfigMap) + "web\n  labels: {tier: web}\n---\n" + kConfigMap + "old\n  labels: {tier: web, stage: old}\n---\n" +
           kConfigMap + "skipped\n  labels: {tier: api, skip: x}\n---\n" + kConfigMap + "rename-me\n"},
  };
  auto r = build(fs, "k");
  REQUIRE_FALSE(r.error);
  CHECK(find(r, "ConfigMap", "web")->node.text({"metadata", "annotations", "patched"}) == "yes");
  CHECK(find(r, "ConfigMap", "old")->node.at({"metadata", "annotations"}) == nullptr);
  CHECK(find(r, "ConfigMap", "skipped")->node.at({"metadata", "annotations"}) == nullptr);
  CHECK(find(r, "ConfigMap", "renamed") != nullptr);
}

TEST_CASE("a strategic-merge patch with a target keeps the target's identity and replaces custom lists") {
  MemoryFileSource fs{
      {"k/kustomization.yaml",
       "resources: [ks.yaml]\n"
       "patches:\n"
       "  - target: {group: kustomize.toolkit.fluxcd.io, kind: Kustomization}\n"
       "    patch: |\n"
       "      apiVersion: kustomize.toolkit.fluxcd.io/v1\n"
       "      kind: Kustomization\n"
       "      metadata: {name: placeholder}\n"
       "      spec:\n"
       "        dependsOn: [{name: infra}]\n"
       "        wait: true\n"},
      {"k/ks.yaml",
       "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps}\n"
       "spec: {dependsOn: [{name: other}], wait: false}\n"},
  };
  auto r = build(fs, "k");
  REQUIRE_FALSE(r.error);
  REQUIRE(r.objects.size() == 1);
  const Node& n = r.objects[0].node;
  CHECK(r.objects[0].name() == "apps");
  REQUIRE(n.at({"spec", "dependsOn"})->items.size() == 1);
  CHECK(n.at({"spec", "dependsOn"})->items[0].text({"name"}) == "infra");
  CHECK(n.at({"spec", "wait"})->as_bool() == true);
}

TEST_CASE("strategic merge on built-in kinds merges containers by name") {
  MemoryFileSource fs{
      {"k/kustomization.yaml",
       "resources: [d.yaml]\npatches:\n  - path: p.yaml\n"},
      {"k/d.yaml",
       "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n"
       "        - {name: app, image: a:1}\n        - {name: side, image: s:1}\n"},
      {"k/p.yaml",
       "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n"
       "        - {name: app, image: a:2}\n"},
  };
  auto r = build(fs, "k");
  REQUIRE_FALSE(r.error);
  const Node* cs = r.objects[0].node.at({"spec", "template", "spec", "containers"});
  REQUIRE(cs->items.size() == 2);
  CHECK(cs->items[0].text({"image"}) == "a:2");
  CHECK(cs->items[1].text({"image"}) == "s:1");
}

TEST_CASE("$patch: delete removes the object; a patch without target must match exactly one object") {
  MemoryFileSource fs{
      {"k/kustomization.yaml",
       "resources: [o.yaml]\npatchesStrategicMerge:\n  - |\n    $patch: delete\n    apiVersion: v1\n    kind: ConfigMap\n"
       "    metadata: {name: gone}\n"},
      {"k/o.yaml", std::string(kConfigMap) + "gone\n---\n" + kConfigMap + "kept\n"},
      {"bad/kustomization.yaml",
       "resources: [o.yaml]\npatches:\n  - patch: |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata: {name: absent}\n"},
      {"bad/o.yaml", std::string(kConfigMap) + "kept\n"},
  };
  auto r = build(fs, "k");
  REQUIRE_FALSE(r.error);
  CHECK(ids(r) == std::vector<std::string>{"ConfigMap /kept"});
  auto bad = build(fs, "bad");
  REQUIRE(bad.error);
  CHECK(bad.error->where.file == "bad/kustomization.yaml");
}

TEST_CASE("patchesJson6902 from a file renames its target; a failing operation names the object") {
  MemoryFileSource fs{
      {"k/kustomization.yaml",
       "resources: [o.yaml]\npatchesJson6902:\n  - target: {version: v1, kind: ConfigMap, name: a}\n    path: ops.yaml\n"},
      {"k/ops.yaml", "- {op: replace, path: /metadata/name, value: b}\n- {op: add, path: /data, value: {k: v}}\n"},
      {"k/o.yaml", std::string(kConfigMap) + "a\n"},
      {"bad/kustomization.yaml",
       "resources: [o.yaml]\npatchesJson6902:\n  - target: {kind: ConfigMap, name: a}\n    patch: '[{\"op\": \"remove\", \"path\": \"/data/x\"}]'\n"},
      {"bad/o.yaml", std::string(kConfigMap) + "a\n"},
  };
  auto r = build(fs, "k");
  REQUIRE_FALSE(r.error);
  CHECK(ids(r) == std::vector<std::string>{"ConfigMap /b"});
  CHECK(r.objects[0].node.text({"data", "k"}) == "v");
  auto bad = build(fs, "bad");
  REQUIRE(bad.error);
  CHECK(bad.error->message.find("ConfigMap") != std::string::npos);
}

TEST_CASE("replacements copy a field into selected targets, creating it when asked") {
  MemoryFileSource fs{
      {"k/kustomization.yaml",
       "resources: [o.yaml]\n"
       "replacements:\n"
       "  - source: {kind: ConfigMap, name: settings, fieldPath: data.NS}\n"
       "    targets:\n"
       "      - select: {kind: Kustomization}\n"
       "        reject: [{name: keep}]\n"
       "        fieldPaths: [spec.targetNamespace, metadata.namespace]\n"
       "        options: {create: true}\n"},
      {"k/o.yaml",
       std::string(kConfigMap) + "settings\ndata: {NS: tenants}\n---\n"
       "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: t}\n---\n"
       "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: keep, namespace: flux-system}\n"},
  };
  auto r = build(fs, "k");
  REQUIRE_FALSE(r.error);
  CHECK(find(r, "Kustomization", "t")->ns() == "tenants");
  CHECK(find(r, "Kustomization", "t")->node.text({"spec", "targetNamespace"}) == "tenants");
  CHECK(find(r, "Kustomization", "keep")->ns() == "flux-system");
}

TEST_CASE("a replacement target field that is missing, without create, fails the build") {
  MemoryFileSource fs{
      {"k/kustomization.yaml",
       "resources: [o.yaml]\nreplacements:\n  - source: {kind: ConfigMap, name: s}\n"
       "    targets: [{select: {kind: Service}, fieldPaths: [spec.missing]}]\n"},
      {"k/o.yaml", std::string(kConfigMap) + "s\n---\napiVersion: v1\nkind: Service\nmetadata: {name: svc}\n"},
  };
  auto r = build(fs, "k");
  REQUIRE(r.error);
  CHECK(r.error->message.find("spec.missing") != std::string::npos);
}

TEST_CASE("configMapGenerator and secretGenerator names carry kustomize's content hash") {
  // Hashes checked with kubectl kustomize v5.5: the suffix depends on the data, not on the name.
  MemoryFileSource fs{
      {"k/kustomization.yaml",
       "namePrefix: p-\nnameSuffix: -s\n"
       "configMapGenerator:\n  - name: cm\n    literals: [x=1, 'y=\"q\"', z=a=b]\n    files: [f.txt, key2=f.txt]\n    envs: [vars.env]\n"
       "  - name: empty\n"
       "  - name: fixed\n    options: {disableNameSuffixHash: true}\n"
       "secretGenerator:\n  - name: sec\n    literals: [pw=secret]\n"
       "  - name: tls\n    type: kubernetes.io/tls\n    literals: [tls.crt=a, tls.key=b]\n"},
      {"k/f.txt", "hello <b>&\n"},
      {"k/vars.env", "A=1\n# c\nB=\"two words\"\nC\n"},
  };
  auto r = build(fs, "k");
  REQUIRE_FALSE(r.error);
  CHECK(ids(r) == std::vector<std::string>{"ConfigMap /p-cm-s-4bcd2ck7bk", "ConfigMap /p-empty-s-6ct58987ht", "ConfigMap /p-fixed-s",
                                           "Secret /p-sec-s-dtgd52765c", "Secret /p-tls-s-m6h7bkm2dg"});
  CHECK(find(r, "Secret", "p-sec-s-dtgd52765c")->node.text({"data", "pw"}) == "c2VjcmV0");
}

TEST_CASE("generator behavior merge and replace act on the base's generated object") {
  MemoryFileSource fs{
      {"base/kustomization.yaml", "configMapGenerator:\n  - name: settings\n    literals: [A=1]\n"},
      {"overlay/kustomization.yaml",
       "resources: [../base]\nconfigMapGenerator:\n  - name: settings\n    behavior: merge\n    literals: [B=2]\n"},
      {"create/kustomization.yaml", "resources: [../base]\nconfigMapGenerator:\n  - name: settings\n    literals: [B=2]\n"},
  };
  auto r = build(fs, "overlay");
  REQUIRE_FALSE(r.error);
  REQUIRE(r.objects.size() == 1);
  CHECK(r.objects[0].node.text({"data", "A"}) == "1");
  CHECK(r.objects[0].node.text({"data", "B"}) == "2");
  CHECK(build(fs, "create").error);
}

TEST_CASE("a generator input file that is missing is a diagnostic naming the kustomization") {
  MemoryFileSource fs{{"k/kustomization.yaml", "configMapGenerator:\n  - name: c\n    files: [./Corefile]\n"}};
  auto r = build(fs, "k");
  REQUIRE(r.error);
  CHECK(r.error->where.file == "k/kustomization.yaml");
  CHECK(r.error->where.line == 3);
  CHECK(r.error->message.find("Corefile") != std::string::npos);
}

TEST_CASE("images and replicas are accepted without changing identities") {
  MemoryFileSource fs{
      {"k/kustomization.yaml",
       "resources: [d.yaml]\nimages: [{name: app, newTag: \"2\"}]\nreplicas: [{name: d, count: 3}]\n"},
      {"k/d.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"},
  };
  auto r = build(fs, "k");
  REQUIRE_FALSE(r.error);
  CHECK(ids(r) == std::vector<std::string>{"Deployment /d"});
}

TEST_CASE("helmCharts are external: a warning, and the build fails as kustomize-controller's does") {
  MemoryFileSource fs{{"k/kustomization.yaml", "helmCharts:\n  - name: podinfo\n    repo: https://stefanprodan.github.io/podinfo\n"}};
  auto r = build(fs, "k");
  REQUIRE(r.error);
  CHECK(r.error->message.find("enable-helm") != std::string::npos);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].message.find("podinfo") != std::string::npos);
}

TEST_CASE("remote resources are recorded as external with a warning, the rest still builds") {
  MemoryFileSource fs{
      {"k/kustomization.yaml",
       "resources:\n  - github.com/fluxcd/flux2/manifests/install?ref=v2.0.0\n  - https://example.com/crd.yaml\n  - cm.yaml\n"
       "patchesStrategicMerge:\n  - |\n    $patch: delete\n    apiVersion: v1\n    kind: Namespace\n    metadata: {name: from-remote}\n"},
      {"k/cm.yaml", std::string(kConfigMap) + "local\n"},
  };
  auto r = build(fs, "k");
  REQUIRE_FALSE(r.error);
  CHECK(ids(r) == std::vector<std::string>{"ConfigMap /local"});
  CHECK(r.warnings.size() == 3);
}

TEST_CASE("kustomization errors: unknown field, empty file, duplicate ids, cycles, missing resources") {
  MemoryFileSource fs{
      {"unknown/kustomization.yaml", "resources: []\nnamespaces: typo\n"},
      {"empty/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"},
      {"dup/kustomization.yaml", "resources: [a.yaml, b.yaml]\n"},
      {"dup/a.yaml", std::string(kConfigMap) + "same\n"},
      {"dup/b.yaml", std::string(kConfigMap) + "same\n  namespace: default\n"},
      {"self/kustomization.yaml", "resources: [.]\n"},
      {"ping/kustomization.yaml", "resources: [../pong]\n"},
      {"pong/kustomization.yaml", "resources: [../ping]\n"},
      {"missing/kustomization.yaml", "resources: [gone.yaml]\n"},
      {"escape/kustomization.yaml", "resources: [../../outside]\n"},
  };
  for (std::string dir : {"unknown", "empty", "dup", "self", "ping", "missing", "escape"}) {
    CAPTURE(dir);
    auto r = build(fs, dir);
    REQUIRE(r.error);
    std::string file = r.error->where.file;
    CHECK((file.rfind(dir, 0) == 0 || (dir == "ping" && file.rfind("pong", 0) == 0)));
  }
  CHECK(build(fs, "self").error->message.find("cycle") != std::string::npos);
  CHECK(build(fs, "unknown").error->message.find("namespaces") != std::string::npos);
}

TEST_CASE("kubectl's root-only restriction rejects files outside the kustomization; Flux's build allows them") {
  MemoryFileSource fs{
      {"shared/cm.yaml", std::string(kConfigMap) + "shared\n"},
      {"app/kustomization.yaml", "resources: [../shared/cm.yaml]\n"},
  };
  KustomizeOptions kubectl;
  kubectl.root_only = true;
  CHECK(build(fs, "app", nullptr, kubectl).error);
  auto flux = build(fs, "app");
  REQUIRE_FALSE(flux.error);
  CHECK(ids(flux) == std::vector<std::string>{"ConfigMap /shared"});
}

TEST_CASE("Flux's overlay is written into the kustomization before the build") {
  MemoryFileSource fs{
      {"app/kustomization.yaml", "namespace: ignored\nresources: [cm.yaml]\n"},
      {"app/cm.yaml", std::string(kConfigMap) + "cm\n  labels: {app: x}\n"},
      {"app/comp/kustomization.yaml", "kind: Component\nresources: [sa.yaml]\n"},
      {"app/comp/sa.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa}\n"},
  };
  FluxOverlay o;
  o.target_namespace = "flux-target";
  o.name_prefix = "pre-";
  o.components = {"comp", "missing-comp"};
  o.ignore_missing_components = true;
  auto patch = fluxsim::load::parse_yaml(
                   "patch: |\n  - {op: add, path: /metadata/annotations, value: {flux: patched}}\ntarget: {labelSelector: app=x}\n")
                   .documents[0];
  o.patches.push_back(patch);
  auto r = build(fs, "app", &o);
  REQUIRE_FALSE(r.error);
  CHECK(ids(r) == std::vector<std::string>{"ConfigMap flux-target/pre-cm", "ServiceAccount flux-target/pre-sa"});
  CHECK(find(r, "ConfigMap", "pre-cm")->node.text({"metadata", "annotations", "flux"}) == "patched");
}

TEST_CASE("each file is read once however many builds include it") {
  MemoryFileSource fs{
      {"base/kustomization.yaml", "resources: [cm.yaml]\n"},
      {"base/cm.yaml", std::string(kConfigMap) + "shared\n"},
      {"a/kustomization.yaml", "namePrefix: a-\nresources: [../base]\n"},
      {"b/kustomization.yaml", "namePrefix: b-\nresources: [../base]\n"},
  };
  RepoFiles cache(fs);
  Kustomizer k(cache);
  CHECK_FALSE(k.build("a").error);
  CHECK_FALSE(k.build("b").error);
  CHECK(fs.reads("base/cm.yaml") == 1);
  CHECK(fs.reads("base/kustomization.yaml") == 1);
}
