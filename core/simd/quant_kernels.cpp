// Highway versions of the quantization kernels, compiled once per target (foreach_target.h);
// the dispatch tables, the scalar *_ref twins and the parallel loops are under HWY_ONCE.
// Length (~790 lines): Highway's foreach_target re-includes this one translation unit per target,
// so the kernels of one dispatch group live together; each scalar *_ref twin sits beside its SIMD
// version so that the pair is reviewed (and tested) together.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/simd/quant_kernels.cpp"
#include <hwy/foreach_target.h>  // must come before highway.h
#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cfloat>
#include <tuple>
#include <limits>
#include <vector>
#include <cmath>

#include "core/simd/quant_kernels.h"

#ifndef QUENCH_QUANT_KERNELS_SCALAR
#define QUENCH_QUANT_KERNELS_SCALAR
namespace quench::simd::detail {
// The §2 element map, shared by the _ref twins and the SIMD tails.
inline std::int64_t affineCode(float x, const AffineParams& p, bool& saturated) {
  const double v = std::nearbyint(static_cast<double>(x) / p.scale) + static_cast<double>(p.zero);
  saturated = v < static_cast<double>(p.low) || v > static_cast<double>(p.high);
  return static_cast<std::int64_t>(std::clamp(v, static_cast<double>(p.low), static_cast<double>(p.high)));
}
inline float affineRecon(std::int64_t code, const AffineParams& p) {
  return static_cast<float>(p.scale * static_cast<double>(code - p.zero));
}
// One pair of the error sums: the scalar twin and the SIMD tail share it.
inline void addErrorPair(ErrorSums& s, float fx, float fxr) {
  if (!std::isfinite(fx) || !std::isfinite(fxr)) s.allFinite = false;
  const double a = fx, b = fxr, e = a - b;
  s.sumErr2 += e * e;
  s.sumX2 += a * a;
  s.sumXr2 += b * b;
  s.dot += a * b;
  s.maxAbsErr = std::max(s.maxAbsErr, std::abs(e));
  s.minXr = std::min(s.minXr, fxr);
  s.maxXr = std::max(s.maxXr, fxr);
}
// Per-row int8 absmax and per-group int4 min-max parameters (quant_kernels.h), shared by the
// _ref twins and the fused SIMD kernels.
inline AffineParams int8RowParams(float amax) {
  AffineParams p;
  p.scale = amax > 0 ? fp32Scale(static_cast<double>(amax) / 127.0) : 1.0;
  p.zero = 0;
  p.low = -127;
  p.high = 127;
  return p;
}

inline AffineParams int4GroupParams(float lo, float hi) {
  AffineParams p;
  const double width = static_cast<double>(hi) - static_cast<double>(lo);
  double s = width / 15.0;
  if (!(width > 0)) s = lo != 0 ? std::abs(static_cast<double>(lo)) : 1.0;
  p.scale = fp32Scale(s);
  p.zero = static_cast<std::int64_t>(std::nearbyint(-static_cast<double>(lo) / p.scale));
  p.low = 0;
  p.high = 15;
  return p;
}

// The reciprocal loops (QuantizeAffineT, QuantizeBytes) take a part whose scale is a float in
// [2^−125, 2^125], |b|, |low|, |high| < 2^22 and K = max(|low − b|, |high − b|) + 1 ≤ 2^16: K for
// such a part, 0 for any other.
inline std::int64_t reciprocalBound(const AffineParams& p) {
  constexpr std::int64_t kSmall = std::int64_t{1} << 22;
  if (!(std::abs(p.zero) < kSmall && std::abs(p.low) < kSmall && std::abs(p.high) < kSmall)) return 0;
  const std::int64_t L = p.low - p.zero, U = p.high - p.zero;
  const std::int64_t K = std::max(L < 0 ? -L : L, U < 0 ? -U : U) + 1;
  const bool ok = static_cast<double>(static_cast<float>(p.scale)) == p.scale && p.scale >= 0x1.0p-125 &&
                  p.scale <= 0x1.0p125 && K <= (std::int64_t{1} << 16);
  return ok ? K : 0;
}

// A lane is decided in fp32 when |v − round(v)| is below this (½ − K·2^−21, exact for K ≤ 2^16).
inline float marginLimit(std::int64_t K) { return static_cast<float>(0.5 - static_cast<double>(K) * 0x1.0p-21); }

// Constants of the fused byte kernels' f32 loop for one part (QuantizeBytes in this file), or
// fast = false when the part must take QuantizeAffineT: codes outside [codeMin, codeMax], |b|
// above 2^16 (the magic number's range), or no reciprocalBound.
struct ByteLoop {
  bool fast = false;
  float scale = 1, inverse = 1, magic = 0, low = 0, high = 0, limit = 0;
};
// `inverse`, when given, is static_cast<float>(1.0 / p.scale) computed by the caller.
inline ByteLoop byteLoop(const AffineParams& p, std::int64_t codeMin, std::int64_t codeMax, const float* inverse = nullptr) {
  ByteLoop b;
  if (!(p.low >= codeMin && p.high <= codeMax && p.low <= p.high && std::abs(p.zero) <= (std::int64_t{1} << 16)))
    return b;
  const std::int64_t K = reciprocalBound(p);
  b.fast = K != 0;
  if (!b.fast) return b;
  b.scale = static_cast<float>(p.scale);
  b.inverse = inverse ? *inverse : static_cast<float>(1.0 / p.scale);
  b.magic = static_cast<float>(0x1.8p23 + static_cast<double>(p.zero));  // exact: |b| ≤ 2^16
  b.low = static_cast<float>(p.low - p.zero);
  b.high = static_cast<float>(p.high - p.zero);
  b.limit = marginLimit(K);
  return b;
}
}  // namespace quench::simd::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace quench::simd::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The double-precision path: exactly the §2 arithmetic in f64 lanes. Generic over the code type:
// int32 codes (the quantizer) or narrow codes (int8/uint8 kernels).
template <class Code>
std::uint64_t QuantizeAffineF64(const float* HWY_RESTRICT x, std::size_t n, const AffineParams& p,
                              Code* HWY_RESTRICT codes, float* HWY_RESTRICT recon, std::uint8_t* HWY_RESTRICT saturated) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const hn::Rebind<std::int32_t, decltype(dd)> di;
  const std::size_t N = hn::Lanes(dd);
  const auto vs = hn::Set(dd, p.scale);
  const auto vb = hn::Set(dd, static_cast<double>(p.zero));
  const auto vlo = hn::Set(dd, static_cast<double>(p.low));
  const auto vhi = hn::Set(dd, static_cast<double>(p.high));
  const auto one = hn::Set(dd, 1.0);
  HWY_ALIGN std::int32_t tmpCode[hn::MaxLanes(di)];
  HWY_ALIGN std::int32_t tmpSat[hn::MaxLanes(di)];
  std::uint64_t count = 0;
  std::size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto v = hn::PromoteTo(dd, hn::LoadU(df, x + i));
    const auto q = hn::Add(hn::Round(hn::Div(v, vs)), vb);  // Round: to nearest, ties to even
    const auto sat = hn::Or(hn::Lt(q, vlo), hn::Gt(q, vhi));
    const auto c = hn::Min(hn::Max(q, vlo), vhi);
    hn::StoreU(hn::DemoteTo(df, hn::Mul(vs, hn::Sub(c, vb))), df, recon + i);
    if (!codes) {
    } else if constexpr (sizeof(Code) == 4) {
      hn::StoreU(hn::DemoteTo(di, c), di, reinterpret_cast<std::int32_t*>(codes) + i);
    } else {
      hn::Store(hn::DemoteTo(di, c), di, tmpCode);
      for (std::size_t k = 0; k < N; ++k) codes[i + k] = static_cast<Code>(tmpCode[k]);
    }
    if (saturated) {
      hn::Store(hn::DemoteTo(di, hn::IfThenElseZero(sat, one)), di, tmpSat);
      for (std::size_t k = 0; k < N; ++k) saturated[i + k] = static_cast<std::uint8_t>(tmpSat[k]);
    }
    count += hn::CountTrue(dd, sat);
  }
  for (; i < n; ++i) {
    bool s = false;
    const std::int64_t c = detail::affineCode(x[i], p, s);
    if (codes) codes[i] = static_cast<Code>(c);
    recon[i] = detail::affineRecon(c, p);
    if (saturated) saturated[i] = s;
    count += s;
  }
  return count;
}

