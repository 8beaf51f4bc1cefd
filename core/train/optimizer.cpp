#include "core/train/optimizer.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>

namespace quench::train {

AdamW::AdamW(std::size_t size, const AdamWOptions& options, std::vector<unsigned char> decay)
    : m_o(options), m_decay(std::move(decay)), m_m(size, 0.0), m_v(size, 0.0) {
  assert(m_decay.empty() || m_decay.size() == size);
}

void AdamW::step(std::span<float> params, std::span<const float> grad, double lr) {
  assert(params.size() == m_m.size() && grad.size() == m_m.size());
  ++m_t;
  const double b1 = m_o.beta1, b2 = m_o.beta2;
  const double c1 = 1.0 - std::pow(b1, static_cast<double>(m_t)), c2 = 1.0 - std::pow(b2, static_cast<double>(m_t));
  const double decay = lr * m_o.weightDecay;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const double g = grad[i];
    m_m[i] = b1 * m_m[i] + (1.0 - b1) * g;
    m_v[i] = b2 * m_v[i] + (1.0 - b2) * g * g;
    double p = params[i];
    if (m_decay.empty() || m_decay[i]) p -= decay * p;
    p -= lr * (m_m[i] / c1) / (std::sqrt(m_v[i] / c2) + m_o.eps);
    params[i] = static_cast<float>(p);
  }
}

double globalNorm(std::span<const float> grad) {
  double ss = 0.0;
  for (float g : grad) ss += static_cast<double>(g) * g;
  return std::sqrt(ss);
}

double clipGlobalNorm(std::span<float> grad, double maxNorm) {
  const double norm = globalNorm(grad);
  if (maxNorm > 0 && norm > maxNorm) {
    const float coef = static_cast<float>(maxNorm / (norm + 1e-6));
    for (float& g : grad) g *= coef;
  }
  return norm;
}

double scheduledLr(int step, int steps, double peak, int warmup, double minFraction) {
  if (warmup > 0 && step < warmup) return peak * static_cast<double>(step + 1) / warmup;
  const int decaySteps = std::max(1, steps - 1 - std::max(warmup, 0));
  const double progress = std::clamp(static_cast<double>(step - std::max(warmup, 0)) / decaySteps, 0.0, 1.0);
  return peak * (minFraction + (1.0 - minFraction) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress)));
}

}  // namespace quench::train
