#include "core/quant/integer.h"

#include <atomic>
#include <functional>
#include <cmath>
#include <limits>
#include <string>

#include "core/exec/parallel.h"
#include "core/quant/scale_format.h"
#include "core/simd/quant_kernels.h"

namespace quench {

namespace {

// First non-finite element, as an error that says what to do about it.
Status checkFinite(std::span<const float> x) {
  // Fast path: a parallel SIMD count; only a tensor that has non-finite values is walked again.
  const std::uint64_t bad = exec::parallelReduce(
      0, x.size(), 1 << 16, std::uint64_t{0},
      [&](exec::Range r, std::uint64_t acc) {
        return acc + simd::countNonFinite(x.data() + r.begin, r.size());
      },
      std::plus<>());
  if (bad == 0) return {};
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      std::size_t bad = 0;
      for (float v : x) bad += !std::isfinite(v);
      return makeError("quantize: element " + std::to_string(i) + " is " + (std::isnan(x[i]) ? "NaN" : "infinite") +
                       " (" + std::to_string(bad) + " non-finite values); integer quantization needs finite data");
    }
  }
  return {};
}

Status validatePart(const PartParams& p, std::size_t j) {
  if (!(p.scale > 0) || !std::isfinite(p.scale))
    return makeError("quantize: part " + std::to_string(j) + ": scale must be positive and finite, got " +
                     std::to_string(p.scale));
  if (p.clipLow > p.clipHigh)
    return makeError("quantize: part " + std::to_string(j) + ": clip range [" + std::to_string(p.clipLow) + ", " +
                     std::to_string(p.clipHigh) + "] is empty");
  constexpr std::int64_t kMin = std::numeric_limits<std::int32_t>::min(), kMax = std::numeric_limits<std::int32_t>::max();
  if (p.clipLow < kMin || p.clipHigh > kMax)
    return makeError("quantize: part " + std::to_string(j) + ": clip range must fit 32-bit codes");
  return {};
}

}  // namespace

int codeBits(const PartParams& p) {
  const auto levels = static_cast<std::uint64_t>(p.clipHigh - p.clipLow) + 1;
  int b = 0;
  while (b < 64 && (std::uint64_t{1} << b) < levels) ++b;
  return b;
}

Status clipFitsBits(std::int64_t lo, std::int64_t hi, int bits) {
  const auto levels = static_cast<std::uint64_t>(hi - lo) + 1;
  const std::uint64_t capacity = std::uint64_t{1} << bits;
  if (levels <= capacity) return {};
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on the chained operator+.
  std::string message = "[";
  message.append(std::to_string(lo)).append(", ").append(std::to_string(hi)).append("] has ");
  message.append(std::to_string(levels)).append(" levels, more than a ").append(std::to_string(bits));
  message.append("-bit code holds (").append(std::to_string(capacity)).append(")");
  return makeError(message);
}

