// quantizeAffine's f32 fast path relies on a 4-ulp margin around half-integers (lanes inside it
// are redone in f64) to stay bit-identical to the f64 element map.
// Here every input sits within a few ulps of a tie k + ½ (times the scale), where a wrong
// shortcut would round the other way: codes, reconstruction and saturation must equal the
// scalar twin on every compiled target, for inexact, tiny and huge scales.
#include <QtTest/QtTest>

#include <cmath>
#include <random>

#include "core/simd/quant_kernels.h"

using namespace quench::simd;

class TestQuantNearTies : public QObject {
  Q_OBJECT
 private slots:
  void cleanup() { resetQuantKernelTarget(); }

  void matchesTwinNearTies_data() {
    QTest::addColumn<QString>("target");
    for (const std::string& t : quantKernelTargets()) QTest::newRow(t.c_str()) << QString::fromStdString(t);
  }

  void matchesTwinNearTies() {
    QFETCH(QString, target);
    QVERIFY(forceQuantKernelTarget(target.toStdString()));
    std::mt19937 gen(11);
    std::uniform_int_distribution<int> kd(-130, 130), ud(-6, 6);
    for (float s : {0.1f, 0.0123f, 3.0e-5f, 7.77f, 1.0f / 3.0f, 1.0e-30f, 3.0e30f, 2.5e-38f}) {
      std::vector<float> x(4099);
      for (float& v : x) {
        float t = static_cast<float>((kd(gen) + 0.5) * static_cast<double>(s));
        for (int u = ud(gen); u != 0; u += u > 0 ? -1 : 1) t = std::nextafter(t, u > 0 ? INFINITY : -INFINITY);
        v = t;
      }
      AffineParams p;
      p.scale = s;
      p.zero = 0;
      p.low = -127;
      p.high = 127;
      std::vector<std::int32_t> c1(x.size()), c2(x.size());
      std::vector<float> r1(x.size()), r2(x.size());
      std::vector<std::uint8_t> s1(x.size()), s2(x.size());
      const auto n1 = quantizeAffine(x.data(), x.size(), p, c1.data(), r1.data(), s1.data());
      const auto n2 = quantizeAffine_ref(x.data(), x.size(), p, c2.data(), r2.data(), s2.data());
      QCOMPARE(c1, c2);
      QCOMPARE(r1, r2);
      QCOMPARE(s1, s2);
      QCOMPARE(n1, n2);
      QVERIFY(n1 > 0);  // |k| up to 130: some codes clip at ±127
    }
  }
};

QTEST_APPLESS_MAIN(TestQuantNearTies)
#include "test_quant_near_ties.moc"
