#pragma once
// Per-row divergence kernel: one position's KL(P‖Q), JS(P‖Q) and argmaxes from two logit rows
// (P = softmax(zp), Q = softmax(zq)). rowDivergence is the Highway version with runtime dispatch
// (elementwise float32, sums in double); rowDivergence_ref is its scalar double-precision twin
// and specification. No Highway type appears here.
#include <cstddef>
#include <limits>

namespace quench::simd {

/// Figures of one row, natural logs.
struct RowDivergenceFigures {
  bool valid = true;         ///< false when a NaN or +∞ was found (the other fields are then unset)
  double kl = 0;             ///< KL(P‖Q), nats (+∞ when Q has a −∞ logit where P has not)
  double js = 0;             ///< JS(P‖Q), nats
  double lseP = 0, lseQ = 0; ///< ln Σ_v exp(z_v): ln P(v) = zp_v − lseP, ln Q(v) = zq_v − lseQ
  std::size_t argmaxP = 0, argmaxQ = 0;  ///< first index of the largest logit
};

/// Scalar specification, all in double: max subtraction, lse = max + ln Σ exp(z − max),
/// KL = Σ_v P(v)·(ln P(v) − ln Q(v)) over the entries with ln P(v) > klLogFloor (−∞: all; a
/// llama.cpp base file uses −16), JS = Σ_v ½P ln(P/M) + ½Q ln(Q/M), M = ½(P+Q), 0·ln 0 = 0.
/// Rows of n ≥ 1 entries that may be −∞ but not NaN or +∞ (else valid = false); every entry −∞ in
/// either row is also invalid.
RowDivergenceFigures rowDivergence_ref(const float* zp, const float* zq, std::size_t n,
                                       double klLogFloor = -std::numeric_limits<double>::infinity());

/// Same figures as rowDivergence_ref (klLogFloor = −∞) computed with SIMD: exp and log from
/// hwy/contrib/math in float32, each element's KL and JS contribution in a non-negative form
/// (KL_v = P·h(d), JS_v = ½P·g(d) with d = ln P − ln Q, Taylor series for |d| < ¼ to avoid
/// cancellation), accumulated in double. Relative difference from the reference ~1e-5 or less.
/// Rows containing −∞ are handed to the reference. Thread-safe (per-thread scratch).
RowDivergenceFigures rowDivergence(const float* zp, const float* zq, std::size_t n);

}  // namespace quench::simd
