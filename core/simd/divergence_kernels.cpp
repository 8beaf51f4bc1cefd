// Per-row KL/JS kernel (see divergence_kernels.h). Compiled once per Highway target through
// foreach_target.h; the dispatch table and the scalar reference are emitted once under HWY_ONCE.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/simd/divergence_kernels.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/simd/divergence_kernels.h"

HWY_BEFORE_NAMESPACE();
namespace quench::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Float lanes summed into a double total: each lane accumulates at most kFlushEvery float terms
// (all terms here are non-negative, so the float partials lose nothing to cancellation), then the
// lanes are added to the double total one by one.
template <class D>
class LaneSum {
 public:
  explicit LaneSum(D d) : m_d(d), m_acc(hn::Zero(d)) {}
  HWY_INLINE void add(hn::Vec<D> v) {
    m_acc = hn::Add(m_acc, v);
    if (++m_count == kFlushEvery) flush();
  }
  HWY_INLINE double total() {
    flush();
    return m_total;
  }

 private:
  static constexpr int kFlushEvery = 32;
  HWY_INLINE void flush() {
    HWY_ALIGN float lanes[kMaxLanes];
    hn::Store(m_acc, m_d, lanes);
    for (std::size_t j = 0; j < hn::Lanes(m_d); ++j) m_total += lanes[j];
    m_acc = hn::Zero(m_d);
    m_count = 0;
  }
  static constexpr std::size_t kMaxLanes = 256;  // ≥ any float vector (SVE 2048-bit: 64)
  D m_d;
  hn::Vec<D> m_acc;
  int m_count = 0;
  double m_total = 0;
};

// Evaluate a polynomial Σ c_k x^k (k = 0..6) by Horner's rule.
template <class D, class V>
HWY_INLINE V Poly6(D d, V x, float c0, float c1, float c2, float c3, float c4, float c5, float c6) {
  V r = hn::Set(d, c6);
  r = hn::MulAdd(r, x, hn::Set(d, c5));
  r = hn::MulAdd(r, x, hn::Set(d, c4));
  r = hn::MulAdd(r, x, hn::Set(d, c3));
  r = hn::MulAdd(r, x, hn::Set(d, c2));
  r = hn::MulAdd(r, x, hn::Set(d, c1));
  return hn::MulAdd(r, x, hn::Set(d, c0));
}

