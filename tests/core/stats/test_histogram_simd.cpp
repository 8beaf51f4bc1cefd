// computeHistogram (parallel, SIMD bin indices, SIMD auto range) against computeHistogram_ref, its
// scalar specification: identical counts, including NaN/±Inf, out-of-range values and exact edges.
#include <QtTest/QtTest>

#include <cmath>
#include <random>

#include "core/stats/histogram.h"

using namespace quench;

class TestHistogramSimd : public QObject {
  Q_OBJECT
 private slots:
  void matchesReference() {
    std::mt19937 gen(4);
    std::normal_distribution<float> nd;
    for (std::size_t n : {std::size_t{1}, std::size_t{3}, std::size_t{1000}, std::size_t{300001}}) {
      std::vector<float> x(n);
      for (float& v : x) v = nd(gen);
      if (n > 100) {
        x[7] = NAN;
        x[8] = INFINITY;
        x[9] = -INFINITY;
        x[10] = 1.0f;  // exactly a bin edge of [−4, 4] with 2048 bins
      }
      for (std::size_t bins : {std::size_t{1}, std::size_t{2048}, std::size_t{100}}) {
        for (auto range : {std::optional<std::pair<double, double>>{}, std::optional(std::make_pair(-1.0, 0.5)),
                           std::optional(std::make_pair(-4.0, 4.0))}) {
          const Histogram a = computeHistogram(x, bins, range), b = computeHistogram_ref(x, bins, range);
          QCOMPARE(a.lo, b.lo);
          QCOMPARE(a.hi, b.hi);
          QCOMPARE(a.counts, b.counts);
          QCOMPARE(a.below, b.below);
          QCOMPARE(a.above, b.above);
          QCOMPARE(a.nan, b.nan);
          QCOMPARE(a.inf, b.inf);
        }
      }
    }
  }

  void byHand() {
    // [0, 4) with 4 bins: 0 → bin 0, 0.999 → 0, 1 → 1, 3.5 → 3, 4 (= hi) → last bin, 5 above,
    // −1 below.
    const std::vector<float> x{0.0f, 0.999f, 1.0f, 3.5f, 4.0f, 5.0f, -1.0f};
    const Histogram h = computeHistogram(x, 4, std::make_pair(0.0, 4.0));
    QCOMPARE(h.counts, (std::vector<std::uint64_t>{2, 1, 0, 2}));
    QCOMPARE(h.above, std::uint64_t{1});
    QCOMPARE(h.below, std::uint64_t{1});
  }
};

QTEST_APPLESS_MAIN(TestHistogramSimd)
#include "test_histogram_simd.moc"