// The outputs of one vector of the f32 paths at i: the reconstruction, the codes (float lanes
// holding integers within [low, high], which fits Code, so the saturating demotion is exact; not
// written when codes is null) and the saturation flags (not written when null). Returns the number
// of saturated lanes.
template <class D, class V, class M, class Code>
std::uint64_t StoreAffineVector(D df, std::size_t i, V xr, V code, M sat, Code* HWY_RESTRICT codes,
                                float* HWY_RESTRICT recon, std::uint8_t* HWY_RESTRICT saturated) {
  const hn::RebindToSigned<D> di;
  hn::StoreU(xr, df, recon + i);
  if (!codes) {
  } else if constexpr (sizeof(Code) == 4) {
    hn::StoreU(hn::ConvertTo(di, code), di, reinterpret_cast<std::int32_t*>(codes) + i);
  } else {
    const hn::Rebind<Code, decltype(di)> dc;
    hn::StoreU(hn::DemoteTo(dc, hn::ConvertTo(di, code)), dc, codes + i);
  }
  if (saturated) {
    const hn::Rebind<std::uint8_t, decltype(di)> du8;
    hn::StoreU(hn::DemoteTo(du8, hn::ConvertTo(di, hn::IfThenElseZero(sat, hn::Set(df, 1.0f)))), du8, saturated + i);
  }
  return hn::CountTrue(df, sat);
}

