// MainWindow fits a 1280×720 screen (issue 13 "The window"): after every tab, every Classroom tool
// and presentation mode on and off, the window's minimum size stays within 1280×720; a saved
// geometry larger than the screen is clamped on restore.
#include <qcustomplot.h>

#include <QDockWidget>
#include <QLayout>
#include <QScreen>
#include <QSettings>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest/QtTest>

#include "app/gui/classroom_page.h"
#include "app/gui/main_window.h"
#include "common/fuzzy.h"
#include "common/isolated_settings.h"
#include "widgets/figure_export.h"
#include "widgets/histogram_view.h"

using quench::app::ClassroomPage;
using quench::app::MainWindow;

namespace {
// The widgets whose minimum width is largest, for the failure message: who imposes the width.
QString widestWidgets(QWidget* root, int limit) {
  QList<QPair<int, QString>> all;
  for (QWidget* w : root->findChildren<QWidget*>()) {
    const int mw = std::max(w->minimumSizeHint().width(), w->minimumWidth());
    if (mw > limit / 3)
      all << qMakePair(mw, QStringLiteral("%1 %2 (%3) minHint=%4x%5 min=%6")
                               .arg(QString::fromLatin1(w->metaObject()->className()), w->objectName())
                               .arg(w->parentWidget() ? QString::fromLatin1(w->parentWidget()->metaObject()->className()) : QString())
                               .arg(w->minimumSizeHint().width())
                               .arg(w->minimumSizeHint().height())
                               .arg(w->minimumWidth()));
  }
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.first > b.first; });
  QStringList out;
  for (int i = 0; i < std::min<qsizetype>(all.size(), 40); ++i) out << all[i].second;
  return out.join('\n');
}
}  // namespace

class TestMainWindowFit : public QObject {
  Q_OBJECT
  QTemporaryDir m_dir;

 private slots:
  void initTestCase() {
    QVERIFY(m_dir.isValid());
    quench::test::isolateSettings(m_dir, QStringLiteral("QuenchTestFit"));
  }

  void minimumSizeFits720p() {
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    auto check = [&](const QString& where) {
      QCoreApplication::processEvents();
      // What the window manager is told: the layout's minimum (docks, toolbar, status bar, the
      // tab pages) and any explicit minimum.
      const QSize hint = w.minimumSizeHint().expandedTo(w.minimumSize());
      if (hint.width() > 1280 || hint.height() > 720)
        QFAIL(qPrintable(QStringLiteral("%1: minimum %2×%3 exceeds 1280×720; widest:\n%4")
                             .arg(where).arg(hint.width()).arg(hint.height()).arg(widestWidgets(&w, 1280))));
      QVERIFY(w.layout()->totalMinimumSize().width() <= 1280);
      QVERIFY(w.layout()->totalMinimumSize().height() <= 720);
    };
    check("start");
    for (int t = 0; t < MainWindow::kTabCount; ++t) {
      w.setCurrentTab(MainWindow::Tab(t));
      check(QStringLiteral("tab %1").arg(t));
    }
    for (auto tool : {ClassroomPage::kWorked, ClassroomPage::kDivergence, ClassroomPage::kExplicitLm, ClassroomPage::kTraining}) {
      w.classroomPage()->setCurrentTool(tool);
      check(QStringLiteral("tool %1").arg(int(tool)));
    }
    // Presentation mode scales the workbench's plots too: tick labels, legend, lines.
    QCustomPlot* plot = w.histogramView()->plot();
    const double tick = plot->xAxis->tickLabelFont().pointSizeF(), legend = plot->legend->font().pointSizeF();
    const double recon = w.histogramView()->reconstructionGraph()->pen().widthF();
    w.setPresentationMode(true);
    check("presentation");
    QCOMPARE(plot->xAxis->tickLabelFont().pointSizeF(), tick * 1.6);
    QCOMPARE(plot->legend->font().pointSizeF(), legend * 1.6);
    QCOMPARE(w.histogramView()->reconstructionGraph()->pen().widthF(), recon * 1.6);
    QVERIFY(w.isFullScreen());
    w.setPresentationMode(false);
    check("after presentation");
    QVERIFY(!w.isFullScreen());
    QCOMPARE(plot->xAxis->tickLabelFont().pointSizeF(), tick);
    QCOMPARE(w.histogramView()->reconstructionGraph()->pen().widthF(), recon);
    // The docks come back after presentation mode.
    for (QDockWidget* dock : w.findChildren<QDockWidget*>()) QVERIFY2(dock->isVisible(), qPrintable(dock->objectName()));
  }

  // Issue 13: TinyStories-656K's lm_head.weight opened with its y axis cut at 5000 below a 6200
  // peak. Every shown series must lie inside the axes once its result is in.
  void histogramAxesHoldTheData() {
    MainWindow w;
    w.show();
    QSignalSpy plots(&w, &MainWindow::plotsUpdated);
    w.openFile(quench::test::sharedData("models/TinyStories-656K/model.safetensors"), QStringLiteral("lm_head.weight"));
    QTRY_VERIFY_WITH_TIMEOUT(!plots.isEmpty() && plots.last().at(0).toString() == "lm_head.weight", 30000);
    const auto* h = w.histogramView();
    const auto& d = h->overlay();
    QVERIFY(!d.original.counts.empty() && !d.reconstruction.counts.empty());
    const double peak = double(std::max(*std::max_element(d.original.counts.begin(), d.original.counts.end()),
                                        *std::max_element(d.reconstruction.counts.begin(), d.reconstruction.counts.end())));
    const QCPRange y = h->plot()->yAxis->range(), x = h->plot()->xAxis->range();
    QVERIFY2(y.upper >= peak, qPrintable(QStringLiteral("y up to %1, peak %2").arg(y.upper).arg(peak)));
    QVERIFY(x.lower <= d.original.lo && x.upper >= d.original.hi);
    QVERIFY(!h->zoomed());
  }

