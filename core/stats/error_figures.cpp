#include "core/stats/error_figures.h"

#include <algorithm>
#include <cstring>
#include <cassert>
#include <cmath>

#include "core/exec/parallel.h"
#include "core/simd/quant_kernels.h"

namespace quench {

void ErrorAccumulator::merge(const ErrorAccumulator& o) {
  numel += o.numel;
  finite += o.finite;
  nan += o.nan;
  inf += o.inf;
  badRecon += o.badRecon;
  saturated += o.saturated;
  sumErr2 += o.sumErr2;
  sumX2 += o.sumX2;
  sumXr2 += o.sumXr2;
  dot += o.dot;
  maxErr = std::max(maxErr, o.maxErr);
  minXr = std::min(minXr, o.minXr);
  maxXr = std::max(maxXr, o.maxXr);
}

namespace {
// Number of non-zero bytes, eight at a time: for each byte b, ((b & 0x7F) + 0x7F) | b has its top
// bit set exactly when b ≠ 0 (no carry crosses a byte). Shifted down, each byte is 0 or 1, and
// multiplying by 0x0101…01 sums the eight bytes into the top byte (≤ 8: no carry out). A
// multiply rather than std::popcount, which is a library call without -mpopcnt.
std::uint64_t countNonZero(const std::uint8_t* s, std::size_t n) {
  constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL, kTop = 0x8080808080808080ULL, kOnes = 0x0101010101010101ULL;
  std::uint64_t c = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s + i, 8);
    c += (((((w & kLow7) + kLow7) | w) & kTop) >> 7) * kOnes >> 56;
  }
  for (; i < n; ++i) c += s[i] != 0;
  return c;
}

// One chunk: the SIMD sums when every pair is finite (the common case), else the scalar walk
// that counts and skips non-finite originals.
ErrorAccumulator accumulate(const float* x, const float* xr, std::size_t len) {
  ErrorAccumulator a;
  a.numel = len;
  const simd::ErrorSums s = simd::errorSums(x, xr, len);
  if (s.allFinite) {
    a.finite = len;
    a.sumErr2 = s.sumErr2;
    a.sumX2 = s.sumX2;
    a.sumXr2 = s.sumXr2;
    a.dot = s.dot;
    a.maxErr = s.maxAbsErr;
    if (len > 0) {
      a.minXr = s.minXr;
      a.maxXr = s.maxXr;
    }
    return a;
  }
  for (std::size_t i = 0; i < len; ++i) {
    const double u = x[i];
    if (std::isnan(u)) { ++a.nan; continue; }
    if (std::isinf(u)) { ++a.inf; continue; }
    ++a.finite;
    const double v = xr[i];
    if (!std::isfinite(v)) { ++a.badRecon; continue; }
    const double e = u - v;
    a.sumErr2 += e * e;
    a.sumX2 += u * u;
    a.sumXr2 += v * v;
    a.dot += u * v;
    a.maxErr = std::max(a.maxErr, std::abs(e));
    a.minXr = std::min(a.minXr, v);
    a.maxXr = std::max(a.maxXr, v);
  }
  return a;
}
}  // namespace

void ErrorAccumulator::add(std::span<const float> x, std::span<const float> xr, std::span<const std::uint8_t> sat) {
  assert(x.size() == xr.size());
  assert(sat.empty() || sat.size() == x.size());
  constexpr std::size_t kGrain = 1 << 16;
  ErrorAccumulator a;
  if (x.size() <= kGrain) {
    a = accumulate(x.data(), xr.data(), x.size());
    a.saturated += countNonZero(sat.data(), sat.size());
  } else {
    a = exec::parallelReduce(
        0, x.size(), kGrain, ErrorAccumulator{},
        [&](exec::Range r, ErrorAccumulator acc) {
          ErrorAccumulator c = accumulate(x.data() + r.begin, xr.data() + r.begin, r.size());
          if (!sat.empty())
            c.saturated += countNonZero(sat.data() + r.begin, r.size());
          acc.merge(c);
          return acc;
        },
        [](ErrorAccumulator l, const ErrorAccumulator& r) {
          l.merge(r);
          return l;
        });
  }
  merge(a);
}

ErrorFigures ErrorAccumulator::figures() const {
  ErrorFigures f;
  f.numel = numel;
  f.nan = nan;
  f.inf = inf;
  f.nonFiniteReconstruction = badRecon;
  f.saturated = saturated;
  f.saturatedFraction = numel ? static_cast<double>(saturated) / static_cast<double>(numel) : 0.0;
  f.reconstructionMin = minXr;
  f.reconstructionMax = maxXr;
  if (badRecon > 0) {
    f.mse = f.rmse = f.maxAbsError = INFINITY;
    f.sqnrDb = -INFINITY;
    f.cosine = NAN;  // undefined with an infinite component; reported, not hidden
    return f;
  }
  f.mse = finite ? sumErr2 / static_cast<double>(finite) : 0.0;
  f.rmse = std::sqrt(f.mse);
  f.maxAbsError = maxErr;
  f.sqnrDb = sqnrDbFromSums(sumX2, sumErr2);
  if (sumX2 == 0 && sumXr2 == 0)
    f.cosine = 1.0;
  else if (sumX2 == 0 || sumXr2 == 0)
    f.cosine = 0.0;
  else
    f.cosine = dot / (std::sqrt(sumX2) * std::sqrt(sumXr2));
  return f;
}

ErrorFigures computeErrorFigures(std::span<const float> x, std::span<const float> xr,
                                 std::span<const std::uint8_t> saturated) {
  ErrorAccumulator a;
  a.add(x, xr, saturated);
  return a.figures();
}

double sqnrDbFromSums(double sumX2, double sumErr2) {
  if (sumErr2 == 0) return INFINITY;
  if (sumX2 == 0) return -INFINITY;
  return 10.0 * std::log10(sumX2 / sumErr2);
}

void setStorage(ErrorFigures& f, double totalBits) {
  f.bitsPerParam = f.numel ? totalBits / static_cast<double>(f.numel) : 0.0;
  f.compressedBytes = static_cast<std::uint64_t>(std::ceil(totalBits / 8.0));
}

}  // namespace quench
