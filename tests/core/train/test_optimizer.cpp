// AdamW, gradient clipping and the learning-rate schedule (core/train/optimizer.h): a hand-computed
// first step, and several steps against torch.optim.AdamW with clip_grad_norm_ in float64
// (tests/data/train/train_golden.json, written by tools/train_golden.py).
#include <QtTest/QtTest>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <vector>

#include "common/fuzzy.h"
#include "core/train/optimizer.h"

using namespace quench;
using namespace quench::train;

namespace {
std::vector<float> floats(const QJsonValue& v) {
  std::vector<float> out;
  for (const QJsonValue& x : v.toArray()) out.push_back(static_cast<float>(x.toDouble()));
  return out;
}
}  // namespace

class TestOptimizer : public QObject {
  Q_OBJECT

 private slots:
  // Step 1: m̂ = g and v̂ = g², so θ ← θ − lr·λ·θ − lr·g/(|g| + ε).
  void firstStepByHand() {
    std::vector<float> p{1.0f, -2.0f, 0.5f};
    const std::vector<float> g{0.5f, 0.25f, -4.0f};
    AdamW opt(3, AdamWOptions{0.9, 0.999, 1e-8, 0.1}, {1, 1, 0});
    opt.step(p, g, 0.1);
    QUENCH_COMPARE_NEAR(p[0], 1.0 - 0.01 * 1.0 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-7, 0.0);
    QUENCH_COMPARE_NEAR(p[1], -2.0 + 0.01 * 2.0 - 0.1 * 0.25 / (0.25 + 1e-8), 1e-7, 0.0);
    QUENCH_COMPARE_NEAR(p[2], 0.5 + 0.1 * 4.0 / (4.0 + 1e-8), 1e-7, 0.0);  // not decayed
    QCOMPARE(opt.steps(), 1L);
  }

  void matchesPyTorch() {
    QFile f(test::testData("train/train_golden.json"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject a = QJsonDocument::fromJson(f.readAll()).object()["adamw"].toObject();
    std::vector<float> p = floats(a["params"]);
    std::vector<unsigned char> mask;
    for (const QJsonValue& m : a["decay_mask"].toArray()) mask.push_back(static_cast<unsigned char>(m.toInt()));
    AdamW opt(p.size(), AdamWOptions{0.9, 0.999, 1e-8, a["weight_decay"].toDouble()}, mask);
    const QJsonArray grads = a["grads"].toArray(), lrs = a["lr"].toArray(), after = a["after"].toArray(),
                     norms = a["norms"].toArray();
    QCOMPARE(grads.size(), 5);
    for (int s = 0; s < grads.size(); ++s) {
      std::vector<float> g = floats(grads[s]);
      QUENCH_COMPARE_NEAR(clipGlobalNorm(g, a["clip"].toDouble()), norms[s].toDouble(), 1e-7, 0.0);
      opt.step(p, g, lrs[s].toDouble());
      const std::vector<float> want = floats(after[s]);
      for (std::size_t i = 0; i < p.size(); ++i) QUENCH_COMPARE_NEAR(p[i], want[i], 2e-6, 1e-7);
    }
  }

  void clipping() {
    std::vector<float> g{3.0f, 4.0f};
    QCOMPARE(clipGlobalNorm(g, 1.0), 5.0);
    QUENCH_COMPARE_NEAR(g[0], 3.0 / (5.0 + 1e-6), 1e-7, 0.0);
    QUENCH_COMPARE_NEAR(g[1], 4.0 / (5.0 + 1e-6), 1e-7, 0.0);
    std::vector<float> small{0.3f, 0.4f};
    QUENCH_COMPARE_NEAR(clipGlobalNorm(small, 1.0), 0.5, 1e-7, 0.0);
    QCOMPARE(small[0], 0.3f);  // below the threshold: untouched
    std::vector<float> off{30.0f, 40.0f};
    clipGlobalNorm(off, 0.0);  // disabled
    QCOMPARE(off[1], 40.0f);
  }

  // Warm-up 10 steps to 1e-3, cosine to 1e-4 at the last of 110 steps.
  void schedule() {
    QUENCH_COMPARE_NEAR(scheduledLr(0, 110, 1e-3, 10, 0.1), 1e-4, 1e-12, 0.0);
    QUENCH_COMPARE_NEAR(scheduledLr(9, 110, 1e-3, 10, 0.1), 1e-3, 1e-12, 0.0);
    QUENCH_COMPARE_NEAR(scheduledLr(10, 110, 1e-3, 10, 0.1), 1e-3, 1e-12, 0.0);
    QUENCH_COMPARE_NEAR(scheduledLr(109, 110, 1e-3, 10, 0.1), 1e-4, 1e-12, 0.0);
    // Halfway through the 99 decay steps the cosine factor is ½: 1e-4 + 0.9e-3 · ½.
    QUENCH_COMPARE_NEAR(scheduledLr(10 + 99 / 2, 110, 1e-3, 10, 0.1),
                        1e-3 * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * (99 / 2) / 99.0))), 1e-12, 0.0);
    QUENCH_COMPARE_NEAR(scheduledLr(5, 1, 2e-3, 0, 0.1), 2e-4, 1e-12, 0.0);  // past the end: the floor
  }
};

QTEST_GUILESS_MAIN(TestOptimizer)
#include "test_optimizer.moc"
