#include "core/quant/scale_format.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

namespace quench {

namespace {
// Nearest value of a binary format with `mantBits` explicit mantissa bits, smallest normal
// exponent `minExp`, largest finite `maxFinite`. All steps are exact in double: scaling by a
// power of two and nearbyint (ties to even in the default rounding mode).
double roundBinary(double s, int mantBits, int minExp, double maxFinite) {
  int e2 = 0;
  std::frexp(s, &e2);                  // s = m·2^e2, m ∈ [0.5, 1)
  const int exp = std::max(e2 - 1, minExp);  // exponent of the leading bit, or subnormal exponent
  const int ulpExp = exp - mantBits;
  double r = std::ldexp(std::nearbyint(std::ldexp(s, -ulpExp)), ulpExp);
  if (r > maxFinite) r = maxFinite;
  if (r == 0) r = std::ldexp(1.0, minExp - mantBits);
  return r;
}
}  // namespace

double storeScale(double s, ScaleFormat format) {
  switch (format) {
    case ScaleFormat::FP32: return roundBinary(s, 23, -126, FLT_MAX);
    case ScaleFormat::FP16: return roundBinary(s, 10, -14, 65504.0);
    case ScaleFormat::BF16: return roundBinary(s, 7, -126, 3.3895313892515355e38);
    case ScaleFormat::E8M0: {
      int e2 = 0;
      const double m = std::frexp(s, &e2);
      int e = m == 0.5 ? e2 - 1 : e2;  // ceil(log2 s)
      e = std::clamp(e, -127, 127);
      return std::ldexp(1.0, e);
    }
  }
  return s;
}

}  // namespace quench
