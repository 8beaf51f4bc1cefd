#pragma once
// Rounding a scale computed in double to its storage format (MATH.md §2: the quantizer and the
// reconstruction always use the stored value).
#include "core/quant/types.h"

namespace quench {

/// The value a positive, finite scale `s` takes once stored in `format`:
/// - FP32/FP16/BF16: round to nearest, ties to even, directly from the double (no double
///   rounding through float); overflow saturates to the largest finite value; a scale that would
///   round to 0 becomes the smallest positive (subnormal) value, so s > 0 always holds.
/// - E8M0: the smallest power of two ≥ s (rounding UP, unlike the OCP MX spec's floor of log2,
///   so that max|x|/s never grows and calibration never saturates more than with an exact scale),
///   exponent clamped to [−127, 127].
double storeScale(double s, ScaleFormat format);

}  // namespace quench