Status validateIntegerParams(const IntegerParams& params, std::size_t partCount) {
  // Paths name the recipe key at fault ("bits", "overrides[17].scale") for the GUI and the CLI.
  if (!validIntegerBits(params.bits))
    return makeError("quantize: bits must be 2..8 or 16, got " + std::to_string(params.bits), "bits");
  const auto& c = params.calibration;
  if (c.method == CalibrationMethod::Percentile && !(c.percentile > 0 && c.percentile <= 100))
    return makeError("quantize: percentile must be in (0, 100], got " + std::to_string(c.percentile), "calib");
  if (c.method == CalibrationMethod::Mse && c.mseCandidates < 1)
    return makeError("quantize: the MSE search needs at least one candidate", "calib");
  if (c.method == CalibrationMethod::SignedMax && !params.symmetric)
    return makeError("quantize: the signed-max calibrator needs a symmetric grid (b = 0)", "calib");
  if (params.arithmetic == CodeArithmetic::Ggml && !params.symmetric)
    return makeError("quantize: ggml arithmetic (llama.cpp's Q8_0/Q4_0 codes) needs a symmetric grid (b = 0)",
                     "arithmetic");
  for (const auto& [j, o] : params.overrides) {
    const std::string part = "overrides[" + std::to_string(j) + "]";
    if (j >= partCount)
      return makeError("quantize: override for part " + std::to_string(j) + " but there are only " +
                           std::to_string(partCount) + " parts",
                       part);
    if (o.scale && (!(*o.scale > 0) || !std::isfinite(*o.scale)))
      return makeError("quantize: part " + std::to_string(j) + ": scale must be positive and finite", part + ".scale");
    if (o.clipLow && o.clipHigh && *o.clipLow > *o.clipHigh)
      return makeError("quantize: part " + std::to_string(j) + ": clip low exceeds clip high", part + ".clip_low");
    if (o.clipLow || o.clipHigh) {
      // The clip range (a bound not given is the grid's) must be storable in k-bit codes.
      const auto [gridLow, gridHigh] = integerGrid(params.bits, params.symmetric);
      const std::int64_t lo = o.clipLow.value_or(gridLow), hi = o.clipHigh.value_or(gridHigh);
      const std::string at = part + (o.clipLow ? ".clip_low" : ".clip_high");
      if (lo > hi) return makeError("quantize: part " + std::to_string(j) + ": clip low exceeds clip high", at);
      if (Status s = clipFitsBits(lo, hi, params.bits); !s)
        return makeError("quantize: part " + std::to_string(j) + ": clip " + s.error().message, at);
    }
    if (params.arithmetic == CodeArithmetic::Ggml && o.zeroPoint && *o.zeroPoint != 0)
      return makeError("quantize: part " + std::to_string(j) + ": ggml arithmetic has no zero point", part + ".zero");
  }
  return {};
}

namespace {
// llama.cpp stores fp16(d) of the fp32 d (two roundings); the exact arithmetic rounds the double
// scale once. Ggml arithmetic rounds twice, literally (for absmax/127 and signed-max/2^(k−1) the
// two agree anyway: a quotient by 127 cannot land on an fp16 midpoint after fp32 rounding).
void storeLikeGgml(PartParams& p, const IntegerParams& params) {
  if (params.arithmetic != CodeArithmetic::Ggml) return;
  const double d = p.codeScale > 0 ? p.codeScale : p.scale;
  p.scale = storeScale(static_cast<double>(static_cast<float>(d)), params.scaleFormat);
}

// integerPartParams, optionally with the finiteness check fused into the per-part pass (the part
// is counted while it is in cache, right before calibration reads it again): one pass over the
// tensor instead of two. The error is the one checkFinite gives, so quantizeIntegerInto reports
// the same message either way.
Result<std::vector<PartParams>> partParams(std::span<const float> x, const Partition& partition,
                                           const IntegerParams& params, const Work& work, bool checkFiniteToo) {
  if (static_cast<std::int64_t>(x.size()) != partition.numel())
    return makeError("quantize: partition covers " + std::to_string(partition.numel()) + " elements, tensor has " +
                     std::to_string(x.size()));
  if (Status s = validateIntegerParams(params, partition.partCount()); !s) return s.error();
  const std::size_t parts = partition.partCount();
  std::vector<PartParams> out(parts);
  std::vector<std::string> errors(parts);
  std::atomic<bool> failed{false}, nonFinite{false};
  exec::parallelFor(0, parts, 1, [&](exec::Range r) {
    std::vector<float> buf;
    for (std::size_t j = r.begin; j < r.end && !work.cancelled(); ++j) {
      const auto size = static_cast<std::size_t>(partition.partSize(j));
      std::span<const float> values;
      if (partition.isStrided() && (partition.run(j).stride == 1 || size == 1)) {
        values = x.subspan(static_cast<std::size_t>(partition.run(j).start), size);  // contiguous: no copy
      } else {
        buf.resize(size);
        partition.gather(j, x, buf.data());
        values = buf;
      }
      if (checkFiniteToo && simd::countNonFinite(values.data(), values.size()) != 0) {
        nonFinite = true;
        continue;
      }
      auto c = calibrate(values, params.calibration, params.bits, params.symmetric, params.scaleFormat, params.rounding);
      if (!c) {
        errors[j] = c.error().message;
        failed = true;
        continue;
      }
      PartParams p = c->params;
      storeLikeGgml(p, params);
      if (auto it = params.overrides.find(j); it != params.overrides.end()) {
        const PartOverride& o = it->second;
        if (o.scale) {
          p.codeScale = *o.scale;
          p.scale = storeScale(*o.scale, params.scaleFormat);
        }
        if (o.zeroPoint) p.zeroPoint = *o.zeroPoint;
        if (o.clipLow) p.clipLow = *o.clipLow;
        if (o.clipHigh) p.clipHigh = *o.clipHigh;
      }
      out[j] = p;
    }
  });
  // A non-finite value is reported before anything else, as when checkFinite runs first
  // (a cancelled pass may not have seen it: check the whole tensor then).
  if (checkFiniteToo && (nonFinite || work.cancelled()))
    if (Status s = checkFinite(x); !s) return s.error();
  if (work.cancelled()) return makeError("quantize: cancelled");
  if (failed)
    for (const auto& e : errors)
      if (!e.empty()) return makeError(e);
  return out;
}
}  // namespace

