#!/usr/bin/env python3
"""PyTorch baseline for bench_divergence: per-token KL(P||Q), JS and top-1 agreement over a
(positions, vocabulary) float32 logit matrix pair, the same figures TokenAccumulator::addRows
computes, with torch.set_num_threads(2) (float32 elementwise, as PyTorch users run it).

Usage: torch_divergence.py P.npy Q.npy [repeats]   (run by tools/bench/run_divergence_bench.sh)
"""
import sys
import time

import numpy as np
import torch


def per_token(zp, zq):
    lp = torch.log_softmax(zp, dim=-1)
    lq = torch.log_softmax(zq, dim=-1)
    p, q = lp.exp(), lq.exp()
    kl = (p * (lp - lq)).sum(-1, dtype=torch.float64)
    lm = (0.5 * (p + q)).log()
    js = 0.5 * (p * (lp - lm)).sum(-1, dtype=torch.float64) + 0.5 * (q * (lq - lm)).sum(-1, dtype=torch.float64)
    top1 = (zp.argmax(-1) == zq.argmax(-1)).double().mean()
    return kl.mean().item(), js.mean().item(), top1.item()


def main():
    torch.set_num_threads(2)
    zp = torch.from_numpy(np.load(sys.argv[1]))
    zq = torch.from_numpy(np.load(sys.argv[2]))
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    with torch.no_grad():
        figures = per_token(zp, zq)  # warm-up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            figures = per_token(zp, zq)
            times.append(time.perf_counter() - t0)
    rows, vocab = zp.shape
    print(f"torch {torch.__version__}, 2 threads, {rows}x{vocab} float32: "
          f"median {1e3 * float(np.median(times)):.1f} ms, min {1e3 * min(times):.1f} ms "
          f"(kl_mean {figures[0]:.9g}, js_mean {figures[1]:.9g}, top1 {figures[2]:.6f})")


if __name__ == "__main__":
    main()
