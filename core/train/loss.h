#pragma once
// The distillation loss of MATH.md §16 for one position and its gradient with respect to the
// student's logits:
//   L = α·T²·KL(softmax(z^t/T) ‖ softmax(z^s/T)) + (1 − α)·CE(y, softmax(z^s))
//   ∂L/∂z^s = α·T·(softmax(z^s/T) − softmax(z^t/T)) + (1 − α)·(softmax(z^s) − onehot(y))
// α = 0 is hard-label training (no teacher needed), α = 1 pure soft labels (no label needed).
// Log-softmax with the maximum subtracted, sums in double (MATH.md §8), whatever the scalar.
#include <cmath>

namespace quench::train {

/// How a position's loss mixes soft and hard labels.
struct LossSpec {
  double temperature = 1.0;  ///< T > 0 of the soft term
  double alpha = 1.0;        ///< weight α ∈ [0, 1] of the soft term
};

/// What one position contributed.
struct RowLoss {
  double loss = 0;  ///< L of the position, nats
  double kl = 0;    ///< KL(softmax(z^t/T) ‖ softmax(z^s/T)) (0 without a teacher)
  double ce = 0;    ///< −ln softmax(z^s)[y] (0 without a label)
};

/// Loss of one position over `vocab` logits. `teacher` may be null when alpha = 0, `label` < 0
/// when alpha = 1. Writes `weight`·∂L/∂z^s into `dz` (the caller's 1/positions average) unless
/// `dz` is null.
template <class S>
RowLoss distillRow(const S* student, const S* teacher, int label, int vocab, const LossSpec& spec, double weight,
                   S* dz);

extern template RowLoss distillRow<float>(const float*, const float*, int, int, const LossSpec&, double, float*);
extern template RowLoss distillRow<double>(const double*, const double*, int, int, const LossSpec&, double, double*);

}  // namespace quench::train
