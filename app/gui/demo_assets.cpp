#include "app/gui/demo_assets.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace quench::app {

namespace {
// The three files openModel needs from a Hugging Face folder; a partial copy is not the demo.
bool isModelFolder(const QString& dir) {
  if (dir.isEmpty()) return false;
  const QDir d(dir);
  for (const char* f : {"config.json", "tokenizer.json", "model.safetensors"})
    if (!QFileInfo(d.filePath(QString::fromLatin1(f))).isFile()) return false;
  return true;
}
}  // namespace

QString findDemoModelDir(const QString& appDir, const QString& sourceDir) {
  // Installed: <prefix>/bin/quench beside <prefix>/share/quench/demo-lm.
  if (!appDir.isEmpty()) {
    const QString installed = QDir(appDir).filePath(QStringLiteral("../share/quench/demo-lm"));
    if (isModelFolder(installed)) return QFileInfo(installed).canonicalFilePath();
  }
  // Build tree: the executable runs from the build folder, the model stays in the sources.
  if (isModelFolder(sourceDir)) return QFileInfo(sourceDir).canonicalFilePath();
  return {};
}

QString demoModelDir() {
#ifdef QUENCH_DEMO_MODEL_SOURCE_DIR
  const QString sourceDir = QStringLiteral(QUENCH_DEMO_MODEL_SOURCE_DIR);
#else
  const QString sourceDir;
#endif
  return findDemoModelDir(QCoreApplication::applicationDirPath(), sourceDir);
}

}  // namespace quench::app
