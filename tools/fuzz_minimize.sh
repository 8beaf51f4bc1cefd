#!/usr/bin/env bash
# Minimizes the committed fuzz corpora after a campaign (issue 18):
#
#   tools/fuzz_minimize.sh CAMPAIGN_DIR target...
#
# For each target, libFuzzer's -merge=1 keeps the smallest set of inputs of
# tests/fuzz/corpus/<target> and CAMPAIGN_DIR/corpus_<target> that reaches all the coverage they
# reach together, using CAMPAIGN_DIR/bin/fuzz_<target> (tools/fuzz_campaign.sh copies it there).
# Named inputs (regressions, seeds: any file whose name is not libFuzzer's 40-hex-digit SHA-1) are
# always kept under their names; the rest of the committed corpus is replaced by the merge.
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 CAMPAIGN_DIR target..." >&2
  exit 2
fi
camp=$(realpath "$1")
shift
src=$(cd "$(dirname "$0")/.." && pwd)
for t in "$@"; do
  committed="$src/tests/fuzz/corpus/$t"
  work=$(mktemp -d)
  mkdir "$work/merged" "$work/hashed"
  for f in "$committed"/*; do
    [[ -f $f ]] || continue
    if [[ $(basename "$f") =~ ^[0-9a-f]{40}$ ]]; then cp "$f" "$work/hashed/"; else cp "$f" "$work/merged/"; fi
  done
  before=$(find "$committed" -type f | wc -l)
  # Inputs that time out while merging (a loaded machine, HDF5's forks) are left out; their files go
  # to the scratch folder, not the current directory.
  nice -n 19 "$camp/bin/fuzz_$t" -merge=1 -rss_limit_mb=2048 -timeout=60 -artifact_prefix="$work/" "$work/merged" "$work/hashed" \
    "$camp/corpus_$t" >"$work/merge.log" 2>&1 || { tail -5 "$work/merge.log"; exit 1; }
  find "$committed" -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}$' -delete
  for f in "$work/merged"/*; do
    [[ -e "$committed/$(basename "$f")" ]] || cp "$f" "$committed/"
  done
  after=$(find "$committed" -type f | wc -l)
  echo "$t: $before -> $after files, $(du -sh "$committed" | cut -f1)"
  rm -rf "$work"
done
