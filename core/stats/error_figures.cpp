#include "core/stats/error_figures.h"

#include <cassert>
#include <cmath>

namespace quench {

ErrorFigures computeErrorFigures(std::span<const float> x, std::span<const float> xr,
                                 std::span<const std::uint8_t> saturated) {
  assert(x.size() == xr.size());
  assert(saturated.empty() || saturated.size() == x.size());
  ErrorFigures f;
  f.numel = x.size();
  double sumErr2 = 0, sumX2 = 0, sumXr2 = 0, dot = 0, maxErr = 0;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double a = x[i];
    if (std::isnan(a)) { ++f.nan; continue; }
    if (std::isinf(a)) { ++f.inf; continue; }
    ++n;
    const double b = xr[i];
    if (!std::isfinite(b)) {
      ++f.nonFiniteReconstruction;
      continue;
    }
    const double e = a - b;
    sumErr2 += e * e;
    sumX2 += a * a;
    sumXr2 += b * b;
    dot += a * b;
    maxErr = std::max(maxErr, std::abs(e));
  }
  if (!saturated.empty()) {
    for (std::uint8_t s : saturated) f.saturated += s != 0;
    f.saturatedFraction = f.numel ? static_cast<double>(f.saturated) / static_cast<double>(f.numel) : 0.0;
  }
  if (f.nonFiniteReconstruction > 0) {
    f.mse = f.rmse = f.maxAbsError = INFINITY;
    f.sqnrDb = -INFINITY;
    f.cosine = NAN;  // undefined with an infinite component; reported, not hidden
    return f;
  }
  f.mse = n ? sumErr2 / static_cast<double>(n) : 0.0;
  f.rmse = std::sqrt(f.mse);
  f.maxAbsError = maxErr;
  if (sumErr2 == 0)
    f.sqnrDb = INFINITY;
  else if (sumX2 == 0)
    f.sqnrDb = -INFINITY;
  else
    f.sqnrDb = 10.0 * std::log10(sumX2 / sumErr2);
  if (sumX2 == 0 && sumXr2 == 0)
    f.cosine = 1.0;
  else if (sumX2 == 0 || sumXr2 == 0)
    f.cosine = 0.0;
  else
    f.cosine = dot / (std::sqrt(sumX2) * std::sqrt(sumXr2));
  return f;
}

void setStorage(ErrorFigures& f, double totalBits) {
  f.bitsPerParam = f.numel ? totalBits / static_cast<double>(f.numel) : 0.0;
  f.compressedBytes = static_cast<std::uint64_t>(std::ceil(totalBits / 8.0));
}

}  // namespace quench
