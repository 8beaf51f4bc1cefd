#!/usr/bin/env python3
"""Independent float64 NumPy references of the activation-aware steps of MATH.md §13 (GPTQ, AWQ,
SmoothQuant, rotation, HQQ, wmse) and the golden data the C++ tests compare with.

Nothing here is shared with the C++: the integer grid of §2, the partitions, every step are written
again from MATH.md. Where the two implementations take different routes on purpose:
  - GPTQ: U = cholesky(inv(H)).T here (the C++ factors the reversed H once and inverts the
    triangle); the script also checks the batched algorithm against the unbatched OBS update
    (w_F -= e·Hinv_F[:, j] / Hinv_F[j, j], then Hinv_F loses row/column j) on row partitions;
  - rotation: R is built as a dense matrix here (the C++ runs fast Walsh–Hadamard transforms).
Arithmetic conventions (documented in the C++ headers too): every tensor handed to a §2 quantizer
is float32 (W·diag(s), X·diag(s)⁻¹, W·R, GPTQ's updated columns when a group is calibrated);
reconstructions are float32; everything else is float64.

Writes tests/data/quant/aware_golden.npz (inputs W, X, W2, X2, v and each case's expected
reconstruction `<case>.recon` and codes `<case>.codes`) and tests/data/quant/aware_golden.json
(each case's settings and its scalar figures: layer_output_error, layer_output_error_rtn, alpha,
alpha_curve, hqq zero points, mse).

Run from the repository root:  /usr/bin/python3 tools/reference_aware.py
"""
import json
import os

import numpy as np

OUT = os.path.join("tests", "data", "quant")
MASK64 = (1 << 64) - 1


# ---- MATH.md §2: the integer grid ------------------------------------------------------------

def grid(bits, sym):
    if sym:
        m = 2 ** (bits - 1) - 1
        return -m, m
    return 0, 2 ** bits - 1


def params_for_range(lo, hi, bits, sym):
    """(s_stored, b, L, U) for the clip range [lo, hi] (s computed in float64, stored fp32)."""
    L, U = grid(bits, sym)
    if sym:
        c = max(abs(lo), abs(hi))
        s = c / U if c > 0 else 1.0
        return float(np.float32(s)), 0, L, U
    width = hi - lo
    s = width / (U - L)
    if not width > 0:
        s = abs(lo) if abs(lo) > 0 else 1.0
    s = float(np.float32(s))
    return s, int(np.rint(-lo / s)), L, U


def calibrate(values, bits, sym, calib):
    x = np.asarray(values, np.float32).astype(np.float64)
    mn, mx = float(x.min()), float(x.max())
    amax = max(abs(mn), abs(mx))
    if calib == "absmax":
        return params_for_range(-amax, amax, bits, sym)
    if calib == "minmax":
        return params_for_range(mn, mx, bits, sym)
    raise ValueError(calib)


def quant(w, p):
    """Codes and float32 reconstruction of float64 values w under p = (s, b, L, U)."""
    s, b, L, U = p
    v = np.rint(np.asarray(w, np.float64) / s) + b
    code = np.clip(v, L, U)
    return code.astype(np.int64), (s * (code - b)).astype(np.float32)


