// The decoder's element-wise kernels (Highway, every compiled target) against their scalar twins:
// SiLU and tanh-GELU gated products within a few float32 ULP (Highway's Exp/Tanh are within a
// few ULP, so are the twins' <cmath>), the scaled causal softmax within 1e-6 relative; sizes 1..70
// for the tails; plus values by hand.
#include <QtTest/QtTest>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/simd/decoder_kernels.h"
#include "core/simd/gemm_kernels.h"

using namespace quench::simd;

class TestDecoderKernels : public QObject {
  Q_OBJECT
 private slots:
  void byHand() {
    float g[3] = {0.0f, 1.0f, -2.0f};
    const float u[3] = {5.0f, 2.0f, 1.0f};
    siluMul(g, u, 3);
    QCOMPARE(g[0], 0.0f);
    QVERIFY(std::fabs(g[1] - 2.0 / (1.0 + std::exp(-1.0))) < 1e-6);   // 2·silu(1) = 1.4621…
    QVERIFY(std::fabs(g[2] - (-2.0 / (1.0 + std::exp(2.0)))) < 1e-6);  // silu(−2) = −0.2384…
    float h[2] = {1.0f, -100.0f};
    const float one[2] = {1.0f, 1.0f};
    geluTanhMul(h, one, 2);
    QVERIFY(std::fabs(h[0] - 0.8411919906) < 1e-6);  // gelu_tanh(1)
    QVERIFY(std::fabs(h[1]) < 1e-30);
    float x[4] = {1.0f, 2.0f, 3.0f, 7.0f};
    scaledSoftmax(x, 3, 4, 0.5f);  // softmax(0.5, 1, 1.5), the 4th masked
    const double e0 = std::exp(-1.0), e1 = std::exp(-0.5), sum = e0 + e1 + 1.0;
    QVERIFY(std::fabs(x[0] - e0 / sum) < 1e-7);
    QVERIFY(std::fabs(x[2] - 1.0 / sum) < 1e-7);
    QCOMPARE(x[3], 0.0f);
  }

  void matchesTwins_data() {
    QTest::addColumn<QString>("target");
    for (const std::string& t : gemmKernelTargets()) QTest::newRow(t.c_str()) << QString::fromStdString(t);
  }

  void matchesTwins() {
    QFETCH(QString, target);
    QVERIFY(forceGemmKernelTarget(target.toStdString()));  // one Highway dispatch switch for all kernels
    std::mt19937 rng(5);
    std::normal_distribution<float> normal(0.0f, 4.0f);
    for (std::size_t n = 1; n <= 70; ++n) {
      std::vector<float> g(n), u(n);
      for (auto& v : g) v = normal(rng);
      for (auto& v : u) v = normal(rng);
      for (int which = 0; which < 2; ++which) {
        std::vector<float> a = g, b = g;
        if (which == 0) {
          siluMul(a.data(), u.data(), n);
          siluMul_ref(b.data(), u.data(), n);
        } else {
          geluTanhMul(a.data(), u.data(), n);
          geluTanhMul_ref(b.data(), u.data(), n);
        }
        for (std::size_t i = 0; i < n; ++i)
          QVERIFY2(std::fabs(a[i] - b[i]) <= 8 * std::numeric_limits<float>::epsilon() * (std::fabs(b[i]) + std::fabs(u[i])),
                   qPrintable(QStringLiteral("%1 n=%2 i=%3: %4 vs %5").arg(which).arg(n).arg(i).arg(a[i]).arg(b[i])));
      }
      std::vector<float> s = g, t = g;
      const std::size_t valid = 1 + n / 2;
      scaledSoftmax(s.data(), valid, n, 0.125f);
      scaledSoftmax_ref(t.data(), valid, n, 0.125f);
      for (std::size_t i = 0; i < n; ++i) QVERIFY(std::fabs(s[i] - t[i]) <= 1e-6 * t[i] + 1e-12);
    }
    resetGemmKernelTarget();
  }
};

QTEST_APPLESS_MAIN(TestDecoderKernels)
#include "test_decoder_kernels.moc"
