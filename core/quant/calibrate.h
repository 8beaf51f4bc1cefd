#pragma once
// Calibrators: propose s, b (and the clip range of the grid) from the values of one part
// (MATH.md §2 "Calibration"). Users may override any proposal by hand.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/quant/types.h"
#include "core/tensor/result.h"

namespace quench {

enum class CalibrationMethod {
  AbsMax,      ///< clip range [−max|x|, max|x|]
  MinMax,      ///< clip range [min x, max x]
  Percentile,  ///< [−P_p(|x|), P_p(|x|)] symmetric, [P_{100−p}(x), P_p(x)] asymmetric
  /// Range minimizing Σ(x − x~)² over G candidates (G = mseCandidates): symmetric
  /// c_i = max|x|·i/G, asymmetric [min·i/G, max·i/G], i = G..1; ties keep the wider range.
  Mse,
  Entropy,     ///< TensorRT-style KL calibration on a 2048-bin histogram of |x| (symmetric range)
  /// Symmetric, full 2^k grid (llama.cpp's Q4_0): m = the first value of largest |x|, s = |m|/2^(k−1),
  /// b = 0, grid [−(2^(k−1)−1), 2^(k−1)] when m ≥ 0 and [−2^(k−1), 2^(k−1)−1] when m < 0, so m
  /// itself gets the extra code (m = ±8s for 4 bits). An all-zero part gets s = 1 and the m ≥ 0 grid.
  SignedMax,
};

/// Which calibrator and its settings.
struct Calibration {
  CalibrationMethod method = CalibrationMethod::AbsMax;
  double percentile = 99.9;  ///< p ∈ (0, 100], Percentile only
  int mseCandidates = 100;   ///< grid size G of the MSE search (≥ 1)

  friend bool operator==(const Calibration&, const Calibration&) = default;
};

/// Entropy calibration constants (MATH.md §2).
inline constexpr int kEntropyBins = 2048;
inline constexpr int kEntropyFirstCut = 128;

/// Parses "absmax", "minmax", "percentile:P", "mse", "entropy", "signed-max".
Result<Calibration> parseCalibration(std::string_view spec);
/// Inverse of parseCalibration (percentile printed with the shortest exact decimal).
std::string calibrationSpec(const Calibration& c);

/// Integer grid [L, U] of a k-bit code: symmetric [−(2^(k−1) − 1), 2^(k−1) − 1], asymmetric
/// (unsigned) [0, 2^k − 1].
std::pair<std::int64_t, std::int64_t> integerGrid(int bits, bool symmetric);

/// What a calibrator proposes for one part.
struct CalibrationResult {
  PartParams params;       ///< stored scale, zero point, grid [L, U]
  double rangeLow = 0;     ///< the clip range the scale was derived from (before scale rounding)
  double rangeHigh = 0;
  /// Entropy only: (threshold, KL(reference ‖ candidate) in nats) for every cut i = 128..2048.
  std::vector<std::pair<double, double>> klCurve;
};

/// Calibrates one part from its finite values `x` (the caller rejects NaN/Inf). From the range
/// [lo, hi] the method chooses: symmetric s = max(|lo|, |hi|)/M, b = 0; asymmetric
/// s = (hi − lo)/(2^k − 1), b = round_half_even(−lo / s_stored). The scale is rounded to
/// `scaleFormat` before b is derived (params.codeScale keeps it unrounded); signed-max chooses
/// its own grid (see SignedMax) and needs `symmetric`. A degenerate range (all values equal) gets s = |value|
/// (or 1 for all-zero parts), so the part is reconstructed exactly. `rounding` is the rounding
/// used to evaluate candidates in the MSE search.
Result<CalibrationResult> calibrate(std::span<const float> x, const Calibration& calibration, int bits,
                                    bool symmetric, ScaleFormat scaleFormat, Rounding rounding = Rounding::HalfEven);

/// The importance-weighted MSE calibrator (`wmse`, MATH.md §13): the clip range on the MSE grid of
/// §2 (symmetric [−c, c], c = max|x|·i/G; asymmetric [min·i/G, max·i/G], i = G..1) minimizing
/// Σ_e v_e·(x_e − x̃_e)², ties keeping the wider range. `weights` has one v per value of `x`.
Result<CalibrationResult> calibrateWeightedMse(std::span<const float> x, std::span<const double> weights, int bits,
                                               bool symmetric, ScaleFormat scaleFormat,
                                               Rounding rounding = Rounding::HalfEven, int candidates = 100);

/// NumPy's default percentile (method "linear"): sorted a, h = (n − 1)·p/100,
/// a[⌊h⌋] + (h − ⌊h⌋)·(a[⌊h⌋+1] − a[⌊h⌋]). Reorders `a` (selection, O(n)). n ≥ 1, p ∈ [0, 100].
double percentileLinear(std::span<float> a, double p);

}  // namespace quench
