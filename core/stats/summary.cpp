#include "core/stats/summary.h"

#include <algorithm>
#include <cmath>

#include "core/exec/parallel.h"
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

// Chunks of 64 Ki floats (256 KiB: the SIMD kernel's second pass runs from L2) reduced in parallel
// and merged in chunk order with Chan et al.'s pairwise update (exec::parallelReduce), so that the
// result is the same on any number of threads.
Summary summarize(std::span<const float> x, const Work& work) {
  constexpr std::size_t kGrain = 1 << 16;
  const SummaryMoments m = exec::parallelReduce(
      0, x.size(), kGrain, SummaryMoments{},
      [&](exec::Range r, SummaryMoments acc) {
        if (work.cancelled()) return acc;
        return simd::mergeSummaryMoments(acc, simd::summaryMoments(x.data() + r.begin, r.size()));
      },
      simd::mergeSummaryMoments);
  return toSummary(m);
}

}  // namespace quench
