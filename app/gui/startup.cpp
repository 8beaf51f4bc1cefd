#include "app/gui/startup.h"

#include <QFileInfo>
#include <QSettings>

#include "app/gui/main_window.h"

namespace quench::app {

bool startSession(MainWindow& window, const StartupOptions& options) {
  QSettings settings;
  const QString key = QStringLiteral("hasRunBefore");
  const bool firstRun = !settings.value(key).toBool();
  settings.setValue(key, true);
  // A model folder given on the command line is the Divergence tab's model too (before the demo,
  // whose language model only opens when no other is).
  QStringList files = options.files;
  for (qsizetype i = 0; i < files.size(); ++i)
    if (QFileInfo(files[i]).isDir()) {
      window.openModelFolder(files.takeAt(i), options.select);
      break;
    }
  // --select names a tensor of the files when files are given, else of the demo.
  if (options.demo || (firstRun && options.files.isEmpty()))
    window.openDemo(options.files.isEmpty() ? options.select : QString());
  for (const QString& f : files) window.openFile(f, options.select);
  return firstRun;
}

}  // namespace quench::app
