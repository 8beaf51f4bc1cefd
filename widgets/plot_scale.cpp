#include "widgets/plot_scale.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace quench::widgets {

namespace {
constexpr char kScaleProperty[] = "quenchPlotScale";

QFont scaled(QFont f, double r) {
  if (f.pointSizeF() > 0)
    f.setPointSizeF(f.pointSizeF() * r);
  else if (f.pixelSize() > 0)
    f.setPixelSize(std::max(1, int(std::lround(f.pixelSize() * r))));
  return f;
}

QPen scaled(QPen p, double r) {
  if (p.style() == Qt::NoPen) return p;
  p.setWidthF((p.widthF() > 0 ? p.widthF() : 1.0) * r);  // width 0 is a 1-pixel cosmetic pen
  return p;
}
}  // namespace

double plotScale(const QCustomPlot& plot) {
  const QVariant v = plot.property(kScaleProperty);
  return v.isValid() ? v.toDouble() : 1.0;
}

void setPlotScale(QCustomPlot& plot, double factor) {
  const double r = factor / plotScale(plot);
  if (r == 1.0) return;
  plot.setProperty(kScaleProperty, factor);
  for (QCPAxisRect* rect : plot.axisRects())
    for (QCPAxis* axis : rect->axes()) {
      axis->setLabelFont(scaled(axis->labelFont(), r));
      axis->setTickLabelFont(scaled(axis->tickLabelFont(), r));
      axis->setBasePen(scaled(axis->basePen(), r));
      axis->setTickPen(scaled(axis->tickPen(), r));
      axis->setSubTickPen(scaled(axis->subTickPen(), r));
      axis->setTickLengthIn(int(std::lround(axis->tickLengthIn() * r)));
      axis->setTickLengthOut(int(std::lround(axis->tickLengthOut() * r)));
    }
  if (plot.legend) {
    plot.legend->setFont(scaled(plot.legend->font(), r));
    plot.legend->setIconSize(plot.legend->iconSize() * r);
    for (int i = 0; i < plot.legend->itemCount(); ++i)
      if (QCPAbstractLegendItem* item = plot.legend->item(i)) item->setFont(scaled(item->font(), r));
  }
  for (QCPLayoutElement* e : plot.plotLayout()->elements(true))
    if (auto* text = qobject_cast<QCPTextElement*>(e)) text->setFont(scaled(text->font(), r));
  for (int i = 0; i < plot.plottableCount(); ++i) {
    QCPAbstractPlottable* p = plot.plottable(i);
    p->setPen(scaled(p->pen(), r));
    if (auto* g = qobject_cast<QCPGraph*>(p)) {
      QCPScatterStyle ss = g->scatterStyle();
      if (!ss.isNone()) {
        ss.setSize(ss.size() * r);
        ss.setPen(scaled(ss.pen(), r));
        g->setScatterStyle(ss);
      }
    }
  }
  for (int i = 0; i < plot.itemCount(); ++i) {
    QCPAbstractItem* item = plot.item(i);
    if (auto* line = qobject_cast<QCPItemStraightLine*>(item)) line->setPen(scaled(line->pen(), r));
    else if (auto* l = qobject_cast<QCPItemLine*>(item)) l->setPen(scaled(l->pen(), r));
    else if (auto* t = qobject_cast<QCPItemText*>(item)) t->setFont(scaled(t->font(), r));
  }
  plot.replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace quench::widgets
