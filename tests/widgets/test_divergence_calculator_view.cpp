// DivergenceCalculatorView: every term of KL/JS as core's pmfTerms computed it, against hand
// values for p = (½, ½), q = (¼, ¾): p ln(p/q) = ½ln2 = 0.346574, ½ln(2/3) = −0.202733,
// Σ = 0.143841 nats (0.207519 bits); m = (0.375, 0.625); and the ∞ explanation for q = (1, 0).
#include <QtTest/QtTest>

#include <qcustomplot.h>

#include "core/divergence/pmf_terms.h"
#include "widgets/divergence_calculator_view.h"

using namespace quench;
using quench::widgets::DivergenceCalculatorView;
using V = DivergenceCalculatorView;

namespace {
PmfTerms terms(std::vector<double> p, std::vector<double> q, bool bits) {
  auto r = pmfTerms(p, q, false, bits);
  if (!r) qFatal("%s", r.error().message.c_str());
  return *r;
}
}  // namespace

class TestDivergenceCalculatorView : public QObject {
  Q_OBJECT
 private slots:
  void coinVsLoadedCoin() {
    V v;
    v.setTerms(terms({0.5, 0.5}, {0.25, 0.75}, false), "coin");
    QCOMPARE(v.rowCount(), 3);
    QCOMPARE(v.cellText(0, V::kKlTerm), QStringLiteral("0.346574"));   // ½ ln 2
    QCOMPARE(v.cellText(1, V::kKlTerm), QStringLiteral("−0.202733"));  // ½ ln(2/3)
    QCOMPARE(v.cellText(2, V::kOutcome), QStringLiteral("Σ"));
    QCOMPARE(v.cellText(2, V::kKlTerm), QStringLiteral("0.143841"));
    // KL(Q‖P) = ¼ln(½) + ¾ln(3/2) = −0.173287 + 0.304099 = 0.130812.
    QCOMPARE(v.cellText(2, V::kKlReverseTerm), QStringLiteral("0.130812"));
    QCOMPARE(v.cellText(0, V::kM), QStringLiteral("0.375"));
    QCOMPARE(v.cellText(1, V::kM), QStringLiteral("0.625"));
    // JS = ½[½ln(4/3) + ½ln(4/5)] + ½[¼ln(2/3) + ¾ln(6/5)] = ½·0.0322693 + ½·0.0353749 = 0.0338221.
    QCOMPARE(v.cellText(2, V::kPmTerm), QStringLiteral("0.0322693"));
    QCOMPARE(v.cellText(2, V::kQmTerm), QStringLiteral("0.0353749"));
    const QString s = v.summary();
    QVERIFY2(s.contains(QStringLiteral("= 0.143841 nats")), qPrintable(s));
    QVERIFY2(s.contains(QStringLiteral("not symmetric")), qPrintable(s));
    QVERIFY2(s.contains(QStringLiteral("= 0.0338221 nats")), qPrintable(s));
    // Figure: p and q bars per outcome, KL terms on the right axis.
    QCOMPARE(v.plot()->graph(0)->data()->size(), 2);
    QCOMPARE(v.plot()->graph(0)->valueAxis(), v.plot()->yAxis2);
  }

  void bits() {
    V v;
    v.setTerms(terms({0.5, 0.5}, {0.25, 0.75}, true), "coin, bits");
    QCOMPARE(v.cellText(0, V::kKlTerm), QStringLiteral("0.5"));        // ½ log2 2
    QCOMPARE(v.cellText(2, V::kKlTerm), QStringLiteral("0.207519"));   // 1 − ½log2 3
    QVERIFY(v.summary().contains(QStringLiteral("bits")));
    QVERIFY(v.plot()->yAxis2->label().contains(QStringLiteral("bits")));
  }

  void infinityExplained() {
    V v;
    v.setTerms(terms({0.5, 0.5}, {1.0, 0.0}, false), "q = 0");
    QCOMPARE(v.cellText(1, V::kKlTerm), QStringLiteral("∞"));
    QCOMPARE(v.cellText(2, V::kKlTerm), QStringLiteral("∞"));
    QCOMPARE(v.cellText(2, V::kKlReverseTerm), QStringLiteral("0.693147"));  // ln 2
    const QString s = v.summary();
    QVERIFY2(s.contains(QStringLiteral("KL(P‖Q) = ∞ because q2 = 0 where p2 = 0.5 > 0")), qPrintable(s));
    // The plot leaves the infinite term out (only the finite one is drawn).
    QCOMPARE(v.plot()->graph(0)->data()->size(), 1);
  }

  void clearAndPresentation() {
    V v;
    v.setTerms(terms({0.5, 0.5}, {0.25, 0.75}, false), "coin");
    v.clear("q: entry 1 is -0.5");
    QCOMPARE(v.rowCount(), 0);
    QCOMPARE(v.message(), QStringLiteral("q: entry 1 is -0.5"));
    const double before = v.plot()->yAxis->labelFont().pointSizeF();
    v.setPresentation(true);
    QVERIFY(qAbs(v.plot()->yAxis->labelFont().pointSizeF() / before - 1.6) < 0.01);
  }
};

QTEST_MAIN(TestDivergenceCalculatorView)
#include "test_divergence_calculator_view.moc"
