// LLM.int8() decomposition (MATH.md §5): outlier columns, plain int8 vs decomposition, by hand on
// a 2×3 · 3×2 product and on a seeded example where the decomposition must reduce the error.
#include <QtTest/QtTest>

#include <cmath>
#include <random>

#include "common/fuzzy.h"
#include "core/quant/llm_int8.h"

using namespace quench;

class TestLlmInt8 : public QObject {
  Q_OBJECT
 private slots:
  void byHand() {
    // X (2 × 3), W (3 × 2); τ = 6 makes feature column 1 (|10| ≥ 6) the only outlier.
    const std::vector<float> x{1, 10, -2, 0.5f, -1, 3};
    const std::vector<float> w{1, 2, 3, -1, 0.5f, 0.25f};
    auto r = llmInt8Matmul(x, 2, 3, w, 2);
    QVERIFY(r);
    QCOMPARE(r->outliers.outlierColumns, (std::vector<std::size_t>{1}));
    QCOMPARE(r->outliers.columnMaxAbs, (std::vector<float>{1, 10, 3}));
    // exact: [1·1 + 10·3 − 2·0.5, 1·2 − 10 − 0.5; 0.5 − 3 + 1.5, 1 + 1 + 0.75]
    QCOMPARE(r->exact, (std::vector<double>{30, -8.5, -1, 2.75}));
    // plain int8: row scales 10/127, 3/127; qx = [13 127 −25], [21 −42 127]
    // column scales 3/127, 2/127; qw col0 = [42 127 21], col1 = [127 −64 16] (−63.5 → −64, even)
    const double sx0 = static_cast<float>(10 / 127.0), sx1 = static_cast<float>(3 / 127.0);
    const double sw0 = static_cast<float>(3 / 127.0), sw1 = static_cast<float>(2 / 127.0);
    QCOMPARE(r->plainInt8[0], (13 * 42 + 127 * 127 - 25 * 21) * sx0 * sw0);
    QCOMPARE(r->plainInt8[1], (13 * 127 - 127 * 64 - 25 * 16) * sx0 * sw1);
    QCOMPARE(r->plainInt8[3], (21 * 127 + 42 * 64 + 127 * 16) * sx1 * sw1);
    // decomposition: column 1 exact; the rest over features {0, 2}: row scales 2/127, 3/127,
    // qx = [64 −127] (63.5 → 64), [21 127]; column scales 1/127, 2/127: qw col0 = [127 64],
    // col1 = [127 16]
    const double dx0 = static_cast<float>(2 / 127.0), dw0 = static_cast<float>(1 / 127.0),
                 dw1 = static_cast<float>(2 / 127.0);
    QCOMPARE(r->decomposed[0], 10.0 * 3 + (64 * 127 - 127 * 64) * dx0 * dw0);  // = 30 exactly
    QCOMPARE(r->decomposed[1], 10.0 * -1 + (64 * 127 - 127 * 16) * dx0 * dw1);
    QCOMPARE(r->decomposed[0], 30.0);
    QVERIFY(r->decomposedError.relFrobenius < r->plainError.relFrobenius);
    double se = 0, sx = 0;
    for (int i = 0; i < 4; ++i) {
      se += (r->plainInt8[i] - r->exact[i]) * (r->plainInt8[i] - r->exact[i]);
      sx += r->exact[i] * r->exact[i];
    }
    QUENCH_COMPARE_NEAR(r->plainError.relFrobenius, std::sqrt(se / sx), 1e-12, 0);
    QUENCH_COMPARE_NEAR(r->plainError.mse, se / 4, 1e-12, 0);
    QCOMPARE(r->plainWeightBitsPerParam, 8.0 + 32.0 / 3);
    QCOMPARE(r->weightBitsPerParam, (8.0 * 2 + 32.0 + 32.0) / 3);
    // τ above every magnitude: no outliers, both results identical
    LlmInt8Params high{100.0};
    auto h = llmInt8Matmul(x, 2, 3, w, 2, high);
    QVERIFY(h->outliers.outlierColumns.empty());
    QCOMPARE(h->decomposed, h->plainInt8);
  }

  void seededOutliers() {
    // 64 tokens × 256 features with 4 systematic outlier features (|x| ≈ 20–60, as in OPT/BLOOM
    // activations): plain int8's per-row scale is dominated by them and crushes the rest.
    const std::size_t T = 64, F = 256, O = 96;
    std::mt19937 rng(1234);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> x(T * F), w(F * O);
    for (auto& v : x) v = std::clamp(g(rng), -4.0f, 4.0f);
    const std::size_t hot[] = {7, 50, 51, 200};
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t j : hot) x[t * F + j] = (t % 2 ? -1.0f : 1.0f) * (20.0f + 40.0f * std::fabs(g(rng)) / 3);
    for (auto& v : w) v = 0.05f * g(rng);
    auto r = llmInt8Matmul(x, T, F, w, O);
    QVERIFY(r);
    QCOMPARE(r->outliers.outlierColumns, (std::vector<std::size_t>{7, 50, 51, 200}));
    QVERIFY2(r->decomposedError.relFrobenius < 0.25 * r->plainError.relFrobenius,
             qPrintable(QStringLiteral("decomposed %1, plain %2").arg(r->decomposedError.relFrobenius).arg(r->plainError.relFrobenius)));
    QVERIFY(r->decomposedError.mse < r->plainError.mse);
    QVERIFY(r->plainError.relFrobenius > 0.005);  // int8 is not exact: the comparison is not vacuous
  }

  void weightOnlyAndErrors() {
    // a stored Linear weight (outputs × inputs = 2 × 4): input channel 2 has |−7| ≥ 6
    const std::vector<float> w{0.1f, -0.5f, 3, 1, 0.2f, 0.4f, -7, 6};
    auto o = findOutlierColumns(w, 2, 4, 6.0);
    QVERIFY(o);
    QCOMPARE(o->columnMaxAbs, (std::vector<float>{0.2f, 0.5f, 7, 6}));
    QCOMPARE(o->outlierColumns, (std::vector<std::size_t>{2, 3}));  // 6 ≥ τ counts
    QVERIFY(!findOutlierColumns(w, 3, 4));
    QVERIFY(!findOutlierColumns(w, 2, 4, 0.0));
    QVERIFY(!findOutlierColumns(std::vector<float>{NAN}, 1, 1));
    QVERIFY(!llmInt8Matmul(w, 2, 4, w, 3));
    QVERIFY(!llmInt8Matmul(w, 0, 4, w, 2));
    const std::size_t huge = std::size_t{1} << 62;
    QVERIFY(!llmInt8Matmul(w, huge, 4, w, huge));
  }
};

QTEST_APPLESS_MAIN(TestLlmInt8)
#include "test_llm_int8.moc"
