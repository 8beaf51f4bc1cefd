// §7 error figures: hand-computed values, NaN/Inf counting, and the parallel SIMD path against
// a plain double loop.
#include <QtTest/QtTest>

#include <cmath>
#include <random>

#include "common/fuzzy.h"
#include "core/stats/error_figures.h"

using namespace quench;

class TestErrorFigures : public QObject {
  Q_OBJECT
 private slots:
  void byHand() {
    // x = [1, 2, 3, 4], x~ = [1, 2, 3, 5]: Σe² = 1, N = 4 → MSE 0.25, RMSE 0.5, max 1;
    // SQNR = 10·log10(30/1) = 14.771212547196624 dB; cosine = 34/√(30·39) = 0.9939990885479664.
    const std::vector<float> x{1, 2, 3, 4}, xr{1, 2, 3, 5};
    const std::vector<std::uint8_t> sat{0, 0, 0, 1};
    const ErrorFigures f = computeErrorFigures(x, xr, sat);
    QCOMPARE(f.numel, std::uint64_t{4});
    QCOMPARE(f.mse, 0.25);
    QCOMPARE(f.rmse, 0.5);
    QCOMPARE(f.maxAbsError, 1.0);
    QUENCH_COMPARE_NEAR(f.sqnrDb, 14.771212547196624, 1e-15, 0);
    QUENCH_COMPARE_NEAR(f.cosine, 0.9939990885479664, 1e-15, 0);
    QCOMPARE(f.saturated, std::uint64_t{1});
    QCOMPARE(f.saturatedFraction, 0.25);
    ErrorFigures g = f;
    setStorage(g, 4 * 8 + 32);
    QCOMPARE(g.bitsPerParam, 16.0);
    QCOMPARE(g.compressedBytes, std::uint64_t{8});
  }

  void nonFiniteCounted() {
    // NaN and Inf originals are counted and skipped: N = 2, errors 0 and 0.5 → MSE 0.125.
    const std::vector<float> x{1, NAN, INFINITY, 2}, xr{1, 0, 0, 2.5f};
    const ErrorFigures f = computeErrorFigures(x, xr);
    QCOMPARE(f.nan, std::uint64_t{1});
    QCOMPARE(f.inf, std::uint64_t{1});
    QCOMPARE(f.mse, 0.125);
    QCOMPARE(f.maxAbsError, 0.5);
    QVERIFY(std::isfinite(f.sqnrDb));
    // The reconstruction's range covers the pairs with a finite original only: {1, 2.5}.
    QCOMPARE(f.reconstructionMin, 1.0);
    QCOMPARE(f.reconstructionMax, 2.5);
    // A finite original reconstructed as Inf is an infinite error, counted.
    const std::vector<float> y{1, 70000}, yr{1, INFINITY};
    const ErrorFigures h = computeErrorFigures(y, yr);
    QCOMPARE(h.nonFiniteReconstruction, std::uint64_t{1});
    QVERIFY(std::isinf(h.mse));
    QCOMPARE(h.reconstructionMax, 1.0);  // the Inf reconstruction is not in the range
  }

  void edgeCases() {
    const std::vector<float> z{0, 0}, one{0, 1};
    QVERIFY(std::isinf(computeErrorFigures(one, one).sqnrDb));  // exact reconstruction
    QCOMPARE(computeErrorFigures(one, one).cosine, 1.0);
    QCOMPARE(computeErrorFigures(z, z).cosine, 1.0);
    QCOMPARE(computeErrorFigures(one, z).cosine, 0.0);
    QVERIFY(computeErrorFigures(z, one).sqnrDb < 0 && std::isinf(computeErrorFigures(z, one).sqnrDb));
    QCOMPARE(computeErrorFigures(std::vector<float>{}, std::vector<float>{}).mse, 0.0);
  }

  void largeMatchesPlainLoop() {
    // 1,000,003 elements (parallel chunks, SIMD sums, odd tail), one NaN in the middle chunk.
    std::vector<float> x(1000003), xr(x.size());
    std::mt19937 gen(2);
    std::normal_distribution<float> nd;
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] = nd(gen);
      xr[i] = x[i] + 0.01f * nd(gen);
    }
    x[500001] = NAN;
    double e2 = 0, x2 = 0, r2 = 0, dot = 0, mx = 0;
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (std::isnan(x[i])) continue;
      const double a = x[i], b = xr[i];
      e2 += (a - b) * (a - b);
      x2 += a * a;
      r2 += b * b;
      dot += a * b;
      mx = std::max(mx, std::abs(a - b));
      ++n;
    }
    const ErrorFigures f = computeErrorFigures(x, xr);
    QCOMPARE(f.nan, std::uint64_t{1});
    // Different summation orders of 10^6 double terms differ by up to ~n·ε relative: 1e-9.
    QUENCH_COMPARE_NEAR(f.mse, e2 / n, 1e-9, 0);
    QCOMPARE(f.maxAbsError, mx);
    QUENCH_COMPARE_NEAR(f.sqnrDb, 10 * std::log10(x2 / e2), 1e-9, 0);
    QUENCH_COMPARE_NEAR(f.cosine, dot / std::sqrt(x2 * r2), 1e-9, 0);
  }
};

QTEST_APPLESS_MAIN(TestErrorFigures)
#include "test_error_figures.moc"
