#!/usr/bin/python3
"""PyTorch baselines for tools/bench/bench_quant.cpp on the same 4096x4096 float32 shape, 2 threads,
preallocated outputs (out=) wherever PyTorch allows. Prints one JSON object: median milliseconds.
Usage: /usr/bin/python3 tools/bench/torch_quant.py [REPEATS]"""
import json
import sys
import time

import torch


def median_ms(fn, repeats):
    fn()  # warm up (allocator, thread pool)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    torch.set_num_threads(2)
    torch.manual_seed(1)
    rows = cols = 4096
    x = torch.randn(rows, cols) * 0.02
    y = torch.empty_like(x)

    # int8 per-row absmax: s = max|x|/127, q = clamp(round(x/s), -127, 127), x~ = q*s.
    amax = torch.empty(rows, 1)
    scale = torch.empty(rows, 1)
    tmp = torch.empty_like(x)
    codes8 = torch.empty(rows, cols, dtype=torch.int8)
    recon = torch.empty_like(x)

    def int8_row():
        torch.amax(torch.abs(x, out=tmp), dim=1, keepdim=True, out=amax)
        torch.div(amax, 127.0, out=scale)
        torch.div(x, scale, out=tmp)
        torch.round(tmp, out=tmp)
        torch.clamp(tmp, -127, 127, out=tmp)
        codes8.copy_(tmp)
        torch.mul(tmp, scale, out=recon)

    # int4 group-128 min-max: s = (max-min)/15, b = round(-min/s), q = clamp(round(x/s)+b, 0, 15),
    # x~ = (q-b)*s; one uint8 code per element.
    g = x.view(-1, 128)
    ng = g.shape[0]
    mn = torch.empty(ng, 1)
    mx = torch.empty(ng, 1)
    s4 = torch.empty(ng, 1)
    b4 = torch.empty(ng, 1)
    t4 = torch.empty_like(g)
    codes4 = torch.empty(ng, 128, dtype=torch.uint8)
    r4 = torch.empty_like(g)

    def int4_group():
        torch.amin(g, dim=1, keepdim=True, out=mn)
        torch.amax(g, dim=1, keepdim=True, out=mx)
        torch.sub(mx, mn, out=s4)
        s4.div_(15.0)
        torch.div(mn, s4, out=b4)
        b4.neg_().round_()
        torch.div(g, s4, out=t4)
        t4.round_().add_(b4).clamp_(0, 15)
        codes4.copy_(t4)
        torch.sub(t4, b4, out=r4)
        r4.mul_(s4)

    lo, hi = float(x.min()), float(x.max())
    out = {
        "copy": median_ms(lambda: y.copy_(x), repeats),
        "int8_row_absmax": median_ms(int8_row, repeats),
        "int4_group128_minmax": median_ms(int4_group, repeats),
        "histogram2048": median_ms(lambda: torch.histc(x, bins=2048, min=lo, max=hi), repeats),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
