// histogramAccumulate keeps 16-bit sub-counters and flushes them before any can overflow: a
// single call with 2^20 + 5 equal values into one bin (every lane counter far past 65535) and a
// call spread over 3 bins must give exactly the scalar twin's counts, on every compiled target.
#include <QtTest/QtTest>

#include "core/simd/quant_kernels.h"
#include "core/simd/targets.h"

using namespace quench::simd;

class TestHistogramFlush : public QObject {
  Q_OBJECT
 private slots:
  void cleanup() { resetTarget(); }

  void countersDoNotOverflow_data() {
    QTest::addColumn<QString>("target");
    for (const std::string& t : compiledTargets()) QTest::newRow(t.c_str()) << QString::fromStdString(t);
  }

  void countersDoNotOverflow() {
    QFETCH(QString, target);
    QVERIFY(forceTarget(target.toStdString()));
    const std::size_t n = (std::size_t{1} << 20) + 5;
    std::vector<float> x(n, 0.25f);
    for (std::size_t bins : {std::size_t{1}, std::size_t{4}}) {
      std::vector<std::uint64_t> a(bins, 0), b(bins, 0);
      std::uint64_t oa[4] = {0, 0, 0, 0}, ob[4] = {0, 0, 0, 0};
      histogramAccumulate(x.data(), n, 0.0, 1.0, a.data(), bins, oa);
      histogramAccumulate_ref(x.data(), n, 0.0, 1.0, b.data(), bins, ob);
      QCOMPARE(a, b);
      QCOMPARE(a[bins == 1 ? 0 : 1], std::uint64_t{n});  // 0.25 of [0, 1): bin 0 of 1, bin 1 of 4
    }
    // Three values in turn: bins 0, 1 and 3 of 4, each far past 65535.
    for (std::size_t i = 0; i < n; ++i) x[i] = i % 3 == 0 ? 0.1f : (i % 3 == 1 ? 0.3f : 0.9f);
    std::vector<std::uint64_t> a(4, 0), b(4, 0);
    std::uint64_t oa[4] = {0, 0, 0, 0}, ob[4] = {0, 0, 0, 0};
    histogramAccumulate(x.data(), n, 0.0, 1.0, a.data(), 4, oa);
    histogramAccumulate_ref(x.data(), n, 0.0, 1.0, b.data(), 4, ob);
    QCOMPARE(a, b);
    QCOMPARE(a[0], std::uint64_t{(n + 2) / 3});
  }
};

QTEST_APPLESS_MAIN(TestHistogramFlush)
#include "test_histogram_flush.moc"
