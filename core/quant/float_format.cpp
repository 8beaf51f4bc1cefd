#include "core/quant/float_format.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "core/exec/parallel.h"

namespace quench {

int FloatFormat::maxExponent() const {
  const int topField = (1 << exponentBits) - 1;
  // IEEE-like formats reserve the top exponent field for inf/NaN.
  return (nanEncoding == NanEncoding::Ieee ? topField - 1 : topField) - bias;
}
double FloatFormat::minSubnormal() const { return std::ldexp(1.0, 1 - bias - mantissaBits); }
double FloatFormat::minNormal() const { return std::ldexp(1.0, 1 - bias); }

namespace {

FloatFormat build(std::string name, int e, int m, NanEncoding nan) {
  FloatFormat f;
  f.name = std::move(name);
  f.exponentBits = e;
  f.mantissaBits = m;
  f.bias = (1 << (e - 1)) - 1;
  f.nanEncoding = nan;
  f.hasInf = nan == NanEncoding::Ieee;
  // Largest mantissa of the top finite binade: all ones, except for AllOnes-NaN formats where
  // S.1…1.1…1 is NaN and the largest finite mantissa is one below it.
  const double ulp = std::ldexp(1.0, -m);
  const double topMantissa = nan == NanEncoding::AllOnes ? 2.0 - 2.0 * ulp : 2.0 - ulp;
  f.maxFinite = std::ldexp(topMantissa, f.maxExponent());
  return f;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

// Exponent E of the binade holding a > 0: a = f·2^E with f ∈ [1, 2).
int binadeExponent(double a) {
  int ex = 0;
  std::frexp(a, &ex);
  return ex - 1;
}

std::uint16_t infCode(const FloatFormat& f) {
  return static_cast<std::uint16_t>(((1u << f.exponentBits) - 1u) << f.mantissaBits);
}

// Bit pattern (without sign) of a magnitude v that is exactly representable and ≤ maxFinite.
std::uint16_t magnitudeCode(const FloatFormat& f, double v) {
  if (v == 0) return 0;
  if (v < f.minNormal()) return static_cast<std::uint16_t>(v / f.minSubnormal());
  const int e = binadeExponent(v);
  const auto mant = static_cast<std::uint32_t>(std::ldexp(v, f.mantissaBits - e)) - (1u << f.mantissaBits);
  return static_cast<std::uint16_t>((static_cast<std::uint32_t>(e + f.bias) << f.mantissaBits) | mant);
}

// Core conversion on a double input; the public encodeFloat takes a float. `x` may be any double
// (MX scaling produces x/2^k exactly in double).
FloatEncoded encodeDouble(const FloatFormat& f, double x, Rounding rounding, std::uint64_t seed,
                          std::uint64_t index, bool saturateAlways) {
  const std::uint16_t signBit = static_cast<std::uint16_t>(1u << (f.exponentBits + f.mantissaBits));
  FloatEncoded r;
  if (std::isnan(x)) {
    r.outcome = FloatOutcome::NanInput;
    switch (f.nanEncoding) {
      case NanEncoding::Ieee:
        r.code = static_cast<std::uint16_t>(infCode(f) | (1u << (f.mantissaBits - 1)));
        r.value = std::numeric_limits<double>::quiet_NaN();
        break;
      case NanEncoding::AllOnes:
        r.code = static_cast<std::uint16_t>(signBit - 1u);
        r.value = std::numeric_limits<double>::quiet_NaN();
        break;
      case NanEncoding::None:
        r.code = 0;
        r.value = 0;
        break;
    }
    return r;
  }
  const bool neg = std::signbit(x);
  const std::uint16_t sign = neg ? signBit : 0;
  const double a = std::fabs(x);
  auto saturate = [&](FloatOutcome outcome) {
    r.outcome = outcome;
    r.code = sign | magnitudeCode(f, f.maxFinite);
    r.value = neg ? -f.maxFinite : f.maxFinite;
    return r;
  };
  auto infinity = [&](FloatOutcome outcome) {
    r.outcome = outcome;
    r.code = sign | infCode(f);
    r.value = neg ? -INFINITY : INFINITY;
    return r;
  };
  if (std::isinf(a)) return f.hasInf && !saturateAlways ? infinity(FloatOutcome::InfInput) : saturate(FloatOutcome::InfInput);

  // Quantum (ulp) of the binade of a; the subnormal range shares the quantum of the first normal
  // binade. t = a/q is exact: q is a power of two and a has at most 53 significant bits.
  const double q = a < f.minNormal() ? f.minSubnormal() : std::ldexp(1.0, binadeExponent(a) - f.mantissaBits);
  const double t = a / q;
  const double lo = std::floor(t);
  const double frac = t - lo;  // exact
  bool up = false;
  switch (rounding) {
    case Rounding::HalfEven: up = frac > 0.5 || (frac == 0.5 && std::fmod(lo, 2.0) != 0.0); break;
    case Rounding::HalfAwayFromZero: up = frac >= 0.5; break;
    case Rounding::TowardZero: up = false; break;
    case Rounding::HalfUp: up = neg ? frac > 0.5 : frac >= 0.5; break;  // ties toward +∞
    case Rounding::Stochastic: up = frac > 0 && counterUniform(seed, index) < frac; break;
  }
  const double v = (up ? lo + 1.0 : lo) * q;  // exact; may be the first value of the next binade
  if (v > f.maxFinite) {
    if (f.hasInf && rounding != Rounding::TowardZero && !saturateAlways) return infinity(FloatOutcome::Overflow);
    return saturate(FloatOutcome::Saturated);
  }
  r.outcome = FloatOutcome::Finite;
  r.code = sign | magnitudeCode(f, v);
  r.value = neg ? -v : v;
  return r;
}

}  // namespace

Result<FloatFormat> makeFloatFormat(int e, int m) {
  if (e < 1 || e > 8 || m < 0 || m > 15 || 1 + e + m > 16)
    return makeError("float format E" + std::to_string(e) + "M" + std::to_string(m) +
                     ": need 1 ≤ e ≤ 8, 0 ≤ m and 1 + e + m ≤ 16 bits");
  if (e == 4 && m == 3) return float_formats::e4m3();
  if (e == 5 && m == 2) return float_formats::e5m2();
  if (e == 5 && m == 10) return float_formats::fp16();
  if (e == 8 && m == 7) return float_formats::bf16();
  const std::string name = "e" + std::to_string(e) + "m" + std::to_string(m);
  if (e >= 5) {
    if (m == 0) return makeError("float format " + name + ": an IEEE-like format (e ≥ 5) needs m ≥ 1 for NaN");
    return build(name, e, m, NanEncoding::Ieee);
  }
  return build(name, e, m, NanEncoding::None);
}

Result<FloatFormatSpec> FloatFormatSpec::parse(std::string_view text) {
  auto f = parseFloatFormat(text);
  if (!f) return f.error();
  return FloatFormatSpec{std::string(text), std::move(*f)};
}

Result<FloatFormat> parseFloatFormat(std::string_view text) {
  const std::string s = lower(text);
  if (s == "fp16" || s == "f16" || s == "half") return float_formats::fp16();
  if (s == "bf16") return float_formats::bf16();
  if (s == "e4m3" || s == "fp8_e4m3" || s == "e4m3fn" || s == "fp8_e4m3fn") return float_formats::e4m3();
  if (s == "e5m2" || s == "fp8_e5m2") return float_formats::e5m2();
  if (s == "e3m2" || s == "fp6_e3m2") return float_formats::e3m2();
  if (s == "e2m3" || s == "fp6_e2m3") return float_formats::e2m3();
  if (s == "e2m1" || s == "fp4_e2m1" || s == "fp4") return float_formats::e2m1();
  // eXmY
  const auto mpos = s.find('m');
  if (s.size() >= 4 && s[0] == 'e' && mpos != std::string::npos && mpos > 1 && mpos + 1 < s.size()) {
    int e = -1, m = -1;
    const char* b = s.data();
    auto r1 = std::from_chars(b + 1, b + mpos, e);
    auto r2 = std::from_chars(b + mpos + 1, b + s.size(), m);
    if (r1.ec == std::errc{} && r1.ptr == b + mpos && r2.ec == std::errc{} && r2.ptr == b + s.size())
      return makeFloatFormat(e, m);
  }
  return makeError("float format \"" + std::string(text) +
                   "\": unknown (expected fp16, bf16, e4m3, e5m2, e3m2, e2m3, e2m1 or eXmY)");
}

namespace float_formats {
FloatFormat fp16() { return build("fp16", 5, 10, NanEncoding::Ieee); }
FloatFormat bf16() { return build("bf16", 8, 7, NanEncoding::Ieee); }
FloatFormat e4m3() { return build("e4m3", 4, 3, NanEncoding::AllOnes); }
FloatFormat e5m2() { return build("e5m2", 5, 2, NanEncoding::Ieee); }
FloatFormat e3m2() { return build("e3m2", 3, 2, NanEncoding::None); }
FloatFormat e2m3() { return build("e2m3", 2, 3, NanEncoding::None); }
FloatFormat e2m1() { return build("e2m1", 2, 1, NanEncoding::None); }
}  // namespace float_formats

double counterUniform(std::uint64_t seed, std::uint64_t index) {
  // Two rounds of the SplitMix64 finalizer over a Weyl sequence position: a counter-based
  // generator, so element i's draw needs no state from elements 0..i−1.
  auto mix = [](std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  const std::uint64_t z = mix(mix(seed + 0x9e3779b97f4a7c15ull) + index * 0x9e3779b97f4a7c15ull);
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

FloatEncoded encodeFloat(const FloatFormat& f, float x, Rounding rounding, std::uint64_t seed,
                         std::uint64_t index, bool saturateAlways) {
  return encodeDouble(f, static_cast<double>(x), rounding, seed, index, saturateAlways);
}

double decodeFloat(const FloatFormat& f, std::uint16_t code) {
  const int e = f.exponentBits, m = f.mantissaBits;
  const bool neg = (code >> (e + m)) & 1u;
  const std::uint32_t field = (code >> m) & ((1u << e) - 1u);
  const std::uint32_t mant = code & ((1u << m) - 1u);
  const std::uint32_t top = (1u << e) - 1u;
  double v;
  if (f.nanEncoding == NanEncoding::Ieee && field == top)
    v = mant == 0 ? INFINITY : std::numeric_limits<double>::quiet_NaN();
  else if (f.nanEncoding == NanEncoding::AllOnes && field == top && mant == (1u << m) - 1u)
    v = std::numeric_limits<double>::quiet_NaN();
  else if (field == 0)
    v = static_cast<double>(mant) * f.minSubnormal();
  else
    v = std::ldexp(1.0 + std::ldexp(static_cast<double>(mant), -m), static_cast<int>(field) - f.bias);
  return neg ? -v : v;
}

int mxScaleExponent(const FloatFormat& elem, double amax) {
  if (!(amax > 0) || !std::isfinite(amax)) return -127;
  return std::clamp(binadeExponent(amax) - elem.maxExponent(), -127, 127);
}

double floatBitsPerParam(const FloatQuantParams& p) {
  const double bits = p.format.bits();
  return p.mxScale && p.mxBlockSize > 0 ? bits + 8.0 / static_cast<double>(p.mxBlockSize) : bits;
}

Result<FloatQuantResult> quantizeFloat(std::span<const float> x, const FloatQuantParams& p, const Work& work) {
  const FloatFormat& f = p.format;
  if (f.exponentBits < 1 || f.exponentBits > 8 || f.mantissaBits < 0 || f.bits() > 16)
    return makeError("float quantization: format \"" + f.name + "\" is not a valid E<e>M<m> (≤ 16 bits)");
  if (p.mxScale && p.mxBlockSize == 0) return makeError("float quantization: MX block size must be ≥ 1");
  const std::size_t n = x.size();
  const std::size_t block = p.mxScale ? p.mxBlockSize : std::max<std::size_t>(n, 1);
  const std::size_t nBlocks = n == 0 ? 0 : (n + block - 1) / block;

  FloatQuantResult r;
  r.reconstruction.resize(n);
  r.codes.resize(n);
  r.saturated.resize(n);
  if (p.mxScale) r.scaleCodes.resize(nBlocks);
  std::vector<std::uint8_t> outcome(n);
  std::vector<double> blockScale(nBlocks, 1.0);

  // Work is split into chunks of whole blocks; every element's result depends only on its block
  // and its index, so the output is the same for any thread count.
  const std::size_t blocksPerChunk = std::max<std::size_t>(1, 16384 / block);
  std::atomic<std::size_t> done{0};
  exec::parallelFor(0, nBlocks, blocksPerChunk, [&](exec::Range range) {
    if (work.cancelled()) return;
    for (std::size_t b = range.begin; b != range.end; ++b) {
      const std::size_t lo = b * block, hi = std::min(n, lo + block);
      double scale = 1.0;
      if (p.mxScale) {
        double amax = 0;
        for (std::size_t i = lo; i < hi; ++i)
          if (std::isfinite(x[i])) amax = std::max(amax, std::fabs(static_cast<double>(x[i])));
        const int k = mxScaleExponent(f, amax);
        r.scaleCodes[b] = static_cast<std::uint8_t>(k + 127);
        scale = std::ldexp(1.0, k);
      }
      blockScale[b] = scale;
      for (std::size_t i = lo; i < hi; ++i) {
        const FloatEncoded e = encodeDouble(f, static_cast<double>(x[i]) / scale, p.rounding, p.seed, i, p.mxScale);
        r.codes[i] = e.code;
        r.reconstruction[i] = static_cast<float>(e.value * scale);
        r.saturated[i] = e.outcome == FloatOutcome::Saturated;  // ±inf inputs are counted as inf
        outcome[i] = static_cast<std::uint8_t>(e.outcome);
      }
    }
    const std::size_t d = done.fetch_add(range.size()) + range.size();
    work.report(static_cast<double>(d), static_cast<double>(nBlocks));
  });
  if (work.cancelled()) return makeError("float quantization: cancelled");

  for (std::size_t i = 0; i < n; ++i) {
    const auto o = static_cast<FloatOutcome>(outcome[i]);
    r.overflowed += o == FloatOutcome::Overflow;
    r.flushedToZero += o == FloatOutcome::Finite && x[i] != 0.0f && r.reconstruction[i] == 0.0f;
  }
  const double bits = f.bits();
  const std::int64_t codeMax = (std::int64_t{1} << f.bits()) - 1;
  r.parts.resize(nBlocks);
  exec::parallelFor(0, nBlocks, blocksPerChunk, [&](exec::Range range) {
    for (std::size_t b = range.begin; b != range.end; ++b) {
      const std::size_t lo = b * block, hi = std::min(n, lo + block);
      PartReport& part = r.parts[b];
      part.size = hi - lo;
      part.params = PartParams{blockScale[b], 0, 0, codeMax};
      part.figures = computeErrorFigures(x.subspan(lo, hi - lo),
                                         std::span<const float>(r.reconstruction).subspan(lo, hi - lo),
                                         std::span<const std::uint8_t>(r.saturated).subspan(lo, hi - lo));
      part.saturated = part.figures.saturated;
      setStorage(part.figures, bits * static_cast<double>(hi - lo) + (p.mxScale ? 8.0 : 0.0));
    }
  });
  r.total = computeErrorFigures(x, r.reconstruction, r.saturated);
  setStorage(r.total, bits * static_cast<double>(n) + (p.mxScale ? 8.0 * static_cast<double>(nBlocks) : 0.0));
  return r;
}

}  // namespace quench
