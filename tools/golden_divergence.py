#!/usr/bin/env python3
"""Golden values for core/divergence and `quench-cli divergence` / `lm-divergence` (MATH.md §8, §9).

An independent NumPy implementation (float64 throughout, straight from the formulas, no shared
code with the C++). It writes the small test inputs under tests/data/divergence/ and prints the
figures that tests/core/divergence/test_*.cpp and tests/app/cli/test_cli_divergence.cpp assert.

Run from the repository root:  /usr/bin/python3 tools/golden_divergence.py
Percentiles use NumPy's default method ("linear"), the definition Quench documents.
"""
import itertools
import json
import os

import numpy as np

OUT = os.path.join("tests", "data", "divergence")


def kl(p, q):
    """KL(P||Q) in nats with 0 log 0 = 0 and +inf where P > 0 = Q."""
    p = np.asarray(p, np.float64)
    q = np.asarray(q, np.float64)
    mask = p > 0
    if np.any(q[mask] == 0):
        return np.inf
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


def js(p, q):
    p = np.asarray(p, np.float64)
    q = np.asarray(q, np.float64)
    m = 0.5 * (p + q)
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def log_softmax(z):
    z = np.asarray(z, np.float64)
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def temper(p, t):
    p = np.asarray(p, np.float64) ** (1.0 / t)
    return p / p.sum()


def show(name, value):
    print(f"{name} = {value!r}")


def pmf_section():
    print("# --- pmfs (MATH.md §8)")
    p, q = [0.5, 0.3, 0.2], [0.4, 0.4, 0.2]
    show("kl", kl(p, q))
    show("kl_reverse", kl(q, p))
    show("js", js(p, q))
    show("js_sqrt", np.sqrt(js(p, q)))
    show("kl_bits", kl(p, q) / np.log(2))
    show("js_bits", js(p, q) / np.log(2))
    show("js_sqrt_bits", np.sqrt(js(p, q) / np.log(2)))
    pt, qt = temper(p, 2.0), temper(q, 2.0)
    show("kl_T2", kl(pt, qt))
    show("kl_reverse_T2", kl(qt, pt))
    show("js_T2", js(pt, qt))
    # --normalize: 5,3,2 and 4,4,2 rescaled to the pmfs above
    show("kl_zero_q", kl([0.5, 0.5, 0.0], [1.0, 0.0, 0.0]))
    show("kl_zero_q_reverse", kl([1.0, 0.0, 0.0], [0.5, 0.5, 0.0]))
    show("js_disjoint", js([1.0, 0.0], [0.0, 1.0]))
    # logits and distillation
    zt = np.array([2.0, 1.0, 0.5, -1.0], np.float32)
    zs = np.array([1.5, 1.2, 0.1, -0.5], np.float32)
    lp, lq = log_softmax(zt), log_softmax(zs)
    show("kl_logits", kl(np.exp(lp), np.exp(lq)))
    show("js_logits", js(np.exp(lp), np.exp(lq)))
    # divide in float64 (a float32 array / 3.0 would stay float32)
    lpt, lqt = log_softmax(zt.astype(np.float64) / 3.0), log_softmax(zs.astype(np.float64) / 3.0)
    show("kl_logits_T3", kl(np.exp(lpt), np.exp(lqt)))
    distill = 9.0 * kl(np.exp(lpt), np.exp(lqt))
    show("distill_T3", distill)
    show("distill_T3_label1_w05", distill + 0.5 * -lq[1])


def write_logits():
    rng = np.random.default_rng(20260522)
    rows, vocab = 64, 50
    zp = rng.normal(0.0, 3.0, (rows, vocab)).astype(np.float32)
    zq = (zp + rng.normal(0.0, 0.3, (rows, vocab))).astype(np.float32)
    zq[0] = zp[0]  # an identical row: KL = JS = 0
    zq[1] = rng.normal(0.0, 3.0, vocab).astype(np.float32)  # an unrelated row: large KL
    zq[2] = zp[2] + np.float32(5.0)  # a shifted row: same distribution, KL = 0 up to rounding
    np.save(os.path.join(OUT, "p_logits.npy"), zp)
    np.save(os.path.join(OUT, "q_logits.npy"), zq)
    np.save(os.path.join(OUT, "q_logits_short.npy"), zq[:, :49].copy())
    np.save(os.path.join(OUT, "p_logprobs.npy"), log_softmax(zp).astype(np.float32))
    np.save(os.path.join(OUT, "q_logprobs.npy"), log_softmax(zq).astype(np.float32))
    try:
        import h5py

        with h5py.File(os.path.join(OUT, "logits.h5"), "w") as f:
            f.create_dataset("p", data=zp)
            f.create_dataset("q", data=zq)
    except ImportError:
        print("# h5py missing: logits.h5 not written")
    return zp, zq


