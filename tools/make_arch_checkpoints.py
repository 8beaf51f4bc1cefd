#!/usr/bin/python3
"""Small random-weight checkpoints of every architecture and feature Quench runs, with golden logits.

For each case below it writes, under tests/data/model/<case>/:
  hf/            a Hugging Face folder: config.json, tokenizer.json (a 64-piece BPE vocabulary with
                 no merges), and the weights in bf16 safetensors — sharded like the Hub's
                 (model-00001-of-00002.safetensors, ..., model.safetensors.index.json) where the
                 case says so;
  model.gguf     the same weights as llama.cpp's converter (convert_hf_to_gguf.py) lays them out:
                 GGUF names and metadata keys, q/k rows permuted for the llama architecture
                 (Mistral is converted as llama), Gemma's norms stored as 1 + w (rounded to bf16, as
                 the converter adds 1 to the bf16 tensor), Llama 3's RoPE scaling as the
                 per-frequency divisors rope_freqs.weight, linear scaling as rope.scaling.*;
                 1-D tensors in F32, matrices in the case's GGUF type;
  golden.json    the token sequence and the logits of tools/reference_decoder.py (float64) for
                 both files, every position and every vocabulary entry.
Both writers are ours (llama.cpp's gguf-py is not needed). Weights are drawn from a seeded NumPy
generator and rounded to bf16, so the files are reproducible byte for byte.

Usage: tools/make_arch_checkpoints.py [OUT_DIR]   (default: tests/data/model)
"""
import json
import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_decoder as ref  # noqa: E402

VOCAB = 64
SEQ = 20  # tokens of the golden sequence

# Each case: the config.json fields beyond the common ones, the shards, the GGUF tensor type.
COMMON = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
              vocab_size=VOCAB, max_position_embeddings=64, rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2,
              torch_dtype="bfloat16")
CASES = {
    # Llama 2 shape: GQA, untied classifier, two shards.
    "llama": dict(config=dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_act="silu",
                              rope_theta=10000.0, tie_word_embeddings=False), shards=2, gguf="F32"),
    # Llama 3.2 shape: llama3 RoPE scaling (θ = 100 so that one frequency falls in the smoothed
    # band of a 32-token original context), tied embeddings, explicit head_dim.
    "llama3": dict(config=dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_act="silu", head_dim=8,
                               rope_theta=100.0, tie_word_embeddings=True,
                               rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                                 high_freq_factor=4.0, original_max_position_embeddings=32)),
                   shards=1, gguf="F16"),
    # Linear RoPE scaling, and Llama's attention_bias / mlp_bias.
    "llama-linear-bias": dict(config=dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_act="silu",
                                          rope_theta=10000.0, tie_word_embeddings=False, attention_bias=True,
                                          mlp_bias=True, rope_scaling=dict(type="linear", factor=4.0)),
                              shards=1, gguf="F32"),
    # Mistral: a sliding window longer than the golden sequence (longer ones are refused).
    "mistral": dict(config=dict(model_type="mistral", architectures=["MistralForCausalLM"], hidden_act="silu",
                                head_dim=8, rope_theta=10000.0, sliding_window=24, tie_word_embeddings=False),
                    shards=2, gguf="F16"),
    # Qwen2: q/k/v biases (o none), tied, large θ.
    "qwen2": dict(config=dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], hidden_act="silu",
                              rope_theta=1000000.0, tie_word_embeddings=True, use_sliding_window=False,
                              sliding_window=32), shards=1, gguf="BF16"),
    # Qwen3: per-head q/k RMSNorm, head_dim 16 ≠ hidden / heads = 8.
    "qwen3": dict(config=dict(model_type="qwen3", architectures=["Qwen3ForCausalLM"], hidden_act="silu", head_dim=16,
                              rope_theta=1000000.0, tie_word_embeddings=False, attention_bias=False),
                  shards=2, gguf="F16"),
    # Gemma: 1 + w norms, √hidden embedding scale in bf16, GeGLU (tanh), one KV head, head_dim 16.
    "gemma": dict(config=dict(model_type="gemma", architectures=["GemmaForCausalLM"], hidden_act="gelu",
                              hidden_activation="gelu_pytorch_tanh", head_dim=16, num_key_value_heads=1,
                              rope_theta=10000.0, tie_word_embeddings=True, rms_norm_eps=1e-6),
                  shards=1, gguf="F32"),
    # Phi-3: fused qkv_proj and gate_up_proj, half the head rotated (partial_rotary_factor, as
    # Phi-4-mini), a sliding window.
    "phi3": dict(config=dict(model_type="phi3", architectures=["Phi3ForCausalLM"], hidden_act="silu",
                             rope_theta=10000.0, tie_word_embeddings=False, partial_rotary_factor=0.5,
                             sliding_window=48), shards=2, gguf="BF16"),
}


