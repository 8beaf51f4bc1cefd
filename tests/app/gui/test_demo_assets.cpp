// demoModelDir(): the demo model is found from a build folder (the source tree's
// resources/demo-lm) and from an installed layout (<prefix>/bin + <prefix>/share/quench/demo-lm,
// which wins), and nothing is returned when the folder is missing or incomplete.
#include <QtTest/QtTest>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include "app/gui/demo_assets.h"
#include "core/model/model_loader.h"

using namespace quench;

namespace {
const QString kSourceDemo = QStringLiteral(QUENCH_SOURCE_DIR "/resources/demo-lm");

// A fake installed prefix under `root`: bin/ and share/quench/demo-lm with copies of `files`.
QString makePrefix(const QString& root, const QStringList& files) {
  QDir(root).mkpath(QStringLiteral("bin"));
  const QString demo = root + QStringLiteral("/share/quench/demo-lm");
  QDir(root).mkpath(QStringLiteral("share/quench/demo-lm"));
  for (const QString& f : files)
    if (!QFile::copy(kSourceDemo + '/' + f, demo + '/' + f)) qFatal("cannot copy %s", qPrintable(f));
  return root + QStringLiteral("/bin");
}
}  // namespace

class TestDemoAssets : public QObject {
  Q_OBJECT
 private slots:
  // Run from the build folder, the source tree's copy is found, and it is a model Quench opens.
  void buildTree() {
    const QString dir = app::demoModelDir();
    QCOMPARE(dir, QFileInfo(kSourceDemo).canonicalFilePath());
    auto files = model::openModel(dir.toStdString());
    QVERIFY2(files.ok(), files.ok() ? "" : files.error().message.c_str());
    QCOMPARE(QString::fromStdString(files->format), QStringLiteral("hf"));
  }

  void installedTreeWins() {
    QTemporaryDir tmp;
    const QString bin = makePrefix(tmp.path(), {"config.json", "tokenizer.json", "model.safetensors"});
    const QString want = QFileInfo(tmp.path() + QStringLiteral("/share/quench/demo-lm")).canonicalFilePath();
    QCOMPARE(app::findDemoModelDir(bin, kSourceDemo), want);
    QCOMPARE(app::findDemoModelDir(bin, QString()), want);
  }

  void incompleteOrMissing() {
    QTemporaryDir tmp;
    // An installed folder without the weights is not the demo: fall back to the source tree.
    const QString bin = makePrefix(tmp.path(), {"config.json", "tokenizer.json"});
    QCOMPARE(app::findDemoModelDir(bin, kSourceDemo), QFileInfo(kSourceDemo).canonicalFilePath());
    QCOMPARE(app::findDemoModelDir(bin, QString()), QString());
    QCOMPARE(app::findDemoModelDir(bin, tmp.path() + QStringLiteral("/nowhere")), QString());
    QCOMPARE(app::findDemoModelDir(QString(), QString()), QString());
  }
};

QTEST_GUILESS_MAIN(TestDemoAssets)
#include "test_demo_assets.moc"