// Division path in f32 lanes (for clip ranges too wide for QuantizeAffineT), provably identical
// to the f64 path when it is taken:
// (1) fp32 division is correctly rounded, so qf = fl32(x/s) is within ½ ulp32 of the exact
//     quotient Q, and the f64 quotient within ½ ulp64. Rounding to an integer can only differ
//     if a half-integer k + ½ lies between (or on) them. A lane is accepted only when qf is more
//     than 4 ulp32 (|qf|·2^−21) away from the nearest half-integer, so Q and the f64 quotient are
//     on the same side of it and round to the same integer. A vector with any other lane (near
//     a tie, |qf| ≥ 2^20, or non-finite) is redone on the f64 path.
// (2) With s exactly a float and |code − b| < 2^24, s·(code − b) is exact in f64 (≤ 48 bits), so
//     rounding it to float equals the correctly rounded fp32 product.
template <class Code>
std::uint64_t QuantizeAffineDiv(const float* HWY_RESTRICT x, std::size_t n, const AffineParams& p,
                              Code* HWY_RESTRICT codes, float* HWY_RESTRICT recon, std::uint8_t* HWY_RESTRICT saturated) {
  constexpr std::int64_t kSmall = std::int64_t{1} << 22;
  const bool f32ok = static_cast<double>(static_cast<float>(p.scale)) == p.scale && p.scale > 0 &&
                     std::abs(p.zero) < kSmall && std::abs(p.low) < kSmall && std::abs(p.high) < kSmall;
  if (!f32ok) return QuantizeAffineF64(x, n, p, codes, recon, saturated);
  const hn::ScalableTag<float> df;
  const std::size_t N = hn::Lanes(df);
  const auto vs = hn::Set(df, static_cast<float>(p.scale));
  const auto vb = hn::Set(df, static_cast<float>(p.zero));
  const auto vlo = hn::Set(df, static_cast<float>(p.low));
  const auto vhi = hn::Set(df, static_cast<float>(p.high));
  const auto half = hn::Set(df, 0.5f);
  const auto margin = hn::Set(df, 0x1.0p-21f);
  std::uint64_t count = 0;
  std::size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto q = hn::Div(hn::LoadU(df, x + i), vs);
    const auto dist = hn::Abs(hn::Sub(hn::Sub(q, hn::Floor(q)), half));
    if (!hn::AllTrue(df, hn::Gt(dist, hn::Mul(hn::Abs(q), margin)))) {
      count += QuantizeAffineF64(x + i, N, p, codes ? codes + i : nullptr, recon + i, saturated ? saturated + i : nullptr);
      continue;
    }
    const auto v = hn::Add(hn::Round(q), vb);
    const auto c = hn::Min(hn::Max(v, vlo), vhi);
    count += StoreAffineVector(df, i, hn::Mul(vs, hn::Sub(c, vb)), c, hn::Or(hn::Lt(v, vlo), hn::Gt(v, vhi)), codes,
                               recon, saturated);
  }
  if (i < n)
    count += QuantizeAffineF64(x + i, n - i, p, codes ? codes + i : nullptr, recon + i, saturated ? saturated + i : nullptr);
  return count;
}

// Fast path in f32 lanes by the reciprocal, provably identical to the f64 path when it is taken.
// With t = fl32(1/s) and q = fl32(x·t): |q − x/s| ≤ |x/s|·(2^−24 + 2^−24 + 2^−53) < |x/s|·2^−22.9,
// and the f64 quotient is within |x/s|·2^−53 of x/s. Let L = low − b, U = high − b and
// K = max(|L|, |U|) + 1 ≤ 2^16.
// (1) A lane with |q| ≤ K whose distance to the nearest integer is below ½ − K·2^−21 is more than
//     K·2^−21 (over 4× the error above) from every half-integer, so q, x/s and the f64 quotient
//     round to the same integer. A vector with a lane failing this (near a tie, or q non-finite:
//     q − round(q) is NaN) is redone on the f64 path. (A subnormal q, |x/s| < 2^−126, has an
//     absolute error below 2^−148 instead: it rounds to 0 either way.)
// (2) A lane with |q| > K rounds, by every one of the three quotients, to beyond [L, U] on q's
//     side (the relative error cannot carry it back over L − ½ or U + ½): clipped to the same
//     bound and saturated, whatever the test in (1) said.
// (3) Clipping c = round(q) to [L, U] gives code − b; saturated iff c ≠ round(q). s·c is exact in
//     f64 (|c| ≤ 2^16, s a float), so its rounding to float is the reference reconstruction.
// No division in the loop: per vector a multiply, round, subtract, abs and compare decide it.
template <class Code>
std::uint64_t QuantizeAffineT(const float* HWY_RESTRICT x, std::size_t n, const AffineParams& p,
                              Code* HWY_RESTRICT codes, float* HWY_RESTRICT recon, std::uint8_t* HWY_RESTRICT saturated) {
  const std::int64_t K = detail::reciprocalBound(p);
  if (K == 0) return QuantizeAffineDiv(x, n, p, codes, recon, saturated);
  const hn::ScalableTag<float> df;
  const std::size_t N = hn::Lanes(df);
  const auto vs = hn::Set(df, static_cast<float>(p.scale));
  const auto vinv = hn::Set(df, static_cast<float>(1.0 / p.scale));
  const auto vb = hn::Set(df, static_cast<float>(p.zero));
  const auto vL = hn::Set(df, static_cast<float>(p.low - p.zero));
  const auto vU = hn::Set(df, static_cast<float>(p.high - p.zero));
  const auto limit = hn::Set(df, detail::marginLimit(K));
  const auto zero = hn::Zero(df);
  std::uint64_t count = 0;
  std::size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto q = hn::Mul(hn::LoadU(df, x + i), vinv);
    const auto r = hn::Round(q);  // to nearest, ties to even
    if (!hn::AllTrue(df, hn::Lt(hn::Abs(hn::Sub(q, r)), limit))) {
      count += QuantizeAffineF64(x + i, N, p, codes ? codes + i : nullptr, recon + i, saturated ? saturated + i : nullptr);
      continue;
    }
    // + 0 turns a −0 from Round into +0, as the integer code of the reference is.
    const auto c = hn::Add(hn::Min(hn::Max(r, vL), vU), zero);
    count += StoreAffineVector(df, i, hn::Mul(vs, c), hn::Add(c, vb), hn::Ne(c, r), codes, recon, saturated);
  }
  if (i < n)
    count += QuantizeAffineF64(x + i, n - i, p, codes ? codes + i : nullptr, recon + i, saturated ? saturated + i : nullptr);
  return count;
}

std::uint64_t QuantizeAffine(const float* x, std::size_t n, const AffineParams& p, std::int32_t* codes,
                             float* recon, std::uint8_t* saturated) {
  return QuantizeAffineT(x, n, p, codes, recon, saturated);
}

