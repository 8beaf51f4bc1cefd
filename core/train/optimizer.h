#pragma once
// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization") with the constants of
// MATH.md §16, gradient clipping by global norm, and the learning-rate schedule of a run.
#include <cstddef>
#include <span>
#include <vector>

namespace quench::train {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weightDecay = 0.0;  ///< λ, applied only where the decay mask is set (weight matrices)
};

/// AdamW over a flat float vector. Moments are kept in double. Step t (from 1):
///   m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,  m̂ = m / (1 − β₁^t),  v̂ = v / (1 − β₂^t),
///   θ ← θ − lr·λ·θ (decoupled decay, masked) − lr·m̂ / (√v̂ + ε)
/// which is torch.optim.AdamW's update (decay with the parameter before the step).
class AdamW {
 public:
  /// `decay[i]` says whether parameter i is decayed (empty: all are).
  AdamW(std::size_t size, const AdamWOptions& options, std::vector<unsigned char> decay = {});
  void step(std::span<float> params, std::span<const float> grad, double lr);
  long steps() const { return m_t; }

 private:
  AdamWOptions m_o;
  std::vector<unsigned char> m_decay;
  std::vector<double> m_m, m_v;
  long m_t = 0;
};

/// √Σ g², accumulated in double in index order.
double globalNorm(std::span<const float> grad);

/// Scale `grad` by maxNorm / (norm + 1e-6) when the global norm exceeds maxNorm (PyTorch's
/// clip_grad_norm_); maxNorm ≤ 0 disables clipping. Returns the norm before clipping.
double clipGlobalNorm(std::span<float> grad, double maxNorm);

/// Learning rate at `step` (0-based) of `steps`: linear warm-up over `warmup` steps to `peak`,
/// then cosine decay to minFraction·peak at the last step.
double scheduledLr(int step, int steps, double peak, int warmup, double minFraction);

}  // namespace quench::train