def summary(zp, zq, true=None):
    lp, lq = log_softmax(zp), log_softmax(zq)
    p, q = np.exp(lp), np.exp(lq)
    kls = np.array([kl(a, b) for a, b in zip(p, q)])
    jss = np.array([js(a, b) for a, b in zip(p, q)])
    n = len(kls)
    out = {
        "tokens": n,
        "kl_mean": kls.mean(),
        "kl_stderr": np.sqrt(kls.var() / (n - 1)),
        "kl_median": np.percentile(kls, 50),
        "kl_p90": np.percentile(kls, 90),
        "kl_p95": np.percentile(kls, 95),
        "kl_p99": np.percentile(kls, 99),
        "kl_p999": np.percentile(kls, 99.9),
        "kl_min": kls.min(),
        "kl_max": kls.max(),
        "js_mean": jss.mean(),
        "top1_agreement": float(np.mean(zp.argmax(1) == zq.argmax(1))),
    }
    if true is not None:
        idx = np.arange(n)
        lpt, lqt = lp[idx, true], lq[idx, true]
        dp = np.exp(lqt) - np.exp(lpt)
        out.update({
            "ppl_p": np.exp(-lpt.mean()),
            "ppl_q": np.exp(-lqt.mean()),
            "ppl_ratio": np.exp(lpt.mean() - lqt.mean()),
            "ln_ppl_ratio": lpt.mean() - lqt.mean(),
            "delta_p_mean": dp.mean(),
            "delta_p_rms": np.sqrt(np.mean(dp * dp)),
        })
    return out


def logits_section(zp, zq):
    print("# --- per-token summary of tests/data/divergence/{p,q}_logits.npy (64 x 50)")
    true = (7 * np.arange(zp.shape[0]) + 3) % zp.shape[1]  # true next tokens used by the tests
    for k, v in summary(zp, zq, true).items():
        show(k, float(v))
    print("# --- the same from the float32 log-prob files (--logprobs)")
    lp = np.load(os.path.join(OUT, "p_logprobs.npy"))
    lq = np.load(os.path.join(OUT, "q_logprobs.npy"))
    s = summary(lp, lq)
    for k in ("kl_mean", "kl_max", "js_mean"):
        show("logprobs_" + k, float(s[k]))


# Explicit LMs (MATH.md §9): a bigram P and a trigram-ish Q on three tokens.
LM_P = {"vocab": ["A", "B", "C"],
        "next": {"": [0.5, 0.3, 0.2], "A": [0.1, 0.6, 0.3], "B": [0.4, 0.4, 0.2], "C": [0.3, 0.3, 0.4]}}
LM_Q = {"vocab": ["A", "B", "C"],
        "next": {"": [0.4, 0.4, 0.2], "A": [0.2, 0.5, 0.3], "B": [0.5, 0.25, 0.25], "C": [0.3, 0.3, 0.4],
                 "A B": [0.6, 0.2, 0.2], "C C": [0.1, 0.1, 0.8]}}


def lm_next(lm, prefix):
    for k in range(len(prefix), -1, -1):
        key = " ".join(lm["vocab"][t] for t in prefix[len(prefix) - k:])
        if key in lm["next"]:
            return np.array(lm["next"][key], np.float64)
    raise KeyError


def joint(lm, seq):
    pr = 1.0
    for i, t in enumerate(seq):
        pr *= lm_next(lm, list(seq[:i]))[t]
    return pr


def lm_section():
    for name, lm in (("lm_p.json", LM_P), ("lm_q.json", LM_Q)):
        with open(os.path.join(OUT, name), "w") as f:
            json.dump(lm, f, indent=1)
    v, n = 3, 4
    seqs = list(itertools.product(range(v), repeat=n))
    pj = np.array([joint(LM_P, s) for s in seqs])
    qj = np.array([joint(LM_Q, s) for s in seqs])
    print(f"# --- explicit LMs lm_p.json vs lm_q.json, length {n}")
    show("lm_kl_joint", kl(pj, qj))
    show("lm_js_joint", js(pj, qj))
    klc, jsc = [], []
    for i in range(n):
        tk, tj = 0.0, 0.0
        for pre in itertools.product(range(v), repeat=i):
            a, b = joint(LM_P, pre), joint(LM_Q, pre)
            pc, qc = lm_next(LM_P, list(pre)), lm_next(LM_Q, list(pre))
            tk += a * kl(pc, qc)
            m = (a * pc + b * qc) / (a + b)
            tj += 0.5 * a * kl(pc, m) + 0.5 * b * kl(qc, m)
        klc.append(tk)
        jsc.append(tj)
    show("lm_kl_chain", klc)
    show("lm_js_chain", jsc)
    show("lm_kl_joint_over_n", kl(pj, qj) / n)


def main():
    os.makedirs(OUT, exist_ok=True)
    pmf_section()
    zp, zq = write_logits()
    logits_section(zp, zq)
    lm_section()


if __name__ == "__main__":
    main()
