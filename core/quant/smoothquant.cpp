#include "core/quant/smoothquant.h"

#include <algorithm>
#include <cmath>

#include "core/quant/scale_format.h"

namespace quench {

std::vector<double> smoothQuantScales(std::span<const double> xMax, std::span<const double> wMax, double alpha) {
  std::vector<double> s(xMax.size(), 1.0);
  for (std::size_t j = 0; j < s.size(); ++j)
    if (xMax[j] > 0 && wMax[j] > 0) s[j] = std::pow(xMax[j], alpha) / std::pow(wMax[j], 1.0 - alpha);
  return s;
}

void quantizeTokenInt8(std::span<const float> x, std::span<float> out) {
  double amax = 0;
  for (float v : x) amax = std::max(amax, std::abs(static_cast<double>(v)));
  const PartParams p{amax > 0 ? storeScale(amax / 127.0, ScaleFormat::FP32) : 1.0, 0, -127, 127};
  for (std::size_t j = 0; j < x.size(); ++j)
    out[j] = dequantizeElement(quantizeElement(x[j], p, Rounding::HalfEven).code, p);
}

double w8a8OutputError(const aware::Activations& x, std::span<const float> w, std::span<const float> wq,
                       std::size_t rows, std::span<const double> s) {
  const std::size_t in = x.features;
  constexpr std::size_t kChunk = 512;
  std::vector<double> wd(w.begin(), w.end()), wqd(wq.begin(), wq.end());
  std::vector<double> xc, xqc, y, yq;
  std::vector<float> xs(in), xq(in);
  double sum = 0;
  for (std::size_t t0 = 0; t0 < x.tokens; t0 += kChunk) {
    const std::size_t c = std::min(kChunk, x.tokens - t0);
    xc.resize(c * in);
    xqc.resize(c * in);
    for (std::size_t t = 0; t < c; ++t) {
      const float* row = x.x + (t0 + t) * in;
      for (std::size_t j = 0; j < in; ++j) {
        xc[t * in + j] = row[j];
        xs[j] = s.empty() ? row[j] : static_cast<float>(static_cast<double>(row[j]) / s[j]);
      }
      quantizeTokenInt8(xs, xq);
      for (std::size_t j = 0; j < in; ++j) xqc[t * in + j] = xq[j];
    }
    y.resize(c * rows);
    yq.resize(c * rows);
    aware::gemmNT(c, rows, in, xc.data(), wd.data(), y.data());
    aware::gemmNT(c, rows, in, xqc.data(), wqd.data(), yq.data());
    for (std::size_t k = 0; k < y.size(); ++k) sum += (y[k] - yq[k]) * (y[k] - yq[k]);
  }
  return sum / static_cast<double>(x.tokens);
}

Status smoothQuantQuantize(std::span<const float> w, std::size_t rows, std::size_t cols, const aware::Activations& x,
                           const Partition& partition, const IntegerParams& ip, double alpha, QuantResult& out,
                           AwareReport& report, const Work& work) {
  const std::vector<double> xMax = aware::columnMaxAbs(x);
  std::vector<double> wMax(cols, 0.0);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) wMax[j] = std::max(wMax[j], std::abs(static_cast<double>(w[i * cols + j])));
  const std::vector<double> s = smoothQuantScales(xMax, wMax, alpha);
  std::vector<float> scaled(w.size());
  for (std::size_t k = 0; k < w.size(); ++k) scaled[k] = static_cast<float>(static_cast<double>(w[k]) * s[k % cols]);
  if (Status st = quantizeIntegerInto(out, scaled, partition, ip, work); !st) return st;
  report.layerOutputError = w8a8OutputError(x, w, out.reconstruction, rows, s);
  // Without smoothing: the same grid on W itself, X per token.
  QuantResult rtn;
  if (Status st = quantizeIntegerInto(rtn, w, partition, ip, work); !st) return st;
  report.layerOutputErrorRtn = w8a8OutputError(x, w, rtn.reconstruction, rows, {});
  for (std::size_t k = 0; k < w.size(); ++k)
    out.reconstruction[k] = static_cast<float>(static_cast<double>(out.reconstruction[k]) / s[k % cols]);
  std::vector<PartParams> params;
  for (const PartReport& p : out.parts) params.push_back(p.params);
  aware::finishReport(out, w, partition, params, ip.bits, aware::integerMetaBits(ip));
  report.alpha = alpha;
  report.smoothing = s;
  return {};
}

}  // namespace quench