# ---------------------------------------------------------------------------------------------
# bf16 and the writers


def to_bf16_bits(x):
    """float → bf16 bits, round to nearest even."""
    b = np.asarray(x, dtype=np.float32).view(np.uint32)
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)


def bf16_round(x):
    return (to_bf16_bits(x).astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: float32 array (bf16-exact)} written as BF16."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, a in tensors.items():
        raw = to_bf16_bits(a).tobytes()
        header[name] = dict(dtype="BF16", shape=list(a.shape), data_offsets=[off, off + len(raw)])
        blobs.append(raw)
        off += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(tmp, path)


def write_hf(folder, config, tensors, shards):
    os.makedirs(folder, exist_ok=True)
    names = list(tensors)
    if shards == 1:
        write_safetensors(os.path.join(folder, "model.safetensors"), tensors, {"format": "pt"})
    else:
        per = math.ceil(len(names) / shards)
        weight_map, total = {}, 0
        for s in range(shards):
            part = {n: tensors[n] for n in names[s * per : (s + 1) * per]}
            fname = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
            write_safetensors(os.path.join(folder, fname), part, {"format": "pt"})
            for n, a in part.items():
                weight_map[n] = fname
                total += a.size * 2
        index = {"metadata": {"total_size": total}, "weight_map": weight_map}
        json.dump(index, open(os.path.join(folder, "model.safetensors.index.json"), "w"), indent=2)
    json.dump(config, open(os.path.join(folder, "config.json"), "w"), indent=2)
    json.dump(tokenizer_json(), open(os.path.join(folder, "tokenizer.json"), "w"), indent=1)


def pieces():
    return ["<unk>", "<s>", "</s>"] + ["t%02d" % i for i in range(3, VOCAB)]


def tokenizer_json():
    vocab = {p: i for i, p in enumerate(pieces())}
    added = [dict(id=i, content=p, special=True) for i, p in enumerate(pieces()[:3])]
    return dict(version="1.0", added_tokens=added, model=dict(type="BPE", vocab=vocab, merges=[], unk_token="<unk>"))


GGUF_U32, GGUF_I32, GGUF_F32, GGUF_STRING, GGUF_ARRAY = 4, 5, 6, 8, 9
GGML = {"F32": (0, "<f4"), "F16": (1, "<f2"), "BF16": (30, None)}


def gguf_value(t, v):
    if t == GGUF_U32:
        return struct.pack("<I", v)
    if t == GGUF_I32:
        return struct.pack("<i", v)
    if t == GGUF_F32:
        return struct.pack("<f", v)
    if t == GGUF_STRING:
        b = v.encode()
        return struct.pack("<Q", len(b)) + b
    raise ValueError(t)


def write_gguf(path, kv, tensors):
    """kv: [(key, type, value)] (arrays as (GGUF_ARRAY, (elem type, list))); tensors: [(name, array, type)]."""
    out = [b"GGUF", struct.pack("<IQQ", 3, len(tensors), len(kv))]
    for key, t, v in kv:
        out.append(gguf_value(GGUF_STRING, key) + struct.pack("<I", t))
        if t == GGUF_ARRAY:
            et, items = v
            out.append(struct.pack("<IQ", et, len(items)) + b"".join(gguf_value(et, x) for x in items))
        else:
            out.append(gguf_value(t, v))
    blobs, off = [], 0
    for name, a, ty in tensors:
        code, np_type = GGML[ty]
        raw = to_bf16_bits(a).tobytes() if ty == "BF16" else a.astype(np_type).tobytes()
        out.append(gguf_value(GGUF_STRING, name) + struct.pack("<I", a.ndim))
        out.append(b"".join(struct.pack("<Q", d) for d in reversed(a.shape)))  # ne[0] innermost
        out.append(struct.pack("<IQ", code, off))
        pad = (32 - len(raw) % 32) % 32
        blobs.append(raw + b"\0" * pad)
        off += len(raw) + pad
    head = b"".join(out)
    head += b"\0" * ((32 - len(head) % 32) % 32)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(head + b"".join(blobs))
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# Random weights and llama.cpp's conversion


