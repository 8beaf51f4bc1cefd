// FigureExport: each format writes a file of the requested physical size (PNG pixels = inches ×
// dpi, SVG an XML document with an <svg> root, PDF a %PDF file), presets have their published
// widths, bad sizes and unwritable paths give a message instead of a file.
#include <qcustomplot.h>

#include <QImage>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest/QtTest>

#include "widgets/figure_export.h"

using namespace quench::widgets;

namespace {
void fillPlot(QCustomPlot& plot) {
  QCPGraph* g = plot.addGraph();
  QVector<double> x, y;
  for (int i = 0; i < 50; ++i) {
    x << i * 0.1;
    y << std::sin(i * 0.1);
  }
  g->setData(x, y);
  plot.xAxis->setLabel("weight value");
  plot.yAxis->setLabel("count");
  plot.rescaleAxes();
}
QByteArray readAll(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return f.readAll();
}
}  // namespace

class TestFigureExport : public QObject {
  Q_OBJECT
 private slots:
  void presets() {
    QCOMPARE(presetSize(FigurePreset::SingleColumn).widthInches, 3.5);
    QCOMPARE(presetSize(FigurePreset::DoubleColumn).widthInches, 7.0);
    const FigureSize slide = presetSize(FigurePreset::Slide, 150);
    QCOMPARE(slide.widthInches / slide.heightInches, 16.0 / 9.0);
    QCOMPARE(slide.widthPixels(), 1500);
    QCOMPARE(slide.heightPixels(), 844);  // 5.625 in × 150 = 843.75
    const FigureSize custom{4.0, 3.0, 200};
    QCOMPARE(presetSize(FigurePreset::Custom, 300, custom).widthPixels(), 800);
    FigureFormat f;
    QVERIFY(formatFromFileName("a/B.SVG", &f) && f == FigureFormat::Svg);
    QVERIFY(formatFromFileName("x.pdf", &f) && f == FigureFormat::Pdf);
    QVERIFY(formatFromFileName("x.png", &f) && f == FigureFormat::Png);
    QVERIFY(!formatFromFileName("x.jpg", &f));
  }

  void pngHasRequestedPixels_data() {
    QTest::addColumn<int>("preset");
    QTest::addColumn<int>("dpi");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::newRow("single 300") << int(FigurePreset::SingleColumn) << 300 << 1050 << 700;
    QTest::newRow("double 150") << int(FigurePreset::DoubleColumn) << 150 << 1050 << 525;
    QTest::newRow("slide 96") << int(FigurePreset::Slide) << 96 << 960 << 540;
  }
  void pngHasRequestedPixels() {
    QFETCH(int, preset);
    QFETCH(int, dpi);
    QFETCH(int, width);
    QFETCH(int, height);
    QTemporaryDir dir;
    QCustomPlot plot;
    fillPlot(plot);
    const QString path = dir.filePath("fig.png");
    QCOMPARE(exportFigure(plot, path, FigureFormat::Png, presetSize(FigurePreset(preset), dpi)), QString());
    QImage image(path);
    QCOMPARE(image.width(), width);
    QCOMPARE(image.height(), height);
    QCOMPARE(qRound(image.dotsPerMeterX() * 0.0254), dpi);
    // Something was drawn: the image is not one flat colour.
    const QRgb corner = image.pixel(0, 0);
    bool varied = false;
    for (int y = 0; y < image.height() && !varied; y += 7)
      for (int x = 0; x < image.width() && !varied; x += 7) varied = image.pixel(x, y) != corner;
    QVERIFY(varied);
  }

  void resolutionDoesNotChangeTheLook() {
    // The same 3.5 in figure at 96 and 288 dpi covers the same share of the page with ink: text
    // keeps its physical size (painting at the export dpi would make it 3× larger).
    auto inkShare = [](int dpi) {
      QTemporaryDir dir;
      QCustomPlot plot;
      fillPlot(plot);
      const QString path = dir.filePath("ink.png");
      if (!exportFigure(plot, path, FigureFormat::Png, presetSize(FigurePreset::SingleColumn, dpi)).isEmpty())
        return -1.0;
      const QImage image(path);
      qint64 ink = 0;
      for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) ink += qGray(image.pixel(x, y)) < 128;
      return double(ink) / (double(image.width()) * image.height());
    };
    const double low = inkShare(96), high = inkShare(288);
    QVERIFY(low > 0 && high > 0);
    QVERIFY2(high / low > 0.5 && high / low < 1.5, qPrintable(QStringLiteral("%1 vs %2").arg(low).arg(high)));
  }

  void svgIsXmlWithSvgRoot() {
    QTemporaryDir dir;
    QCustomPlot plot;
    fillPlot(plot);
    const QString path = dir.filePath("fig.svg");
    QCOMPARE(exportFigure(plot, path, FigureFormat::Svg, presetSize(FigurePreset::SingleColumn)), QString());
    QXmlStreamReader xml(readAll(path));
    QString root;
    QString width;
    while (!xml.atEnd()) {
      xml.readNext();
      if (xml.isStartElement() && root.isEmpty()) {
        root = xml.name().toString();
        width = xml.attributes().value("width").toString();
      }
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QCOMPARE(root, QStringLiteral("svg"));
    // QSvgGenerator writes the physical width in millimetres: 3.5 in = 88.9 mm.
    QVERIFY2(width.endsWith("mm"), qPrintable(width));
    QVERIFY2(std::fabs(width.chopped(2).toDouble() - 88.9) < 0.5, qPrintable(width));
  }

  void pdfStartsWithMagic() {
    QTemporaryDir dir;
    QCustomPlot plot;
    fillPlot(plot);
    const QString path = dir.filePath("fig.pdf");
    QCOMPARE(exportFigure(plot, path, FigureFormat::Pdf, presetSize(FigurePreset::DoubleColumn)), QString());
    const QByteArray bytes = readAll(path);
    QVERIFY(bytes.startsWith("%PDF"));
    // The page is 7 in × 3.5 in = 504 × 252 pt.
    const auto box = QRegularExpression(R"(/MediaBox \[0 0 ([\d.]+) ([\d.]+)\])").match(QString::fromLatin1(bytes));
    QVERIFY(box.hasMatch());
    QVERIFY2(std::fabs(box.captured(1).toDouble() - 504) < 1 && std::fabs(box.captured(2).toDouble() - 252) < 1,
             qPrintable(box.captured(0)));
  }

  void errorsNameTheFile() {
    QCustomPlot plot;
    const QString bad = exportFigure(plot, "/nonexistent-dir/fig.png", FigureFormat::Png, {});
    QVERIFY2(bad.startsWith("fig.png: "), qPrintable(bad));
    QTemporaryDir dir;
    const QString path = dir.filePath("zero.png");
    const QString zero = exportFigure(plot, path, FigureFormat::Png, {0.0, 2.0, 300});
    QVERIFY2(zero.startsWith("zero.png: ") && zero.contains("size"), qPrintable(zero));
    QVERIFY(!QFile::exists(path));
    QVERIFY(!exportFigure(plot, path, FigureFormat::Png, {2.0, 2.0, 5}).isEmpty());
  }
};

QTEST_MAIN(TestFigureExport)
#include "test_figure_export.moc"
