#!/usr/bin/python3
"""Golden file for tests/core/recipe/test_recipe_formats.cpp: llama.cpp's Q8_0/Q4_0 and OCP MX
(MXFP8 E4M3/E5M2, MXFP6 E3M2/E2M3, MXFP4 E2M1) computed independently with NumPy, written as one
GGUF file that Quench's own GGUF reader decodes.

Run: /usr/bin/python3 tools/golden_ggml_mx.py [tests/data/quant/ggml_mx_golden.gguf]

Tensors (GGUF ne = [64, 32]: 32 rows of 64 float32, blocks of 32 along the row):
  x              F32   the input: random blocks plus hand-made edge blocks (ties, near ties,
                       zeros, all-negative, ±max in either order, tiny and large magnitudes)
  x.q8_0         Q8_0  llama.cpp's quantize_row_q8_0_ref, re-implemented here from its published
  x.q4_0         Q4_0  description (fp32 arithmetic throughout, see q8_0 / q4_0 below)
  x.q8_0.codes   I8    the Q8_0 codes q, x~ = d·q
  x.q4_0.codes   I8    the Q4_0 codes minus 8 (llama.cpp's orientation: x~ = d·(code − 8))
  x.mx_<fmt>     F32   the MX reconstruction X·P_i of OCP MX v1.0 §6.3 for fmt in e4m3, e5m2,
                       e3m2, e2m3, e2m1 (blocks of 32, shared E8M0 scale)
  x.mx_<fmt>.exp I8    the shared scale exponents (one per block, X = 2^exp)
Deterministic (fixed seed); the file is committed, rerun only to change the cases.
"""
import os
import struct
import sys

import numpy as np

F32 = np.float32
QK = 32
ROWS, COLS = 32, 64


# ---------------------------------------------------------------- llama.cpp block formats
def q8_0(block):
    """quantize_row_q8_0_ref: d = amax/127 in fp32, id = 1/d (0 when d = 0), q = roundf(x·id)
    (half away from zero), stored fp16(d); dequantized fp16(d)·q in fp32."""
    amax = np.max(np.abs(block))
    d = F32(amax / F32(127))
    idv = F32(F32(1) / d) if d != 0 else F32(0)
    t = (block * idv).astype(np.float32).astype(np.float64)
    a = np.abs(t)
    f = np.floor(a)
    q = np.sign(t) * np.where(a - f >= 0.5, f + 1, f)  # roundf, exact in float64
    q = q.astype(np.int8)
    d16 = np.float16(d)
    deq = (F32(d16) * q.astype(np.float32)).astype(np.float32)
    return d16, q, deq


def q4_0(block):
    """quantize_row_q4_0_ref: max = the first value of largest |x| (strict >), d = max/−8 in fp32,
    id = 1/d (0 when d = 0), code = min(15, (int8)(x·id + 8.5)) with both operations in fp32,
    stored fp16(d); dequantized fp16(d)·(code − 8) in fp32."""
    amax, mx = F32(0), F32(0)
    for v in block:
        if amax < abs(v):
            amax, mx = F32(abs(v)), F32(v)
    d = F32(mx / F32(-8))
    idv = F32(F32(1) / d) if d != 0 else F32(0)
    t = (block * idv).astype(np.float32)
    s = (t + F32(8.5)).astype(np.float32)
    code = np.minimum(15, np.trunc(s.astype(np.float64)).astype(np.int64))
    d16 = np.float16(d)
    deq = (F32(d16) * (code - 8).astype(np.float32)).astype(np.float32)
    return d16, code.astype(np.uint8), deq


# ---------------------------------------------------------------- OCP MX
# (exponent bits, mantissa bits, largest finite, emax_elem) of the element formats, OCP MX v1.0 §5.
MX = {
    "e4m3": (4, 3, 448.0, 8),
    "e5m2": (5, 2, 57344.0, 15),
    "e3m2": (3, 2, 28.0, 4),
    "e2m3": (2, 3, 7.5, 2),
    "e2m1": (2, 1, 6.0, 2),
}


