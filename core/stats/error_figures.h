#pragma once
// Error figures of a reconstruction against its original (MATH.md §7): the numbers every
// quantization, float-format, codebook and pruning report shows, per part and per tensor.
#include <cmath>
#include <cstdint>
#include <span>

namespace quench {

/// MATH.md §7 figures. Population form (divide by N), accumulated in double.
///
/// N is the number of elements whose ORIGINAL value is finite; NaN/±Inf originals are counted in
/// `nan`/`inf` and left out of every figure (never propagated). A finite original whose
/// reconstruction is NaN/±Inf (e.g. FP16 overflow) is a real, infinite error: it is counted in
/// `nonFiniteReconstruction` and makes mse/rmse/maxAbsError +Inf.
struct ErrorFigures {
  std::uint64_t numel = 0;                    ///< all elements, finite or not
  std::uint64_t nan = 0;                      ///< NaN in the original
  std::uint64_t inf = 0;                      ///< ±Inf in the original
  std::uint64_t nonFiniteReconstruction = 0;  ///< finite original, NaN/±Inf reconstruction
  double mse = 0;          ///< Σ(x − x~)² / N
  double rmse = 0;         ///< √mse
  double maxAbsError = 0;  ///< max |x − x~|
  /// 10·log10(Σx² / Σ(x − x~)²) in dB; +Inf for an exact reconstruction (Σ(x − x~)² = 0),
  /// −Inf when Σx² = 0 < Σ(x − x~)².
  double sqnrDb = 0;
  /// x·x~ / (‖x‖‖x~‖); 1 when both are all-zero, 0 when exactly one is.
  double cosine = 0;
  std::uint64_t saturated = 0;     ///< elements clipped by the quantizer (0 for non-clipping methods)
  double saturatedFraction = 0;    ///< saturated / numel (0 for an empty input)
  /// True storage cost per parameter including metadata (scales, zero points, outlier columns,
  /// sparsity masks), filled by the method; 0 when the method does not know it (computeErrorFigures).
  double bitsPerParam = 0;
  std::uint64_t compressedBytes = 0;  ///< ceil(bitsPerParam · numel / 8), filled with bitsPerParam
  /// Range of the finite reconstructions of finite originals (+Inf/−Inf when there are none): the
  /// automatic range of a histogram of x~, known without another pass over it.
  double reconstructionMin = INFINITY, reconstructionMax = -INFINITY;
};

/// §7 figures of reconstruction `xr` against original `x` (same length; asserted). When
/// `saturated` (per element 0/1, same length) is given, saturated/saturatedFraction are filled;
/// bitsPerParam and compressedBytes are left 0 for the caller (setStorage).
ErrorFigures computeErrorFigures(std::span<const float> x, std::span<const float> xr,
                                 std::span<const std::uint8_t> saturated = {});

/// The raw sums behind ErrorFigures, so that figures of parts combine into the figures of their
/// union without a second pass over the data.
struct ErrorAccumulator {
  std::uint64_t numel = 0, finite = 0, nan = 0, inf = 0, badRecon = 0, saturated = 0;
  double sumErr2 = 0, sumX2 = 0, sumXr2 = 0, dot = 0, maxErr = 0;
  double minXr = INFINITY, maxXr = -INFINITY;  ///< over finite x~ of finite x

  /// Adds pairs (x, xr) and optional saturation flags (same length).
  void add(std::span<const float> x, std::span<const float> xr, std::span<const std::uint8_t> saturated = {});
  void merge(const ErrorAccumulator& o);
  /// The §7 figures of everything added (bitsPerParam/compressedBytes left 0).
  ErrorFigures figures() const;
};

/// MATH.md §7's SQNR from its two sums: 10·log10(sumX2 / sumErr2) in dB, +Inf when sumErr2 = 0
/// (an exact reconstruction), −Inf when sumX2 = 0 < sumErr2.
double sqnrDbFromSums(double sumX2, double sumErr2);

/// Fills bitsPerParam = totalBits / numel and compressedBytes = ceil(totalBits / 8).
void setStorage(ErrorFigures& f, double totalBits);

}  // namespace quench
