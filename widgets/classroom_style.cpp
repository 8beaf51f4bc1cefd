#include "widgets/classroom_style.h"

#include "core/tensor/number_text.h"
#include "widgets/plot_style.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QTextDocument>
#include <qcustomplot.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace quench::widgets {

QString formatFloat32(float v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  QString s = QString::fromLatin1(buf, int(r.ptr - buf));
  if (s.startsWith(QLatin1Char('-'))) s.replace(0, 1, QChar(0x2212));
  return s;
}

QString formatExact(double v) { return QString::fromStdString(shortestDecimal(v)); }

QString formatShortest(double v) {
  if (std::isinf(v)) return v > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
  QString s = formatExact(v);
  if (s.startsWith(QLatin1Char('-'))) s.replace(0, 1, QChar(0x2212));
  return s;
}

QString formatReal(double v, int digits) {
  if (std::isinf(v)) return v > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
  if (std::isnan(v)) return QStringLiteral("NaN");
  if (v == 0) v = 0;  // no "-0"
  QString s = QString::number(v, 'g', digits);
  if (s.startsWith(QLatin1Char('-'))) s.replace(0, 1, QChar(0x2212));
  return s;
}

QFont scaledFont(const QFont& base, double scale, bool bold) {
  QFont f = base;
  const double pt = base.pointSizeF() > 0 ? base.pointSizeF() : 9.0;
  f.setPointSizeF(pt * scale);
  f.setBold(bold);
  return f;
}

void applyPlotFonts(QCustomPlot& plot, const QFont& base, double scale) {
  for (QCPAxis* axis : plot.axisRect()->axes()) {
    axis->setLabelFont(scaledFont(base, scale));
    axis->setTickLabelFont(scaledFont(base, scale * 0.92));
    const QPen p = axis->basePen();
    QPen thick = p;
    thick.setWidthF(scale > 1 ? 2.0 : 1.0);
    axis->setBasePen(thick);
    axis->setTickPen(thick);
  }
  plot.legend->setFont(scaledFont(base, scale * 0.92));
}

void applyClassroomPlotStyle(QCustomPlot& plot, QCPTextElement& title, const QPalette& palette, const QFont& base,
                             double scale) {
  applyPlotStyle(plot, palette);
  applyPlotFonts(plot, base, scale);
  title.setFont(scaledFont(base, scale * 1.15, true));
  title.setTextColor(neutralColor(palette));
  plot.legend->setBrush(palette.color(QPalette::Base));
  plot.legend->setTextColor(neutralColor(palette));
  plot.legend->setBorderPen(Qt::NoPen);
}

void setIntegerTicks(QCPAxis& axis) {
  QSharedPointer<QCPAxisTickerFixed> ticker(new QCPAxisTickerFixed);
  ticker->setTickStep(1.0);
  ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  axis.setTicker(ticker);
}

QString cellText(const QTableWidget& table, int row, int column) {
  const QTableWidgetItem* it = table.item(row, column);
  return it ? it->text() : QString();
}

QString plainText(const QLabel& label) {
  QTextDocument d;
  d.setHtml(label.text());
  return d.toPlainText();
}

void applyTableScale(QTableWidget& table, const QFont& base, double scale) {
  const QFont f = scaledFont(base, scale);
  table.setFont(f);
  table.horizontalHeader()->setFont(scaledFont(base, scale, true));
  const QFontMetrics fm(f);
  table.verticalHeader()->setDefaultSectionSize(fm.height() + int(8 * scale));
  table.resizeColumnsToContents();
  // As tall as its rows (a board table has few), so the figure below gets the rest of the space.
  int h = table.horizontalHeader()->sizeHint().height() + 2 * table.frameWidth() + 4;
  for (int r = 0; r < table.rowCount(); ++r) h += table.rowHeight(r);
  table.setMaximumHeight(std::max(h, 3 * fm.height()));
}

}  // namespace quench::widgets
