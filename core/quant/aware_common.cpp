#include "core/quant/aware_common.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "core/exec/parallel.h"
#include "core/quant/scale_format.h"

namespace quench::aware {

namespace {
// Tokens converted to double per GEMM call: bounds the scratch to chunk × in doubles.
constexpr std::size_t kChunk = 1024;

Status checkFiniteValues(std::span<const float> v, std::string_view step, const std::string& what) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      return stepError(step, what + " element " + std::to_string(i) + " is " + (std::isnan(v[i]) ? "NaN" : "infinite") +
                                 "; the aware steps need finite data");
  return {};
}
}  // namespace

Error stepError(std::string_view step, const std::string& message, std::string path) {
  return makeError(std::string(step) + ": " + message, std::move(path));
}

Result<std::pair<std::size_t, std::size_t>> checkWeight(const FloatTensor& w, std::string_view step) {
  if (w.shape.size() != 2)
    return stepError(step, "the weight must be a matrix W (out × in), got rank " + std::to_string(w.shape.size()));
  const auto rows = static_cast<std::size_t>(w.shape[0]), cols = static_cast<std::size_t>(w.shape[1]);
  if (rows == 0 || cols == 0) return stepError(step, "the weight is empty");
  if (Status s = checkFiniteValues(w.values, step, "weight"); !s) return s.error();
  return std::pair{rows, cols};
}

Result<Activations> checkActivations(const FloatTensor& x, std::size_t in, std::string_view step) {
  if (x.shape.size() < 2)
    return stepError(step, "the activations must be X (tokens × " + std::to_string(in) + "), got rank " +
                               std::to_string(x.shape.size()),
                     "activations");
  const auto features = static_cast<std::size_t>(x.shape.back());
  if (features != in)
    return stepError(step, "the activations have " + std::to_string(features) + " features, the weight has " +
                               std::to_string(in) + " input columns (X must be tokens × in)",
                     "activations");
  if (x.values.empty()) return stepError(step, "the activations have no tokens", "activations");
  if (Status s = checkFiniteValues(x.values, step, "activations:"); !s) return Error{s.error().message, "activations", {}, {}};
  return Activations{x.values.data(), x.values.size() / in, in};
}

std::vector<double> gram(const Activations& a, double alpha) {
  const std::size_t n = a.features;
  std::vector<double> g(n * n, 0.0), buf;
  for (std::size_t t0 = 0; t0 < a.tokens; t0 += kChunk) {
    const std::size_t c = std::min(kChunk, a.tokens - t0);
    buf.assign(a.x + t0 * n, a.x + (t0 + c) * n);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(n), static_cast<int>(c), alpha, buf.data(),
                static_cast<int>(n), 1.0, g.data(), static_cast<int>(n));
  }
  return g;
}

namespace {
template <class F>
std::vector<double> columnReduce(const Activations& a, F f, bool mean) {
  std::vector<double> out(a.features, 0.0);
  for (std::size_t t = 0; t < a.tokens; ++t) {
    const float* row = a.x + t * a.features;
    for (std::size_t j = 0; j < a.features; ++j) out[j] = f(out[j], static_cast<double>(row[j]));
  }
  if (mean)
    for (double& v : out) v /= static_cast<double>(a.tokens);
  return out;
}
}  // namespace

std::vector<double> columnMeanSquares(const Activations& a) {
  return columnReduce(a, [](double acc, double x) { return acc + x * x; }, true);
}
std::vector<double> columnMeanAbs(const Activations& a) {
  return columnReduce(a, [](double acc, double x) { return acc + std::abs(x); }, true);
}
std::vector<double> columnMaxAbs(const Activations& a) {
  return columnReduce(a, [](double acc, double x) { return std::max(acc, std::abs(x)); }, false);
}

void gemmNT(std::size_t m, std::size_t n, std::size_t k, const double* a, const double* b, double* c) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
              1.0, a, static_cast<int>(k), b, static_cast<int>(k), 0.0, c, static_cast<int>(n));
}

double outputErrorSum(const Activations& a, std::span<const double> d, std::size_t rows) {
  const std::size_t n = a.features;
  std::vector<double> buf, y;
  double sum = 0;
  for (std::size_t t0 = 0; t0 < a.tokens; t0 += kChunk) {
    const std::size_t c = std::min(kChunk, a.tokens - t0);
    buf.assign(a.x + t0 * n, a.x + (t0 + c) * n);
    y.resize(c * rows);
    gemmNT(c, rows, n, buf.data(), d.data(), y.data());
    for (double v : y) sum += v * v;
  }
  return sum;
}

