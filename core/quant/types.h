#pragma once
// The shared vocabulary of every quantization method in quant/ (integer, float formats,
// codebooks, LLM.int8(), pruning): each is a pure function tensor + params → QuantResult.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/stats/error_figures.h"

namespace quench {

/// How a real number is rounded to an integer code or to a representable float (MATH.md §2, §3).
enum class Rounding {
  HalfEven,          ///< ties to even: NumPy, PyTorch, IEEE default
  HalfAwayFromZero,  ///< ties away from zero: C round()
  TowardZero,        ///< truncation
  HalfUp,            ///< ties toward +∞: ⌊v + ½⌋ (llama.cpp's Q4_0 offset codes, see CodeArithmetic)
  Stochastic,        ///< up with probability equal to the fractional part (seeded by the method)
};

/// Storage format of a per-part scale; the quantizer always uses the stored (rounded) value.
enum class ScaleFormat {
  FP32,
  FP16,
  BF16,
  E8M0,  ///< OCP MX shared scale: a bare power of two 2^e, e ∈ [−127, 127]
};

/// Bits one stored scale costs (the metadata term of bits per parameter).
constexpr int scaleFormatBits(ScaleFormat f) {
  switch (f) {
    case ScaleFormat::FP32: return 32;
    case ScaleFormat::FP16: return 16;
    case ScaleFormat::BF16: return 16;
    case ScaleFormat::E8M0: return 8;
  }
  return 32;
}

/// "even", "away", "zero", "stochastic" (the CLI and recipe spelling).
constexpr std::string_view roundingName(Rounding r) {
  switch (r) {
    case Rounding::HalfEven: return "even";
    case Rounding::HalfAwayFromZero: return "away";
    case Rounding::TowardZero: return "zero";
    case Rounding::Stochastic: return "stochastic";
    case Rounding::HalfUp: return "up";
  }
  return "even";
}
/// Inverse of roundingName; nullopt for an unknown spelling.
inline std::optional<Rounding> parseRounding(std::string_view s) {
  for (Rounding r : {Rounding::HalfEven, Rounding::HalfAwayFromZero, Rounding::TowardZero, Rounding::Stochastic,
                     Rounding::HalfUp})
    if (roundingName(r) == s) return r;
  return std::nullopt;
}

/// "fp32", "fp16", "bf16", "e8m0" (the CLI and recipe spelling).
constexpr std::string_view scaleFormatName(ScaleFormat f) {
  switch (f) {
    case ScaleFormat::FP32: return "fp32";
    case ScaleFormat::FP16: return "fp16";
    case ScaleFormat::BF16: return "bf16";
    case ScaleFormat::E8M0: return "e8m0";
  }
  return "fp32";
}
/// Inverse of scaleFormatName; nullopt for an unknown spelling.
inline std::optional<ScaleFormat> parseScaleFormat(std::string_view s) {
  for (ScaleFormat f : {ScaleFormat::FP32, ScaleFormat::FP16, ScaleFormat::BF16, ScaleFormat::E8M0})
    if (scaleFormatName(f) == s) return f;
  return std::nullopt;
}

/// How integer codes are computed from x and the part's scale.
enum class CodeArithmetic {
  Exact,  ///< MATH.md §2: round(double(x) / double(s_stored)) + b
  /// llama.cpp's reference quantizers (quantize_row_q8_0_ref / q4_0_ref), in fp32: d = fp32 of
  /// the scale BEFORE storage rounding (PartParams::codeScale), t = fl32(x · fl32(1/d)), code =
  /// round(t); HalfUp is their offset form ⌊fl32(t + o + ½)⌋ − o with o = −(lower clip). A grid
  /// longer at the top ([−(2^(k−1)−1), 2^(k−1)], the signed-max calibrator on a block whose
  /// extreme is positive) is llama.cpp's negative d mirrored: llama.cpp computes with d' = −s and
  /// codes n' = −n; Quench reports s > 0 and n (MATH.md's convention) and reconstructs d'·n'
  /// (the same value, including llama.cpp's −0 for n = 0). Symmetric grids (b = 0) only.
  Ggml,
};

/// "exact", "ggml" (the CLI and recipe spelling).
constexpr std::string_view codeArithmeticName(CodeArithmetic a) {
  return a == CodeArithmetic::Ggml ? "ggml" : "exact";
}
/// Inverse of codeArithmeticName; nullopt for an unknown spelling.
inline std::optional<CodeArithmetic> parseCodeArithmetic(std::string_view s) {
  if (s == "exact") return CodeArithmetic::Exact;
  if (s == "ggml") return CodeArithmetic::Ggml;
  return std::nullopt;
}

/// Affine parameters of one part (MATH.md §2): code n = clip_[clipLow, clipHigh](round(x/scale) +
/// zeroPoint), x~ = scale·(n − zeroPoint). Methods without a zero point or clip range (codebooks:
/// scale = block absmax, clip = code index range; float formats: scale = block scale) fill what
/// applies and leave zeroPoint 0.
struct PartParams {
  double scale = 1.0;  ///< s > 0, already rounded to its storage format when produced by a method
  std::int64_t zeroPoint = 0;
  std::int64_t clipLow = -127;
  std::int64_t clipHigh = 127;
  /// The scale before it was rounded to its storage format (what CodeArithmetic::Ggml computes
  /// codes with, as llama.cpp does); 0 = unknown, use `scale`.
  double codeScale = 0;

