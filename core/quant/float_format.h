#pragma once
// Low-precision floating-point formats E<e>M<m> (MATH.md §3): format tables, exact rounding of a
// float to the nearest representable value, bit-pattern codes, and an optional MX-style shared
// power-of-two block scale.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/exec/progress.h"
#include "core/quant/types.h"
#include "core/tensor/result.h"

namespace quench {

/// How the top exponent field of a format is used.
enum class NanEncoding {
  Ieee,     ///< top exponent field is reserved: mantissa 0 = ±inf, anything else NaN (FP16, BF16, E5M2)
  AllOnes,  ///< only S.1…1.1…1 is NaN, the rest of the top binade is finite, no inf (OCP E4M3)
  None,     ///< every code is a finite number, no inf, no NaN (OCP MX FP6/FP4)
};

/// A sign + e exponent bits + m mantissa bits format with subnormals. Values are
/// (−1)^s · 2^(E − bias) · (1 + M/2^m) for exponent field E ≥ 1 and (−1)^s · 2^(1 − bias) · M/2^m
/// for E = 0. Codes are the bit patterns, sign in bit e + m.
struct FloatFormat {
  std::string name;       ///< "e4m3", "fp16", ... (lower case, as parseFloatFormat accepts it)
  int exponentBits = 0;   ///< e, 1..8
  int mantissaBits = 0;   ///< m ≥ 0 with 1 + e + m ≤ 16, so codes fit a uint16
  int bias = 0;           ///< 2^(e−1) − 1 for every named format
  bool hasInf = false;    ///< overflow under nearest-even goes to ±inf instead of saturating
  NanEncoding nanEncoding = NanEncoding::None;
  double maxFinite = 0;   ///< largest finite magnitude

  int bits() const { return 1 + exponentBits + mantissaBits; }
  /// Unbiased exponent of the smallest normal binade: 1 − bias.
  int minNormalExponent() const { return 1 - bias; }
  /// Unbiased exponent of the binade holding maxFinite (the OCP MX "emax_elem").
  int maxExponent() const;
  /// Smallest positive (subnormal) magnitude 2^(1 − bias − m).
  double minSubnormal() const;
  /// Smallest positive normal magnitude 2^(1 − bias).
  double minNormal() const;
};

/// Build E<e>M<m> with bias 2^(e−1) − 1. Named formats keep their own conventions (e4m3 is OCP
/// "fn", e5m2 IEEE-like); any other combination is IEEE-like (inf/NaN in the top binade) when
/// e ≥ 5 and all-finite (OCP MX style: no inf, no NaN, saturating) when e ≤ 4.
/// Errors when e ∉ [1, 8], m ∉ [0, 15] or 1 + e + m > 16.
Result<FloatFormat> makeFloatFormat(int exponentBits, int mantissaBits);
/// Parse "fp16|bf16|e4m3|e5m2|e3m2|e2m3|e2m1|eXmY" (case-insensitive; "fp8_e4m3", "fp6_e3m2",
/// "fp4_e2m1"/"fp4" also accepted).
Result<FloatFormat> parseFloatFormat(std::string_view name);

namespace float_formats {
FloatFormat fp16();  ///< IEEE binary16: max 65504, inf/NaN
FloatFormat bf16();  ///< bfloat16: max 3.3895314e38, inf/NaN
FloatFormat e4m3();  ///< OCP FP8 E4M3 (fn): max 448, no inf, only S.1111.111 is NaN
FloatFormat e5m2();  ///< OCP FP8 E5M2: max 57344, IEEE-like inf/NaN
FloatFormat e3m2();  ///< OCP MX FP6 E3M2: max 28, all finite
FloatFormat e2m3();  ///< OCP MX FP6 E2M3: max 7.5, all finite
FloatFormat e2m1();  ///< OCP MX FP4 E2M1: ±{0, 0.5, 1, 1.5, 2, 3, 4, 6}, all finite
}  // namespace float_formats

/// A format as recipes and the CLI name it, parsed once. The spelling is kept as written ("E4M3",
/// "fp8_e4m3"), so a recipe writes back exactly what it read; equal when spelled alike.
struct FloatFormatSpec {
  std::string text = "e4m3";
  FloatFormat format = float_formats::e4m3();  ///< parseFloatFormat(text)

