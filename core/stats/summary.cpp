#include "core/stats/summary.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace quench {
namespace {
// Partial moments of a chunk; merged with Chan et al.'s parallel variance update so the result
// does not depend on how TBB splits the range beyond rounding.
struct Moments {
  std::uint64_t n = 0, nan = 0, inf = 0;
  double mean = 0, m2 = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
};

Moments chunkMoments(const float* x, std::size_t n) {
  Moments m;
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (std::isnan(v)) { ++m.nan; continue; }
    if (std::isinf(v)) { ++m.inf; continue; }
    sum += v;
    m.min = std::min<double>(m.min, v);
    m.max = std::max<double>(m.max, v);
    ++m.n;
  }
  if (m.n == 0) return m;
  m.mean = sum / static_cast<double>(m.n);
  double m2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (!std::isfinite(v)) continue;
    const double d = v - m.mean;
    m2 += d * d;
  }
  m.m2 = m2;
  return m;
}

Moments merge(const Moments& a, const Moments& b) {
  Moments r;
  r.nan = a.nan + b.nan;
  r.inf = a.inf + b.inf;
  r.n = a.n + b.n;
  r.min = std::min(a.min, b.min);
  r.max = std::max(a.max, b.max);
  if (r.n == 0) return r;
  const double na = static_cast<double>(a.n), nb = static_cast<double>(b.n), n = na + nb;
  const double delta = b.mean - a.mean;
  r.mean = a.mean + delta * nb / n;
  r.m2 = a.m2 + b.m2 + delta * delta * na * nb / n;
  return r;
}

Summary toSummary(const Moments& m) {
  Summary s;
  s.count = m.n;
  s.nan = m.nan;
  s.inf = m.inf;
  if (m.n) {
    s.min = m.min;
    s.max = m.max;
    s.mean = m.mean;
    s.std = std::sqrt(m.m2 / static_cast<double>(m.n));
    s.absmax = std::max(std::fabs(m.min), std::fabs(m.max));
  }
  return s;
}
}  // namespace

Summary summarize_ref(std::span<const float> x) { return toSummary(chunkMoments(x.data(), x.size())); }

Summary summarize(std::span<const float> x, const Work& work) {
  constexpr std::size_t kGrain = 1 << 16;
  const Moments m = tbb::parallel_reduce(
      tbb::blocked_range<std::size_t>(0, x.size(), kGrain), Moments{},
      [&](const tbb::blocked_range<std::size_t>& r, Moments acc) {
        if (work.cancelled()) return acc;
        return merge(acc, chunkMoments(x.data() + r.begin(), r.size()));
      },
      merge);
  return toSummary(m);
}

}  // namespace quench
