// Highway kernel for summary statistics. Compiled once per target through foreach_target.h; the
// dispatch table and the scalar reference are emitted once under HWY_ONCE.
//
// Floats are loaded half a vector at a time and promoted to double lanes, so that the sums are
// accumulated in double like the scalar twin. A piece whose values are all finite (the common
// case) takes one shifted pass; a piece with NaN or ±Inf is redone with masks in two passes.
// Finite and NaN lanes are classified with Highway's IsFinite / IsNaN; the rest are ±Inf.
#include "core/simd/summary_kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/simd/summary_kernels.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace quench::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Pass-1 accumulators for a (double tag DD, float tag DF with the same lane count) pair.
template <class DD, class DF>
struct Pass1 {
  using VF = hn::Vec<DF>;
  using VI = hn::Vec<hn::RebindToSigned<DF>>;
  using VD = hn::Vec<DD>;
  VI finite, nan;  // per-lane counts (a true mask is −1 as int32: subtracting counts it)
  VF lo, hi;       // per-lane min and max of the finite values
  VD sum;

  Pass1(DD dd, DF df)
      : finite(hn::Zero(hn::RebindToSigned<DF>())), nan(hn::Zero(hn::RebindToSigned<DF>())),
        lo(hn::Set(df, std::numeric_limits<float>::infinity())),
        hi(hn::Set(df, -std::numeric_limits<float>::infinity())), sum(hn::Zero(dd)) {}

  HWY_INLINE void add(DD dd, DF df, const float* p) {
    const hn::RebindToSigned<DF> di;
    const VF v = hn::LoadU(df, p);
    const auto isFinite = hn::IsFinite(v);
    const auto isNan = hn::IsNaN(v);  // not Ne(v, v): AVX-512's ordered compare is false for NaN
    finite = hn::Sub(finite, hn::BitCast(di, hn::VecFromMask(df, isFinite)));
    nan = hn::Sub(nan, hn::BitCast(di, hn::VecFromMask(df, isNan)));
    lo = hn::Min(lo, hn::IfThenElse(isFinite, v, hn::Set(df, std::numeric_limits<float>::infinity())));
    hi = hn::Max(hi, hn::IfThenElse(isFinite, v, hn::Set(df, -std::numeric_limits<float>::infinity())));
    sum = hn::Add(sum, hn::PromoteTo(dd, hn::IfThenElseZero(isFinite, v)));
  }
};

// Σ (x − mean)² over the finite x of one load: x − mean is finite iff x is (|mean| ≤ FLT_MAX and
// the subtraction is in double), so the mask is taken on the difference.
template <class DD, class DF>
HWY_INLINE hn::Vec<DD> addSquaredDeviation(DD dd, DF df, const float* p, hn::Vec<DD> mean, hn::Vec<DD> acc) {
  const auto d = hn::Sub(hn::PromoteTo(dd, hn::LoadU(df, p)), mean);
  const auto keep = hn::IsFinite(d);
  const auto dz = hn::IfThenElseZero(keep, d);
  return hn::MulAdd(dz, dz, acc);
}

// Fast path accumulators: raw min and max, and Σ(x − c), Σ(x − c)² in double about a shift c.
template <class DD, class DF>
struct Shifted {
  hn::Vec<DF> lo, hi;
  hn::Vec<DD> s1, s2;

  Shifted(DD dd, DF df, float first)
      : lo(hn::Set(df, first)), hi(hn::Set(df, first)), s1(hn::Zero(dd)), s2(hn::Zero(dd)) {}

  HWY_INLINE void add(DD dd, DF df, const float* p, hn::Vec<DD> c) {
    const auto v = hn::LoadU(df, p);
    lo = hn::Min(lo, v);
    hi = hn::Max(hi, v);
    const auto d = hn::Sub(hn::PromoteTo(dd, v), c);
    s1 = hn::Add(s1, d);
    s2 = hn::MulAdd(d, d, s2);
  }
};

// Single pass assuming every value is finite: m2 = Σ(x − c)² − (Σ(x − c))²/n with c = x[0], a
// value of the data, so the cancellation is that of (mean − c)² against the variance, in
// double. Returns false when a NaN or ±Inf was met (a shifted sum of finite floats cannot
// overflow a double: n·2·FLT_MAX and n·4·FLT_MAX² are far below DBL_MAX).
bool FastPiece(const float* x, std::size_t n, SummaryMoments& m) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;  // half-width floats: one double lane per float
  const hn::CappedTag<double, 1> dd1;
  const hn::Rebind<float, decltype(dd1)> df1;
  const std::size_t N = hn::Lanes(dd);
  const auto c = hn::Set(dd, static_cast<double>(x[0]));
  // Four accumulator sets hide the latency of the double adds and FMAs.
  Shifted<decltype(dd), decltype(df)> a(dd, df, x[0]), b(dd, df, x[0]), e(dd, df, x[0]), f(dd, df, x[0]);
  Shifted<decltype(dd1), decltype(df1)> t(dd1, df1, x[0]);
  std::size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    a.add(dd, df, x + i, c);
    b.add(dd, df, x + i + N, c);
    e.add(dd, df, x + i + 2 * N, c);
    f.add(dd, df, x + i + 3 * N, c);
  }
  for (; i + N <= n; i += N) a.add(dd, df, x + i, c);
  for (; i < n; ++i) t.add(dd1, df1, x + i, hn::Set(dd1, static_cast<double>(x[0])));
  const double s1 = hn::GetLane(hn::SumOfLanes(dd, hn::Add(hn::Add(a.s1, b.s1), hn::Add(e.s1, f.s1)))) + hn::GetLane(t.s1);
  const double s2 = hn::GetLane(hn::SumOfLanes(dd, hn::Add(hn::Add(a.s2, b.s2), hn::Add(e.s2, f.s2)))) + hn::GetLane(t.s2);
  if (!std::isfinite(s1) || !std::isfinite(s2)) return false;
  const double nd = static_cast<double>(n);
  m.count = n;
  m.min = std::min(hn::GetLane(hn::MinOfLanes(df, hn::Min(hn::Min(a.lo, b.lo), hn::Min(e.lo, f.lo)))), hn::GetLane(t.lo));
  m.max = std::max(hn::GetLane(hn::MaxOfLanes(df, hn::Max(hn::Max(a.hi, b.hi), hn::Max(e.hi, f.hi)))), hn::GetLane(t.hi));
  m.mean = static_cast<double>(x[0]) + s1 / nd;
  m.m2 = std::max(0.0, s2 - s1 * (s1 / nd));
  return true;
}

