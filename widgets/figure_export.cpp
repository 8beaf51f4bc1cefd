#include "widgets/figure_export.h"

#include <qcustomplot.h>

#include <QFileInfo>
#include <QImage>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <cmath>

namespace quench::widgets {

namespace {

// The plot is laid out in "logical pixels" of a 96 dpi screen, as it is on screen: fonts in
// points and pens in pixels then keep their physical size whatever the export resolution.
constexpr double kLayoutDpi = 96.0;

QSize logicalSize(const FigureSize& size) {
  return {static_cast<int>(std::lround(size.widthInches * kLayoutDpi)),
          static_cast<int>(std::lround(size.heightInches * kLayoutDpi))};
}

QString problem(const QString& fileName, const QString& what) {
  return QStringLiteral("%1: %2").arg(QFileInfo(fileName).fileName(), what);
}

}  // namespace

int FigureSize::widthPixels() const { return static_cast<int>(std::lround(widthInches * dpi)); }
int FigureSize::heightPixels() const { return static_cast<int>(std::lround(heightInches * dpi)); }

FigureSize presetSize(FigurePreset preset, int dpi, FigureSize custom) {
  switch (preset) {
    case FigurePreset::SingleColumn: return {3.5, 3.5 / 1.5, dpi};
    case FigurePreset::DoubleColumn: return {7.0, 3.5, dpi};
    case FigurePreset::Slide: return {10.0, 10.0 * 9.0 / 16.0, dpi};
    case FigurePreset::Custom: return custom;
  }
  return custom;
}

QString presetName(FigurePreset preset) {
  switch (preset) {
    case FigurePreset::SingleColumn: return QObject::tr("paper, single column (3.5 in)");
    case FigurePreset::DoubleColumn: return QObject::tr("paper, double column (7 in)");
    case FigurePreset::Slide: return QObject::tr("slide (16:9, 10 in)");
    case FigurePreset::Custom: return QObject::tr("custom");
  }
  return {};
}

bool formatFromFileName(const QString& fileName, FigureFormat* format) {
  const QString suffix = QFileInfo(fileName).suffix().toLower();
  if (suffix == QLatin1String("png")) *format = FigureFormat::Png;
  else if (suffix == QLatin1String("svg")) *format = FigureFormat::Svg;
  else if (suffix == QLatin1String("pdf")) *format = FigureFormat::Pdf;
  else return false;
  return true;
}

QString exportFigure(QCustomPlot& plot, const QString& fileName, FigureFormat format, const FigureSize& size) {
  if (!(size.widthInches > 0) || !(size.heightInches > 0) || size.widthInches > 100 || size.heightInches > 100)
    return problem(fileName, QObject::tr("figure size %1 × %2 in is not between 0 and 100 in")
                                 .arg(size.widthInches).arg(size.heightInches));
  if (size.dpi < 10 || size.dpi > 2400)
    return problem(fileName, QObject::tr("%1 dpi is not between 10 and 2400").arg(size.dpi));
  const QSize logical = logicalSize(size);
  if (logical.width() < 1 || logical.height() < 1)
    return problem(fileName, QObject::tr("figure size is below one pixel"));

  // QSaveFile writes a temporary file and renames it on commit: a failed export never leaves a
  // half-written figure under the chosen name.
  QSaveFile file(fileName);
  if (!file.open(QIODevice::WriteOnly)) return problem(fileName, file.errorString());

  switch (format) {
    case FigureFormat::Png: {
      QImage image(size.widthPixels(), size.heightPixels(), QImage::Format_ARGB32_Premultiplied);
      image.fill(Qt::white);  // toPainter paints the plot's own background brush over it
      // Paint at the layout resolution and scale up: fonts in points are converted with the
      // device's dpi, so setting the export dpi before painting would enlarge them twice.
      const int layoutDotsPerMeter = static_cast<int>(std::lround(kLayoutDpi / 0.0254));
      image.setDotsPerMeterX(layoutDotsPerMeter);
      image.setDotsPerMeterY(layoutDotsPerMeter);
      {
        QCPPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.scale(double(image.width()) / logical.width(), double(image.height()) / logical.height());
        plot.toPainter(&painter, logical.width(), logical.height());
      }
      const int dotsPerMeter = static_cast<int>(std::lround(size.dpi / 0.0254));
      image.setDotsPerMeterX(dotsPerMeter);
      image.setDotsPerMeterY(dotsPerMeter);
      if (!image.save(&file, "PNG")) return problem(fileName, QObject::tr("the PNG encoder failed"));
      break;
    }
    case FigureFormat::Svg: {
      QSvgGenerator generator;
      generator.setOutputDevice(&file);
      generator.setResolution(static_cast<int>(kLayoutDpi));
      generator.setSize(logical);
      generator.setViewBox(QRect(QPoint(0, 0), logical));
      generator.setTitle(QFileInfo(fileName).completeBaseName());
      generator.setDescription(QStringLiteral("Quench figure"));
      QCPPainter painter;
      if (!painter.begin(&generator)) return problem(fileName, QObject::tr("cannot start the SVG writer"));
      painter.setMode(QCPPainter::pmVectorized);
      painter.setMode(QCPPainter::pmNoCaching);
      plot.toPainter(&painter, logical.width(), logical.height());
      painter.end();
      break;
    }
    case FigureFormat::Pdf: {
      QPdfWriter writer(&file);
      writer.setCreator(QStringLiteral("Quench"));
      writer.setTitle(QFileInfo(fileName).completeBaseName());
      writer.setResolution(static_cast<int>(kLayoutDpi));
      writer.setPageLayout(QPageLayout(QPageSize(QSizeF(size.widthInches, size.heightInches), QPageSize::Inch),
                                       QPageLayout::Portrait, QMarginsF(0, 0, 0, 0)));
      QCPPainter painter;
      if (!painter.begin(&writer)) return problem(fileName, QObject::tr("cannot start the PDF writer"));
      painter.setMode(QCPPainter::pmVectorized);
      painter.setMode(QCPPainter::pmNoCaching);
      plot.toPainter(&painter, logical.width(), logical.height());
      painter.end();
      break;
    }
  }
  if (!file.commit()) return problem(fileName, file.errorString());
  return {};
}

}  // namespace quench::widgets
