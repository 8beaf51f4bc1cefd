#pragma once
// LLM.int8() mixed-precision decomposition (MATH.md §5): outlier feature columns of the
// activations are multiplied in high precision, the rest in int8 with absmax per row of X and per
// output column of W; the error of plain int8 and of the decomposition against the exact product.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/tensor/result.h"

namespace quench {

/// Per-column magnitude of a (rows × cols) row-major matrix and the columns at or above τ.
struct ColumnOutliers {
  double threshold = 6.0;
  std::vector<float> columnMaxAbs;           ///< (cols) max_r |M[r, c]|
  std::vector<std::size_t> outlierColumns;   ///< ascending, every c with columnMaxAbs[c] ≥ threshold
};

/// Outlier columns of M (rows × cols, row-major): column c is an outlier when any |M[r, c]| ≥ τ.
/// For activations X (tokens × features) these are LLM.int8()'s outlier features; for a stored
/// Linear weight (outputs × inputs, the PyTorch/safetensors layout) the columns are the input
/// channels (the weight-only view). Errors on a size mismatch, NaN/±inf, or τ not finite/positive.
Result<ColumnOutliers> findOutlierColumns(std::span<const float> m, std::size_t rows, std::size_t cols,
                                          double threshold = 6.0);

/// Error of an approximate product against the exact one (all over tokens × outputs entries).
struct MatmulError {
  double relFrobenius = 0;  ///< ‖Y − Y*‖_F / ‖Y*‖_F (0 when both are zero, +inf when only Y* is)
  double mse = 0;           ///< mean of (Y − Y*)²
  double maxAbsError = 0;   ///< max |Y − Y*|
};

struct LlmInt8Params {
  double threshold = 6.0;  ///< τ: a feature column is an outlier when any |X[t, j]| ≥ τ
};

/// Everything the LLM.int8() view shows. int8 details: s = float(absmax / 127) (0 for an all-zero
/// row/column), code = clip(round-half-even(x / s), −127, 127) in double; the int8 product is the
/// exact integer sum Σ_j qx·qw scaled by s_row(X)·s_col(W) in double. The high-precision part
/// X[:, O]·W[O, :] uses the original float values, accumulated in double.
struct LlmInt8Report {
  std::size_t tokens = 0, features = 0, outputs = 0;
  ColumnOutliers outliers;              ///< of X, with τ
  std::vector<double> exact;            ///< (tokens × outputs) X·W in double
  std::vector<double> plainInt8;        ///< (tokens × outputs) int8 over all features
  std::vector<double> decomposed;       ///< (tokens × outputs) outliers in full precision + int8 rest
  MatmulError plainError, decomposedError;
  /// Storage of W per parameter under the decomposition: int8 rows, the outlier rows kept in fp32
  /// and one fp32 scale per output column: (8·(f − |O|) + 32·|O| + 32) / f.
  double weightBitsPerParam = 0;
  double plainWeightBitsPerParam = 0;   ///< 8 + 32 / f
};

/// LLM.int8() on X (tokens × features) and W (features × outputs), both row-major. Errors on
/// size mismatch, zero dimensions, non-finite values, or a product too large to hold
/// (tokens·outputs > 2^28 or tokens·features·outputs > 2^36 multiply-adds).
Result<LlmInt8Report> llmInt8Matmul(std::span<const float> x, std::size_t tokens, std::size_t features,
                                    std::span<const float> w, std::size_t outputs, const LlmInt8Params& params = {});

}  // namespace quench