def make_weights(cfg, rng):
    arch = cfg["model_type"]
    d, hid, nh = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads", nh)
    hd = cfg.get("head_dim") or d // nh
    q, kv = nh * hd, nkv * hd
    t = {}

    def mat(rows, cols, scale=1.0):
        return bf16_round(rng.normal(0, scale / math.sqrt(cols), (rows, cols)).astype(np.float32))

    def gain(n):  # RMSNorm gains around 1 (Gemma stores w with the 1 added at run time)
        g = rng.normal(0 if arch == "gemma" else 1.0, 0.2, n).astype(np.float32)
        return bf16_round(g)

    def bias(n):
        return bf16_round(rng.normal(0, 0.5, n).astype(np.float32))

    t["model.embed_tokens.weight"] = bf16_round(rng.normal(0, 1.0, (VOCAB, d)).astype(np.float32))
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        t[p + "input_layernorm.weight"] = gain(d)
        if arch == "phi3":
            t[p + "self_attn.qkv_proj.weight"] = mat(q + 2 * kv, d)
        else:
            t[p + "self_attn.q_proj.weight"] = mat(q, d)
            t[p + "self_attn.k_proj.weight"] = mat(kv, d)
            t[p + "self_attn.v_proj.weight"] = mat(kv, d)
        qkv_bias = arch == "qwen2" or cfg.get("attention_bias", False)
        if qkv_bias:
            t[p + "self_attn.q_proj.bias"] = bias(q)
            t[p + "self_attn.k_proj.bias"] = bias(kv)
            t[p + "self_attn.v_proj.bias"] = bias(kv)
        if arch == "qwen3":
            t[p + "self_attn.q_norm.weight"] = gain(hd)
            t[p + "self_attn.k_norm.weight"] = gain(hd)
        t[p + "self_attn.o_proj.weight"] = mat(d, q)
        if cfg.get("attention_bias", False):
            t[p + "self_attn.o_proj.bias"] = bias(d)
        t[p + "post_attention_layernorm.weight"] = gain(d)
        if arch == "phi3":
            t[p + "mlp.gate_up_proj.weight"] = mat(2 * hid, d)
        else:
            t[p + "mlp.gate_proj.weight"] = mat(hid, d)
            t[p + "mlp.up_proj.weight"] = mat(hid, d)
        t[p + "mlp.down_proj.weight"] = mat(d, hid)
        if cfg.get("mlp_bias", False):
            t[p + "mlp.gate_proj.bias"] = bias(hid)
            t[p + "mlp.up_proj.bias"] = bias(hid)
            t[p + "mlp.down_proj.bias"] = bias(d)
    t["model.norm.weight"] = gain(d)
    if not cfg.get("tie_word_embeddings", arch == "gemma"):
        t["lm_head.weight"] = mat(VOCAB, d, 4.0)
    return t


