// Highway kernel for blockwise codebook quantization. Compiled once per target through
// foreach_target.h; the dispatch table and the scalar reference are emitted once under HWY_ONCE.
#include "core/simd/codebook_kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/simd/codebook_kernels.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace quench::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Largest |x| of x[0..len), full vectors with `d`, the tail with a one-lane tag.
template <class D>
float blockAbsMax(D d, const float* x, std::size_t len) {
  const hn::CappedTag<float, 1> d1;
  const std::size_t N = hn::Lanes(d);
  auto m = hn::Zero(d);
  std::size_t i = 0;
  for (; i + N <= len; i += N) m = hn::Max(m, hn::Abs(hn::LoadU(d, x + i)));
  auto m1 = hn::Zero(d1);
  for (; i < len; ++i) m1 = hn::Max(m1, hn::Abs(hn::LoadU(d1, x + i)));
  return std::max(hn::GetLane(hn::MaxOfLanes(d, m)), hn::GetLane(m1));
}

// Quantizes `count` lanes (a full vector of d) at x: index by counting midpoints below xn, level
// value by selecting on the same comparisons (levels ascending, so the last true compare wins).
template <class D>
HWY_INLINE void quantizeVector(D d, const float* x, float a, const float* levels, const float* mids,
                               std::size_t numLevels, std::uint8_t* index, float* recon) {
  const hn::RebindToSigned<D> di;
  const hn::Rebind<std::uint8_t, D> du8;
  const auto xn = hn::Div(hn::LoadU(d, x), hn::Set(d, a));
  auto idx = hn::Zero(di);
  auto val = hn::Set(d, levels[0]);
  for (std::size_t k = 0; k + 1 < numLevels; ++k) {
    const auto above = hn::Gt(xn, hn::Set(d, mids[k]));
    // a true mask is all ones = −1 as a signed integer: subtracting counts it
    idx = hn::Sub(idx, hn::BitCast(di, hn::VecFromMask(d, above)));
    val = hn::IfThenElse(above, hn::Set(d, levels[k + 1]), val);
  }
  hn::StoreU(hn::Mul(val, hn::Set(d, a)), d, recon);
  hn::StoreU(hn::DemoteTo(du8, idx), du8, index);
}

void CodebookQuantizeBlocks(const float* x, std::size_t n, std::size_t blockSize, const float* levels,
                            const float* mids, std::size_t numLevels, std::uint8_t zeroIndex,
                            std::uint8_t* index, float* absmax, float* recon) {
  const hn::ScalableTag<float> d;
  const hn::CappedTag<float, 1> d1;
  const std::size_t N = hn::Lanes(d);
  for (std::size_t b = 0, lo = 0; lo < n; ++b, lo += blockSize) {
    const std::size_t len = std::min(blockSize, n - lo);
    const float a = blockAbsMax(d, x + lo, len);
    absmax[b] = a;
    if (a == 0.0f) {
      for (std::size_t i = lo; i < lo + len; ++i) {
        index[i] = zeroIndex;
        recon[i] = 0.0f;
      }
      continue;
    }
    std::size_t i = lo;
    for (; i + N <= lo + len; i += N) quantizeVector(d, x + i, a, levels, mids, numLevels, index + i, recon + i);
    for (; i < lo + len; ++i) quantizeVector(d1, x + i, a, levels, mids, numLevels, index + i, recon + i);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace quench::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <algorithm>
#include <cmath>

namespace quench::simd {

HWY_EXPORT(CodebookQuantizeBlocks);

void codebookQuantizeBlocks(const float* x, std::size_t n, std::size_t blockSize, const float* levels,
                            const float* midpoints, std::size_t numLevels, std::uint8_t zeroIndex,
                            std::uint8_t* index, float* absmax, float* recon) {
  HWY_DYNAMIC_DISPATCH(CodebookQuantizeBlocks)(x, n, blockSize, levels, midpoints, numLevels, zeroIndex, index,
                                               absmax, recon);
}

void codebookQuantizeBlocks_ref(const float* x, std::size_t n, std::size_t blockSize, const float* levels,
                                const float* midpoints, std::size_t numLevels, std::uint8_t zeroIndex,
                                std::uint8_t* index, float* absmax, float* recon) {
  for (std::size_t b = 0, lo = 0; lo < n; ++b, lo += blockSize) {
    const std::size_t hi = std::min(n, lo + blockSize);
    float a = 0.0f;
    for (std::size_t i = lo; i < hi; ++i) a = std::max(a, std::fabs(x[i]));
    absmax[b] = a;
    for (std::size_t i = lo; i < hi; ++i) {
      if (a == 0.0f) {
        index[i] = zeroIndex;
        recon[i] = 0.0f;
        continue;
      }
      const float xn = x[i] / a;
      std::size_t k = 0;
      while (k + 1 < numLevels && xn > midpoints[k]) ++k;
      index[i] = static_cast<std::uint8_t>(k);
      recon[i] = a * levels[k];
    }
  }
}

}  // namespace quench::simd
#endif  // HWY_ONCE
