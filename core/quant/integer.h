#pragma once
// The integer quantizer of MATH.md §2, exactly: per part j,
//   code = clip_[L, U](round(double(x) / double(s_stored)) + b),   x~ = float(s_stored·(code − b)).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <span>

#include "core/exec/progress.h"
#include "core/quant/calibrate.h"
#include "core/quant/partition.h"
#include "core/quant/types.h"
#include "core/tensor/result.h"

namespace quench {

/// Hand-typed parameters for one part; each field present overrides the calibrator's proposal.
/// A scale typed by hand is still rounded to the scale format (the stored value is what is used).
struct PartOverride {
  std::optional<double> scale;
  std::optional<std::int64_t> zeroPoint;
  std::optional<std::int64_t> clipLow;
  std::optional<std::int64_t> clipHigh;

  friend bool operator==(const PartOverride&, const PartOverride&) = default;
};

/// Everything the integer method needs besides the data and the partition.
struct IntegerParams {
  int bits = 8;            ///< 2..8 or 16
  bool symmetric = true;   ///< ±M grid (b = 0) or unsigned [0, 2^k − 1] with a zero point
  Calibration calibration;
  Rounding rounding = Rounding::HalfEven;
  ScaleFormat scaleFormat = ScaleFormat::FP32;
  CodeArithmetic arithmetic = CodeArithmetic::Exact;  ///< Ggml: llama.cpp's fp32 code arithmetic (symmetric only)
  std::uint64_t seed = 0;  ///< Stochastic rounding only: element i uses hash(seed, i)
  std::map<std::size_t, PartOverride> overrides;  ///< part index → hand-typed parameters