// Returns false when the row holds a non-finite value (the caller then uses the reference, which
// tells −∞ (allowed) from NaN/+∞ (invalid)). scratch: 2n floats.
bool RowDivergenceSimd(const float* HWY_RESTRICT zp, const float* HWY_RESTRICT zq, std::size_t n,
                       float* HWY_RESTRICT scratch, RowDivergenceFigures* out) {
  const hn::ScalableTag<float> d;
  const std::size_t N = hn::Lanes(d);
  const float kNegInf = -std::numeric_limits<float>::infinity();

  // Pass 1: maxima, and a finiteness probe (z − z is 0 for finite z, NaN for ±∞ and NaN).
  auto vmaxP = hn::Set(d, kNegInf), vmaxQ = hn::Set(d, kNegInf), probe = hn::Zero(d);
  std::size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto p = hn::LoadU(d, zp + i), q = hn::LoadU(d, zq + i);
    vmaxP = hn::Max(vmaxP, p);
    vmaxQ = hn::Max(vmaxQ, q);
    probe = hn::Add(probe, hn::Add(hn::Sub(p, p), hn::Sub(q, q)));
  }
  float maxP = hn::GetLane(hn::MaxOfLanes(d, vmaxP)), maxQ = hn::GetLane(hn::MaxOfLanes(d, vmaxQ));
  float probeTail = 0;
  for (std::size_t t = i; t < n; ++t) {
    maxP = std::max(maxP, zp[t]);
    maxQ = std::max(maxQ, zq[t]);
    probeTail += (zp[t] - zp[t]) + (zq[t] - zq[t]);
  }
  if (std::isnan(hn::GetLane(hn::SumOfLanes(d, probe))) || std::isnan(probeTail)) return false;
  out->argmaxP = static_cast<std::size_t>(std::find(zp, zp + n, maxP) - zp);
  out->argmaxQ = static_cast<std::size_t>(std::find(zq, zq + n, maxQ) - zq);

  // Pass 2: e = exp(z − max), kept for pass 3; Σe in double.
  float* HWY_RESTRICT eP = scratch;
  float* HWY_RESTRICT eQ = scratch + n;
  {
    const auto vmP = hn::Set(d, maxP), vmQ = hn::Set(d, maxQ);
    LaneSum<decltype(d)> sumP(d), sumQ(d);
    double tailP = 0, tailQ = 0;
    for (i = 0; i + N <= n; i += N) {
      const auto ep = hn::Exp(d, hn::Sub(hn::LoadU(d, zp + i), vmP));
      const auto eq = hn::Exp(d, hn::Sub(hn::LoadU(d, zq + i), vmQ));
      hn::StoreU(ep, d, eP + i);
      hn::StoreU(eq, d, eQ + i);
      sumP.add(ep);
      sumQ.add(eq);
    }
    for (std::size_t t = i; t < n; ++t) {
      eP[t] = std::exp(zp[t] - maxP);
      eQ[t] = std::exp(zq[t] - maxQ);
      tailP += eP[t];
      tailQ += eQ[t];
    }
    const double sP = sumP.total() + tailP, sQ = sumQ.total() + tailQ;
    out->lseP = maxP + std::log(sP);
    out->lseQ = maxQ + std::log(sQ);
  }

  // Pass 3: with d = ln P − ln Q = (zp − zq) − (lseP − lseQ), Q = P·e^(−d), the per-element terms
  //   KL_v = P·h(d),  h(d) = d − 1 + e^(−d) ≥ 0   (Σ_v (Q − P) = 0 makes Σ KL_v = KL)
  //   JS_v = ½P·g(d), g(d) = (1 + e^(−d))·ln(2/(1 + e^(−d))) − d·e^(−d) ≥ 0
  // are second order in d; for |d| < ¼ they come from their Taylor series (truncation < 2e-8
  // relative), else KL_v = P·d + Q − P and JS_v = ½[(P + Q)·A − Q·d] with A = ln(P/M)
  // = ln 2 − log1p(min/max) (+ d when Q > P). Both forms are non-negative, so the sums do not cancel.
  {
    const float cDiff = static_cast<float>(out->lseP - out->lseQ);
    const float invSP = static_cast<float>(std::exp(maxP - out->lseP));  // 1/Σe_P
    const float invSQ = static_cast<float>(std::exp(maxQ - out->lseQ));
    const auto vc = hn::Set(d, cDiff), vInvP = hn::Set(d, invSP), vInvQ = hn::Set(d, invSQ);
    const auto kQuarter = hn::Set(d, 0.25f), kHalf = hn::Set(d, 0.5f), kLn2f = hn::Set(d, 0.693147180559945f);
    const auto zero = hn::Zero(d);
    LaneSum<decltype(d)> kl(d), js(d);
    for (i = 0; i + N <= n; i += N) {
      const auto zpv = hn::LoadU(d, zp + i), zqv = hn::LoadU(d, zq + i);
      const auto p = hn::Mul(hn::LoadU(d, eP + i), vInvP);
      const auto q = hn::Mul(hn::LoadU(d, eQ + i), vInvQ);
      const auto dv = hn::Sub(hn::Sub(zpv, zqv), vc);
      const auto d2 = hn::Mul(dv, dv);
      // h(d)/d² and g(d)/d² as polynomials in d (coefficients from the Taylor series).
      const auto hSeries = hn::Mul(d2, Poly6(d, dv, 1.f / 2, -1.f / 6, 1.f / 24, -1.f / 120, 1.f / 720,
                                               -1.f / 5040, 1.f / 40320));
      const auto gSeries = hn::Mul(d2, Poly6(d, dv, 1.f / 4, -1.f / 8, 1.f / 32, -1.f / 192, 1.f / 1152,
                                               -1.f / 5760, 1.f / 46080));
      const auto small = hn::Lt(hn::Abs(dv), kQuarter);
      const auto klDirect = hn::Add(hn::Mul(p, dv), hn::Sub(q, p));
      const auto hi = hn::Max(p, q), lo = hn::Min(p, q);
      const auto ratio = hn::IfThenZeroElse(hn::Eq(hi, zero), hn::Div(lo, hn::IfThenElse(hn::Eq(hi, zero), kHalf, hi)));
      const auto lBig = hn::Sub(kLn2f, hn::Log1p(d, ratio));  // ln(max/M)
      const auto aP = hn::IfThenElse(hn::Gt(q, p), hn::Add(lBig, dv), lBig);  // ln(P/M)
      const auto jsDirect = hn::Mul(kHalf, hn::Sub(hn::Mul(hn::Add(p, q), aP), hn::Mul(q, dv)));
      const auto klv = hn::IfThenElse(small, hn::Mul(p, hSeries), klDirect);
      const auto jsv = hn::IfThenElse(small, hn::Mul(hn::Mul(kHalf, p), gSeries), jsDirect);
      // Rounding can leave −1e-12-sized values in the direct forms; the true terms are ≥ 0.
      kl.add(hn::Max(klv, zero));
      js.add(hn::Max(jsv, zero));
    }
    double klTail = 0, jsTail = 0;
    for (std::size_t t = i; t < n; ++t) {
      const double lp = zp[t] - out->lseP, lq = zq[t] - out->lseQ;
      const double p = std::exp(lp), q = std::exp(lq), m = 0.5 * (p + q);
      klTail += p * (lp - lq) + (q - p);  // same form as the vector part: Σ(q − p) cancels over the row
      if (m > 0) jsTail += 0.5 * (p * (lp - std::log(m)) + q * (lq - std::log(m)));
    }
    out->kl = std::max(0.0, kl.total() + klTail);
    out->js = std::max(0.0, js.total() + jsTail);
  }
  out->valid = true;
  return true;
}

}  // namespace HWY_NAMESPACE
}  // namespace quench::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace quench::simd {
HWY_EXPORT(RowDivergenceSimd);

