#include "app/gui/startup.h"

#include <QSettings>

#include "app/gui/main_window.h"

namespace quench::app {

bool startSession(MainWindow& window, const StartupOptions& options) {
  QSettings settings;
  const QString key = QStringLiteral("hasRunBefore");
  const bool firstRun = !settings.value(key).toBool();
  settings.setValue(key, true);
  // --select names a tensor of the files when files are given, else of the demo.
  if (options.demo || (firstRun && options.files.isEmpty()))
    window.openDemo(options.files.isEmpty() ? options.select : QString());
  for (const QString& f : options.files) window.openFile(f, options.select);
  return firstRun;
}

}  // namespace quench::app
