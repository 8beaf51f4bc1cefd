#include "widgets/figure_export.h"

#include "widgets/plot_scale.h"

#include <qcustomplot.h>

#include <QFileInfo>
#include <QHash>
#include <QImage>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <algorithm>
#include <cmath>
#include <vector>

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

// ---- Fitting the plot's text into the export canvas (issue 13: the single-column preset cut
// titles and clipped legends). What exportFigure changes is put back when the export is done.

// Lay the plot out at `size` exactly as QCustomPlot::toPainter does before it draws.
void layoutAt(QCustomPlot& plot, const QSize& size) {
  plot.setViewport(QRect(QPoint(0, 0), size));
  QCPLayoutGrid* layout = plot.plotLayout();
  layout->update(QCPLayoutElement::upPreparation);
  layout->update(QCPLayoutElement::upMargins);
  layout->update(QCPLayoutElement::upLayout);
}

// `text` broken at spaces into lines no wider than `width` (a word wider than that stays whole).
QString wrapToWidth(const QString& text, const QFontMetrics& fm, int width) {
  QStringList out;
  for (const QString& paragraph : text.split(QLatin1Char('\n'))) {
    QString line;
    for (const QString& word : paragraph.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
      const QString candidate = line.isEmpty() ? word : line + QLatin1Char(' ') + word;
      if (!line.isEmpty() && fm.horizontalAdvance(candidate) > width) {
        out << line;
        line = word;
      } else {
        line = candidate;
      }
    }
    out << line;
  }
  return out.join(QLatin1Char('\n'));
}

int widestLine(const QString& text, const QFontMetrics& fm) {
  int w = 0;
  for (const QString& line : text.split(QLatin1Char('\n'))) w = std::max(w, fm.horizontalAdvance(line));
  return w;
}

QFont withPointSize(QFont f, double pt) {
  f.setPointSizeF(std::max(pt, 4.0));
  return f;
}

double pointSize(const QFont& f) { return f.pointSizeF() > 0 ? f.pointSizeF() : 9.0; }

constexpr double kSmallestPoints = 5.0;  // below this a printed figure is unreadable anyway

// The segment of the infinite line through a and b inside r; false when it misses r.
bool clipInfiniteLine(QPointF a, QPointF b, const QRectF& r, QPointF* p, QPointF* q) {
  const QPointF d = b - a;
  if (std::abs(d.x()) < 1e-9 && std::abs(d.y()) < 1e-9) return false;
  // Parameters t where the line crosses each edge, kept when the crossing lies on the rectangle.
  std::vector<double> ts;
  if (std::abs(d.x()) > 1e-9)
    for (double x : {r.left(), r.right()}) {
      const double t = (x - a.x()) / d.x(), y = a.y() + t * d.y();
      if (y >= r.top() - 1e-6 && y <= r.bottom() + 1e-6) ts.push_back(t);
    }
  if (std::abs(d.y()) > 1e-9)
    for (double y : {r.top(), r.bottom()}) {
      const double t = (y - a.y()) / d.y(), x = a.x() + t * d.x();
      if (x >= r.left() - 1e-6 && x <= r.right() + 1e-6) ts.push_back(t);
    }
  if (ts.size() < 2) return false;
  const auto [lo, hi] = std::minmax_element(ts.begin(), ts.end());
  *p = a + *lo * d;
  *q = a + *hi * d;
  return true;
}

// Where the tick labels of `axis` are drawn (after a layout), as QCPAxisPainterPrivate places them.
std::vector<std::pair<QRectF, QString>> tickLabelRects(QCPAxis& axis) {
  std::vector<std::pair<QRectF, QString>> out;
  QCPAxisRect* rect = axis.axisRect();
  const QFontMetrics fm(axis.tickLabelFont());
  const QVector<double> ticks = axis.tickVector();
  const QVector<QString> labels = axis.tickVectorLabels();
  const double gap = axis.offset() + axis.tickLengthOut() + axis.tickLabelPadding();
  for (int i = 0; i < ticks.size() && i < labels.size(); ++i) {
    if (labels[i].isEmpty() || !axis.range().contains(ticks[i])) continue;
    const double at = axis.coordToPixel(ticks[i]);
    const QRect br = fm.boundingRect(QRect(0, 0, 1 << 20, 1 << 20), Qt::AlignLeft | Qt::AlignTop, labels[i]);
    const double w = br.width(), h = br.height();
    QRectF r;
    switch (axis.axisType()) {
      case QCPAxis::atBottom: r = QRectF(at - w / 2, rect->bottom() + gap, w, h); break;
      case QCPAxis::atTop: r = QRectF(at - w / 2, rect->top() - gap - h, w, h); break;
      case QCPAxis::atLeft: r = QRectF(rect->left() - gap - w, at - h / 2, w, h); break;
      case QCPAxis::atRight: r = QRectF(rect->right() + gap, at - h / 2, w, h); break;
    }
    out.emplace_back(r, labels[i]);
  }
  return out;
}