// Two pairs of accumulators: the min/max dependency chains of a short group overlap.
std::pair<float, float> MinMax(const float* HWY_RESTRICT x, std::size_t n) {
  const hn::ScalableTag<float> d;
  const std::size_t N = hn::Lanes(d);
  float lo = x[0], hi = x[0];
  std::size_t i = 0;
  if (n >= N) {
    auto lo0 = hn::LoadU(d, x), hi0 = lo0, lo1 = lo0, hi1 = lo0;
    for (i = N; i + 2 * N <= n; i += 2 * N) {
      const auto v0 = hn::LoadU(d, x + i), v1 = hn::LoadU(d, x + i + N);
      lo0 = hn::Min(lo0, v0);
      hi0 = hn::Max(hi0, v0);
      lo1 = hn::Min(lo1, v1);
      hi1 = hn::Max(hi1, v1);
    }
    for (; i + N <= n; i += N) {
      const auto v = hn::LoadU(d, x + i);
      lo0 = hn::Min(lo0, v);
      hi0 = hn::Max(hi0, v);
    }
    lo = hn::GetLane(hn::MinOfLanes(d, hn::Min(lo0, lo1)));
    hi = hn::GetLane(hn::MaxOfLanes(d, hn::Max(hi0, hi1)));
  }
  for (; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  return {lo, hi};
}

// max |x| of n ≥ 0 finite floats (0 for n = 0), four accumulators.
float AbsMax(const float* HWY_RESTRICT x, std::size_t n) {
  const hn::ScalableTag<float> d;
  const std::size_t N = hn::Lanes(d);
  auto m0 = hn::Zero(d), m1 = m0, m2 = m0, m3 = m0;
  std::size_t i = 0;
  for (; i + 4 * N <= n; i += 4 * N) {
    m0 = hn::Max(m0, hn::Abs(hn::LoadU(d, x + i)));
    m1 = hn::Max(m1, hn::Abs(hn::LoadU(d, x + i + N)));
    m2 = hn::Max(m2, hn::Abs(hn::LoadU(d, x + i + 2 * N)));
    m3 = hn::Max(m3, hn::Abs(hn::LoadU(d, x + i + 3 * N)));
  }
  for (; i + N <= n; i += N) m0 = hn::Max(m0, hn::Abs(hn::LoadU(d, x + i)));
  float a = hn::GetLane(hn::MaxOfLanes(d, hn::Max(hn::Max(m0, m1), hn::Max(m2, m3))));
  for (; i < n; ++i) a = std::max(a, std::abs(x[i]));
  return a;
}

// The loop of the fused int8/int4 kernels: one-byte codes, no saturation flags, so v = x/s can
// be clipped to [L, U] = [low − b, high − b] before rounding (rounding is monotone and keeps
// integers: round(clip(v)) = clip(round(v))). It rounds by the magic number M = 1.5·2^23 + b:
// for |v| ≤ 2^16, fl32(v + M) is an integer in [2^23, 2^24) (ulp 1), so c = fl32(v + M) − M is
// round(v) exactly (+0 for small negatives, like the reference's integer code), and the low byte
// of fl32(v + M)'s bits is (round(v) + b) mod 256, the code as a byte. Ties would break toward an
// even v + M rather than an even round(v) when b is odd, but a lane within K·2^−21 of a tie
// fails the margin test of QuantizeAffineT's (1) and its vector is redone in f64, while a
// clipped lane is an integer. The error bounds there hold unchanged (|v| ≤ K after clipping).
//
// kStream writes the reconstruction with non-temporal stores (hn::Stream: no read for
// ownership, not kept in cache), for outputs far larger than the cache. They need aligned
// addresses: the first vector is stored unaligned and the loop restarts at the first aligned
// element of recon, recomputing (identically) the overlap.
template <class Code, bool kStream>
void QuantizeBytes(const float* HWY_RESTRICT x, std::size_t n, const AffineParams& p, const detail::ByteLoop& b,
                   Code* HWY_RESTRICT codes, float* HWY_RESTRICT recon) {
  static_assert(sizeof(Code) == 1);
  const hn::ScalableTag<float> df;
  const hn::RebindToUnsigned<decltype(df)> du;
  const hn::Rebind<std::uint8_t, decltype(du)> d8;
  const std::size_t N = hn::Lanes(df);
  if (!b.fast || n < N) {
    QuantizeAffineT(x, n, p, codes, recon, static_cast<std::uint8_t*>(nullptr));
    return;
  }
  const auto vs = hn::Set(df, b.scale), vinv = hn::Set(df, b.inverse), vM = hn::Set(df, b.magic);
  const auto vL = hn::Set(df, b.low), vU = hn::Set(df, b.high), limit = hn::Set(df, b.limit);
  auto* out = reinterpret_cast<std::uint8_t*>(codes);
  // The vector at i; its reconstruction stored (kStore), streamed (kStream: recon + i aligned) or
  // stored in the lanes of `keep` only (kMasked). Its codes are always stored whole.
  enum How { kStore, kStreamed, kMasked };
  auto one = [&](std::size_t i, auto how, auto keep) {
    const auto v = hn::Min(hn::Max(hn::Mul(hn::LoadU(df, x + i), vinv), vL), vU);
    const auto t = hn::Add(v, vM);
    const auto c = hn::Sub(t, vM);  // round(v): code − b
    if (!hn::AllTrue(df, hn::Lt(hn::Abs(hn::Sub(v, c)), limit))) {
      QuantizeAffineF64(x + i, N, p, codes + i, recon + i, static_cast<std::uint8_t*>(nullptr));
      return;
    }
    if constexpr (decltype(how)::value == kStreamed) hn::Stream(hn::Mul(vs, c), df, recon + i);
    else if constexpr (decltype(how)::value == kMasked) hn::BlendedStore(hn::Mul(vs, c), keep, df, recon + i);
    else hn::StoreU(hn::Mul(vs, c), df, recon + i);
    hn::StoreU(hn::TruncateTo(d8, hn::BitCast(du, t)), d8, out + i);
  };
  const auto all = hn::FirstN(df, N);
  std::size_t i = 0;
  if constexpr (kStream) {
    // Whole aligned vectors are streamed; the unaligned head and tail are the first and last
    // vectors of x (recomputed where they overlap the streamed ones, identically) with only
    // their own lanes stored, so no streamed line is also written by a normal store.
    const std::size_t vecBytes = N * sizeof(float), addr = reinterpret_cast<std::uintptr_t>(recon);
    const std::size_t head = addr % sizeof(float) ? n : (vecBytes - addr % vecBytes) % vecBytes / sizeof(float);
    if (head + N > n) return QuantizeBytes<Code, false>(x, n, p, b, codes, recon);
    if (head != 0) one(0, std::integral_constant<How, kMasked>{}, hn::FirstN(df, head));
    for (i = head; i + N <= n; i += N) one(i, std::integral_constant<How, kStreamed>{}, all);
    if (i < n) one(n - N, std::integral_constant<How, kMasked>{}, hn::Not(hn::FirstN(df, N - (n - i))));
    return;
  }
  for (; i + N <= n; i += N) one(i, std::integral_constant<How, kStore>{}, all);
  if (i < n) QuantizeAffineF64(x + i, n - i, p, codes + i, recon + i, static_cast<std::uint8_t*>(nullptr));
}

// Rows [r0, r1) of int8 per-row absmax (quantizeRowsInt8Absmax): one dispatch per parallel chunk.
void QuantizeRowsI8Absmax(const float* HWY_RESTRICT x, std::size_t r0, std::size_t r1, std::size_t cols,
                          std::int8_t* HWY_RESTRICT codes, float* HWY_RESTRICT scales, float* HWY_RESTRICT recon,
                          bool stream) {
  for (std::size_t r = r0; r < r1; ++r) {
    const float* xr = x + r * cols;
    const AffineParams p = detail::int8RowParams(AbsMax(xr, cols));
    scales[r] = static_cast<float>(p.scale);
    const detail::ByteLoop b = detail::byteLoop(p, -128, 127);
    if (stream) QuantizeBytes<std::int8_t, true>(xr, cols, p, b, codes + r * cols, recon + r * cols);
    else QuantizeBytes<std::int8_t, false>(xr, cols, p, b, codes + r * cols, recon + r * cols);
  }
  if (stream) hwy::FlushStream();  // order the streamed stores before the chunk is reported done
}

// detail::int4GroupParams for m ≤ 32 groups at once, in f64 lanes: every step is one correctly
// rounded IEEE operation (subtract, divide by 15, round to float, divide, round to integer with
// ties to even), so each lane equals the scalar function bit for bit. Writes the float scale,
// the zero-point (an integer-valued double) and fl32(1/s) of each group.
void Int4GroupParamsBatch(const float* HWY_RESTRICT lo, const float* HWY_RESTRICT hi, std::size_t m,
                          float* HWY_RESTRICT scale, double* HWY_RESTRICT zero, float* HWY_RESTRICT inverse) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const std::size_t N = hn::Lanes(dd);
  const auto v0 = hn::Zero(dd), v1 = hn::Set(dd, 1.0), v15 = hn::Set(dd, 15.0);
  const auto vmax = hn::Set(dd, static_cast<double>(FLT_MAX));
  const auto tiny = hn::Set(df, std::numeric_limits<float>::denorm_min());
  HWY_ALIGN float loPad[32 + hn::MaxLanes(dd)], hiPad[32 + hn::MaxLanes(dd)];
  std::copy(lo, lo + m, loPad);
  std::copy(hi, hi + m, hiPad);
  std::fill(loPad + m, loPad + m + N, 0.0f);  // padding lanes: a constant-zero group (s = 1)
  std::fill(hiPad + m, hiPad + m + N, 0.0f);
  HWY_ALIGN float sPad[32 + hn::MaxLanes(dd)], iPad[32 + hn::MaxLanes(dd)];
  HWY_ALIGN double zPad[32 + hn::MaxLanes(dd)];
  for (std::size_t j = 0; j < m; j += N) {
    const auto l = hn::PromoteTo(dd, hn::Load(df, loPad + j)), h = hn::PromoteTo(dd, hn::Load(df, hiPad + j));
    const auto width = hn::Sub(h, l);
    // !(width > 0): |lo|, or 1 for an all-zero group.
    const auto fallback = hn::IfThenElse(hn::Ne(l, v0), hn::Abs(l), v1);
    const auto s = hn::IfThenElse(hn::Gt(width, v0), hn::Div(width, v15), fallback);
    // fp32Scale: FLT_MAX when above it, nearest float, the smallest subnormal instead of 0.
    auto sf = hn::DemoteTo(df, hn::Min(s, vmax));
    sf = hn::IfThenElse(hn::Eq(sf, hn::Zero(df)), tiny, sf);
    const auto sd = hn::PromoteTo(dd, sf);
    hn::Store(sf, df, sPad + j);
    hn::Store(hn::Round(hn::Div(hn::Neg(l), sd)), dd, zPad + j);
    hn::Store(hn::DemoteTo(df, hn::Div(v1, sd)), df, iPad + j);
  }
  std::copy(sPad, sPad + m, scale);
  std::copy(zPad, zPad + m, zero);
  std::copy(iPad, iPad + m, inverse);
}

