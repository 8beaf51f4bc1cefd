#include "core/quant/awq.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace quench {

std::vector<double> awqScales(std::span<const double> meanAbs, double alpha) {
  std::vector<double> s(meanAbs.size());
  for (std::size_t j = 0; j < s.size(); ++j) s[j] = std::max(std::pow(meanAbs[j], alpha), 1e-4);
  if (s.empty()) return s;
  const auto [mn, mx] = std::minmax_element(s.begin(), s.end());
  const double norm = std::sqrt(*mx * *mn);
  for (double& v : s) v /= norm;
  return s;
}

namespace {
// Ŵ(α) into `res` (codes of W·diag(s), reconstruction already divided back by s).
Status quantizeScaled(std::span<const float> w, std::size_t cols, std::span<const double> s, const Partition& partition,
                      const IntegerParams& ip, const Work& work, std::vector<float>& scaled, QuantResult& res) {
  scaled.resize(w.size());
  for (std::size_t k = 0; k < w.size(); ++k)
    scaled[k] = static_cast<float>(static_cast<double>(w[k]) * s[k % cols]);
  if (Status st = quantizeIntegerInto(res, scaled, partition, ip, work); !st) return st;
  for (std::size_t k = 0; k < w.size(); ++k)
    res.reconstruction[k] = static_cast<float>(static_cast<double>(res.reconstruction[k]) / s[k % cols]);
  return {};
}
}  // namespace

Status awqQuantize(std::span<const float> w, std::size_t rows, std::size_t cols, const aware::Activations& x,
                   const Partition& partition, const IntegerParams& ip, std::optional<double> alpha,
                   QuantResult& out, AwareReport& report, const Work& work) {
  const std::vector<double> a = aware::columnMeanAbs(x);
  std::vector<double> alphas;
  if (alpha) alphas.push_back(*alpha);
  else
    for (int i = 0; i < 20; ++i) alphas.push_back(static_cast<double>(i) / 20.0);
  std::vector<float> scaled;
  std::vector<double> d(w.size());
  QuantResult cand;
  double best = std::numeric_limits<double>::infinity();
  report.alphaCurve.clear();
  for (double al : alphas) {
    if (work.cancelled()) return makeError("awq: cancelled");
    const std::vector<double> s = awqScales(a, al);
    if (Status st = quantizeScaled(w, cols, s, partition, ip, work, scaled, cand); !st) return st;
    for (std::size_t k = 0; k < w.size(); ++k)
      d[k] = static_cast<double>(w[k]) - static_cast<double>(cand.reconstruction[k]);
    const double e = aware::outputErrorSum(x, d, rows);
    report.alphaCurve.emplace_back(al, e / static_cast<double>(x.tokens));
    if (e < best) {  // strict: ties keep the smallest α
      best = e;
      report.alpha = al;
      report.smoothing = s;
      std::swap(out, cand);
    }
  }
  report.layerOutputError = best / static_cast<double>(x.tokens);
  // Figures of Ŵ against W (the quantizer's own were against W·diag(s)).
  std::vector<PartParams> params;
  for (const PartReport& p : out.parts) params.push_back(p.params);
  aware::finishReport(out, w, partition, params, ip.bits, aware::integerMetaBits(ip));
  return {};
}

}  // namespace quench
