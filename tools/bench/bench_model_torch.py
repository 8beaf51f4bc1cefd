#!/usr/bin/env python3
"""PyTorch baseline for tools/bench/bench_model.cpp: the same models, one token at a time with a
KV cache over positions 0..255, torch.set_num_threads(2), float32. Prints tokens/second.

Usage: /usr/bin/python3 tools/bench/bench_model_torch.py [SHARED_DATA]   (default ../shared/data)
The weights are read by tools/reference_llama.py's loaders (no transformers package needed)."""
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import reference_llama as ref  # noqa: E402


def to_torch(m):
    t = lambda a: torch.tensor(np.ascontiguousarray(a), dtype=torch.float32)
    out = dict(m)
    out["emb"], out["norm"], out["out"] = t(m["emb"]), t(m["norm"]), t(m["out"])
    out["layers"] = [{k: t(v) for k, v in L.items()} for L in m["layers"]]
    return out


def rope(x, pos, inv, style):  # x: (heads, hs)
    c, s = torch.cos(pos * inv), torch.sin(pos * inv)
    if style == "halves":
        h = x.shape[-1] // 2
        a, b = x[:, :h], x[:, h:]
        return torch.cat([a * c - b * s, a * s + b * c], dim=-1)
    a, b = x[:, 0::2], x[:, 1::2]
    return torch.stack([a * c - b * s, a * s + b * c], dim=-1).flatten(1)


@torch.no_grad()
def decode(m, positions):
    dim = m["emb"].shape[1]
    nh, nkv = m["n_heads"], m["n_kv"]
    hs = dim // nh
    inv = m["theta"] ** (-torch.arange(0, hs, 2, dtype=torch.float32) / hs)
    kc = [torch.zeros(positions, nkv, hs) for _ in m["layers"]]
    vc = [torch.zeros(positions, nkv, hs) for _ in m["layers"]]
    vocab = m["emb"].shape[0]
    for pos in range(positions):
        x = m["emb"][(pos * 7919 + 1) % vocab]
        for l, L in enumerate(m["layers"]):
            h = x * torch.rsqrt((x * x).mean() + m["eps"]) * L["attn_norm"]
            q = rope((L["wq"] @ h).view(nh, hs), pos, inv, m["rope"])
            kc[l][pos] = rope((L["wk"] @ h).view(nkv, hs), pos, inv, m["rope"])
            vc[l][pos] = (L["wv"] @ h).view(nkv, hs)
            k = kc[l][: pos + 1].repeat_interleave(nh // nkv, dim=1)  # (t, nh, hs)
            v = vc[l][: pos + 1].repeat_interleave(nh // nkv, dim=1)
            att = torch.softmax(torch.einsum("hd,thd->ht", q, k) / hs**0.5, dim=-1)
            x = x + L["wo"] @ torch.einsum("ht,thd->hd", att, v).reshape(dim)
            h = x * torch.rsqrt((x * x).mean() + m["eps"]) * L["ffn_norm"]
            x = x + L["w2"] @ (torch.nn.functional.silu(L["w1"] @ h) * (L["w3"] @ h))
        logits = m["out"] @ (x * torch.rsqrt((x * x).mean() + m["eps"]) * m["norm"])
    return logits


def main():
    torch.set_num_threads(2)
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../../shared/data")
    for name, m in [("stories260K", ref.load_llama2c(data + "/models/stories260K/stories260K.bin")),
                    ("TinyStories-656K", ref.load_hf(data + "/models/TinyStories-656K"))]:
        tm = to_torch(m)
        decode(tm, 16)  # warm-up
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            decode(tm, 256)
            best = min(best, time.perf_counter() - t0)
        print("%-18s torch %s, 2 threads: %.0f tokens/s (256 positions, best of 3)" % (name, torch.__version__, 256 / best))


if __name__ == "__main__":
    main()