def round_elem(v, ebits, mbits, maxfin):
    """v (float64 array) to the element format: nearest, ties to even, on the quantum of its
    binade (subnormals share the quantum of the first normal binade), saturating to ±max."""
    bias = 2 ** (ebits - 1) - 1
    emin = 1 - bias
    a = np.abs(v)
    _, e2 = np.frexp(a)  # a = m·2^e2, m in [0.5, 1)
    e = np.maximum(e2 - 1, emin)
    q = np.ldexp(1.0, e - mbits)
    r = np.rint(a / q) * q  # a/q exact (power of two); rint ties to even
    r = np.minimum(r, maxfin)
    return np.copysign(r, v)


def mx(block, fmt):
    """OCP MX v1.0 §6.3: shared_exp = floor(log2(max|V|)) − emax_elem, clamped to the E8M0 range
    [−127, 127]; P_i = quantize(V_i / X) with saturation; reconstruction X·P_i in fp32."""
    ebits, mbits, maxfin, emax = MX[fmt]
    amax = float(np.max(np.abs(block)))
    if amax == 0:
        exp = -127
    else:
        _, e2 = np.frexp(amax)
        exp = int(np.clip(e2 - 1 - emax, -127, 127))
    scale = np.ldexp(1.0, exp)
    p = round_elem(block.astype(np.float64) / scale, ebits, mbits, maxfin)
    return exp, (p * scale).astype(np.float32)


# ---------------------------------------------------------------- the input
def blocks():
    rng = np.random.default_rng(20261122)
    out = []
    ulp = lambda v, k: np.nextafter(F32(v), F32(np.inf if k > 0 else -np.inf), dtype=np.float32)
    # 1. exact Q8_0 ties: amax = 63.5 → d = 0.5, id = 2, x·id = k + ½ exactly.
    b = (np.arange(-16, 16, dtype=np.float32) + F32(0.5)) / F32(2)
    b[0] = F32(-63.5)
    out.append(b)
    # 2. the same ties one ulp above and below
    out.append(np.array([ulp(v, 1) if i % 2 else ulp(v, -1) for i, v in enumerate(b)], dtype=np.float32))
    # 3. exact Q4_0 ties, extreme negative first: max = −2 → d = 0.25, x·id = ±(k + ½)
    b = (np.arange(-16, 16, dtype=np.float32) % 16 - F32(8) + F32(0.5)) * F32(0.25)
    b[5] = F32(-2)
    out.append(b.astype(np.float32))
    # 4. exact Q4_0 ties, extreme positive: d = −0.25
    c = -b
    out.append(c.astype(np.float32))
    # 5. fp32 rounding of x·id + 8.5: t just below a half-integer rounds up in the addition
    b = np.zeros(QK, dtype=np.float32)
    b[0] = F32(-8)  # d = 1, id = 1, t = x
    b[1:9] = [F32(0.5) - F32(2.0**-25), F32(1.5) - F32(2.0**-23), F32(-0.5) - F32(2.0**-25), F32(2.5) - F32(2.0**-22),
              F32(0.5) - F32(2.0**-20), F32(-2.5) + F32(2.0**-22), F32(0.49999), F32(6.5) - F32(2.0**-21)]
    b[9:] = rng.uniform(-8, 8, QK - 9).astype(np.float32)
    out.append(b)
    # 6. all zeros, 7. signed zeros
    out.append(np.zeros(QK, dtype=np.float32))
    z = np.zeros(QK, dtype=np.float32)
    z[::2] = F32(-0.0)
    out.append(z)
    # 8. all negative, 9. all positive
    out.append(-np.abs(rng.normal(0, 1, QK)).astype(np.float32))
    out.append(np.abs(rng.normal(0, 1, QK)).astype(np.float32))
    # 10./11. ±max in either order (the first of largest |x| decides Q4_0's sign)
    b = rng.normal(0, 0.3, QK).astype(np.float32)
    b[3], b[20] = F32(1.75), F32(-1.75)
    out.append(b.copy())
    b[3], b[20] = F32(-1.75), F32(1.75)
    out.append(b)
    # 12. a single nonzero value, 13. tiny magnitudes (fp16 subnormal d), 14. large magnitudes
    b = np.zeros(QK, dtype=np.float32)
    b[17] = F32(-3.0e-3)
    out.append(b)
    out.append((rng.normal(0, 1, QK) * 2e-4).astype(np.float32))
    out.append((rng.normal(0, 1, QK) * 3e3).astype(np.float32))
    # 15. values on the MX grids and their midpoints (ties to even in the elements)
    out.append(np.array([0, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5, 6, -0.25, -0.75, -1.25, -2.5, -3.5, -5, -6,
                         0.5, 1, 1.5, 2, 3, 4, 448, 464, 480, -240, -232, 7.5, 7.25, 26, 30, 0.125],
                        dtype=np.float32))
    # the rest: normal blocks of varied scale, one heavy-tailed
    while len(out) < ROWS * COLS // QK:
        k = len(out)
        if k % 5 == 0:
            out.append((rng.standard_t(2, QK) * 0.05).astype(np.float32))
        else:
            out.append((rng.normal(0, 1, QK) * 10.0 ** rng.uniform(-3, 1)).astype(np.float32))
    return out


