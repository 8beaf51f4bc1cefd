#include "widgets/saturation_map_view.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "widgets/plot_style.h"

namespace quench::widgets {

namespace {

// Centre of pooled cell i along an axis, in input element coordinates.
double cellCentre(std::size_t i, std::size_t stride) {
  return static_cast<double>(i * stride) + 0.5 * static_cast<double>(stride - 1);
}

QCPColorGradient divergingGradient() {
  // Blue for negative, white at 0, orange for positive (Okabe–Ito accents, colour-blind safe).
  QCPColorGradient g;
  g.clearColorStops();
  g.setColorStopAt(0.0, okabeIto::kBlue);
  g.setColorStopAt(0.5, Qt::white);
  g.setColorStopAt(1.0, okabeIto::kOrange);
  g.setNanHandling(QCPColorGradient::nhTransparent);
  return g;
}

QCPColorGradient sequentialGradient() {
  QCPColorGradient g;
  g.clearColorStops();
  g.setColorStopAt(0.0, Qt::white);
  g.setColorStopAt(1.0, okabeIto::kBlue);
  g.setNanHandling(QCPColorGradient::nhTransparent);
  return g;
}

}  // namespace

SaturationMapView::SaturationMapView(QWidget* parent)
    : QWidget(parent), m_summary(new QLabel(this)), m_mapPlot(new QCustomPlot(this)), m_partsPlot(new QCustomPlot(this)) {
  m_summary->setObjectName(QStringLiteral("saturationSummary"));
  m_summary->setContentsMargins(6, 2, 6, 2);
  m_mapPlot->setObjectName(QStringLiteral("saturationMapPlot"));
  m_partsPlot->setObjectName(QStringLiteral("partSaturationPlot"));
  m_mapPlot->setMinimumSize(320, 240);
  m_partsPlot->setMinimumSize(320, 120);
  m_mapPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

  m_mapPlot->plotLayout()->insertRow(0);
  m_title = new QCPTextElement(m_mapPlot, QString(), QFont(font().family(), font().pointSize() + 2, QFont::Bold));
  m_mapPlot->plotLayout()->addElement(0, 0, m_title);
  m_mapPlot->xAxis->setLabel(tr("column (input element)"));
  m_mapPlot->yAxis->setLabel(tr("row (output element)"));
  m_mapPlot->yAxis->setRangeReversed(true);  // row 0 at the top, as a matrix is written

  m_colorMap = new QCPColorMap(m_mapPlot->xAxis, m_mapPlot->yAxis);
  m_colorMap->setName(tr("value"));
  m_colorMap->setInterpolate(false);  // one flat cell per pooled block: no invented values
  m_colorScale = new QCPColorScale(m_mapPlot);
  m_mapPlot->plotLayout()->addElement(1, 1, m_colorScale);
  m_colorMap->setColorScale(m_colorScale);
  auto* margins = new QCPMarginGroup(m_mapPlot);
  m_mapPlot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
  m_colorScale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);

  m_overlay = m_mapPlot->addGraph();
  m_overlay->setName(tr("saturated"));
  m_overlay->setLineStyle(QCPGraph::lsNone);
  // The legend sits below the plot (outside the data) so it never hides a cell.
  m_mapPlot->legend->setVisible(true);
  m_mapPlot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_mapPlot->plotLayout()->addElement(2, 0, m_mapPlot->legend);
  m_mapPlot->plotLayout()->setRowStretchFactor(2, 0.001);
  m_colorMap->removeFromLegend();  // the colour scale beside the map already says what the colours mean

  m_partBars = new QCPBars(m_partsPlot->xAxis, m_partsPlot->yAxis);
  m_partBars->setName(tr("saturated share"));
  m_partBars->setWidth(0.8);
  m_partsPlot->xAxis->setLabel(tr("part index"));
  m_partsPlot->yAxis->setLabel(tr("saturated elements (%)"));

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_summary);
  layout->addWidget(m_mapPlot, 3);
  layout->addWidget(m_partsPlot, 1);
  applyStyle();
  clear();
}

QString SaturationMapView::title() const { return m_title->text(); }
QString SaturationMapView::summaryText() const { return m_summary->text(); }

void SaturationMapView::applyStyle() {
  for (QCustomPlot* p : {m_mapPlot, m_partsPlot}) applyPlotStyle(*p, palette());
  m_title->setTextColor(neutralColor(palette()));
  m_colorScale->axis()->setBasePen(QPen(neutralColor(palette())));
  m_colorScale->axis()->setTickLabelColor(neutralColor(palette()));
  m_colorScale->axis()->setLabelColor(neutralColor(palette()));
  m_overlay->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, okabeIto::kVermilion, 5));
  m_overlay->setPen(QPen(okabeIto::kVermilion));
  m_partBars->setBrush(okabeIto::kVermilion);
  m_partBars->setPen(Qt::NoPen);
  m_mapPlot->legend->setBrush(palette().color(QPalette::Base));
  m_mapPlot->legend->setTextColor(neutralColor(palette()));
  m_mapPlot->legend->setBorderPen(Qt::NoPen);
}

