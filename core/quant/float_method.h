#pragma once
// The "float" method (MATH.md §3): every element rounded to a low-precision float format, with an
// optional OCP MX shared E8M0 scale per block.
#include <cstddef>

#include "core/quant/float_format.h"
#include "core/quant/method.h"

namespace quench {

struct FloatSettings {
  FloatFormatSpec format;                   ///< "e4m3" by default
  Rounding rounding = Rounding::HalfEven;
  std::size_t block = 0;                    ///< MX block B (0 = no shared scale)
  friend bool operator==(const FloatSettings&, const FloatSettings&) = default;
};

const MethodDescriptor& floatMethod();

}  // namespace quench
