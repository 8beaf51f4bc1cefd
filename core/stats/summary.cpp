#include "core/stats/summary.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <cmath>

#include "core/simd/summary_kernels.h"

namespace quench {
namespace {
using simd::SummaryMoments;

Summary toSummary(const SummaryMoments& m) {
  Summary s;
  s.count = m.count;
  s.nan = m.nan;
  s.inf = m.inf;
  if (m.count) {
    s.min = m.min;
    s.max = m.max;
    s.mean = m.mean;
    s.std = std::sqrt(m.m2 / static_cast<double>(m.count));
    s.absmax = std::max(std::fabs(m.min), std::fabs(m.max));
  }
  return s;
}
}  // namespace

// The scalar specification: one sequential two-pass sweep in double (simd::summaryMoments_ref).
Summary summarize_ref(std::span<const float> x) { return toSummary(simd::summaryMoments_ref(x.data(), x.size())); }

// Chunks of 64 Ki floats (256 KiB: the SIMD kernel's second pass runs from L2) reduced by TBB and
// merged with Chan et al.'s pairwise update, so that the result depends on the split only through
// rounding.
Summary summarize(std::span<const float> x, const Work& work) {
  constexpr std::size_t kGrain = 1 << 16;
  const SummaryMoments m = tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, x.size(), kGrain), SummaryMoments{},
      [&](const tbb::blocked_range<std::size_t>& r, SummaryMoments acc) {
        if (work.cancelled()) return acc;
        return simd::mergeSummaryMoments(acc, simd::summaryMoments(x.data() + r.begin(), r.size()));
      },
      simd::mergeSummaryMoments);
  return toSummary(m);
}

}  // namespace quench
