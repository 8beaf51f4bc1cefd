// The distillation loss of MATH.md §16 and its gradient (core/train/loss.h): hand-computed values,
// agreement with core/divergence's independent distillationLoss, and the gradient formula against
// central differences of the loss in the student's logits.
#include <QtTest/QtTest>

#include <cmath>
#include <vector>

#include "common/fuzzy.h"
#include "core/divergence/pmf.h"
#include "core/train/loss.h"
#include "core/train/rng.h"

using namespace quench;
using namespace quench::train;

class TestLoss : public QObject {
  Q_OBJECT

 private slots:
  // Student uniform over two tokens, teacher logits (ln 3, 0). At T = 1: P = (3/4, 1/4),
  // KL = 3/4 ln(3/2) + 1/4 ln(1/2). At T = 2: P ∝ (√3, 1). CE of label 1 under Q = ln 2.
  void handValues() {
    const double zs[2] = {0.0, 0.0}, zt[2] = {std::log(3.0), 0.0};
    double dz[2];
    RowLoss r = distillRow<double>(zs, zt, -1, 2, LossSpec{1.0, 1.0}, 1.0, dz);
    QUENCH_COMPARE_NEAR(r.kl, 0.75 * std::log(1.5) + 0.25 * std::log(0.5), 1e-14, 0.0);
    QUENCH_COMPARE_NEAR(r.loss, r.kl, 1e-15, 0.0);
    QUENCH_COMPARE_NEAR(dz[0], 0.5 - 0.75, 1e-14, 0.0);  // α·T·(q − p)
    QUENCH_COMPARE_NEAR(dz[1], 0.5 - 0.25, 1e-14, 0.0);

    const double p1 = std::sqrt(3.0) / (1 + std::sqrt(3.0)), p2 = 1 - p1;
    const double klT2 = p1 * std::log(2 * p1) + p2 * std::log(2 * p2);
    r = distillRow<double>(zs, zt, 1, 2, LossSpec{2.0, 0.25}, 0.5, dz);  // α = 1/4, weight 1/2
    QUENCH_COMPARE_NEAR(r.kl, klT2, 1e-14, 0.0);
    QUENCH_COMPARE_NEAR(r.ce, std::log(2.0), 1e-14, 0.0);
    QUENCH_COMPARE_NEAR(r.loss, 0.25 * 4 * klT2 + 0.75 * std::log(2.0), 1e-14, 0.0);
    // weight·[α·T·(q_T − p_T) + (1 − α)(q − onehot(1))]
    QUENCH_COMPARE_NEAR(dz[0], 0.5 * (0.25 * 2 * (0.5 - p1) + 0.75 * 0.5), 1e-14, 0.0);
    QUENCH_COMPARE_NEAR(dz[1], 0.5 * (0.25 * 2 * (0.5 - p2) + 0.75 * (0.5 - 1)), 1e-14, 0.0);

    // Hard labels only: no teacher needed, gradient q − onehot.
    r = distillRow<double>(zs, nullptr, 0, 2, LossSpec{1.0, 0.0}, 1.0, dz);
    QUENCH_COMPARE_NEAR(r.loss, std::log(2.0), 1e-15, 0.0);
    QUENCH_COMPARE_NEAR(dz[0], -0.5, 1e-15, 0.0);
    QUENCH_COMPARE_NEAR(dz[1], 0.5, 1e-15, 0.0);
  }

  // α·(T²·KL + ((1 − α)/α)·CE) from core/divergence equals this loss (float logits, as training).
  void agreesWithDivergenceModule() {
    Rng rng(5);
    const int V = 37;
    for (double T : {1.0, 2.0, 4.0})
      for (double alpha : {1.0, 0.5, 0.2}) {
        std::vector<float> zs(V), zt(V);
        for (int i = 0; i < V; ++i) {
          zs[i] = static_cast<float>(3 * rng.normal());
          zt[i] = static_cast<float>(3 * rng.normal());
        }
        const int label = static_cast<int>(rng.below(V));
        const RowLoss r = distillRow<float>(zs.data(), zt.data(), label, V, LossSpec{T, alpha}, 1.0, nullptr);
        auto ref = distillationLoss(zt, zs, T, static_cast<std::size_t>(label), (1 - alpha) / alpha);
        QVERIFY(ref.ok());
        QUENCH_COMPARE_NEAR(r.loss, alpha * *ref, 1e-12, 0.0);
        auto kl = klLogits(zt, zs, T);
        QVERIFY(kl.ok());
        QUENCH_COMPARE_NEAR(r.kl, *kl, 1e-12, 1e-15);
      }
  }

  // ∂L/∂z^s against (L(z + h e_i) − L(z − h e_i)) / 2h in double.
  void gradientMatchesFiniteDifferences() {
    Rng rng(9);
    const int V = 23;
    std::vector<double> zs(V), zt(V), dz(V);
    for (int i = 0; i < V; ++i) {
      zs[i] = 2 * rng.normal();
      zt[i] = 2 * rng.normal();
    }
    for (const LossSpec spec : {LossSpec{1.0, 1.0}, LossSpec{3.0, 0.3}, LossSpec{0.5, 0.7}, LossSpec{1.0, 0.0}}) {
      distillRow<double>(zs.data(), zt.data(), 4, V, spec, 1.0, dz.data());
      const double h = 1e-6;
      for (int i = 0; i < V; ++i) {
        std::vector<double> z = zs;
        z[i] += h;
        const double up = distillRow<double>(z.data(), zt.data(), 4, V, spec, 1.0, nullptr).loss;
        z[i] -= 2 * h;
        const double down = distillRow<double>(z.data(), zt.data(), 4, V, spec, 1.0, nullptr).loss;
        QUENCH_COMPARE_NEAR(dz[i], (up - down) / (2 * h), 0.0, 1e-8);
      }
    }
  }

  // A teacher probability that underflows to 0 contributes 0·ln(0/q) = 0, never NaN.
  void zeroTeacherProbability() {
    const double zs[3] = {0.0, 1.0, 2.0}, zt[3] = {0.0, -2000.0, 0.0};
    double dz[3];
    const RowLoss r = distillRow<double>(zs, zt, -1, 3, LossSpec{1.0, 1.0}, 1.0, dz);
    QVERIFY(std::isfinite(r.kl));
    const double lq0 = -std::log(1 + std::exp(1.0) + std::exp(2.0)), lq2 = 2 + lq0;
    QUENCH_COMPARE_NEAR(r.kl, 0.5 * (std::log(0.5) - lq0) + 0.5 * (std::log(0.5) - lq2), 1e-13, 0.0);
  }
};

QTEST_GUILESS_MAIN(TestLoss)
#include "test_loss.moc"
