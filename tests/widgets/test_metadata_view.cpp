// MetadataView: one row per key in file order; very long values are cut in the cell and the
// tooltip, never shown whole; GGUF files show every key typed, arrays summarized.
#include <QTableWidget>
#include <QtTest/QtTest>

#include "core/io/formats.h"
#include "widgets/metadata_view.h"

using quench::widgets::MetadataView;

class TestMetadataView : public QObject {
  Q_OBJECT
 private slots:
  void rowsInFileOrder() {
    MetadataView v;
    v.setMetadata({{"general.architecture", "llama"}, {"llama.block_count", "5"}}, "stories260K.gguf");
    QCOMPARE(v.title(), QStringLiteral("stories260K.gguf — 2 keys"));
    QCOMPARE(v.table()->rowCount(), 2);
    QCOMPARE(v.table()->item(0, MetadataView::kKey)->text(), QStringLiteral("general.architecture"));
    QCOMPARE(v.table()->item(0, MetadataView::kValue)->text(), QStringLiteral("llama"));
    QCOMPARE(v.table()->item(1, MetadataView::kValue)->text(), QStringLiteral("5"));
    QVERIFY(v.table()->isColumnHidden(MetadataView::kType));  // plain-text metadata has no types
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
    const QString cell = v.table()->item(0, MetadataView::kValue)->text();
    QVERIFY(cell.startsWith("[\"tok0\",\"tok1\""));
    QVERIFY(cell.size() < MetadataView::kMaxCell + 40);
    QVERIFY(cell.contains(QString("(%1 characters)").arg(tokens.size())));
    QVERIFY(v.table()->item(0, MetadataView::kValue)->toolTip().size() < MetadataView::kMaxToolTip + 40);
  }

  void ggufVocabularyTypedAndSummarized() {
    // llama.cpp's Llama 2 vocabulary: 32000 tokens, scores and types, shown as their element type
    // and length with the first 8 elements (llama.cpp's own loader prints
    // "tokenizer.ggml.tokens arr[str,32000] = ["<unk>", "<s>", "</s>", "<0x00>", ...").
    auto f = quench::MappedFile::open(QUENCH_SHARED_DATA "/tokenizers/ggml-vocab-llama-spm.gguf");
    QVERIFY(f.ok());
    auto r = quench::openGguf(*f);
    QVERIFY(r.ok());
    QCOMPARE((*r)->tensors().size(), std::size_t{0});
    MetadataView v;
    v.setReader(**r, "ggml-vocab-llama-spm.gguf");
    QCOMPARE(v.table()->rowCount(), static_cast<int>((*r)->metadata().size()));
    QVERIFY(!v.table()->isColumnHidden(MetadataView::kType));
    int tokens = -1, model = -1;
    for (int row = 0; row < v.table()->rowCount(); ++row) {
      if (v.table()->item(row, MetadataView::kKey)->text() == "tokenizer.ggml.tokens") tokens = row;
      if (v.table()->item(row, MetadataView::kKey)->text() == "tokenizer.ggml.model") model = row;
    }
    QVERIFY(tokens >= 0 && model >= 0);
    QCOMPARE(v.table()->item(tokens, MetadataView::kType)->text(), QStringLiteral("string[32000]"));
    const QString cell = v.table()->item(tokens, MetadataView::kValue)->text();
    QVERIFY2(cell.startsWith(QStringLiteral("[\"<unk>\", \"<s>\", \"</s>\", \"<0x00>\", ")), qPrintable(cell));
    QVERIFY2(cell.endsWith(QString::fromUtf8(", …]")), qPrintable(cell));
    QCOMPARE(cell.count(QStringLiteral(", ")), 8);  // 8 elements and the ellipsis
    QVERIFY(v.table()->item(tokens, MetadataView::kValue)->toolTip().startsWith("the first 8 of 32000 elements"));
    QCOMPARE(v.table()->item(model, MetadataView::kType)->text(), QStringLiteral("string"));
    QCOMPARE(v.table()->item(model, MetadataView::kValue)->text(), QStringLiteral("llama"));
  }
};

QTEST_MAIN(TestMetadataView)
#include "test_metadata_view.moc"
