// Partitions (MATH.md §1): regular kinds as strided runs, custom index sets validated.
#include <QtTest/QtTest>

#include <set>

#include "core/quant/partition.h"

using namespace quench;

namespace {
// Every index exactly once over all parts.
bool coversOnce(const Partition& p) {
  std::vector<int> seen(static_cast<std::size_t>(p.numel()), 0);
  for (std::size_t j = 0; j < p.partCount(); ++j) p.forEachIndex(j, [&](std::int64_t i) { ++seen[i]; });
  return std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; });
}
std::vector<std::int64_t> indices(const Partition& p, std::size_t j) {
  std::vector<std::int64_t> v;
  p.forEachIndex(j, [&](std::int64_t i) { v.push_back(i); });
  return v;
}
}  // namespace

class TestPartition : public QObject {
  Q_OBJECT
 private slots:
  void regularKinds() {
    const Partition t = Partition::tensor(12);
    QCOMPARE(t.partCount(), std::size_t{1});
    QCOMPARE(t.partSize(0), std::int64_t{12});
    const Partition r = Partition::rows(3, 4);
    QCOMPARE(r.partCount(), std::size_t{3});
    QCOMPARE(indices(r, 1), (std::vector<std::int64_t>{4, 5, 6, 7}));
    const Partition c = Partition::columns(3, 4);
    QCOMPARE(c.partCount(), std::size_t{4});
    QCOMPARE(indices(c, 2), (std::vector<std::int64_t>{2, 6, 10}));
    for (const Partition& p : {t, r, c}) QVERIFY(coversOnce(p));
  }

  void groupsLastShort() {
    // 2×10, groups of 4 along rows: per row [0..3] [4..7] [8, 9].
    auto g = Partition::groups(2, 10, 4);
    QVERIFY(g.ok());
    QCOMPARE(g->partCount(), std::size_t{6});
    QCOMPARE(indices(*g, 2), (std::vector<std::int64_t>{8, 9}));
    QCOMPARE(indices(*g, 3), (std::vector<std::int64_t>{10, 11, 12, 13}));
    QVERIFY(coversOnce(*g));
    // 5×2, groups of 2 along columns: column 0 → {0, 2}, {4, 6}, {8}; column 1 → {1, 3}, ...
    auto gc = Partition::groups(5, 2, 2, false);
    QCOMPARE(gc->partCount(), std::size_t{6});
    QCOMPARE(indices(*gc, 0), (std::vector<std::int64_t>{0, 2}));
    QCOMPARE(indices(*gc, 2), (std::vector<std::int64_t>{8}));
    QCOMPARE(indices(*gc, 3), (std::vector<std::int64_t>{1, 3}));
    QVERIFY(coversOnce(*gc));
    QVERIFY(!Partition::groups(2, 10, 0).ok());
  }

  void largeRowPartitionIsCheap() {
    // 4096×4096 per row: no index list is stored; a part is one strided run.
    const Partition r = Partition::rows(4096, 4096);
    QCOMPARE(r.partCount(), std::size_t{4096});
    QVERIFY(r.isStrided());
    const StridedRun run = r.run(4095);
    QCOMPARE(run.start, std::int64_t{4095} * 4096);
    QCOMPARE(run.count, std::int64_t{4096});
    QCOMPARE(sizeof(Partition) < 128, true);
  }

  void customValidated() {
    auto ok = Partition::custom(4, {{0, 1}, {2, 3}});
    QVERIFY(ok.ok());
    QCOMPARE(indices(*ok, 1), (std::vector<std::int64_t>{2, 3}));
    auto overlap = Partition::custom(4, {{0, 1}, {1, 2, 3}});
    QVERIFY(!overlap.ok());
    QVERIFY(overlap.error().message.find("index 1 is in part 0 and in part 1") != std::string::npos);
    auto range = Partition::custom(4, {{0, 1}, {2, 4}});
    QVERIFY(range.error().message.find("out of range") != std::string::npos);
    auto missing = Partition::custom(4, {{0, 1}, {3}});
    QVERIFY(!missing.ok());  // uncovered indices are an error, never an implicit extra part
    QVERIFY(missing.error().message.find("index 2 is in no part") != std::string::npos);
    QVERIFY(!Partition::custom(4, {{0, 1, 2, 3}, {}}).ok());
  }

  void specs() {
    const std::vector<std::int64_t> shape{6, 2, 5};  // → (6, 10) view
    for (const char* s : {"tensor", "row", "column", "group:4", "group:3:column"}) {
      auto p = Partition::fromSpec(s, shape);
      QVERIFY2(p.ok(), s);
      QCOMPARE(QString::fromStdString(p->spec()), QString(s));
      QCOMPARE(p->numel(), std::int64_t{60});
      QVERIFY(coversOnce(*p));
    }
    QCOMPARE(Partition::fromSpec("row", shape)->partCount(), std::size_t{6});
    QCOMPARE(Partition::fromSpec("group:4", shape)->partCount(), std::size_t{18});
    QCOMPARE(Partition::fromSpec("group:4:row", shape)->spec(), std::string("group:4"));
    for (const char* bad : {"rows", "group:", "group:0", "group:x", "group:4:diag"})
      QVERIFY2(!Partition::fromSpec(bad, shape).ok(), bad);
    // A 1-D tensor is one row.
    QCOMPARE(Partition::fromSpec("column", std::vector<std::int64_t>{7})->partCount(), std::size_t{7});
  }
};

QTEST_APPLESS_MAIN(TestPartition)
#include "test_partition.moc"
