#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The public Flux benchmark (fluxcd/flux-benchmark, RESULTS.md, Flux 2.9) reproduced:
#   1. generate the six cases as repositories (gen.py): 100, 500 and 1000 Kustomizations, the same of
#      HelmReleases, with the benchmark's controller settings (--concurrent 20/10/10, CPU 2/2/1);
#   2. synthesise each case's export from its published duration (observed.py says exactly how);
#   3. fit each case's timings on N = 100 only (`fluxsim calibrate`, the command users run);
#   4. predict N = 500 and 1000 with those timings (`fluxsim compare`) and print them beside the
#      published numbers, with the error; the same with fluxsim's defaults for reference;
#   5. the kustomize-controller#816 direction: a sweep of --concurrent 4, 8, 20 on a 1-CPU controller.
#
#   bench/flux_benchmark/run.sh [FLUXSIM]      (default: build/fluxsim)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
FLUXSIM=${1:-${FLUXSIM:-build/fluxsim}}
[ -x "$FLUXSIM" ] || { echo "run.sh: $FLUXSIM is not an executable (build it, or pass its path)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Published Flux 2.9 durations in seconds (RESULTS.md).
published() {
  case "$1-$2" in
    kustomization-100) echo 26 ;; kustomization-500) echo 120 ;; kustomization-1000) echo 253 ;;
    helmrelease-100) echo 26 ;; helmrelease-500) echo 134 ;; helmrelease-1000) echo 279 ;;
  esac
}

total() {  # compare -o json -> "observed predicted" in seconds
  python3 -c 'import json,sys; j=json.load(sys.stdin); p=j["predictedTimeToReadyMs"]; print(j["observedTimeToReadyMs"]/1000, "never" if p is None else p/1000)'
}

for case in kustomization helmrelease; do
  for n in 100 500 1000; do
    python3 "$HERE/gen.py" --case $case --apps $n --out "$WORK/$case-$n"
    python3 "$HERE/observed.py" --case $case --apps $n --seconds "$(published $case $n)" --out "$WORK/$case-$n/observed.json"
  done
  "$FLUXSIM" calibrate "$WORK/$case-100/observed.json" --repo "$WORK/$case-100/scenario.yaml" --out "$WORK/$case-timing.yaml"
done

echo "Fitted on N = 100 (fluxsim calibrate), predicted N = 500 and 1000 (fluxsim compare):"
echo
printf '%-14s %5s %10s %10s %8s   %10s %8s\n' case N published predicted error defaults error
for case in kustomization helmrelease; do
  for n in 100 500 1000; do
    set -- $("$FLUXSIM" compare "$WORK/$case-$n/observed.json" "$WORK/$case-$n/scenario.yaml" --timing "$WORK/$case-timing.yaml" -o json | total)
    obs=$1 pred=$2
    set -- $("$FLUXSIM" compare "$WORK/$case-$n/observed.json" "$WORK/$case-$n/scenario.yaml" -o json | total)
    raw=$2
    python3 -c "
o, p, r = $obs, '$pred', '$raw'
err = lambda x: 'n/a' if x == 'never' else '%+.1f%%' % (100 * (float(x) - o) / o)
sec = lambda x: x if x == 'never' else '%.1fs' % float(x)
print('%-14s %5d %10s %10s %8s   %10s %8s%s' % ('$case', $n, '%.0fs' % o, sec(p), err(p), sec(r), err(r), '   (fitted here)' if $n == 100 else ''))"
  done
done
echo
for case in kustomization helmrelease; do
  echo "--- $case timings fitted on N = 100:"
  grep -v '^#' "$WORK/$case-timing.yaml" | sed -n '/timing:/,$p'
done

echo
echo "kustomize-controller#816: 200 Kustomizations with 4 s of work per pass, one CPU, --concurrent 4, 8, 20:"
python3 "$HERE/gen.py" --case kustomization --apps 200 --out "$WORK/k200"
"$FLUXSIM" run "$WORK/k200/scenario.yaml" --timing "$WORK/kustomization-timing.yaml" --set controllers.kustomize.cpu=1 \
  --set timing.build=4s --sweep controllers.kustomize.concurrent=4,8,20 | sed -n '3,6p'
