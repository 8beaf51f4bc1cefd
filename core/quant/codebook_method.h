#pragma once
// The codebook methods "nf4" and "fp4" (MATH.md §4): blockwise absmax scaling onto the NF4 or
// bitsandbytes FP4 levels, optionally with double quantization of the block constants.
#include <cstddef>

#include "core/quant/method.h"

namespace quench {

struct CodebookSettings {
  std::size_t block = 64;    ///< B consecutive elements share one absmax
  bool doubleQuant = false;  ///< quantize the absmax constants too (QLoRA)
  friend bool operator==(const CodebookSettings&, const CodebookSettings&) = default;
};

const MethodDescriptor& nf4Method();
const MethodDescriptor& fp4Method();

}  // namespace quench
