#!/usr/bin/python3
"""Independent float64 NumPy forward pass of the decoder architectures Quench runs, for golden logits.

It shares no code with core/model. It reads the files itself (safetensors, sharded with an
index.json or not, in F32/F16/BF16; GGUF with F32/F16/BF16 tensors; llama2.c through
tools/reference_llama.py), runs the whole sequence at once with a causal mask (no KV cache) in
float64, and follows, for each format, the definitions of the implementation that format belongs
to:

Hugging Face folders, as transformers' modeling_{llama,mistral,qwen2,qwen3,gemma,phi3}.py define
them:
  - RMSNorm: x / sqrt(mean(x²) + eps) · w; Gemma: · (1 + w);
  - RoPE on halves (rotate_half), θ_i = base^(−2i/d) over the rotary width d (Phi-3's
    partial_rotary_factor: the first int(head_dim·factor) dimensions), rescaled by rope_scaling
    "linear" (θ/factor) or "llama3" (transformers' _compute_llama3_parameters);
  - attention: q, k, v = x·Wᵀ (+ b: Qwen2 always on q/k/v, attention_bias on q/k/v/o for Llama,
    Qwen3 and Gemma); Qwen3 RMS-normalises every q and k head before RoPE; scores · head_dim^−½,
    causal softmax; GQA head h reads KV head h // (n_heads / n_kv_heads);
  - MLP: down(act(gate·x) ⊙ up·x) (+ biases with Llama's mlp_bias), act = SiLU, or Gemma's
    gelu_pytorch_tanh; Phi-3's gate_up_proj holds gate then up, qkv_proj holds q, k, v;
  - Gemma multiplies the embeddings by torch.tensor(√hidden, dtype) — √hidden rounded to the
    checkpoint's dtype (the stored dtype of the embedding);
  - Mistral / Phi-3 (and Qwen with use_sliding_window): the reference computes full causal
    attention, which is what a sliding window gives when the sequence fits in it; longer sequences
    are refused (as Quench refuses them).

GGUF files, as llama.cpp's llama, qwen2, qwen3, gemma and phi3 graphs compute them
(src/models/*.cpp): the same equations on the tensors as stored — llama rotates adjacent pairs
(its converter permuted wq/wk for that), the others halves; Gemma's norms already hold 1 + w and
the embedding scale is sqrtf(n_embd) in float32; Llama 3's scaling comes as per-frequency divisors
(rope_freqs.weight), linear scaling as {arch}.rope.scaling.factor.

Usage:
  tools/reference_decoder.py FOLDER_OR_GGUF TOKENS...     # prints argmax and logits per position
As a module: load(path[, transform]) -> model dict; forward(model, tokens) -> (n, vocab) float64
logits; embed, block and head are its three steps (tools/reference_depth.py runs them per layer).
"""
import json
import math
import os
import struct
import sys

import numpy as np

# ---------------------------------------------------------------------------------------------
# File readers


def _bf16_to_f64(raw):
    u16 = np.frombuffer(raw, dtype="<u2").astype(np.uint32)
    return (u16 << 16).view(np.float32).astype(np.float64)


def _decode(raw, dtype):
    if dtype == "F32":
        return np.frombuffer(raw, dtype="<f4").astype(np.float64)
    if dtype == "F16":
        return np.frombuffer(raw, dtype="<f2").astype(np.float64)
    if dtype == "BF16":
        return _bf16_to_f64(raw)
    raise ValueError("unsupported dtype %s" % dtype)


