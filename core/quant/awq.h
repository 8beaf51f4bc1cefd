#pragma once
// AWQ (Lin et al.; MATH.md §13, exactly): per-input-column scales s_j = max(a_j^α, 1e−4) from the
// mean |x| of each column, normalized by √(max s · min s); Ŵ(α) = Q̃(Q(W·diag(s)))·diag(s)⁻¹ with
// the recipe's integer grid; the α of the grid i/20 (i = 0..19) with the least layer-output
// error is kept (ties: the smallest α). No clip search.
//
// Arithmetic (so that implementations agree to the last code): s in double; W' = float32(w·s_j)
// is what the integer quantizer sees; Ŵ = float32(q̃ / s_j) with q̃ the float32 reconstruction.
#include <optional>
#include <span>
#include <vector>

#include "core/exec/progress.h"
#include "core/quant/aware_common.h"

namespace quench {

/// s for one α from a_j (mean |x| per column): max(a^α, 1e−4), then s / √(max s · min s).
std::vector<double> awqScales(std::span<const double> meanAbs, double alpha);

/// AWQ of `w` (rows × cols) on activations `x`: searches the grid (or uses `alpha` when given),
/// fills `out` (codes of W·diag(s), Ŵ, figures against `w`) and report.alpha, alphaCurve,
/// smoothing and layerOutputError.
Status awqQuantize(std::span<const float> w, std::size_t rows, std::size_t cols, const aware::Activations& x,
                   const Partition& partition, const IntegerParams& ip, std::optional<double> alpha,
                   QuantResult& out, AwareReport& report, const Work& work = {});

}  // namespace quench
