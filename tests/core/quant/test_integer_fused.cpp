// quantizeIntegerInto checks finiteness, calibrates and quantizes each contiguous part in one visit
// (the tensor is read once), other partitions check finiteness inside the calibration pass. These tests pin what that must not change: the error text and which
// error wins, and results identical to the unfused two-step path
// (integerPartParams then quantizeWithParams).
#include <QtTest/QtTest>

#include <algorithm>

#include <cmath>
#include <random>

#include "core/quant/integer.h"
#include "core/stats/histogram.h"

using namespace quench;

class TestIntegerFused : public QObject {
  Q_OBJECT
 private slots:
  void firstNonFiniteElementIsNamed() {
    // 4 rows × 5 columns; +Inf at flat index 7 (row 1), NaN at 13 (row 2): the message names the
    // first one in flat order and counts both, whichever part the parallel pass saw first.
    std::vector<float> x(20, 0.5f);
    x[13] = NAN;
    x[7] = INFINITY;
    auto r = quantizeInteger(x, Partition::rows(4, 5), IntegerParams{});
    QVERIFY(!r.ok());
    QCOMPARE(r.error().message, std::string("quantize: element 7 is infinite (2 non-finite values); integer "
                                            "quantization needs finite data"));
  }

  void nonFiniteWinsOverOtherErrors() {
    std::vector<float> x(20, 0.5f);
    x[3] = NAN;
    IntegerParams bad;
    bad.bits = 9;  // invalid
    auto r1 = quantizeInteger(x, Partition::rows(4, 5), bad);
    QVERIFY(!r1.ok());
    QVERIFY(r1.error().message.find("element 3 is NaN") != std::string::npos);
    auto r2 = quantizeInteger(x, Partition::rows(5, 5), IntegerParams{});  // covers 25 ≠ 20 elements
    QVERIFY(!r2.ok());
    QVERIFY(r2.error().message.find("element 3 is NaN") != std::string::npos);
    // Finite data: the parameter error itself.
    x[3] = 0.25f;
    auto r3 = quantizeInteger(x, Partition::rows(4, 5), bad);
    QVERIFY(!r3.ok());
    QVERIFY(r3.error().message.find("bits must be 2..8 or 16") != std::string::npos);
  }

  void sameAsTwoStepPath_data() {
    QTest::addColumn<QString>("calibration");
    QTest::addColumn<bool>("symmetric");
    QTest::addColumn<QString>("partition");
    for (const char* c : {"absmax", "minmax", "percentile:99.5", "mse", "entropy"})
      for (bool sym : {true, false})
        for (const char* part : {"row", "column", "group:16"}) {
          // Entropy calibration costs ~20 ms per part: one partition shows it is forwarded.
          if (std::string(c) == "entropy" && std::string(part) != "row") continue;
          QTest::newRow((std::string(c) + (sym ? " sym " : " asym ") + part).c_str())
              << QString(c) << sym << QString(part);
        }
  }

  void sameAsTwoStepPath() {
    QFETCH(QString, calibration);
    QFETCH(bool, symmetric);
    QFETCH(QString, partition);
    std::mt19937 gen(7);
    std::normal_distribution<float> nd(0.0f, 0.05f);
    std::vector<float> x(48 * 40);
    for (float& v : x) v = nd(gen);
    const std::vector<std::int64_t> shape{48, 40};
    auto part = Partition::fromSpec(partition.toStdString(), shape);
    QVERIFY(part.ok());
    IntegerParams p;
    p.bits = 4;
    p.symmetric = symmetric;
    auto cal = parseCalibration(calibration.toStdString());
    QVERIFY(cal.ok());
    p.calibration = *cal;
    auto fused = quantizeInteger(x, *part, p);
    QVERIFY(fused.ok());
    auto params = integerPartParams(x, *part, p);
    QVERIFY(params.ok());
    auto twoStep = quantizeWithParams(x, *part, *params, p.rounding, p.scaleFormat, !p.symmetric, p.seed);
    QVERIFY(twoStep.ok());
    QCOMPARE(fused->codes, twoStep->codes);
    QCOMPARE(fused->reconstruction, twoStep->reconstruction);
    QCOMPARE(fused->saturated, twoStep->saturated);
    QCOMPARE(fused->total.mse, twoStep->total.mse);
    QCOMPARE(fused->total.saturated, twoStep->total.saturated);
    QCOMPARE(fused->total.bitsPerParam, twoStep->total.bitsPerParam);
    QCOMPARE(fused->parts.size(), twoStep->parts.size());
    for (std::size_t j = 0; j < fused->parts.size(); ++j) {
      QCOMPARE(fused->parts[j].params.scale, twoStep->parts[j].params.scale);
      QCOMPARE(fused->parts[j].params.zeroPoint, twoStep->parts[j].params.zeroPoint);
      QCOMPARE(fused->parts[j].figures.mse, twoStep->parts[j].figures.mse);
      QCOMPARE(fused->parts[j].saturated, twoStep->parts[j].saturated);
    }
  }

  // IntegerOutputs{codes = false} (the GUI's after-a-change path): identical reconstruction, flags
  // and figures, no codes; reconstructionMin/Max are the min/max of x~ and give the histogram
  // computeHistogram finds by itself.
  void withoutCodes() {
    std::mt19937 gen(7);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    std::vector<float> x(64 * 300);
    for (float& v : x) v = nd(gen);
    for (const char* spec : {"row", "group:32", "column", "tensor"}) {
      const std::vector<std::int64_t> shape{64, 300};
      auto part = Partition::fromSpec(spec, shape);
      QVERIFY(part.ok());
      for (const Rounding r : {Rounding::HalfEven, Rounding::HalfUp}) {
        IntegerParams p{5};
        p.rounding = r;
        QuantResult all, lean;
        QVERIFY(quantizeIntegerInto(all, x, *part, p));
        QVERIFY(quantizeIntegerInto(lean, x, *part, p, {}, IntegerOutputs{.codes = false}));
        QCOMPARE(all.codes.size(), x.size());
        QVERIFY(lean.codes.empty());
        QCOMPARE(lean.reconstruction, all.reconstruction);
        QCOMPARE(lean.saturated, all.saturated);
        QCOMPARE(lean.total.mse, all.total.mse);
        QCOMPARE(lean.total.saturated, all.total.saturated);
        const auto [lo, hi] = std::minmax_element(all.reconstruction.begin(), all.reconstruction.end());
        QCOMPARE(lean.total.reconstructionMin, static_cast<double>(*lo));
        QCOMPARE(lean.total.reconstructionMax, static_cast<double>(*hi));
        const Histogram own = computeHistogram(lean.reconstruction, 2048);
        const Histogram given = computeHistogram(
            lean.reconstruction, 2048,
            automaticHistogramRange(lean.total.reconstructionMin, lean.total.reconstructionMax));
        QCOMPARE(given.lo, own.lo);
        QCOMPARE(given.hi, own.hi);
        QCOMPARE(given.counts, own.counts);
        // Asking for codes again after a lean call fills them.
        QVERIFY(quantizeIntegerInto(lean, x, *part, p));
        QCOMPARE(lean.codes, all.codes);
      }
    }
    // A constant reconstruction: the automatic range is [v − ½, v + ½].
    QCOMPARE(automaticHistogramRange(2.0, 2.0), std::make_pair(1.5, 2.5));
    QCOMPARE(automaticHistogramRange(INFINITY, -INFINITY), std::make_pair(0.0, 1.0));
  }
};

QTEST_APPLESS_MAIN(TestIntegerFused)
#include "test_integer_fused.moc"
