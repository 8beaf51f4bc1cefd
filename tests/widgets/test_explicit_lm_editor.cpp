// ExplicitLmEditor: loading explicit-LM JSON into full context tables (longest-suffix rule), the
// JSON it writes back being a valid ExplicitLm with the same conditionals, reshaping that keeps
// typed values, row normalisation and the error for a non-number cell.
#include <QtTest/QtTest>

#include <QSignalSpy>
#include <QTableWidget>
#include <nlohmann/json.hpp>

#include "core/divergence/explicit_lm.h"
#include "widgets/explicit_lm_editor.h"

using namespace quench;
using quench::widgets::ExplicitLmEditor;
using E = ExplicitLmEditor;

namespace {
const char* kP = R"({"vocab": ["A", "B"], "next": {"": [0.6, 0.4], "A": [0.5, 0.5], "B": [0.2, 0.8]}})";
const char* kQ = R"({"vocab": ["A", "B"], "next": {"": [0.6, 0.4], "A": [0.75, 0.25]}})";
}  // namespace

class TestExplicitLmEditor : public QObject {
  Q_OBJECT
 private slots:
  void loadsAndWritesBack() {
    E e;
    QSignalSpy spy(&e, &E::edited);
    QCOMPARE(e.setModels(nlohmann::json::parse(kP), nlohmann::json::parse(kQ)), QString());
    QVERIFY(spy.count() >= 1);
    QCOMPARE(e.vocab(), (QStringList{"A", "B"}));
    QCOMPARE(e.contextLength(), 1);
    QCOMPARE(e.table(E::kP)->rowCount(), 3);     // (start), A, B
    QCOMPARE(e.table(E::kP)->columnCount(), 3);  // A, B, Σ
    QCOMPARE(e.probability(E::kP, "B", 1), 0.8);
    QCOMPARE(e.probability(E::kQ, "A", 0), 0.75);
    // Q has no "B" key: its row is the longest suffix that is a key, "" = (0.6, 0.4).
    QCOMPARE(e.probability(E::kQ, "B", 0), 0.6);
    nlohmann::json j;
    QString error;
    QVERIFY(e.modelJson(E::kQ, &j, &error));
    auto lm = ExplicitLm::fromJson(j, "Q");
    QVERIFY2(lm, lm ? "" : lm.error().message.c_str());
    const std::vector<std::int32_t> b{1};
    QCOMPARE(lm->next(b)[0], 0.6);
    QCOMPARE(j["next"]["A"][1].get<double>(), 0.25);
    QCOMPARE(e.table(E::kP)->item(0, 2)->text(), QStringLiteral("1"));  // Σ column
  }

  void reshapeKeepsValues() {
    E e;
    e.setModels(nlohmann::json::parse(kP), nlohmann::json::parse(kQ));
    e.setShape({"A", "B"}, 2);
    QCOMPARE(e.table(E::kQ)->rowCount(), 7);  // 1 + 2 + 4 contexts
    QCOMPARE(e.probability(E::kQ, "A", 0), 0.75);
    QCOMPARE(e.probability(E::kQ, "A B", 0), 0.5);  // new row: uniform
    e.setShape({"A", "B", "C"}, 1);
    QCOMPARE(e.table(E::kP)->rowCount(), 4);
    QCOMPARE(e.probability(E::kP, "C", 2), 1.0 / 3.0);
    // Too many rows for a classroom table: k is reduced until it fits.
    e.setShape({"a", "b", "c", "d", "e"}, 4);
    QVERIFY(e.table(E::kP)->rowCount() <= E::kMaxRows);
    QCOMPARE(e.contextLength(), 2);  // 1 + 5 + 25 = 31 rows; k = 3 would be 156
  }

  void normaliseAndErrors() {
    E e;
    e.setShape({"H", "T"}, 0);
    e.setProbability(E::kP, "", 0, 2);
    e.setProbability(E::kP, "", 1, 6);
    QCOMPARE(e.table(E::kP)->item(0, 2)->text(), QStringLiteral("8"));
    e.normalizeRows();
    QCOMPARE(e.probability(E::kP, "", 0), 0.25);
    QCOMPARE(e.probability(E::kP, "", 1), 0.75);
    e.table(E::kQ)->item(0, 1)->setText("abc");
    nlohmann::json j;
    QString error;
    QVERIFY(!e.modelJson(E::kQ, &j, &error));
    QVERIFY2(error.contains("not a number"), qPrintable(error));
    QVERIFY(!e.setModels(nlohmann::json::parse(kP), nlohmann::json::parse(R"({"vocab": ["X", "Y"], "next": {"": [1, 0]}})"))
                 .isEmpty());
  }
};

QTEST_MAIN(TestExplicitLmEditor)
#include "test_explicit_lm_editor.moc"