// Groups [g0, g1) of int4 group min-max (quantizeGroupsInt4MinMax): one dispatch per parallel chunk.
// The parameters of a batch of groups are computed first, in a loop whose iterations do not
// depend on each other (their divisions overlap instead of stalling each group's vector loop),
// then the batch, still in L1, is quantized.
void QuantizeGroupsU4MinMax(const float* HWY_RESTRICT x, std::size_t g0, std::size_t g1, std::size_t n,
                            std::size_t group, std::uint8_t* HWY_RESTRICT codes, float* HWY_RESTRICT scales,
                            std::int32_t* HWY_RESTRICT zeros, float* HWY_RESTRICT recon, bool stream) {
  constexpr std::size_t kBatch = 32;
  // Streaming needs every group to start vector-aligned: with a group boundary inside a vector,
  // the line holding it would take two masked normal stores between streamed lines, which
  // measured 3× slower than not streaming at all.
  const std::size_t vecBytes = hn::Lanes(hn::ScalableTag<float>()) * sizeof(float);
  stream = stream && reinterpret_cast<std::uintptr_t>(recon) % vecBytes == 0 && group * sizeof(float) % vecBytes == 0;
  AffineParams params[kBatch];
  detail::ByteLoop loops[kBatch];
  HWY_ALIGN float lo[kBatch], hi[kBatch], scale[kBatch], inverse[kBatch];
  HWY_ALIGN double zero[kBatch];
  for (std::size_t first = g0; first < g1; first += kBatch) {
    const std::size_t last = std::min(g1, first + kBatch), m = last - first;
    for (std::size_t g = first; g < last; ++g) {
      const std::size_t start = g * group;
      std::tie(lo[g - first], hi[g - first]) = MinMax(x + start, std::min(group, n - start));
    }
    Int4GroupParamsBatch(lo, hi, m, scale, zero, inverse);
    for (std::size_t k = 0; k < m; ++k) {
      AffineParams& p = params[k];
      p.scale = scale[k];
      p.zero = static_cast<std::int64_t>(zero[k]);
      p.low = 0;
      p.high = 15;
      scales[first + k] = scale[k];
      zeros[first + k] = static_cast<std::int32_t>(p.zero);
      loops[k] = detail::byteLoop(p, 0, 255, &inverse[k]);
    }
    for (std::size_t g = first; g < last; ++g) {
      const std::size_t start = g * group, len = std::min(group, n - start);
      if (stream)
        QuantizeBytes<std::uint8_t, true>(x + start, len, params[g - first], loops[g - first], codes + start,
                                          recon + start);
      else
        QuantizeBytes<std::uint8_t, false>(x + start, len, params[g - first], loops[g - first], codes + start,
                                           recon + start);
    }
  }
  if (stream) hwy::FlushStream();
}

