#!/usr/bin/python3
"""Writes the Hugging Face checkpoint fixtures and statistics goldens of issue 11, with NumPy only.

safetensors is written by hand (struct + json; the safetensors and torch packages are not needed),
exactly as the Hub's sharded checkpoints are laid out:

  tests/data/io/hf_sharded/            model.safetensors.index.json + model-0000K-of-00003.safetensors
                                       (F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64 over three shards)
  tests/data/io/hf_sharded_expected.npz  every tensor's exact value, decoded from its stored bits by
                                       NumPy (float64; int64 for the integer tensor)
  tests/data/stats/f64_stats_golden.json NumPy's mean/std/min/max of 10^6 float64 values
                                       5 + 1e-3·z (z ≈ N(0, 1), see f64_values), and the CRC-32 of
                                       their bytes so the C++ test knows it regenerated the same data

The 10^6 values (8 MB) are not committed: both sides compute them with the same exact integer and
IEEE double operations (splitmix64, sums of 32-bit uniforms, one multiply and one add, no FMA).

Run from the repository root:  /usr/bin/python3 tools/make_hf_fixtures.py
"""
import json
import os
import struct
import zlib

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
IO = os.path.join(ROOT, "tests", "data", "io")
STATS = os.path.join(ROOT, "tests", "data", "stats")

# ---------------------------------------------------------------------------------------------
# Bit-exact encoders/decoders of the stored formats (independent of Quench's C++).


