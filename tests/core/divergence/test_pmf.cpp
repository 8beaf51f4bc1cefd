// KL/JS on pmfs and logits (MATH.md §8). Golden values: tools/golden_divergence.py (NumPy, float64).
#include <QtTest/QtTest>

#include <cmath>
#include <limits>
#include <vector>

#include "common/fuzzy.h"
#include "core/divergence/pmf.h"

using namespace quench;

class TestPmf : public QObject {
  Q_OBJECT
 private slots:
  void goldenPmfs() {
    const std::vector<double> p{0.5, 0.3, 0.2}, q{0.4, 0.4, 0.2};
    // By hand: KL = 0.5 ln(0.5/0.4) + 0.3 ln(0.3/0.4) + 0 = 0.111572 − 0.086305 = 0.025267.
    QUENCH_COMPARE_NEAR(klPmf(p, q), 0.5 * std::log(1.25) + 0.3 * std::log(0.75), 1e-13, 0);
    auto d = pmfDivergence(p, q);
    QVERIFY(d.ok());
    QUENCH_COMPARE_NEAR(d->kl, 0.025267153921570557, 1e-13, 0);
    QUENCH_COMPARE_NEAR(d->klReverse, 0.025815408455028527, 1e-13, 0);
    QUENCH_COMPARE_NEAR(d->js, 0.006367198333995728, 1e-13, 0);
    QUENCH_COMPARE_NEAR(d->jsSqrt, 0.07979472622921722, 1e-13, 0);
  }

  void bits() {
    const std::vector<double> p{0.5, 0.3, 0.2}, q{0.4, 0.4, 0.2};
    auto d = pmfDivergence(p, q, 1.0, true);
    QVERIFY(d.ok());
    QUENCH_COMPARE_NEAR(d->kl, 0.036452797660027965, 1e-13, 0);
    QUENCH_COMPARE_NEAR(d->js, 0.009185925460812107, 1e-13, 0);
    QUENCH_COMPARE_NEAR(d->jsSqrt, 0.0958432337768927, 1e-13, 0);
  }

  void temperature() {
    const std::vector<double> p{0.5, 0.3, 0.2}, q{0.4, 0.4, 0.2};
    auto d = pmfDivergence(p, q, 2.0);
    QVERIFY(d.ok());
    QUENCH_COMPARE_NEAR(d->kl, 0.005969392953298123, 1e-13, 0);
    QUENCH_COMPARE_NEAR(d->klReverse, 0.006014367659082176, 1e-13, 0);
    QUENCH_COMPARE_NEAR(d->js, 0.001496931561303105, 1e-13, 0);
    // p^(1/T) renormalized equals softmax(ln p / T).
    const auto t = temperPmf(p, 0.5);
    const double s = 0.25 + 0.09 + 0.04;
    QUENCH_COMPARE_NEAR(t[0], 0.25 / s, 1e-15, 0);
    QUENCH_COMPARE_NEAR(t[2], 0.04 / s, 1e-15, 0);
    QVERIFY(!pmfDivergence(p, q, 0.0).ok());
    QVERIFY(!pmfDivergence(p, q, -1.0).ok());
  }

  void zerosAndInfinity() {
    // 0·ln 0 = 0; P > 0 = Q gives +∞, reported as such (never clamped).
    const std::vector<double> a{0.5, 0.5, 0.0}, b{1.0, 0.0, 0.0};
    QVERIFY(std::isinf(klPmf(a, b)) && klPmf(a, b) > 0);
    QUENCH_COMPARE_NEAR(klPmf(b, a), std::log(2.0), 1e-15, 0);
    // Disjoint supports: JS reaches its maximum ln 2.
    const std::vector<double> x{1.0, 0.0}, y{0.0, 1.0};
    QUENCH_COMPARE_NEAR(jsPmf(x, y), std::log(2.0), 1e-15, 0);
    QCOMPARE(jsPmf(x, x), 0.0);
  }

