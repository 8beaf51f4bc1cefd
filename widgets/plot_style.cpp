#include "widgets/plot_style.h"

#include <qcustomplot.h>

namespace quench::widgets {

QColor neutralColor(const QPalette& palette) { return palette.color(QPalette::WindowText); }

void applyPlotStyle(QCustomPlot& plot, const QPalette& palette) {
  const QColor fg = palette.color(QPalette::WindowText);
  QColor grid = fg;
  grid.setAlphaF(0.12);
  plot.setBackground(palette.brush(QPalette::Base));
  for (QCPAxis* axis : plot.axisRect()->axes()) {
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

}  // namespace quench::widgets