Result<std::vector<PartParams>> integerPartParams(std::span<const float> x, const Partition& partition,
                                                  const IntegerParams& params, const Work& work) {
  return partParams(x, partition, params, work, false);
}

namespace {
// Scratch for gathering a strided part (per task, reused across its parts).
struct PartScratch {
  std::vector<float> bx, br;
  std::vector<std::uint8_t> bs;
};

// Quantizes part j of x into res (buffers already sized) and fills res.parts[j] and acc (its
// error sums, merged into the total afterwards).
void quantizePart(QuantResult& res, std::span<const float> x, const Partition& partition, std::size_t j,
                  const PartParams& p, Rounding rounding, CodeArithmetic arithmetic, ScaleFormat scaleFormat,
                  bool storesZeroPoint, std::uint64_t seed, ErrorAccumulator& acc, PartScratch& scratch) {
  std::uint64_t sat = 0;
  const bool contiguous = partition.isStrided() && (partition.run(j).stride == 1 || partition.run(j).count == 1);
  const StridedRun run = contiguous ? partition.run(j) : StridedRun{};
  const auto size = static_cast<std::size_t>(partition.partSize(j));
  // Contiguous parts with half-even rounding go through the SIMD kernel (bit-identical to the
  // scalar §2 map, see core/simd/quant_kernels.h); everything else through quantizeElement.
  if (arithmetic == CodeArithmetic::Ggml) {
    partition.forEachIndex(j, [&](std::int64_t i) {
      const auto k = static_cast<std::size_t>(i);
      const double u = rounding == Rounding::Stochastic ? stochasticDraw(seed, k) : 0.0;
      const GgmlElement e = quantizeElementGgml(x[k], p, rounding, u);
      if (!res.codes.empty()) res.codes[k] = static_cast<std::int32_t>(e.code);
      res.reconstruction[k] = e.reconstruction;
      res.saturated[k] = e.saturated;
      sat += e.saturated;
    });
  } else if (contiguous && rounding == Rounding::HalfEven) {
    const simd::AffineParams ap{p.scale, p.zeroPoint, p.clipLow, p.clipHigh};
    sat = simd::quantizeAffine(x.data() + run.start, size, ap, res.codes.empty() ? nullptr : res.codes.data() + run.start,
                               res.reconstruction.data() + run.start, res.saturated.data() + run.start);
  } else {
    partition.forEachIndex(j, [&](std::int64_t i) {
      const auto k = static_cast<std::size_t>(i);
      const double u = rounding == Rounding::Stochastic ? stochasticDraw(seed, k) : 0.0;
      const ElementCode c = quantizeElement(x[k], p, rounding, u);
      if (!res.codes.empty()) res.codes[k] = static_cast<std::int32_t>(c.code);
      res.reconstruction[k] = dequantizeElement(c.code, p);
      res.saturated[k] = c.saturated;
      sat += c.saturated;
    });
  }
  PartReport& rep = res.parts[j];
  if (contiguous) {
    const auto at = static_cast<std::size_t>(run.start);
    acc.add(x.subspan(at, size), std::span(res.reconstruction).subspan(at, size),
            std::span(res.saturated).subspan(at, size));
  } else {
    scratch.bx.resize(size);
    scratch.br.resize(size);
    scratch.bs.resize(size);
    partition.gather(j, x, scratch.bx.data());
    partition.gather(j, res.reconstruction, scratch.br.data());
    std::size_t m = 0;
    partition.forEachIndex(j, [&](std::int64_t i) { scratch.bs[m++] = res.saturated[static_cast<std::size_t>(i)]; });
    acc.add(scratch.bx, scratch.br, scratch.bs);
  }
  rep.figures = acc.figures();
  rep.size = size;
  rep.params = p;
  rep.saturated = sat;
  const int cb = codeBits(p);
  setStorage(rep.figures, static_cast<double>(size) * cb + scaleFormatBits(scaleFormat) + (storesZeroPoint ? cb : 0));
}

void sizeBuffers(QuantResult& res, std::size_t n, std::size_t parts, bool codes = true) {
  res.reconstruction.resize(n);
  if (codes) res.codes.resize(n);
  else res.codes.clear();
  res.saturated.resize(n);
  res.parts.resize(parts);
}

// The total: per-part sums merged in part order, storage summed over parts.
void finishTotal(QuantResult& res, std::span<const ErrorAccumulator> acc, ScaleFormat scaleFormat,
                 bool storesZeroPoint) {
  ErrorAccumulator total;
  for (const ErrorAccumulator& a : acc) total.merge(a);
  res.total = total.figures();
  double bits = 0;
  for (const PartReport& rep : res.parts) {
    const int cb = codeBits(rep.params);
    bits += static_cast<double>(rep.size) * cb + scaleFormatBits(scaleFormat) + (storesZeroPoint ? cb : 0);
  }
  setStorage(res.total, bits);
}

// The quantizer proper; writes into `res`, reusing its buffers when their sizes already match.
Status quantizeCore(QuantResult& res, std::span<const float> x, const Partition& partition,
                    std::span<const PartParams> parts, Rounding rounding, CodeArithmetic arithmetic, ScaleFormat scaleFormat,
                    bool storesZeroPoint, std::uint64_t seed, const Work& work, bool finiteChecked,
                    bool codes = true) {
  if (static_cast<std::int64_t>(x.size()) != partition.numel())
    return makeError("quantize: partition covers " + std::to_string(partition.numel()) + " elements, tensor has " +
                     std::to_string(x.size()));
  if (parts.size() != partition.partCount())
    return makeError("quantize: " + std::to_string(parts.size()) + " parameter sets for " +
                     std::to_string(partition.partCount()) + " parts");
  for (std::size_t j = 0; j < parts.size(); ++j)
    if (Status s = validatePart(parts[j], j); !s) return s.error();
  if (!finiteChecked)
    if (Status s = checkFinite(x); !s) return s.error();
  sizeBuffers(res, x.size(), parts.size(), codes);
  // Per-part error sums, merged afterwards into the total (no second pass over the tensor).
  std::vector<ErrorAccumulator> acc(parts.size());
  exec::parallelFor(0, parts.size(), 1, [&](exec::Range r) {
    PartScratch scratch;
    for (std::size_t j = r.begin; j < r.end && !work.cancelled(); ++j)
      quantizePart(res, x, partition, j, parts[j], rounding, arithmetic, scaleFormat, storesZeroPoint, seed, acc[j],
                   scratch);
  });
  if (work.cancelled()) return makeError("quantize: cancelled");
  finishTotal(res, acc, scaleFormat, storesZeroPoint);
  return {};
}

// Calibration, finiteness check and quantization of each contiguous part in one visit while the
// part is in cache (the tensor is read once instead of twice). Only without overrides, with
// valid parameters and a strided partition whose parts are all contiguous; the caller uses the
// two-step path otherwise. Every error is the one the two-step path gives, in its order:
// non-finite data, then calibration errors (first part), then invalid parts (first part); `res`
// is unspecified after an error, as quantizeIntegerInto documents.
Status quantizeFused(QuantResult& res, std::span<const float> x, const Partition& partition,
                     const IntegerParams& params, const Work& work, bool codes) {
  const std::size_t parts = partition.partCount();
  sizeBuffers(res, x.size(), parts, codes);
  std::vector<ErrorAccumulator> acc(parts);
  std::vector<std::string> calErrors(parts), partErrors(parts);
  std::atomic<bool> failed{false}, nonFinite{false};
  const bool storesZeroPoint = !params.symmetric;
  exec::parallelFor(0, parts, 1, [&](exec::Range r) {
    PartScratch scratch;
    for (std::size_t j = r.begin; j < r.end && !work.cancelled(); ++j) {
      const std::span<const float> values =
          x.subspan(static_cast<std::size_t>(partition.run(j).start), static_cast<std::size_t>(partition.partSize(j)));
      if (simd::countNonFinite(values.data(), values.size()) != 0) {
        nonFinite = true;
        continue;
      }
      auto c = calibrate(values, params.calibration, params.bits, params.symmetric, params.scaleFormat, params.rounding);
      if (!c) {
        calErrors[j] = c.error().message;
        failed = true;
        continue;
      }
      storeLikeGgml(c->params, params);
      if (Status s = validatePart(c->params, j); !s) {
        partErrors[j] = s.error().message;
        failed = true;
        continue;
      }
      quantizePart(res, x, partition, j, c->params, params.rounding, params.arithmetic, params.scaleFormat,
                   storesZeroPoint, params.seed,
                   acc[j], scratch);
    }
  });
  if (nonFinite || work.cancelled())
    if (Status s = checkFinite(x); !s) return s;
  if (work.cancelled()) return makeError("quantize: cancelled");
  if (failed) {
    for (const auto& e : calErrors)
      if (!e.empty()) return makeError(e);
    for (const auto& e : partErrors)
      if (!e.empty()) return makeError(e);
  }
  finishTotal(res, acc, params.scaleFormat, storesZeroPoint);
  return {};
}

bool fusable(std::span<const float> x, const Partition& partition, const IntegerParams& params) {
  if (static_cast<std::int64_t>(x.size()) != partition.numel() || !params.overrides.empty() ||
      !partition.isStrided() || !validateIntegerParams(params, partition.partCount()))
    return false;
  for (std::size_t j = 0; j < partition.partCount(); ++j)
    if (partition.run(j).stride != 1 && partition.run(j).count != 1) return false;
  return true;
}
}  // namespace

