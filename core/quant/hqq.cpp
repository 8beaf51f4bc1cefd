#include "core/quant/hqq.h"


#include <cmath>
#include <limits>

#include "core/exec/parallel.h"
#include "core/quant/scale_format.h"

namespace quench {

namespace {
// NumPy's pairwise summation (np.sum / np.mean of a contiguous float64 vector), to the last bit:
// HQQ's stopping rule compares means that are often equal but for rounding (b moved, no code did),
// so "strictly below" must be decided on the sums a NumPy implementation computes.
double pairwiseSum(const double* a, std::size_t n) {
  if (n < 8) {
    double r = 0;
    for (std::size_t i = 0; i < n; ++i) r += a[i];
    return r;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwiseSum(a, n2) + pairwiseSum(a + n2, n - n2);
}

double shrink(double e, double beta) {
  if (e == 0) return 0;
  const double a = std::abs(e);
  const double v = std::max(0.0, a - std::pow(a, kHqqP - 1.0) / beta);
  return e < 0 ? -v : v;
}
}  // namespace

double hqqZeroPoint(std::span<const float> w, double s, double b0, int bits, Rounding rounding) {
  const double top = static_cast<double>((std::int64_t{1} << bits) - 1);
  const double count = static_cast<double>(w.size());
  double b = b0, beta = kHqqBeta0, best = std::numeric_limits<double>::infinity(), bestB = b0;
  std::vector<double> n(w.size()), wr(w.size()), terms(w.size());
  for (int it = 0; it < kHqqIterations; ++it) {
    for (std::size_t k = 0; k < w.size(); ++k) {
      const double x = w[k];
      n[k] = std::clamp(roundWith(x / s + b, rounding), 0.0, top);
      wr[k] = s * (n[k] - b);
      terms[k] = std::abs(x - wr[k]);
    }
    const double err = pairwiseSum(terms.data(), terms.size()) / count;
    if (!(err < best)) break;
    best = err;
    bestB = b;
    for (std::size_t k = 0; k < w.size(); ++k) {
      const double x = w[k];
      terms[k] = n[k] - (x - shrink(x - wr[k], beta)) / s;
    }
    b = pairwiseSum(terms.data(), terms.size()) / count;
    beta *= kHqqKappa;
  }
  return bestB;
}

Status hqqQuantize(std::span<const float> x, const Partition& partition, const IntegerParams& ip, QuantResult& out,
                   AwareReport& report, const Work& work) {
  const std::size_t parts = partition.partCount();
  const double top = static_cast<double>((std::int64_t{1} << ip.bits) - 1);
  std::vector<PartParams> params(parts);
  report.zeroPoints.assign(parts, 0.0);
  out = QuantResult{};
  out.reconstruction.assign(x.size(), 0.0f);
  out.codes.assign(x.size(), 0);
  out.saturated.assign(x.size(), 0);
  std::vector<std::string> errors(parts);
  exec::parallelFor(0, parts, 1, [&](exec::Range r) {
    std::vector<float> values;
    for (std::size_t j = r.begin; j < r.end && !work.cancelled(); ++j) {
      values.resize(static_cast<std::size_t>(partition.partSize(j)));
      partition.gather(j, x, values.data());
      Calibration minmax;
      minmax.method = CalibrationMethod::MinMax;
      auto c = calibrate(values, minmax, ip.bits, false, ip.scaleFormat, ip.rounding);
      if (!c) {
        errors[j] = c.error().message;
        continue;
      }
      PartParams p = c->params;
      const double b = static_cast<float>(
          hqqZeroPoint(values, p.scale, static_cast<double>(p.zeroPoint), ip.bits, ip.rounding));
      report.zeroPoints[j] = b;
      p.zeroPoint = static_cast<std::int64_t>(std::nearbyint(b));
      params[j] = p;
      std::size_t m = 0;
      partition.forEachIndex(j, [&](std::int64_t flat) {
        const auto k = static_cast<std::size_t>(flat);
        const double u = ip.rounding == Rounding::Stochastic ? stochasticDraw(ip.seed, k) : 0.0;
        const double v = roundWith(static_cast<double>(values[m++]) / p.scale + b, ip.rounding, u);
        const double n = std::clamp(v, 0.0, top);
        out.codes[k] = static_cast<std::int32_t>(n);
        out.saturated[k] = v != n;
        out.reconstruction[k] = static_cast<float>(p.scale * (n - b));
      });
    }
  });
  if (work.cancelled()) return makeError("hqq: cancelled");
  for (const auto& e : errors)
    if (!e.empty()) return makeError("hqq: " + e);
  // Storage: k bits per element, the scale and the fp32 zero point per part.
  aware::finishReport(out, x, partition, params, ip.bits, scaleFormatBits(ip.scaleFormat) + 32.0);
  return {};
}

}  // namespace quench
