// Pruning (MATH.md §6): magnitude per tensor / per row and N:M, with the (|θ|, index) tie rule,
// checked by hand.
#include <QtTest/QtTest>

#include <cmath>

#include "common/fuzzy.h"
#include "core/quant/prune.h"

using namespace quench;

class TestPrune : public QObject {
  Q_OBJECT
 private slots:
  void magnitudeTensor() {
    const std::vector<float> x{0.5f, -3, 0.1f, 2, -0.2f, 1, 0, 4};
    // f = 0.5 of 8 → the 4 smallest |θ|: 0 (i6), 0.1 (i2), −0.2 (i4), 0.5 (i0)
    auto r = pruneMagnitude(x, MagnitudePruneParams{0.5});
    QVERIFY(r);
    QCOMPARE(r->reconstruction, (std::vector<float>{0, -3, 0, 2, 0, 1, 0, 4}));
    QCOMPARE(r->kept, (std::vector<std::uint8_t>{0, 1, 0, 1, 0, 1, 0, 1}));
    QCOMPARE(r->pruned, std::uint64_t{4});
    QCOMPARE(r->sparsity, 0.5);
    // MSE = (0.25 + 0.01 + 0.04 + 0)/8
    QUENCH_COMPARE_NEAR(r->total.mse, 0.30 / 8, 1e-7, 0);
    QCOMPARE(r->total.bitsPerParam, 32.0);
    // ⌊0.3·8⌋ = 2
    QCOMPARE(pruneMagnitude(x, MagnitudePruneParams{0.3})->pruned, std::uint64_t{2});
    QCOMPARE(pruneMagnitude(x, MagnitudePruneParams{0.0})->reconstruction, x);
    QCOMPARE(pruneMagnitude(x, MagnitudePruneParams{1.0})->sparsity, 1.0);
    QVERIFY(!pruneMagnitude(x, MagnitudePruneParams{1.5}));
    QVERIFY(!pruneMagnitude(x, MagnitudePruneParams{NAN}));
  }

  void magnitudeTies() {
    // four equal magnitudes, prune 2: the lower indices go first
    const std::vector<float> x{1, -1, 1, -1, 5};
    auto r = pruneMagnitude(x, MagnitudePruneParams{0.4});
    QCOMPARE(r->reconstruction, (std::vector<float>{0, 0, 1, -1, 5}));
    // NaN ranks above every number: pruned last
    const std::vector<float> y{NAN, 100, 0.5f};
    auto n = pruneMagnitude(y, MagnitudePruneParams{0.67});
    QCOMPARE(n->kept, (std::vector<std::uint8_t>{1, 0, 0}));
    QCOMPARE(n->total.nan, std::uint64_t{1});
  }

  void magnitudeRow() {
    // 2 rows of 4, f = 0.5 per row: row 0 keeps 3, −4; row 1 keeps 9, 8 (0.1 < 0.2 are pruned)
    const std::vector<float> x{1, 3, -4, 2, 9, 0.1f, 0.2f, 8};
    MagnitudePruneParams p{0.5, PruneScope::Row, 4};
    auto r = pruneMagnitude(x, p);
    QVERIFY(r);
    QCOMPARE(r->reconstruction, (std::vector<float>{0, 3, -4, 0, 9, 0, 0, 8}));
    QCOMPARE(r->parts.size(), std::size_t{2});
    QUENCH_COMPARE_NEAR(r->parts[1].figures.mse, (0.01 + 0.04) / 4, 1e-7, 0);
    // per tensor would prune 1, 0.1, 0.2, 2 instead
    auto t = pruneMagnitude(x, MagnitudePruneParams{0.5});
    QCOMPARE(t->reconstruction, (std::vector<float>{0, 3, -4, 0, 9, 0, 0, 8}));
    const std::vector<float> z{1, 2, 3, 4, 0.5f, 0.6f, 0.7f, 0.8f};
    QCOMPARE(pruneMagnitude(z, p)->reconstruction, (std::vector<float>{0, 0, 3, 4, 0, 0, 0.7f, 0.8f}));
    // per tensor the 4 smallest are all in row 1
    QCOMPARE(pruneMagnitude(z, MagnitudePruneParams{0.5})->reconstruction, (std::vector<float>{1, 2, 3, 4, 0, 0, 0, 0}));
    p.rowLength = 3;
    QVERIFY(!pruneMagnitude(x, p));
    p.rowLength = 0;
    QVERIFY(!pruneMagnitude(x, p));
  }

  void nm() {
    // 2:4 on one row of 8: group 0 (1, −3, 0.5, 2) keeps −3, 2; group 1 (0, 0, 0, 7) keeps a
    // tied zero (the later index, 6) and 7
    const std::vector<float> x{1, -3, 0.5f, 2, 0, 0, 0, 7};
    auto r = pruneNM(x, NmPruneParams{});
    QVERIFY(r);
    QCOMPARE(r->reconstruction, (std::vector<float>{0, -3, 0, 2, 0, 0, 0, 7}));
    QCOMPARE(r->kept, (std::vector<std::uint8_t>{0, 1, 0, 1, 0, 0, 1, 1}));
    QCOMPARE(r->pruned, std::uint64_t{4});
    QCOMPARE(r->prunedFraction, 0.5);
    QCOMPARE(r->sparsity, 5.0 / 8);  // the kept zero counts as sparse too
    QUENCH_COMPARE_NEAR(r->total.mse, (1 + 0.25) / 8.0, 1e-7, 0);
    QCOMPARE(r->total.bitsPerParam, (2 * 32.0 + 2 * 2) / 4);  // 17: values + 2-bit indices
    // rows of 6 with 2:4: groups (0..3), (4, 5) → the short group keeps min(2, 2) = both
    const std::vector<float> y{1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1};
    NmPruneParams p{2, 4, 6};
    auto s = pruneNM(y, p);
    QCOMPARE(s->reconstruction, (std::vector<float>{0, 0, 3, 4, 5, 6, 6, 5, 0, 0, 2, 1}));
    QCOMPARE(s->parts.size(), std::size_t{2});
    // 1:2 and 4:8
    QCOMPARE(pruneNM(y, NmPruneParams{1, 2, 6})->reconstruction,
             (std::vector<float>{0, 2, 0, 4, 0, 6, 6, 0, 4, 0, 2, 0}));
    QCOMPARE(pruneNM(y, NmPruneParams{1, 2, 0})->pruned, std::uint64_t{6});
    QVERIFY(!pruneNM(y, NmPruneParams{3, 2, 6}));
    QVERIFY(!pruneNM(y, NmPruneParams{2, 4, 5}));
    QVERIFY(!pruneNM(y, NmPruneParams{0, 4, 6}));
  }
};

QTEST_APPLESS_MAIN(TestPrune)
#include "test_prune.moc"
