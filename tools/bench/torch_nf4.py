#!/usr/bin/python3
"""NF4 blockwise quantize + dequantize (block 64) on a 4096 x 4096 float32 tensor in PyTorch, and
the ratio against Quench's kernel measured in the same run.

PyTorch side: torch.set_num_threads(2), preallocated outputs (out=), per block absmax, x/absmax,
torch.bucketize against the 15 NF4 midpoints (right=False: index = number of midpoints strictly
below the value, the same lower-index-at-ties rule), levels gathered and rescaled.

    /usr/bin/python3 tools/bench/torch_nf4.py BUILD_DIR/tools/bench/bench_codebook

runs the Quench benchmark binary (2 TBB threads) with JSON output, times PyTorch, and prints both
and the ratio. Without an argument only PyTorch is timed."""
import json
import statistics
import subprocess
import sys
import time

import torch

NF4 = [-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
       -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
       0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
       0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0]


def torch_ms(repeats=10):
    torch.set_num_threads(2)
    torch.manual_seed(1)
    rows, cols, block = 4096, 4096, 64
    x = (torch.randn(rows * cols, dtype=torch.float32) * 0.02).view(-1, block)
    levels = torch.tensor(NF4, dtype=torch.float32)
    mids = ((levels[:-1].double() + levels[1:].double()) / 2).float()
    absx = torch.empty_like(x)
    absmax = torch.empty(x.shape[0], 1, dtype=torch.float32)
    xn = torch.empty_like(x)
    idx = torch.empty(x.shape, dtype=torch.int64)
    rec = torch.empty_like(x)

    def once():
        torch.abs(x, out=absx)
        torch.amax(absx, dim=1, keepdim=True, out=absmax)
        torch.div(x, absmax, out=xn)
        torch.bucketize(xn, mids, right=False, out=idx)
        torch.take(levels, idx, out=rec)
        rec.mul_(absmax)

    with torch.no_grad():
        once()  # warm-up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            once()
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def quench_ms(binary):
    out = subprocess.run([binary, "--benchmark_filter=BM_Nf4Quench/2", "--benchmark_format=json",
                          "--benchmark_repetitions=5", "--benchmark_report_aggregates_only=true"],
                         check=True, capture_output=True, text=True).stdout
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            assert b["time_unit"] == "ms"
            return b["real_time"]
    raise RuntimeError("no median in the benchmark output")


if __name__ == "__main__":
    print(f"torch {torch.__version__}, threads 2")
    q = quench_ms(sys.argv[1]) if len(sys.argv) > 1 else None
    t = torch_ms()
    print(f"NF4 B=64 4096x4096 fp32  PyTorch bucketize: {t:.1f} ms")
    if q is not None:
        print(f"NF4 B=64 4096x4096 fp32  Quench (2 threads): {q:.2f} ms")
        print(f"speedup Quench / PyTorch: {t / q:.1f}x")
