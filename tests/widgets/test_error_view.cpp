// ErrorView: per-part figures along the part index on a hand-made 3-row tensor (an exact row with
// infinite SQNR, a row with one saturated element of four, a plain row), the metric switch, the
// error histogram, markers off for 4096 parts, and a screenshot on a demo tensor in 4096 groups.
#include <qcustomplot.h>

#include <QComboBox>
#include <QtTest/QtTest>
#include <cmath>

#include "widgets/text_format.h"
#include "core/io/demo.h"
#include "core/quant/integer.h"
#include "core/stats/histogram.h"
#include "widgets/error_view.h"
#include "widgets/plot_export_menu.h"

using namespace quench;
using quench::widgets::ErrorView;

namespace {
Histogram errorHistogram(std::span<const float> x, std::span<const float> xr, std::size_t bins) {
  std::vector<float> e(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) e[i] = xr[i] - x[i];
  return computeHistogram(e, bins);
}
}  // namespace

class TestErrorView : public QObject {
  Q_OBJECT
 private slots:
  void perPartFiguresOfHandMadeRows() {
    // Row 0 {1, −1, 0, 0}: absmax s = 1/7, codes ±7, 0: exact, SQNR ∞.
    // Row 1 {2, 0.5, 0, 0} with s = 1/8 by hand: 2/s = 16 > 7 saturates (1 of 4 = 25 %), 0.5 → 4.
    //   error only on 2 → 7/8: Σx² = 4.25, Σe² = 1.125² → SQNR = 10·log10(4.25 / 1.265625).
    // Row 2 {0.5, 0.25, 0, 0}: absmax s = fp32(0.5/7) = 0.07142857462...; 0.25/s = 3.4999998 → 3.
    const std::vector<float> x{1, -1, 0, 0, 2, 0.5f, 0, 0, 0.5f, 0.25f, 0, 0};
    IntegerParams params;
    params.bits = 4;
    params.overrides[1].scale = 0.125;
    auto r = quantizeInteger(x, Partition::rows(3, 4), params);
    QVERIFY(r);
    QCOMPARE(r->parts.size(), std::size_t(3));
    ErrorView v;
    v.resize(900, 700);
    v.setResult(r->parts, errorHistogram(x, r->reconstruction, 32), "hand · int4 row");
    QCOMPARE(v.title(), QStringLiteral("hand · int4 row: error per part"));
    const auto m = v.metricGraph()->data();
    QCOMPARE(m->size(), 3);
    QCOMPARE(m->at(0)->key, 0.0);
    QVERIFY(std::isnan(m->at(0)->value));  // infinite SQNR: a gap, counted in the note
    QVERIFY(std::fabs(m->at(1)->value - 10 * std::log10(4.25 / (1.125 * 1.125))) < 1e-9);
    // Row 2 by hand: 0.25 → 3·s, error 3s − 1/4 ≈ −0.0357 (0.5 → 7s is off by 2e-8 only).
    const double s2 = double(float(0.5 / 7));
    const double e2 = 3 * s2 - 0.25;
    QVERIFY(std::fabs(m->at(2)->value - 10 * std::log10((0.25 + 0.0625) / (e2 * e2))) < 1e-5);
    const auto sat = v.saturationGraph()->data();
    QCOMPARE(sat->at(0)->value, 0.0);
    QCOMPARE(sat->at(1)->value, 25.0);
    QCOMPARE(sat->at(2)->value, 0.0);
    QCOMPARE(v.partsPlot()->yAxis->label(), QStringLiteral("SQNR (dB)"));
    QCOMPARE(v.saturationGraph()->valueAxis()->label(), QStringLiteral("saturated (%)"));
    QCOMPARE(v.saturationGraph()->keyAxis()->label(), QStringLiteral("part index"));
    // The two panels share the part axis: zooming one moves the other.
    v.partsPlot()->xAxis->setRange(1, 2);
    QCOMPARE(v.saturationGraph()->keyAxis()->range().lower, 1.0);
    QCOMPARE(v.saturationGraph()->keyAxis()->range().upper, 2.0);
    QVERIFY(v.noteText().contains("3 parts"));
    QVERIFY(v.noteText().contains("worst SQNR"));
    QVERIFY(v.noteText().contains("(part 1)"));  // 2 → 7/8 is the worst relative error
    QVERIFY(v.noteText().contains("1 part with infinite SQNR"));
    QVERIFY(v.noteText().contains("1 part saturates"));
    // Few parts: a line with a marker on every point.
    QCOMPARE(v.metricGraph()->lineStyle(), QCPGraph::lsLine);
    QCOMPARE(v.metricGraph()->scatterStyle().shape(), QCPScatterStyle::ssDisc);

    // Max |error| per part: 0, 1.125, |3s − 1/4|.
    v.findChild<QComboBox*>("errorMetric")->setCurrentIndex(2);
    QCOMPARE(v.metric(), ErrorView::Metric::MaxAbsError);
    QCOMPARE(v.metricGraph()->data()->at(0)->value, 0.0);
    QCOMPARE(v.metricGraph()->data()->at(1)->value, 1.125);
    QVERIFY(std::fabs(v.metricGraph()->data()->at(2)->value - std::fabs(e2)) < 1e-6);
    QVERIFY(v.partsPlot()->yAxis->label().startsWith("max |x̃ − x|"));

    // Error histogram: 12 values, the x axis names the error.
    double total = 0;
    for (int i = 0; i < v.errorBars()->data()->size(); ++i) total += v.errorBars()->data()->at(i)->value;
    QCOMPARE(total, 12.0);
    QCOMPARE(v.histogramPlot()->xAxis->label(), QStringLiteral("error x̃ − x (weight units)"));
    QVERIFY(quench::widgets::exportAction(v.partsPlot()));
    QVERIFY(quench::widgets::exportAction(v.histogramPlot()));

    v.clear();
    QCOMPARE(v.metricGraph()->data()->size(), 0);
    QVERIFY(v.noteText().isEmpty());
  }

