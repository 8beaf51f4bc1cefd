#pragma once
// GPTQ (Frantar et al.; MATH.md §13, exactly): columns of W (out × in) are quantized in order, in
// batches of 128, each column's error fed to the columns not yet quantized through the upper
// Cholesky factor U of H⁻¹, H = (2/N)·XᵀX + λ·mean(diag H)·I, accumulated and factored in double.
#include <span>
#include <vector>

#include "core/exec/progress.h"
#include "core/quant/aware.h"
#include "core/quant/aware_common.h"

namespace quench {

struct GptqOptions {
  double damp = 0.01;             ///< λ
  bool actOrder = false;          ///< columns by decreasing H_jj (stable), static groups from W
  std::size_t batch = kGptqBatch; ///< 128 by definition; tests may vary it
};

/// H = (2/N)·XᵀX with dead columns (H_jj = 0) set to H_jj = 1, and the dampening added; only the
/// upper triangle (row-major, j ≥ i) is filled, the rest is 0. `dead` receives the dead columns.
std::vector<double> gptqHessian(const aware::Activations& x, double damp, std::vector<std::uint8_t>& dead);

/// U (n × n, row-major, upper triangular, positive diagonal) with H⁻¹ = UᵀU, from H (n × n,
/// symmetric positive definite, read from its upper triangle; consumed: U is computed in its
/// buffer). Error when H is not positive definite.
Result<std::vector<double>> gptqInverseFactor(std::vector<double> h, std::size_t n);

/// GPTQ of `w` (rows × cols, row-major) given H (cols × cols, from gptqHessian; consumed) and the
/// dead columns: fills out.reconstruction, codes, saturated, parts and total (figures against
/// the original `w`). Strided partitions only.
Status gptqQuantize(std::span<const float> w, std::size_t rows, std::size_t cols, std::vector<double> h,
                    std::span<const std::uint8_t> dead, const Partition& partition, const IntegerParams& ip,
                    const GptqOptions& options, QuantResult& out, const Work& work = {});

}  // namespace quench
