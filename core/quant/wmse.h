#pragma once
// The importance-weighted `wmse` calibrator (MATH.md §13): each part's clip on the MSE grid of §2
// minimizing Σ_j v_j (w_j − w̃_j)², v_j the importance of the element's input column j: llama.cpp's
// imatrix (mean squared activation per column) or (1/N) Σ_t x_tj² from the activations X.
#include <span>

#include "core/exec/progress.h"
#include "core/quant/aware_common.h"

namespace quench {

/// wmse on `x` (rows × cols) with importance `v` (cols): quantizeInteger's result with the
/// weighted-MSE parameters of every part.
Status wmseQuantize(std::span<const float> x, std::size_t cols, const Partition& partition, const IntegerParams& ip,
                    std::span<const double> v, QuantResult& out, const Work& work = {});

}  // namespace quench