# ---------------------------------------------------------------- GGUF writer
T_F32, T_Q4_0, T_Q8_0, T_I8 = 0, 2, 8, 24


def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def write_gguf(path, tensors):
    """tensors: list of (name, ne list, ggml type, raw bytes); alignment 32."""
    infos, data = b"", b""
    for name, ne, ttype, raw in tensors:
        data += b"\0" * ((-len(data)) % 32)
        infos += gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        infos += struct.pack("<IQ", ttype, len(data))
        data += raw
    kvs = gstr("general.architecture") + struct.pack("<I", 8) + gstr("quench-golden")
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), 1) + kvs + infos
    head += b"\0" * ((-len(head)) % 32)
    with open(path, "wb") as f:
        f.write(head + data)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data",
                                                              "quant", "ggml_mx_golden.gguf")
    bl = blocks()
    x = np.concatenate(bl).astype(np.float32)
    assert x.size == ROWS * COLS
    q8raw, q4raw, q8codes, q4codes, q8deq, q4deq = b"", b"", [], [], [], []
    for b in bl:
        d16, q, deq = q8_0(b)
        q8raw += d16.tobytes() + q.tobytes()
        q8codes.append(q)
        q8deq.append(deq)
        d16, code, deq = q4_0(b)
        packed = (code[:16] | (code[16:] << 4)).astype(np.uint8)
        q4raw += d16.tobytes() + packed.tobytes()
        q4codes.append(code.astype(np.int8) - 8)
        q4deq.append(deq)
    ne = [COLS, ROWS]
    tensors = [("x", ne, T_F32, x.tobytes()), ("x.q8_0", ne, T_Q8_0, q8raw), ("x.q4_0", ne, T_Q4_0, q4raw),
               ("x.q8_0.codes", ne, T_I8, np.concatenate(q8codes).astype(np.int8).tobytes()),
               ("x.q4_0.codes", ne, T_I8, np.concatenate(q4codes).astype(np.int8).tobytes())]
    for fmt in MX:
        exps, rec = zip(*(mx(b, fmt) for b in bl))
        tensors.append((f"x.mx_{fmt}", ne, T_F32, np.concatenate(rec).astype(np.float32).tobytes()))
        tensors.append((f"x.mx_{fmt}.exp", [len(bl)], T_I8, np.array(exps, dtype=np.int8).tobytes()))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_gguf(path, tensors)
    # What the edge blocks exercise, so a reader of the test output can check them by hand.
    nz = lambda a: int(np.count_nonzero(np.signbit(a) & (a == 0)))
    print(f"wrote {path}: {len(bl)} blocks; Q8_0 max |x - x~| {np.max(np.abs(x - np.concatenate(q8deq))):.3g}, "
          f"Q4_0 {np.max(np.abs(x - np.concatenate(q4deq))):.3g}; Q4_0 -0.0 outputs: {nz(np.concatenate(q4deq))}")


if __name__ == "__main__":
    main()