def permute(w, n_head):
    """llama.cpp's LlamaModel.permute: rows of each head reordered so that adjacent-pair RoPE on the
    result equals rotate-half RoPE on the original."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def to_gguf(cfg, hf, gtype):
    arch = {"mistral": "llama"}.get(cfg["model_type"], cfg["model_type"])
    d, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads", nh)
    hd = cfg.get("head_dim") or d // nh
    p = arch + "."
    kv = [("general.architecture", GGUF_STRING, arch), ("general.name", GGUF_STRING, "quench-test-" + cfg["model_type"]),
          (p + "context_length", GGUF_U32, cfg["max_position_embeddings"]), (p + "embedding_length", GGUF_U32, d),
          (p + "block_count", GGUF_U32, cfg["num_hidden_layers"]),
          (p + "feed_forward_length", GGUF_U32, cfg["intermediate_size"]), (p + "attention.head_count", GGUF_U32, nh),
          (p + "attention.head_count_kv", GGUF_U32, nkv),
          (p + "attention.layer_norm_rms_epsilon", GGUF_F32, cfg["rms_norm_eps"]),
          (p + "rope.freq_base", GGUF_F32, cfg["rope_theta"])]
    if "head_dim" in cfg:
        kv += [(p + "attention.key_length", GGUF_U32, hd), (p + "attention.value_length", GGUF_U32, hd)]
    rot = int(hd * cfg.get("partial_rotary_factor", 1.0))
    kv.append((p + "rope.dimension_count", GGUF_U32, rot))
    if arch == "llama":
        kv.append((p + "vocab_size", GGUF_U32, VOCAB))
    rs = cfg.get("rope_scaling") or {}
    if rs.get("type", rs.get("rope_type")) == "linear":
        kv += [(p + "rope.scaling.type", GGUF_STRING, "linear"), (p + "rope.scaling.factor", GGUF_F32, rs["factor"])]
    kv += [("tokenizer.ggml.model", GGUF_STRING, "llama"),
           ("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, pieces())),
           ("tokenizer.ggml.scores", GGUF_ARRAY, (GGUF_F32, [0.0] * VOCAB)),
           ("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_I32, [2, 3, 3] + [1] * (VOCAB - 3))),
           ("tokenizer.ggml.bos_token_id", GGUF_U32, 1), ("tokenizer.ggml.eos_token_id", GGUF_U32, 2),
           ("tokenizer.ggml.unknown_token_id", GGUF_U32, 0)]
    names = {"input_layernorm.weight": "attn_norm.weight", "self_attn.q_proj.weight": "attn_q.weight",
             "self_attn.k_proj.weight": "attn_k.weight", "self_attn.v_proj.weight": "attn_v.weight",
             "self_attn.q_proj.bias": "attn_q.bias", "self_attn.k_proj.bias": "attn_k.bias",
             "self_attn.v_proj.bias": "attn_v.bias", "self_attn.o_proj.weight": "attn_output.weight",
             "self_attn.o_proj.bias": "attn_output.bias", "self_attn.qkv_proj.weight": "attn_qkv.weight",
             "self_attn.q_norm.weight": "attn_q_norm.weight", "self_attn.k_norm.weight": "attn_k_norm.weight",
             "post_attention_layernorm.weight": "ffn_norm.weight", "mlp.gate_proj.weight": "ffn_gate.weight",
             "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight",
             "mlp.gate_up_proj.weight": "ffn_up.weight", "mlp.gate_proj.bias": "ffn_gate.bias",
             "mlp.up_proj.bias": "ffn_up.bias", "mlp.down_proj.bias": "ffn_down.bias"}
    out = []
    if rs.get("rope_type") == "llama3":  # convert_hf_to_gguf's LlamaModel.generate_extra_tensors
        base = cfg["rope_theta"]
        freqs = 1.0 / (np.float32(base) ** (np.arange(0, hd, 2, dtype=np.float32) / np.float32(hd)))
        lo, hi, old, factor = rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"], rs["factor"]
        factors = []
        for f in freqs:
            wavelen = 2 * math.pi / float(f)
            if wavelen < old / hi:
                factors.append(1.0)
            elif wavelen > old / lo:
                factors.append(factor)
            else:
                smooth = (old / wavelen - lo) / (hi - lo)
                factors.append(1 / ((1 - smooth) / factor + smooth))
        out.append(("rope_freqs.weight", np.array(factors, dtype=np.float32), "F32"))
    for name, a in hf.items():
        if name == "model.embed_tokens.weight":
            g = "token_embd.weight"
        elif name == "model.norm.weight":
            g = "output_norm.weight"
        elif name == "lm_head.weight":
            g = "output.weight"
        else:
            parts = name.split(".")
            g = "blk.%s.%s" % (parts[2], names[".".join(parts[3:])])
        a = a.copy()
        if arch == "llama" and (g.endswith("attn_q.weight") or g.endswith("attn_q.bias")):
            a = permute(a, nh)
        if arch == "llama" and (g.endswith("attn_k.weight") or g.endswith("attn_k.bias")):
            a = permute(a, nkv)
        if arch == "gemma" and name.endswith("norm.weight"):
            a = bf16_round(a + np.float32(1))  # the converter adds 1 to the bf16 tensor
        out.append((g, a, "F32" if a.ndim == 1 else gtype))
    return kv, out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data", "model")
    for i, (name, case) in enumerate(CASES.items()):
        cfg = dict(COMMON)
        cfg.update(case["config"])
        rng = np.random.default_rng(1000 + i)
        hf = make_weights(cfg, rng)
        folder = os.path.join(out_dir, name)
        write_hf(os.path.join(folder, "hf"), cfg, hf, case["shards"])
        kv, tensors = to_gguf(cfg, hf, case["gguf"])
        write_gguf(os.path.join(folder, "model.gguf"), kv, tensors)
        tokens = [1] + [int(t) for t in rng.integers(3, VOCAB, SEQ - 1)]
        golden = dict(tokens=tokens, generator="tools/make_arch_checkpoints.py", reference="tools/reference_decoder.py")
        for kind, path in (("hf", os.path.join(folder, "hf")), ("gguf", os.path.join(folder, "model.gguf"))):
            logits = ref.forward(ref.load(path), tokens)
            golden[kind] = [[float("%.9g" % v) for v in row] for row in logits]
        with open(os.path.join(folder, "golden.json"), "w") as f:
            json.dump(golden, f, separators=(",", ":"))
        print("%-18s hf %s, gguf %s" % (name, case["shards"], case["gguf"]))


if __name__ == "__main__":
    main()
