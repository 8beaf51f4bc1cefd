#include "core/quant/calibrate.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "core/quant/integer.h"
#include "core/quant/scale_format.h"
#include "core/simd/quant_kernels.h"

namespace quench {

Result<Calibration> parseCalibration(std::string_view spec) {
  Calibration c;
  if (spec == "absmax") c.method = CalibrationMethod::AbsMax;
  else if (spec == "minmax") c.method = CalibrationMethod::MinMax;
  else if (spec == "mse") c.method = CalibrationMethod::Mse;
  else if (spec == "entropy") c.method = CalibrationMethod::Entropy;
  else if (spec == "signed-max") c.method = CalibrationMethod::SignedMax;
  else if (spec.starts_with("percentile:")) {
    const std::string_view num = spec.substr(11);
    double p = 0;
    const auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), p);
    if (ec != std::errc() || ptr != num.data() + num.size() || !(p > 0 && p <= 100))
      return makeError("calibration: bad percentile in '" + std::string(spec) + "' (expected percentile:P, 0 < P ≤ 100)");
    c.method = CalibrationMethod::Percentile;
    c.percentile = p;
  } else {
    return makeError("calibration: unknown calibrator '" + std::string(spec) +
                     "' (expected absmax, minmax, percentile:P, mse, entropy or signed-max)");
  }
  return c;
}

std::string calibrationSpec(const Calibration& c) {
  switch (c.method) {
    case CalibrationMethod::AbsMax: return "absmax";
    case CalibrationMethod::MinMax: return "minmax";
    case CalibrationMethod::Mse: return "mse";
    case CalibrationMethod::Entropy: return "entropy";
    case CalibrationMethod::SignedMax: return "signed-max";
    case CalibrationMethod::Percentile: {
      char buf[64];
      const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, c.percentile);  // shortest round-trip
      return "percentile:" + std::string(buf, ptr);
    }
  }
  return "absmax";
}

std::pair<std::int64_t, std::int64_t> integerGrid(int bits, bool symmetric) {
  if (symmetric) {
    const std::int64_t m = (std::int64_t{1} << (bits - 1)) - 1;
    return {-m, m};
  }
  return {0, (std::int64_t{1} << bits) - 1};
}

double percentileLinear(std::span<float> a, double p) {
  const std::size_t n = a.size();
  const double h = (p / 100.0) * static_cast<double>(n - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(lo), a.end());
  const double va = a[lo];
  if (lo + 1 >= n) return va;
  const double vb = *std::min_element(a.begin() + static_cast<std::ptrdiff_t>(lo) + 1, a.end());
  const double t = h - static_cast<double>(lo);
  // NumPy's _lerp: a + (b − a)·t, evaluated from b for t ≥ 0.5 (monotone and exact at t = 1).
  // NumPy subtracts in the array's dtype (float32), then lerps in float64.
  const float fdiff = static_cast<float>(vb) - static_cast<float>(va);
  const double diff = fdiff;
  return t >= 0.5 ? vb - diff * (1.0 - t) : va + diff * t;
}

namespace {

// Parameters for the clip range [lo, hi] (MATH.md §2), scale rounded to its storage format.
PartParams paramsForRange(double lo, double hi, int bits, bool symmetric, ScaleFormat fmt) {
  const auto [L, U] = integerGrid(bits, symmetric);
  PartParams p;
  p.clipLow = L;
  p.clipHigh = U;
  if (symmetric) {
    const double c = std::max(std::abs(lo), std::abs(hi));
    p.codeScale = c > 0 ? c / static_cast<double>(U) : 1.0;
    p.scale = storeScale(p.codeScale, fmt);
    p.zeroPoint = 0;
  } else {
    double width = hi - lo;
    double s = width / static_cast<double>(U - L);
    if (!(width > 0)) s = std::abs(lo) > 0 ? std::abs(lo) : 1.0;  // constant part: exact reconstruction
    p.codeScale = s;
    p.scale = storeScale(s, fmt);
    p.zeroPoint = static_cast<std::int64_t>(std::nearbyint(-lo / p.scale));
  }
  return p;
}

double sumSquaredError(std::span<const float> x, const PartParams& p, Rounding r) {
  if (r == Rounding::HalfEven) {
    // The SIMD kernel is bit-identical to the element map (core/simd/quant_kernels.h); scratch
    // buffers are per thread because calibration runs parts in parallel.
    thread_local std::vector<std::int32_t> codes;
    thread_local std::vector<float> recon;
    codes.resize(x.size());
    recon.resize(x.size());
    const simd::AffineParams ap{p.scale, p.zeroPoint, p.clipLow, p.clipHigh};
    simd::quantizeAffine(x.data(), x.size(), ap, codes.data(), recon.data(), nullptr);
    return simd::errorSums(x.data(), recon.data(), x.size()).sumErr2;
  }
  double sum = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto q = quantizeElement(x[i], p, r, r == Rounding::Stochastic ? stochasticDraw(0, i) : 0.0);
    const double e = static_cast<double>(x[i]) - static_cast<double>(dequantizeElement(q.code, p));
    sum += e * e;
  }
  return sum;
}

