// quantizeAffine's f32 fast paths (multiplication by the rounded reciprocal of s, or fp32
// division for wide clip ranges) rely on a margin around half-integers (lanes inside it are
// redone in f64) to stay bit-identical to the f64 element map; the fused int8/int4 kernels also
// round by a magic number whose ties break toward the wrong parity when the zero-point is odd.
// Here every input sits within a few ulps of a tie k + ½ (times the scale), where a wrong
// shortcut would round the other way: codes, reconstruction and saturation must equal the
// scalar twin on every compiled target, for inexact, tiny and huge scales, narrow and wide clip
// ranges, even and odd zero-points.
#include <QtTest/QtTest>

#include <cmath>
#include <random>
#include <vector>

#include "common/quant_twins.h"
#include "core/simd/quant_kernels.h"
#include "core/simd/targets.h"

using namespace quench::simd;

namespace {
// v rounded to float, then moved by `ulps` floats (toward +∞ when positive).
float nudge(double v, int ulps) {
  float t = static_cast<float>(v);
  for (; ulps != 0; ulps += ulps > 0 ? -1 : 1) t = std::nextafter(t, ulps > 0 ? INFINITY : -INFINITY);
  return t;
}

// quantizeAffine against its twin on x: codes, reconstruction, flags and count; the count in *sat.
void sameAsTwin(const std::vector<float>& x, const AffineParams& p, std::uint64_t* sat = nullptr) {
  std::vector<std::int32_t> c1(x.size()), c2(x.size());
  std::vector<float> r1(x.size()), r2(x.size());
  std::vector<std::uint8_t> s1(x.size()), s2(x.size());
  const auto n1 = quantizeAffine(x.data(), x.size(), p, c1.data(), r1.data(), s1.data());
  const auto n2 = quantizeAffine_ref(x.data(), x.size(), p, c2.data(), r2.data(), s2.data());
  QCOMPARE(c1, c2);
  QCOMPARE(r1, r2);
  QCOMPARE(s1, s2);
  QCOMPARE(n1, n2);
  if (sat) *sat = n1;
}
}  // namespace

class TestQuantNearTies : public QObject {
  Q_OBJECT
 private slots:
  void cleanup() { resetTarget(); }

  void targets_data() {
    QTest::addColumn<QString>("target");
    for (const std::string& t : compiledTargets()) QTest::newRow(t.c_str()) << QString::fromStdString(t);
  }

  void matchesTwinNearTies_data() {
    QTest::addColumn<QString>("target");
    for (const std::string& t : compiledTargets()) QTest::newRow(t.c_str()) << QString::fromStdString(t);
  }

  void wideAndAsymmetricRanges_data() { targets_data(); }
  void wideAndAsymmetricRanges();
  void fusedKernelsNearTies_data() { targets_data(); }
  void fusedKernelsNearTies();

  void matchesTwinNearTies() {
    QFETCH(QString, target);
    QVERIFY(forceTarget(target.toStdString()));
    std::mt19937 gen(11);
    std::uniform_int_distribution<int> kd(-130, 130), ud(-6, 6);
    // 1e−38 lies below 2^−125, where the reciprocal is not used.
    for (float s : {0.1f, 0.0123f, 3.0e-5f, 7.77f, 1.0f / 3.0f, 1.0e-30f, 3.0e30f, 2.5e-38f, 1.0e-38f}) {
      std::vector<float> x(4099);
      for (float& v : x) v = nudge((kd(gen) + 0.5) * static_cast<double>(s), ud(gen));
      std::uint64_t saturated = 0;
      sameAsTwin(x, AffineParams{s, 0, -127, 127}, &saturated);
      if (QTest::currentTestFailed()) return;
      QVERIFY(saturated > 0);  // |k| up to 130: some codes clip at ±127
    }
  }
};

// Clip ranges from 4 bits to far beyond 16, asymmetric, with even and odd zero-points: K =
// max(|low − b|, |high − b|) + 1 crosses 2^16, where the reciprocal path hands over to division.
void TestQuantNearTies::wideAndAsymmetricRanges() {
  QFETCH(QString, target);
  QVERIFY(forceTarget(target.toStdString()));
  std::mt19937 gen(12);
  std::uniform_int_distribution<int> ud(-4, 4);
  const AffineParams cases[] = {{0.0123, 7, 0, 15},           {0.0123, 8, 0, 15},
                                {0.25, -3, -8, 7},             {0.001, 0, -32768, 32767},
                                {0.001, 40001, 0, 65535},      {0.001, 0, -(1 << 20), 1 << 20},
                                {0.5, 3, -(1 << 21), 1 << 21}, {1.0 / 3.0 + 0.0, -5, -127, 127}};
  for (AffineParams p : cases) {
    p.scale = static_cast<float>(p.scale);
    std::uniform_int_distribution<std::int64_t> kd(p.low - p.zero - 3, p.high - p.zero + 2);
    std::vector<float> x(2053);
    for (float& v : x) v = nudge((static_cast<double>(kd(gen)) + 0.5) * p.scale, ud(gen));
    sameAsTwin(x, p);
    if (QTest::currentTestFailed()) return;
  }
}

// The fused kernels on data built so that most elements sit a few ulps from a tie: int8 rows
// (zero-point 0) and int4 groups whose min/max give odd and even zero-points.
void TestQuantNearTies::fusedKernelsNearTies() {
  QFETCH(QString, target);
  QVERIFY(forceTarget(target.toStdString()));
  std::mt19937 gen(13);
  std::uniform_int_distribution<int> ud(-5, 5), k8(-127, 126), k4(0, 14), lod(-15, 0);
  const std::size_t rows = 37, cols = 515;
  std::vector<float> x(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    const double s = std::ldexp(1.0 + 0.01 * static_cast<double>(r), -static_cast<int>(r % 9)) / 127.0;
    x[r * cols] = static_cast<float>(127.0 * s);  // the row's absmax
    for (std::size_t i = 1; i < cols; ++i) x[r * cols + i] = nudge((k8(gen) + 0.5) * s, ud(gen));
  }
  quench::test::sameInt8RowsAsTwin(x.data(), rows, cols);
  if (QTest::currentTestFailed()) return;
  // int4: a group spans [lo, lo + 15·s] with lo = −j·s, so the zero-point is j (odd or even).
  const std::size_t group = 64, groups = 41, n = group * groups - 5;
  std::vector<float> y(n);
  for (std::size_t g = 0; g < groups; ++g) {
    const double s = 0.01 * (1.0 + 0.1 * static_cast<double>(g % 7)), lo = lod(gen) * s;
    for (std::size_t i = g * group; i < std::min(n, (g + 1) * group); ++i)
      y[i] = i == g * group ? static_cast<float>(lo)
             : i == g * group + 1 ? static_cast<float>(lo + 15 * s)
                                  : nudge(lo + (k4(gen) + 0.5) * s, ud(gen));
  }
  std::vector<std::int32_t> z1;
  quench::test::sameInt4GroupsAsTwin(y.data(), n, group, nullptr, &z1);
  if (QTest::currentTestFailed()) return;
  int odd = 0;
  for (std::int32_t z : z1) odd += z % 2 != 0;
  QVERIFY(odd > 5);
  QVERIFY(odd < static_cast<int>(groups) - 5);
}

QTEST_APPLESS_MAIN(TestQuantNearTies)
#include "test_quant_near_ties.moc"
