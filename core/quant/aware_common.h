#pragma once
// What the activation-aware steps (aware.h) share: the checks of their inputs, the statistics of
// the activations X (N × in) in double, the layer-output error ‖X(W − Ŵ)ᵀ‖²_F, the element map of
// MATH.md §2 on a double value, and the report of a reconstruction. The dense products are
// OpenBLAS's double GEMM/SYRK (the O(in³) and O(N·in²) work of GPTQ and of the error figures).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/quant/integer.h"
#include "core/quant/partition.h"
#include "core/quant/types.h"
#include "core/tensor/result.h"
#include "core/tensor/tensor.h"

namespace quench::aware {

/// X as N rows of `features` floats (row-major).
struct Activations {
  const float* x = nullptr;
  std::size_t tokens = 0, features = 0;
};

/// W as (rows × cols): rank 2, finite. Errors name the step ("gptq: the weight ...").
Result<std::pair<std::size_t, std::size_t>> checkWeight(const FloatTensor& w, std::string_view step);
/// X of rank ≥ 2 whose last dimension is `in` (N = numel / in ≥ 1 tokens), finite. Errors name
/// the step and say what was expected.
Result<Activations> checkActivations(const FloatTensor& x, std::size_t in, std::string_view step);

/// G = alpha·XᵀX (in × in, row-major), accumulated in double; only the upper triangle (j ≥ i) is
/// written, the rest is 0.
std::vector<double> gram(const Activations& a, double alpha = 1.0);
/// Per input column j: (1/N) Σ_t x_tj² (the importance v_j), (1/N) Σ_t |x_tj|, max_t |x_tj|.
std::vector<double> columnMeanSquares(const Activations& a);
std::vector<double> columnMeanAbs(const Activations& a);
std::vector<double> columnMaxAbs(const Activations& a);

/// Σ over tokens and outputs of (x_t · d_oᵀ)² for D (rows × in, row-major, double): ‖X Dᵀ‖²_F.
double outputErrorSum(const Activations& a, std::span<const double> d, std::size_t rows);
/// ‖X(W − Ŵ)ᵀ‖²_F / N for float W and Ŵ (rows × in).
double layerOutputError(const Activations& a, std::span<const float> w, std::span<const float> wh, std::size_t rows);

/// C (m × n) = A (m × k) · Bᵀ (B is n × k), all row-major double.
void gemmNT(std::size_t m, std::size_t n, std::size_t k, const double* a, const double* b, double* c);

/// The §2 element map on a value held in double (GPTQ's updated weights): code =
/// clip(round(w / s) + b), x̃ = float32(s·(code − b)); ggml arithmetic on float32(w).
struct ElementResult {
  std::int64_t code;
  bool saturated;
  float recon;
};
ElementResult quantizeValue(double w, const PartParams& p, const IntegerParams& ip, std::uint64_t flatIndex);

/// The recipe's calibrator on one part's values (the part's typed overrides applied), as
/// quantizeInteger computes it.
Result<PartParams> calibratePart(std::span<const float> values, const IntegerParams& ip, std::size_t part);

/// Fills out.parts (params, saturation, figures) and out.total from the original, out.reconstruction
/// and out.saturated (already filled); storage per part = size·codeBits + metaBits.
void finishReport(QuantResult& out, std::span<const float> original, const Partition& partition,
                  const std::vector<PartParams>& params, int codeBits, double metaBits);

/// The storage of one part's metadata on the integer grid: its scale, and k bits of zero point
/// when asymmetric.
double integerMetaBits(const IntegerParams& ip);

/// "gptq: " + message.
Error stepError(std::string_view step, const std::string& message, std::string path = {});

}  // namespace quench::aware
