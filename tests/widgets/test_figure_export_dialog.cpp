// FigureExportDialog and the "Export figure…" context menu: presets give the sizes of
// figure_export.h at the chosen dpi (PNG pixel size = inches × dpi), the format follows the file
// name, the SVG parses and carries the axis labels and title as text, the PDF is a PDF with one
// page; a bad file name is reported in the dialog, which stays open. The menu entry, triggered
// on a view's plot, opens the dialog on that plot.
#include <qcustomplot.h>

#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest/QtTest>

#include "widgets/figure_export_dialog.h"
#include "widgets/histogram_view.h"
#include "widgets/plot_export_menu.h"

using namespace quench;
using namespace quench::widgets;

namespace {
HistogramOverlayData demoData() {
  HistogramOverlayData d;
  d.tensorName = "blk.0.attn_q.weight";
  d.recipeLabel = "int4 sym absmax";
  d.original.lo = -1;
  d.original.hi = 1;
  d.original.counts = {1, 4, 9, 16, 9, 4, 1, 0};
  d.reconstruction = d.original;
  for (int n = -7; n <= 7; ++n) d.levels.push_back(n / 7.0);
  d.clipLow = -1;
  d.clipHigh = 1;
  d.total = 44;
  return d;
}
}  // namespace

class TestFigureExportDialog : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }  // keep QSettings out of the user's

  void presetsAndPixelSizes() {
    HistogramView view;
    view.setOverlay(demoData());
    QTemporaryDir dir;
    FigureExportDialog dialog(view.plot(), "figure.png");
    struct Case {
      FigurePreset preset;
      int dpi, w, h;
    } cases[] = {{FigurePreset::SingleColumn, 100, 350, 233},  // 3.5 × 2.333 in
                 {FigurePreset::DoubleColumn, 100, 700, 350},  // 7 × 3.5 in
                 {FigurePreset::Slide, 100, 1000, 563},        // 10 × 5.625 in
                 {FigurePreset::SingleColumn, 300, 1050, 700}};
    int i = 0;
    for (const Case& c : cases) {
      dialog.setPreset(c.preset);
      dialog.setDpi(c.dpi);
      QCOMPARE(dialog.preset(), c.preset);
      const QString file = dir.filePath(QStringLiteral("f%1.png").arg(i++));
      dialog.setFileName(file);
      QCOMPARE(dialog.exportNow(), QString());
      const QImage image(file);
      QCOMPARE(image.width(), c.w);
      QCOMPARE(image.height(), c.h);
      QCOMPARE(qRound(image.dotsPerMeterX() * 0.0254), c.dpi);
    }
    dialog.setCustomSize(4.0, 3.0);
    dialog.setDpi(150);
    QCOMPARE(dialog.preset(), FigurePreset::Custom);
    QCOMPARE(dialog.figureSize().widthPixels(), 600);
    QCOMPARE(dialog.figureSize().heightPixels(), 450);
    dialog.setFileName(dir.filePath("custom.png"));
    QCOMPARE(dialog.exportNow(), QString());
    QCOMPARE(QImage(dir.filePath("custom.png")).size(), QSize(600, 450));
    // Typing a width switches to custom; choosing a preset again restores its size.
    dialog.setPreset(FigurePreset::DoubleColumn);
    QCOMPARE(dialog.figureSize().widthInches, 7.0);
    QCOMPARE(dialog.figureSize().heightInches, 3.5);
  }

  void svgAndPdfLookLikeTheScreen() {
    HistogramView view;
    view.setOverlay(demoData());
    QTemporaryDir dir;
    FigureExportDialog dialog(view.plot());
    dialog.setPreset(FigurePreset::SingleColumn);
    dialog.setFileName(dir.filePath("h.svg"));
    QCOMPARE(dialog.exportNow(), QString());
    QFile svg(dir.filePath("h.svg"));
    QVERIFY(svg.open(QIODevice::ReadOnly));
    QXmlStreamReader xml(&svg);
    QString text;
    bool root = false;
    while (!xml.atEnd()) {
      xml.readNext();
      if (xml.isStartElement() && xml.name() == QLatin1String("svg")) root = true;
      if (xml.isCharacters()) text += xml.text();
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QVERIFY(root);
    QVERIFY(text.contains("weight value"));
    QVERIFY(text.contains("count"));
    QVERIFY(text.contains("blk.0.attn_q.weight · int4 sym absmax"));  // the title
    QVERIFY(text.contains("reconstruction x̃"));                       // the legend

    dialog.setFileName(dir.filePath("h.pdf"));
    QCOMPARE(dialog.exportNow(), QString());
    QFile pdf(dir.filePath("h.pdf"));
    QVERIFY(pdf.open(QIODevice::ReadOnly));
    const QByteArray bytes = pdf.readAll();
    QVERIFY(bytes.startsWith("%PDF-"));
    QVERIFY(bytes.contains("/Type /Page"));
    QVERIFY(QRegularExpression("/Count\\s+1\\b").match(QString::fromLatin1(bytes)).hasMatch());
    // Page size 3.5 × 2.333 in = 252 × 168 pt.
    const auto box = QRegularExpression("/MediaBox\\s*\\[\\s*0\\s+0\\s+([0-9.]+)\\s+([0-9.]+)\\s*\\]")
                         .match(QString::fromLatin1(bytes));
    QVERIFY2(box.hasMatch(), bytes.left(2000).constData());
    QVERIFY2(std::fabs(box.captured(1).toDouble() - 252.0) < 1.0, qPrintable(box.captured(0)));
    QVERIFY2(std::fabs(box.captured(2).toDouble() - 168.0) < 1.0, qPrintable(box.captured(0)));
  }

  void badFileNameIsReported() {
    HistogramView view;
    QTemporaryDir dir;
    FigureExportDialog dialog(view.plot());
    dialog.setFileName(dir.filePath("figure.txt"));
    dialog.show();
    dialog.accept();
    QVERIFY(dialog.isVisible());  // stays open with the message
    QVERIFY(dialog.lastError().contains("figure.txt"));
    QCOMPARE(dialog.findChild<QLabel*>("exportError")->text(), dialog.lastError());
    dialog.setFileName(dir.filePath("no/such/dir/figure.png"));
    QVERIFY(!dialog.exportNow().isEmpty());
    dialog.setFileName(dir.filePath("ok.png"));
    dialog.accept();
    QVERIFY(!dialog.isVisible());
    QVERIFY(QFileInfo::exists(dir.filePath("ok.png")));
  }

  void contextMenuOpensTheDialog() {
    HistogramView view;
    view.setOverlay(demoData());
    view.show();
    QAction* action = exportAction(view.plot());
    QVERIFY(action);
    QCOMPARE(action->text(), QStringLiteral("Export figure…"));
    QCOMPARE(installExportMenu(view.plot()), action);  // installing twice keeps one entry
    QCOMPARE(suggestedFigureName(view.plot()), QStringLiteral("histogram-blk.0.attn_q.weight.png"));
    action->trigger();
    auto* dialog = view.findChild<FigureExportDialog*>();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->fileName().endsWith("histogram-blk.0.attn_q.weight.png"));
    QTemporaryDir dir;
    dialog->setFileName(dir.filePath("menu.svg"));
    QSignalSpy spy(dialog, &FigureExportDialog::exported);
    dialog->accept();
    QCOMPARE(spy.size(), 1);
    QVERIFY(QFileInfo(dir.filePath("menu.svg")).size() > 0);

    // Any QCustomPlot gets the same entry.
    QCustomPlot plain;
    QVERIFY(!exportAction(&plain));
    installExportMenu(&plain, "saturation map: q_proj");
    QVERIFY(exportAction(&plain));
    QCOMPARE(suggestedFigureName(&plain), QStringLiteral("saturation-map-q_proj.png"));
  }
};

QTEST_MAIN(TestFigureExportDialog)
#include "test_figure_export_dialog.moc"
