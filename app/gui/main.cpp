// quench: the workbench GUI. `quench [--demo] [FILES...|SESSION.quench]`; `--screenshot OUT.png`
// renders the window once the selected tensor's views are updated, writes the PNG and exits (used
// by tools/screenshots.sh, with --tab, --recipe, --part, --theme and --presentation).
#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QPixmap>
#include <QTimer>
#include <functional>
#include <memory>
#include <cstdio>

#include "app/gui/main_window.h"
#include "app/gui/model_page.h"
#include "app/gui/startup.h"
#include "app/gui/theme.h"
#include "widgets/histogram_view.h"

#include <QTabWidget>

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
  const QCommandLineOption tab(QStringLiteral("tab"),
                               QStringLiteral("Show view NAME: histogram, saturation, outliers, nf4, error, "
                                              "divergence, classroom."),
                               QStringLiteral("NAME"));
  const QCommandLineOption recipe(QStringLiteral("recipe"), QStringLiteral("Use the recipe in JSON file FILE."),
                                  QStringLiteral("FILE"));
  const QCommandLineOption part(QStringLiteral("part"), QStringLiteral("Restrict the histogram to part N."),
                                QStringLiteral("N"));
  const QCommandLineOption errorMode(QStringLiteral("error-histogram"),
                                     QStringLiteral("Show the error histogram instead of the overlay."));
  const QCommandLineOption theme(QStringLiteral("theme"), QStringLiteral("Colour scheme: light, dark or system."),
                                 QStringLiteral("NAME"));
  const QCommandLineOption presentation(QStringLiteral("presentation"),
                                        QStringLiteral("Start in presentation mode (large fonts, no docks)."));
  parser.addOptions({demo, select, log, screenshot, size, tab, recipe, part, errorMode, theme, presentation});
  parser.addPositionalArgument(QStringLiteral("files"), QStringLiteral("Tensor files to open."),
                               QStringLiteral("[FILES...]"));
  parser.process(app);

  if (parser.isSet(theme)) quench::app::applyTheme(parser.value(theme));
  quench::app::MainWindow window;
  if (parser.isSet(theme)) window.setTheme(parser.value(theme));
  if (parser.isSet(tab)) {
    const QString key = parser.value(tab).toLower();
    bool found = false;
    for (int i = 0; i < window.tabs()->count(); ++i)
      if (window.tabs()->tabText(i).toLower() == key) {
        window.tabs()->setCurrentIndex(i);
        found = true;
      }
    if (!found) {
      std::fprintf(stderr, "quench: no view named %s\n", qPrintable(key));
      return 2;
    }
  }
  if (parser.isSet(recipe))
    if (const QString e = window.importRecipe(parser.value(recipe)); !e.isEmpty()) {
      std::fprintf(stderr, "quench: %s\n", qPrintable(e));
      return 2;
    }
  if (parser.isSet(errorMode)) window.histogramView()->setMode(quench::widgets::HistogramMode::Error);
  const QStringList wh = parser.value(size).split(QLatin1Char('x'));
  if (wh.size() == 2 && (parser.isSet(size) || parser.isSet(screenshot)))
    window.resize(wh[0].toInt(), wh[1].toInt());
  if (parser.isSet(log)) window.histogramView()->setLogScale(true);

  const QString shotPath = parser.value(screenshot);
  if (!shotPath.isEmpty()) {
    // Wait for the views of the selected tensor, let the queued replots run, then grab the window.
    if (parser.isSet(part))
      QObject::connect(&window, &quench::app::MainWindow::tensorShown, &window,
                       [&window, p = parser.value(part).toInt()] { window.setSelectedPart(p); });
    // The Divergence page's demo model loads and evaluates in the background too: wait for it.
    auto grabWhenIdle = std::make_shared<std::function<void()>>();
    *grabWhenIdle = [&window, shotPath, grabWhenIdle] {
      if (window.modelPage()->isBusy() || window.demoModelPending()) {
        QTimer::singleShot(200, &window, *grabWhenIdle);
        return;
      }
      QTimer::singleShot(300, &window, [&window, shotPath] {
        const bool ok = window.grab().save(shotPath, "PNG");
        if (!ok) std::fprintf(stderr, "quench: could not write %s\n", qPrintable(shotPath));
        QApplication::exit(ok ? 0 : 1);
      });
    };
    QObject::connect(&window, &quench::app::MainWindow::plotsUpdated, &window, [grabWhenIdle] { (*grabWhenIdle)(); },
                     Qt::SingleShotConnection);
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

  QStringList files = parser.positionalArguments();
  for (const QString& f : QStringList(files))
    if (f.endsWith(QLatin1String(".quench"), Qt::CaseInsensitive)) {
      files.removeAll(f);
      window.openSession(f);
    }
  if (!files.isEmpty() || parser.isSet(demo) || parser.positionalArguments().isEmpty())
    quench::app::startSession(window, {parser.isSet(demo), files, parser.value(select)});

  window.show();
  if (parser.isSet(presentation)) window.setPresentationMode(true);
  return app.exec();
}
