#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Synthesises the `kubectl get ... -A -o json` export a flux-benchmark run would have left, from the one
number RESULTS.md publishes per case (the time until the last object of a kind was Ready).

  observed.py --case kustomization|helmrelease --apps N --seconds T --out FILE

Exactly how (the published number is the only measurement; everything else is an assumption, listed):
- Every app object is created at the same instant t0 (the benchmark applies them all at once).
- Kustomization case: the 20 kustomize-controller workers take the N Kustomizations in batches of 20,
  every pass lasting D = T / ceil(N / 20); Kustomization i (0-based) is Ready at D * ceil((i + 1) / 20),
  so the last one is Ready at T. Its status.history entry says firstReconciled = Ready - D and
  lastReconciledDuration = D; spec.wait is true and status.inventory lists the four objects the
  benchmark's podinfo package applies (ServiceAccount, Service, Deployment, Ingress).
- HelmRelease case: the same with the 10 helm-controller workers: install I = T / ceil(N / 10),
  HelmRelease i Ready at I * ceil((i + 1) / 10); its Helm snapshot's firstDeployed is Ready - I.
- No source objects: the OCIRepository and HelmChart rows cannot be on the same clock as the rows of the
  objects that consume them (at N = 100 the HelmChart row, 36 s, is later than the HelmRelease row,
  26 s, yet a release cannot install before its chart), and RESULTS.md says the 2.9 source rows moved
  with the benchmark's baseline. So the fit leaves source fetches at their default (at once).
"""

import argparse
import datetime
import json
import math

T0 = datetime.datetime(2026, 1, 1, 0, 0, 0, tzinfo=datetime.timezone.utc)


def stamp(ms):
    t = T0 + datetime.timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (t.microsecond // 1000)


def go_duration(ms):
    return "%gs" % (ms / 1000.0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--case", choices=["kustomization", "helmrelease"], required=True)
    p.add_argument("--apps", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True, help="the published duration")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    n = a.apps
    workers = 20 if a.case == "kustomization" else 10
    rounds = math.ceil(n / workers)
    per = a.seconds * 1000.0 / rounds
    items = []
    for i in range(n):
        app = "app-%04d" % i
        ready = per * math.ceil((i + 1) / workers)
        cond = [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded" if a.case == "kustomization"
                 else "InstallSucceeded", "lastTransitionTime": stamp(ready), "message": ""}]
        meta = {"name": app, "namespace": "bench", "creationTimestamp": stamp(0)}
        if a.case == "kustomization":
            items.append({
                "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": meta,
                "spec": {"interval": "60m", "wait": True, "timeout": "1m", "path": "./",
                         "sourceRef": {"kind": "OCIRepository", "name": app}},
                "status": {
                    "conditions": cond,
                    "inventory": {"entries": [
                        {"id": "bench_%s__ServiceAccount" % app, "v": "v1"},
                        {"id": "bench_%s__Service" % app, "v": "v1"},
                        {"id": "bench_%s_apps_Deployment" % app, "v": "v1"},
                        {"id": "bench_%s_networking.k8s.io_Ingress" % app, "v": "v1"}]},
                    "history": [{"digest": "sha256:0", "firstReconciled": stamp(ready - per),
                                 "lastReconciled": stamp(ready), "lastReconciledDuration": go_duration(per),
                                 "lastReconciledStatus": "ReconciliationSucceeded", "totalReconciliations": 1}]}})
        else:
            items.append({
                "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": meta,
                "spec": {"interval": "60m", "chart": {"spec": {"chart": "podinfo", "version": "*"}}},
                "status": {
                    "conditions": cond,
                    "history": [{"name": app, "namespace": "bench", "version": 1, "status": "deployed",
                                 "chartName": "podinfo", "chartVersion": "6.7.1",
                                 "firstDeployed": stamp(ready - per), "lastDeployed": stamp(ready - per)}]}})
    with open(a.out, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