// Exact classification path for pieces holding NaN or ±Inf: pass 1 counts and sums the finite
// values, pass 2 sums their squared deviations about the mean (the piece is still in cache).
SummaryMoments MaskedPiece(const float* x, std::size_t n) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const hn::CappedTag<double, 1> dd1;
  const hn::Rebind<float, decltype(dd1)> df1;
  const std::size_t N = hn::Lanes(dd);

  Pass1<decltype(dd), decltype(df)> a(dd, df), b(dd, df);
  Pass1<decltype(dd1), decltype(df1)> t(dd1, df1);
  std::size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    a.add(dd, df, x + i);
    b.add(dd, df, x + i + N);
  }
  for (; i + N <= n; i += N) a.add(dd, df, x + i);
  for (; i < n; ++i) t.add(dd1, df1, x + i);

  const hn::RebindToSigned<decltype(df)> di;
  SummaryMoments m;
  m.count = static_cast<std::uint64_t>(hn::GetLane(hn::SumOfLanes(di, hn::Add(a.finite, b.finite)))) +
            static_cast<std::uint64_t>(hn::GetLane(t.finite));
  m.nan = static_cast<std::uint64_t>(hn::GetLane(hn::SumOfLanes(di, hn::Add(a.nan, b.nan)))) +
          static_cast<std::uint64_t>(hn::GetLane(t.nan));
  m.inf = n - m.count - m.nan;
  if (m.count == 0) return m;
  m.min = std::min(hn::GetLane(hn::MinOfLanes(df, hn::Min(a.lo, b.lo))), hn::GetLane(t.lo));
  m.max = std::max(hn::GetLane(hn::MaxOfLanes(df, hn::Max(a.hi, b.hi))), hn::GetLane(t.hi));
  const double sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(a.sum, b.sum))) + hn::GetLane(t.sum);
  m.mean = sum / static_cast<double>(m.count);

  const auto mean = hn::Set(dd, m.mean);
  auto s0 = hn::Zero(dd), s1 = hn::Zero(dd);
  i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    s0 = addSquaredDeviation(dd, df, x + i, mean, s0);
    s1 = addSquaredDeviation(dd, df, x + i + N, mean, s1);
  }
  for (; i + N <= n; i += N) s0 = addSquaredDeviation(dd, df, x + i, mean, s0);
  auto sTail = hn::Zero(dd1);
  for (; i < n; ++i) sTail = addSquaredDeviation(dd1, df1, x + i, hn::Set(dd1, m.mean), sTail);
  m.m2 = hn::GetLane(hn::SumOfLanes(dd, hn::Add(s0, s1))) + hn::GetLane(sTail);
  return m;
}

// One piece of 1 ≤ n ≤ 2^24 elements (the int32 lane counters cannot overflow).
SummaryMoments SummaryMomentsPiece(const float* x, std::size_t n) {
  SummaryMoments m;
  if (FastPiece(x, n, m)) return m;
  return MaskedPiece(x, n);
}

}  // namespace HWY_NAMESPACE
}  // namespace quench::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <cmath>

namespace quench::simd {

HWY_EXPORT(SummaryMomentsPiece);

SummaryMoments mergeSummaryMoments(const SummaryMoments& a, const SummaryMoments& b) {
  SummaryMoments r;
  r.nan = a.nan + b.nan;
  r.inf = a.inf + b.inf;
  r.count = a.count + b.count;
  r.min = std::min(a.min, b.min);
  r.max = std::max(a.max, b.max);
  if (r.count == 0) return r;
  const double na = static_cast<double>(a.count), nb = static_cast<double>(b.count), n = na + nb;
  const double delta = b.mean - a.mean;
  r.mean = a.mean + delta * (nb / n);
  r.m2 = a.m2 + b.m2 + delta * delta * (na * nb / n);
  return r;
}

SummaryMoments summaryMoments(const float* x, std::size_t n) {
  constexpr std::size_t kPiece = std::size_t{1} << 24;
  SummaryMoments m;
  for (std::size_t i = 0; i < n; i += kPiece)  // n == 0 leaves the empty moments
    m = mergeSummaryMoments(m, HWY_DYNAMIC_DISPATCH(SummaryMomentsPiece)(x + i, std::min(kPiece, n - i)));
  return m;
}

SummaryMoments summaryMoments_ref(const float* x, std::size_t n) {
  SummaryMoments m;
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (std::isnan(v)) { ++m.nan; continue; }
    if (std::isinf(v)) { ++m.inf; continue; }
    sum += v;
    m.min = std::min<double>(m.min, v);
    m.max = std::max<double>(m.max, v);
    ++m.count;
  }
  if (m.count == 0) return m;
  m.mean = sum / static_cast<double>(m.count);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    const double d = static_cast<double>(x[i]) - m.mean;
    m.m2 += d * d;
  }
  return m;
}

}  // namespace quench::simd
#endif  // HWY_ONCE
