#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the benches in an optimised tree, generates the synthetic repositories, runs every bench that
# exists, and prints a summary of the numbers and of the ratios the issues set targets on.
#
#   bench/run.sh [--quick] [--reps K] [--kubectl-10k] [--no-kubectl] [--keep-repos]
#   bench/run.sh --issue13 [--rounds N] [--before BINARY] [--scale]
#
#   --issue13      only the issue-13 table: CPU seconds of `fluxsim run` (24 h horizon), `run --set
#                  horizon=2h`, `run -o json`, `tree`, a bare yaml-cpp parse (when libyaml-cpp-dev is
#                  installed) and a libyaml event parse of the same 1k repository, medians of N
#                  alternating rounds (default 5), with each row's ratio to the two parse floors.
#                  --before BINARY adds the same fluxsim rows for another build (e.g. before a change).
#                  --scale adds the issue's two scale targets (medians of min(N, 3) rounds): `fluxsim
#                  run` on the 10k repository (load + run, CPU s, target <= 3; its libyaml floor
#                  beside it) and `fluxsim run --runs 1000 --jobs 2` on the 1k repository (CPU and
#                  wall s, target <= 10). Generating the 10k repository takes a minute.
#   --quick        1k repository only, one repetition (a smoke run)
#   --reps K       repetitions for benches that take best-of-K (default 3)
#   --kubectl-10k  also time kubectl kustomize on the 10k repository (about 10 minutes)
#   --no-kubectl   skip the kubectl baseline
#   --keep-repos   leave the generated repositories in place (their directory is printed)
#
# Environment: FLUXSIM_BENCH_BUILD (build dir, default <repo>/build-bench), FLUXSIM_CORPUS (default
# /work/shared/corpus; skipped when absent), TMPDIR (where repositories are generated).
# The generated repositories are never written into the source tree.
set -euo pipefail

src="$(cd "$(dirname "$0")/.." && pwd)"
build="${FLUXSIM_BENCH_BUILD:-$src/build-bench}"
corpus="${FLUXSIM_CORPUS:-/work/shared/corpus}"
reps=3
sizes="1k 10k"
kubectl_sizes="1k corpus"
keep_repos=0
issue13=0
rounds=5
before=""
scale=0
while [ $# -gt 0 ]; do
  case "$1" in
    --issue13) issue13=1; shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --before) before="$(realpath "$2")"; shift 2 ;;
    --scale) scale=1; shift ;;
    --quick) sizes="1k"; reps=1; shift ;;
    --reps) reps="$2"; shift 2 ;;
    --kubectl-10k) kubectl_sizes="$kubectl_sizes 10k"; shift ;;
    --no-kubectl) kubectl_sizes=""; shift ;;
    --keep-repos) keep_repos=1; shift ;;
    -h|--help) sed -n '3,26p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

# --- the synthetic repositories: label, Kustomizations, objects per Kustomization -----------------
declare -A REPO_SIZE=([1k]="1000 16" [10k]="10000 16")

# --- the benches -----------------------------------------------------------------------------------
# One line per bench: "program | repository labels | extra arguments". A program is an executable of
# build-bench/bench/ (from bench/NAME.cc) or a script bench/NAME.sh. It is run once per label as
#   PROGRAM REPO_DIR EXTRA_ARGS...
# and must print one or more `RESULT <id> key=value ...` lines (ids unique per run; see README.md).
# Labels: 1k, 10k (generated), corpus (each repository of the corpus in turn, tagged corpus/NAME).
# A program that does not exist yet is listed as "not built" and skipped: later benches slot in by
# existing, with no change to this file.
BENCHES=(
  # the parse floor: libyaml's event parse, nothing built.
  "yaml_baseline_bench | 1k 10k corpus | --reps $reps --parser libyaml"
  # yaml-cpp, the library fluxsim used before libyaml (only when libyaml-cpp-dev is installed).
  "yaml_baseline_bench | 1k 10k corpus | --reps $reps --parser yaml-cpp"
  "kubectl_baseline.sh | $kubectl_sizes | "
  # issues 2 and 3: fluxsim::load_world (and simulate) on the same files as the baseline.
  "load_bench          | 1k 10k corpus | --reps $reps"
  # issue 2: the engine alone, 24 h horizon.
  "engine_bench        | 1k 10k        | --horizon 24h --reps $reps"
  # issue 4: 1,000 Monte Carlo runs at 1 and 2 jobs, repository loaded once.
  "montecarlo_bench    | 1k            | --runs 1000 --jobs 1,2"
)