// TensorRT-style entropy calibration (MATH.md §2). Returns the chosen threshold and the curve.
double entropyThreshold(std::span<const float> x, double amax, int bits,
                        std::vector<std::pair<double, double>>& curve) {
  std::vector<double> hist(kEntropyBins, 0.0);
  const double perUnit = kEntropyBins / amax;
  for (float v : x) {
    const auto b = static_cast<std::size_t>(std::abs(static_cast<double>(v)) * perUnit);
    hist[std::min<std::size_t>(b, kEntropyBins - 1)] += 1.0;
  }
  const int levels = 1 << (bits - 1);  // 2^(k−1) quantized magnitudes
  std::vector<double> p(kEntropyBins), q(kEntropyBins);
  std::vector<double> tailFrom(kEntropyBins + 1, 0.0);  // tailFrom[i] = mass of bins ≥ i
  for (int i = kEntropyBins - 1; i >= 0; --i) tailFrom[i] = tailFrom[i + 1] + hist[i];
  double bestKl = std::numeric_limits<double>::infinity();
  int bestCut = kEntropyBins;
  curve.clear();
  for (int i = kEntropyFirstCut; i <= kEntropyBins; ++i) {
    // Reference: bins[0:i], everything beyond folded into bin i − 1.
    std::copy_n(hist.begin(), i, p.begin());
    p[i - 1] += tailFrom[i];
    // Candidate: the in-range bins[0:i] (WITHOUT the folded tail: that mass is what clipping
    // loses) merged into `levels` levels of ⌊i/levels⌋ bins (the last level takes the
    // remainder), each level's mass spread uniformly over the non-empty bins of the reference.
    // Merging the reference itself would make cut 128 lossless (KL = 0) and always chosen.
    const int nLevels = std::min(levels, i);
    const int perLevel = i / nLevels;
    double inRange = 0;
    for (int j = 0; j < nLevels; ++j) {
      const int start = j * perLevel, stop = j == nLevels - 1 ? i : start + perLevel;
      double mass = 0;
      int nonEmpty = 0;
      for (int b = start; b < stop; ++b) {
        mass += hist[b];
        nonEmpty += p[b] > 0;
      }
      inRange += mass;
      for (int b = start; b < stop; ++b) q[b] = p[b] > 0 ? mass / nonEmpty : 0.0;
    }
    // KL of the normalized pmfs (reference total = numel, candidate total = in-range mass),
    // 0·log 0 = 0, +Inf where the candidate is 0 and the reference is not (never chosen then).
    const double total = static_cast<double>(x.size());
    double kl = 0;
    for (int b = 0; b < i; ++b) {
      if (p[b] <= 0) continue;
      if (q[b] <= 0) {
        kl = std::numeric_limits<double>::infinity();
        break;
      }
      kl += (p[b] / total) * std::log((p[b] / total) / (q[b] / inRange));
    }
    const double threshold = static_cast<double>(i) * amax / kEntropyBins;  // upper edge of the last kept bin
    curve.emplace_back(threshold, kl);
    if (kl < bestKl) {
      bestKl = kl;
      bestCut = i;
    }
  }
  return static_cast<double>(bestCut) * amax / kEntropyBins;
}

}  // namespace

