// LmDivergenceView: the chain-rule table with running sums, the Σ and joint rows, the summary
// (per token = joint / n), and the convergence figure: running estimate, ±stderr band, exact line
// at KL_joint / n on a logarithmic sample axis.
#include <QtTest/QtTest>

#include <qcustomplot.h>

#include "widgets/lm_divergence_view.h"

using namespace quench;
using quench::widgets::LmDivergenceView;
using V = LmDivergenceView;

class TestLmDivergenceView : public QObject {
  Q_OBJECT
 private slots:
  void chainTable() {
    LmDivergence d;
    d.klChain = {0.0, 0.25, 0.5};
    d.klJoint = 0.75;
    d.jsChain = {0.0, 0.0625, 0.125};
    d.jsJoint = 0.1875;
    d.sequences = 8;
    V v;
    v.setExact(d, 3, "bigram");
    QCOMPARE(v.rowCount(), 5);
    QCOMPARE(v.cellText(1, V::kKlTerm), QStringLiteral("0.25"));
    QCOMPARE(v.cellText(2, V::kKlRunning), QStringLiteral("0.75"));
    QCOMPARE(v.cellText(2, V::kJsRunning), QStringLiteral("0.1875"));
    QCOMPARE(v.cellText(3, V::kPosition), QStringLiteral("Σ (chain rule)"));
    QCOMPARE(v.cellText(3, V::kKlTerm), QStringLiteral("0.75"));
    QCOMPARE(v.cellText(4, V::kPosition), QStringLiteral("joint (enumeration)"));
    QCOMPARE(v.cellText(4, V::kJsTerm), QStringLiteral("0.1875"));
    QVERIFY2(v.summary().contains(QStringLiteral("0.25 nats/token")), qPrintable(v.summary()));  // 0.75 / 3
    QVERIFY(v.summary().contains(QStringLiteral("8 of them")));

    v.setCurve({{2, 0.4, 0.2}, {20, 0.3, 0.05}, {200, 0.26, 0.01}}, 5);
    QCOMPARE(v.estimateGraph()->data()->size(), 3);
    QCOMPARE(v.estimateGraph()->data()->at(2)->value, 0.26);
    QCOMPARE(v.plot()->graph(0)->data()->at(1)->value, 0.35);  // upper band 0.3 + 0.05
    QCOMPARE(v.plot()->graph(1)->data()->at(1)->value, 0.25);  // lower band
    QCOMPARE(v.exactGraph()->data()->at(0)->value, 0.25);
    QCOMPARE(v.plot()->xAxis->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(v.status().contains(QStringLiteral("after 200 sequences")));
    QVERIFY2(v.status().contains(QStringLiteral("1 standard errors")), qPrintable(v.status()));  // |0.26−0.25|/0.01
  }

  void clearAndPresentation() {
    V v;
    v.clear("P: row A sums to 0.9");
    QCOMPARE(v.rowCount(), 0);
    QCOMPARE(v.status(), QStringLiteral("P: row A sums to 0.9"));
    const double before = v.plot()->xAxis->labelFont().pointSizeF();
    v.setPresentation(true);
    QVERIFY(qAbs(v.plot()->xAxis->labelFont().pointSizeF() / before - 1.6) < 0.01);
    QVERIFY(v.estimateGraph()->pen().widthF() >= 3.0);
  }
};

QTEST_MAIN(TestLmDivergenceView)
#include "test_lm_divergence_view.moc"
