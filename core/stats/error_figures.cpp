#include "core/stats/error_figures.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <cassert>
#include <cmath>

#include "core/simd/quant_kernels.h"

namespace quench {

namespace {
struct Acc {
  std::uint64_t n = 0, nan = 0, inf = 0, badRecon = 0, saturated = 0;
  double sumErr2 = 0, sumX2 = 0, sumXr2 = 0, dot = 0, maxErr = 0;

  void merge(const Acc& o) {
    n += o.n;
    nan += o.nan;
    inf += o.inf;
    badRecon += o.badRecon;
    saturated += o.saturated;
    sumErr2 += o.sumErr2;
    sumX2 += o.sumX2;
    sumXr2 += o.sumXr2;
    dot += o.dot;
    maxErr = std::max(maxErr, o.maxErr);
  }
};

// One chunk: the SIMD sums when every pair is finite (the common case), else the scalar walk
// that counts and skips non-finite originals.
Acc accumulate(const float* x, const float* xr, std::size_t len) {
  Acc a;
  const simd::ErrorSums s = simd::errorSums(x, xr, len);
  if (s.allFinite) {
    a.n = len;
    a.sumErr2 = s.sumErr2;
    a.sumX2 = s.sumX2;
    a.sumXr2 = s.sumXr2;
    a.dot = s.dot;
    a.maxErr = s.maxAbsErr;
    return a;
  }
  for (std::size_t i = 0; i < len; ++i) {
    const double u = x[i];
    if (std::isnan(u)) { ++a.nan; continue; }
    if (std::isinf(u)) { ++a.inf; continue; }
    ++a.n;
    const double v = xr[i];
    if (!std::isfinite(v)) { ++a.badRecon; continue; }
    const double e = u - v;
    a.sumErr2 += e * e;
    a.sumX2 += u * u;
    a.sumXr2 += v * v;
    a.dot += u * v;
    a.maxErr = std::max(a.maxErr, std::abs(e));
  }
  return a;
}
}  // namespace

ErrorFigures computeErrorFigures(std::span<const float> x, std::span<const float> xr,
                                 std::span<const std::uint8_t> saturated) {
  assert(x.size() == xr.size());
  assert(saturated.empty() || saturated.size() == x.size());
  constexpr std::size_t kGrain = 1 << 16;
  Acc a;
  if (x.size() <= kGrain) {
    a = accumulate(x.data(), xr.data(), x.size());
    for (std::uint8_t s : saturated) a.saturated += s != 0;
  } else {
    a = tbb::parallel_reduce(
        tbb::blocked_range<std::size_t>(0, x.size(), kGrain), Acc{},
        [&](const tbb::blocked_range<std::size_t>& r, Acc acc) {
          Acc c = accumulate(x.data() + r.begin(), xr.data() + r.begin(), r.size());
          if (!saturated.empty())
            for (std::size_t i = r.begin(); i < r.end(); ++i) c.saturated += saturated[i] != 0;
          acc.merge(c);
          return acc;
        },
        [](Acc l, const Acc& r) {
          l.merge(r);
          return l;
        });
  }

  ErrorFigures f;
  f.numel = x.size();
  f.nan = a.nan;
  f.inf = a.inf;
  f.nonFiniteReconstruction = a.badRecon;
  f.saturated = a.saturated;
  f.saturatedFraction = f.numel ? static_cast<double>(f.saturated) / static_cast<double>(f.numel) : 0.0;
  if (a.badRecon > 0) {
    f.mse = f.rmse = f.maxAbsError = INFINITY;
    f.sqnrDb = -INFINITY;
    f.cosine = NAN;  // undefined with an infinite component; reported, not hidden
    return f;
  }
  f.mse = a.n ? a.sumErr2 / static_cast<double>(a.n) : 0.0;
  f.rmse = std::sqrt(f.mse);
  f.maxAbsError = a.maxErr;
  if (a.sumErr2 == 0)
    f.sqnrDb = INFINITY;
  else if (a.sumX2 == 0)
    f.sqnrDb = -INFINITY;
  else
    f.sqnrDb = 10.0 * std::log10(a.sumX2 / a.sumErr2);
  if (a.sumX2 == 0 && a.sumXr2 == 0)
    f.cosine = 1.0;
  else if (a.sumX2 == 0 || a.sumXr2 == 0)
    f.cosine = 0.0;
  else
    f.cosine = a.dot / (std::sqrt(a.sumX2) * std::sqrt(a.sumXr2));
  return f;
}

void setStorage(ErrorFigures& f, double totalBits) {
  f.bitsPerParam = f.numel ? totalBits / static_cast<double>(f.numel) : 0.0;
  f.compressedBytes = static_cast<std::uint64_t>(std::ceil(totalBits / 8.0));
}

}  // namespace quench
