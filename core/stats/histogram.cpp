#include "core/stats/histogram.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

#include "core/exec/parallel.h"
#include "core/simd/quant_kernels.h"

namespace quench {

std::pair<double, double> automaticHistogramRange(double lo, double hi) {
  if (!(lo <= hi)) return {0.0, 1.0};
  if (lo == hi) return {lo - 0.5, hi + 0.5};
  return {lo, hi};
}

std::uint64_t Histogram::total() const { return std::accumulate(counts.begin(), counts.end(), std::uint64_t{0}); }

namespace {
std::pair<double, double> rangeOrUnit(double lo, double hi) { return automaticHistogramRange(lo, hi); }

// autoRange with SIMD finite min/max over parallel chunks (same result: min/max are exact).
std::pair<double, double> autoRangeParallel(std::span<const float> x) {
  using MinMax = std::pair<double, double>;
  const MinMax m = exec::parallelReduce(
      0, x.size(), 1 << 16, MinMax{INFINITY, -INFINITY},
      [&](exec::Range r, MinMax acc) {
        float lo = 0, hi = 0;
        if (simd::finiteMinMax(x.data() + r.begin, r.size(), lo, hi))
          acc = {std::min<double>(acc.first, lo), std::max<double>(acc.second, hi)};
        return acc;
      },
      [](MinMax a, const MinMax& b) { return MinMax{std::min(a.first, b.first), std::max(a.second, b.second)}; });
  return rangeOrUnit(m.first, m.second);
}

std::pair<double, double> autoRange(std::span<const float> x) {
  double lo = INFINITY, hi = -INFINITY;
  for (float v : x)
    if (std::isfinite(v)) {
      lo = std::min<double>(lo, v);
      hi = std::max<double>(hi, v);
    }
  if (!(lo <= hi)) return {0.0, 1.0};
  if (lo == hi) return {lo - 0.5, hi + 0.5};
  return {lo, hi};
}

void accumulate(Histogram& h, const float* x, std::size_t n) {
  const std::size_t bins = h.counts.size();
  const double scale = static_cast<double>(bins) / (h.hi - h.lo);
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (std::isnan(v)) { ++h.nan; continue; }
    if (std::isinf(v)) { ++h.inf; continue; }
    if (v < h.lo) { ++h.below; continue; }
    if (v > h.hi) { ++h.above; continue; }
    auto b = static_cast<std::size_t>((static_cast<double>(v) - h.lo) * scale);
    ++h.counts[std::min(b, bins - 1)];
  }
}

Histogram empty(std::size_t bins, std::pair<double, double> range) {
  Histogram h;
  h.lo = range.first;
  h.hi = range.second;
  h.counts.assign(bins, 0);
  return h;
}
}  // namespace

Histogram computeHistogram_ref(std::span<const float> x, std::size_t bins,
                               std::optional<std::pair<double, double>> range) {
  assert(bins >= 1);
  Histogram h = empty(bins, range ? *range : autoRange(x));
  accumulate(h, x.data(), x.size());
  return h;
}

Histogram computeHistogram(std::span<const float> x, std::size_t bins,
                           std::optional<std::pair<double, double>> range, const Work& work) {
  assert(bins >= 1);
  Histogram h = empty(bins, range ? *range : autoRangeParallel(x));
  // Per-thread private counts (no Histogram copied per chunk), summed once at the end: integer
  // sums, so the result does not depend on how the work was split.
  struct Local {
    std::vector<std::uint64_t> counts;
    std::uint64_t outside[4] = {0, 0, 0, 0};
  };
  exec::PerThread<Local> locals([bins] {
    Local l;
    l.counts.assign(bins, 0);
    return l;
  });
  constexpr std::size_t kGrain = 1 << 18;
  exec::parallelFor(0, x.size(), kGrain, [&](exec::Range r) {
    if (work.cancelled()) return;
    Local& l = locals.local();
    simd::histogramAccumulate(x.data() + r.begin, r.size(), h.lo, h.hi, l.counts.data(), bins, l.outside);
  });
  locals.forEach([&h, bins](const Local& l) {
    for (std::size_t i = 0; i < bins; ++i) h.counts[i] += l.counts[i];
    h.below += l.outside[0];
    h.above += l.outside[1];
    h.nan += l.outside[2];
    h.inf += l.outside[3];
  });
  return h;
}

}  // namespace quench