bool tickLabelsCollide(QCPAxis& axis) {
  // The tick vector is the one of the last layout (QCPAxisRect::update(upPreparation)).
  const auto rects = tickLabelRects(axis);
  for (std::size_t i = 1; i < rects.size(); ++i)
    for (std::size_t j = 0; j < i; ++j) {
      const QRectF both = rects[i].first.intersected(rects[j].first);
      if (both.width() > 0.5 && both.height() > 0.5) return true;
    }
  return false;
}

class ExportFit {
 public:
  /// `clipLines`: the writer cannot clip (Qt's SVG generator ignores the painter's clip), so the
  /// axis rect's infinite lines (grid levels, clip lines, thresholds) are drawn as segments cut to
  /// the axis rect instead.
  ExportFit(QCustomPlot& plot, const QSize& size, bool clipLines = false)
      : m_plot(plot), m_oldViewport(plot.viewport()), m_scale(plotScale(plot)) {
    layoutAt(plot, size);
    fitTitles(size);
    layoutAt(plot, size);
    fitLegend(size);
    layoutAt(plot, size);
    fitAxisLabels(size);
    layoutAt(plot, size);
    fitHeight(size);
    fitTicks(size);
    if (clipLines) clipStraightLines();
  }
  ~ExportFit() {
    setPlotScale(m_plot, m_scale);
    for (const auto& a : m_axisLabels) a.axis->setLabel(a.label);
    for (const auto& t : m_tickCounts) t.ticker->setTickCount(t.count);
    for (const auto& t : m_textTicks) t.ticker->setTicks(t.ticks);
    for (QCPItemLine* line : m_segments) m_plot.removeItem(line);
    for (QCPItemStraightLine* line : m_hidden) line->setVisible(true);
    for (const auto& t : m_titles) {
      t.element->setText(t.text);
      t.element->setFont(t.font);
    }
    if (m_legendSaved) {
      QCPLegend* legend = m_plot.legend;
      legend->setFont(m_legendFont);
      for (auto it = m_itemFonts.cbegin(); it != m_itemFonts.cend(); ++it) it.key()->setFont(it.value());
      if (legend->wrap() != m_legendWrap) {
        legend->setWrap(m_legendWrap);
        legend->setFillOrder(legend->fillOrder(), true);
      }
    }
    m_plot.setViewport(m_oldViewport);
    layoutAt(m_plot, m_oldViewport.size());
  }

 private:
  void fitTitles(const QSize& canvas) {
    for (QCPLayoutElement* e : m_plot.plotLayout()->elements(true)) {
      auto* title = qobject_cast<QCPTextElement*>(e);
      if (!title || title->text().isEmpty()) continue;
      auto room = [&] { return title->rect().width() - 4; };
      if (room() <= 0 || widestLine(title->text(), QFontMetrics(title->font())) <= room()) continue;
      m_titles.push_back({title, title->text(), title->font()});
      // Break at spaces; a word still wider (a long tensor name, or a column narrowed by a colour
      // scale beside it) makes the font smaller. Each step lays out again: the column may move.
      const QString original = title->text();
      for (int step = 0; step < 12; ++step) {
        const QFontMetrics fm(title->font());
        title->setText(wrapToWidth(original, fm, room()));
        layoutAt(m_plot, canvas);
        const int widest = widestLine(title->text(), QFontMetrics(title->font()));
        if (widest <= room() || pointSize(title->font()) <= kSmallestPoints) break;
        title->setFont(withPointSize(title->font(), std::max(kSmallestPoints, pointSize(title->font()) * 0.9)));
      }
    }
  }

  void fitLegend(const QSize& canvas) {
    QCPLegend* legend = m_plot.legend;
    if (!legend || !legend->visible() || legend->itemCount() == 0) return;
    const bool inset = legend->layout() != m_plot.plotLayout();
    auto available = [&] { return inset ? m_plot.axisRect()->rect().size() : legend->outerRect().size(); };
    auto fits = [&] {
      const QSize need = legend->minimumOuterSizeHint();
      const QSize have = available();
      return need.width() <= have.width() && need.height() <= have.height();
    };
    if (fits()) return;
    m_legendSaved = true;
    m_legendFont = legend->font();
    m_legendWrap = legend->wrap();
    for (int i = 0; i < legend->itemCount(); ++i)
      if (QCPAbstractLegendItem* item = legend->item(i)) m_itemFonts.insert(item, item->font());
    // Fewer columns first (a legend row stacks), then a smaller font.
    while (!fits() && legend->fillOrder() == QCPLayoutGrid::foColumnsFirst && legend->wrap() > 1) {
      legend->setWrap(legend->wrap() - 1);
      legend->setFillOrder(legend->fillOrder(), true);
      layoutAt(m_plot, canvas);
    }
    double pt = pointSize(legend->font());
    while (!fits() && pt > kSmallestPoints) {
      pt = std::max(kSmallestPoints, pt * 0.9);
      legend->setFont(withPointSize(legend->font(), pt));
      for (auto it = m_itemFonts.cbegin(); it != m_itemFonts.cend(); ++it) it.key()->setFont(withPointSize(it.key()->font(), pt));
      layoutAt(m_plot, canvas);
    }
  }

