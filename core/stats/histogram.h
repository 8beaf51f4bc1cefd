#pragma once
// Fixed-width histograms of float data (the histogram views, reports and entropy calibration).
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "core/exec/progress.h"

namespace quench {

/// counts[i] holds values in [lo + i·w, lo + (i+1)·w), the last bin also holds hi; values outside
/// [lo, hi] are counted in below/above, NaN and ±Inf separately.
struct Histogram {
  double lo = 0, hi = 1;
  std::vector<std::uint64_t> counts;
  std::uint64_t below = 0, above = 0, nan = 0, inf = 0;

  double binWidth() const { return counts.empty() ? 0.0 : (hi - lo) / static_cast<double>(counts.size()); }
  double binCenter(std::size_t i) const { return lo + (static_cast<double>(i) + 0.5) * binWidth(); }
  std::uint64_t total() const;  ///< sum of counts (in range only)
};

/// The automatic range for finite data with min `lo` and max `hi` ([0, 1] when lo > hi, i.e. no
/// finite value; [v − ½, v + ½] for a constant v): what computeHistogram uses without a range, for
/// callers that already know the min and max (ErrorFigures::reconstructionMin/Max).
std::pair<double, double> automaticHistogramRange(double lo, double hi);

/// Histogram with `bins` bins over `range`, or over [min, max] of the finite values when no range
/// is given (a constant tensor gets a unit-wide range around its value). bins ≥ 1.
Histogram computeHistogram(std::span<const float> x, std::size_t bins,
                           std::optional<std::pair<double, double>> range = std::nullopt,
                           const Work& work = {});
/// Scalar twin of computeHistogram: the specification and the test oracle.
Histogram computeHistogram_ref(std::span<const float> x, std::size_t bins,
                               std::optional<std::pair<double, double>> range = std::nullopt);

}  // namespace quench