def read_safetensors(path):
    """{name: (float64 array, dtype name)} of one .safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = (_decode(data[base + a : base + b], info["dtype"]).reshape(info["shape"]), info["dtype"])
    return out


def read_hf_tensors(folder):
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        weight_map = json.load(open(index))["weight_map"]
        out = {}
        for shard in sorted(set(weight_map.values())):
            out.update(read_safetensors(os.path.join(folder, shard)))
        missing = set(weight_map) - set(out)
        assert not missing, "index names tensors its shards lack: %s" % sorted(missing)[:3]
        return out
    return read_safetensors(os.path.join(folder, "model.safetensors"))


GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
GGML_TYPES = {0: ("F32", 4), 1: ("F16", 2), 30: ("BF16", 2)}


def read_gguf(path):
    """(metadata dict, {name: float64 array in row-major shape}) of a GGUF v2/v3 file."""
    data = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("<Q")
        s = data[pos : pos + n].decode("utf-8")
        pos += n
        return s

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("<I"), take("<Q")
            return [value(et) for _ in range(n)]
        return take(GGUF_SCALARS[t])

    assert data[:4] == b"GGUF"
    pos = 4
    version, n_tensors, n_kv = take("<I"), take("<Q"), take("<Q")
    assert version in (2, 3)
    meta = {}
    for _ in range(n_kv):
        key = string()
        meta[key] = value(take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = string()
        nd = take("<I")
        ne = [take("<Q") for _ in range(nd)]
        t, off = take("<I"), take("<Q")
        infos.append((name, ne, t, off))
    align = meta.get("general.alignment", 32)
    start = (pos + align - 1) // align * align
    tensors = {}
    for name, ne, t, off in infos:
        dtype, size = GGML_TYPES[t]
        count = int(np.prod(ne))
        raw = data[start + off : start + off + count * size]
        tensors[name] = _decode(raw, dtype).reshape(list(reversed(ne)))  # ne[0] is innermost
    return meta, tensors


# ---------------------------------------------------------------------------------------------
# Models: a dict of float64 weights and the constants of the equations


def _llama3_inv_freq(inv, rs):
    factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
    old = rs["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old / low, old / high
    out = []
    for f in inv:
        wavelen = 2 * math.pi / f
        if wavelen < high_wavelen:
            out.append(f)
        elif wavelen > low_wavelen:
            out.append(f / factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            out.append((1 - smooth) * f / factor + smooth * f)
    return np.array(out)


def _round_to(x, dtype):
    if dtype == "BF16":
        bits = np.array([x], dtype=np.float32).view(np.uint32)
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000  # round to nearest even
        return float(bits.view(np.float32)[0])
    if dtype == "F16":
        return float(np.float16(x))
    return float(np.float32(x))


def load_hf(folder, transform=None):
    cfg = json.load(open(os.path.join(folder, "config.json")))
    arch = cfg["model_type"]
    t = read_hf_tensors(folder)
    if transform:
        t = {k: (transform(k, v), d) for k, (v, d) in t.items()}
    w = {k: v for k, (v, _) in t.items()}
    n_heads = cfg["num_attention_heads"]
    n_kv = cfg.get("num_key_value_heads") or n_heads
    hidden = cfg["hidden_size"]
    head_dim = cfg.get("head_dim") or hidden // n_heads
    rot = head_dim
    if arch == "phi3" and cfg.get("partial_rotary_factor", 1.0) != 1.0:
        rot = int(head_dim * cfg["partial_rotary_factor"])
    theta = cfg.get("rope_theta", 10000.0)
    inv = theta ** (-np.arange(0, rot, 2, dtype=np.float64) / rot)
    rs = cfg.get("rope_scaling") or {}
    kind = rs.get("rope_type", rs.get("type", "default"))
    if kind == "linear":
        inv = inv / rs["factor"]
    elif kind == "llama3":
        inv = _llama3_inv_freq(inv, rs)
    elif kind != "default":
        raise ValueError("rope type %s" % kind)
    emb_name = "model.embed_tokens.weight" if "model.embed_tokens.weight" in t else "lm_head.weight"
    emb, emb_dtype = t[emb_name]
    tied = cfg.get("tie_word_embeddings", arch == "gemma")
    gemma = arch == "gemma"
    norm = (lambda g: 1.0 + g) if gemma else (lambda g: g)
    layers = []
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        L = dict(attn_norm=norm(w[p + "input_layernorm.weight"]), ffn_norm=norm(w[p + "post_attention_layernorm.weight"]))
        if arch == "phi3":
            qkv = w[p + "self_attn.qkv_proj.weight"]
            q_dim, kv_dim = n_heads * head_dim, n_kv * head_dim
            L.update(wq=qkv[:q_dim], wk=qkv[q_dim : q_dim + kv_dim], wv=qkv[q_dim + kv_dim :])
            gu = w[p + "mlp.gate_up_proj.weight"]
            half = gu.shape[0] // 2
            L.update(gate=gu[:half], up=gu[half:])
        else:
            L.update(wq=w[p + "self_attn.q_proj.weight"], wk=w[p + "self_attn.k_proj.weight"],
                     wv=w[p + "self_attn.v_proj.weight"], gate=w[p + "mlp.gate_proj.weight"], up=w[p + "mlp.up_proj.weight"])
        L.update(wo=w[p + "self_attn.o_proj.weight"], down=w[p + "mlp.down_proj.weight"])
        for key, name in (("bq", "q_proj"), ("bk", "k_proj"), ("bv", "v_proj"), ("bo", "o_proj")):
            L[key] = w.get(p + "self_attn.%s.bias" % name)
        for key, name in (("bgate", "gate_proj"), ("bup", "up_proj"), ("bdown", "down_proj")):
            L[key] = w.get(p + "mlp.%s.bias" % name)
        if arch == "qwen3":
            L.update(q_norm=w[p + "self_attn.q_norm.weight"], k_norm=w[p + "self_attn.k_norm.weight"])
        layers.append(L)
    window = None
    if arch in ("mistral", "phi3") or cfg.get("use_sliding_window"):
        window = cfg.get("sliding_window")
    act = "silu"
    if gemma:
        act = cfg.get("hidden_activation") or "gelu_pytorch_tanh"
    return dict(emb=emb, out=emb if tied else w["lm_head.weight"], norm=norm(w["model.norm.weight"]), layers=layers,
                n_heads=n_heads, n_kv=n_kv, head_dim=head_dim, rot=rot, inv_freq=inv, eps=cfg["rms_norm_eps"],
                rope="halves", act=act, embed_scale=_round_to(math.sqrt(hidden), emb_dtype) if gemma else 1.0,
                window=window)


def load_gguf(path, transform=None):
    meta, t = read_gguf(path)
    if transform:
        t = {k: transform(k, v) for k, v in t.items()}
    arch = meta["general.architecture"]
    p = arch + "."
    n_heads = meta[p + "attention.head_count"]
    n_kv = meta.get(p + "attention.head_count_kv", n_heads)
    dim = meta[p + "embedding_length"]
    head_dim = meta.get(p + "attention.key_length", dim // n_heads)
    rot = meta.get(p + "rope.dimension_count", head_dim)
    theta = meta.get(p + "rope.freq_base", 10000.0)
    inv = theta ** (-np.arange(0, rot, 2, dtype=np.float64) / rot)
    factor = meta.get(p + "rope.scaling.factor", 0.0)
    if meta.get(p + "rope.scaling.type", "linear") == "linear" and factor not in (0.0, 1.0):
        inv = inv / factor
    if "rope_freqs.weight" in t:
        inv = inv / t["rope_freqs.weight"]
    layers = []
    for l in range(meta[p + "block_count"]):
        b = "blk.%d." % l
        L = dict(attn_norm=t[b + "attn_norm.weight"], ffn_norm=t[b + "ffn_norm.weight"], wo=t[b + "attn_output.weight"],
                 down=t[b + "ffn_down.weight"])
        if b + "attn_qkv.weight" in t:
            qkv = t[b + "attn_qkv.weight"]
            q_dim, kv_dim = n_heads * head_dim, n_kv * head_dim
            L.update(wq=qkv[:q_dim], wk=qkv[q_dim : q_dim + kv_dim], wv=qkv[q_dim + kv_dim :])
        else:
            L.update(wq=t[b + "attn_q.weight"], wk=t[b + "attn_k.weight"], wv=t[b + "attn_v.weight"])
        if arch == "phi3":
            gu = t[b + "ffn_up.weight"]
            half = gu.shape[0] // 2
            L.update(gate=gu[:half], up=gu[half:])
        else:
            L.update(gate=t[b + "ffn_gate.weight"], up=t[b + "ffn_up.weight"])
        for key, name in (("bq", "attn_q"), ("bk", "attn_k"), ("bv", "attn_v"), ("bo", "attn_output"),
                          ("bgate", "ffn_gate"), ("bup", "ffn_up"), ("bdown", "ffn_down")):
            L[key] = t.get(b + name + ".bias")
        if arch == "qwen3":
            L.update(q_norm=t[b + "attn_q_norm.weight"], k_norm=t[b + "attn_k_norm.weight"])
        layers.append(L)
    emb = t["token_embd.weight"]
    gemma = arch == "gemma"
    return dict(emb=emb, out=t.get("output.weight", emb), norm=t["output_norm.weight"], layers=layers, n_heads=n_heads,
                n_kv=n_kv, head_dim=head_dim, rot=rot, inv_freq=inv, eps=meta[p + "attention.layer_norm_rms_epsilon"],
                rope="adjacent" if arch == "llama" else "halves", act="gelu_pytorch_tanh" if gemma else "silu",
                embed_scale=float(np.float32(math.sqrt(np.float32(dim)))) if gemma else 1.0, window=None)


def load(path, transform=None):
    """transform(name, array) -> array, when given, replaces every tensor as read from the file
    (by its name in the file), before the model is assembled: a simulated quantization."""
    return load_gguf(path, transform) if path.endswith(".gguf") else load_hf(path, transform)


# ---------------------------------------------------------------------------------------------
# The forward pass


def rmsnorm(x, g, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * g


def rope(x, inv, rot, style):
    """x: (seq, heads, head_dim); rotates the first `rot` dimensions of every head."""
    seq = x.shape[0]
    ang = np.arange(seq, dtype=np.float64)[:, None] * inv[None, :]  # (seq, rot/2)
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    out = x.copy()
    r = x[..., :rot]
    if style == "halves":
        a, b = r[..., : rot // 2], r[..., rot // 2 :]
        out[..., :rot] = np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)
    else:
        a, b = r[..., 0::2], r[..., 1::2]
        out[..., 0:rot:2] = a * cos - b * sin
        out[..., 1:rot:2] = a * sin + b * cos
    return out


def act(name, g):
    if name == "silu":
        return g / (1 + np.exp(-g))
    if name in ("gelu_pytorch_tanh", "gelu_new", "gelu_fast"):
        return 0.5 * g * (1 + np.tanh(math.sqrt(2 / math.pi) * (g + 0.044715 * g ** 3)))
    if name == "gelu":
        from math import erf
        return 0.5 * g * (1 + np.vectorize(erf)(g / math.sqrt(2)))
    raise ValueError(name)


def linear(x, w, b=None):
    y = x @ w.T
    return y if b is None else y + b


def embed(m, tokens):
    """(seq, dim) residual stream before block 1."""
    return m["emb"][np.asarray(tokens)] * m["embed_scale"]


def block(m, L, x):
    """The residual stream after decoder block L applied to x (seq, dim), causal over the rows."""
    seq = x.shape[0]
    if m["window"] is not None and seq > m["window"]:
        raise ValueError("%d tokens exceed the sliding window of %d" % (seq, m["window"]))
    nh, nkv, hd = m["n_heads"], m["n_kv"], m["head_dim"]
    mask = np.triu(np.full((seq, seq), -np.inf), 1)
    h = rmsnorm(x, L["attn_norm"], m["eps"])
    q = linear(h, L["wq"], L.get("bq")).reshape(seq, nh, hd)
    k = linear(h, L["wk"], L.get("bk")).reshape(seq, nkv, hd)
    v = linear(h, L["wv"], L.get("bv")).reshape(seq, nkv, hd)
    if "q_norm" in L:
        q = rmsnorm(q, L["q_norm"], m["eps"])
        k = rmsnorm(k, L["k_norm"], m["eps"])
    q = rope(q, m["inv_freq"], m["rot"], m["rope"])
    k = rope(k, m["inv_freq"], m["rot"], m["rope"])
    k = np.repeat(k, nh // nkv, axis=1)  # head i uses kv head i // (nh/nkv)
    v = np.repeat(v, nh // nkv, axis=1)
    att = np.einsum("qhd,khd->hqk", q, k) / math.sqrt(hd) + mask
    att = np.exp(att - att.max(-1, keepdims=True))
    att /= att.sum(-1, keepdims=True)
    o = np.einsum("hqk,khd->qhd", att, v).reshape(seq, nh * hd)
    x = x + linear(o, L["wo"], L.get("bo"))
    h = rmsnorm(x, L["ffn_norm"], m["eps"])
    g = act(m["act"], linear(h, L["gate"], L.get("bgate")))
    return x + linear(g * linear(h, L["up"], L.get("bup")), L["down"], L.get("bdown"))


def head(m, x):
    """Logits (seq, vocab) of residual streams x: the final norm and the output matrix."""
    return rmsnorm(x, m["norm"], m["eps"]) @ m["out"].T


def forward(m, tokens):
    x = embed(m, tokens)  # (seq, dim)
    for L in m["layers"]:
        x = block(m, L, x)
    return head(m, x)


def main():
    path, toks = sys.argv[1], [int(t) for t in sys.argv[2:]]
    logits = forward(load(path), toks)
    for p, row in enumerate(logits):
        top = int(np.argmax(row))
        print("pos %d argmax %d logit[argmax] %.9g logits[0:5] %s" % (p, top, row[top], " ".join("%.9g" % v for v in row[:5])))


if __name__ == "__main__":
    main()
