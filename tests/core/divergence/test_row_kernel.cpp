// The SIMD per-row KL/JS kernel against its scalar double twin (STYLE.md §6–7), on every compiled
// Highway target this CPU supports: many lengths with odd tails, misaligned starts, wide and narrow
// logit spreads, nearly equal rows (where the non-negative series forms matter) and −∞ entries
// (handed to the reference).
#include <QtTest/QtTest>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/fuzzy.h"
#include "core/simd/divergence_kernels.h"
#include "core/simd/targets.h"

using namespace quench::simd;

namespace {
struct Case {
  double sigma;  // spread of the logits
  double delta;  // spread of zq − zp
};

// The tolerances of one comparison: `rel` of the reference, or `abs` (for figures near 0).
struct Tolerance {
  double rel, abs;
};
// On the target Highway dispatches to by default (the best one): float32 elementwise, measured
// within 2e-6 relative (3e-7 fails); absolute floor for figures at 0.
constexpr Tolerance kDefaultTarget{2e-6, 1e-14};
// On the other targets, fewer lanes send more of a row through the float32 vector path instead of
// the double tail (AVX-512 sums rows under 16 entries in double): within what the header states,
// 1e-5 relative, or 1e-13 nats absolute, about the KL of logits one float32 ulp apart (|z| ≈ 3:
// (2·10⁻⁷)²/2 ≈ 2·10⁻¹⁴), which nearly equal rows reach.
constexpr Tolerance kOtherTargets{1e-5, 1e-13};

void compareOne(const float* zp, const float* zq, std::size_t n, const char* what, Tolerance tol = kDefaultTarget) {
  const RowDivergenceFigures ref = rowDivergence_ref(zp, zq, n);
  const RowDivergenceFigures got = rowDivergence(zp, zq, n);
  QVERIFY(ref.valid && got.valid);
  const QString ctx = QStringLiteral("%1 n=%2").arg(what).arg(n);
  QVERIFY2(quench::test::near(got.kl, ref.kl, tol.rel, tol.abs),
           qPrintable(ctx + QStringLiteral(" kl %1 vs %2").arg(got.kl, 0, 'g', 17).arg(ref.kl, 0, 'g', 17)));
  QVERIFY2(quench::test::near(got.js, ref.js, tol.rel, tol.abs),
           qPrintable(ctx + QStringLiteral(" js %1 vs %2").arg(got.js, 0, 'g', 17).arg(ref.js, 0, 'g', 17)));
  QVERIFY2(quench::test::near(got.lseP, ref.lseP, 1e-6, 1e-6), qPrintable(ctx + " lseP"));
  QVERIFY2(quench::test::near(got.lseQ, ref.lseQ, 1e-6, 1e-6), qPrintable(ctx + " lseQ"));
  QCOMPARE(got.argmaxP, ref.argmaxP);
  QCOMPARE(got.argmaxQ, ref.argmaxQ);
}
}  // namespace

class TestRowKernel : public QObject {
  Q_OBJECT
 private slots:
  void equivalence_data() {
    QTest::addColumn<QString>("target");
    QTest::addColumn<double>("sigma");
    QTest::addColumn<double>("delta");
    const std::pair<const char*, Case> cases[] = {{"wide, far", {3.0, 1.0}},
                                                  {"wide, close", {3.0, 1e-2}},
                                                  {"wide, very close", {3.0, 1e-4}},
                                                  {"narrow", {0.1, 0.05}},
                                                  {"very wide (underflow)", {40.0, 5.0}}};
    for (const std::string& t : compiledTargets())
      for (const auto& [name, c] : cases)
        QTest::newRow((t + ": " + name).c_str()) << QString::fromStdString(t) << c.sigma << c.delta;
  }
  void equivalence() {
    QFETCH(QString, target);
    QFETCH(double, sigma);
    QFETCH(double, delta);
    const ScopedTarget forced(target.toStdString());
    QVERIFY(forced.ok());
    const Tolerance tol = target.toStdString() == compiledTargets().front() ? kDefaultTarget : kOtherTargets;
    std::mt19937_64 rng(42);
    std::normal_distribution<double> g(0.0, 1.0);
    const std::vector<std::size_t> sizes{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 127, 255, 511, 1023, 32000};
    for (std::size_t n : sizes) {
      // +3 floats so every misalignment 0..3 has room.
      std::vector<float> zp(n + 3), zq(n + 3);
      for (std::size_t i = 0; i < n + 3; ++i) {
        zp[i] = static_cast<float>(sigma * g(rng));
        zq[i] = static_cast<float>(zp[i] + delta * g(rng));
      }
      for (std::size_t off = 0; off < 4; ++off) compareOne(zp.data() + off, zq.data() + off, n, "random", tol);
    }
  }

  void identicalRowsGiveZero() {
    std::vector<float> z(1000);
    for (std::size_t i = 0; i < z.size(); ++i) z[i] = static_cast<float>(std::sin(0.37 * i) * 4);
    const auto f = rowDivergence(z.data(), z.data(), z.size());
    QCOMPARE(f.kl, 0.0);
    QCOMPARE(f.js, 0.0);
  }

  void negativeInfinityUsesReference() {
    // Q masks token 1 where P has mass: KL = +∞; JS stays finite.
    std::vector<float> zp(40, 0.0f), zq(40, 0.0f);
    zq[1] = -std::numeric_limits<float>::infinity();
    const auto f = rowDivergence(zp.data(), zq.data(), zp.size());
    QVERIFY(f.valid);
    QVERIFY(std::isinf(f.kl));
    QVERIFY(std::isfinite(f.js));
    // P masks it instead: finite KL = ln(40/39) (P uniform on 39, Q uniform on 40).
    const auto r = rowDivergence(zq.data(), zp.data(), zp.size());
    QUENCH_COMPARE_NEAR(r.kl, std::log(40.0 / 39.0), 1e-13, 0);
  }

  void invalidRows() {
    std::vector<float> zp(20, 0.0f), zq(20, 0.0f);
    zp[13] = std::nanf("");
    QVERIFY(!rowDivergence(zp.data(), zq.data(), zp.size()).valid);
    zp[13] = std::numeric_limits<float>::infinity();
    QVERIFY(!rowDivergence(zp.data(), zq.data(), zp.size()).valid);
    std::fill(zq.begin(), zq.end(), -std::numeric_limits<float>::infinity());
    zp[13] = 0.0f;
    QVERIFY(!rowDivergence(zp.data(), zq.data(), zp.size()).valid);
  }

  void handComputed() {
    // P = softmax(0, ln 3) = (¼, ¾), Q = (½, ½): KL = ¼ ln ½ + ¾ ln (3/2).
    const float zp[2] = {0.0f, static_cast<float>(std::log(3.0))}, zq[2] = {1.0f, 1.0f};
    const auto f = rowDivergence_ref(zp, zq, 2);
    QUENCH_COMPARE_NEAR(f.kl, 0.25 * std::log(0.5) + 0.75 * std::log(1.5), 1e-7, 0);
    QCOMPARE(f.argmaxP, std::size_t{1});
    QCOMPARE(f.argmaxQ, std::size_t{0});  // first index on ties
  }
};

QTEST_APPLESS_MAIN(TestRowKernel)
#include "test_row_kernel.moc"
