#!/bin/sh
# Quantization benchmark: Quench (bench_quant, Google Benchmark) and PyTorch with 2 threads
# (torch_quant.py) on a 4096×4096 float32 tensor, in one run, then one table of medians and ratios.
#
# The two alternate for ROUNDS rounds (default 5): the machine this project runs on is a shared VM
# whose memory bandwidth drifts by up to 2× within minutes, so a ratio of two measurements taken
# a minute apart says more about the drift than about the code. Each round times copy, the
# kernels and PyTorch back to back; the table gives per-round medians, and for each ratio its
# median over the rounds with the lowest and highest round in brackets. The after-a-change rows
# (no PyTorch counterpart) are measured once at the end.
#
# The PyTorch ratios time what a user runs: the engine on a recipe rule (quantizeModel's step per
# tensor, as quench-cli quantize --recipe and the workbench's export run it; quantizeTensor, as
# quench-cli quantize --tensor runs it; eval::computeQuantView, as the workbench runs it after a
# recipe change), which also writes saturation flags and computes the §7 figures that PyTorch's
# q+dq does not. The fused kernels (core/simd/quant_kernels.h), which no application path calls,
# are timed for reference without a ratio.
# Usage: tools/bench/run_quant_bench.sh BUILD_DIR (bench_quant built there)
set -eu
BUILD=${1:-build}
ROUNDS=${ROUNDS:-5}
PY=${PYTHON:-/usr/bin/python3}
DIR=$(mktemp -d /tmp/quench-quant-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
r=1
while [ "$r" -le "$ROUNDS" ]; do
  "$BUILD/tools/bench/bench_quant" --benchmark_format=json \
    --benchmark_filter='^BM_(CopyMemcpy|CopyParallel|CopyStream|Int8RowAbsmax|Int4Group128MinMax|EngineInt8RowAbsmax|EngineInt4Group128MinMax|TensorInt8RowAbsmax|WorkbenchInt8RowAbsmax|WorkbenchInt4Group128MinMax|Histogram2048)/' >"$DIR/quench-$r.json"
  "$PY" "$(dirname "$0")/torch_quant.py" 7 >"$DIR/torch-$r.json"
  r=$((r + 1))
done
"$BUILD/tools/bench/bench_quant" --benchmark_format=json --benchmark_filter='^BM_AfterChange|^BM_AfterParameterChange' >"$DIR/after.json"
"$PY" - "$DIR" "$ROUNDS" <<'PYEOF'
import json, os, statistics, sys
d, rounds = sys.argv[1], int(sys.argv[2])

def medians(path):
    out = {}
    for b in json.load(open(path))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            out[b["run_name"].split("/")[0].replace("BM_", "")] = (b["real_time"], b.get("bytes_per_second", 0.0), b["cpu_time"])
    return out

q = [medians(f"{d}/quench-{r}.json") for r in range(1, rounds + 1)]
t = [json.load(open(f"{d}/torch-{r}.json")) for r in range(1, rounds + 1)]
after = medians(f"{d}/after.json")
copy_bw = [max(m["CopyMemcpy"][1], m["CopyParallel"][1], m["CopyStream"][1]) for m in q]
med = statistics.median

def spread(values, fmt):
    return f"{fmt(med(values))} [{fmt(min(values))}, {fmt(max(values))}]"

print(f"torch {t[0]['torch']} with {t[0]['threads']} threads; {rounds} alternating rounds; copy bandwidth (best of the three "
      f"copies, read+written) {spread([b / 1e9 for b in copy_bw], lambda v: f'{v:.1f}')} GB/s; "
      f"load average now {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
print("Quench ms and PyTorch ms: medians over rounds of each round's median; ratios: median over rounds [lowest, highest]")
print("int8 row = int8 per-row absmax quantize + dequantize; int4 g128 = int4 group-128 min-max; PyTorch times q+dq alone")
print(f"{'operation':32} {'Quench ms':>10} {'CPU ms':>8} {'PyTorch ms':>11} {'speed-up':>22} {'% of copy bw':>20}")
rows = [
    ("copy 64 MiB (memcpy)", "CopyMemcpy", "copy", False),
    ("copy 64 MiB (2 threads)", "CopyParallel", None, False),
    ("copy 64 MiB (2 threads, stream)", "CopyStream", None, False),
    ("int8 row: --recipe / export", "EngineInt8RowAbsmax", "int8_row_absmax", True),
    ("int8 row: --tensor (new buffers)", "TensorInt8RowAbsmax", "int8_row_absmax", True),
    ("int8 row: workbench", "WorkbenchInt8RowAbsmax", "int8_row_absmax", True),
    ("int8 row: fused kernel (unused)", "Int8RowAbsmax", None, True),
    ("int4 g128: --recipe / export", "EngineInt4Group128MinMax", "int4_group128_minmax", True),
    ("int4 g128: workbench", "WorkbenchInt4Group128MinMax", "int4_group128_minmax", True),
    ("int4 g128: fused kernel (unused)", "Int4Group128MinMax", None, True),
    ("histogram 2048 bins", "Histogram2048", "histogram2048", False),
]
for label, qn, tn, bw in rows:
    ms = [m[qn][0] for m in q]
    cpu = [m[qn][2] for m in q]
    line = f"{label:32} {med(ms):10.2f} {med(cpu):8.2f}"
    if tn:
        tms = [x[tn] for x in t]
        ratios = [a / b for a, b in zip(tms, ms)]
        line += f" {med(tms):11.2f} {spread(ratios, lambda v: f'{v:.2f}x'):>22}"
    else:
        line += f" {'-':>11} {'-':>22}"
    if bw:
        pct = [100 * m[qn][1] / c for m, c in zip(q, copy_bw)]
        line += f" {spread(pct, lambda v: f'{v:.0f}%'):>20}"
    else:
        line += f" {'-':>20}"
    print(line)
for label, qn in [("after a parameter change", "AfterParameterChange"),
                  ("  same, codes kept + range pass", "AfterChangeAllOutputs"),
                  ("  its quantize half", "AfterChangeQuantizeOnly"),
                  ("  its histogram half", "AfterChangeHistogramOnly")]:
    ms, _, cpu = after[qn]
    print(f"{label:32} {ms:10.2f} {cpu:8.2f} {'-':>11} {'-':>22} {'-':>20}")
PYEOF
