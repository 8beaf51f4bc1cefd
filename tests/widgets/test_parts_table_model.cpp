// PartsTableModel / PartsFilterProxy: what the parts table shows, which typed values it accepts
// (s > 0 finite, integer b, M and L ≤ U inside the k-bit code range) and the filter language.
// Parts are built by hand here; test_recipe_editor drives the same model through the real widget.
#include <QtTest/QtTest>

#include <limits>

#include "widgets/parts_table_model.h"

using quench::PartOverride;
using quench::PartParams;
using quench::PartReport;
using quench::widgets::PartsFilterProxy;
using quench::widgets::PartsTableModel;

namespace {

PartReport part(std::uint64_t size, double s, std::int64_t b, std::int64_t lo, std::int64_t hi,
                std::uint64_t saturated = 0) {
  PartReport r;
  r.size = size;
  r.params.scale = s;
  r.params.zeroPoint = b;
  r.params.clipLow = lo;
  r.params.clipHigh = hi;
  r.saturated = saturated;
  r.figures.saturated = saturated;
  return r;
}

QString cell(const QAbstractItemModel& m, int row, int column) { return m.index(row, column).data().toString(); }

}  // namespace

class TestPartsTableModel : public QObject {
  Q_OBJECT
 private slots:
  void showsUsedProposedAndOverridden() {
    PartsTableModel m;
    std::vector<PartReport> used{part(64, 0.01, 0, -127, 127, 3), part(64, 0.5, 0, -100, 100)};
    std::vector<PartParams> proposed{used[0].params, PartParams{0.02, 0, -127, 127}};
    m.setParts(used, proposed);
    QCOMPARE(m.rowCount(), 2);
    QCOMPARE(cell(m, 0, PartsTableModel::kScale), QStringLiteral("0.01"));
    QCOMPARE(cell(m, 0, PartsTableModel::kSaturated), QStringLiteral("3"));
    QCOMPARE(cell(m, 0, PartsTableModel::kSaturatedPct), QStringLiteral("4.69"));  // 3/64 = 4.6875 %
    QCOMPARE(cell(m, 1, PartsTableModel::kScaleCal), QStringLiteral("0.02"));
    QCOMPARE(cell(m, 1, PartsTableModel::kClip), QStringLiteral("100"));
    QCOMPARE(cell(m, 1, PartsTableModel::kClipCal), QStringLiteral("127"));

    // An override shows the typed value (before the window re-quantizes) and marks only its cells.
    PartOverride o;
    o.scale = 0.125;
    m.setOverrides({{1, o}});
    QCOMPARE(cell(m, 1, PartsTableModel::kScale), QStringLiteral("0.125"));
    QVERIFY(m.index(1, PartsTableModel::kScale).data(PartsTableModel::kOverriddenRole).toBool());
    QVERIFY(!m.index(1, PartsTableModel::kZero).data(PartsTableModel::kOverriddenRole).toBool());
    QVERIFY(!m.index(0, PartsTableModel::kScale).data(PartsTableModel::kOverriddenRole).toBool());
    QVERIFY(m.index(1, PartsTableModel::kScale).data(Qt::BackgroundRole).isValid());
    QVERIFY(m.index(1, PartsTableModel::kScale).data(Qt::ToolTipRole).toString().contains(QStringLiteral("0.02")));

    // Without proposals, a part without override proposes what it used; an overridden part "–".
    m.setParts(used, {});
    QCOMPARE(cell(m, 0, PartsTableModel::kScaleCal), QStringLiteral("0.01"));
    QCOMPARE(cell(m, 1, PartsTableModel::kScaleCal), QStringLiteral("–"));
  }

  void editableOnlyForIntAndOnlyParams() {
    PartsTableModel m;
    m.setParts({part(8, 1, 0, -127, 127)}, {});
    QVERIFY(m.flags(m.index(0, PartsTableModel::kScale)) & Qt::ItemIsEditable);
    QVERIFY(m.flags(m.index(0, PartsTableModel::kZero)) & Qt::ItemIsEditable);
    QVERIFY(m.flags(m.index(0, PartsTableModel::kClip)) & Qt::ItemIsEditable);
    QVERIFY(!(m.flags(m.index(0, PartsTableModel::kScaleCal)) & Qt::ItemIsEditable));
    QVERIFY(!(m.flags(m.index(0, PartsTableModel::kSaturated)) & Qt::ItemIsEditable));
    m.setEditable(false);
    QVERIFY(!(m.flags(m.index(0, PartsTableModel::kScale)) & Qt::ItemIsEditable));
    QVERIFY(!m.setData(m.index(0, PartsTableModel::kScale), QStringLiteral("2")));
  }

