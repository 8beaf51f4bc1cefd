// The saturated count of computeErrorFigures (counted eight flag bytes at a time) against a plain
// count, for every length 0..40 and flag bytes that are not just 0/1 (0x7F, 0x80, 0xFF are the
// values where a per-byte carry or sign trick would go wrong), and on a tensor large enough for
// the parallel path.
#include <QtTest/QtTest>

#include <random>

#include "core/stats/error_figures.h"

using namespace quench;

class TestSaturatedCount : public QObject {
  Q_OBJECT
 private slots:
  void matchesPlainCount() {
    std::mt19937 gen(3);
    const std::uint8_t values[] = {0, 0, 0, 1, 0x7F, 0x80, 0xFF, 2};
    std::uniform_int_distribution<int> pick(0, 7);
    for (std::size_t n = 0; n <= 40; ++n) {
      std::vector<float> x(n, 1.0f), xr(n, 0.5f);
      std::vector<std::uint8_t> sat(n);
      std::uint64_t expected = 0;
      for (auto& s : sat) {
        s = values[pick(gen)];
        expected += s != 0;
      }
      QCOMPARE(computeErrorFigures(x, xr, sat).saturated, expected);
    }
  }

  void largeTensor() {
    const std::size_t n = (1 << 18) + 13;
    std::vector<float> x(n, 1.0f), xr(n, 1.0f);
    std::vector<std::uint8_t> sat(n, 0);
    for (std::size_t i = 0; i < n; i += 7) sat[i] = 0x80;
    QCOMPARE(computeErrorFigures(x, xr, sat).saturated, std::uint64_t{(n + 6) / 7});
  }
};

QTEST_APPLESS_MAIN(TestSaturatedCount)
#include "test_saturated_count.moc"
