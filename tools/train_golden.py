#!/usr/bin/python3
"""Golden values for Quench's training engine (core/train), computed by PyTorch in float64.

Writes tests/data/train/train_golden.json with
  - "adamw": a few steps of torch.optim.AdamW (two parameter groups: decayed and not) with
    torch.nn.utils.clip_grad_norm_ before each step, from given parameters and gradients;
  - "gradients": dL/dθ of the demo LM (resources/demo-lm) for two losses on the test sentence of
    tests/data/demo_lm_golden.json: cross-entropy of the whole model, and the distillation loss of
    MATH.md §16 (α = 0.5, T = 2) of a student made of the model's first block only (embedding, block
    0, final norm, tied output) against the whole model as teacher. Per tensor: the gradient's
    norm, its first 8 values and its largest-magnitude value with its index.

The model code below is our own float64 re-implementation of the Llama architecture (the same as
tools/train_demo_lm.py's TinyLlama, with grouped KV heads and rotate-half RoPE), independent of
Quench's C++ engine.

    /usr/bin/python3 tools/train_golden.py
"""
import json
import math
import os
import struct

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "resources", "demo-lm")
OUT = os.path.join(ROOT, "tests", "data", "train", "train_golden.json")


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32"
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[8 + n + a:8 + n + b], dtype="<f4").reshape(info["shape"]).copy())
    return out


def rms_norm(x, w, eps):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * w


def rope(x, theta):
    """x (heads, t, hd); rotate-half pairs (i, i + hd/2) by pos·theta^(−2i/hd)."""
    t, hd = x.shape[-2], x.shape[-1]
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = torch.arange(t, dtype=torch.float64)[:, None] * inv[None, :]
    ang = torch.cat([ang, ang], dim=-1)
    half = hd // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * ang.cos() + rotated * ang.sin()


def forward(w, cfg, ids, layers):
    dim, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, eps, theta = dim // nh, cfg["rms_norm_eps"], cfg["rope_theta"]
    t = len(ids)
    x = w["model.embed_tokens.weight"][torch.tensor(ids)]
    mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
    for l in range(layers):
        p = "model.layers.%d." % l
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = (h @ w[p + "self_attn.q_proj.weight"].T).view(t, nh, hd).transpose(0, 1)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).view(t, nkv, hd).transpose(0, 1)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).view(t, nkv, hd).transpose(0, 1)
        q, k = rope(q, theta), rope(k, theta)
        k = k.repeat_interleave(nh // nkv, dim=0)
        v = v.repeat_interleave(nh // nkv, dim=0)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
        att = att.masked_fill(mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(0, 1).reshape(t, nh * hd)
        x = x + y @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        g = h @ w[p + "mlp.gate_proj.weight"].T
        u = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * u) @ w[p + "mlp.down_proj.weight"].T
    out = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    return rms_norm(x, w["model.norm.weight"], eps) @ out.T


def grad_record(w):
    rec = {}
    for name, p in w.items():
        g = p.grad.reshape(-1)
        i = int(torch.argmax(g.abs()))
        rec[name] = {"norm": float(g.norm()), "first": [float(v) for v in g[:8]], "max_index": i, "max_value": float(g[i])}
    return rec


def gradients():
    cfg = json.load(open(os.path.join(DEMO, "config.json")))
    golden = json.load(open(os.path.join(ROOT, "tests", "data", "demo_lm_golden.json")))
    ids = [1] + golden["test_sentence_ids"]  # BOS + the sentence
    base = {k: v.to(torch.float64) for k, v in read_safetensors(os.path.join(DEMO, "model.safetensors")).items()}
    labels = torch.tensor(ids[1:])
    out = {"tokens": ids}

    # Cross-entropy of the whole model, averaged over the n − 1 positions with a next token.
    w = {k: v.clone().requires_grad_(True) for k, v in base.items()}
    z = forward(w, cfg, ids, cfg["num_hidden_layers"])[:-1]
    loss = torch.nn.functional.cross_entropy(z, labels)
    loss.backward()
    out["ce_full"] = {"layers": cfg["num_hidden_layers"], "alpha": 0.0, "temperature": 1.0,
                      "loss": float(loss), "grads": grad_record(w)}

    # Distillation (MATH.md §16) of the first block alone against the whole model.
    alpha, T = 0.5, 2.0
    with torch.no_grad():
        zt = forward(base, cfg, ids, cfg["num_hidden_layers"])[:-1]
    keep = [k for k in base if not k.startswith("model.layers.") or k.startswith("model.layers.0.")]
    w = {k: base[k].clone().requires_grad_(True) for k in keep}
    zs = forward(w, cfg, ids, 1)[:-1]
    pt = torch.softmax(zt / T, -1)
    kl = (pt * (torch.log_softmax(zt / T, -1) - torch.log_softmax(zs / T, -1))).sum(-1)
    ce = torch.nn.functional.cross_entropy(zs, labels, reduction="none")
    loss = (alpha * T * T * kl + (1 - alpha) * ce).mean()
    loss.backward()
    out["kd_first_block"] = {"layers": 1, "alpha": alpha, "temperature": T, "loss": float(loss), "grads": grad_record(w)}
    return out


def adamw():
    torch.manual_seed(7)
    p0 = torch.randn(6, dtype=torch.float64).to(torch.float32).to(torch.float64)  # float32-exact start
    grads = [torch.randn(6, dtype=torch.float64).to(torch.float32).to(torch.float64) * (1 + s) for s in range(5)]
    lrs = [1e-2, 2e-2, 2e-2, 1.5e-2, 5e-3]
    wd, clip = 0.1, 1.5
    decayed = torch.nn.Parameter(p0[:4].clone())
    kept = torch.nn.Parameter(p0[4:].clone())
    opt = torch.optim.AdamW([{"params": [decayed], "weight_decay": wd}, {"params": [kept], "weight_decay": 0.0}],
                            lr=lrs[0], betas=(0.9, 0.999), eps=1e-8)
    after, norms = [], []
    for g, lr in zip(grads, lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        decayed.grad = g[:4].clone()
        kept.grad = g[4:].clone()
        norms.append(float(torch.nn.utils.clip_grad_norm_([decayed, kept], clip)))
        opt.step()
        after.append([float(v) for v in torch.cat([decayed.detach(), kept.detach()])])
    return {"params": [float(v) for v in p0], "grads": [[float(v) for v in g] for g in grads], "lr": lrs,
            "weight_decay": wd, "decay_mask": [1, 1, 1, 1, 0, 0], "clip": clip, "norms": norms, "after": after}


def main():
    torch.set_num_threads(1)
    out = {"about": "Written by tools/train_golden.py (PyTorch %s, float64)" % torch.__version__,
           "adamw": adamw(), "gradients": gradients()}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
