#!/bin/sh
# Prompt-throughput benchmark: Quench (bench_prefill) and llama.cpp (llama-bench) on the same
# TinyLlama-1.1B-shaped F32 GGUF, 512-token prompt, 2 threads, in one run; then Quench on the
# bf16 Hugging Face copy of the same weights, and one table of medians.
#
# The two alternate for ROUNDS rounds (default 5), one process each per round (llama-bench -r 1),
# because this shared VM's speed drifts within minutes: a ratio is taken per round and the table
# gives its median with the lowest and highest round in brackets. Each Quench process also reports
# the time from opening the model to its first logits.
#
# Usage: tools/bench/run_prefill_bench.sh LLAMA_BIN_DIR [MODEL_DIR] [BUILD_DIR]
#   LLAMA_BIN_DIR  where llama-bench is (e.g. /work/ext/llama.cpp/build/bin)
#   MODEL_DIR      the pair written by make_tinyllama_pair.py (default /work/big/tinyllama):
#                  MODEL_DIR/model-f32.gguf and MODEL_DIR/hf
#   BUILD_DIR      Quench's build directory with tools/bench/bench_prefill (default build)
set -eu
LLAMA=${1:?usage: run_prefill_bench.sh LLAMA_BIN_DIR [MODEL_DIR] [BUILD_DIR]}
MODEL=${2:-/work/big/tinyllama}
BUILD=${3:-build}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-2}
TOKENS=${TOKENS:-512}
PY=${PYTHON:-/usr/bin/python3}
DIR=$(mktemp -d /tmp/quench-prefill-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
BENCH="$BUILD/tools/bench/bench_prefill"
GGUF="$MODEL/model-f32.gguf"
# Warm the page cache once (both read the same file), and measure the FMA peak.
"$BENCH" "$GGUF" --tokens 8 --threads "$THREADS" --peak >"$DIR/peak.json"
r=1
while [ "$r" -le "$ROUNDS" ]; do
  "$BENCH" "$GGUF" --tokens "$TOKENS" --threads "$THREADS" >"$DIR/quench-$r.json"
  "$LLAMA/llama-bench" -m "$GGUF" -p "$TOKENS" -n 0 -t "$THREADS" -r 1 -o json >"$DIR/llama-$r.json" 2>"$DIR/llama-$r.err"
  r=$((r + 1))
done
HF_ROUNDS=0
if [ -d "$MODEL/hf" ]; then
  HF_ROUNDS=$ROUNDS
  r=1
  while [ "$r" -le "$HF_ROUNDS" ]; do
    "$BENCH" "$MODEL/hf" --tokens "$TOKENS" --threads "$THREADS" >"$DIR/hf-$r.json" || HF_ROUNDS=0
    r=$((r + 1))
  done
fi
"$PY" - "$DIR" "$ROUNDS" "$HF_ROUNDS" <<'PYEOF'
import json, os, statistics, sys
d, rounds, hf_rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
med = statistics.median
peak = json.load(open(f"{d}/peak.json"))
q = [json.load(open(f"{d}/quench-{r}.json")) for r in range(1, rounds + 1)]
l = [json.load(open(f"{d}/llama-{r}.json"))[0] for r in range(1, rounds + 1)]
qs = [x["tokens_per_s"][0] for x in q]
ls = [x["avg_ts"] for x in l]
ratio = [a / b for a, b in zip(qs, ls)]
gflop = q[0]["prompt_gflop"] / q[0]["tokens"]  # per token
def spread(v, f="{:.1f}"):
    return f"{f.format(med(v))} [{f.format(min(v))}, {f.format(max(v))}]"
print(f"TinyLlama-1.1B-shaped model, {q[0]['tokens']}-token prompt, {q[0]['threads']} threads, {rounds} alternating rounds; "
      f"load average now {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
print(f"FMA peak of {q[0]['threads']} threads: {peak['fma_peak_gflops']:.1f} GFLOP/s; one prompt token = {gflop:.3f} GFLOP")
print(f"{'':34} {'tokens/s (median [min, max])':>30} {'% of FMA peak':>14}")
print(f"{'Quench, F32 GGUF':34} {spread(qs):>30} {100 * med(qs) * gflop / peak['fma_peak_gflops']:>13.1f}%")
print(f"{'llama.cpp llama-bench, F32 GGUF':34} {spread(ls):>30} {100 * med(ls) * gflop / peak['fma_peak_gflops']:>13.1f}%")
print(f"{'Quench / llama.cpp (per round)':34} {spread(ratio, '{:.3f}'):>30}")
if hf_rounds:
    h = [json.load(open(f"{d}/hf-{r}.json")) for r in range(1, hf_rounds + 1)]
    hs = [x["tokens_per_s"][0] for x in h]
    print(f"{'Quench, bf16 Hugging Face folder':34} {spread(hs):>30} {100 * med(hs) * gflop / peak['fma_peak_gflops']:>13.1f}%")
    print(f"open → first logits, bf16 HF: {spread([x['open_to_first_logits_s'] for x in h], '{:.3f}')} s")
print(f"open → first logits, F32 GGUF: {spread([x['open_to_first_logits_s'] for x in q], '{:.3f}')} s")
print(f"llama.cpp build: {l[0].get('build_commit', '?')}, backend {l[0].get('backends', '?')}")
PYEOF
