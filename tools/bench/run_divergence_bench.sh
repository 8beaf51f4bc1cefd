#!/bin/sh
# Per-token KL + JS + top-1 over 2048 × 32000 float32 logits: Quench (bench_divergence) against
# PyTorch with 2 threads (torch_divergence.py), on the same files in /tmp, in one run.
# Usage: tools/bench/run_divergence_bench.sh BUILD_DIR   (bench_divergence built there)
set -eu
BUILD=${1:-build}
PY=${PYTHON:-/usr/bin/python3}
DIR=$(mktemp -d /tmp/quench-div-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
"$PY" - "$DIR" <<'PYEOF'
import sys, numpy as np
rng = np.random.default_rng(1)
p = (3.0 * rng.standard_normal((2048, 32000))).astype(np.float32)
q = (p + 0.1 * rng.standard_normal((2048, 32000))).astype(np.float32)
np.save(sys.argv[1] + "/p.npy", p)
np.save(sys.argv[1] + "/q.npy", q)
PYEOF
echo "== Quench (bench_divergence)"
QUENCH_DIV_BENCH_P="$DIR/p.npy" QUENCH_DIV_BENCH_Q="$DIR/q.npy" "$BUILD/tools/bench/bench_divergence"
echo "== PyTorch (torch_divergence.py)"
"$PY" "$(dirname "$0")/torch_divergence.py" "$DIR/p.npy" "$DIR/q.npy" 3
