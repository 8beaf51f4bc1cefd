#pragma once
// What the window opens when the application starts: the command line's files, the demo when
// asked for (--demo), and the demo on the very first start so a new user sees a populated window.
#include <QString>
#include <QStringList>

namespace quench::app {

class MainWindow;

struct StartupOptions {
  bool demo = false;  ///< --demo
  QStringList files;  ///< positional arguments
  QString select;     ///< --select NAME: the tensor to show once its file is listed
};

/// Open what `options` ask for in `window`. Returns true when QSettings had no record of a
/// previous run (and records one now); the demo is then opened unless files were given.
bool startSession(MainWindow& window, const StartupOptions& options);

}  // namespace quench::app
