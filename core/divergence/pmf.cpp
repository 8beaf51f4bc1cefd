#include "core/divergence/pmf.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/tensor/number_text.h"

namespace quench {
namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();

// One KL term P ln(P/Q) with the conventions of MATH.md §8.
double klTerm(double p, double q) {
  if (p <= 0) return 0;
  if (q <= 0) return kInf;
  return p * std::log(p / q);
}

bool validTemperature(double t) { return std::isfinite(t) && t > 0; }

Error badTemperature(double t) {
  std::ostringstream s;
  s << "temperature must be finite and > 0 (got " << t << ")";
  return makeError(s.str());
}
}  // namespace

double klPmf(std::span<const double> p, std::span<const double> q) {
  double s = 0;
  const std::size_t n = std::min(p.size(), q.size());
  for (std::size_t i = 0; i < n; ++i) s += klTerm(p[i], q[i]);
  return s;
}

double jsPmf(std::span<const double> p, std::span<const double> q) {
  double s = 0;
  const std::size_t n = std::min(p.size(), q.size());
  for (std::size_t i = 0; i < n; ++i) {
    const double m = 0.5 * (p[i] + q[i]);
    // m ≥ p/2 and m ≥ q/2, so neither term can be infinite.
    s += 0.5 * klTerm(p[i], m) + 0.5 * klTerm(q[i], m);
  }
  return std::max(0.0, s);  // rounding may give −1e-17 for identical inputs
}

Result<std::vector<double>> checkPmf(std::span<const double> p, const PmfCheck& check, const std::string& what) {
  if (p.empty()) return makeError(what + ": empty distribution");
  double sum = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!std::isfinite(p[i]) || p[i] < 0) {
      std::ostringstream s;
      s << what << ": entry " << i << " is " << shortestDecimal(p[i]) << " (probabilities must be finite and >= 0)";
      return makeError(s.str());
    }
    sum += p[i];
  }
  std::vector<double> out(p.begin(), p.end());
  if (std::fabs(sum - 1.0) <= check.tolerance) return out;
  if (!check.normalize || !(sum > 0) || !std::isfinite(sum)) {
    // Shortest round-trip decimals: 0.5 + 0.6 prints "1.1", not "1.1000000000000001".
    std::ostringstream s;
    s << what << ": probabilities sum to " << shortestDecimal(sum) << ", not 1 within " << shortestDecimal(check.tolerance)
      << (check.normalize ? " (cannot normalize a zero sum)" : " (use --normalize to rescale)");
    return makeError(s.str());
  }
  for (double& v : out) v /= sum;
  return out;
}

std::vector<double> temperPmf(std::span<const double> p, double temperature) {
  std::vector<double> out(p.size(), 0.0);
  if (temperature == 1.0) {
    std::copy(p.begin(), p.end(), out.begin());
    return out;
  }
  // P^(1/T) computed as exp((ln P − ln P_max)/T): the largest entry maps to 1, so nothing
  // overflows or underflows to an all-zero vector for small T.
  double maxP = 0;
  for (double v : p) maxP = std::max(maxP, v);
  if (!(maxP > 0)) return out;
  const double lnMax = std::log(maxP);
  double sum = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] > 0) out[i] = std::exp((std::log(p[i]) - lnMax) / temperature);
    sum += out[i];
  }
  for (double& v : out) v /= sum;
  return out;
}

Result<PairDivergence> pmfDivergence(std::span<const double> p, std::span<const double> q, double temperature,
                                     bool bits) {
  if (p.size() != q.size()) {
    std::ostringstream s;
    s << "P has " << p.size() << " entries but Q has " << q.size();
    return makeError(s.str());
  }
  if (!validTemperature(temperature)) return badTemperature(temperature);
  const std::vector<double> pt = temperPmf(p, temperature), qt = temperPmf(q, temperature);
  PairDivergence d;
  d.kl = klPmf(pt, qt);
  d.klReverse = klPmf(qt, pt);
  d.js = jsPmf(pt, qt);
  if (bits) {
    d.kl = toBits(d.kl);
    d.klReverse = toBits(d.klReverse);
    d.js = toBits(d.js);
  }
  d.jsSqrt = std::sqrt(d.js);
  return d;
}

