#!/usr/bin/env bash
# Long fuzzing campaign (issue 18): runs libFuzzer targets of an ASan+UBSan fuzz build
# (QUENCH_FUZZ=ON, see tools/quench-setup) toward a number of executions each, at the lowest CPU
# priority, and prints one Markdown table row per target for tests/fuzz/CAMPAIGN.md.
#
#   tools/fuzz_campaign.sh BUILD_DIR OUT_DIR RUNS SECONDS JOBS target...
#
# BUILD_DIR/tests/fuzz/fuzz_<target> are copied to OUT_DIR/bin first, so rebuilding the tree while
# the campaign runs does not change what is being fuzzed. Each target runs until RUNS executions or
# SECONDS seconds, whichever comes first (-runs, -max_total_time), JOBS targets at a time, on a
# working corpus OUT_DIR/corpus_<target> seeded by the committed tests/fuzz/corpus/<target> (which
# is read, never written). Crash, leak, timeout and out-of-memory inputs land in
# OUT_DIR/artifacts_<target>/ (FUZZ_TIMEOUT=seconds raises libFuzzer's per-input timeout of 10 s,
# for the HDF5 target, which forks a child per dataset). The committed corpus is minimized afterwards with
# tools/fuzz_minimize.sh.
set -euo pipefail
if [[ $# -lt 6 ]]; then
  echo "usage: $0 BUILD_DIR OUT_DIR RUNS SECONDS JOBS target..." >&2
  exit 2
fi
build=$(realpath "$1") out=$(realpath -m "$2") runs=$3 secs=$4 jobs=$5
shift 5
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out/bin"
for t in "$@"; do cp "$build/tests/fuzz/fuzz_$t" "$out/bin/"; done
commit=$(git -C "$src" rev-parse --short HEAD)
[[ -z $(git -C "$src" status --porcelain -- core 'tests/fuzz/*.cpp') ]] || commit="$commit+dirty"

run_one() {
  local t=$1 dict=() start end log
  mkdir -p "$out/corpus_$t" "$out/artifacts_$t"
  [[ -f $src/tests/fuzz/corpus/$t.dict ]] && dict=("-dict=$src/tests/fuzz/corpus/$t.dict")
  log="$out/$t.log"
  start=$(date -u +%Y-%m-%dT%H:%MZ)
  local cmd=(nice -n 19 "$out/bin/fuzz_$t" -runs="$runs" -max_total_time="$secs" -rss_limit_mb=2048 -timeout="$timeout"
             -print_final_stats=1 -artifact_prefix="$out/artifacts_$t/" "${dict[@]}"
             "$out/corpus_$t" "$src/tests/fuzz/corpus/$t")
  local t0=$SECONDS
  "${cmd[@]}" >"$log" 2>&1 || true
  local wall=$((SECONDS - t0))
  # libFuzzer's final statistics: "stat::number_of_executed_units: N".
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  [[ -n $execs ]] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#' || true)
  # Findings: crash-, leak-, oom- and timeout- files; slow-unit- files (a unit over 10 s, which on a
  # loaded machine is the load) are counted apart.
  local crashes slow
  crashes=$(find "$out/artifacts_$t" -type f -regex '.*/\(crash\|leak\|oom\|timeout\)-.*' | wc -l)
  slow=$(find "$out/artifacts_$t" -type f -name 'slow-unit-*' | wc -l)
  printf '| fuzz_%s | %s | %s | `%s` | %s | %s s | %s | %s |\n' "$t" "$start" "$commit" \
    "fuzz_$t -runs=$runs -max_total_time=$secs -rss_limit_mb=2048 -timeout=$timeout ${dict[*]##*/}" \
    "${execs:-?}" "$wall" "$crashes" "$slow" | tee -a "$out/rows.md"
}
export -f run_one
# Seconds one input may take before libFuzzer reports a timeout (FUZZ_TIMEOUT, default 10).
timeout=${FUZZ_TIMEOUT:-10}
export out src runs secs commit timeout
printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}
