#!/usr/bin/python3
"""Writes the small reader test files in tests/data/io/ with tools other than Quench.

NumPy writes the .npy/.npz files, h5py the HDF5 files; safetensors is written by hand with struct
and json (the safetensors package is not available here), its BF16/FP8 bit patterns computed with
NumPy integer ops. Every array is built from np.arange so the C++ tests recompute the expected
values independently (tests/core/io/test_*.cpp describe the same formulas).

Run from the repository root:  /usr/bin/python3 tools/make_test_files.py
"""
import json
import os
import struct
import zipfile

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "io")


def float_values(n=12):
    """(k - 6) / 2 for k = 0..n-1: -3.0, -2.5, ..., 2.5: exact in every float format we test."""
    return (np.arange(n, dtype=np.float64) - 6) / 2


# Integer test values per dtype: signed (k - 6) * m, unsigned k * m, with m chosen so the widest
# types use their range yet stay exactly representable as float32 (powers of two).
INT_SCALE = {"i1": 20, "u1": 21, "i2": 5000, "u2": 5000, "i4": 1 << 20, "u4": 1 << 28,
             "i8": 1 << 40, "u8": 1 << 60}


def int_values(code):
    k = np.arange(12, dtype=np.int64)
    m = INT_SCALE[code]
    if code.startswith("i"):
        return (k - 6) * m
    return k.astype(np.uint64) * np.uint64(m)


def bf16_bits(x):
    """float32 -> bfloat16 by truncation (exact for these values)."""
    return (np.asarray(x, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)


def e4m3_bits(x):
    """float32 -> OCP FP8 E4M3 for normal values (bias 7, 3 mantissa bits) and zero."""
    b = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.int64)
    sign = (b >> 31) & 1
    exp = ((b >> 23) & 0xFF) - 127 + 7
    man = (b >> 20) & 7
    out = (sign << 7) | (exp << 3) | man
    out = np.where((b & 0x7FFFFFFF) == 0, sign << 7, out)
    return out.astype(np.uint8)


def e5m2_bits(x):
    """float32 -> FP8 E5M2: the high byte of the IEEE half (exact for these values)."""
    return (np.asarray(x, dtype=np.float16).view(np.uint16) >> 8).astype(np.uint8)


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, dtype string, shape, raw little-endian bytes)."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, raw in tensors:
            f.write(raw)


def make_safetensors():
    x = float_values().reshape(3, 4)
    t = [
        ("f64", "F64", (3, 4), x.astype("<f8").tobytes()),
        ("f32", "F32", (3, 4), x.astype("<f4").tobytes()),
        ("f16", "F16", (3, 4), x.astype("<f2").tobytes()),
        ("bf16", "BF16", (3, 4), bf16_bits(x).astype("<u2").tobytes()),
        ("f8_e4m3", "F8_E4M3", (3, 4), e4m3_bits(x).tobytes()),
        ("f8_e5m2", "F8_E5M2", (3, 4), e5m2_bits(x).tobytes()),
    ]
    for code, name in [("i1", "I8"), ("u1", "U8"), ("i2", "I16"), ("u2", "U16"), ("i4", "I32"),
                       ("u4", "U32"), ("i8", "I64"), ("u8", "U64")]:
        v = int_values(code).astype("<" + code if code[1] != "1" else "|" + code)
        t.append((name.lower(), name, (12,), v.tobytes()))
    t.append(("bool", "BOOL", (12,), (np.arange(12) % 3 == 0).astype(np.uint8).tobytes()))
    # Special values: NaN (with a payload), ±inf, -0, the smallest subnormal; and a 0-d scalar.
    special = np.array([0x7FC00001, 0x7F800000, 0xFF800000, 0x80000000, 0x00000001], dtype="<u4")
    t.append(("special", "F32", (5,), special.tobytes()))
    t.append(("scalar", "F32", (), np.array(7.5, dtype="<f4").tobytes()))
    t.append(("empty", "F32", (0, 3), b""))
    write_safetensors(os.path.join(OUT, "all_dtypes.safetensors"), t,
                      {"format": "pt", "source": "tools/make_test_files.py"})