Result<CalibrationResult> calibrate(std::span<const float> x, const Calibration& calibration, int bits,
                                    bool symmetric, ScaleFormat scaleFormat, Rounding rounding) {
  CalibrationResult out;
  if (calibration.method == CalibrationMethod::SignedMax) {
    if (!symmetric) return makeError("calibration: signed-max needs a symmetric grid (b = 0)");
    // The first value of largest magnitude, scanned in order with a strict > (llama.cpp's Q4_0).
    float m = 0.0f;
    for (float v : x)
      if (std::abs(v) > std::abs(m)) m = v;
    const auto half = static_cast<std::int64_t>(1) << (bits - 1);
    PartParams& p = out.params;
    p.clipLow = m < 0 ? -half : -(half - 1);
    p.clipHigh = m < 0 ? half - 1 : half;
    p.zeroPoint = 0;
    p.codeScale = m != 0 ? std::abs(static_cast<double>(m)) / static_cast<double>(half) : 1.0;
    p.scale = storeScale(p.codeScale, scaleFormat);
    out.rangeLow = p.codeScale * static_cast<double>(p.clipLow);
    out.rangeHigh = p.codeScale * static_cast<double>(p.clipHigh);
    return out;
  }
  if (x.empty()) {
    out.params = paramsForRange(0, 0, bits, symmetric, scaleFormat);
    return out;
  }
  const auto [fmn, fmx] = simd::minMax(x.data(), x.size());
  const double mn = fmn, mx = fmx;
  const double amax = std::max(std::abs(mn), std::abs(mx));
  double lo = -amax, hi = amax;
  switch (calibration.method) {
    case CalibrationMethod::AbsMax:
    case CalibrationMethod::SignedMax: break;
    case CalibrationMethod::MinMax:
      lo = mn;
      hi = mx;
      break;
    case CalibrationMethod::Percentile: {
      std::vector<float> a(x.begin(), x.end());
      if (symmetric) {
        for (float& v : a) v = std::abs(v);
        hi = percentileLinear(a, calibration.percentile);
        if (hi == 0) hi = amax;  // mostly-zero part: fall back to absmax rather than a zero scale
        lo = -hi;
      } else {
        hi = percentileLinear(a, calibration.percentile);
        lo = percentileLinear(a, 100.0 - calibration.percentile);
        if (!(hi > lo)) {
          lo = mn;
          hi = mx;
        }
      }
      break;
    }
    case CalibrationMethod::Mse: {
      if (calibration.mseCandidates < 1) return makeError("calibration: MSE grid needs at least 1 candidate");
      // Candidates: the range scaled by i/G, i = G..1 (symmetric: [−c, c] with c = amax·i/G;
      // asymmetric: [min·i/G, max·i/G]). Ties keep the wider range (fewer saturated elements).
      const int g = calibration.mseCandidates;
      double best = std::numeric_limits<double>::infinity();
      for (int i = g; i >= 1; --i) {
        const double f = static_cast<double>(i) / g;
        const double cl = symmetric ? -amax * f : mn * f, ch = symmetric ? amax * f : mx * f;
        const double err = sumSquaredError(x, paramsForRange(cl, ch, bits, symmetric, scaleFormat), rounding);
        if (err < best) {
          best = err;
          lo = cl;
          hi = ch;
        }
      }
      break;
    }
    case CalibrationMethod::Entropy: {
      if (amax > 0) {
        const double t = entropyThreshold(x, amax, bits, out.klCurve);
        lo = -t;
        hi = t;
      }
      break;
    }
  }
  out.rangeLow = lo;
  out.rangeHigh = hi;
  out.params = paramsForRange(lo, hi, bits, symmetric, scaleFormat);
  return out;
}

Result<CalibrationResult> calibrateWeightedMse(std::span<const float> x, std::span<const double> weights, int bits,
                                               bool symmetric, ScaleFormat scaleFormat, Rounding rounding,
                                               int candidates) {
  if (weights.size() != x.size()) return makeError("calibration: one importance weight per value is needed");
  if (candidates < 1) return makeError("calibration: MSE grid needs at least 1 candidate");
  CalibrationResult out;
  if (x.empty()) {
    out.params = paramsForRange(0, 0, bits, symmetric, scaleFormat);
    return out;
  }
  const auto [fmn, fmx] = simd::minMax(x.data(), x.size());
  const double mn = fmn, mx = fmx;
  const double amax = std::max(std::abs(mn), std::abs(mx));
  double lo = symmetric ? -amax : mn, hi = symmetric ? amax : mx;
  double best = std::numeric_limits<double>::infinity();
  for (int i = candidates; i >= 1; --i) {
    const double f = static_cast<double>(i) / candidates;
    const double cl = symmetric ? -amax * f : mn * f, ch = symmetric ? amax * f : mx * f;
    const PartParams p = paramsForRange(cl, ch, bits, symmetric, scaleFormat);
    double err = 0;
    for (std::size_t k = 0; k < x.size(); ++k) {
      const auto q = quantizeElement(x[k], p, rounding, rounding == Rounding::Stochastic ? stochasticDraw(0, k) : 0.0);
      const double e = static_cast<double>(x[k]) - static_cast<double>(dequantizeElement(q.code, p));
      err += weights[k] * e * e;
    }
    if (err < best) {
      best = err;
      lo = cl;
      hi = ch;
    }
  }
  out.rangeLow = lo;
  out.rangeHigh = hi;
  out.params = paramsForRange(lo, hi, bits, symmetric, scaleFormat);
  return out;
}

}  // namespace quench