void SaturationMapView::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange) {
    applyStyle();
    m_mapPlot->replot(QCustomPlot::rpQueuedReplot);
    m_partsPlot->replot(QCustomPlot::rpQueuedReplot);
  }
}

void SaturationMapView::setData(const SaturationMap& map, Quantity quantity, const std::vector<PartReport>& parts,
                                const QString& title) {
  m_quantity = quantity;
  auto* data = m_colorMap->data();
  data->setSize(static_cast<int>(map.cols), static_cast<int>(map.rows));
  data->setRange(QCPRange(cellCentre(0, map.colStride), cellCentre(map.cols - 1, map.colStride)),
                 QCPRange(cellCentre(0, map.rowStride), cellCentre(map.rows - 1, map.rowStride)));
  double extreme = 0;
  QVector<double> keys, values;
  std::uint64_t saturatedTotal = 0;
  for (std::size_t r = 0; r < map.rows; ++r)
    for (std::size_t c = 0; c < map.cols; ++c) {
      const float v = map.value[r * map.cols + c];
      data->setCell(static_cast<int>(c), static_cast<int>(r), v);
      if (std::isfinite(v)) extreme = std::max(extreme, double(std::fabs(v)));
      if (const auto n = map.saturated[r * map.cols + c]) {
        saturatedTotal += n;
        keys << cellCentre(c, map.colStride);
        values << cellCentre(r, map.rowStride);
      }
    }
  if (extreme == 0) extreme = 1;
  if (quantity == Quantity::Value) {
    m_colorMap->setGradient(divergingGradient());
    m_colorMap->setDataRange(QCPRange(-extreme, extreme));  // symmetric: white is exactly 0
    m_colorScale->axis()->setLabel(tr("weight value"));
    m_colorMap->setName(tr("weight value"));
  } else {
    m_colorMap->setGradient(sequentialGradient());
    m_colorMap->setDataRange(QCPRange(0, extreme));
    m_colorScale->axis()->setLabel(tr("|error| (weight units)"));
    m_colorMap->setName(tr("|error|"));
  }
  m_overlay->setData(keys, values);
  // Cells hide elements when pooled; say so in the axis labels.
  const bool pooled = map.rowStride > 1 || map.colStride > 1;
  m_mapPlot->xAxis->setLabel(pooled ? tr("column (input element; %1 per cell)").arg(map.colStride)
                                    : tr("column (input element)"));
  m_mapPlot->yAxis->setLabel(pooled ? tr("row (output element; %1 per cell)").arg(map.rowStride)
                                    : tr("row (output element)"));
  const double total = double(map.inputRows) * double(map.inputCols);
  m_summary->setText(tr("%1 saturated of %2 elements (%3 %)")
                         .arg(saturatedTotal)
                         .arg(static_cast<qulonglong>(total))
                         .arg(100.0 * double(saturatedTotal) / total, 0, 'g', 3));
  m_title->setText(title);

  QVector<double> partKeys, share;
  double top = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    partKeys << double(i);
    share << (parts[i].size ? 100.0 * double(parts[i].saturated) / double(parts[i].size) : 0.0);
    top = std::max(top, share.back());
  }
  m_partBars->setData(partKeys, share, /*alreadySorted=*/true);
  m_partsPlot->xAxis->setRange(-0.5, std::max(0.5, double(parts.size()) - 0.5));
  m_partsPlot->yAxis->setRange(0, top > 0 ? top * 1.1 : 1.0);
  m_partsPlot->setVisible(!parts.empty());

  m_mapPlot->xAxis->setRange(-0.5, double(map.inputCols) - 0.5);
  m_mapPlot->yAxis->setRange(-0.5, double(map.inputRows) - 0.5);
  m_mapPlot->replot(QCustomPlot::rpQueuedReplot);
  m_partsPlot->replot(QCustomPlot::rpQueuedReplot);
}

void SaturationMapView::clear(const QString& message) {
  m_colorMap->data()->clear();
  m_overlay->data()->clear();
  m_partBars->data()->clear();
  m_summary->clear();
  m_title->setText(message.isEmpty() ? tr("Select a 2-D tensor to see its saturation map") : message);
  m_mapPlot->replot(QCustomPlot::rpQueuedReplot);
  m_partsPlot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace quench::widgets