# One scenario of the issue-13 table: REPO's clusters/production, every Deployment Current 30 s after apply, 24 h.
issue13_scenario() {
  local name="$1" repo="$2" file="$3"
  cat > "$file" <<YAML
apiVersion: fluxsim/v1alpha1
kind: Scenario
metadata: {name: $name}
spec:
  repo: $repo
  entry: clusters/production
  timing:
    ready:
      - match: {kind: Deployment}
        after: 30s
  horizon: 24h
YAML
}

# The issue-13 table (bench/run.sh --issue13, and at the end of a full run): one 1k repository,
# every Deployment Current 30 s after apply, a 24 h horizon. Given a 10k repository (--scale, or a
# full run), the issue's scale targets follow: load + run of the 10k repository, 1,000 Monte Carlo runs.
issue13_table() {
  local repo="$1" out="$2" repo10k="${3:-}"
  if [ -n "$repo10k" ]; then issue13_scenario issue13-10k "$repo10k" "$out/issue13-10k.yaml"; fi
  issue13_scenario issue13-1k "$repo" "$out/issue13.yaml"
  python3 - "$build" "$out/issue13.yaml" "$repo" "$rounds" "$before" "$repo10k" "$out/issue13-10k.yaml" <<'PY'
import os, statistics, subprocess, sys, time
build, scenario, repo, rounds, before = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
repo10k, scenario10k = sys.argv[6], sys.argv[7]
fluxsim = os.path.join(build, "fluxsim")
parse = os.path.join(build, "bench", "yaml_baseline_bench")
rows = []  # (label, argv)
def fluxsim_rows(binary, tag):
    return [(f"{tag}fluxsim run (24 h horizon)", [binary, "run", scenario]),
            (f"{tag}fluxsim run --set horizon=2h", [binary, "run", scenario, "--set", "horizon=2h"]),
            (f"{tag}fluxsim run -o json", [binary, "run", scenario, "-o", "json"]),
            (f"{tag}fluxsim tree (load only)", [binary, "tree", scenario])]
rows += fluxsim_rows(fluxsim, "")
if before:
    rows += fluxsim_rows(before, "before: ")
yaml_cpp = subprocess.run([parse, repo, "--reps", "1", "--parser", "yaml-cpp"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0
if yaml_cpp:
    rows.append(("bare yaml-cpp parse of the same files", [parse, repo, "--reps", "1", "--parser", "yaml-cpp"]))
rows.append(("libyaml event parse of the same files", [parse, repo, "--reps", "1", "--parser", "libyaml"]))

def cpu(argv, wall=None):
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if wall is not None:
        wall.append(time.monotonic() - start)
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    if code not in (0, 1):
        sys.exit(f"issue13: {' '.join(argv)} exited {code}: {err.strip()}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024

samples = {label: [] for label, _ in rows}
rss = {label: 0.0 for label, _ in rows}
for _ in range(rounds):            # alternating: every command once per round
    for label, argv in rows:
        seconds, mib = cpu(argv)
        samples[label].append(seconds)
        rss[label] = max(rss[label], mib)
median = {label: statistics.median(v) for label, v in samples.items()}
floor = median["libyaml event parse of the same files"]
cpp = median.get("bare yaml-cpp parse of the same files")
print(f"issue-13 table: {repo}, CPU seconds (user+sys), medians of {rounds} alternating rounds")
print(f"| command | CPU s | peak RSS MiB | x bare yaml-cpp parse | x libyaml event parse |")
print(f"|---|---|---|---|---|")
for label, _ in rows:
    m = median[label]
    x_cpp = f"{m / cpp:.2f}" if cpp else "n/a"
    print(f"| {label} | {m:.3f} | {rss[label]:.0f} | {x_cpp} | {m / floor:.2f} |")
for label, _ in rows:
    key = "".join(c if c.isalnum() else "_" for c in label).strip("_")
    print(f"RESULT issue13_{key} seconds={median[label]:.4f} x_libyaml={median[label] / floor:.3f}")

if not repo10k:
    sys.exit(0)
# The issue's scale targets: fewer rounds (each row takes seconds), alternating as above.
scale_rows = [("10k repository: fluxsim run (load + run, 24 h)", [fluxsim, "run", scenario10k], 3.0),
              ("10k repository: libyaml event parse of the same files",
               [parse, repo10k, "--reps", "1", "--parser", "libyaml"], None),
              ("1k repository: fluxsim run --runs 1000 --jobs 2", [fluxsim, "run", scenario, "--runs", "1000", "--jobs", "2"], 10.0)]
scale_rounds = min(rounds, 3)
cpu_s = {label: [] for label, _, _ in scale_rows}
wall_s = {label: [] for label, _, _ in scale_rows}
for _ in range(scale_rounds):
    for label, argv, _ in scale_rows:
        seconds, _ = cpu(argv, wall_s[label])
        cpu_s[label].append(seconds)
print()
print(f"issue-13 scale targets: medians of {scale_rounds} alternating rounds ({os.cpu_count()} cores)")
print("| command | CPU s | wall s | target |")
print("|---|---|---|---|")
for label, _, target in scale_rows:
    c, w = statistics.median(cpu_s[label]), statistics.median(wall_s[label])
    verdict = "" if target is None else (f"<= {target:g} s " + ("ok" if c <= target else "MISS"))
    print(f"| {label} | {c:.2f} | {w:.2f} | {verdict} |")
    key = "".join(ch if ch.isalnum() else "_" for ch in label).strip("_")
    print(f"RESULT issue13_{key} seconds={c:.4f} wall={w:.4f}")
PY
}

# --- the ratios and targets the summary prints -----------------------------------------------------
# "repo | expression | target | what". An expression is id.key or id.key/id.key over the RESULT
# lines of that repo; repo may be "10k/1k" to divide a bench's value on one repo by another's. The
# repo "corpus" is the sum of the corpus/* rows (seconds and MB added, MB/s recomputed).
# A row whose inputs are missing prints n/a.
RATIOS=(
  "1k      | load_simulate.seconds/yaml_baseline.seconds | < 1.3 | load+simulate vs bare yaml-cpp parse (issue 2)"
  "1k      | load_simulate.rss_mib                       | < 500 | load+simulate peak RSS, MiB (issue 2)"
  "1k      | load.seconds/yaml_baseline.seconds          | < 1.5 | load vs bare yaml-cpp parse (issue 3)"
  "10k     | load.seconds/yaml_baseline.seconds          | < 1.5 | load vs bare yaml-cpp parse (issue 3)"
  "corpus  | load.seconds/yaml_baseline.seconds          | < 1.5 | load vs bare yaml-cpp parse, corpus (issue 3)"
  "1k      | load.seconds/libyaml_baseline.seconds       | <= 2  | load vs libyaml event parse (issue 13)"
  "10k     | load.seconds/libyaml_baseline.seconds       | <= 2  | load vs libyaml event parse (issue 13)"
  "1k      | load.mbps/kubectl_baseline.mbps             | > 1   | load throughput vs kubectl kustomize (issue 3)"
  "corpus  | load.mbps/kubectl_baseline.mbps             | > 1   | load throughput vs kubectl kustomize, corpus (issue 3)"
  "1k      | yaml_baseline.mbps/kubectl_baseline.mbps    | info  | bare yaml-cpp vs kubectl kustomize (reference)"
  "corpus  | yaml_baseline.mbps/kubectl_baseline.mbps    | info  | bare yaml-cpp vs kubectl kustomize, corpus (reference)"
  "10k     | engine.seconds                              | < 1   | engine alone, 10k Ks over 24 h, seconds (issue 2)"
  "1k      | montecarlo_j2.seconds                       | < 10  | 1,000 Monte Carlo runs at 2 jobs, seconds (issue 4)"
  "1k      | montecarlo_j1.seconds/montecarlo_j2.seconds | >= 1.8 | speed-up from 1 to 2 jobs (issue 4)"
  "10k/1k  | yaml_baseline.seconds                       | info  | growth 1k -> 10k, bare parse (10 = linear)"
  "10k/1k  | load.seconds                                | info  | growth 1k -> 10k, load (10 = linear)"
  "10k/1k  | load_simulate.seconds                       | info  | growth 1k -> 10k, load+simulate (10 = linear)"
  "10k/1k  | engine.seconds                              | info  | growth 1k -> 10k, engine (10 = linear)"
)

# ---------------------------------------------------------------------------------------------------
echo "== build (Release) in $build"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFLUXSIM_BUILD_TESTS=OFF \
  -DFLUXSIM_BUILD_BENCH=ON > "$build.cmake.log" 2>&1 || { cat "$build.cmake.log"; exit 1; }
targets=""
[ "$issue13" = 1 ] && targets="--target fluxsim yaml_baseline_bench"   # only what the table runs
# shellcheck disable=SC2086
cmake --build "$build" $targets > "$build.build.log" 2>&1 || { tail -50 "$build.build.log"; exit 1; }
rm -f "$build.cmake.log" "$build.build.log"

repos="$(mktemp -d "${TMPDIR:-/tmp}/fluxsim-bench.XXXXXX")"
if [ "$issue13" = 1 ]; then
  trap 'rm -rf "$repos"' EXIT
  read -r n m <<< "${REPO_SIZE[1k]}"
  python3 "$src/bench/gen_repo.py" --kustomizations "$n" --objects-per-kustomization "$m" \
    --seed 1 --out "$repos/1k" | grep -v '^GENERATED'
  repo10k=""
  if [ "$scale" = 1 ]; then
    read -r n m <<< "${REPO_SIZE[10k]}"
    python3 "$src/bench/gen_repo.py" --kustomizations "$n" --objects-per-kustomization "$m" \
      --seed 1 --out "$repos/10k" | grep -v '^GENERATED'
    repo10k="$repos/10k"
  fi
  issue13_table "$repos/1k" "$repos" "$repo10k"
  exit 0
fi
if [ "$keep_repos" = 1 ]; then
  trap 'echo "repositories kept in $repos"' EXIT
else
  trap 'rm -rf "$repos"' EXIT
fi
results="$repos/results.txt"
: > "$results"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"
echo "== generating repositories in $repos"
for label in $sizes; do
  read -r n m <<< "${REPO_SIZE[$label]}"
  python3 "$src/bench/gen_repo.py" --kustomizations "$n" --objects-per-kustomization "$m" \
    --seed 1 --out "$repos/$label" | grep -v '^GENERATED'
done

# The directories a label stands for, one per line, as "label<TAB>dir".
dirs_for() {
  local label="$1" program="$2"
  case "$label" in
    corpus)
      # One repository at a time; the summary adds them up into a "corpus" row.
      [ -d "$corpus" ] || return 0
      for d in "$corpus"/*/; do printf 'corpus/%s\t%s\n' "$(basename "$d")" "${d%/}"; done ;;
    *) [[ " $sizes " == *" $label "* ]] && printf '%s\t%s\n' "$label" "$repos/$label" ;;
  esac
  return 0
}

for line in "${BENCHES[@]}"; do
  IFS='|' read -r program labels extra <<< "$line"
  program="$(echo "$program" | xargs)"; extra="$(echo "$extra" | xargs)"
  if [[ "$program" == *.sh ]]; then exe="$src/bench/$program"; else exe="$build/bench/$program"; fi
  # A .cc bench counts only while its source exists (a stale binary of a removed bench is ignored).
  if [ ! -x "$exe" ] || { [[ "$program" != *.sh ]] && [ ! -f "$src/bench/$program.cc" ]; }; then
    echo "== $program: not built yet, skipped"
    continue
  fi
  for label in $labels; do
    while IFS=$'\t' read -r tag dir; do
      [ -n "$tag" ] || continue
      echo "== $program on $tag"
      # shellcheck disable=SC2086  # extra holds several arguments
      if ! "$exe" "$dir" $extra | tee "$repos/out.txt"; then
        echo "   ($program failed on $tag)"
      fi
      grep '^RESULT ' "$repos/out.txt" | sed "s|^RESULT |$tag |" >> "$results" || true
    done < <(dirs_for "$label" "$program")
  done
done

echo
echo "== summary"
printf '%s\n' "${RATIOS[@]}" > "$repos/ratios.txt"
python3 - "$results" "$repos/ratios.txt" <<'PY'
import sys
from collections import defaultdict

values = defaultdict(dict)   # (repo, id) -> {key: value}
order = []
for line in open(sys.argv[1]):
    parts = line.split()
    repo, ident = parts[0], parts[1]
    kv = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
    if (repo, ident) not in values:
        order.append((repo, ident))
    values[(repo, ident)].update(kv)

# "corpus": every corpus/NAME row of an id added up, so ratios compare the same set of repositories.
corpus = defaultdict(lambda: {"seconds": 0.0, "mb": 0.0, "repos": 0})
for (repo, ident), kv in values.items():
    if repo.startswith("corpus/") and "seconds" in kv and "mb" in kv:
        corpus[ident]["seconds"] += float(kv["seconds"])
        corpus[ident]["mb"] += float(kv["mb"])
        corpus[ident]["repos"] += 1
for ident, agg in corpus.items():
    if agg["seconds"] > 0:
        values[("corpus", ident)] = {"seconds": str(agg["seconds"]), "mb": str(agg["mb"]),
                                     "mbps": str(agg["mb"] / agg["seconds"])}
        order.append(("corpus", ident))

def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None

print(f"{'repo':<40}{'bench':<20}{'seconds':>10}{'MB':>9}{'MB/s':>9}{'RSS MiB':>9}")
for repo, ident in order:
    v = values[(repo, ident)]
    def col(key, fmt):
        x = num(v.get(key))
        return fmt.format(x) if x is not None else "-"
    print(f"{repo:<40}{ident:<20}{col('seconds', '{:.3f}'):>10}{col('mb', '{:.3f}'):>9}"
          f"{col('mbps', '{:.2f}'):>9}{col('rss_mib', '{:.1f}'):>9}")

def lookup(repo, term):
    ident, _, key = term.partition(".")
    return num(values.get((repo, ident), {}).get(key))

def evaluate(repo, expr):
    if "/" in repo:                       # growth: same expression on two repos
        a, b = repo.split("/")
        x, y = evaluate(a, expr), evaluate(b, expr)
        return x / y if x is not None and y else None
    if "/" in expr:
        n, d = expr.split("/")
        x, y = lookup(repo, n), lookup(repo, d)
        return x / y if x is not None and y else None
    return lookup(repo, expr)

def meets(value, target):
    op, _, limit = target.partition(" ")
    limit = num(limit)
    return {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit}[op]

print()
print(f"{'repo':<8}{'value':>10}  {'target':<8}{'':<6}what")
for line in open(sys.argv[2]):
    repo, expr, target, what = (p.strip() for p in line.split("|"))
    value = evaluate(repo, expr)
    shown = f"{value:.3f}" if value is not None else "n/a"
    if value is None:
        what += " (not measured)"
    verdict = "" if value is None or target == "info" else ("ok" if meets(value, target) else "MISS")
    print(f"{repo:<8}{shown:>10}  {target:<8}{verdict:<6}{what}  [{expr}]")
PY

if [[ " $sizes " == *" 1k "* ]]; then
  echo
  echo "== issue 13 (bench/run.sh --issue13 prints only this)"
  repo10k=""
  [[ " $sizes " == *" 10k "* ]] && repo10k="$repos/10k"
  issue13_table "$repos/1k" "$repos" "$repo10k"
fi