ErrorSums ErrorSumsImpl(const float* HWY_RESTRICT x, const float* HWY_RESTRICT xr, std::size_t n) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const std::size_t N = hn::Lanes(dd);
  auto e2 = hn::Zero(dd), x2 = e2, r2 = e2, xy = e2, mx = e2;
  auto finite = hn::IsFinite(hn::Zero(df));  // all true
  auto rlo = hn::Set(df, INFINITY), rhi = hn::Set(df, -INFINITY);
  std::size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto fa = hn::LoadU(df, x + i), fb = hn::LoadU(df, xr + i);
    finite = hn::And(finite, hn::And(hn::IsFinite(fa), hn::IsFinite(fb)));
    rlo = hn::Min(rlo, fb);
    rhi = hn::Max(rhi, fb);
    const auto a = hn::PromoteTo(dd, fa), b = hn::PromoteTo(dd, fb);
    const auto e = hn::Sub(a, b);
    e2 = hn::MulAdd(e, e, e2);
    x2 = hn::MulAdd(a, a, x2);
    r2 = hn::MulAdd(b, b, r2);
    xy = hn::MulAdd(a, b, xy);
    mx = hn::Max(mx, hn::Abs(e));
  }
  ErrorSums s;
  s.allFinite = hn::AllTrue(df, finite);
  s.sumErr2 = hn::GetLane(hn::SumOfLanes(dd, e2));
  s.sumX2 = hn::GetLane(hn::SumOfLanes(dd, x2));
  s.sumXr2 = hn::GetLane(hn::SumOfLanes(dd, r2));
  s.dot = hn::GetLane(hn::SumOfLanes(dd, xy));
  s.maxAbsErr = hn::GetLane(hn::MaxOfLanes(dd, mx));
  s.minXr = hn::GetLane(hn::MinOfLanes(df, rlo));
  s.maxXr = hn::GetLane(hn::MaxOfLanes(df, rhi));
  for (; i < n; ++i) detail::addErrorPair(s, x[i], xr[i]);
  return s;
}

std::uint64_t CountNonFinite(const float* HWY_RESTRICT x, std::size_t n) {
  const hn::ScalableTag<float> d;
  const std::size_t N = hn::Lanes(d);
  std::uint64_t bad = 0;
  std::size_t i = 0;
  for (; i + N <= n; i += N) bad += hn::CountTrue(d, hn::Not(hn::IsFinite(hn::LoadU(d, x + i))));
  for (; i < n; ++i) bad += !std::isfinite(x[i]);
  return bad;
}

bool FiniteMinMax(const float* HWY_RESTRICT x, std::size_t n, float& lo, float& hi) {
  const hn::ScalableTag<float> d;
  const std::size_t N = hn::Lanes(d);
  const auto pinf = hn::Set(d, std::numeric_limits<float>::infinity());
  auto vlo = pinf, vhi = hn::Neg(pinf);
  std::size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto v = hn::LoadU(d, x + i);
    const auto fin = hn::IsFinite(v);
    vlo = hn::Min(vlo, hn::IfThenElse(fin, v, pinf));
    vhi = hn::Max(vhi, hn::IfThenElse(fin, v, hn::Neg(pinf)));
  }
  float l = hn::GetLane(hn::MinOfLanes(d, vlo)), h = hn::GetLane(hn::MaxOfLanes(d, vhi));
  for (; i < n; ++i)
    if (std::isfinite(x[i])) {
      l = std::min(l, x[i]);
      h = std::max(h, x[i]);
    }
  if (!(l <= h)) return false;
  lo = l;
  hi = h;
  return true;
}