def make_npy():
    x = float_values().reshape(3, 4)
    d = os.path.join(OUT, "npy")
    os.makedirs(d, exist_ok=True)
    for descr in ["<f4", ">f4", "<f8", ">f8", "<f2", ">f2"]:
        np.save(os.path.join(d, "float_%s_%s.npy" % ("be" if descr[0] == ">" else "le", descr[1:])),
                x.astype(descr))
    for code in ["i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8"]:
        order = "|" if code[1] == "1" else "<"
        np.save(os.path.join(d, "int_le_%s.npy" % code), int_values(code).astype(order + code))
    for code in ["i2", "i4", "u8"]:
        np.save(os.path.join(d, "int_be_%s.npy" % code), int_values(code).astype(">" + code))
    np.save(os.path.join(d, "bool.npy"), np.arange(12) % 3 == 0)
    # Versions 2.0 and 3.0 of the format (4-byte header length; 3.0 allows UTF-8).
    for version in [(2, 0), (3, 0)]:
        with open(os.path.join(d, "v%d.npy" % version[0]), "wb") as f:
            np.lib.format.write_array(f, x.astype("<f4"), version=version)
    # Fortran order: the file holds the column-major layout of arange(24).reshape(2, 3, 4).
    np.save(os.path.join(d, "fortran.npy"), np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4)))
    np.save(os.path.join(d, "fortran_be_i4.npy"), np.asfortranarray(np.arange(6, dtype=">i4").reshape(2, 3)))
    np.save(os.path.join(d, "scalar.npy"), np.float64(2.25))
    np.save(os.path.join(d, "special.npy"), np.array([0x7FC00001, 0x7F800000, 0xFF800000, 0x80000000],
                                                     dtype="<u4").view("<f4"))


def make_npz():
    arrays = {
        "weight": float_values().reshape(3, 4).astype("<f4"),
        "bias": np.arange(4, dtype="<i8") - 2,
        "layer/big": (np.arange(2000, dtype="<f4") % 17) / 4,  # compresses well: deflate path
        "half": float_values().astype(">f2"),
    }
    np.savez(os.path.join(OUT, "stored.npz"), **arrays)
    np.savez_compressed(os.path.join(OUT, "deflated.npz"), **arrays)
    # The same archive without numpy's forced ZIP64 local headers, plus a non-.npy member.
    with zipfile.ZipFile(os.path.join(OUT, "plain_zip.npz"), "w", zipfile.ZIP_DEFLATED) as z:
        from io import BytesIO
        buf = BytesIO()
        np.save(buf, arrays["weight"])
        # Fixed timestamps so that re-running the script reproduces the committed bytes.
        for name, data in [("weight.npy", buf.getvalue()), ("README.txt", b"not an array")]:
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)


def make_hdf5():
    x = float_values().reshape(3, 4)
    with h5py.File(os.path.join(OUT, "nested.h5"), "w") as f:
        f.attrs["name"] = "quench test"
        f.attrs["version"] = 3
        f.attrs["scale"] = 0.5
        f.attrs["dims"] = np.array([1, 2, 3], dtype=np.int32)
        f.create_dataset("model/layers/0/weight", data=x.astype("<f4"))
        f.create_dataset("model/layers/0/bias", data=np.arange(4, dtype="<f8") / 8)
        f.create_dataset("model/layers/1/weight", data=x.T.astype(">f4"))  # big-endian
        # Chunked + gzip: (64, 64) of (i mod 13) / 4.
        f.create_dataset("compressed", data=(np.arange(4096, dtype="<f4") % 13).reshape(64, 64) / 4,
                         chunks=(16, 16), compression="gzip", compression_opts=6)
        f.create_dataset("half", data=x.astype("<f2"))
        f.create_dataset("half_be", data=x.astype(">f2"))
        for code in ["i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8"]:
            f.create_dataset("ints/" + code, data=int_values(code).astype("<" + code))
        f.create_dataset("ints/be_i4", data=int_values("i4").astype(">i4"))
        f.create_dataset("scalar", data=np.float32(7.5))
        f.create_dataset("text", data="hello")                             # skipped: string
        f.create_dataset("records", data=np.zeros(3, dtype=[("a", "<i4"), ("b", "<f4")]))  # skipped


def main():
    os.makedirs(OUT, exist_ok=True)
    make_safetensors()
    make_npy()
    make_npz()
    make_hdf5()


if __name__ == "__main__":
    main()