RowDivergenceFigures rowDivergence_ref(const float* zp, const float* zq, std::size_t n, double klLogFloor) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  RowDivergenceFigures f;
  if (n == 0) {
    f.valid = false;
    return f;
  }
  double maxP = -kInf, maxQ = -kInf;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isnan(zp[i]) || std::isnan(zq[i]) || zp[i] == kInf || zq[i] == kInf) {
      f.valid = false;
      return f;
    }
    if (zp[i] > maxP) { maxP = zp[i]; f.argmaxP = i; }
    if (zq[i] > maxQ) { maxQ = zq[i]; f.argmaxQ = i; }
  }
  if (maxP == -kInf || maxQ == -kInf) {
    f.valid = false;
    return f;
  }
  double sP = 0, sQ = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sP += std::exp(zp[i] - maxP);
    sQ += std::exp(zq[i] - maxQ);
  }
  f.lseP = maxP + std::log(sP);
  f.lseQ = maxQ + std::log(sQ);
  double kl = 0, js = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double lp = zp[i] - f.lseP, lq = zq[i] - f.lseQ;  // −∞ for −∞ logits
    const double p = std::exp(lp), q = std::exp(lq);
    if (p > 0 && lp > klLogFloor) kl += lq == -kInf ? kInf : p * ((static_cast<double>(zp[i]) - zq[i]) - (f.lseP - f.lseQ));
    const double m = 0.5 * (p + q);
    if (m > 0) {
      const double lm = std::log(m);
      if (p > 0) js += 0.5 * p * (lp - lm);
      if (q > 0) js += 0.5 * q * (lq - lm);
    }
  }
  f.kl = std::max(0.0, kl);
  f.js = std::max(0.0, js);
  return f;
}

RowDivergenceFigures rowDivergence(const float* zp, const float* zq, std::size_t n) {
  thread_local std::vector<float> scratch;  // (2n) exp(z − max) of both rows, reused per thread
  if (n == 0) return rowDivergence_ref(zp, zq, n);
  if (scratch.size() < 2 * n) scratch.resize(2 * n);
  RowDivergenceFigures f;
  if (!HWY_DYNAMIC_DISPATCH(RowDivergenceSimd)(zp, zq, n, scratch.data(), &f)) return rowDivergence_ref(zp, zq, n);
  return f;
}

}  // namespace quench::simd
#endif  // HWY_ONCE
