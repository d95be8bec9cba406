#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes one fluxcd/flux-benchmark case as a Flux repository plus a fluxsim scenario.

  gen.py --case kustomization|helmrelease --apps N --out DIR

The shape follows flux-benchmark (manifests/ and the timoni modules, read at commit e09c533; the facts are
in the project's shared flux-benchmark notes):

  clusters/bench/flux-system/gotk-components.yaml  the three controller Deployments with the benchmark's
                                                   flags and CPU limits: kustomize-controller
                                                   --concurrent=20, 2 CPU; helm-controller --concurrent=10,
                                                   2 CPU; source-controller --concurrent=10, 1 CPU
  clusters/bench/flux-system/gotk-sync.yaml        the bootstrap GitRepository and root Kustomization
  clusters/bench/apps.yaml                         what the benchmark applies at one moment:
     kustomization case: a Namespace, ServiceAccount `flux`, a RoleBinding, then per app one
       OCIRepository (interval 60m) and one Kustomization (interval 60m, retryInterval 2m, prune,
       wait: true, timeout 1m, serviceAccountName flux, targetNamespace, postBuild.substitute)
     helmrelease case: a Namespace, one OCI HelmRepository and per app one HelmRelease of the podinfo
       chart (version "*", replicaCount 0, drift detection on)
  apps/podinfo/                                    the podinfo package every OCIRepository serves:
                                                   ServiceAccount, Service, Deployment (0 replicas), Ingress
  scenario.yaml                                    maps each OCIRepository to apps/podinfo (the local
                                                   registry's artifact) and sets the horizon

The benchmark's clock starts when its apply starts: in the simulation that is the start of the root
Kustomization's apply of clusters/bench (run.sh measures from there).
"""

import argparse
import os


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def controller(name, args, cpu):
    lines = "".join(f"        - --{a}\n" for a in args)
    return f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: flux-system
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
      - name: manager
        image: ghcr.io/fluxcd/{name}
        args:
{lines}        resources:
          limits:
            cpu: {cpu}
            memory: 1Gi
"""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--case", choices=["kustomization", "helmrelease"], required=True)
    p.add_argument("--apps", type=int, required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    out, n = a.out, a.apps

    fs = "clusters/bench/flux-system"
    write(f"{out}/{fs}/gotk-components.yaml",
          controller("source-controller", ["concurrent=10"], "1000m")
          + controller("kustomize-controller", ["concurrent=20"], "2000m")
          + controller("helm-controller", ["concurrent=10"], "2000m"))
    write(f"{out}/{fs}/gotk-sync.yaml", """---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m
  ref:
    branch: main
  url: ssh://git@github.com/fluxcd/flux-benchmark
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m
  path: ./clusters/bench
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
""")
    write(f"{out}/{fs}/kustomization.yaml",
          "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
          "- gotk-components.yaml\n- gotk-sync.yaml\n")

    docs = ["""---
apiVersion: v1
kind: Namespace
metadata:
  name: bench
"""]
    sources = []
    if a.case == "kustomization":
        docs.append("""---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: flux
  namespace: bench
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: flux
  namespace: bench
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
- kind: ServiceAccount
  name: flux
  namespace: bench
""")
        for i in range(n):
            app = f"app-{i:04d}"
            docs.append(f"""---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: {app}
  namespace: bench
spec:
  interval: 60m
  url: oci://registry.local/podinfo-manifests
  ref:
    tag: latest
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: {app}
  namespace: bench
spec:
  interval: 60m
  retryInterval: 2m
  timeout: 1m
  prune: true
  wait: true
  serviceAccountName: flux
  targetNamespace: bench
  path: ./
  sourceRef:
    kind: OCIRepository
    name: {app}
  postBuild:
    substitute:
      APP_NAME: {app}
""")
            sources.append(f"  - {{kind: OCIRepository, name: {app}, namespace: bench, path: apps/podinfo}}\n")
        write(f"{out}/apps/podinfo/podinfo.yaml", """---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${APP_NAME}
---
apiVersion: v1
kind: Service
metadata:
  name: ${APP_NAME}
spec:
  ports:
  - port: 9898
  selector:
    app: ${APP_NAME}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${APP_NAME}
spec:
  replicas: 0
  selector:
    matchLabels:
      app: ${APP_NAME}
  template:
    metadata:
      labels:
        app: ${APP_NAME}
    spec:
      serviceAccountName: ${APP_NAME}
      containers:
      - name: podinfo
        image: ghcr.io/stefanprodan/podinfo
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${APP_NAME}
spec:
  rules:
  - host: ${APP_NAME}.local
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: ${APP_NAME}
            port:
              number: 9898
""")
    else:
        docs.append("""---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: podinfo
  namespace: bench
spec:
  type: oci
  interval: 60m
  url: oci://registry.local/charts
""")
        for i in range(n):
            app = f"app-{i:04d}"
            docs.append(f"""---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {app}
  namespace: bench
spec:
  interval: 60m
  chart:
    spec:
      chart: podinfo
      version: "*"
      sourceRef:
        kind: HelmRepository
        name: podinfo
  driftDetection:
    mode: enabled
  values:
    replicaCount: 0
""")
    write(f"{out}/clusters/bench/apps.yaml", "".join(docs))
    write(f"{out}/scenario.yaml", f"""apiVersion: fluxsim/v1alpha1
kind: Scenario
metadata:
  name: flux-benchmark-{a.case}-{n}
  description: fluxcd/flux-benchmark, {n} {"Kustomizations" if a.case == "kustomization" else "HelmReleases"} pushed at once
spec:
  repo: .
  entry: clusters/bench
  horizon: 2h
""" + (f"  sources:\n{''.join(sources)}" if sources else ""))


if __name__ == "__main__":
    main()
