#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The other reference for load throughput: `kubectl kustomize` over the kustomization directories of a
# repository, timed, and printed like the other benches (aligned text, then a RESULT line).
#
#   bench/kubectl_baseline.sh [DIR] [--reps K]
#
# DIR defaults to the corpus (${FLUXSIM_CORPUS:-/work/shared/corpus}). Which directories are built:
# every directory holding a kustomization file (kustomization.yaml, .yml, Kustomization) that no other
# kustomization file pulls in through resources/components/bases — the build roots, i.e. what
# kustomize-controller would build for each Flux Kustomization path. Building the others as well would
# read their files twice. In a gen_repo.py repository the roots are exactly the Flux Kustomization
# paths and together read every YAML file once.
#
# MB is the size of every .yaml/.yml file below DIR (hidden directories skipped, symlinks not followed),
# the same figure yaml_baseline_bench divides by. Builds run one after another (one core). Each
# `kubectl kustomize` is a process start; its cost on an empty kustomization is measured and reported,
# with the MB/s that remains once it is subtracted, so both views are visible.
set -euo pipefail

dir=""
reps=1
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --reps=*) reps="${1#--reps=}"; shift ;;
    -h|--help) sed -n '3,18p' "$0"; exit 0 ;;
    -*) echo "kubectl_baseline.sh: unknown flag $1" >&2; exit 2 ;;
    *) dir="$1"; shift ;;
  esac
done
dir="${dir:-${FLUXSIM_CORPUS:-/work/shared/corpus}}"
if ! command -v kubectl >/dev/null; then
  echo "kubectl_baseline.sh: kubectl not found; skipping" >&2
  echo "RESULT kubectl_baseline skipped=1"
  exit 0
fi
[ -d "$dir" ] || { echo "kubectl_baseline.sh: no directory $dir" >&2; exit 2; }
dir="$(cd "$dir" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Build roots and YAML byte count (python3, standard library only).
python3 - "$dir" "$work/roots" "$work/bytes" <<'PY'
import os, re, sys
root, roots_out, bytes_out = sys.argv[1], sys.argv[2], sys.argv[3]
NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
LIST_KEYS = ("resources", "components", "bases")

def entries(text):
    """Items of the top-level resources/components/bases lists (block or flow style)."""
    out, current = [], None
    for raw in text.splitlines():
        line = raw.split(" #")[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^([A-Za-z]+):\s*(.*)$", line)
        if m:
            current = m.group(1) if m.group(1) in LIST_KEYS else None
            if current and m.group(2).startswith("["):
                out += [x.strip().strip("'\"") for x in m.group(2).strip("[]").split(",") if x.strip()]
                current = None
            continue
        m = re.match(r"^\s*-\s+(.*)$", line)
        if current and m:
            out.append(m.group(1).strip().strip("'\""))
    return out

kdirs, referenced, total = [], set(), 0
for d, subdirs, files in os.walk(root):
    subdirs[:] = sorted(s for s in subdirs if not s.startswith("."))
    for f in files:
        p = os.path.join(d, f)
        if f.endswith((".yaml", ".yml")) and not os.path.islink(p):
            total += os.path.getsize(p)
    kfile = next((n for n in NAMES if n in files), None)
    if kfile is None:
        continue
    kdirs.append(d)
    with open(os.path.join(d, kfile), errors="replace") as fh:
        for e in entries(fh.read()):
            target = os.path.normpath(os.path.join(d, e))
            if "://" not in e and os.path.isdir(target):
                referenced.add(target)
with open(roots_out, "w") as fh:
    for d in sorted(kdirs):
        if os.path.normpath(d) not in referenced:
            fh.write(d + "\n")
with open(bytes_out, "w") as fh:
    fh.write(f"{total}\n")
PY

bytes="$(cat "$work/bytes")"
n_roots="$(wc -l < "$work/roots")"
[ "$n_roots" -gt 0 ] || { echo "kubectl_baseline.sh: no kustomization directory under $dir" >&2; exit 2; }

now() { date +%s.%N; }

# Startup cost of one `kubectl kustomize` on a one-object kustomization (best of 20).
mkdir -p "$work/empty"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' > "$work/empty/cm.yaml"
printf 'resources:\n  - cm.yaml\n' > "$work/empty/kustomization.yaml"
startup=""
for _ in $(seq 20); do
  t0="$(now)"; kubectl kustomize "$work/empty" >/dev/null; t1="$(now)"
  startup="$(awk -v a="$t0" -v b="$t1" -v s="$startup" 'BEGIN { d = b - a; print (s == "" || d < s) ? d : s }')"
done

best=""
all=""
failed=0
for _ in $(seq "$reps"); do
  : > "$work/failures"
  out_bytes=0
  t0="$(now)"
  while IFS= read -r d; do
    if kubectl kustomize "$d" > "$work/out" 2> "$work/err"; then
      out_bytes=$((out_bytes + $(stat -c %s "$work/out")))
    else
      # klog prints `err="..."` on one line, or `err=<` and the message on the lines after it.
      why="$(awk '/err=</ { getline; print; exit } /err="/ { sub(/.*err="/, ""); print; exit }' "$work/err" \
             | sed 's/^[[:space:]]*//')"
      [ -n "$why" ] || why="$(grep -m1 -v '^\s*$' "$work/err" || true)"
      printf '%s: %s\n' "${d#"$dir"/}" "$(printf '%s' "$why" | cut -c1-150)" >> "$work/failures"
    fi
  done < "$work/roots"
  t1="$(now)"
  s="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
  all="$all $s"
  best="$(awk -v s="$s" -v b="$best" 'BEGIN { print (b == "" || s < b) ? s : b }')"
  failed="$(wc -l < "$work/failures")"
done

awk -v dir="$dir" -v roots="$n_roots" -v failed="$failed" -v bytes="$bytes" -v best="$best" \
    -v all="$all" -v reps="$reps" -v startup="$startup" -v out="$out_bytes" 'BEGIN {
  mb = bytes / 1e6
  rest = best - roots * startup
  printf "kubectl_baseline — kubectl kustomize of every build root, one after another\n"
  printf "  %-16s%s\n", "directory", dir
  printf "  %-16s%d (%d failed)\n", "build roots", roots, failed
  printf "  %-16s%.3f (%d bytes of .yaml/.yml below the directory)\n", "MB", mb, bytes
  printf "  %-16s%d bytes\n", "output", out
  printf "  %-16s%.3f (best of %d:%s)\n", "seconds", best, reps, all
  printf "  %-16s%.2f\n", "MB/s", mb / best
  printf "  %-16s%.1f ms per invocation (best of 20)\n", "startup", startup * 1000
  if (rest > 0) printf "  %-16s%.3f s, %.2f MB/s\n", "minus startup", rest, mb / rest
  else printf "  %-16s(startup dominates)\n", "minus startup"
  printf "RESULT kubectl_baseline roots=%d failed=%d bytes=%d mb=%.3f seconds=%.4f mbps=%.3f startup_ms=%.1f mbps_minus_startup=%.3f\n", \
    roots, failed, bytes, mb, best, mb / best, startup * 1000, (rest > 0 ? mb / rest : 0)
}'
if [ "$failed" -gt 0 ]; then
  echo "  failed builds (kubectl's error):"
  sed 's/^/    /' "$work/failures"
fi