  void validatesTypedValues_data() {
    QTest::addColumn<int>("bits");
    QTest::addColumn<bool>("symmetric");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("ok");
    using M = PartsTableModel;
    QTest::newRow("s 0.05") << 8 << true << int(M::kScale) << "0.05" << true;
    QTest::newRow("s 1e-7") << 8 << true << int(M::kScale) << "1e-7" << true;
    QTest::newRow("s 0") << 8 << true << int(M::kScale) << "0" << false;
    QTest::newRow("s -1") << 8 << true << int(M::kScale) << "-1" << false;
    QTest::newRow("s abc") << 8 << true << int(M::kScale) << "abc" << false;
    QTest::newRow("s inf") << 8 << true << int(M::kScale) << "inf" << false;
    QTest::newRow("s nan") << 8 << true << int(M::kScale) << "nan" << false;
    QTest::newRow("s empty") << 8 << true << int(M::kScale) << "" << false;
    QTest::newRow("b 3") << 8 << true << int(M::kZero) << "3" << true;
    QTest::newRow("b -3") << 8 << true << int(M::kZero) << "-3" << true;
    QTest::newRow("b 1.5") << 8 << true << int(M::kZero) << "1.5" << false;
    QTest::newRow("b x") << 8 << true << int(M::kZero) << "x" << false;
    // 4-bit symmetric: M = 2^3 − 1 = 7 at most.
    QTest::newRow("M 7 @4") << 4 << true << int(M::kClip) << "7" << true;
    QTest::newRow("M 8 @4") << 4 << true << int(M::kClip) << "8" << false;
    QTest::newRow("M 0") << 4 << true << int(M::kClip) << "0" << false;
    QTest::newRow("M 127 @8") << 8 << true << int(M::kClip) << "127" << true;
    QTest::newRow("M 128 @8") << 8 << true << int(M::kClip) << "128" << false;
    // 4-bit unsigned: [0, 15]; the part below uses [0, 15], so L ≤ 15 and U ≥ 0.
    QTest::newRow("U 15 @4") << 4 << false << int(M::kHigh) << "15" << true;
    QTest::newRow("U 16 @4") << 4 << false << int(M::kHigh) << "16" << false;
    QTest::newRow("L -1 @4") << 4 << false << int(M::kLow) << "-1" << false;
    QTest::newRow("L 3 @4") << 4 << false << int(M::kLow) << "3" << true;
    QTest::newRow("cal col") << 8 << true << int(M::kScaleCal) << "1" << false;
  }
  void validatesTypedValues() {
    QFETCH(int, bits);
    QFETCH(bool, symmetric);
    QFETCH(int, column);
    QFETCH(QString, text);
    QFETCH(bool, ok);
    PartsTableModel m;
    m.setGrid(bits, symmetric);
    m.setParts({symmetric ? part(8, 1, 0, -7, 7) : part(8, 1, 3, 0, 15)}, {});
    QSignalSpy edited(&m, &PartsTableModel::overrideEdited);
    QSignalSpy rejected(&m, &PartsTableModel::editRejected);
    QCOMPARE(m.setData(m.index(0, column), text), ok);
    QCOMPARE(edited.size(), ok ? 1 : 0);
    QCOMPARE(rejected.size(), ok || column == PartsTableModel::kScaleCal ? 0 : 1);
    if (!ok && !rejected.isEmpty()) QVERIFY(rejected.front().at(2).toString().startsWith(QStringLiteral("part 0: ")));
    QVERIFY(m.overrides().empty());  // the model never stores an edit itself
  }

  void overrideContents() {
    PartsTableModel m;
    m.setGrid(4, false);
    m.setParts({part(8, 1, 3, 0, 15)}, {});
    QString error;
    // Typing L stores both ends, so the pair stays ordered whatever the calibrator does later.
    auto o = m.parseEdit(0, PartsTableModel::kLow, QStringLiteral("2"), &error);
    QVERIFY(o);
    PartOverride want;
    want.clipLow = 2;
    want.clipHigh = 15;
    QCOMPARE(*o, want);
    // L above the current U (an override of U = 5 is in place) is refused.
    PartOverride u;
    u.clipLow = 0;
    u.clipHigh = 5;
    m.setOverrides({{0, u}});
    QVERIFY(!m.parseEdit(0, PartsTableModel::kLow, QStringLiteral("6"), &error));
    QCOMPARE(error, QStringLiteral("part 0: L = 6 exceeds U = 5"));
    // Symmetric M writes L = −M, U = M and keeps a typed scale of the same part.
    m.setGrid(8, true);
    PartOverride s;
    s.scale = 0.25;
    m.setOverrides({{0, s}});
    o = m.parseEdit(0, PartsTableModel::kClip, QStringLiteral("100"), &error);
    QVERIFY(o);
    want = PartOverride{};
    want.scale = 0.25;
    want.clipLow = -100;
    want.clipHigh = 100;
    QCOMPARE(*o, want);
    // The full-precision value is what an editor starts from.
    PartOverride t;
    t.scale = 0.1 + 0.2;  // 0.30000000000000004
    m.setOverrides({{0, t}});
    QCOMPARE(m.index(0, PartsTableModel::kScale).data(Qt::EditRole).toString(), QStringLiteral("0.30000000000000004"));
    QCOMPARE(m.index(0, PartsTableModel::kScale).data(Qt::DisplayRole).toString(), QStringLiteral("0.3"));
  }