  void validation() {
    const std::vector<double> good{0.5, 0.3, 0.2};
    QVERIFY(checkPmf(good, {}, "--p").ok());
    const std::vector<double> off{5, 3, 2};
    auto bad = checkPmf(off, {}, "--p");
    QVERIFY(!bad.ok());
    QVERIFY(bad.error().message.find("--p") != std::string::npos);
    QVERIFY(bad.error().message.find("sum") != std::string::npos);
    // The sum as the shortest decimal that reads back as the same double: 0.5 + 0.6 is 1.1 in
    // double, printed "1.1" (17 digits would say 1.1000000000000001), the tolerance "1e-09".
    auto sum = checkPmf(std::vector<double>{0.5, 0.6}, {}, "--p");
    QVERIFY(!sum.ok());
    QVERIFY2(sum.error().message.find("sum to 1.1, not 1 within 1e-09") != std::string::npos, sum.error().message.c_str());
    auto norm = checkPmf(off, {1e-9, true}, "--p");
    QVERIFY(norm.ok());
    QUENCH_COMPARE_NEAR((*norm)[0], 0.5, 1e-15, 0);
    const std::vector<double> neg{1.2, -0.2};
    QVERIFY(!checkPmf(neg, {1e-9, true}, "--q").ok());
    const std::vector<double> nan{std::nan(""), 1.0};
    QVERIFY(!checkPmf(nan, {}, "--q").ok());
    QVERIFY(!checkPmf(std::vector<double>{}, {}, "--q").ok());
    // Within 1e-9 passes, beyond fails.
    QVERIFY(checkPmf(std::vector<double>{0.5, 0.5 + 5e-10}, {}, "x").ok());
    QVERIFY(!checkPmf(std::vector<double>{0.5, 0.5 + 5e-9}, {}, "x").ok());
    QVERIFY(!pmfDivergence(good, std::vector<double>{0.5, 0.5}).ok());
  }

  void logits() {
    const std::vector<float> zt{2.0f, 1.0f, 0.5f, -1.0f}, zs{1.5f, 1.2f, 0.1f, -0.5f};
    QUENCH_COMPARE_NEAR(*klLogits(zt, zs), 0.056643153362231, 1e-13, 0);
    QUENCH_COMPARE_NEAR(*jsLogits(zt, zs), 0.014709358365414815, 1e-13, 0);
    QUENCH_COMPARE_NEAR(*klLogits(zt, zs, 3.0), 0.008508389525559486, 1e-13, 0);
    // Max subtraction: logits of 1e4 do not overflow, and a constant shift changes nothing.
    const std::vector<float> big{10000.0f, 10001.0f}, small{0.0f, 1.0f};
    QUENCH_COMPARE_NEAR(*klLogits(big, small), 0.0, 0, 1e-15);
    auto ls = logSoftmax(big);
    QVERIFY(ls.ok());
    QUENCH_COMPARE_NEAR((*ls)[1], -std::log1p(std::exp(-1.0)), 1e-15, 0);
    // −∞ logit in Q where P has mass: +∞.
    const std::vector<float> masked{0.0f, -std::numeric_limits<float>::infinity()};
    QVERIFY(std::isinf(*klLogits(small, masked)));
    QVERIFY(!klLogits(std::vector<float>{std::nanf(""), 0.0f}, small).ok());
    QVERIFY(!klLogits(small, std::vector<float>{0.0f}).ok());
  }

  void distillation() {
    const std::vector<float> zt{2.0f, 1.0f, 0.5f, -1.0f}, zs{1.5f, 1.2f, 0.1f, -0.5f};
    QUENCH_COMPARE_NEAR(*distillationLoss(zt, zs, 3.0), 0.07657550573003538, 1e-13, 0);
    QUENCH_COMPARE_NEAR(*distillationLoss(zt, zs, 3.0, 1, 0.5), 0.6029318094453253, 1e-13, 0);
    QVERIFY(!distillationLoss(zt, zs, 3.0, 7).ok());
  }
};

QTEST_APPLESS_MAIN(TestPmf)
#include "test_pmf.moc"