  friend bool operator==(const PartParams&, const PartParams&) = default;
};

/// One part's share of a report.
struct PartReport {
  std::uint64_t size = 0;       ///< elements in the part
  PartParams params;            ///< the parameters actually used (stored scale)
  std::uint64_t saturated = 0;  ///< elements whose unclipped code fell outside [clipLow, clipHigh]
  ErrorFigures figures;         ///< §7 figures of this part alone (bitsPerParam includes its metadata)
};

/// What an activation-aware step (MATH.md §13: gptq, awq, smoothquant, rotate, hqq, wmse) reports
/// beside the figures of Ŵ against W.
struct AwareReport {
  std::string method;  ///< "gptq", ...
  /// ‖XWᵀ − XŴᵀ‖²_F / N on the activations X (N × in) given (smoothquant: ‖XWᵀ − Qa(X')·Ŵ'ᵀ‖²_F / N);
  /// nullopt without activations.
  std::optional<double> layerOutputError;
  /// The same with the recipe alone (no aware step; smoothquant: W8A8 without smoothing).
  std::optional<double> layerOutputErrorRtn;
  std::optional<double> alpha;  ///< awq: the chosen α; smoothquant: the α used
  /// awq: (α, ‖XWᵀ − XŴ(α)ᵀ‖²_F / N) for every α of the grid, in grid order.
  std::vector<std::pair<double, double>> alphaCurve;
  /// awq, smoothquant: the per-input-column factor s_j (W' = W·diag(s)).
  std::vector<double> smoothing;
  /// hqq: the fractional zero point b of each part as stored (fp32), in part order.
  std::vector<double> zeroPoints;
  std::int64_t rotationBlock = 0;  ///< rotate: the Hadamard block m
};

/// What every quantization-like method returns.
struct QuantResult {
  std::vector<float> reconstruction;  ///< dequantized values, same length and order as the input
  /// Integer codes, one per element: integer codes for int, codebook indices for NF4/FP4, bit
  /// patterns for float formats; empty for methods without codes (pruning).
  std::vector<std::int32_t> codes;
  std::vector<std::uint8_t> saturated;  ///< per element 0/1; empty when the method cannot saturate
  std::vector<PartReport> parts;        ///< in part order (blocks for codebooks, one for per-tensor)
  ErrorFigures total;                   ///< whole-tensor figures, bitsPerParam with all metadata
  std::optional<AwareReport> aware;     ///< set by an activation-aware step (MATH.md §13)
};

}  // namespace quench
