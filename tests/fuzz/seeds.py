#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Writes the seed corpus of each fuzz target from the project's fixtures (scenarios/, tests/fixtures/),
# so no corpus is committed: seeds.py OUT_DIR makes OUT_DIR/<target>/ for every target in tests/fuzz/.
import os
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[2]
out = Path(sys.argv[1])


def write(target, name, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


yamls = sorted(p for base in ("scenarios", "tests/fixtures") for p in (root / base).rglob("*.yaml"))

# Scenario decoder: every scenario file.
for i, p in enumerate(y for y in yamls if b"kind: Scenario" in y.read_bytes()):
    write("fuzz_scenario", f"{i:03}", p.read_bytes()[:65536])

# Repositories: each kustomization directory with up to two of its files, behind a Flux Kustomization
# that builds it (the layout fuzz_repo.cc splits at "#### " lines).
flux = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps
  prune: true
  wait: true
  sourceRef: {kind: GitRepository, name: flux-system}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: infra, namespace: flux-system}
spec:
  interval: 1m
  path: ./apps/base
  dependsOn: [{name: apps}]
  postBuild: {substitute: {x: value}}
  sourceRef: {kind: GitRepository, name: flux-system}
"""
n = 0
for k in sorted(p for p in yamls if p.name == "kustomization.yaml"):
    parts = [flux, "#### apps/kustomization.yaml\n" + k.read_text(errors="replace")]
    for f in sorted(k.parent.iterdir())[:4]:
        if f.is_file() and f.name != "kustomization.yaml" and f.stat().st_size < 16384:
            parts.append(f"#### apps/{f.name}\n" + f.read_text(errors="replace"))
    write("fuzz_repo", f"{n:03}", "\n".join(parts))
    n += 1

# --set PATH=VALUE (path on the first line) and --sweep text.
sets = [
    ("controllers.kustomize.concurrent", "8"), ("controllers.kustomize.requeueDependency", "5s"),
    ("horizon", "2h"), ("runs", "100"), ("seed", "42"), ("timing.ready", "[{match: {kind: Deployment}, after: 30s}]"),
    ("timing.ready.0.after", "lognormal(45s, 0.3)"), ("root.interval", "1m"), ("expect.readyWithin", "10m"),
    ("controllers.kustomize.concurrent", "1,2,4,8"), ("horizon", ""), ("horizon", ","),
]
for i, (path, value) in enumerate(sets):
    write("fuzz_set", f"{i:03}", f"{path}\n{value}")
    write("fuzz_set", f"sweep{i:03}", f"{path}={value}")

# Durations.
for i, d in enumerate(["0", "300ms", "-1.5h", "2h45m", "1µs", "1m30s", "9223372036s", ".5s", "1.0000000001s",
                       "1h1m1s1ms1us1ns", "+3m", "2562047h47m16.854775807s"]):
    write("fuzz_duration", f"{i:03}", d)
