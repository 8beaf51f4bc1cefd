#!/usr/bin/env python3
"""Independent NumPy forward pass of a Llama model, to produce golden logits for Quench's tests.

It shares no code with core/model: it parses the files by hand (safetensors header + raw float32,
or the llama2.c legacy layout), runs the whole sequence at once with a causal mask (no KV cache),
in float64, and applies RoPE in the convention each source implies:
  - Hugging Face LlamaForCausalLM (rotate_half: pairs (i, i + head_dim/2)),
  - llama2.c (complex multiply of adjacent pairs (2i, 2i+1)).

Usage:
  tools/reference_llama.py hf FOLDER TOKENS...        # e.g. ../shared/data/models/TinyStories-656K 1 40 ...
  tools/reference_llama.py llama2c FILE.bin TOKENS...
Prints, per position, the argmax and the logits of ids 0..4 and of the argmax, with 9 digits.
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[base + a : base + b], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return out


def load_hf(folder):
    cfg = json.load(open(folder + "/config.json"))
    t = read_safetensors(folder + "/model.safetensors")
    emb = t["model.embed_tokens.weight"] if "model.embed_tokens.weight" in t else t["lm_head.weight"]
    layers = []
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        layers.append(dict(
            attn_norm=t[p + "input_layernorm.weight"], wq=t[p + "self_attn.q_proj.weight"],
            wk=t[p + "self_attn.k_proj.weight"], wv=t[p + "self_attn.v_proj.weight"],
            wo=t[p + "self_attn.o_proj.weight"], ffn_norm=t[p + "post_attention_layernorm.weight"],
            w1=t[p + "mlp.gate_proj.weight"], w2=t[p + "mlp.down_proj.weight"], w3=t[p + "mlp.up_proj.weight"]))
    # tie_word_embeddings: no lm_head.weight, the output matrix is the embedding.
    model = dict(emb=emb, layers=layers, norm=t["model.norm.weight"], out=t.get("lm_head.weight", emb),
                 n_heads=cfg["num_attention_heads"], n_kv=cfg.get("num_key_value_heads", cfg["num_attention_heads"]),
                 eps=cfg["rms_norm_eps"], theta=cfg.get("rope_theta", 10000.0), rope="halves")
    return model


def load_llama2c(path):
    data = open(path, "rb").read()
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = struct.unpack("<7i", data[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    hs = dim // n_heads
    kv_dim = hs * n_kv
    floats = np.frombuffer(data[28:], dtype="<f4").astype(np.float64)
    pos = 0

    def take(*shape):
        nonlocal pos
        n = int(np.prod(shape))
        a = floats[pos : pos + n].reshape(shape)
        pos += n
        return a

    emb = take(vocab, dim)
    att_norm = take(n_layers, dim)
    wq, wk, wv, wo = take(n_layers, dim, dim), take(n_layers, kv_dim, dim), take(n_layers, kv_dim, dim), take(n_layers, dim, dim)
    ffn_norm = take(n_layers, dim)
    w1, w2, w3 = take(n_layers, hidden, dim), take(n_layers, dim, hidden), take(n_layers, hidden, dim)
    norm = take(dim)
    take(seq_len, hs // 2)
    take(seq_len, hs // 2)
    out = emb if shared else take(vocab, dim)
    layers = [dict(attn_norm=att_norm[l], wq=wq[l], wk=wk[l], wv=wv[l], wo=wo[l], ffn_norm=ffn_norm[l],
                   w1=w1[l], w2=w2[l], w3=w3[l]) for l in range(n_layers)]
    return dict(emb=emb, layers=layers, norm=norm, out=out, n_heads=n_heads, n_kv=n_kv, eps=1e-5, theta=10000.0,
                rope="adjacent")


def rmsnorm(x, g, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * g


def rope(x, theta, style):
    # x: (seq, heads, hs)
    seq, _, hs = x.shape
    inv = theta ** (-np.arange(0, hs, 2, dtype=np.float64) / hs)  # (hs/2)
    ang = np.arange(seq, dtype=np.float64)[:, None] * inv[None, :]  # (seq, hs/2)
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    if style == "halves":
        a, b = x[..., : hs // 2], x[..., hs // 2 :]
        return np.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)
    a, b = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = a * cos - b * sin
    out[..., 1::2] = a * sin + b * cos
    return out


def forward(m, tokens):
    x = m["emb"][tokens]  # (seq, dim)
    seq, dim = x.shape
    nh, nkv = m["n_heads"], m["n_kv"]
    hs = dim // nh
    mask = np.triu(np.full((seq, seq), -np.inf), 1)
    for L in m["layers"]:
        h = rmsnorm(x, L["attn_norm"], m["eps"])
        q = rope((h @ L["wq"].T).reshape(seq, nh, hs), m["theta"], m["rope"])
        k = rope((h @ L["wk"].T).reshape(seq, nkv, hs), m["theta"], m["rope"])
        v = (h @ L["wv"].T).reshape(seq, nkv, hs)
        k = np.repeat(k, nh // nkv, axis=1)  # head i uses kv head i // (nh/nkv)
        v = np.repeat(v, nh // nkv, axis=1)
        att = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(hs) + mask
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        o = np.einsum("hqk,khd->qhd", att, v).reshape(seq, dim)
        x = x + o @ L["wo"].T
        h = rmsnorm(x, L["ffn_norm"], m["eps"])
        g = h @ L["w1"].T
        x = x + ((g / (1 + np.exp(-g))) * (h @ L["w3"].T)) @ L["w2"].T
    return rmsnorm(x, m["norm"], m["eps"]) @ m["out"].T


def main():
    kind, path, toks = sys.argv[1], sys.argv[2], [int(t) for t in sys.argv[3:]]
    m = load_hf(path) if kind == "hf" else load_llama2c(path)
    logits = forward(m, np.array(toks))
    for p, row in enumerate(logits):
        top = int(np.argmax(row))
        print("pos %d argmax %d logit[argmax] %.9g logits[0:5] %s" % (p, top, row[top], " ".join("%.9g" % v for v in row[:5])))


if __name__ == "__main__":
    main()
