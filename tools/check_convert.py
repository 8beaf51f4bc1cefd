#!/usr/bin/python3
"""Checks `quench-cli convert` value for value with NumPy and h5py (CTest: app_cli_convert_numpy).

Converts the sharded fixture tests/data/io/hf_sharded (tools/make_hf_fixtures.py) to safetensors,
HDF5 and .npz under every --dtype mode, reads each output with tools other than Quench (NumPy's
np.load, h5py, and a safetensors parser written here with struct + json + np.frombuffer), and
compares every element with what NumPy computes from hf_sharded_expected.npz (the stored bits
decoded by NumPy): as stored for auto/keep, .astype(float32) / .astype(float16) for f32 / f16, and a
round-to-nearest-even bfloat16 computed here with frexp/rint for bf16. With ../shared/data present,
GGUF Q8_0/Q4_0 tensors converted to f32 must equal gguf-py's dequantization bit for bit. The inputs'
SHA-256 must not change.

Usage: /usr/bin/python3 tools/check_convert.py PATH/TO/quench-cli [SHARED_DATA_DIR]
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

import h5py
import numpy as np

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
import make_hf_fixtures as fx  # noqa: E402  (the decoders of the stored formats)

ROOT = os.path.join(TOOLS, "..")
FIXTURE = os.path.join(ROOT, "tests", "data", "io", "hf_sharded")
EXPECTED = os.path.join(ROOT, "tests", "data", "io", "hf_sharded_expected.npz")


def sha256_tree(path):
    h = hashlib.sha256()
    files = [path] if os.path.isfile(path) else sorted(
        os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs)
    for f in files:
        h.update(f.encode())
        with open(f, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()


def read_safetensors(path):
    """{name: float64 or int64 array} and {name: dtype string}, parsed by hand."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    arrays, dtypes = {}, {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = data[base + a:base + b]
        dt = e["dtype"]
        shape = tuple(e["shape"])
        if dt == "BF16":
            v = fx.bf16_decode(np.frombuffer(raw, "<u2"))
        elif dt == "F8_E4M3":
            v = fx.e4m3_decode(np.frombuffer(raw, np.uint8))
        elif dt == "F8_E5M2":
            v = fx.e5m2_decode(np.frombuffer(raw, np.uint8))
        else:
            np_dt = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8"}[dt]
            v = np.frombuffer(raw, np_dt)
        arrays[name] = v.reshape(shape)
        dtypes[name] = dt
    return arrays, dtypes


def bf16_round(x):
    """float64 -> nearest-even bfloat16 value (as float64), by rounding the significand to 8 bits."""
    m, e = np.frexp(x)
    return np.ldexp(np.rint(m * 256.0) / 256.0, e)


def expected_for(value, mode, stored_kind):
    if stored_kind == "i":
        return value
    if mode in ("auto", "keep"):
        return value
    if mode == "f32":
        return value.astype(np.float32).astype(np.float64)
    if mode == "f16":
        return value.astype(np.float16).astype(np.float64)
    if mode == "bf16":
        return bf16_round(value)
    raise ValueError(mode)


def run(cli, *args):
    p = subprocess.run([cli, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("quench-cli %s failed: %s" % (" ".join(args), p.stderr.strip()))
    return p


def main():
    cli = sys.argv[1]
    shared = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "..", "shared", "data")
    expected = dict(np.load(EXPECTED))
    before = sha256_tree(FIXTURE)
    compared = 0
    with tempfile.TemporaryDirectory() as tmp:
        for ext, modes in [("safetensors", ["auto", "keep", "f32", "f16", "bf16"]),
                           ("h5", ["auto", "f32", "f16"]), ("npz", ["auto", "f32", "f16"])]:
            for mode in modes:
                out = os.path.join(tmp, "%s.%s" % (mode, ext))
                run(cli, "convert", FIXTURE, out, "--dtype", mode, "--quiet")
                if ext == "safetensors":
                    got, _ = read_safetensors(out)
                elif ext == "h5":
                    with h5py.File(out, "r") as f:
                        got = {}
                        f.visititems(lambda n, o: got.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
                else:
                    got = dict(np.load(out))
                assert sorted(got) == sorted(expected), (out, sorted(got))
                for name, want in expected.items():
                    kind = want.dtype.kind
                    w = expected_for(want, mode, kind)
                    g = np.asarray(got[name])
                    assert g.shape == want.shape, (out, name, g.shape, want.shape)
                    if kind == "i":
                        assert g.dtype == np.int64 and np.array_equal(g, w), (out, name)
                    else:
                        g64 = g.astype(np.float64)
                        if not np.array_equal(g64, w):
                            bad = np.flatnonzero(g64.ravel() != w.ravel())[0]
                            raise SystemExit("%s: %s[%d] = %r, NumPy expects %r" % (out, name, bad, g64.ravel()[bad],
                                                                                    w.ravel()[bad]))
                    compared += want.size
        print("sharded fixture: %d values compared over 11 conversions" % compared, flush=True)

        gguf = os.path.join(shared, "gguf", "all-types.gguf")
        gguf_expected = os.path.join(shared, "gguf", "all-types-expected.npz")
        readable = os.path.exists(gguf) and subprocess.run([cli, "inspect", gguf], capture_output=True).returncode == 0
        if not readable:
            print("GGUF: skipped (%s missing or not readable by this build's GGUF reader)" % gguf)
        else:
            gguf_before = sha256_tree(gguf)
            ref = np.load(gguf_expected)
            out = os.path.join(tmp, "gguf.npz")
            run(cli, "convert", gguf, out, "--dtype", "f32", "--tensors", "*.q8_0", "--tensors", "*.q4_0", "--quiet")
            got = np.load(out)
            names = sorted(got.files)
            assert names == ["gauss.q4_0", "gauss.q8_0", "random.q4_0", "random.q8_0"], names
            for name in names:
                assert got[name].dtype == np.float32
                assert np.array_equal(got[name].view(np.uint32), ref[name].view(np.uint32)), name
            print("GGUF: %s equal to gguf-py's dequantization bit for bit" % ", ".join(names))
            assert sha256_tree(gguf) == gguf_before, "the GGUF input changed"
    assert sha256_tree(FIXTURE) == before, "the fixture changed"
    print("inputs unchanged (SHA-256)")


if __name__ == "__main__":
    main()
