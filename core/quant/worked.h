#pragma once
// The worked example of MATH.md §2 as a teacher writes it on the board: for each element of a
// short vector, every step of Q(x) = clip_[L,U](round(x/s) + b) and Q~(n) = s·(n − b), and per
// part the totals (MSE, saturated count). MATH.md §2's textbook form: the values, s, b, L, U are
// used exactly as typed, in double (no float32 storage of x or s unless the caller stores s in a
// scale format first), x̃ = s·(n − b) and x̃ − x are doubles, so that what the board prints with
// shortestDecimal is what a teacher computes by hand. `quench-cli quantize --values` is this.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/quant/partition.h"
#include "core/quant/types.h"
#include "core/tensor/result.h"

namespace quench {

/// Whether round(x/s) had to break a tie.
enum class WorkedTie {
  None,          ///< x/s is not half-way between two integers
  Exact,         ///< x = (k + ½)·s exactly for the typed values: a real tie, decided by the rule
  FromDivision,  ///< the exact x/s is not a tie, but its double is k + ½ (the division rounded)
};

/// One row of the board table: element `index` of part `part`.
struct WorkedRow {
  std::size_t index = 0;   ///< position in the vector
  std::size_t part = 0;    ///< part it belongs to
  double x = 0;            ///< the value, as typed (nearest double)
  double xOverS = 0;       ///< x / s in double
  double rounded = 0;      ///< round(x/s) under the rounding mode
  double shifted = 0;      ///< round(x/s) + b, before clipping
  std::int64_t code = 0;   ///< clip_[L,U](round(x/s) + b)
  double dequantized = 0;  ///< s·(code − b) in double
  double error = 0;        ///< dequantized − x (double)
  bool saturated = false;  ///< shifted fell outside [L, U]
  WorkedTie tie = WorkedTie::None;  ///< for the half-* roundings (truncation and stochastic have no ties)
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
  double maxAbsError = 0;        ///< max |x̃ − x| over all elements
  /// 10·log10(Σx² / Σ(x̃ − x)²) in dB over all elements (MATH.md §7): +inf with no error, −inf
  /// for an all-zero x with an error.
  double sqnrDb = 0;
  std::uint64_t saturated = 0;   ///< over all elements
};

/// Every step of §2 for `x` (finite) with one PartParams per part (scale > 0 and finite, L ≤ U).
/// Scales are used as given (a caller that stores s in a scale format rounds it first).
/// Stochastic rounding draws u = stochasticDraw(seed, index), as quantizeWithParams does.
Result<WorkedQuantization> workedQuantization(std::span<const double> x, const Partition& partition,
                                              std::span<const PartParams> parts, Rounding rounding,
                                              std::uint64_t seed = 0);

/// "1.2, -0.55, 0.07" → the nearest double of each number (as `--values` parses them). Errors
/// name the offending item; an empty list is an error.
Result<std::vector<double>> parseWorkedValues(std::string_view text);

/// "0,1;2,3" → a custom partition of `numel` elements (validated by Partition::custom); an empty
/// text is one part with every element.
Result<Partition> parseWorkedParts(std::string_view text, std::int64_t numel);

/// absmax proposal for a symmetric grid [−M, M]: s = max|x| / M over the part's values (in
/// double), b = 0; s = 1 for an all-zero part. M ≥ 1.
Result<PartParams> proposeAbsmax(std::span<const double> partValues, std::int64_t clipM);

/// min-max proposal for a grid [L, U] (U > L): s = (max − min)/(U − L) (double), b = L + round_half_even(−min/s);
/// for [0, 2^k − 1] this is MATH.md §2's asymmetric calibrator. A constant part gets s = |value| (1 for 0).
Result<PartParams> proposeMinMax(std::span<const double> partValues, std::int64_t clipLow, std::int64_t clipHigh);

}  // namespace quench
