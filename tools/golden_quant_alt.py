#!/usr/bin/python3
"""Golden values for core/quant's non-integer methods (float formats, NF4/FP4 codebooks with
double quantization), written independently of the C++ code: float formats by enumerating every
code of a format and rounding by nearest-value search over that table (no bit tricks), codebooks
with plain NumPy. The printed C++ arrays are pasted into tests/core/quant/test_float_format.cpp and
test_codebook.cpp.

    python3 tools/golden_quant_alt.py floats     # float-format tables and rounding cases
    python3 tools/golden_quant_alt.py codebook   # NF4 / FP4 blockwise + double quantization
"""
import sys
import numpy as np

# ---------------------------------------------------------------- float formats (MATH.md §3)
# name: (e, m, kind) with kind 'ieee' (top exponent = inf/NaN), 'fn' (only all-ones is NaN),
# 'finite' (no inf/NaN)
FORMATS = {
    "e4m3": (4, 3, "fn"),
    "e5m2": (5, 2, "ieee"),
    "e3m2": (3, 2, "finite"),
    "e2m3": (2, 3, "finite"),
    "e2m1": (2, 1, "finite"),
}


def code_value(e, m, kind, code):
    """Value of a positive code by the textbook definition (None for inf/NaN codes)."""
    bias = 2 ** (e - 1) - 1
    field = code >> m
    mant = code & ((1 << m) - 1)
    if kind == "ieee" and field == 2 ** e - 1:
        return None
    if kind == "fn" and field == 2 ** e - 1 and mant == 2 ** m - 1:
        return None
    if field == 0:
        return mant / 2 ** m * 2.0 ** (1 - bias)
    return (1 + mant / 2 ** m) * 2.0 ** (field - bias)


def table(name):
    """Sorted (value, code) pairs of the finite non-negative codes."""
    e, m, kind = FORMATS[name]
    out = []
    for c in range(2 ** (e + m)):
        v = code_value(e, m, kind, c)
        if v is not None:
            out.append((v, c))
    return sorted(out)


def round_nearest_even(name, x):
    """(code, value) of x under nearest-even with MATH.md §3 overflow rules: formats with inf
    overflow at ≥ max + half ulp, the others saturate to ±max."""
    e, m, kind = FORMATS[name]
    tab = table(name)
    vals = np.array([v for v, _ in tab])
    codes = [c for _, c in tab]
    sign = (1 << (e + m)) if np.signbit(x) else 0
    a = abs(float(x))
    vmax = vals[-1]
    # the next grid point beyond max, had the exponent range continued (one top-binade ulp up)
    ulp_top = vals[-1] - vals[-2]
    beyond = vmax + ulp_top
    cand = list(zip(vals, codes)) + [(beyond, None)]
    best = min(cand, key=lambda vc: abs(vc[0] - a))
    d = abs(best[0] - a)
    ties = [vc for vc in cand if abs(vc[0] - a) == d]
    if len(ties) > 1:
        # tie: the even mantissa wins; the value beyond max has an even mantissa (it is the next
        # power of two for ieee/finite formats, or 1.000 of a new binade)
        def even(vc):
            if vc[1] is None:
                # beyond max: for 'fn' e4m3 it would be 1.111 (odd); else a power of two (even)
                return kind != "fn"
            return vc[1] % 2 == 0
        best = [vc for vc in ties if even(vc)][0]
    if best[1] is None:
        if kind == "ieee":
            return sign | (((1 << e) - 1) << m), np.copysign(np.inf, x)
        best = (vmax, codes[-1])
    return sign | best[1], np.copysign(best[0], x)


def fmt_f(v):
    if np.isinf(v):
        return "-INFINITY" if v < 0 else "INFINITY"
    return repr(float(v))


def floats():
    for name in ("e3m2", "e2m3", "e2m1"):
        vals = [v for v, _ in table(name)]
        print(f"// {name}: the {len(vals)} non-negative values in code order 0x00..")
        byc = sorted(table(name), key=lambda vc: vc[1])
        print(f"constexpr double k{name.upper()}Values[] = {{" + ", ".join(fmt_f(v) for v, _ in byc) + "};")
    rng = np.random.default_rng(20240607)
    for name in FORMATS:
        tab = table(name)
        vmax = tab[-1][0]
        xs = []
        # midpoints between neighbours, and values just beside them (in float32)
        stride = 1 if len(tab) <= 32 else 5  # every neighbour pair for FP4/FP6, a sample for FP8
        for (a, _), (b, _) in list(zip(tab[:-1], tab[1:]))[::stride]:
            mid = np.float32((a + b) / 2)
            xs += [mid, np.nextafter(mid, np.float32(0)), np.nextafter(mid, np.float32(np.inf))]
        xs += list(rng.uniform(-1.2 * vmax, 1.2 * vmax, 16).astype(np.float32))
        xs += list((rng.standard_normal(8) * tab[1][0] * 4).astype(np.float32))  # subnormal range
        xs += [np.float32(vmax * 1.03), np.float32(vmax * 1.07), np.float32(-vmax * 1.2)]
        xs = [np.float32(x) for x in xs]
        # negate every other to exercise the sign
        xs = [(-x if i % 2 else x) for i, x in enumerate(xs)]
        print(f"// {name}: {len(xs)} (input, expected code) pairs under nearest-even")
        print(f"constexpr GoldenRound k{name.upper()}Golden[] = {{")
        items = []
        for x in xs:
            c, v = round_nearest_even(name, x)
            items.append(f"{{{float(x).hex()}f, 0x{c:02x}}}")
        for i in range(0, len(items), 4):
            print("    " + ", ".join(items[i:i + 4]) + ",")
        print("};")