  friend bool operator==(const IntegerParams&, const IntegerParams&) = default;
};

/// round(v) under `r`. `u` ∈ [0, 1) is the uniform draw used by Stochastic rounding only.
inline double roundWith(double v, Rounding r, double u = 0.0) {
  switch (r) {
    case Rounding::HalfEven: return std::nearbyint(v);  // default FP environment: ties to even
    case Rounding::HalfAwayFromZero: return std::round(v);
    case Rounding::TowardZero: return std::trunc(v);
    case Rounding::HalfUp: {
      const double f = std::floor(v);  // v − f is exact for |v| < 2^52 (floor(v + 0.5) is not)
      return v - f >= 0.5 ? f + 1.0 : f;
    }
    case Rounding::Stochastic: {
      const double f = std::floor(v);
      return (v - f) > u ? f + 1.0 : f;
    }
  }
  return std::nearbyint(v);
}

/// Uniform [0, 1) draw for element `index` under `seed` (splitmix64), so stochastic rounding is
/// reproducible and independent of thread scheduling.
inline double stochasticDraw(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

/// One element: the clipped code and whether round(x/s) + b fell outside [L, U] before clipping.
struct ElementCode {
  std::int64_t code;
  bool saturated;
};

/// The §2 element map for finite x (the arithmetic every implementation must match).
inline ElementCode quantizeElement(float x, const PartParams& p, Rounding r, double u = 0.0) {
  const double v = roundWith(static_cast<double>(x) / p.scale, r, u) + static_cast<double>(p.zeroPoint);
  if (v < static_cast<double>(p.clipLow)) return {p.clipLow, true};
  if (v > static_cast<double>(p.clipHigh)) return {p.clipHigh, true};
  return {static_cast<std::int64_t>(v), false};
}

/// The §2 dequantization: s·(n − b) in double, stored as float32.
inline float dequantizeElement(std::int64_t code, const PartParams& p) {
  return static_cast<float>(p.scale * static_cast<double>(code - p.zeroPoint));
}

/// −1 when the grid is longer at the top (L < 0 < U, U > −L: llama.cpp's negative d, see
/// CodeArithmetic::Ggml), else +1.
inline int ggmlMirror(const PartParams& p) {
  return p.clipLow < 0 && p.clipHigh > -p.clipLow ? -1 : 1;
}

/// One element under CodeArithmetic::Ggml (b = 0): the code in Quench's orientation (s > 0) and
/// the reconstruction llama.cpp's dequantizer gives, d'·n' in fp32 with d' = ±s_stored.
struct GgmlElement {
  std::int64_t code;
  bool saturated;
  float reconstruction;
};
inline GgmlElement quantizeElementGgml(float x, const PartParams& p, Rounding r, double u = 0.0) {
  const int sigma = ggmlMirror(p);
  const float d = static_cast<float>(p.codeScale > 0 ? p.codeScale : p.scale);  // |d|, unrounded fp32
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  float t = x * id;  // fl32, as llama.cpp's x·id; the mirror negates exactly
  if (sigma < 0) t = -t;
  const std::int64_t lo = sigma < 0 ? -p.clipHigh : p.clipLow, hi = sigma < 0 ? -p.clipLow : p.clipHigh;
  double v = 0;
  if (std::isnan(t)) {
    v = 0;
  } else if (r == Rounding::HalfUp) {
    // llama.cpp's offset codes: (int)(t + o + ½) with the sum rounded to fp32 (o = −lo).
    const float shifted = t + (static_cast<float>(-lo) + 0.5f);
    v = std::floor(static_cast<double>(shifted)) + static_cast<double>(lo);
  } else {
    v = roundWith(static_cast<double>(t), r, u);
  }
  GgmlElement e{};
  e.saturated = v < static_cast<double>(lo) || v > static_cast<double>(hi);
  const auto n = static_cast<std::int64_t>(std::clamp(v, static_cast<double>(lo), static_cast<double>(hi)));
  e.code = sigma * n;
  e.reconstruction = static_cast<float>(static_cast<double>(sigma) * p.scale * static_cast<double>(n));
  return e;
}

/// The integer widths Quench quantizes to: 2..8 or 16 bits.
constexpr bool validIntegerBits(int bits) { return (bits >= 2 && bits <= 8) || bits == 16; }

/// A clip range [lo, hi] (lo ≤ hi) is storable in k-bit codes when it has at most 2^k levels
/// (codeBits ≤ k; the offset of the window is free: [−7, 8] is Q4_0's 4-bit grid). The error says
/// "[lo, hi] has N levels, more than a k-bit code holds (2^k)".
Status clipFitsBits(std::int64_t lo, std::int64_t hi, int bits);

/// Checks bits ∈ {2..8, 16}, calibration settings and overrides (scale > 0 and finite, L ≤ U,
/// codes fit int32, override indices < partCount).
Status validateIntegerParams(const IntegerParams& params, std::size_t partCount);

/// Calibrates every part (or takes its overrides) and returns the parameters actually used.
/// `x` must be finite.
Result<std::vector<PartParams>> integerPartParams(std::span<const float> x, const Partition& partition,
                                                  const IntegerParams& params, const Work& work = {});

/// Quantizes `x` (length partition.numel(), finite: NaN/Inf is an error naming the first bad
/// index) with calibrated or hand-typed parameters. Reports per part and in total; bits per
/// parameter = (k·numel + parts·(scale bits + k zero-point bits when asymmetric)) / numel.
Result<QuantResult> quantizeInteger(std::span<const float> x, const Partition& partition,
                                    const IntegerParams& params, const Work& work = {});

/// What quantizeIntegerInto writes besides the reconstruction, the saturation flags and the report.
struct IntegerOutputs {
  /// false: out.codes is left empty; a view that shows only x~ and its figures (the GUI after a
  /// parameter change) saves writing 4 bytes per element.
  bool codes = true;
};

/// quantizeInteger writing into `out`, reusing its buffers: re-quantizing a tensor of the same
/// size after a parameter change allocates nothing. On error `out` is unspecified.
/// out.total.reconstructionMin/Max give a histogram of x~ its automatic range without a pass.
Status quantizeIntegerInto(QuantResult& out, std::span<const float> x, const Partition& partition,
                           const IntegerParams& params, const Work& work = {}, IntegerOutputs outputs = {});

/// Quantizes with fully explicit parameters, one PartParams per part (the textbook calculator).
/// Scales are used as given (round them with storeScale first; quantizeInteger does). Storage
/// per part: ⌈log2(U − L + 1)⌉ bits per element, one scale in `scaleFormat`, and as many bits
/// again for the zero point when `storesZeroPoint`.
Result<QuantResult> quantizeWithParams(std::span<const float> x, const Partition& partition,
                                       std::span<const PartParams> parts, Rounding rounding,
                                       ScaleFormat scaleFormat, bool storesZeroPoint,
                                       std::uint64_t seed = 0, const Work& work = {});

/// Bits of one code for the grid [L, U]: ⌈log2(U − L + 1)⌉ (k for both k-bit grids).
int codeBits(const PartParams& p);

}  // namespace quench
