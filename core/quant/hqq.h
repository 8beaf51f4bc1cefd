#pragma once
// HQQ (Badri & Shaji; MATH.md §13, exactly): data-free, always on the asymmetric grid
// [0, 2^k − 1]. Per part, from the min-max s and b (§2), up to 20 rounds of
//   n = clip(round(w/s + b), 0, 2^k − 1), w_r = s·(n − b), w_e = shrink(w − w_r),
//   b ← mean(n − (w − w_e)/s), β ← 1.01β,
// shrink(e) = sign(e)·max(0, |e| − |e|^(p−1)/β) (shrink(0) = 0), p = 0.7, β₀ = 10; a part stops when
// its mean |w − w_r| is not strictly below its best so far and keeps the b of its best. b is
// fractional, stored as fp32; the codes and reconstruction s·(n − b) use the stored b.
#include <span>
#include <vector>

#include "core/exec/progress.h"
#include "core/quant/aware_common.h"

namespace quench {

inline constexpr int kHqqIterations = 20;
inline constexpr double kHqqP = 0.7, kHqqBeta0 = 10.0, kHqqKappa = 1.01;

/// The fractional zero point HQQ settles on for one part (as double, before fp32 storage), from
/// the part's values and its scale s and starting b.
double hqqZeroPoint(std::span<const float> w, double s, double b0, int bits, Rounding rounding);

/// HQQ of `x` on `partition` with k = ip.bits (ip.symmetric and ip.calibration are not used):
/// out as quantizeInteger's (zeroPoint holds round(b)), report.zeroPoints the stored fp32 b.
Status hqqQuantize(std::span<const float> x, const Partition& partition, const IntegerParams& ip, QuantResult& out,
                   AwareReport& report, const Work& work = {});

}  // namespace quench
