#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a synthetic Flux repository "in the seed's shape" as real YAML files on disk.

The shape (one cluster, three phases, components that own their Flux Kustomizations):

  clusters/<cluster>/flux-system/{gotk-components,gotk-sync}.yaml   comment-only placeholders
  clusters/<cluster>/flux-system/kustomization.yaml
  clusters/<cluster>/kustomization.yaml                              flux-system + the phase files
  clusters/<cluster>/{infrastructure,platform,apps}.yaml             one phase Kustomization each
  <phase>/<cluster>/kustomization.yaml                               resources: ../<component> ...
  <phase>/<component>/kustomization.yaml                             resources: [flux-kustomizations.yaml]
  <phase>/<component>/flux-kustomizations.yaml                       <component>-base (wait: true) and
                                                                     <component>-<feature> (dependsOn base)
  <phase>/<component>/base/      Namespace, CRDs (some components), operator SA/Deployment/Service, ...
  <phase>/<component>/<feature>/ ConfigMaps, ServiceAccounts, Services, Deployments, CRs of the base's
                                 CRDs, the odd StatefulSet or Job

Every Kustomization path holds exactly --objects-per-kustomization objects. The phase Kustomizations
count towards --kustomizations (the implicit root applying clusters/<cluster> does not). A component's
base depends on the previous component's base with probability --chain-fraction, which makes dependsOn
chains that cross components and phases.

The environment-level kustomization.yaml lists component *directories* (not their
flux-kustomizations.yaml files): kustomize's load restrictor forbids a file outside the kustomization
root, which is why each component carries a kustomization.yaml that references only that file.

Deterministic: the output is a function of the flags only. Randomness comes from SplitMix64 streams
keyed by (seed, component index), so it does not depend on Python's `random` or on the platform, and
the first components of a 10k repository are those of a 1k one with the same seed.

Standard library only. Example:
  bench/gen_repo.py --kustomizations 1000 --objects-per-kustomization 16 --out /tmp/repo-1k --seed 1