  static Result<FloatFormatSpec> parse(std::string_view text);
  friend bool operator==(const FloatFormatSpec& a, const FloatFormatSpec& b) { return a.text == b.text; }
};


/// What happened to one value.
enum class FloatOutcome : std::uint8_t {
  Finite,      ///< rounded to a finite value within range
  Saturated,   ///< the rounded magnitude exceeded maxFinite and was clamped to ±maxFinite
  Overflow,    ///< the rounded magnitude exceeded maxFinite and became ±inf (formats with inf)
  InfInput,    ///< the input was ±inf (kept as inf where the format has it, else saturated)
  NanInput,    ///< the input was NaN (NaN code where the format has one, else +0)
};

/// One converted value: its bit pattern, its value (exactly representable in double) and outcome.
struct FloatEncoded {
  std::uint16_t code = 0;
  double value = 0;
  FloatOutcome outcome = FloatOutcome::Finite;
};

/// Round x to the format. Rules:
/// - the magnitude is rounded on the quantum of its binade (2^(E − m), or 2^(1 − bias − m) in
///   the subnormal range), with unbounded exponent range, in exact double arithmetic, by
///   `rounding`: HalfEven (IEEE default), HalfAwayFromZero, TowardZero (truncate the magnitude),
///   or Stochastic (up when u < frac, u uniform [0,1) from counterUniform(seed, index): the result
///   depends only on (x, seed, index), never on threads or order);
/// - a rounded magnitude above maxFinite becomes ±inf for formats with inf under every mode but
///   TowardZero (so under HalfEven every |x| ≥ max + ½ulp overflows, IEEE semantics), and is
///   clamped to ±maxFinite otherwise (TowardZero never overflows; formats without inf saturate);
///   `saturateAlways` forces clamping (MX elements);
/// - NaN becomes the format's NaN (positive quiet: top exponent, top mantissa bit; S.1111.111
///   for e4m3) or +0 for formats without NaN; ±inf stays ±inf or saturates to ±maxFinite;
/// - −0 keeps its sign bit; a nonzero value may round to ±0 (underflow), keeping its sign.
FloatEncoded encodeFloat(const FloatFormat& f, float x, Rounding rounding = Rounding::HalfEven,
                         std::uint64_t seed = 0, std::uint64_t index = 0, bool saturateAlways = false);
/// Value of a code (bits above the format's width are ignored). NaN codes give NaN.
double decodeFloat(const FloatFormat& f, std::uint16_t code);
/// Uniform [0, 1) double from (seed, index): SplitMix64-style finalizer of a counter, 53 bits.
double counterUniform(std::uint64_t seed, std::uint64_t index);

/// Parameters of a whole-tensor float conversion.
struct FloatQuantParams {
  FloatFormat format;
  Rounding rounding = Rounding::HalfEven;
  std::uint64_t seed = 0;          ///< for Stochastic
  bool mxScale = false;            ///< shared power-of-two E8M0 scale per block (OCP MX)
  std::size_t mxBlockSize = 32;    ///< elements per MX block (consecutive in memory)
};

/// Result of quantizeFloat: the shared QuantResult (codes = bit patterns, saturated = per element
/// clamped to ±maxFinite, parts = one per MX block with scale 2^k, or a single part with scale 1)
/// plus what only float formats have. Figures exclude non-finite inputs (counted instead).
struct FloatQuantResult : QuantResult {
  std::vector<std::uint8_t> scaleCodes;  ///< E8M0 codes per MX block (scale 2^(code − 127)); empty without MX
  std::uint64_t overflowed = 0;          ///< finite inputs that became ±inf
  std::uint64_t flushedToZero = 0;       ///< nonzero finite inputs that became ±0
};

/// Storage cost in bits per parameter: 1 + e + m, plus 8/mxBlockSize with an MX scale.
double floatBitsPerParam(const FloatQuantParams& params);

/// MX shared scale exponent for a block with finite absmax `amax` (OCP MX v1.0 §6.3):
/// floor(log2(amax)) − emax_elem, clamped to the E8M0 range [−127, 127]; −127 for amax = 0.
int mxScaleExponent(const FloatFormat& elem, double amax);

/// Convert every element of x to the format (MATH.md §3), optionally with an MX block scale:
/// per block X = 2^mxScaleExponent, element codes = encode(x / X) with saturation (MX elements
/// never overflow to inf), reconstruction = X · value. Multithreaded (TBB), deterministic.
Result<FloatQuantResult> quantizeFloat(std::span<const float> x, const FloatQuantParams& params,
                                       const Work& work = {});

}  // namespace quench