double layerOutputError(const Activations& a, std::span<const float> w, std::span<const float> wh, std::size_t rows) {
  std::vector<double> d(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) d[i] = static_cast<double>(w[i]) - static_cast<double>(wh[i]);
  return outputErrorSum(a, d, rows) / static_cast<double>(a.tokens);
}

ElementResult quantizeValue(double w, const PartParams& p, const IntegerParams& ip, std::uint64_t flatIndex) {
  const double u = ip.rounding == Rounding::Stochastic ? stochasticDraw(ip.seed, flatIndex) : 0.0;
  if (ip.arithmetic == CodeArithmetic::Ggml) {
    const GgmlElement e = quantizeElementGgml(static_cast<float>(w), p, ip.rounding, u);
    return {e.code, e.saturated, e.reconstruction};
  }
  const double v = roundWith(w / p.scale, ip.rounding, u) + static_cast<double>(p.zeroPoint);
  ElementResult r{};
  if (v < static_cast<double>(p.clipLow)) r = {p.clipLow, true, 0.0f};
  else if (v > static_cast<double>(p.clipHigh)) r = {p.clipHigh, true, 0.0f};
  else r = {static_cast<std::int64_t>(v), false, 0.0f};
  r.recon = dequantizeElement(r.code, p);
  return r;
}

Result<PartParams> calibratePart(std::span<const float> values, const IntegerParams& ip, std::size_t part) {
  auto c = calibrate(values, ip.calibration, ip.bits, ip.symmetric, ip.scaleFormat, ip.rounding);
  if (!c) return c.error();
  PartParams p = c->params;
  if (ip.arithmetic == CodeArithmetic::Ggml) {
    // As quantizeInteger: llama.cpp stores fp16/fp32 of the fp32 d (two roundings).
    const double d = p.codeScale > 0 ? p.codeScale : p.scale;
    p.scale = storeScale(static_cast<double>(static_cast<float>(d)), ip.scaleFormat);
  }
  if (auto it = ip.overrides.find(part); it != ip.overrides.end()) {
    const PartOverride& o = it->second;
    if (o.scale) {
      p.codeScale = *o.scale;
      p.scale = storeScale(*o.scale, ip.scaleFormat);
    }
    if (o.zeroPoint) p.zeroPoint = *o.zeroPoint;
    if (o.clipLow) p.clipLow = *o.clipLow;
    if (o.clipHigh) p.clipHigh = *o.clipHigh;
  }
  return p;
}

double integerMetaBits(const IntegerParams& ip) {
  return scaleFormatBits(ip.scaleFormat) + (ip.symmetric ? 0 : ip.bits);
}

void finishReport(QuantResult& out, std::span<const float> original, const Partition& partition,
                  const std::vector<PartParams>& params, int codeBits, double metaBits) {
  const std::size_t parts = partition.partCount();
  out.parts.assign(parts, PartReport{});
  const std::span<const float> recon = out.reconstruction;
  const std::span<const std::uint8_t> sat = out.saturated;
  exec::parallelFor(0, parts, 1, [&](exec::Range r) {
    std::vector<float> bx, br;
    std::vector<std::uint8_t> bs;
    for (std::size_t j = r.begin; j < r.end; ++j) {
      bx.clear();
      br.clear();
      bs.clear();
      partition.forEachIndex(j, [&](std::int64_t i) {
        const auto k = static_cast<std::size_t>(i);
        bx.push_back(original[k]);
        br.push_back(recon[k]);
        bs.push_back(sat.empty() ? 0 : sat[k]);
      });
      PartReport& rep = out.parts[j];
      rep.size = bx.size();
      rep.params = params[j];
      rep.figures = computeErrorFigures(bx, br, bs);
      rep.saturated = rep.figures.saturated;
      setStorage(rep.figures, static_cast<double>(bx.size()) * codeBits + metaBits);
    }
  });
  out.total = computeErrorFigures(original, recon, sat);
  setStorage(out.total, static_cast<double>(original.size()) * codeBits + static_cast<double>(parts) * metaBits);
}

}  // namespace quench::aware
