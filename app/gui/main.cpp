// quench: the workbench GUI. `quench [--demo] [FILES...]`; `--screenshot OUT.png` renders the
// window once the selected tensor is shown, writes the PNG and exits (used by tools/screenshots.sh).
#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QPixmap>
#include <QTimer>
#include <cstdio>

#include "app/gui/main_window.h"
#include "app/gui/startup.h"
#include "widgets/histogram_view.h"

int main(int argc, char** argv) {
  // --help and --version must work without a display, and --screenshot renders without showing
  // anything: use the offscreen platform for them unless the caller chose one.
  for (int i = 1; i < argc; ++i) {
    const QByteArray a(argv[i]);
    if (a == "--help" || a == "-h" || a == "--help-all" || a == "--version" || a == "-v" ||
        a == "--screenshot" || a.startsWith("--screenshot="))
      if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  }
  QApplication app(argc, argv);
  Q_INIT_RESOURCE(quench);  // quench.qrc is compiled into the static quench_app library
  QApplication::setOrganizationName(QStringLiteral("Quench"));
  QApplication::setApplicationName(QStringLiteral("Quench"));
  QApplication::setApplicationVersion(QStringLiteral(QUENCH_VERSION));
  QApplication::setDesktopFileName(QStringLiteral("io.github.quench.Quench"));
  QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/quench.svg")));

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Quench: a workbench for model compression"));
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption demo(QStringLiteral("demo"), QStringLiteral("Open the built-in demo tensors."));
  const QCommandLineOption select(QStringLiteral("select"),
                                  QStringLiteral("Select tensor NAME once the file is open."),
                                  QStringLiteral("NAME"));
  const QCommandLineOption log(QStringLiteral("log"), QStringLiteral("Show histogram counts on a log axis."));
  const QCommandLineOption screenshot(
      QStringLiteral("screenshot"),
      QStringLiteral("Write the window to PNG file OUT once the tensor is shown, then exit."),
      QStringLiteral("OUT"));
  const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size WxH (default 1280x800)."),
                                QStringLiteral("WxH"), QStringLiteral("1280x800"));
  parser.addOptions({demo, select, log, screenshot, size});
  parser.addPositionalArgument(QStringLiteral("files"), QStringLiteral("Tensor files to open."),
                               QStringLiteral("[FILES...]"));
  parser.process(app);

  quench::app::MainWindow window;
  const QStringList wh = parser.value(size).split(QLatin1Char('x'));
  if (wh.size() == 2 && (parser.isSet(size) || parser.isSet(screenshot)))
    window.resize(wh[0].toInt(), wh[1].toInt());
  if (parser.isSet(log)) window.histogramView()->setLogScale(true);

  const QString shotPath = parser.value(screenshot);
  if (!shotPath.isEmpty()) {
    // Wait for the histogram, let the queued replot run, then grab the whole window.
    QObject::connect(&window, &quench::app::MainWindow::tensorShown, &window, [&window, shotPath] {
      QTimer::singleShot(300, &window, [&window, shotPath] {
        const bool ok = window.grab().save(shotPath, "PNG");
        if (!ok) std::fprintf(stderr, "quench: could not write %s\n", qPrintable(shotPath));
        QApplication::exit(ok ? 0 : 1);
      });
    });
    // Queued: an error raised before app.exec() must still end the run once the loop starts.
    QObject::connect(&window, &quench::app::MainWindow::errorShown, &window, [](const QString& message) {
      std::fprintf(stderr, "quench: %s\n", qPrintable(message));
      QMetaObject::invokeMethod(
          qApp, [] { QApplication::exit(1); }, Qt::QueuedConnection);
    });
    QTimer::singleShot(120000, &window, [] {
      std::fprintf(stderr, "quench: no tensor was shown within 120 s\n");
      QApplication::exit(2);
    });
  }

  quench::app::startSession(window, {parser.isSet(demo), parser.positionalArguments(), parser.value(select)});

  window.show();
  return app.exec();
}