Result<QuantResult> quantizeWithParams(std::span<const float> x, const Partition& partition,
                                       std::span<const PartParams> parts, Rounding rounding,
                                       ScaleFormat scaleFormat, bool storesZeroPoint, std::uint64_t seed,
                                       const Work& work) {
  QuantResult res;
  if (Status s = quantizeCore(res, x, partition, parts, rounding, CodeArithmetic::Exact, scaleFormat, storesZeroPoint,
                              seed, work, false);
      !s)
    return s.error();
  return res;
}

Status quantizeIntegerInto(QuantResult& out, std::span<const float> x, const Partition& partition,
                           const IntegerParams& params, const Work& work, IntegerOutputs outputs) {
  if (fusable(x, partition, params)) return quantizeFused(out, x, partition, params, work, outputs.codes);
  // Errors found before the per-part pass (sizes, parameters) come after a non-finite value, as
  // when the check ran first: check the whole tensor in that case only.
  if (static_cast<std::int64_t>(x.size()) != partition.numel() || !validateIntegerParams(params, partition.partCount()))
    if (Status s = checkFinite(x); !s) return s;
  auto parts = partParams(x, partition, params, work, true);
  if (!parts) return parts.error();
  return quantizeCore(out, x, partition, *parts, params.rounding, params.arithmetic, params.scaleFormat,
                      !params.symmetric, params.seed, work, true, outputs.codes);
}

Result<QuantResult> quantizeInteger(std::span<const float> x, const Partition& partition,
                                    const IntegerParams& params, const Work& work) {
  QuantResult res;
  if (Status s = quantizeIntegerInto(res, x, partition, params, work); !s) return s.error();
  return res;
}

}  // namespace quench
