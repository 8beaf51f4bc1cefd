// summarize (TBB over the SIMD kernel) against closed forms computed by hand and against the
// scalar specification summarize_ref, with NaN/Inf payloads and sizes that split unevenly.
#include <QtTest/QtTest>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "common/fuzzy.h"
#include "core/stats/summary.h"

using namespace quench;

class TestSummary : public QObject {
  Q_OBJECT
 private slots:
  void arithmeticSequence();
  void specialsAreCountedNotFolded();
  void matchesReference_data();
  void matchesReference();
  void empty();
};

void TestSummary::arithmeticSequence() {
  // x_i = i − 1000 for i = 0..n−1 (n = 2^20 + 7, exact in float): mean (n−1)/2 − 1000,
  // population variance (n² − 1)/12, min −1000, max n − 1001.
  const std::size_t n = (std::size_t{1} << 20) + 7;
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(i) - 1000.0f;
  const double nd = static_cast<double>(n);
  for (const Summary& s : {summarize(x), summarize_ref(x)}) {
    QCOMPARE(s.count, std::uint64_t{n});
    QCOMPARE(s.nan, std::uint64_t{0});
    QCOMPARE(s.min, -1000.0);
    QCOMPARE(s.max, nd - 1001.0);
    QUENCH_COMPARE_NEAR(s.mean, (nd - 1) / 2 - 1000, 1e-13, 0);
    // Σ(x − mean)² ≈ 1e17 is past 2^53: the double accumulation itself rounds at ~1e-11.
    QUENCH_COMPARE_NEAR(s.std, std::sqrt((nd * nd - 1) / 12), 1e-10, 0);
    QCOMPARE(s.absmax, nd - 1001.0);
  }
}

void TestSummary::specialsAreCountedNotFolded() {
  // {−3, NaN, 1, +Inf, −Inf, NaN}: finite {−3, 1}: mean −1, std 2, absmax 3.
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const std::vector<float> x{-3, nan, 1, inf, -inf, nan};
  const Summary s = summarize(x);
  QCOMPARE(s.count, std::uint64_t{2});
  QCOMPARE(s.nan, std::uint64_t{2});
  QCOMPARE(s.inf, std::uint64_t{2});
  QCOMPARE(s.min, -3.0);
  QCOMPARE(s.max, 1.0);
  QCOMPARE(s.mean, -1.0);
  QCOMPARE(s.std, 2.0);
  QCOMPARE(s.absmax, 3.0);
}

void TestSummary::matchesReference_data() {
  QTest::addColumn<qulonglong>("n");
  for (qulonglong n : {1ull, 65535ull, 65537ull, 300001ull, 3000017ull}) QTest::newRow(qPrintable(QString::number(n))) << n;
}

void TestSummary::matchesReference() {
  QFETCH(qulonglong, n);
  std::mt19937 rng(static_cast<unsigned>(n));
  std::normal_distribution<float> normal(2.0f, 0.01f);  // small spread on an offset: stresses m2
  std::vector<float> x(n);
  for (auto& v : x) v = normal(rng);
  if (n > 100) {
    x[7] = std::numeric_limits<float>::quiet_NaN();
    x[n / 2] = -std::numeric_limits<float>::infinity();
  }
  const Summary a = summarize(x), r = summarize_ref(x);
  QCOMPARE(a.count, r.count);
  QCOMPARE(a.nan, r.nan);
  QCOMPARE(a.inf, r.inf);
  QCOMPARE(a.min, r.min);
  QCOMPARE(a.max, r.max);
  QUENCH_COMPARE_NEAR(a.mean, r.mean, 1e-12, 0);
  QUENCH_COMPARE_NEAR(a.std, r.std, 1e-9, 0);
}

void TestSummary::empty() {
  const Summary s = summarize(std::span<const float>{});
  QCOMPARE(s.count, std::uint64_t{0});
  QCOMPARE(s.mean, 0.0);
  QCOMPARE(s.std, 0.0);
}

QTEST_APPLESS_MAIN(TestSummary)
#include "test_summary.moc"
