// OutlierView: seeded activations 32 × 64 with two loud feature columns; bars equal core's
// column max |x|, outlier bars and the count equal core's outlier columns, the τ line sits at τ,
// dragging it emits thresholdChanged with the value under the mouse, and the LLM.int8() errors
// shown equal the core report.
#include <qcustomplot.h>

#include <QLabel>
#include <QSignalSpy>
#include <QtTest/QtTest>
#include <random>

#include "core/quant/llm_int8.h"
#include "widgets/outlier_view.h"

using namespace quench;
using quench::widgets::OutlierView;

namespace {
constexpr std::size_t kTokens = 32, kFeatures = 64, kOutputs = 16;

std::vector<float> activations() {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(kTokens * kFeatures);
  for (float& v : x) v = normal(rng);
  for (std::size_t t = 0; t < kTokens; ++t) {
    x[t * kFeatures + 10] *= 8.0f;  // LLM.int8()'s systematic outlier features
    x[t * kFeatures + 40] *= 12.0f;
  }
  return x;
}

void sendMouse(QWidget* w, QEvent::Type type, QPointF pos, Qt::MouseButton button, Qt::MouseButtons buttons) {
  QMouseEvent e(type, pos, w->mapToGlobal(pos), button, buttons, Qt::NoModifier);
  QCoreApplication::sendEvent(w, &e);
}
}  // namespace

class TestOutlierView : public QObject {
  Q_OBJECT
 private slots:
  void columnsAndCount() {
    const auto x = activations();
    auto cols = findOutlierColumns(x, kTokens, kFeatures, 6.0);
    QVERIFY(cols);
    QVERIFY(cols->outlierColumns.size() >= 2);  // columns 10 and 40 at least
    OutlierView v;
    v.setColumns(*cols, "layers.0.mlp input · τ = 6");
    QCOMPARE(v.columnBars()->data()->size(), int(kFeatures));
    for (std::size_t c = 0; c < kFeatures; ++c)
      QCOMPARE(v.columnBars()->data()->at(int(c))->value, double(cols->columnMaxAbs[c]));
    QCOMPARE(v.outlierBars()->data()->size(), int(cols->outlierColumns.size()));
    for (std::size_t i = 0; i < cols->outlierColumns.size(); ++i)
      QCOMPARE(v.outlierBars()->data()->at(int(i))->key, double(cols->outlierColumns[i]));
    QCOMPARE(v.countText(), QStringLiteral("%1 outlier column%2 of 64 (τ = 6)")
                                .arg(cols->outlierColumns.size())
                                .arg(cols->outlierColumns.size() == 1 ? "" : "s"));
    QCOMPARE(v.thresholdLine()->point1->coords().y(), 6.0);
    QCOMPARE(v.thresholdLine()->point2->coords().y(), 6.0);
    QCOMPARE(v.title(), QStringLiteral("layers.0.mlp input · τ = 6"));
  }

  void dragEmitsThreshold() {
    const auto x = activations();
    auto cols = findOutlierColumns(x, kTokens, kFeatures, 6.0);
    QVERIFY(cols);
    OutlierView v;
    v.resize(800, 600);
    v.setColumns(*cols, "t");
    v.plot()->replot();  // lay out now so pixel ↔ coordinate mapping is final
    QSignalSpy spy(&v, &OutlierView::thresholdChanged);
    const double xPix = v.plot()->xAxis->coordToPixel(20);
    const double lineY = v.plot()->yAxis->coordToPixel(6.0);
    // A press far from the line does not grab it.
    sendMouse(v.plot(), QEvent::MouseButtonPress, {xPix, lineY - 40}, Qt::LeftButton, Qt::LeftButton);
    sendMouse(v.plot(), QEvent::MouseMove, {xPix, lineY - 60}, Qt::NoButton, Qt::LeftButton);
    sendMouse(v.plot(), QEvent::MouseButtonRelease, {xPix, lineY - 60}, Qt::LeftButton, Qt::NoButton);
    QCOMPARE(spy.count(), 0);
    // On the line: the drag moves τ to the value under the mouse.
    const double targetY = v.plot()->yAxis->coordToPixel(9.0);
    sendMouse(v.plot(), QEvent::MouseButtonPress, {xPix, lineY + 2}, Qt::LeftButton, Qt::LeftButton);
    sendMouse(v.plot(), QEvent::MouseMove, {xPix, targetY}, Qt::NoButton, Qt::LeftButton);
    sendMouse(v.plot(), QEvent::MouseButtonRelease, {xPix, targetY}, Qt::LeftButton, Qt::NoButton);
    QCOMPARE(spy.count(), 1);
    const double tau = spy.at(0).at(0).toDouble();
    QVERIFY2(std::fabs(tau - 9.0) < 0.1, qPrintable(QString::number(tau)));
    QCOMPARE(v.threshold(), tau);
    QCOMPARE(v.thresholdLine()->point1->coords().y(), tau);
    // The owner recomputes with the new τ: the count follows core.
    auto again = findOutlierColumns(x, kTokens, kFeatures, tau);
    QVERIFY(again);
    v.setColumns(*again, "t");
    QCOMPARE(v.outlierBars()->data()->size(), int(again->outlierColumns.size()));
    QVERIFY(again->outlierColumns.size() <= cols->outlierColumns.size());
  }

  void llmInt8Errors() {
    const auto x = activations();
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    std::vector<float> w(kFeatures * kOutputs);
    for (float& v : w) v = normal(rng);
    auto report = llmInt8Matmul(x, kTokens, kFeatures, w, kOutputs, {6.0});
    QVERIFY(report);
    QVERIFY(report->decomposedError.relFrobenius < report->plainError.relFrobenius);
    OutlierView v;
    v.resize(800, 700);
    v.setLlmInt8(*report, "layers.0.mlp · LLM.int8() τ = 6");
    QCOMPARE(v.errorBars()->data()->size(), 2);
    QCOMPARE(v.errorBars()->data()->at(0)->value, report->plainError.relFrobenius);
    QCOMPARE(v.errorBars()->data()->at(1)->value, report->decomposedError.relFrobenius);
    QCOMPARE(v.outlierBars()->data()->size(), int(report->outliers.outlierColumns.size()));
    QVERIFY(v.errorText().contains(QString::number(report->decomposedError.relFrobenius, 'g', 4)));
    QVERIFY(v.errorText().contains(QString::number(report->weightBitsPerParam, 'g', 4)));
    if (qEnvironmentVariableIsSet("QUENCH_WRITE_SCREENSHOTS"))
      QVERIFY(v.grab().save(QUENCH_SOURCE_DIR "/resources/screenshots/view-outliers.png"));
  }
};

QTEST_MAIN(TestOutlierView)
#include "test_outlier_view.moc"
