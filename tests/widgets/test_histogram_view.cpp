// HistogramView: the bars are the Histogram's counts at its bin centres, the log toggle switches
// the value axis, labels and title say what is plotted.
#include <qcustomplot.h>

#include <QCheckBox>
#include <QtTest/QtTest>

#include "core/stats/histogram.h"
#include "widgets/histogram_view.h"

using quench::Histogram;
using quench::widgets::HistogramView;

class TestHistogramView : public QObject {
  Q_OBJECT
 private slots:
  void barsEqualCounts() {
    Histogram h;
    h.lo = -1.0;
    h.hi = 1.0;
    h.counts = {1, 0, 5, 100, 7};  // bin width 0.4: centres −0.8, −0.4, 0, 0.4, 0.8
    h.above = 3;
    HistogramView v;
    v.setHistogram(h, "blk.0.attn_q.weight");
    const auto data = v.bars()->data();
    QCOMPARE(data->size(), 5);
    const double centres[] = {-0.8, -0.4, 0.0, 0.4, 0.8};
    for (int i = 0; i < 5; ++i) {
      QVERIFY(std::fabs(data->at(i)->key - centres[i]) < 1e-12);
      QCOMPARE(data->at(i)->value, double(h.counts[i]));
    }
    QVERIFY(std::fabs(v.bars()->width() - 0.4) < 1e-12);
    QCOMPARE(v.title(), QStringLiteral("blk.0.attn_q.weight"));
    QCOMPARE(v.findChild<QLabel*>("outsideNote")->text(), QStringLiteral("3 outside the range"));
    // The view fits the data: x covers [lo, hi] with a small margin, y reaches above the peak.
    QVERIFY(v.plot()->xAxis->range().lower < -1.0 && v.plot()->xAxis->range().lower > -1.1);
    QVERIFY(v.plot()->xAxis->range().upper > 1.0 && v.plot()->xAxis->range().upper < 1.1);
    QVERIFY(v.plot()->yAxis->range().upper >= 100.0);
  }

  void barsOfComputedHistogram() {
    // Values by hand: 0, 0.1, 0.2, ..., 0.9 in 4 bins over [0, 1): 3, 2, 3, 2.
    std::vector<float> x;
    for (int i = 0; i < 10; ++i) x.push_back(0.1f * float(i));
    const Histogram h = quench::computeHistogram(x, 4, std::pair{0.0, 1.0});
    QCOMPARE(h.counts, (std::vector<std::uint64_t>{3, 2, 3, 2}));
    HistogramView v;
    v.setHistogram(h, "x");
    for (int i = 0; i < 4; ++i) QCOMPARE(v.bars()->data()->at(i)->value, double(h.counts[i]));
  }

  void logToggleAndLabels() {
    HistogramView v;
    QCOMPARE(v.plot()->xAxis->label(), QStringLiteral("weight value"));
    QCOMPARE(v.plot()->yAxis->label(), QStringLiteral("count"));
    QCOMPARE(v.plot()->yAxis->scaleType(), QCPAxis::stLinear);
    QSignalSpy spy(&v, &HistogramView::logScaleChanged);
    auto* box = v.findChild<QCheckBox*>("logCounts");
    QVERIFY(box);
    box->click();
    QVERIFY(v.logScale());
    QCOMPARE(v.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(v.plot()->yAxis->label(), QStringLiteral("count (log)"));
    QCOMPARE(spy.size(), 1);
    v.setLogScale(false);
    QVERIFY(!box->isChecked());
    QCOMPARE(v.plot()->yAxis->scaleType(), QCPAxis::stLinear);
    QCOMPARE(v.plot()->yAxis->label(), QStringLiteral("count"));
    QCOMPARE(spy.size(), 2);
  }

  void logRangeKeepsSingleCounts() {
    Histogram h;
    h.lo = 0;
    h.hi = 1;
    h.counts = {1, 1000};
    HistogramView v;
    v.setLogScale(true);
    v.setHistogram(h, "t");
    // A bin holding one value must be visible on the log axis: the range starts below 1.
    QVERIFY(v.plot()->yAxis->range().lower < 1.0 && v.plot()->yAxis->range().lower > 0.0);
    QVERIFY(v.plot()->yAxis->range().upper > 1000.0);
  }

  void followsThePalette() {
    // A dark scheme: the plot background is the palette's base, the bars its text colour.
    QPalette dark;
    dark.setColor(QPalette::Base, QColor(0x20, 0x20, 0x20));
    dark.setColor(QPalette::Window, QColor(0x30, 0x30, 0x30));
    dark.setColor(QPalette::WindowText, QColor(0xee, 0xee, 0xee));
    HistogramView v;
    v.setPalette(dark);
    QCOMPARE(v.bars()->brush().color().rgb(), QColor(0xee, 0xee, 0xee).rgb());
    QCOMPARE(v.plot()->xAxis->labelColor(), QColor(0xee, 0xee, 0xee));
    const QImage image = v.plot()->toPixmap(200, 150).toImage();
    QCOMPARE(QColor(image.pixel(2, 2)).rgb(), QColor(0x20, 0x20, 0x20).rgb());
  }

  void zoomPanAndClear() {
    HistogramView v;
    QVERIFY(v.plot()->interactions().testFlag(QCP::iRangeZoom));
    QVERIFY(v.plot()->interactions().testFlag(QCP::iRangeDrag));
    Histogram h;
    h.lo = 0;
    h.hi = 10;
    h.counts = {1, 2, 3};
    v.setHistogram(h, "t");
    v.plot()->xAxis->setRange(4, 5);  // as after zooming in
    v.resetZoom();
    QVERIFY(v.plot()->xAxis->range().lower < 0.0 && v.plot()->xAxis->range().upper > 10.0);
    v.clear();
    QCOMPARE(v.bars()->data()->size(), 0);
    QVERIFY(v.title().contains("Select a tensor"));
  }
};

QTEST_MAIN(TestHistogramView)
#include "test_histogram_view.moc"