Result<std::vector<double>> logSoftmax(std::span<const float> logits, double temperature) {
  if (!validTemperature(temperature)) return badTemperature(temperature);
  if (logits.empty()) return makeError("logits: empty row");
  double maxZ = -kInf;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const float z = logits[i];
    if (std::isnan(z) || z == std::numeric_limits<float>::infinity()) {
      std::ostringstream s;
      s << "logits: entry " << i << " is " << z << " (NaN and +Inf are not logits)";
      return makeError(s.str());
    }
    maxZ = std::max(maxZ, static_cast<double>(z) / temperature);
  }
  if (maxZ == -kInf) return makeError("logits: every entry is -Inf (no probability mass)");
  std::vector<double> out(logits.size());
  double sum = 0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    out[i] = static_cast<double>(logits[i]) / temperature - maxZ;
    sum += std::exp(out[i]);
  }
  const double lnSum = std::log(sum);
  for (double& v : out) v -= lnSum;
  return out;
}

namespace {
Result<std::pair<std::vector<double>, std::vector<double>>> bothLogSoftmax(std::span<const float> zp,
                                                                           std::span<const float> zq, double t) {
  if (zp.size() != zq.size()) {
    std::ostringstream s;
    s << "logits: P has " << zp.size() << " entries but Q has " << zq.size();
    return makeError(s.str());
  }
  auto lp = logSoftmax(zp, t);
  if (!lp) return makeError("P " + lp.error().message);
  auto lq = logSoftmax(zq, t);
  if (!lq) return makeError("Q " + lq.error().message);
  return std::make_pair(std::move(*lp), std::move(*lq));
}

// KL(P‖Q) from log-probabilities (entries of −∞ are zeros).
double klFromLog(const std::vector<double>& lp, const std::vector<double>& lq) {
  double s = 0;
  for (std::size_t i = 0; i < lp.size(); ++i) {
    if (lp[i] == -kInf) continue;
    if (lq[i] == -kInf) return kInf;
    s += std::exp(lp[i]) * (lp[i] - lq[i]);
  }
  return std::max(0.0, s);
}
}  // namespace

Result<double> klLogits(std::span<const float> zp, std::span<const float> zq, double temperature) {
  auto l = bothLogSoftmax(zp, zq, temperature);
  if (!l) return l.error();
  return klFromLog(l->first, l->second);
}

Result<double> jsLogits(std::span<const float> zp, std::span<const float> zq, double temperature) {
  auto l = bothLogSoftmax(zp, zq, temperature);
  if (!l) return l.error();
  std::vector<double> p(zp.size()), q(zq.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    p[i] = std::exp(l->first[i]);
    q[i] = std::exp(l->second[i]);
  }
  return jsPmf(p, q);
}

Result<double> distillationLoss(std::span<const float> zTeacher, std::span<const float> zStudent, double temperature,
                                std::optional<std::size_t> hardLabel, double hardWeight) {
  auto kl = klLogits(zTeacher, zStudent, temperature);
  if (!kl) return kl.error();
  double loss = temperature * temperature * *kl;
  if (hardLabel) {
    if (*hardLabel >= zStudent.size()) {
      std::ostringstream s;
      s << "hard label " << *hardLabel << " is outside the vocabulary of " << zStudent.size();
      return makeError(s.str());
    }
    auto lq = logSoftmax(zStudent, 1.0);
    if (!lq) return makeError("student " + lq.error().message);
    loss += hardWeight * -(*lq)[*hardLabel];
  }
  return loss;
}

}  // namespace quench
