#pragma once
// The "llm-int8" method (MATH.md §5) on a weight alone: the outlier input columns (from the
// layer's activations X when given, else the weight's own per-column max |W| ≥ τ) are kept in
// full precision, every other element gets int8 absmax per output row.
#include "core/quant/method.h"

namespace quench {

struct LlmInt8Settings {
  double threshold = 6.0;  ///< τ
  friend bool operator==(const LlmInt8Settings&, const LlmInt8Settings&) = default;
};

const MethodDescriptor& llmInt8Method();

}  // namespace quench