  // Issue 13, "Export that a paper accepts": every plot of every tab on the demo (the classroom's
  // and the figures panel's too), laid out at every preset as exportFigure lays it out, has its
  // titles, legend entries and tick labels inside the canvas and apart; and it exports to PNG,
  // SVG and PDF. The layout is the same in the three formats (they paint one layout at 96 dpi).
  void everyFigureFitsEveryPreset() {
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QSignalSpy plots(&w, &MainWindow::plotsUpdated);
    w.openDemo(QStringLiteral("blk.0.attn_q.weight"));
    QTRY_VERIFY_WITH_TIMEOUT(!plots.isEmpty(), 30000);
    // Each tab computes its own view: visit them so that every plot holds data.
    for (int t = 0; t < MainWindow::kTabCount; ++t) {
      plots.clear();
      w.setCurrentTab(MainWindow::Tab(t));
      if (t <= MainWindow::kErrorTab) QTRY_VERIFY_WITH_TIMEOUT(!plots.isEmpty() || !w.isBusy(), 30000);
    }
    QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), 30000);
    QTemporaryDir out;
    QStringList problems;
    int checked = 0;
    for (QCustomPlot* plot : w.findChildren<QCustomPlot*>()) {
      if (plot->plottableCount() == 0) continue;
      const QString name = plot->objectName().isEmpty() ? QString::fromLatin1(plot->parentWidget()->metaObject()->className())
                                                        : plot->objectName();
      for (auto preset : {quench::widgets::FigurePreset::SingleColumn, quench::widgets::FigurePreset::DoubleColumn,
                          quench::widgets::FigurePreset::Slide}) {
        const auto size = quench::widgets::presetSize(preset, 96);
        for (const QString& p : quench::widgets::figureLayoutProblems(*plot, size))
          problems << QStringLiteral("%1 @ %2: %3").arg(name, quench::widgets::presetName(preset), p);
        ++checked;
      }
      // The three formats write (at the single-column preset; the layout above is theirs).
      for (const char* suffix : {"png", "svg", "pdf"}) {
        const QString file = out.filePath(QStringLiteral("%1-%2.%3").arg(checked).arg(name).arg(suffix));
        quench::widgets::FigureFormat format;
        QVERIFY(quench::widgets::formatFromFileName(file, &format));
        QCOMPARE(quench::widgets::exportFigure(*plot, file, format, quench::widgets::presetSize(quench::widgets::FigurePreset::SingleColumn, 96)),
                 QString());
        QVERIFY(QFileInfo(file).size() > 0);
      }
    }
    QVERIFY(checked >= 3 * 10);
    for (const QString& p : problems) qInfo().noquote() << p;  // QVERIFY2 cuts a long message
    QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("%1 layout problems (listed above)").arg(problems.size())));
  }

  void fitRectClampsAndMovesInside() {
    const QRect screen(0, 0, 1280, 720);
    // Larger than the screen: shrunk to it, at its corner.
    QCOMPARE(MainWindow::fitRect(QRect(100, 100, 3000, 2000), screen), screen);
    // Fits but hangs off the bottom right: moved inside, size kept.
    QCOMPARE(MainWindow::fitRect(QRect(1000, 600, 800, 400), screen), QRect(480, 320, 800, 400));
    // Off the top left of a second screen to the right.
    QCOMPARE(MainWindow::fitRect(QRect(1500, -50, 900, 500), QRect(1280, 0, 1920, 1200)), QRect(1500, 0, 900, 500));
    // Inside already: unchanged.
    QCOMPARE(MainWindow::fitRect(QRect(10, 20, 300, 200), screen), QRect(10, 20, 300, 200));
  }

  void tooLargeSavedGeometryIsClamped() {
    const QRect available = QGuiApplication::primaryScreen()->availableGeometry();
    {
      // A window saved on a screen twice as large (what a projector session inherits).
      MainWindow w;
      w.setGeometry(QRect(available.topLeft() + QPoint(40, 30), available.size() * 2));
      QSettings().setValue(QStringLiteral("window/geometry"), w.saveGeometry());
      QSettings().setValue(QStringLiteral("window/state"), w.saveState());
    }
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTRY_VERIFY(available.contains(w.frameGeometry()));
    QVERIFY2(available.contains(w.frameGeometry()),
             qPrintable(QStringLiteral("%1,%2 %3×%4 outside %5×%6")
                            .arg(w.frameGeometry().x()).arg(w.frameGeometry().y())
                            .arg(w.frameGeometry().width()).arg(w.frameGeometry().height())
                            .arg(available.width()).arg(available.height())));
  }
};

QTEST_MAIN(TestMainWindowFit)
#include "test_main_window_fit.moc"
