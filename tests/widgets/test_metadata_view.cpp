// MetadataView: one row per key in file order; very long values (GGUF vocabularies) are cut in the
// cell and the tooltip, never shown whole.
#include <QTableWidget>
#include <QtTest/QtTest>

#include "widgets/metadata_view.h"

using quench::widgets::MetadataView;

class TestMetadataView : public QObject {
  Q_OBJECT
 private slots:
  void rowsInFileOrder() {
    MetadataView v;
    v.setMetadata({{"general.architecture", "llama"}, {"llama.block_count", "5"}}, "stories260K.gguf");
    QCOMPARE(v.title(), QStringLiteral("stories260K.gguf"));
    QCOMPARE(v.table()->rowCount(), 2);
    QCOMPARE(v.table()->item(0, 0)->text(), QStringLiteral("general.architecture"));
    QCOMPARE(v.table()->item(0, 1)->text(), QStringLiteral("llama"));
    QCOMPARE(v.table()->item(1, 1)->text(), QStringLiteral("5"));
    v.setMetadata({}, "model.safetensors");
    QCOMPARE(v.table()->rowCount(), 0);
    QVERIFY(v.title().contains("no metadata"));
  }

  void longValuesAreCut() {
    std::string tokens = "[";
    for (int i = 0; i < 5000; ++i) tokens += "\"tok" + std::to_string(i) + "\",";
    tokens += "\"end\"]";
    MetadataView v;
    v.setMetadata({{"tokenizer.ggml.tokens", tokens}}, "m.gguf");
    const QString cell = v.table()->item(0, 1)->text();
    QVERIFY(cell.startsWith("[\"tok0\",\"tok1\""));
    QVERIFY(cell.size() < MetadataView::kMaxCell + 40);
    QVERIFY(cell.contains(QString("(%1 characters)").arg(tokens.size())));
    QVERIFY(v.table()->item(0, 1)->toolTip().size() < MetadataView::kMaxToolTip + 40);
  }
};

QTEST_MAIN(TestMetadataView)
#include "test_metadata_view.moc"