  void clipStraightLines() {
    std::vector<QCPItemStraightLine*> lines;
    for (int i = 0; i < m_plot.itemCount(); ++i)
      if (auto* line = qobject_cast<QCPItemStraightLine*>(m_plot.item(i)); line && line->visible() && line->clipToAxisRect())
        lines.push_back(line);
    for (QCPItemStraightLine* line : lines) {
      line->setVisible(false);
      m_hidden.push_back(line);
      QCPAxisRect* rect = line->clipAxisRect();
      QPointF p, q;
      if (!rect || !clipInfiniteLine(line->point1->pixelPosition(), line->point2->pixelPosition(), rect->rect(), &p, &q))
        continue;
      auto* segment = new QCPItemLine(&m_plot);
      segment->setLayer(line->layer());
      segment->setPen(line->pen());
      segment->setSelectable(false);
      segment->setClipToAxisRect(false);
      segment->start->setType(QCPItemPosition::ptAbsolute);
      segment->end->setType(QCPItemPosition::ptAbsolute);
      segment->start->setCoords(p);
      segment->end->setCoords(q);
      m_segments.push_back(segment);
    }
  }

  // Stacked panels, a title and a legend row can need more height than a 3.5 in × 2.33 in canvas
  // has: then every font and line shrinks together (to 60 % at most) until the layout fits.
  void fitHeight(const QSize& canvas) {
    double f = 1.0;
    while (m_plot.plotLayout()->minimumOuterSizeHint().height() > canvas.height() && f > 0.6) {
      f *= 0.9;
      setPlotScale(m_plot, m_scale * f);
      layoutAt(m_plot, canvas);
    }
  }

  // An axis label longer than its side of the canvas is broken into lines.
  void fitAxisLabels(const QSize& canvas) {
    for (QCPAxisRect* rect : m_plot.axisRects())
      for (QCPAxis* axis : rect->axes()) {
        if (!axis->visible() || axis->label().isEmpty()) continue;
        const int room = (axis->orientation() == Qt::Horizontal ? canvas.width() : canvas.height()) - 8;
        const QFontMetrics fm(axis->labelFont());
        if (widestLine(axis->label(), fm) <= room) continue;
        m_axisLabels.push_back({axis, axis->label()});
        axis->setLabel(wrapToWidth(axis->label(), fm, room));
      }
  }

  // Tick labels that collide at the export size: fewer ticks (a numeric ticker asks for fewer; a
  // text ticker, e.g. tokens along a sequence, keeps every k-th label).
  void fitTicks(const QSize& canvas) {
    for (QCPAxisRect* rect : m_plot.axisRects())
      for (QCPAxis* axis : rect->axes()) {
        if (!axis->visible() || !axis->tickLabels()) continue;
        QSharedPointer<QCPAxisTicker> ticker = axis->ticker();
        if (!ticker) continue;
        auto* text = dynamic_cast<QCPAxisTickerText*>(ticker.data());
        const QMap<double, QString> allText = text ? text->ticks() : QMap<double, QString>{};
        bool saved = false;
        for (int step = 2; step < 64 && tickLabelsCollide(*axis); ++step) {
          if (!saved) {
            if (text)
              m_textTicks.push_back({text, allText});
            else
              m_tickCounts.push_back({ticker.data(), ticker->tickCount()});
            saved = true;
          }
          if (text) {
            QMap<double, QString> every;
            int i = 0;
            for (auto it = allText.cbegin(); it != allText.cend(); ++it, ++i)
              if (i % step == 0) every.insert(it.key(), it.value());
            text->setTicks(every);
          } else {
            if (ticker->tickCount() <= 1) break;
            ticker->setTickCount(ticker->tickCount() - 1);
          }
          layoutAt(m_plot, canvas);
        }
      }
  }

