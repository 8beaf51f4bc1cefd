#include "core/train/loss.h"

#include <algorithm>
#include <cassert>
#include <vector>

namespace quench::train {

namespace {
// out[i] = z_i/T − max(z/T) − ln Σ_j exp(z_j/T − max(z/T)), in double.
template <class S>
void logSoftmax(const S* z, int n, double temperature, std::vector<double>& out) {
  out.resize(static_cast<std::size_t>(n));
  double mx = -INFINITY;
  for (int i = 0; i < n; ++i) {
    out[i] = static_cast<double>(z[i]) / temperature;
    mx = std::max(mx, out[i]);
  }
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += std::exp(out[i] - mx);
  const double lse = mx + std::log(sum);
  for (int i = 0; i < n; ++i) out[i] -= lse;
}
}  // namespace

template <class S>
RowLoss distillRow(const S* student, const S* teacher, int label, int vocab, const LossSpec& spec, double weight,
                   S* dz) {
  const double T = spec.temperature, alpha = spec.alpha;
  assert(T > 0 && alpha >= 0 && alpha <= 1);
  assert(teacher || alpha == 0);
  assert(label >= 0 || alpha == 1);
  thread_local std::vector<double> lsT, ltT, ls1;
  RowLoss r;
  if (dz) std::fill(dz, dz + vocab, S(0));
  if (teacher) {
    logSoftmax(student, vocab, T, lsT);
    logSoftmax(teacher, vocab, T, ltT);
    double kl = 0.0;
    for (int i = 0; i < vocab; ++i) {
      const double p = std::exp(ltT[i]);
      if (p > 0) kl += p * (ltT[i] - lsT[i]);  // 0·ln(0/q) = 0
      if (dz && alpha > 0) dz[i] += static_cast<S>(weight * alpha * T * (std::exp(lsT[i]) - p));
    }
    r.kl = kl;
    r.loss += alpha * T * T * kl;
  }
  if (label >= 0) {
    assert(label < vocab);
    logSoftmax(student, vocab, 1.0, ls1);
    r.ce = -ls1[static_cast<std::size_t>(label)];
    r.loss += (1 - alpha) * r.ce;
    if (dz && alpha < 1)
      for (int i = 0; i < vocab; ++i)
        dz[i] += static_cast<S>(weight * (1 - alpha) * (std::exp(ls1[i]) - (i == label ? 1.0 : 0.0)));
  }
  return r;
}

template RowLoss distillRow<float>(const float*, const float*, int, int, const LossSpec&, double, float*);
template RowLoss distillRow<double>(const double*, const double*, int, int, const LossSpec&, double, double*);

}  // namespace quench::train
