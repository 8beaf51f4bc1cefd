// The classroom KL/JS calculator (MATH.md §8) term by term, against hand values:
// p = (½, ½), q = (¼, ¾): KL = ½ln2 + ½ln(2/3) nats; KL(Q‖P) = ¼ln(½) + ¾ln(3/2);
// m = (3/8, 5/8), JS = ½[½ln(4/3) + ½ln(4/5)] + ½[¼ln(2/3) + ¾ln(6/5)].
#include <QtTest/QtTest>

#include <cmath>

#include "common/fuzzy.h"
#include "core/divergence/pmf.h"
#include "core/divergence/pmf_terms.h"

using namespace quench;

class TestPmfTerms : public QObject {
  Q_OBJECT
 private slots:
  void handValuesNats() {
    const std::vector<double> p{0.5, 0.5}, q{0.25, 0.75};
    auto r = pmfTerms(p, q, false, false);
    QVERIFY(r);
    QUENCH_COMPARE_NEAR(r->kl.terms[0], 0.5 * std::log(2.0), 1e-15, 0);
    QUENCH_COMPARE_NEAR(r->kl.terms[1], 0.5 * std::log(2.0 / 3.0), 1e-15, 0);
    QUENCH_COMPARE_NEAR(r->kl.sum, 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0), 1e-15, 0);
    QUENCH_COMPARE_NEAR(r->kl.sum, 0.14384103622589045, 1e-14, 0);
    QUENCH_COMPARE_NEAR(r->klReverse.sum, 0.25 * std::log(0.5) + 0.75 * std::log(1.5), 1e-15, 0);
    QCOMPARE(r->m[0], 0.375);
    QCOMPARE(r->m[1], 0.625);
    QUENCH_COMPARE_NEAR(r->pm.terms[0], 0.5 * std::log(4.0 / 3.0), 1e-15, 0);
    QUENCH_COMPARE_NEAR(r->qm.terms[1], 0.75 * std::log(6.0 / 5.0), 1e-15, 0);
    const double js = 0.5 * (0.5 * std::log(4.0 / 3.0) + 0.5 * std::log(0.8)) +
                      0.5 * (0.25 * std::log(2.0 / 3.0) + 0.75 * std::log(1.2));
    QUENCH_COMPARE_NEAR(r->js, js, 1e-14, 0);
    QVERIFY(r->kl.infinite.empty());
  }

  void bits() {
    const std::vector<double> p{0.5, 0.5}, q{0.25, 0.75};
    auto r = pmfTerms(p, q, false, true);
    QVERIFY(r);
    // In bits: ½·log2(2) + ½·log2(2/3) = ½ + ½(1 − log2 3) = 1 − ½log2 3.
    QUENCH_COMPARE_NEAR(r->kl.terms[0], 0.5, 1e-15, 0);
    QUENCH_COMPARE_NEAR(r->kl.sum, 1.0 - 0.5 * std::log2(3.0), 1e-14, 0);
    QVERIFY(r->bits);
  }

  void infiniteWhereQIsZero() {
    // p = (½, ½), q = (1, 0): term 1 is +∞ (p > 0 = q); KL(Q‖P) = ln 2; JS stays finite:
    // m = (¾, ¼): ½[½ln(2/3) + ½ln2] + ½[ln(4/3)].
    const std::vector<double> p{0.5, 0.5}, q{1.0, 0.0};
    auto r = pmfTerms(p, q, false, false);
    QVERIFY(r);
    QVERIFY(std::isinf(r->kl.sum) && r->kl.sum > 0);
    QCOMPARE(r->kl.infinite, std::vector<std::size_t>{1});
    QVERIFY(std::isinf(r->kl.terms[1]));
    QUENCH_COMPARE_NEAR(r->kl.terms[0], 0.5 * std::log(0.5), 1e-15, 0);
    QUENCH_COMPARE_NEAR(r->klReverse.sum, std::log(2.0), 1e-15, 0);
    QCOMPARE(r->klReverse.terms[1], 0.0);  // 0·ln(0/½) = 0
    QUENCH_COMPARE_NEAR(r->js, 0.5 * (0.5 * std::log(2.0 / 3.0) + 0.5 * std::log(2.0)) + 0.5 * std::log(4.0 / 3.0),
                        1e-14, 0);
    QVERIFY(r->js <= std::log(2.0));
  }

  void errorsAndNormalise() {
    const std::vector<double> p{0.5, 0.5}, q3{0.2, 0.3, 0.5}, neg{1.5, -0.5}, unnorm{1, 3};
    QVERIFY(!pmfTerms(p, q3, false, false));
    auto n = pmfTerms(p, neg, true, false);
    QVERIFY(!n);
    QVERIFY(n.error().message.find("q") != std::string::npos);
    QVERIFY(!pmfTerms(p, unnorm, false, false));
    auto ok = pmfTerms(p, unnorm, true, false);
    QVERIFY(ok);
    QCOMPARE(ok->q[0], 0.25);
    QCOMPARE(ok->q[1], 0.75);
    const std::vector<double> zeros{0, 0};
    QVERIFY(!pmfTerms(p, zeros, true, false));
  }

  void parsing() {
    auto f = parsePmfText("1/4, 3/4", "q");
    QVERIFY(f);
    QCOMPARE((*f)[0], 0.25);
    QCOMPARE((*f)[1], 0.75);
    auto d = parsePmfText(" 0.5,0.5 ", "p");
    QVERIFY(d);
    QCOMPARE(d->size(), std::size_t{2});
    QVERIFY(!parsePmfText("", "p"));
    QVERIFY(!parsePmfText("1/0, 1", "p"));
    auto bad = parsePmfText("0.5, half", "p");
    QVERIFY(!bad);
    QVERIFY(bad.error().message.find("half") != std::string::npos);
  }

  void sumsEqualCorePmf() {
    const std::vector<double> p{0.1, 0.2, 0.3, 0.4}, q{0.4, 0.3, 0.2, 0.1};
    auto r = pmfTerms(p, q, false, false);
    QVERIFY(r);
    QUENCH_COMPARE_NEAR(r->kl.sum, klPmf(p, q), 1e-14, 0);
    QUENCH_COMPARE_NEAR(r->js, jsPmf(p, q), 1e-14, 0);
    // Symmetric pair: KL(P‖Q) = KL(Q‖P) = 0.3·ln 4 + 0.1·ln(1.5)... written out:
    // 0.1ln(1/4) + 0.2ln(2/3) + 0.3ln(3/2) + 0.4ln4 = 0.3ln4 + 0.1ln(3/2).
    QUENCH_COMPARE_NEAR(r->kl.sum, 0.3 * std::log(4.0) + 0.1 * std::log(1.5), 1e-14, 0);
  }
};

QTEST_MAIN(TestPmfTerms)
#include "test_pmf_terms.moc"
