// ModelInfoView on stories260K (llama2.c): the architecture from its header (dim 64, 5 layers,
// 8 heads, 4 KV heads, hidden 172, vocabulary 512, context 512; the GGUF conversion declares
// llama.context_length 2048) and its parameter count by
// formula: embedding V·d + per layer (2·d² + 2·d·kv + 3·d·h + 2·d) + final norm d = 260 032
// (the classifier shares the embedding). The GGUF conversion stores the classifier as its own
// tensor (48 tensors = 5 × 9 + embedding, final norm, output), so its runtime loads V·d more.
#include <QTableWidget>
#include <QtTest/QtTest>

#include "widgets/text_format.h"
#include "common/fuzzy.h"
#include "widgets/model_info_view.h"

using namespace quench;
using quench::widgets::ModelInfoView;

class TestModelInfoView : public QObject {
  Q_OBJECT
 private slots:
  void stories260K() {
    struct File {
      const char* path;
      const char* context;
      bool tied;
    };
    const File files[] = {{"models/stories260K/stories260K.bin", "512", true},
                          {"models/stories260K-gguf/stories260K.gguf", "2048", false}};
    for (const auto& [path, context, tied] : files) {
      auto m = model::openModel(test::sharedData(path).toStdString());
      QVERIFY(m.ok());
      ModelInfoView v;
      v.setModel(*m);
      QCOMPARE(v.valueText("width (dim)"), QStringLiteral("64"));
      QCOMPARE(v.valueText("layers"), QStringLiteral("5"));
      QCOMPARE(v.valueText("heads"), QStringLiteral("8"));
      QCOMPARE(v.valueText("KV heads"), QStringLiteral("4"));
      QCOMPARE(v.valueText("head size"), QStringLiteral("8"));
      QCOMPARE(v.valueText("SwiGLU size"), QStringLiteral("172"));
      QCOMPARE(v.valueText("vocabulary"), QStringLiteral("512"));
      QCOMPARE(v.valueText("context"), quench::widgets::formatCount(QString::fromLatin1(context).toLongLong()));
      const int d = 64, kv = 32, h = 172, V = 512, L = 5;
      const qint64 params = qint64(V) * d + qint64(L) * (2 * d * d + 2 * d * kv + 3 * d * h + 2 * d) + d;
      QCOMPARE(params, qint64(260032));
      QCOMPARE(v.valueText("parameters"), quench::widgets::formatCount(params + (tied ? 0 : V * d)));
      QCOMPARE(v.valueText("shared classifier").startsWith(QStringLiteral("yes")), tied);
      QVERIFY(v.valueText("architecture").contains(QStringLiteral("grouped-query")));
    }
    ModelInfoView v;
    v.clear();
    QCOMPARE(v.table()->rowCount(), 0);
    QVERIFY(v.valueText("layers").isEmpty());
  }
};

QTEST_MAIN(TestModelInfoView)
#include "test_model_info_view.moc"