"""

import argparse
import os
import sys

MASK64 = (1 << 64) - 1


class Rng:
    """SplitMix64: a fixed, portable generator (the same numbers on every Python and platform)."""

    def __init__(self, seed, key):
        h = 0xCBF29CE484222325  # FNV-1a of the key, mixed into the seed
        for byte in key.encode():
            h = ((h ^ byte) * 0x100000001B3) & MASK64
        self.state = (seed * 0x9E3779B97F4A7C15 ^ h) & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def fork(self):
        """An independent stream seeded from this one (one per directory)."""
        child = Rng(0, "")
        child.state = self.next()
        return child

    def uniform(self):
        """A float in [0, 1)."""
        return (self.next() >> 11) / float(1 << 53)

    def below(self, n):
        """An integer in [0, n)."""
        return int(self.uniform() * n)

    def between(self, lo, hi):
        """An integer in [lo, hi]."""
        return lo + self.below(hi - lo + 1)

    def choice(self, items):
        return items[self.below(len(items))]

    def chance(self, p):
        return self.uniform() < p

    def sample(self, items, k):
        pool = list(items)
        out = []
        for _ in range(min(k, len(pool))):
            out.append(pool.pop(self.below(len(pool))))
        return out

    def weighted(self, table):
        """table: list of (item, weight)."""
        total = sum(w for _, w in table)
        x = self.uniform() * total
        for item, w in table:
            x -= w
            if x < 0:
                return item
        return table[-1][0]


COMPONENT_WORDS = [
    "cert-manager", "ingress-nginx", "external-dns", "postgres", "redis", "kafka", "tekton",
    "prometheus", "grafana", "loki", "vault", "minio", "keycloak", "argo-workflows", "velero",
    "harbor", "gitea", "nats", "rabbitmq", "opensearch", "jaeger", "tempo", "istio", "linkerd",
    "kyverno", "falco", "trivy", "sealed-secrets", "metallb", "longhorn", "rook-ceph", "cilium",
    "coredns", "knative", "dapr", "temporal", "airflow", "superset", "mlflow", "jupyterhub",
    "podinfo", "nextcloud", "immich", "paperless", "home-assistant", "zigbee2mqtt", "mosquitto",
]
FEATURE_WORDS = [
    "config", "rbac", "monitoring", "ingress", "backup", "policies", "dashboards", "alerts", "tasks",
    "triggers", "workers", "jobs", "storage", "network", "secrets", "tenants", "gateway", "cache",
]
# (Kind, plural) of the custom resources a component's CRDs define.
CR_KINDS = [
    ("Cluster", "clusters"), ("Backup", "backups"), ("Policy", "policies"), ("Pipeline", "pipelines"),
    ("Task", "tasks"), ("Route", "routes"), ("Pool", "pools"), ("Tenant", "tenants"),
    ("Schedule", "schedules"), ("Config", "configs"),
]
PHASES = [("infrastructure", 0.4), ("platform", 0.2), ("apps", 0.4)]
IMAGES = ["ghcr.io/example/{}:1.{}.{}", "docker.io/library/{}:{}.{}", "quay.io/example/{}:v{}.{}"]

KUSTOMIZE_HEADER = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
PLACEHOLDER = "# This file will be generated automatically by flux bootstrap.\n"


def labels_block(indent, name, component):
    pad = " " * indent
    return (f"{pad}app.kubernetes.io/name: {name}\n"
            f"{pad}app.kubernetes.io/part-of: {component}\n")


def meta(name, namespace):
    ns = f"  namespace: {namespace}\n" if namespace else ""
    return f"metadata:\n  name: {name}\n{ns}"


# --- object templates: each returns one YAML document (no leading '---') ---------------------------

def namespace_doc(comp):
    return (f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {comp.name}\n  labels:\n"
            f"    toolkit.fluxcd.io/tenant: {comp.phase}\n")


def crd_doc(comp, kind, plural):
    group = comp.group
    return (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        f"metadata:\n  name: {plural}.{group}\n"
        f"spec:\n  group: {group}\n  names:\n    kind: {kind}\n    listKind: {kind}List\n"
        f"    plural: {plural}\n    singular: {kind.lower()}\n  scope: Namespaced\n"
        "  versions:\n    - name: v1\n      served: true\n      storage: true\n"
        "      subresources:\n        status: {}\n"
        "      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n"
        "            spec:\n              type: object\n              x-kubernetes-preserve-unknown-fields: true\n"
        "            status:\n              type: object\n              x-kubernetes-preserve-unknown-fields: true\n")


def service_account_doc(name, ns):
    return f"apiVersion: v1\nkind: ServiceAccount\n{meta(name, ns)}"


def config_map_doc(rng, name, ns, comp, substitute):
    lines = [f"apiVersion: v1\nkind: ConfigMap\n{meta(name, ns)}data:\n"]
    lines.append(f"  LOG_LEVEL: {rng.choice(['debug', 'info', 'warn'])}\n")
    lines.append(f"  REPLICAS: \"{rng.between(1, 5)}\"\n")
    if substitute:
        lines.append("  CLUSTER: ${CLUSTER_NAME}\n  DOMAIN: ${DOMAIN:=example.com}\n")
    else:
        lines.append(f"  PORT: \"{rng.between(8000, 9999)}\"\n")
    return "".join(lines)


def service_doc(rng, name, ns, comp):
    port = rng.choice([80, 8080, 9090, 5432, 6379])
    return (f"apiVersion: v1\nkind: Service\n{meta(name, ns)}"
            f"spec:\n  selector:\n{labels_block(4, name, comp.name)}"
            f"  ports:\n    - name: http\n      port: {port}\n      targetPort: {port}\n")


def image(rng, word):
    return rng.choice(IMAGES).format(word, rng.between(0, 30), rng.between(0, 9))


def workload_doc(rng, kind, name, ns, comp, sa):
    port = rng.choice([8080, 9090, 3000])
    extra = f"  serviceName: {name}\n" if kind == "StatefulSet" else ""
    return (f"apiVersion: apps/v1\nkind: {kind}\n{meta(name, ns)}"
            f"  labels: &labels\n{labels_block(4, name, comp.name)}"
            f"spec:\n{extra}  replicas: {rng.between(1, 3)}\n"
            f"  selector:\n    matchLabels: *labels\n"
            f"  template:\n    metadata:\n      labels: *labels\n"
            f"    spec:\n      serviceAccountName: {sa}\n      containers:\n"
            f"        - name: main\n          image: {image(rng, comp.word)}\n"
            f"          ports:\n            - containerPort: {port}\n"
            f"          resources:\n            requests: {{cpu: 50m, memory: 64Mi}}\n")


def job_doc(rng, name, ns, comp):
    return (f"apiVersion: batch/v1\nkind: Job\n{meta(name, ns)}"
            f"spec:\n  backoffLimit: 2\n  template:\n    spec:\n      restartPolicy: OnFailure\n"
            f"      containers:\n        - name: main\n          image: {image(rng, comp.word)}\n"
            f"          args: [migrate, --to, latest]\n")


def cr_doc(rng, kind, name, ns, comp):
    return (f"apiVersion: {comp.group}/v1\nkind: {kind}\n{meta(name, ns)}"
            f"spec:\n  size: {rng.between(1, 9)}\n  paused: false\n")


# --- the repository model ---------------------------------------------------------------------------

class Component:
    def __init__(self, index, seed):
        self.index = index
        self.rng = Rng(seed, f"component/{index}")
        self.word = self.rng.choice(COMPONENT_WORDS)
        self.name = f"{self.word}-{index}"
        self.group = f"{self.name}.example.io"
        self.features = []        # feature names
        self.crds = []            # [(Kind, plural)]
        self.phase = None
        self.depends_on = None    # name of another component's base Kustomization, or None


def plan_components(n_kustomizations, seed, chain_fraction):
    """Splits the Kustomizations (minus the phase ones) into components of 1 base + 1..5 features."""
    budget = n_kustomizations - len(PHASES)
    components = []
    while budget > 0:
        comp = Component(len(components), seed)
        want = comp.rng.between(1, 5)
        # Leave a base for each phase still without a component, so every phase has one.
        reserve = max(0, len(PHASES) - len(components) - 1)
        features = max(0, min(want, budget - 1 - reserve))
        comp.features = comp.rng.sample(FEATURE_WORDS, features)
        if comp.rng.chance(0.5):
            comp.crds = comp.rng.sample(CR_KINDS, comp.rng.between(1, 2))
        if components and comp.rng.chance(chain_fraction):
            comp.depends_on = f"{components[-1].name}-base"
        components.append(comp)
        budget -= 1 + features
    # Phases in order: the first 40% of components are infrastructure, the next 20% platform, the
    # rest apps; at least one each (there are at least len(PHASES) components).
    start = 0
    for i, (phase, fraction) in enumerate(PHASES):
        share = max(1, round(fraction * len(components)))
        end = len(components) if i == len(PHASES) - 1 else start + share
        for comp in components[start:end]:
            comp.phase = phase
        start = end
    return components


def flux_kustomization(name, path, *, interval="1h", wait=False, depends_on=(), timeout="5m",
                       health_checks=(), substitute=None):
    out = [
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n",
        f"metadata:\n  name: {name}\n  namespace: flux-system\n",
        f"spec:\n  interval: {interval}\n  retryInterval: 1m\n  timeout: {timeout}\n",
        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
        f"  path: ./{path}\n  prune: true\n  wait: {'true' if wait else 'false'}\n",
    ]
    if depends_on:
        out.append("  dependsOn:\n" + "".join(f"    - name: {d}\n" for d in depends_on))
    if health_checks:
        out.append("  healthChecks:\n")
        for kind, hname, hns in health_checks:
            out.append(f"    - apiVersion: apps/v1\n      kind: {kind}\n      name: {hname}\n"
                       f"      namespace: {hns}\n")
    if substitute:
        out.append("  postBuild:\n    substitute:\n"
                   + "".join(f"      {k}: {v}\n" for k, v in substitute))
    return "".join(out)


def kustomization_file(resources, namespace=None):
    out = [KUSTOMIZE_HEADER]
    if namespace:
        out.append(f"namespace: {namespace}\n")
    out.append("resources:\n" + "".join(f"  - {r}\n" for r in resources))
    return "".join(out)


class Directory:
    """Objects of one Kustomization path, grouped into files the way people group them."""

    def __init__(self):
        self.files = {}   # file name -> list of documents (insertion-ordered)
        self.count = 0

    def add(self, file_name, doc):
        self.files.setdefault(file_name, []).append(doc)
        self.count += 1

    def render(self, namespace):
        out = {}
        for file_name, docs in self.files.items():
            out[file_name] = "".join("---\n" + d for d in docs)
        out["kustomization.yaml"] = kustomization_file(list(self.files), namespace)
        return out


def base_directory(comp, m):
    rng = comp.rng.fork()
    d = Directory()
    ns = comp.name
    plan = [("namespace.yaml", lambda: namespace_doc(comp))]
    for kind, plural in comp.crds:
        plan.append(("crds.yaml", lambda k=kind, p=plural: crd_doc(comp, k, p)))
    op = f"{comp.name}-operator"
    plan.append(("rbac.yaml", lambda: service_account_doc(op, ns)))
    plan.append((f"{op}.yaml", lambda: workload_doc(rng, "Deployment", op, ns, comp, op)))
    plan.append((f"{op}.yaml", lambda: service_doc(rng, op, ns, comp)))
    for make_file, make_doc in plan[:m]:
        d.add(make_file, make_doc())
    i = 0
    while d.count < m:
        d.add("configmaps.yaml", config_map_doc(rng, f"{comp.name}-settings-{i}", ns, comp, False))
        i += 1
    return d


FEATURE_MIX = [("ConfigMap", 30), ("ServiceAccount", 12), ("Service", 15), ("Deployment", 18),
               ("CR", 17), ("StatefulSet", 2), ("Job", 2)]


def feature_directory(comp, feature, m, explicit_ns, substitute):
    rng = comp.rng.fork()
    d = Directory()
    ns = comp.name if explicit_ns else None
    sa = f"{comp.name}-{feature}"
    workloads = []
    for i in range(m):
        name = f"{comp.name}-{feature}-{i}"
        kind = rng.weighted(FEATURE_MIX)
        if kind == "CR" and not comp.crds:
            kind = "ConfigMap"
        if kind == "ConfigMap":
            d.add("configmaps.yaml", config_map_doc(rng, name, ns, comp, substitute))
        elif kind == "ServiceAccount":
            d.add("rbac.yaml", service_account_doc(name, ns))
        elif kind == "Service":
            d.add("services.yaml", service_doc(rng, name, ns, comp))
        elif kind in ("Deployment", "StatefulSet"):
            d.add(f"{name}.yaml", workload_doc(rng, kind, name, ns, comp, sa))
            workloads.append((kind, name))
        elif kind == "Job":
            d.add(f"{name}.yaml", job_doc(rng, name, ns, comp))
        else:
            cr_kind, plural = rng.choice(comp.crds)
            d.add(f"{plural}.yaml", cr_doc(rng, cr_kind, name, ns, comp))
    return d, workloads


def generate(args):
    files = {}
    cluster = args.cluster
    components = plan_components(args.kustomizations, args.seed, args.chain_fraction)
    phases = [p for p, _ in PHASES]

    fs = f"clusters/{cluster}/flux-system"
    files[f"{fs}/gotk-components.yaml"] = PLACEHOLDER
    files[f"{fs}/gotk-sync.yaml"] = PLACEHOLDER
    files[f"{fs}/kustomization.yaml"] = kustomization_file(["gotk-components.yaml", "gotk-sync.yaml"])
    files[f"clusters/{cluster}/kustomization.yaml"] = kustomization_file(
        ["flux-system"] + [f"{p}.yaml" for p in phases])
    n_kustomizations = 0
    n_objects = 0
    n_edges = 0
    previous = None
    for phase in phases:
        files[f"clusters/{cluster}/{phase}.yaml"] = flux_kustomization(
            phase, f"{phase}/{cluster}", interval="10m", timeout="10m",
            depends_on=[previous] if previous else ())
        n_edges += 1 if previous else 0
        previous = phase
        n_kustomizations += 1
        files[f"{phase}/{cluster}/kustomization.yaml"] = kustomization_file(
            [f"../{c.name}" for c in components if c.phase == phase])

    for comp in components:
        root = f"{comp.phase}/{comp.name}"
        files[f"{root}/kustomization.yaml"] = kustomization_file(["flux-kustomizations.yaml"])
        docs = [flux_kustomization(f"{comp.name}-base", f"{root}/base", wait=True,
                                   depends_on=[comp.depends_on] if comp.depends_on else ())]
        n_edges += 1 if comp.depends_on else 0
        base = base_directory(comp, args.objects_per_kustomization)
        for name, text in base.render(None).items():
            files[f"{root}/base/{name}"] = text
        n_objects += base.count
        for j, feature in enumerate(comp.features):
            explicit_ns = comp.rng.chance(0.5)
            substitute = comp.rng.chance(0.25)
            d, workloads = feature_directory(comp, feature, args.objects_per_kustomization,
                                             explicit_ns, substitute)
            for name, text in d.render(None if explicit_ns else comp.name).items():
                files[f"{root}/{feature}/{name}"] = text
            n_objects += d.count
            deps = [f"{comp.name}-base"]
            # Now and then a feature also waits for the previous feature of its component.
            if j > 0 and comp.rng.chance(0.15):
                deps.append(f"{comp.name}-{comp.features[j - 1]}")
            n_edges += len(deps)
            wait = comp.rng.chance(0.5)
            checks = []
            if not wait and workloads and comp.rng.chance(0.5):
                checks = [(k, n, comp.name) for k, n in workloads[:2]]
            subst = [("CLUSTER_NAME", cluster)] if substitute else None
            docs.append(flux_kustomization(f"{comp.name}-{feature}", f"{root}/{feature}",
                                           interval=comp.rng.choice(["10m", "30m", "1h"]),
                                           wait=wait, depends_on=deps, health_checks=checks,
                                           substitute=subst))
        files[f"{root}/flux-kustomizations.yaml"] = "".join(docs)
        n_kustomizations += 1 + len(comp.features)
    return files, {
        "kustomizations": n_kustomizations,
        "components": len(components),
        "objects": n_objects,
        "depends_on_edges": n_edges,
    }


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kustomizations", type=int, required=True,
                        help="total Flux Kustomizations (phases included, implicit root excluded)")
    parser.add_argument("--objects-per-kustomization", type=int, default=16,
                        help="objects each Kustomization path applies (default 16)")
    parser.add_argument("--out", required=True, help="directory to create (must not exist or be empty)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cluster", default="production", help="cluster directory name")
    parser.add_argument("--chain-fraction", type=float, default=0.3,
                        help="probability that a component's base depends on the previous one's")
    args = parser.parse_args(argv)
    if args.kustomizations < 2 * len(PHASES):
        parser.error(f"--kustomizations must be at least {2 * len(PHASES)} "
                     "(a phase Kustomization and a component base per phase)")
    if args.objects_per_kustomization < 1:
        parser.error("--objects-per-kustomization must be at least 1")
    if os.path.exists(args.out) and (not os.path.isdir(args.out) or os.listdir(args.out)):
        parser.error(f"--out {args.out} exists and is not an empty directory")

    files, stats = generate(args)
    total = 0
    for rel in sorted(files):
        path = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = files[rel].encode()
        with open(path, "wb") as f:
            f.write(data)
        total += len(data)
    print(f"wrote {args.out}: {len(files)} files, {total} bytes ({total / 1e6:.2f} MB), "
          f"{stats['kustomizations']} Flux Kustomizations in {stats['components']} components, "
          f"{stats['objects']} objects, {stats['depends_on_edges']} dependsOn edges")
    print(f"GENERATED files={len(files)} bytes={total} kustomizations={stats['kustomizations']} "
          f"objects={stats['objects']} edges={stats['depends_on_edges']} "
          f"entry=clusters/{args.cluster}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
