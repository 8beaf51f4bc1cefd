// summaryMoments (Highway, every compiled target) against its scalar twin summaryMoments_ref:
// sizes 1..1023, misaligned starts, NaN/±Inf payloads; counts, min and max exact, mean and m2
// within a tolerance scaled by ε·magnitude. Plus one chunk computed by hand.
#include <QtTest/QtTest>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/simd/summary_kernels.h"
#include "core/simd/targets.h"

using namespace quench::simd;

namespace {
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Normal values with a varying offset, and about 3% NaN / +Inf / −Inf when `specials`.
std::vector<float> makeData(std::size_t n, std::mt19937& rng, bool specials) {
  std::normal_distribution<float> normal(0.5f, 3.0f);
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<float> v(n);
  for (auto& x : v) {
    x = normal(rng);
    if (specials) {
      const int p = pick(rng);
      if (p == 0) x = kNan;
      if (p == 1) x = kInf;
      if (p == 2) x = -kInf;
    }
  }
  return v;
}

bool sameMoments(const SummaryMoments& a, const SummaryMoments& r, const std::vector<float>& x, QString& why) {
  // Magnitudes the rounding errors scale with: Σ|x| for the sums, and for m2 also the shifted
  // Σ(x − x₀)² and (Σ(x − x₀))²/n of the all-finite single-pass path (x₀ = the first value).
  double absSum = 0, shifted1 = 0, shifted2 = 0;
  for (float v : x)
    if (std::isfinite(v)) {
      absSum += std::fabs(v);
      shifted1 += static_cast<double>(v) - x[0];
      shifted2 += (static_cast<double>(v) - x[0]) * (static_cast<double>(v) - x[0]);
    }
  const double eps = std::numeric_limits<double>::epsilon();
  const double n = static_cast<double>(x.size());
  // Double sums of n terms in a different order differ by at most ~n·ε·Σ|x|.
  const double meanTol = 4 * n * eps * absSum / std::max<double>(1.0, static_cast<double>(r.count));
  const double m2Tol =
      8 * n * eps * (r.m2 + shifted2 + shifted1 * shifted1 / n + absSum * absSum / std::max<double>(1.0, static_cast<double>(r.count)));
  if (a.count != r.count || a.nan != r.nan || a.inf != r.inf) why = "counts differ";
  else if (a.min != r.min || a.max != r.max) why = QStringLiteral("min/max %1 %2 vs %3 %4").arg(a.min).arg(a.max).arg(r.min).arg(r.max);
  else if (std::fabs(a.mean - r.mean) > meanTol) why = QStringLiteral("mean %1 vs %2").arg(a.mean, 0, 'g', 17).arg(r.mean, 0, 'g', 17);
  else if (std::fabs(a.m2 - r.m2) > m2Tol) why = QStringLiteral("m2 %1 vs %2").arg(a.m2, 0, 'g', 17).arg(r.m2, 0, 'g', 17);
  else return true;
  return false;
}
}  // namespace

class TestSummaryKernels : public QObject {
  Q_OBJECT
 private slots:
  void byHand();
  void noFiniteValues();
  void equivalenceOnEveryTarget();
  void cleanupTestCase() { resetTarget(); }
};

void TestSummaryKernels::byHand() {
  // {1, 2, 3, 4} finite: mean 2.5, Σ(x − 2.5)² = 2.25 + 0.25 + 0.25 + 2.25 = 5.
  const std::vector<float> x{1, kNan, 2, kInf, 3, -kInf, 4};
  for (const SummaryMoments& m : {summaryMoments(x.data(), x.size()), summaryMoments_ref(x.data(), x.size())}) {
    QCOMPARE(m.count, std::uint64_t{4});
    QCOMPARE(m.nan, std::uint64_t{1});
    QCOMPARE(m.inf, std::uint64_t{2});
    QCOMPARE(m.min, 1.0);
    QCOMPARE(m.max, 4.0);
    QCOMPARE(m.mean, 2.5);
    QCOMPARE(m.m2, 5.0);
  }
  // Merging {1, 2} and {3, 4, NaN} gives the same figures (Chan's update is exact here).
  const std::vector<float> p{1, 2}, q{3, 4, kNan};
  const auto merged = mergeSummaryMoments(summaryMoments(p.data(), 2), summaryMoments(q.data(), 3));
  QCOMPARE(merged.count, std::uint64_t{4});
  QCOMPARE(merged.nan, std::uint64_t{1});
  QCOMPARE(merged.mean, 2.5);
  QCOMPARE(merged.m2, 5.0);
}

void TestSummaryKernels::noFiniteValues() {
  for (const std::vector<float>& x : {std::vector<float>{}, std::vector<float>{kNan, kInf, -kInf}}) {
    const auto m = summaryMoments(x.data(), x.size());
    QCOMPARE(m.count, std::uint64_t{0});
    QCOMPARE(m.nan + m.inf, std::uint64_t{x.size()});
    QCOMPARE(m.mean, 0.0);
    QCOMPARE(m.m2, 0.0);
  }
}

void TestSummaryKernels::equivalenceOnEveryTarget() {
  const auto targets = compiledTargets();
  QVERIFY(!targets.empty());
  std::mt19937 rng(1234);
  for (const std::string& target : targets) {
    QVERIFY(forceTarget(target));
    for (std::size_t n = 1; n < 1024; ++n) {
      for (std::size_t misalign = 0; misalign < 4; ++misalign) {
        const bool specials = (n + misalign) % 2 == 0;
        const auto data = makeData(n + misalign, rng, specials);
        const std::vector<float> x(data.begin() + static_cast<std::ptrdiff_t>(misalign), data.end());
        // Run on the misaligned view inside `data`, compare with the reference on the same values.
        const auto got = summaryMoments(data.data() + misalign, n);
        const auto want = summaryMoments_ref(x.data(), n);
        QString why;
        QVERIFY2(sameMoments(got, want, x, why),
                 qPrintable(QStringLiteral("target %1, n %2, misalign %3: %4")
                                .arg(QString::fromStdString(target)).arg(n).arg(misalign).arg(why)));
      }
    }
  }
  resetTarget();
  std::string names;
  for (const auto& t : targets) names += t + ' ';
  qInfo("checked targets: %s", names.c_str());
}

QTEST_APPLESS_MAIN(TestSummaryKernels)
#include "test_summary_kernels.moc"
