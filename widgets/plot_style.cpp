#include "widgets/plot_style.h"

#include <qcustomplot.h>

namespace quench::widgets {

QColor neutralColor(const QPalette& palette) { return palette.color(QPalette::WindowText); }

void applyAxisRectStyle(QCPAxisRect& rect, const QPalette& palette) {
  const QColor fg = palette.color(QPalette::WindowText);
  QColor grid = fg;
  grid.setAlphaF(0.12);
  for (QCPAxis* axis : rect.axes()) {
    axis->setBasePen(QPen(fg, 1));
    axis->setTickPen(QPen(fg, 1));
    axis->setSubTickPen(QPen(fg, 1));
    axis->setTickLabelColor(fg);
    axis->setLabelColor(fg);
    axis->grid()->setPen(QPen(grid, 1, Qt::SolidLine));
    axis->grid()->setSubGridVisible(false);
    axis->grid()->setZeroLinePen(Qt::NoPen);
  }
}

void applyPlotStyle(QCustomPlot& plot, const QPalette& palette) {
  plot.setBackground(palette.brush(QPalette::Base));
  for (QCPAxisRect* rect : plot.axisRects()) applyAxisRectStyle(*rect, palette);
}

}  // namespace quench::widgets