  void readableFor4096Parts() {
    // attn_q of the demo (512×512) in groups of 64 along rows: 4096 parts; a 99th-percentile clip
    // saturates the largest value or so of most groups.
    auto reader = makeDemoReader();
    auto t = reader->readFloat(std::string_view("blk.0.attn_q.weight"));
    QVERIFY(t);
    auto part = Partition::groups(t->rows(), t->cols(), 64);
    QVERIFY(part);
    IntegerParams params;
    params.bits = 4;
    params.calibration.method = CalibrationMethod::Percentile;
    params.calibration.percentile = 99.0;
    auto r = quantizeInteger(t->values, *part, params);
    QVERIFY(r);
    QCOMPARE(r->parts.size(), std::size_t(4096));
    ErrorView v;
    v.resize(1000, 700);
    v.setResult(r->parts, errorHistogram(t->values, r->reconstruction, 200), "blk.0.attn_q.weight · int4 sym percentile 99 group:64");
    QCOMPARE(v.metricGraph()->data()->size(), 4096);
    QCOMPARE(v.metricGraph()->lineStyle(), QCPGraph::lsNone);  // dots, no zig-zag line
    QCOMPARE(v.partsPlot()->xAxis->range().lower, -0.5);
    QCOMPARE(v.partsPlot()->xAxis->range().upper, 4095.5);
    QVERIFY2(v.noteText().contains(quench::widgets::formatCount(4096) + " parts"), qPrintable(v.noteText()));
    if (qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS"))
      QVERIFY(v.grab().save(QUENCH_SOURCE_DIR "/resources/screenshots/view-error.png"));
    if (qEnvironmentVariableIsSet("QUENCH_SCREENSHOT_DIR"))
      QVERIFY(v.grab().save(qEnvironmentVariable("QUENCH_SCREENSHOT_DIR") + "/error.png"));
  }
};

QTEST_MAIN(TestErrorView)
#include "test_error_view.moc"
