#!/usr/bin/python3
"""Independent float64 NumPy reference of MATH.md §14 (where in depth the divergence enters), for
tests/core/eval/test_depth.cpp. Writes tests/data/eval/depth_golden.json.

P is a model as stored; Q is the same model with every tensor of rank >= 2 whose name in the file
matches the recipe's glob replaced by its MATH.md §2 integer reconstruction (symmetric grid
[-M, M], M = 2^(k-1) - 1, absmax calibration per group of g consecutive elements along each row,
s = max|x|/M computed in float64 and stored as float32 (s = 1 for an all-zero group), code =
clip(rint(x / s), -M, M) with rint half-to-even, reconstruction float32(s * code)). The forward
pass is tools/reference_decoder.py's (float64, whole sequence, causal mask; per block here).

For every layer l = 1..L and position t (sequences one after the other, every position):
  r = |h^Q - h^P| / |h^P|, cos(h^Q, h^P), and the logit-lens KL(softmax(head_P(h^P)) ||
  softmax(head_Q(h^Q))), each model's head being its own final norm and output matrix;
  propagated: h^Q is Q's own stream; isolated: h^Q_l = block_l^Q(h^P_{l-1}).
Per layer: mean, median, p90, p99, max of r (NumPy's linear quantiles), mean and min of cos,
mean, median, p90, p99, max of the lens KL; and every cell. Also the model's own mean KL.

Usage: /usr/bin/python3 tools/reference_depth.py   (from the repository root; ../shared/data must
exist). Deterministic: sequences come from a seeded NumPy generator.
"""
import fnmatch
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_decoder as ref  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data")
TESTDATA = os.path.join(ROOT, "tests", "data")


def int_group_reconstruction(x, bits, group):
    """MATH.md §2 symmetric absmax integer quantization of a 2-D (rows, cols) array, groups of
    `group` consecutive elements along each row (the last group of a row may be short)."""
    m = 2 ** (bits - 1) - 1
    x = np.asarray(x, dtype=np.float64)
    rows, cols = x.shape
    out = np.empty_like(x)
    for c0 in range(0, cols, group):
        part = x[:, c0 : c0 + group]
        amax = np.abs(part).max(axis=1, keepdims=True)
        s = np.where(amax > 0, amax / m, 1.0).astype(np.float32).astype(np.float64)
        code = np.clip(np.rint(part / s), -m, m)
        out[:, c0 : c0 + group] = (s * code).astype(np.float32).astype(np.float64)
    return out


def quantizer(glob, bits, group):
    def transform(name, a):
        if a.ndim < 2 or not fnmatch.fnmatchcase(name, glob):
            return a
        shape = a.shape
        return int_group_reconstruction(a.reshape(shape[0], -1), bits, group).reshape(shape)
    return transform


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def kl_rows(zp, zq):
    lp, lq = log_softmax(zp), log_softmax(zq)
    return (np.exp(lp) * (lp - lq)).sum(axis=-1)


def figures(hp, hq, zp, zq):
    d = np.linalg.norm(hq - hp, axis=1)
    n = np.linalg.norm(hp, axis=1)
    r = d / n
    cos = (hp * hq).sum(axis=1) / (n * np.linalg.norm(hq, axis=1))
    kl = kl_rows(zp, zq)
    return r, cos, kl


def summarize(r, cos, kl):
    q = lambda v, p: float(np.quantile(v, p))  # noqa: E731  (NumPy's default: linear)
    return dict(rel_err_mean=float(r.mean()), rel_err_median=q(r, 0.5), rel_err_p90=q(r, 0.9), rel_err_p99=q(r, 0.99),
                rel_err_max=float(r.max()), cosine_mean=float(cos.mean()), cosine_min=float(cos.min()),
                lens_kl_mean=float(kl.mean()), lens_kl_median=q(kl, 0.5), lens_kl_p90=q(kl, 0.9),
                lens_kl_p99=q(kl, 0.99), lens_kl_max=float(kl.max()))


def depth_case(path, glob, bits, group, sequences):
    P = ref.load(path)
    Q = ref.load(path, quantizer(glob, bits, group))
    L = len(P["layers"])
    cells = {"propagated": [[] for _ in range(L)], "isolated": [[] for _ in range(L)]}
    model_kl = []
    for seq in sequences:
        hp = ref.embed(P, seq)
        hq = ref.embed(Q, seq)
        for l in range(L):
            hiso = ref.block(Q, Q["layers"][l], hp)  # Q's block l fed h^P_{l-1}
            hp = ref.block(P, P["layers"][l], hp)
            hq = ref.block(Q, Q["layers"][l], hq)
            zp = ref.head(P, hp)
            cells["propagated"][l].append(figures(hp, hq, zp, ref.head(Q, hq)))
            cells["isolated"][l].append(figures(hp, hiso, zp, ref.head(Q, hiso)))
        model_kl.append(kl_rows(ref.head(P, hp), ref.head(Q, hq)))
    out = {}
    for mode, per_layer in cells.items():
        layers = []
        for l, parts in enumerate(per_layer):
            r, cos, kl = (np.concatenate([p[i] for p in parts]) for i in range(3))
            s = summarize(r, cos, kl)
            s.update(layer=l + 1, rel_err=r.tolist(), cosine=cos.tolist(), lens_kl=kl.tolist())
            layers.append(s)
        out[mode] = layers
    out["kl_mean"] = float(np.concatenate(model_kl).mean())
    return out


def main():
    rng = np.random.default_rng(14)
    cases = []
    # name, path as the test resolves it (shared: or test: prefix), recipe, sequence lengths
    specs = [
        ("stories260K.gguf", "shared:models/stories260K-gguf/stories260K.gguf", "*", 4, 16, 512, (17, 9)),
        ("llama hf", "test:model/llama/hf", "*", 4, 16, 64, (12, 7)),
        # a recipe that changes layer 1 alone (0-based file names): the isolated error of every
        # other layer must be exactly 0
        ("llama gguf, layer 1 only", "test:model/llama/model.gguf", "blk.1.*", 3, 8, 64, (10, 6)),
    ]
    for name, where, glob, bits, group, vocab, lengths in specs:
        kind, rel = where.split(":", 1)
        path = os.path.join(SHARED if kind == "shared" else TESTDATA, rel)
        sequences = [[1] + rng.integers(3, vocab, size=n - 1).tolist() for n in lengths]
        recipe = {"quench_recipe": 1, "rules": [{"tensors": glob, "method": "int", "bits": bits,
                                                  "partition": "group:%d" % group}]}
        case = dict(name=name, model=where, recipe=recipe, sequences=sequences)
        case.update(depth_case(path, glob, bits, group, sequences))
        cases.append(case)
        print(name, "kl_mean %.6g" % case["kl_mean"],
              "propagated lens KL", ["%.4g" % x["lens_kl_mean"] for x in case["propagated"]],
              "isolated r", ["%.4g" % x["rel_err_mean"] for x in case["isolated"]])
    doc = dict(generator="tools/reference_depth.py", cases=cases)
    os.makedirs(os.path.join(TESTDATA, "eval"), exist_ok=True)
    with open(os.path.join(TESTDATA, "eval", "depth_golden.json"), "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
