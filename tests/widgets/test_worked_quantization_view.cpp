// WorkedQuantizationView: the board table and totals show a core WorkedQuantization as a teacher
// writes it (hand values: x = (0.75, −1.25, 0.375, 3), parts {0,1} s = 0.5 [−7,7] and {2,3}
// s = 0.25 b = 1 [0,3]), saturated rows marked, the figure's points, presentation mode, export.
#include <QtTest/QtTest>

#include <QTableWidget>
#include <qcustomplot.h>

#include "core/quant/worked.h"
#include "widgets/worked_quantization_view.h"

using namespace quench;
using quench::widgets::WorkedQuantizationView;
using V = WorkedQuantizationView;

namespace {
WorkedQuantization example() {
  const std::vector<double> x{0.75, -1.25, 0.375, 3.0};
  auto part = parseWorkedParts("0,1;2,3", 4);
  auto w = workedQuantization(x, *part, std::vector<PartParams>{{0.5, 0, -7, 7}, {0.25, 1, 0, 3}}, Rounding::HalfEven);
  if (!w) qFatal("%s", w.error().message.c_str());
  return *w;
}
}  // namespace

class TestWorkedQuantizationView : public QObject {
  Q_OBJECT
 private slots:
  void showsSteps() {
    V v;
    v.setWorked(example(), "example");
    QCOMPARE(v.stepRows(), 4);
    // Row 0: 0.75 / 0.5 = 1.5 exactly, a tie → 2 (half to even, up), + 0 = 2, code 2, x̃ = 1,
    // error 0.25.
    const QStringList row0{"0", "0", "0.75", "1.5", QStringLiteral("2  (tie ↑)"), "2", "2", "1", "0.25", "no"};
    for (int c = 0; c < V::kColumnCount; ++c) QCOMPARE(v.stepText(0, c), row0[c]);
    // Row 1: −1.25 / 0.5 = −2.5 → −2 (even), x̃ = −1.
    QCOMPARE(v.stepText(1, V::kXOverS), QStringLiteral("−2.5"));
    QCOMPARE(v.stepText(1, V::kRounded), QStringLiteral("−2  (tie ↑)"));
    QCOMPARE(v.stepText(1, V::kDequantized), QStringLiteral("−1"));
    // Row 3: 3 / 0.25 = 12, + 1 = 13 > U = 3 → code 3, x̃ = 0.25·2 = 0.5, error −2.5, saturated.
    const QStringList row3{"3", "1", "3", "12", "12", "13", "3", "0.5", QStringLiteral("−2.5"), "yes (> U)"};
    for (int c = 0; c < V::kColumnCount; ++c) QCOMPARE(v.stepText(3, c), row3[c]);
    QVERIFY(v.stepWidget()->item(3, 0)->background().style() != Qt::NoBrush);
    QCOMPARE(v.stepWidget()->item(0, 0)->background().style(), Qt::NoBrush);
  }

  void showsTotals() {
    V v;
    v.setWorked(example(), "example");
    QCOMPARE(v.totalsRows(), 3);
    QCOMPARE(v.totalsText(0, 1), QStringLiteral("{0, 1}"));
    QCOMPARE(v.totalsText(0, 5), QStringLiteral("0.0625"));     // (0.25² + 0.25²)/2
    QCOMPARE(v.totalsText(1, 3), QStringLiteral("1"));          // b
    QCOMPARE(v.totalsText(1, 4), QStringLiteral("[0, 3]"));
    QCOMPARE(v.totalsText(1, 5), QStringLiteral("3.1328125"));  // (0.125² + 2.5²)/2, exactly
    QCOMPARE(v.totalsText(1, 7), QStringLiteral("1 of 2"));
    QCOMPARE(v.totalsText(2, 0), QStringLiteral("all"));
    QCOMPARE(v.totalsText(2, 5), QStringLiteral("1.59765625"));  // 6.390625 / 4, exactly
    QCOMPARE(v.totalsText(2, 6), QStringLiteral("2.5"));
    QCOMPARE(v.totalsText(2, 7), QStringLiteral("1 of 4"));
  }

  void plotsPoints() {
    V v;
    v.setWorked(example(), "example");
    QCustomPlot* p = v.plot();
    // Graphs: clip-range carrier, x, x̃ (not saturated), x̃ (saturated).
    QCOMPARE(p->graph(1)->data()->size(), 4);
    QCOMPARE(p->graph(2)->data()->size(), 3);
    QCOMPARE(p->graph(3)->data()->size(), 1);
    QCOMPARE(p->graph(3)->data()->at(0)->key, 3.0);
    QCOMPARE(p->graph(3)->data()->at(0)->value, 0.5);
    // Element 3's clip range is s(L − b) … s(U − b) = 0.25·(−1) … 0.25·2: centre 0.125.
    QCOMPARE(p->graph(0)->data()->at(3)->value, 0.125);
    QCOMPARE(v.title(), QStringLiteral("example"));
  }

  void clearShowsMessage() {
    V v;
    v.setWorked(example(), "example");
    v.clear("Values: 'x' is not a number");
    QCOMPARE(v.stepRows(), 0);
    QCOMPARE(v.message(), QStringLiteral("Values: 'x' is not a number"));
    QCOMPARE(v.plot()->graph(1)->data()->size(), 0);
  }

  void presentationScalesFonts() {
    V v;
    v.setWorked(example(), "example");
    const double before = v.stepWidget()->font().pointSizeF();
    const double axisBefore = v.plot()->xAxis->labelFont().pointSizeF();
    v.setPresentation(true);
    QVERIFY(v.presentation());
    QVERIFY(qAbs(v.stepWidget()->font().pointSizeF() / before - 1.6) < 0.01);
    QVERIFY(qAbs(v.plot()->xAxis->labelFont().pointSizeF() / axisBefore - 1.6) < 0.01);
    QVERIFY(v.plot()->xAxis->basePen().widthF() >= 2.0);
    v.setPresentation(false);
    QVERIFY(qAbs(v.stepWidget()->font().pointSizeF() - before) < 0.01);
  }

  void tables() {
    V v;
    v.setWorked(example(), "example");
    const auto t = v.stepTable();
    QCOMPARE(t.header.size(), int(V::kColumnCount));
    QCOMPARE(t.header.at(V::kCode), QStringLiteral("code n = clip[L, U]"));
    QCOMPARE(t.rows.size(), 4);
    QCOMPARE(t.rows.at(3).at(V::kSaturated), QStringLiteral("yes (> U)"));
    QCOMPARE(v.totalsTable().rows.size(), 3);
  }
};

QTEST_MAIN(TestWorkedQuantizationView)
#include "test_worked_quantization_view.moc"