// Bin indices for whole vectors of finite in-range values are computed with SIMD (same double
// arithmetic as the scalar twin; DemoteTo truncates like the scalar cast); lane k counts into
// sub-histogram k mod 8, so the lanes of one vector never increment the same counter and runs of
// equal bins do not serialize on one store-to-load chain. Sub-counters are 16-bit (8 × 2048 bins
// stay in L1) and are flushed before any can reach 2^16.
void HistogramAccumulate(const float* HWY_RESTRICT x, std::size_t n, double lo, double hi, std::uint64_t* counts,
                         std::size_t bins, std::uint64_t outside[4]) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const hn::Rebind<std::int32_t, decltype(dd)> di;
  const std::size_t N = hn::Lanes(dd);
  constexpr std::size_t kSubs = 8;
  // A counter gets at most ⌈N/8⌉ increments per vector and as many from the tail: flushing after
  // maxIters vectors keeps every counter ≤ 65535.
  const std::size_t perIter = (N + kSubs - 1) / kSubs;
  const std::size_t maxIters = 65535 / perIter - 1;
  const double scale = static_cast<double>(bins) / (hi - lo);
  const auto vlo = hn::Set(dd, lo), vhi = hn::Set(dd, hi), vscale = hn::Set(dd, scale);
  const auto vtop = hn::Set(di, static_cast<std::int32_t>(bins - 1));
  // Per-thread scratch reused across calls (computeHistogram calls this once per chunk).
  thread_local std::vector<std::uint16_t> sub;
  sub.assign(kSubs * bins, 0);
  HWY_ALIGN std::int32_t idx[hn::MaxLanes(di)];
  auto scalarOne = [&](float v, std::size_t lane) {
    if (std::isnan(v)) { ++outside[2]; return; }
    if (std::isinf(v)) { ++outside[3]; return; }
    if (v < lo) { ++outside[0]; return; }
    if (v > hi) { ++outside[1]; return; }
    const auto b = static_cast<std::size_t>((static_cast<double>(v) - lo) * scale);
    ++sub[(lane % kSubs) * bins + std::min(b, bins - 1)];
  };
  // Summed sub-histogram by sub-histogram: no per-entry index division.
  auto flush = [&] {
    for (std::size_t s = 0; s < kSubs; ++s) {
      const std::uint16_t* part = sub.data() + s * bins;
      for (std::size_t b = 0; b < bins; ++b) counts[b] += part[b];
    }
    std::fill(sub.begin(), sub.end(), std::uint16_t{0});
  };
  std::size_t i = 0, iters = 0;
  for (; i + N <= n; i += N) {
    const auto v = hn::PromoteTo(dd, hn::LoadU(df, x + i));
    // NaN fails both comparisons, ±Inf fails one: such vectors take the scalar path.
    const auto ok = hn::And(hn::Ge(v, vlo), hn::Le(v, vhi));
    if (hn::AllTrue(dd, ok)) {
      const auto b = hn::Min(hn::DemoteTo(di, hn::Mul(hn::Sub(v, vlo), vscale)), vtop);
      hn::Store(b, di, idx);
      for (std::size_t k = 0; k < N; ++k) ++sub[(k % kSubs) * bins + static_cast<std::size_t>(idx[k])];
    } else {
      for (std::size_t k = 0; k < N; ++k) scalarOne(x[i + k], k);
    }
    if (++iters >= maxIters) {
      flush();
      iters = 0;
    }
  }
  for (std::size_t k = 0; i < n; ++i, ++k) scalarOne(x[i], k);
  flush();
}

}  // namespace quench::simd::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "core/exec/parallel.h"

namespace quench::simd {

HWY_EXPORT(QuantizeAffine);
HWY_EXPORT(MinMax);
HWY_EXPORT(QuantizeRowsI8Absmax);
HWY_EXPORT(QuantizeGroupsU4MinMax);
HWY_EXPORT(ErrorSumsImpl);
HWY_EXPORT(CountNonFinite);
HWY_EXPORT(FiniteMinMax);
HWY_EXPORT(HistogramAccumulate);

void histogramAccumulate_ref(const float* x, std::size_t n, double lo, double hi, std::uint64_t* counts,
                             std::size_t bins, std::uint64_t outside[4]);

std::uint64_t countNonFinite(const float* x, std::size_t n) { return HWY_DYNAMIC_DISPATCH(CountNonFinite)(x, n); }

std::uint64_t countNonFinite_ref(const float* x, std::size_t n) {
  std::uint64_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) bad += !std::isfinite(x[i]);
  return bad;
}

bool finiteMinMax(const float* x, std::size_t n, float& lo, float& hi) {
  return HWY_DYNAMIC_DISPATCH(FiniteMinMax)(x, n, lo, hi);
}

bool finiteMinMax_ref(const float* x, std::size_t n, float& lo, float& hi) {
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) continue;
    lo = any ? std::min(lo, x[i]) : x[i];
    hi = any ? std::max(hi, x[i]) : x[i];
    any = true;
  }
  return any;
}

void histogramAccumulate(const float* x, std::size_t n, double lo, double hi, std::uint64_t* counts,
                         std::size_t bins, std::uint64_t outside[4]) {
  if (bins > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))  // SIMD indices are int32
    return histogramAccumulate_ref(x, n, lo, hi, counts, bins, outside);
  HWY_DYNAMIC_DISPATCH(HistogramAccumulate)(x, n, lo, hi, counts, bins, outside);
}

