#pragma once
// The worked example of MATH.md §2 as a teacher writes it on the board: for each element of a
// short vector, every step of Q(x) = clip_[L,U](round(x/s) + b) and Q~(n) = s·(n − b), and per
// part the totals (MSE, saturated count). The numbers are those of quantizeWithParams (the
// arithmetic of `quench-cli quantize --values ...`), only with the intermediate steps kept.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/quant/partition.h"
#include "core/quant/types.h"
#include "core/tensor/result.h"

namespace quench {

/// One row of the board table: element `index` of part `part`.
struct WorkedRow {
  std::size_t index = 0;   ///< position in the vector
  std::size_t part = 0;    ///< part it belongs to
  float x = 0;             ///< the value (as stored: float32)
  double xOverS = 0;       ///< double(x) / s
  double rounded = 0;      ///< round(x/s) under the rounding mode
  double shifted = 0;      ///< round(x/s) + b, before clipping
  std::int64_t code = 0;   ///< clip_[L,U](round(x/s) + b)
  float dequantized = 0;   ///< s·(code − b) in double, stored as float32
  double error = 0;        ///< dequantized − x (double)
  bool saturated = false;  ///< shifted fell outside [L, U]
};

/// Totals of one part.
struct WorkedPart {
  std::vector<std::int64_t> indices;  ///< the part's elements, in part order
  PartParams params;                  ///< s, b, L, U used
  double mse = 0;                     ///< (1/|I|) Σ (x~ − x)²
  double maxAbsError = 0;             ///< max |x~ − x|
  std::uint64_t saturated = 0;        ///< elements with shifted outside [L, U]
};

/// The whole worked example.
struct WorkedQuantization {
  std::vector<WorkedRow> rows;   ///< in element order (row i is element i)
  std::vector<WorkedPart> parts; ///< in part order
  double mse = 0;                ///< over all elements
  std::uint64_t saturated = 0;   ///< over all elements
};

/// Every step of §2 for `x` (finite) with one PartParams per part (scale > 0 and finite, L ≤ U).
/// Scales are used as given (the CLI rounds typed scales to fp32 first; so does parseWorkedScale).
/// Stochastic rounding draws u = stochasticDraw(seed, index), as quantizeWithParams does.
Result<WorkedQuantization> workedQuantization(std::span<const float> x, const Partition& partition,
                                              std::span<const PartParams> parts, Rounding rounding,
                                              std::uint64_t seed = 0);

/// "1.2, -0.55, 0.07" → the nearest float32 of each number (as `--values` parses them). Errors
/// name the offending item; an empty list is an error.
Result<std::vector<float>> parseWorkedValues(std::string_view text);

/// "0,1;2,3" → a custom partition of `numel` elements (validated by Partition::custom); an empty
/// text is one part with every element.
Result<Partition> parseWorkedParts(std::string_view text, std::int64_t numel);

/// absmax proposal for a symmetric grid [−M, M]: s = max|x| / M over the part's values (stored
/// as fp32), b = 0; s = 1 for an all-zero part. M ≥ 1.
Result<PartParams> proposeAbsmax(std::span<const float> partValues, std::int64_t clipM);

/// min-max proposal for a grid [L, U] (U > L): s = (max − min)/(U − L) (fp32), b = L + round_half_even(−min/s);
/// for [0, 2^k − 1] this is MATH.md §2's asymmetric calibrator. A constant part gets s = |value| (1 for 0).
Result<PartParams> proposeMinMax(std::span<const float> partValues, std::int64_t clipLow, std::int64_t clipHigh);

}  // namespace quench