  void formatNumber() {
    QCOMPARE(PartsTableModel::formatNumber(0.1), QStringLiteral("0.1"));
    QCOMPARE(PartsTableModel::formatNumber(1e-5), QStringLiteral("1e-05"));
    QCOMPARE(PartsTableModel::formatNumber(static_cast<double>(0.01f)), QStringLiteral("0.009999999776482582"));
    QCOMPARE(PartsTableModel::formatNumber(std::numeric_limits<double>::infinity()), QStringLiteral("∞"));
  }

  void filterLanguage() {
    PartsTableModel m;
    std::vector<PartReport> parts;
    for (int j = 0; j < 300; ++j) parts.push_back(part(10, 1, 0, -127, 127, j % 10 == 7 ? j % 4 + 1 : 0));
    m.setParts(parts, {});
    PartsFilterProxy p;
    p.setSourceModel(&m);
    auto rows = [&] {
      std::vector<int> r;
      for (int i = 0; i < p.rowCount(); ++i) r.push_back(p.mapToSource(p.index(i, 0)).row());
      return r;
    };
    QCOMPARE(p.setFilterText(QStringLiteral("17")), QString());
    QCOMPARE(rows(), std::vector<int>{17});
    QCOMPARE(p.setFilterText(QStringLiteral("100-200")), QString());
    QCOMPARE(p.rowCount(), 101);
    QCOMPARE(p.setFilterText(QStringLiteral("100 - 200")), QString());
    QCOMPARE(p.rowCount(), 101);
    // parts 7, 17, 27, ... saturate: j % 10 == 7 → 30 parts
    QCOMPARE(p.setFilterText(QStringLiteral("sat>0")), QString());
    QCOMPARE(p.rowCount(), 30);
    QCOMPARE(p.setFilterText(QStringLiteral("sat > 0, 0-99")), QString());
    QCOMPARE(rows(), (std::vector<int>{7, 17, 27, 37, 47, 57, 67, 77, 87, 97}));
    // saturated count j % 4 + 1 ≥ 3 ⇔ j % 4 ∈ {2, 3}; among j ≡ 7 (mod 10) below 100: 7, 27, 47, 67, 87 (≡ 3 mod 4)
    QCOMPARE(p.setFilterText(QStringLiteral("sat>=3 0-99")), QString());
    QCOMPARE(rows(), (std::vector<int>{7, 27, 47, 67, 87}));
    // sat% compares the percentage: 4 of 10 = 40 %
    QCOMPARE(p.setFilterText(QStringLiteral("sat%>35")), QString());
    for (int r : rows()) QCOMPARE(parts[static_cast<std::size_t>(r)].saturated, std::uint64_t{4});
    PartOverride o;
    o.scale = 2;
    m.setOverrides({{5, o}, {250, o}});
    QCOMPARE(p.setFilterText(QStringLiteral("edited")), QString());
    QCOMPARE(rows(), (std::vector<int>{5, 250}));
    // A bad term keeps the previous filter and says why.
    QVERIFY(p.setFilterText(QStringLiteral("sat>>1")).contains(QStringLiteral("cannot read")));
    QVERIFY(p.setFilterText(QStringLiteral("200-100")).contains(QStringLiteral("backwards")));
    QCOMPARE(rows(), (std::vector<int>{5, 250}));
    QCOMPARE(p.setFilterText(QString()), QString());
    QCOMPARE(p.rowCount(), 300);
  }

  void sortsNumerically() {
    PartsTableModel m;
    m.setParts({part(10, 0.5, 0, -127, 127, 2), part(10, 10, 0, -127, 127, 9), part(10, 2, 0, -127, 127, 0)}, {});
    PartsFilterProxy p;
    p.setSourceModel(&m);
    p.sort(PartsTableModel::kScale, Qt::AscendingOrder);  // 0.5 < 2 < 10, not "10" < "2"
    QCOMPARE(p.mapToSource(p.index(0, 0)).row(), 0);
    QCOMPARE(p.mapToSource(p.index(1, 0)).row(), 2);
    QCOMPARE(p.mapToSource(p.index(2, 0)).row(), 1);
    p.sort(PartsTableModel::kSaturated, Qt::DescendingOrder);
    QCOMPARE(p.mapToSource(p.index(0, 0)).row(), 1);
  }
};

QTEST_MAIN(TestPartsTableModel)
#include "test_parts_table_model.moc"