  struct SavedTitle {
    QCPTextElement* element;
    QString text;
    QFont font;
  };
  QCustomPlot& m_plot;
  QRect m_oldViewport;
  double m_scale;  ///< the plot's setPlotScale factor before the export (presentation mode: 1.6)
  std::vector<SavedTitle> m_titles;
  bool m_legendSaved = false;
  QFont m_legendFont;
  int m_legendWrap = 0;
  QHash<QCPAbstractLegendItem*, QFont> m_itemFonts;
  std::vector<QCPItemStraightLine*> m_hidden;
  struct SavedLabel {
    QCPAxis* axis;
    QString label;
  };
  struct SavedCount {
    QCPAxisTicker* ticker;
    int count;
  };
  struct SavedText {
    QCPAxisTickerText* ticker;
    QMap<double, QString> ticks;
  };
  std::vector<SavedLabel> m_axisLabels;
  std::vector<SavedCount> m_tickCounts;
  std::vector<SavedText> m_textTicks;
  std::vector<QCPItemLine*> m_segments;
};


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
  // Titles wrap or shrink and legends restack or shrink to fit the canvas; put back afterwards.
  const ExportFit fit(plot, logical, format == FigureFormat::Svg);

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

QStringList figureLayoutProblems(QCustomPlot& plot, const FigureSize& size) {
  const QSize logical = logicalSize(size);
  const ExportFit fit(plot, logical);
  const QRectF canvas(QPointF(0, 0), QSizeF(logical));
  QStringList out;
  std::vector<std::pair<QRectF, QString>> texts;
  // Half a pixel of slack: rounding of the layout, not a visible collision.
  auto addText = [&](const QRectF& r, const QString& what) {
    if (!canvas.adjusted(-0.5, -0.5, 0.5, 0.5).contains(r))
      out << QStringLiteral("%1 (%2,%3 %4×%5) leaves the %6×%7 canvas")
                 .arg(what)
                 .arg(r.x(), 0, 'f', 0)
                 .arg(r.y(), 0, 'f', 0)
                 .arg(r.width(), 0, 'f', 0)
                 .arg(r.height(), 0, 'f', 0)
                 .arg(logical.width())
                 .arg(logical.height());
    for (const auto& [other, name] : texts) {
      const QRectF both = other.intersected(r);
      if (both.width() > 0.5 && both.height() > 0.5) out << QStringLiteral("%1 overlaps %2").arg(what, name);
    }
    texts.emplace_back(r, what);
  };
  for (QCPLayoutElement* e : plot.plotLayout()->elements(true)) {
    auto* title = qobject_cast<QCPTextElement*>(e);
    if (!title || !title->visible() || title->text().isEmpty()) continue;
    const QRect br = QFontMetrics(title->font()).boundingRect(QRect(0, 0, 1 << 20, 1 << 20), Qt::AlignLeft | Qt::AlignTop, title->text());
    const QPointF c = QRectF(title->rect()).center();
    addText(QRectF(c.x() - br.width() / 2.0, c.y() - br.height() / 2.0, br.width(), br.height()),
            QStringLiteral("title \"%1\"").arg(title->text().left(40).replace(QLatin1Char('\n'), QLatin1Char(' '))));
  }
  if (plot.legend && plot.legend->visible() && plot.legend->itemCount() > 0) {
    QCPLegend* legend = plot.legend;
    const QSize need = legend->minimumOuterSizeHint();
    const QRect have = legend->outerRect();
    if (need.width() > have.width() + 1 || need.height() > have.height() + 1)
      out << QStringLiteral("legend cut: needs %1×%2, has %3×%4").arg(need.width()).arg(need.height()).arg(have.width()).arg(have.height());
    if (legend->layout() != plot.plotLayout() && !QRectF(plot.axisRect()->rect()).adjusted(-0.5, -0.5, 0.5, 0.5).contains(QRectF(have)))
      out << QStringLiteral("legend leaves its axes");
    // The legend's own items, each where it is drawn (a legend row spans the canvas).
    for (int i = 0; i < legend->itemCount(); ++i)
      if (QCPAbstractLegendItem* item = legend->item(i))
        addText(QRectF(item->rect()), QStringLiteral("legend entry %1").arg(i));
  }
  for (QCPAxisRect* rect : plot.axisRects())
    for (QCPAxis* axis : rect->axes()) {
      if (!axis->visible()) continue;
      const bool horizontal = axis->orientation() == Qt::Horizontal;
      if (axis->tickLabels()) {
        for (const auto& [r, label] : tickLabelRects(*axis)) addText(r, QStringLiteral("tick label \"%1\"").arg(label));
      }
      if (!axis->label().isEmpty()) {
        const double length = widestLine(axis->label(), QFontMetrics(axis->labelFont()));
        const double room = horizontal ? canvas.width() : canvas.height();
        if (length > room + 0.5) out << QStringLiteral("axis label \"%1\" is longer than the canvas").arg(axis->label());
      }
    }
  return out;
}

}  // namespace quench::widgets