class Part:
    """Partition of a (rows × cols) matrix, numbered as MATH.md §1 / Quench number them."""

    def __init__(self, spec, rows, cols):
        self.spec, self.rows, self.cols = spec, rows, cols
        if spec.startswith("group:"):
            self.g = int(spec.split(":")[1])
            self.per = -(-cols // self.g)

    def of(self, i, c):
        if self.spec == "tensor":
            return 0
        if self.spec == "row":
            return i
        return i * self.per + c // self.g

    def count(self):
        if self.spec == "tensor":
            return 1
        if self.spec == "row":
            return self.rows
        return self.rows * self.per

    def elements(self, p):
        """(rows, cols) index arrays of part p, in part order."""
        if self.spec == "tensor":
            r, c = np.divmod(np.arange(self.rows * self.cols), self.cols)
            return r, c
        if self.spec == "row":
            return np.full(self.cols, p), np.arange(self.cols)
        i, k = divmod(p, self.per)
        c = np.arange(k * self.g, min(self.cols, (k + 1) * self.g))
        return np.full(len(c), i), c

    def first_col(self, p):
        return self.elements(p)[1].min()


def rtn(W, bits, sym, calib, part):
    """The recipe alone: codes and float32 reconstruction of W (rows × cols, float32)."""
    rows, cols = W.shape
    P = Part(part, rows, cols)
    codes = np.zeros(W.shape, np.int64)
    rec = np.zeros(W.shape, np.float32)
    params = []
    for p in range(P.count()):
        r, c = P.elements(p)
        pp = calibrate(W[r, c], bits, sym, calib)
        params.append(pp)
        codes[r, c], rec[r, c] = quant(W[r, c].astype(np.float64), pp)
    return codes, rec, params


def out_err(X, W, Wh):
    """‖XWᵀ − XŴᵀ‖²_F / N in float64."""
    X = X.astype(np.float64)
    D = W.astype(np.float64) - Wh.astype(np.float64)
    return float(np.sum((X @ D.T) ** 2) / X.shape[0])


# ---- GPTQ ------------------------------------------------------------------------------------

def hessian(X, damp):
    X = X.astype(np.float64)
    H = 2.0 / X.shape[0] * (X.T @ X)
    dead = np.diag(H) == 0
    H[dead, dead] = 1.0
    H += damp * np.mean(np.diag(H)) * np.eye(H.shape[0])
    return H, dead


def gptq(W, X, bits, sym, calib, part, damp=0.01, act_order=False, batch=128):
    rows, n = W.shape
    H, dead = hessian(X, damp)
    Wz = W.copy()
    Wz[:, dead] = 0
    perm = np.argsort(-np.diag(H), kind="stable") if act_order else np.arange(n)
    inv = np.empty(n, np.int64)
    inv[perm] = np.arange(n)
    Wp = Wz.astype(np.float64)[:, perm]
    Hp = H[np.ix_(perm, perm)]
    U = np.linalg.cholesky(np.linalg.inv(Hp)).T
    P = Part(part, rows, n)
    params = [None] * P.count()

    def calib_part(p, source):
        r, c = P.elements(p)
        params[p] = calibrate(source[r, c].astype(np.float32), bits, sym, calib)

    if act_order:
        for p in range(P.count()):
            calib_part(p, Wz)
    codes = np.zeros((rows, n), np.int64)
    rec = np.zeros((rows, n), np.float32)
    for b0 in range(0, n, batch):
        b1 = min(n, b0 + batch)
        if not act_order:
            current = Wp[:, inv]  # back in the original column order
            for p in range(P.count()):
                if b0 <= P.first_col(p) < b1:
                    calib_part(p, current)
        E = np.zeros((rows, b1 - b0))
        for a in range(b0, b1):
            c = perm[a]
            for i in range(rows):
                q = quant(Wp[i, a], params[P.of(i, c)])
                codes[i, c], rec[i, c] = q[0], q[1]
            e = (Wp[:, a] - rec[:, c].astype(np.float64)) / U[a, a]
            Wp[:, a + 1:b1] -= np.outer(e, U[a, a + 1:b1])
            E[:, a - b0] = e
        Wp[:, b1:] -= E @ U[b0:b1, b1:]
    return codes, rec


def gptq_obs(W, X, bits, sym, calib, damp=0.01):
    """The unbatched OBS update of the GPTQ paper, row partition (parameters from W at the start),
    columns in order: a different algorithm that must give the same Ŵ."""
    rows, n = W.shape
    H, dead = hessian(X, damp)
    Wz = W.astype(np.float64).copy()
    Wz[:, dead] = 0
    params = [calibrate(Wz[i].astype(np.float32), bits, sym, calib) for i in range(rows)]
    Hinv = np.linalg.inv(H)
    rec = np.zeros((rows, n), np.float32)
    for j in range(n):
        for i in range(rows):
            rec[i, j] = quant(Wz[i, j], params[i])[1]
        e = (Wz[:, j] - rec[:, j]) / Hinv[j, j]
        Wz[:, j + 1:] -= np.outer(e, Hinv[j, j + 1:])
        Hinv = Hinv - np.outer(Hinv[:, j], Hinv[j, :]) / Hinv[j, j]
    return rec


# ---- AWQ, SmoothQuant ------------------------------------------------------------------------

def awq(W, X, bits, sym, calib, part, alpha=None):
    a = np.mean(np.abs(X.astype(np.float64)), axis=0)
    alphas = [alpha] if alpha is not None else [i / 20 for i in range(20)]
    best, out, curve = np.inf, None, []
    X64 = X.astype(np.float64)
    for al in alphas:
        s = np.maximum(a ** al, 1e-4)
        s = s / np.sqrt(s.max() * s.min())
        Ws = (W.astype(np.float64) * s).astype(np.float32)
        codes, q, _ = rtn(Ws, bits, sym, calib, part)
        Wh = (q.astype(np.float64) / s).astype(np.float32)
        err = float(np.sum((X64 @ (W.astype(np.float64) - Wh.astype(np.float64)).T) ** 2))
        curve.append((al, err / X.shape[0]))
        if err < best:
            best, out = err, (codes, Wh, al)
    return out[0], out[1], out[2], best / X.shape[0], curve


def qa_int8(Xs):
    """Per-token int8 absmax of float32 rows (MATH.md §2 arithmetic), dequantized float32."""
    x = Xs.astype(np.float64)
    amax = np.max(np.abs(x), axis=1)
    s = np.where(amax > 0, (amax / 127).astype(np.float32).astype(np.float64), 1.0)
    code = np.clip(np.rint(x / s[:, None]), -127, 127)
    return (s[:, None] * code).astype(np.float32)


def smoothquant(W, X, bits, sym, calib, part, alpha=0.5):
    xmax = np.max(np.abs(X.astype(np.float64)), axis=0)
    wmax = np.max(np.abs(W.astype(np.float64)), axis=0)
    s = np.ones_like(xmax)
    ok = (xmax > 0) & (wmax > 0)
    s[ok] = xmax[ok] ** alpha / wmax[ok] ** (1 - alpha)
    Ws = (W.astype(np.float64) * s).astype(np.float32)
    codes, q, _ = rtn(Ws, bits, sym, calib, part)
    Xs = (X.astype(np.float64) / s).astype(np.float32)
    Y = X.astype(np.float64) @ W.astype(np.float64).T
    err = float(np.sum((Y - qa_int8(Xs).astype(np.float64) @ q.astype(np.float64).T) ** 2) / X.shape[0])
    _, q0, _ = rtn(W, bits, sym, calib, part)
    err0 = float(np.sum((Y - qa_int8(X).astype(np.float64) @ q0.astype(np.float64).T) ** 2) / X.shape[0])
    Wh = (q.astype(np.float64) / s).astype(np.float32)
    return codes, Wh, err, err0


# ---- rotation --------------------------------------------------------------------------------

def splitmix(seed, j):
    z = (seed + (j + 1) * 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def rotation(n, seed):
    m = n & -n
    m = min(m, 4096)
    sigma = np.array([-1.0 if splitmix(seed, j) >> 63 else 1.0 for j in range(n)])
    R = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i // m == j // m:
                R[i, j] = (-1.0) ** bin((i % m) & (j % m)).count("1") * sigma[j] / np.sqrt(m)
    return R, m


def rotate(W, bits, sym, calib, part, seed):
    R, m = rotation(W.shape[1], seed)
    Wr = (W.astype(np.float64) @ R).astype(np.float32)
    codes, q, _ = rtn(Wr, bits, sym, calib, part)
    Wh = (q.astype(np.float64) @ R.T).astype(np.float32)
    return codes, Wh, m


# ---- HQQ, wmse -------------------------------------------------------------------------------

def hqq(W, bits, part):
    rows, cols = W.shape
    P = Part(part, rows, cols)
    top = 2 ** bits - 1
    codes = np.zeros(W.shape, np.int64)
    rec = np.zeros(W.shape, np.float32)
    zeros = []
    for p in range(P.count()):
        r, c = P.elements(p)
        w = W[r, c].astype(np.float64)
        s, b, _, _ = calibrate(W[r, c], bits, False, "minmax")
        b = float(b)
        beta, best, best_b = 10.0, np.inf, b
        for _ in range(20):
            n = np.clip(np.rint(w / s + b), 0, top)
            wr = s * (n - b)
            err = float(np.mean(np.abs(w - wr)))
            if not err < best:
                break
            best, best_b = err, b
            e = w - wr
            a = np.abs(e)
            with np.errstate(divide="ignore"):
                shr = np.where(a > 0, np.sign(e) * np.maximum(0.0, a - np.where(a > 0, a, 1.0) ** (0.7 - 1) / beta), 0.0)
            b = float(np.mean(n - (w - shr) / s))
            beta *= 1.01
        bf = float(np.float32(best_b))
        zeros.append(bf)
        n = np.clip(np.rint(w / s + bf), 0, top)
        codes[r, c] = n.astype(np.int64)
        rec[r, c] = (s * (n - bf)).astype(np.float32)
    return codes, rec, zeros


def wmse(W, v, bits, sym, part):
    rows, cols = W.shape
    P = Part(part, rows, cols)
    codes = np.zeros(W.shape, np.int64)
    rec = np.zeros(W.shape, np.float32)
    for p in range(P.count()):
        r, c = P.elements(p)
        x = W[r, c].astype(np.float64)
        wt = v[c]
        mn, mx = float(x.min()), float(x.max())
        amax = max(abs(mn), abs(mx))
        best, bp = np.inf, None
        for i in range(100, 0, -1):
            f = i / 100
            pp = params_for_range(-amax * f, amax * f, bits, sym) if sym else params_for_range(mn * f, mx * f, bits, sym)
            _, q = quant(x, pp)
            err = float(np.sum(wt * (x - q.astype(np.float64)) ** 2))
            if err < best:
                best, bp = err, pp
        codes[r, c], rec[r, c] = quant(x, bp)
    return codes, rec


# ---- the golden cases ------------------------------------------------------------------------

def main():
    rng = np.random.default_rng(15)
    rows, n, N = 16, 256, 96
    W = (rng.standard_normal((rows, n)) * 0.05).astype(np.float32)
    W[3, 17] = 0.6
    W[9, 200] = -0.45
    X = rng.standard_normal((N, n)).astype(np.float32)
    for c, f in ((3, 20.0), (77, 12.0), (200, 30.0), (131, 8.0)):
        X[:, c] *= np.float32(f)
    X[:, 5] = 0  # a dead input column
    W2 = (rng.standard_normal((8, 96)) * 0.1).astype(np.float32)
    X2 = rng.standard_normal((40, 96)).astype(np.float32)
    X2[:, 10] *= np.float32(15.0)
    v = (np.mean(X.astype(np.float64) ** 2, axis=0) * rng.uniform(0.5, 2.0, n)).astype(np.float32)

    arrays = {"W": W, "X": X, "W2": W2, "X2": X2, "v": v}
    cases = {}

    def add(name, settings, codes, recon, tensor="W", acts="X", **figures):
        arrays[name + ".codes"] = codes.astype(np.int16)
        arrays[name + ".recon"] = recon.astype(np.float32)
        Wt = arrays[tensor]
        entry = {"tensor": tensor, "activations": acts, "settings": settings,
                 "mse": float(np.mean((Wt.astype(np.float64) - recon.astype(np.float64)) ** 2))}
        entry.update(figures)
        cases[name] = entry

    def rtn_err(Wt, Xt, bits, sym, calib, part):
        return out_err(Xt, Wt, rtn(Wt, bits, sym, calib, part)[1])

    # GPTQ
    for name, bits, sym, calib, part, act in (("gptq_row_sym4", 4, True, "absmax", "row", False),
                                              ("gptq_group48_asym3", 3, False, "minmax", "group:48", False),
                                              ("gptq_actorder_group64_sym4", 4, True, "absmax", "group:64", True),
                                              ("gptq_actorder_row_asym4", 4, False, "minmax", "row", True),
                                              ("gptq_tensor_sym3", 3, True, "absmax", "tensor", False)):
        codes, rec = gptq(W, X, bits, sym, calib, part, 0.01, act)
        add(name, {"aware": "gptq", "bits": bits, "symmetric": sym, "calib": calib, "partition": part,
                   "act_order": act, "damp": 0.01}, codes, rec,
            layer_output_error=out_err(X, W, rec), layer_output_error_rtn=rtn_err(W, X, bits, sym, calib, part))
    # the batched algorithm against the unbatched OBS update (row partition, no act-order)
    rec_obs = gptq_obs(W, X, 4, True, "absmax")
    diff = np.abs(rec_obs.astype(np.float64) - arrays["gptq_row_sym4.recon"].astype(np.float64))
    assert np.max(diff) == 0, "GPTQ batched vs OBS: %g" % np.max(diff)
    # GPTQ with a damp of 0.1 on the 96-column layer (a short last batch with batch 128: one batch)
    codes, rec = gptq(W2, X2, 3, True, "absmax", "row", 0.1, False)
    add("gptq_w2_row_sym3_damp01", {"aware": "gptq", "bits": 3, "symmetric": True, "calib": "absmax",
                                    "partition": "row", "act_order": False, "damp": 0.1}, codes, rec, "W2", "X2",
        layer_output_error=out_err(X2, W2, rec), layer_output_error_rtn=rtn_err(W2, X2, 3, True, "absmax", "row"))

    # AWQ
    codes, rec, al, err, curve = awq(W, X, 4, True, "absmax", "group:64")
    add("awq_group64_sym4", {"aware": "awq", "bits": 4, "symmetric": True, "calib": "absmax", "partition": "group:64"},
        codes, rec, layer_output_error=err, layer_output_error_rtn=rtn_err(W, X, 4, True, "absmax", "group:64"),
        alpha=al, alpha_curve=curve)
    codes, rec, al, err, curve = awq(W, X, 3, False, "minmax", "row", alpha=0.0)
    add("awq_row_asym3_alpha0", {"aware": "awq", "bits": 3, "symmetric": False, "calib": "minmax", "partition": "row",
                                 "alpha": 0.0}, codes, rec, layer_output_error=err,
        layer_output_error_rtn=rtn_err(W, X, 3, False, "minmax", "row"), alpha=al, alpha_curve=curve)
    codes, rec, al, err, curve = awq(W2, X2, 3, True, "absmax", "row")
    add("awq_w2_row_sym3", {"aware": "awq", "bits": 3, "symmetric": True, "calib": "absmax", "partition": "row"},
        codes, rec, "W2", "X2", layer_output_error=err, layer_output_error_rtn=rtn_err(W2, X2, 3, True, "absmax", "row"),
        alpha=al, alpha_curve=curve)

    # SmoothQuant (W8A8)
    for name, alpha in (("smoothquant_row8", 0.5), ("smoothquant_row8_a08", 0.8)):
        codes, rec, err, err0 = smoothquant(W, X, 8, True, "absmax", "row", alpha)
        add(name, {"aware": "smoothquant", "bits": 8, "symmetric": True, "calib": "absmax", "partition": "row",
                   "alpha": alpha}, codes, rec, layer_output_error=err, layer_output_error_rtn=err0, alpha=alpha)

    # rotation
    codes, rec, m = rotate(W, 4, True, "absmax", "row", 7)
    add("rotate_row_sym4_seed7", {"aware": "rotate", "bits": 4, "symmetric": True, "calib": "absmax",
                                  "partition": "row", "seed": 7}, codes, rec, layer_output_error=out_err(X, W, rec),
        layer_output_error_rtn=rtn_err(W, X, 4, True, "absmax", "row"), rotation_block=m)
    codes, rec, m = rotate(W2, 4, False, "minmax", "group:32", 3)
    add("rotate_w2_group32_asym4_seed3", {"aware": "rotate", "bits": 4, "symmetric": False, "calib": "minmax",
                                          "partition": "group:32", "seed": 3}, codes, rec, "W2", "X2",
        layer_output_error=out_err(X2, W2, rec), layer_output_error_rtn=rtn_err(W2, X2, 4, False, "minmax", "group:32"),
        rotation_block=m)

    # HQQ (data-free)
    for name, bits, part in (("hqq_group64_4", 4, "group:64"), ("hqq_row_3", 3, "row")):
        codes, rec, zeros = hqq(W, bits, part)
        add(name, {"aware": "hqq", "bits": bits, "symmetric": False, "calib": "minmax", "partition": part}, codes, rec,
            acts=None, zero_points=zeros)

    # wmse: importance from X, and from a given v (an imatrix)
    vx = np.mean(X.astype(np.float64) ** 2, axis=0)
    codes, rec = wmse(W, vx, 4, True, "row")
    add("wmse_row_sym4", {"aware": "wmse", "bits": 4, "symmetric": True, "calib": "absmax", "partition": "row"},
        codes, rec, layer_output_error=out_err(X, W, rec), layer_output_error_rtn=rtn_err(W, X, 4, True, "absmax", "row"))
    codes, rec = wmse(W, v.astype(np.float64), 3, False, "group:64")
    add("wmse_v_group64_asym3", {"aware": "wmse", "bits": 3, "symmetric": False, "calib": "minmax",
                                 "partition": "group:64"}, codes, rec, acts=None)

    os.makedirs(OUT, exist_ok=True)
    np.savez(os.path.join(OUT, "aware_golden.npz"), **arrays)
    with open(os.path.join(OUT, "aware_golden.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    for k, c in cases.items():
        print(k, {x: c[x] for x in ("layer_output_error", "layer_output_error_rtn", "alpha") if x in c})


if __name__ == "__main__":
    main()
