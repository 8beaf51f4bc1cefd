#pragma once
// SmoothQuant (Xiao et al.; MATH.md §13, exactly): s_j = max_t|x_tj|^α / max_i|W_ij|^(1−α)
// (s_j = 1 where either maximum is 0); X' = X·diag(s)⁻¹, W' = W·diag(s), so X'W'ᵀ = XWᵀ; then
// W8A8: W' through the recipe's integer grid and X' per token with int8 absmax (Qa). The layer
// error is ‖XWᵀ − Qa(X')·Q̃(Q(W'))ᵀ‖²_F / N, beside the same W8A8 without smoothing.
//
// Arithmetic: s in double; W' = float32(w·s_j) and X' = float32(x / s_j) are what the quantizers
// see (every tensor handed to a §2 quantizer is float32); Ŵ = float32(q̃ / s_j) is the weight in
// the original basis (what --out writes).
#include <span>
#include <vector>

#include "core/exec/progress.h"
#include "core/quant/aware_common.h"

namespace quench {

/// s_j for α from the per-column maxima of |X| and |W|.
std::vector<double> smoothQuantScales(std::span<const double> xMax, std::span<const double> wMax, double alpha);

/// Qa: one token (row) to int8 absmax per MATH.md §2 (s = max|x|/127 stored fp32, s = 1 for an
/// all-zero row), returned dequantized in float32.
void quantizeTokenInt8(std::span<const float> x, std::span<float> out);

/// ‖XWᵀ − Qa(X·diag(s)⁻¹)·Ŵ'ᵀ‖²_F / N, where Ŵ' (rows × cols) is the quantized W·diag(s) and s
/// (empty = all ones) the smoothing.
double w8a8OutputError(const aware::Activations& x, std::span<const float> w, std::span<const float> wq,
                       std::size_t rows, std::span<const double> s);

/// SmoothQuant of `w` (rows × cols): fills `out` (codes of W', Ŵ = Q̃(Q(W'))·diag(s)⁻¹, figures
/// against w) and report.alpha, smoothing, layerOutputError and layerOutputErrorRtn.
Status smoothQuantQuantize(std::span<const float> w, std::size_t rows, std::size_t cols, const aware::Activations& x,
                           const Partition& partition, const IntegerParams& ip, double alpha, QuantResult& out,
                           AwareReport& report, const Work& work = {});

}  // namespace quench