def bf16_round(x):
    """float32 -> bfloat16 bits, round to nearest even."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")


def bf16_decode(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def e4m3_decode(bits):
    """OCP FP8 E4M3: bias 7, 3 mantissa bits, no infinities, S.1111.111 is NaN."""
    b = bits.astype(np.int64)
    sign = np.where(b & 0x80, -1.0, 1.0)
    e = (b >> 3) & 0xF
    m = (b & 7).astype(np.float64)
    mag = np.where(e == 0, m / 8 * 2.0 ** -6, (1 + m / 8) * np.exp2(e.astype(np.float64) - 7))
    mag = np.where((e == 15) & ((b & 7) == 7), np.nan, mag)
    return sign * mag


def e5m2_decode(bits):
    """FP8 E5M2 is the upper byte of an IEEE half."""
    return (bits.astype(np.uint16) << 8).view(np.float16).astype(np.float64)


def write_safetensors(path, tensors, metadata):
    """tensors: (name, dtype, shape, raw bytes) in data order; the header lists them sorted by name,
    so that header order and data order differ (readers must order by offset)."""
    header = {"__metadata__": metadata}
    offsets, at = {}, 0
    for name, _, _, raw in tensors:
        offsets[name] = (at, at + len(raw))
        at += len(raw)
    for name, dtype, shape, raw in sorted(tensors, key=lambda t: t[0]):
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets[name])}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, raw in tensors:
            f.write(raw)


# ---------------------------------------------------------------------------------------------


def make_sharded():
    rng = np.random.default_rng(11)
    expected = {}

    def bf16(name, shape, scale):
        bits = bf16_round(rng.standard_normal(shape) * scale)
        expected[name] = bf16_decode(bits)
        return (name, "BF16", shape, bits.tobytes())

    def f16(name, shape, scale):
        v = (rng.standard_normal(shape) * scale).astype("<f2")
        expected[name] = v.astype(np.float64)
        return (name, "F16", shape, v.tobytes())

    def f32(name, shape, loc, scale):
        v = (loc + rng.standard_normal(shape) * scale).astype("<f4")
        expected[name] = v.astype(np.float64)
        return (name, "F32", shape, v.tobytes())

    def f64(name, shape):
        v = (5 + 1e-3 * rng.standard_normal(shape)).astype("<f8")
        expected[name] = v
        return (name, "F64", shape, v.tobytes())

    def e4m3(name, shape):
        codes = rng.integers(0, 256, size=shape, dtype=np.uint8)
        codes[(codes & 0x7F) == 0x7F] = 0x38  # no NaN (S.1111.111): 1.0 instead
        expected[name] = e4m3_decode(codes)
        return (name, "F8_E4M3", shape, codes.tobytes())

    def e5m2(name, shape):
        codes = rng.integers(0, 256, size=shape, dtype=np.uint8)
        codes[(codes & 0x7C) == 0x7C] = 0x3C  # no Inf/NaN (exponent 31): 1.0 instead
        expected[name] = e5m2_decode(codes)
        return (name, "F8_E5M2", shape, codes.tobytes())

    ids = np.array([0, -1, 7, 1 << 40, -(1 << 50), 123456789], dtype="<i8")
    expected["model.position_ids"] = ids
    shards = [
        [f16("model.layers.0.self_attn.q_proj.weight", (8, 8), 0.1),
         bf16("model.embed_tokens.weight", (16, 8), 0.5),
         f32("model.layers.0.input_layernorm.weight", (8,), 1.0, 0.05)],
        [e4m3("model.layers.0.mlp.up_proj.weight", (4, 8)),
         e5m2("model.layers.0.mlp.gate_proj.weight", (4, 8)),
         f64("model.layers.0.mlp.down_proj.weight", (3, 5)),
         ("model.position_ids", "I64", (6,), ids.tobytes())],
        [bf16("lm_head.weight", (16, 8), 0.5),
         f32("model.norm.weight", (8,), 1.0, 0.05)],
    ]
    out = os.path.join(IO, "hf_sharded")
    os.makedirs(out, exist_ok=True)
    weight_map, total = {}, 0
    for k, tensors in enumerate(shards):
        fname = "model-%05d-of-%05d.safetensors" % (k + 1, len(shards))
        write_safetensors(os.path.join(out, fname), tensors, {"format": "pt"})
        for name, _, _, raw in tensors:
            weight_map[name] = fname
            total += len(raw)
    # The Hub's writer (transformers' save_pretrained) sorts weight_map by tensor name.
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    np.savez(os.path.join(IO, "hf_sharded_expected.npz"), **expected)


def f64_values(n=1_000_000):
    """5 + 1e-3·z, z = (sum of 12 uniforms u = (h >> 32) / 2^32) − 6 (Irwin–Hall: mean 0, variance 1),
    h = splitmix64 of the counter 12·i + j. Every step is exact except the last multiply and add."""
    k = np.arange(12 * n, dtype=np.uint64) + np.uint64(1)
    with np.errstate(over="ignore"):
        z = k * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = (z >> np.uint64(32)).astype(np.float64) * 2.0 ** -32
    s = u.reshape(n, 12)
    # Left-to-right sums (exact: 12 values below 1 with 32 fractional bits need 36 bits).
    acc = np.zeros(n)
    for j in range(12):
        acc = acc + s[:, j]
    return 5.0 + 1e-3 * (acc - 6.0)


def make_stats_golden():
    x = f64_values()
    os.makedirs(STATS, exist_ok=True)
    golden = {
        "what": "NumPy figures of tools/make_hf_fixtures.py f64_values(): 10^6 float64 values 5 + 1e-3*z",
        "n": int(x.size),
        "crc32": zlib.crc32(x.astype("<f8").tobytes()),
        "first": float(x[0]),
        "mean": float(np.mean(x)),
        "std": float(np.std(x)),  # population (ddof 0), two-pass in NumPy
        "min": float(np.min(x)),
        "max": float(np.max(x)),
        # What a float32 copy gives, for the record (the old statistics path).
        "std_of_float32_copy": float(np.std(x.astype(np.float32).astype(np.float64))),
    }
    with open(os.path.join(STATS, "f64_stats_golden.json"), "w") as f:
        json.dump(golden, f, indent=2)
        f.write("\n")


def main():
    make_sharded()
    make_stats_golden()


if __name__ == "__main__":
    main()