void histogramAccumulate_ref(const float* x, std::size_t n, double lo, double hi, std::uint64_t* counts,
                             std::size_t bins, std::uint64_t outside[4]) {
  const double scale = static_cast<double>(bins) / (hi - lo);
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (std::isnan(v)) { ++outside[2]; continue; }
    if (std::isinf(v)) { ++outside[3]; continue; }
    if (v < lo) { ++outside[0]; continue; }
    if (v > hi) { ++outside[1]; continue; }
    const auto b = static_cast<std::size_t>((static_cast<double>(v) - lo) * scale);
    ++counts[std::min(b, bins - 1)];
  }
}

std::uint64_t quantizeAffine(const float* x, std::size_t n, const AffineParams& p, std::int32_t* codes,
                             float* recon, std::uint8_t* saturated) {
  return HWY_DYNAMIC_DISPATCH(QuantizeAffine)(x, n, p, codes, recon, saturated);
}

std::uint64_t quantizeAffine_ref(const float* x, std::size_t n, const AffineParams& p, std::int32_t* codes,
                                 float* recon, std::uint8_t* saturated) {
  std::uint64_t count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    bool s = false;
    const std::int64_t c = detail::affineCode(x[i], p, s);
    if (codes) codes[i] = static_cast<std::int32_t>(c);
    recon[i] = detail::affineRecon(c, p);
    if (saturated) saturated[i] = s;
    count += s;
  }
  return count;
}

std::pair<float, float> minMax(const float* x, std::size_t n) { return HWY_DYNAMIC_DISPATCH(MinMax)(x, n); }

std::pair<float, float> minMax_ref(const float* x, std::size_t n) {
  float lo = x[0], hi = x[0];
  for (std::size_t i = 1; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  return {lo, hi};
}

float fp32Scale(double s) {
  if (s > FLT_MAX) return FLT_MAX;
  const auto f = static_cast<float>(s);  // nearest, ties to even
  if (f == 0.0f) return std::numeric_limits<float>::denorm_min();
  return f;
}

namespace {
// quantizeRowsInt8Absmax writes reconstructions of at least this many bytes with non-temporal
// stores: they would evict the working set of a desktop CPU's last-level cache, and on this
// project's 2-core VM streaming a 64 MiB one took 3.3 ms instead of 8.2 ms (medians of 15
// alternating rounds). The int4 group kernel gained nothing from it (its 512-byte groups are
// not vector-aligned in general, and staging them in L1 first measured 7 % slower).
constexpr std::size_t kStreamBytes = std::size_t{16} << 20;
}  // namespace

void quantizeRowsInt8Absmax_ref(const float* x, std::size_t rows, std::size_t cols, std::int8_t* codes,
                                float* scales, float* recon) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float amax = 0;
    for (std::size_t i = 0; i < cols; ++i) amax = std::max(amax, std::abs(xr[i]));
    const AffineParams p = detail::int8RowParams(amax);
    scales[r] = static_cast<float>(p.scale);
    for (std::size_t i = 0; i < cols; ++i) {
      bool s = false;
      const std::int64_t c = detail::affineCode(xr[i], p, s);
      codes[r * cols + i] = static_cast<std::int8_t>(c);
      recon[r * cols + i] = detail::affineRecon(c, p);
    }
  }
}

void quantizeRowsInt8Absmax(const float* x, std::size_t rows, std::size_t cols, std::int8_t* codes,
                            float* scales, float* recon) {
  if (cols == 0) {
    std::fill(scales, scales + rows, 1.0f);
    return;
  }
  const bool stream = rows * cols * sizeof(float) >= kStreamBytes;
  exec::parallelFor(0, rows, 1, [&](exec::Range rr) {
    HWY_DYNAMIC_DISPATCH(QuantizeRowsI8Absmax)(x, rr.begin, rr.end, cols, codes, scales, recon, stream);
  });
}

void quantizeGroupsInt4MinMax_ref(const float* x, std::size_t n, std::size_t group, std::uint8_t* codes,
                                  float* scales, std::int32_t* zeros, float* recon) {
  for (std::size_t g = 0, start = 0; start < n; ++g, start += group) {
    const std::size_t len = std::min(group, n - start);
    const auto [lo, hi] = minMax_ref(x + start, len);
    const AffineParams p = detail::int4GroupParams(lo, hi);
    scales[g] = static_cast<float>(p.scale);
    zeros[g] = static_cast<std::int32_t>(p.zero);
    for (std::size_t i = start; i < start + len; ++i) {
      bool s = false;
      const std::int64_t c = detail::affineCode(x[i], p, s);
      codes[i] = static_cast<std::uint8_t>(c);
      recon[i] = detail::affineRecon(c, p);
    }
  }
}

void quantizeGroupsInt4MinMax(const float* x, std::size_t n, std::size_t group, std::uint8_t* codes,
                              float* scales, std::int32_t* zeros, float* recon) {
  const std::size_t groups = (n + group - 1) / group;
  const bool stream = n * sizeof(float) >= kStreamBytes;
  exec::parallelFor(0, groups, 64, [&](exec::Range gr) {
    HWY_DYNAMIC_DISPATCH(QuantizeGroupsU4MinMax)(x, gr.begin, gr.end, n, group, codes, scales, zeros, recon, stream);
  });
}

ErrorSums errorSums(const float* x, const float* xr, std::size_t n) {
  return HWY_DYNAMIC_DISPATCH(ErrorSumsImpl)(x, xr, n);
}

ErrorSums errorSums_ref(const float* x, const float* xr, std::size_t n) {
  ErrorSums s;
  for (std::size_t i = 0; i < n; ++i) detail::addErrorPair(s, x[i], xr[i]);
  return s;
}

}  // namespace quench::simd
#endif  // HWY_ONCE
