#!/bin/sh
# Quantization benchmark: Quench (bench_quant, Google Benchmark) and PyTorch with 2 threads
# (torch_quant.py) on a 4096×4096 float32 tensor, one after the other in one run, then one table
# of medians and ratios. Usage: tools/bench/run_quant_bench.sh BUILD_DIR (bench_quant built there)
set -eu
BUILD=${1:-build}
PY=${PYTHON:-/usr/bin/python3}
DIR=$(mktemp -d /tmp/quench-quant-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
"$BUILD/tools/bench/bench_quant" --benchmark_format=json >"$DIR/quench.json"
"$PY" "$(dirname "$0")/torch_quant.py" 7 >"$DIR/torch.json"
"$PY" - "$DIR/quench.json" "$DIR/torch.json" <<'PYEOF'
import json, sys
q = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
med = {}
for b in q["benchmarks"]:
    if b.get("aggregate_name") == "median":
        name = b["run_name"].split("/")[0].replace("BM_", "")
        med[name] = (b["real_time"], b.get("bytes_per_second", 0.0), b["cpu_time"])
copy_bw = max(med["CopyMemcpy"][1], med["CopyParallel"][1])
rows = [
    ("copy 64 MiB (memcpy)", "CopyMemcpy", "copy"),
    ("copy 64 MiB (2 threads)", "CopyParallel", None),
    ("int8 per-row absmax q+dq", "Int8RowAbsmax", "int8_row_absmax"),
    ("int4 group-128 min-max q+dq", "Int4Group128MinMax", "int4_group128_minmax"),
    ("histogram 2048 bins", "Histogram2048", "histogram2048"),
    ("after a parameter change", "AfterParameterChange", None),
    ("  same, codes kept + range pass", "AfterChangeAllOutputs", None),
]
import os
print(f"torch {t['torch']} with {t['threads']} threads; best copy bandwidth {copy_bw / 1e9:.2f} GB/s (read+written); "
      f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
print("Quench ms: median wall time; CPU ms: Quench's process CPU time (all threads) per iteration")
print(f"{'operation':32} {'Quench ms':>10} {'CPU ms':>8} {'PyTorch ms':>11} {'speed-up':>9} {'% of copy bw':>13}")
for label, qn, tn in rows:
    ms, bw, cpu = med[qn]
    tms = t.get(tn) if tn else None
    ratio = f"{tms / ms:8.2f}x" if tms else f"{'-':>9}"
    tcol = f"{tms:11.2f}" if tms else f"{'-':>11}"
    pct = f"{100 * bw / copy_bw:12.0f}%" if bw and qn.startswith("Int") else f"{'-':>13}"
    print(f"{label:32} {ms:10.2f} {cpu:8.2f} {tcol} {ratio} {pct}")
PYEOF
