// HistogramView: the bars are the Histogram's counts at its bin centres, the log toggle switches
// the value axis, labels and title say what is plotted. The overlay: an int4 grid on a hand-made
// vector (s = 1/8, so every level, clip line and saturated element is known by hand), grid thinning
// on an int8 grid at three zoom levels, the error mode, the part selector, and a screenshot on the
// demo tensors.
#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QSpinBox>
#include <QtTest/QtTest>

#include "core/io/demo.h"
#include "core/quant/integer.h"
#include "core/stats/histogram.h"
#include "widgets/histogram_view.h"
#include "widgets/plot_export_menu.h"

using quench::Histogram;
using quench::widgets::HistogramMode;
using quench::widgets::HistogramOverlayData;
using quench::widgets::HistogramView;

namespace {

// Legend entries (QCPLegend::itemCount counts the cells of its wrapped grid, empty ones too).
int legendEntries(const QCustomPlot& plot) {
  int n = 0;
  for (int i = 0; i < plot.legend->itemCount(); ++i) n += plot.legend->item(i) != nullptr;
  return n;
}


// What the app does off the GUI thread: histograms of x, x~ (same bins) and x~ − x, the levels
// s·(n − b) for n = L..U and the clip lines of a one-part result.
HistogramOverlayData overlayOf(const std::vector<float>& x, const quench::QuantResult& r, std::size_t bins,
                               std::pair<double, double> range, const QString& name, const QString& recipe) {
  HistogramOverlayData d;
  d.tensorName = name;
  d.recipeLabel = recipe;
  d.original = quench::computeHistogram(x, bins, range);
  d.reconstruction = quench::computeHistogram(r.reconstruction, bins, range);
  std::vector<float> err(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) err[i] = r.reconstruction[i] - x[i];
  d.error = quench::computeHistogram(err, bins);
  const quench::PartParams& p = r.parts.at(0).params;
  for (std::int64_t n = p.clipLow; n <= p.clipHigh; ++n) d.levels.push_back(p.scale * double(n - p.zeroPoint));
  d.clipLow = p.scale * double(p.clipLow - p.zeroPoint);
  d.clipHigh = p.scale * double(p.clipHigh - p.zeroPoint);
  d.saturated = r.total.saturated;
  d.total = x.size();
  d.partCount = int(r.parts.size());
  return d;
}

quench::QuantResult int4WithScale(const std::vector<float>& x, double scale, int bits = 4) {
  quench::IntegerParams params;
  params.bits = bits;
  params.symmetric = true;
  params.overrides[0].scale = scale;
  auto r = quench::quantizeInteger(x, quench::Partition::tensor(std::int64_t(x.size())), params);
  if (!r) qFatal("quantizeInteger failed");
  return std::move(*r);
}

double sumValues(const QCPBarsDataContainer& c) {
  double s = 0;
  for (auto it = c.constBegin(); it != c.constEnd(); ++it) s += it->value;
  return s;
}

}  // namespace

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

  // Issue 13: a new result on the same tensor refits the axes unless the user zoomed; then the
  // ranges stay, a "zoomed" marker shows, and Reset fits again.
  void newDataRefitsUnlessZoomed() {
    Histogram h;
    h.lo = -0.5;
    h.hi = 0.5;
    h.counts = {10, 100, 10};
    HistogramView v;
    v.setAutoLogScale(false);
    v.setHistogram(h, "t");
    QVERIFY(!v.zoomed());
    QCOMPARE(v.plot()->yAxis->range().upper, 105.0);  // 1.05 × the peak
    // The reconstruction piles up taller than any original bin, and a new block size widens x.
    HistogramOverlayData d;
    d.tensorName = "t";
    d.original = h;
    d.original.lo = -7;
    d.original.hi = 7;
    d.reconstruction = d.original;
    d.reconstruction.counts = {0, 400, 0};
    v.setOverlay(d);
    QCOMPARE(v.plot()->yAxis->range().upper, 420.0);
    QCOMPARE(v.plot()->xAxis->range().lower, -7.0 - 0.28);  // 2 % of the 14 wide range
    QCOMPARE(v.plot()->xAxis->range().upper, 7.0 + 0.28);
    auto* marker = v.findChild<QLabel*>("zoomedMarker");
    QVERIFY(marker && marker->isHidden());
    // The user zooms: the next result keeps the ranges and the marker shows.
    v.plot()->xAxis->setRange(1, 2);
    QVERIFY(v.zoomed());
    QVERIFY(!marker->isHidden());
    d.reconstruction.counts = {0, 900, 0};
    v.setOverlay(d);
    QCOMPARE(v.plot()->xAxis->range(), QCPRange(1, 2));
    v.resetZoom();
    QVERIFY(!v.zoomed() && marker->isHidden());
    QCOMPARE(v.plot()->yAxis->range().upper, 945.0);
    // A new tensor always fits, zoomed or not.
    v.plot()->xAxis->setRange(1, 2);
    d.tensorName = "u";
    v.setOverlay(d);
    QVERIFY(!v.zoomed());
    QCOMPARE(v.plot()->xAxis->range().lower, -7.28);
  }

  // The log-count default: the median occupied bin below 1 % of the peak (by hand).
  void logByDefaultWhenHeavyTailed() {
    Histogram spike;
    spike.lo = -1;
    spike.hi = 1;
    spike.counts = {1, 2, 0, 3, 5000, 4, 1, 0, 2};  // occupied {1,2,3,5000,4,1,2}: median 2 < 50
    Histogram bell = spike;
    bell.counts = {5, 40, 200, 500, 200, 40, 5};  // median 40 ≥ 5 (1 % of 500)
    QVERIFY(HistogramView::heavyTailed(spike));
    QVERIFY(!HistogramView::heavyTailed(bell));
    Histogram edge = bell;
    edge.counts = {1000, 10, 9, 9, 9};  // median 9 < 10: heavy; {1000, 10, 10, 10, 9}: median 10, not
    QVERIFY(HistogramView::heavyTailed(edge));
    edge.counts = {1000, 10, 10, 10, 9};
    QVERIFY(!HistogramView::heavyTailed(edge));
    HistogramView v;
    QSignalSpy spy(&v, &HistogramView::logScaleChanged);
    v.setHistogram(spike, "spike");
    QVERIFY(v.logScale());
    v.setHistogram(bell, "bell");
    QVERIFY(!v.logScale());
    QCOMPARE(spy.size(), 2);
    // Once the user picks a scale it sticks.
    v.setLogScale(true);
    v.setHistogram(bell, "bell again");
    QVERIFY(v.logScale());
    QVERIFY(!v.autoLogScale());
    // The first-start hint is gone once data is shown.
    auto* hint = v.findChild<QLabel*>("firstStartHint");
    QVERIFY(hint && hint->isHidden());
    HistogramView fresh;
    QVERIFY(!fresh.findChild<QLabel*>("firstStartHint")->isHidden());
  }

  void overlayOfHandMadeInt4() {
    // int4 symmetric, s = 0.125 typed by hand (exact in fp32): codes −7..7, levels n/8,
    // clip lines ±7/8. An element saturates when |x/s| > 7.5, i.e. |x| > 0.9375: −1.5, 2.0 and
    // 0.95 do; −0.93 (−7.44) rounds to −7 and does not.
    const std::vector<float> x{-1.5f, -0.5f, -0.25f, 0.0f, 0.1f, 0.3f, 0.7f, 2.0f, 0.95f, -0.93f};
    const auto r = int4WithScale(x, 0.125);
    QCOMPARE(r.total.saturated, std::uint64_t(3));
    // 64 bins over [−2, 2]: width 1/16, so each value's bin is known and the saturated ones are
    // exactly the bins whose centre is beyond ±(7/8 + 1/16).
    HistogramView v;
    v.resize(900, 600);
    v.setOverlay(overlayOf(x, r, 64, {-2.0, 2.0}, "hand", "int4 sym s=1/8"));
    QCOMPARE(v.title(), QStringLiteral("hand · int4 sym s=1/8"));
    QCOMPARE(v.bars()->data()->size(), 64);
    QCOMPARE(sumValues(*v.bars()->data()), 10.0);

    // Grid: 15 levels in view, no thinning; positions n/8.
    QCOMPARE(v.gridStride(), 1);
    QCOMPARE(v.gridLines().size(), std::size_t(15));
    for (int i = 0; i < 15; ++i) {
      QCOMPARE(v.gridLines()[std::size_t(i)]->point1->coords().x(), (i - 7) / 8.0);
      QCOMPARE(v.gridLines()[std::size_t(i)]->point2->coords().x(), (i - 7) / 8.0);
    }
    QVERIFY(v.gridNote().isEmpty());
    QVERIFY(v.clipLowLine()->visible() && v.clipHighLine()->visible());
    QCOMPARE(v.clipLowLine()->point1->coords().x(), -0.875);
    QCOMPARE(v.clipHighLine()->point1->coords().x(), 0.875);

    // Saturated mass: bins of −1.5 (centre −1.46875), 0.95 (0.96875) and 2.0 (last bin, 1.96875).
    const auto sat = v.saturatedBars()->data();
    QCOMPARE(sat->size(), 3);
    QCOMPARE(sat->at(0)->key, -1.46875);
    QCOMPARE(sat->at(1)->key, 0.96875);
    QCOMPARE(sat->at(2)->key, 1.96875);
    QCOMPARE(sumValues(*sat), 3.0);
    QCOMPARE(v.saturationText(), QStringLiteral("saturated: 3 of 10 (30 %)"));
    QCOMPARE(v.findChild<QLabel*>("saturationLabel")->text(), v.saturationText());
    QCOMPARE(v.saturatedBars()->name(), v.saturationText());  // in the legend, hence in exports

    // Reconstruction on the same bins: x~ = {−7, −4, −2, 0, 1, 2, 6, 7, 7, −7}/8, so the bins of
    // ±7/8 hold 2 values each and those of 1/8 and −4/8 one.
    const auto rec = v.reconstructionGraph()->data();
    QCOMPARE(rec->size(), 64);
    auto binOf = [](double value) { return int(std::floor((value + 2.0) * 16.0)); };
    QCOMPARE(rec->at(binOf(-0.875))->value, 2.0);
    QCOMPARE(rec->at(binOf(0.875))->value, 2.0);
    QCOMPARE(rec->at(binOf(0.125))->value, 1.0);
    QCOMPARE(rec->at(binOf(-0.5))->value, 1.0);
    QVERIFY(v.reconstructionGraph()->visible());
    // The y range shows the tallest of both: the reconstruction's 2 (every original bin holds 1).
    QVERIFY(v.plot()->yAxis->range().upper >= 2.0);
    QCOMPARE(legendEntries(*v.plot()), 5);  // original, reconstruction, grid, clip lines, saturated
  }

  void gridThinsWhenDense() {
    // int8, s = 1/64: 255 levels n/64, n = −127..127, clip lines ±127/64.
    std::vector<float> x;
    for (int i = -200; i <= 200; ++i) x.push_back(float(i) / 100.0f);  // −2..2, |x| > 1.992 saturates
    const auto r = int4WithScale(x, 1.0 / 64.0, 8);
    HistogramView v;
    v.resize(900, 600);
    v.setOverlay(overlayOf(x, r, 128, {-2.0, 2.0}, "ramp", "int8"));
    // Full view: all 255 levels in range, more than 60: every ⌈255/60⌉ = 5th, from n = −127.
    QCOMPARE(v.gridStride(), 5);
    QCOMPARE(v.gridLines().size(), std::size_t(51));  // indices 0, 5, ..., 250
    QCOMPARE(v.gridLines().front()->point1->coords().x(), -127.0 / 64.0);
    QCOMPARE(v.gridLines()[1]->point1->coords().x(), -122.0 / 64.0);
    QCOMPARE(v.gridNote(), QStringLiteral("grid: every 5th of 255 levels shown"));
    // Zoom to [−0.5, 0.5]: n = −32..32 in view (65 levels): every 2nd index = odd n: 32 lines.
    v.plot()->xAxis->setRange(-0.5, 0.5);
    QCOMPARE(v.gridStride(), 2);
    QCOMPARE(v.gridLines().size(), std::size_t(32));
    QCOMPARE(v.gridLines().front()->point1->coords().x(), -31.0 / 64.0);
    // Zoom to [−0.25, 0.25]: n = −16..16, 33 levels, all drawn.
    v.plot()->xAxis->setRange(-0.25, 0.25);
    QCOMPARE(v.gridStride(), 1);
    QCOMPARE(v.gridLines().size(), std::size_t(33));
    QVERIFY(v.gridNote().isEmpty());
    // Saturated: |x| > 127.5/64 = 1.9921875: x = ±1.99? no (1.99 < 1.9921875); ±2.00 yes: 2 of 401.
    QCOMPARE(r.total.saturated, std::uint64_t(2));
    QCOMPARE(v.saturationText(), QStringLiteral("saturated: 2 of 401 (0.50 %)"));
    // A parameter change on the same tensor keeps the zoom.
    v.setOverlay(overlayOf(x, r, 128, {-2.0, 2.0}, "ramp", "int8 again"));
    QCOMPARE(v.plot()->xAxis->range().lower, -0.25);
    // Another tensor fits the axes again.
    v.setOverlay(overlayOf(x, r, 128, {-2.0, 2.0}, "other", "int8"));
    QVERIFY(v.plot()->xAxis->range().lower < -2.0);
  }

  void saturationLabelOfLargeCounts() {
    HistogramView v;
    HistogramOverlayData d;
    d.tensorName = "big";
    d.original.lo = -1;
    d.original.hi = 1;
    d.original.counts = {1, 2};
    d.saturated = 1234;
    d.total = 16777216;  // 4096², shown in full with grouping (one count format: widgets/text_format); 1234 / 16777216 = 0.00735 %
    v.setOverlay(d);
    QCOMPARE(v.saturationText(), QStringLiteral("saturated: 1,234 of 16,777,216 (0.0074 %)"));
    // No clip lines (NaN) and no levels: nothing drawn for them, no legend entries.
    QVERIFY(!v.clipLowLine()->visible());
    QCOMPARE(v.gridLines().size(), std::size_t(0));
    QCOMPARE(legendEntries(*v.plot()), 1);
  }

  void errorModeAndParts() {
    const std::vector<float> x{-1.5f, -0.5f, -0.25f, 0.0f, 0.1f, 0.3f, 0.7f, 2.0f, 0.95f, -0.93f};
    const auto r = int4WithScale(x, 0.125);
    auto d = overlayOf(x, r, 64, {-2.0, 2.0}, "hand", "int4");
    d.partCount = 4;  // as under a 4-part partition
    HistogramView v;
    v.setOverlay(d);
    auto* mode = v.findChild<QComboBox*>("histogramMode");
    QVERIFY(mode);
    QSignalSpy modeSpy(&v, &HistogramView::modeChanged);
    mode->setCurrentIndex(1);
    QCOMPARE(v.mode(), HistogramMode::Error);
    QCOMPARE(modeSpy.size(), 1);
    QCOMPARE(v.plot()->xAxis->label(), QStringLiteral("error x̃ − x (weight units)"));
    QVERIFY(v.errorBars()->visible() && !v.bars()->visible() && !v.reconstructionGraph()->visible());
    QVERIFY(!v.clipLowLine()->visible());
    QCOMPARE(v.gridLines().size(), std::size_t(0));
    // The error histogram's range: errors by hand are in [−1.125 (x = 2), 0.625 (x = −1.5)].
    QCOMPARE(v.errorBars()->data()->size(), 64);
    QCOMPARE(sumValues(*v.errorBars()->data()), 10.0);
    QVERIFY(v.plot()->xAxis->range().lower < -1.125 && v.plot()->xAxis->range().upper > 0.625);
    QVERIFY(v.title().startsWith("error of hand"));
    v.setMode(HistogramMode::Overlay);
    QCOMPARE(v.plot()->xAxis->label(), QStringLiteral("weight value"));

    // The part selector asks for a part; the app answers with that part's data and the title says so.
    auto* part = v.findChild<QSpinBox*>("partSelector");
    QVERIFY(part && part->isEnabled());
    QCOMPARE(part->maximum(), 3);
    QSignalSpy partSpy(&v, &HistogramView::partRequested);
    part->setValue(2);
    QCOMPARE(partSpy.size(), 1);
    QCOMPARE(partSpy.at(0).at(0).toInt(), 2);
    d.part = 2;
    v.setOverlay(d);
    QCOMPARE(partSpy.size(), 1);  // setting the data does not ask again
    QCOMPARE(v.title(), QStringLiteral("hand · int4 · part 2 of 4"));
    part->setValue(-1);
    QCOMPARE(partSpy.at(1).at(0).toInt(), -1);
    QCOMPARE(part->text(), QStringLiteral("whole tensor"));
  }

  void exportMenuInstalled() {
    HistogramView v;
    QVERIFY(quench::widgets::exportAction(v.plot()));
    QCOMPARE(v.plot()->contextMenuPolicy(), Qt::ActionsContextMenu);
  }

  void screenshotOfDemo() {
    // The demo's attention q weight (outlier columns ×20), int4 per tensor with a 99.9th
    // percentile clip: the tail beyond the clip lines saturates.
    auto reader = quench::makeDemoReader();
    auto t = reader->readFloat(std::string_view("blk.0.attn_q.weight"));
    QVERIFY(t);
    quench::IntegerParams params;
    params.bits = 4;
    params.calibration.method = quench::CalibrationMethod::Percentile;
    params.calibration.percentile = 99.9;
    auto r = quench::quantizeInteger(t->values, quench::Partition::tensor(std::int64_t(t->numel())), params);
    QVERIFY(r);
    QVERIFY(r->total.saturated > 0);
    float lo = 0, hi = 0;
    for (float v : t->values) lo = std::min(lo, v), hi = std::max(hi, v);
    auto d = overlayOf(t->values, *r, 256, {lo, hi}, "blk.0.attn_q.weight", "int4 sym percentile 99.9 · tensor");
    HistogramView v;
    v.resize(1000, 620);
    v.setLogScale(true);
    v.setOverlay(d);
    QCOMPARE(v.gridLines().size(), std::size_t(15));
    QCOMPARE(v.saturatedBars()->data()->isEmpty(), false);
    const QImage image = v.grab().toImage();
    QCOMPARE(image.width(), 1000);
    if (qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS"))
      QVERIFY(v.grab().save(QUENCH_SOURCE_DIR "/resources/screenshots/view-histogram-overlay.png"));
    if (qEnvironmentVariableIsSet("QUENCH_SCREENSHOT_DIR")) {
      const QString dir = qEnvironmentVariable("QUENCH_SCREENSHOT_DIR");
      QVERIFY(v.grab().save(dir + "/histogram-overlay.png"));
      v.setMode(HistogramMode::Error);
      QVERIFY(v.grab().save(dir + "/histogram-error.png"));
    }
  }
};

QTEST_MAIN(TestHistogramView)
#include "test_histogram_view.moc"