# ---------------------------------------------------------------- codebooks (MATH.md §4)
NF4 = np.array([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
                -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
                0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
                0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0], dtype=np.float32)


def test_data(n):
    """The deterministic test tensor, reproduced exactly in C++: float32(k)/float32(250) with
    k = (i·7919) mod 2001 − 1000, every 37th element times 8 (outliers)."""
    i = np.arange(n, dtype=np.int64)
    k = ((i * 7919) % 2001 - 1000).astype(np.float32)
    x = k / np.float32(250)
    x[i % 37 == 0] *= np.float32(8)
    return x.astype(np.float32)


def codebook_quantize(x, levels, B):
    """Blockwise absmax codebook quantization: indices (sorted order), absmax, reconstruction."""
    n = x.size
    nb = (n + B - 1) // B
    mids = ((levels[:-1].astype(np.float64) + levels[1:].astype(np.float64)) / 2).astype(np.float32)
    idx = np.zeros(n, dtype=np.int64)
    amax = np.zeros(nb, dtype=np.float32)
    rec = np.zeros(n, dtype=np.float32)
    for b in range(nb):
        blk = x[b * B:(b + 1) * B]
        a = np.float32(np.max(np.abs(blk)))
        amax[b] = a
        if a == 0:
            # the level nearest zero
            k = int(np.argmin(np.abs(levels)))
            idx[b * B:(b + 1) * B] = k
            continue
        xn = (blk / a).astype(np.float32)
        # strict '>' against the midpoints: exact midpoints go to the lower index
        k = (xn[:, None] > mids[None, :]).sum(axis=1)
        idx[b * B:(b + 1) * B] = k
        rec[b * B:(b + 1) * B] = (a * levels[k]).astype(np.float32)
    return idx, amax, rec


def double_quant(amax):
    """Symmetric int8 absmax double quantization of the block constants (blocks of 256)."""
    mean = np.float32(np.mean(amax.astype(np.float64)))
    c = (amax.astype(np.float64) - np.float64(mean))
    codes = np.zeros(amax.size, dtype=np.int64)
    scales = []
    deq = np.zeros(amax.size, dtype=np.float32)
    for g in range(0, amax.size, 256):
        blk = c[g:g + 256]
        s = np.float32(np.max(np.abs(blk)) / 127.0)
        scales.append(s)
        if s == 0:
            q = np.zeros(blk.size)
        else:
            q = np.clip(np.rint(blk / np.float64(s)), -127, 127)  # rint: half to even
        codes[g:g + 256] = q
        deq[g:g + 256] = (np.float64(s) * q + np.float64(mean)).astype(np.float32)
    return mean, np.array(scales, dtype=np.float32), codes, deq


def codebook():
    n = 64 * 600 + 17  # 601 blocks: two double-quantization groups, a short last block
    x = test_data(n)
    idx, amax, rec = codebook_quantize(x, NF4, 64)
    err = rec.astype(np.float64) - x.astype(np.float64)
    print(f"// NF4 B=64 on test_data({n})")
    print(f"constexpr std::size_t kGoldenN = {n};")
    print('constexpr char kNf4IndexHex[] = "' + "".join(f"{v:x}" for v in idx[:256]) + '";  // first 256')
    print(f"constexpr double kNf4IndexSum = {int(idx.sum())};")
    print(f"constexpr double kNf4Mse = {float(np.mean(err ** 2))!r};")
    print(f"constexpr float kNf4Amax[] = {{{', '.join(float(a).hex() + 'f' for a in amax[:4])}}};")
    mean, scales, codes, deq = double_quant(amax)
    rec_dq = np.zeros(n, dtype=np.float32)
    for b in range(amax.size):
        sl = slice(b * 64, (b + 1) * 64)
        rec_dq[sl] = (deq[b] * NF4[idx[sl]]).astype(np.float32)
    err_dq = rec_dq.astype(np.float64) - x.astype(np.float64)
    print(f"constexpr float kDqMean = {float(mean).hex()}f;")
    print(f"constexpr float kDqScales[] = {{{', '.join(float(s).hex() + 'f' for s in scales)}}};")
    print(f"constexpr int kDqCodes[] = {{{', '.join(str(int(c)) for c in codes[:16])}}};  // first 16")
    print(f"constexpr double kDqCodeSum = {int(codes.sum())}, kDqCodeAbsSum = {int(np.abs(codes).sum())};")
    print(f"constexpr double kNf4DqMse = {float(np.mean(err_dq ** 2))!r};")
    # bitsandbytes FP4: magnitude patterns 000..111 -> 0, 0.0625, 8, 12, 4, 6, 2, 3 (/12)
    mag = np.array([0, 0.0625, 8, 12, 4, 6, 2, 3], dtype=np.float64) / 12
    fp4 = np.unique(np.concatenate([mag, -mag])).astype(np.float32)
    idx4, _, rec4 = codebook_quantize(x, fp4, 64)
    err4 = rec4.astype(np.float64) - x.astype(np.float64)
    print(f"// bitsandbytes FP4 ({fp4.size} distinct levels) B=64")
    print(f"constexpr double kFp4IndexSum = {int(idx4.sum())};")
    print(f"constexpr double kFp4Mse = {float(np.mean(err4 ** 2))!r};")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "floats"
    {"floats": floats, "codebook": codebook}[what]()
