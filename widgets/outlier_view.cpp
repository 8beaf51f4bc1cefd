#include "widgets/text_format.h"
#include "widgets/outlier_view.h"

#include <qcustomplot.h>

#include <QLabel>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "widgets/plot_style.h"

namespace quench::widgets {

namespace {
// How close (pixels) a press must be to the τ line to grab it.
constexpr double kGrabPixels = 6.0;
}  // namespace

OutlierView::OutlierView(QWidget* parent)
    : QWidget(parent),
      m_count(new QLabel(this)),
      m_errors(new QLabel(this)),
      m_plot(new QCustomPlot(this)),
      m_errorPlot(new QCustomPlot(this)) {
  m_count->setObjectName(QStringLiteral("outlierCount"));
  m_errors->setObjectName(QStringLiteral("llmInt8Errors"));
  m_count->setContentsMargins(6, 2, 6, 2);
  m_errors->setContentsMargins(6, 2, 6, 2);
  m_plot->setObjectName(QStringLiteral("outlierPlot"));
  m_plot->setMinimumSize(320, 240);
  // Zoom only: a drag on the plot moves the τ line, not the view.
  m_plot->setInteractions(QCP::iRangeZoom);
  m_plot->setToolTip(tr("Drag the dashed line to change the outlier threshold τ"));
  m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
  m_plot->plotLayout()->insertRow(0);
  m_title = new QCPTextElement(m_plot, QString(), QFont(font().family(), font().pointSize() + 2, QFont::Bold));
  m_plot->plotLayout()->addElement(0, 0, m_title);
  m_plot->xAxis->setLabel(tr("column (feature index)"));
  m_plot->yAxis->setLabel(tr("max |x| over rows (value units)"));

  m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
  m_bars->setName(tr("column max |x|"));
  m_bars->setWidth(1.0);
  m_outlierBars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
  m_outlierBars->setName(tr("outlier column (≥ τ)"));
  m_outlierBars->setWidth(1.0);
  m_line = new QCPItemStraightLine(m_plot);
  // Items have no legend entry: an empty graph with the line's pen stands for it.
  QCPGraph* lineKey = m_plot->addGraph();
  lineKey->setName(tr("threshold τ (drag)"));
  lineKey->setPen(QPen(okabeIto::kBlue, 2, Qt::DashLine));
  m_plot->legend->setVisible(true);
  // Legend below the axis rect: it never covers a bar.
  m_plot->plotLayout()->addElement(2, 0, m_plot->legend);
  m_plot->plotLayout()->setRowStretchFactor(2, 0.001);
  m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);

  m_errorPlot->setObjectName(QStringLiteral("llmInt8ErrorPlot"));
  m_errorPlot->setMinimumSize(320, 120);
  m_errorBars = new QCPBars(m_errorPlot->xAxis, m_errorPlot->yAxis);
  m_errorBars->setWidth(0.6);
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  ticker->addTick(0, tr("int8 (all columns)"));
  ticker->addTick(1, tr("int8 + outliers in fp"));
  m_errorPlot->xAxis->setTicker(ticker);
  m_errorPlot->xAxis->setRange(-0.6, 1.6);
  m_errorPlot->yAxis->setLabel(tr("‖Y − XW‖F / ‖XW‖F"));
  m_errorPlot->setVisible(false);

  connect(m_plot, &QCustomPlot::mousePress, this, &OutlierView::onPress);
  connect(m_plot, &QCustomPlot::mouseMove, this, &OutlierView::onMove);
  connect(m_plot, &QCustomPlot::mouseRelease, this, &OutlierView::onRelease);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_count);
  layout->addWidget(m_plot, 3);
  layout->addWidget(m_errors);
  layout->addWidget(m_errorPlot, 1);
  applyStyle();
  clear();
}

QString OutlierView::countText() const { return m_count->text(); }
QString OutlierView::errorText() const { return m_errors->text(); }
QString OutlierView::title() const { return m_title->text(); }

void OutlierView::applyStyle() {
  applyPlotStyle(*m_plot, palette());
  applyPlotStyle(*m_errorPlot, palette());
  m_title->setTextColor(neutralColor(palette()));
  QColor neutral = neutralColor(palette());
  neutral.setAlphaF(0.55);
  m_bars->setBrush(neutral);
  m_bars->setPen(Qt::NoPen);
  m_bars->setAntialiased(false);
  m_outlierBars->setBrush(okabeIto::kVermilion);
  m_outlierBars->setPen(Qt::NoPen);
  m_outlierBars->setAntialiased(false);
  m_line->setPen(QPen(okabeIto::kBlue, 2, Qt::DashLine));
  m_errorBars->setBrush(okabeIto::kSkyBlue);
  m_errorBars->setPen(QPen(okabeIto::kBlue));
  m_plot->legend->setBrush(palette().color(QPalette::Base));
  m_plot->legend->setTextColor(neutralColor(palette()));
  m_plot->legend->setBorderPen(Qt::NoPen);
}

void OutlierView::setThreshold(double tau) {
  m_threshold = tau;
  m_line->point1->setCoords(0, tau);
  m_line->point2->setCoords(1, tau);
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void OutlierView::setColumns(const ColumnOutliers& outliers, const QString& title) {
  QVector<double> keys, values, outKeys, outValues;
  double top = 0;
  for (std::size_t c = 0; c < outliers.columnMaxAbs.size(); ++c) {
    keys << double(c);
    values << double(outliers.columnMaxAbs[c]);
    top = std::max(top, values.back());
  }
  for (std::size_t c : outliers.outlierColumns) {
    outKeys << double(c);
    outValues << double(outliers.columnMaxAbs[c]);
  }
  m_bars->setData(keys, values, true);
  m_outlierBars->setData(outKeys, outValues, true);
  m_count->setText(tr("%1 of %2 (τ = %3)")
                       .arg(countedNoun(qint64(outliers.outlierColumns.size()), tr("outlier column"), tr("outlier columns")),
                            formatCount(qint64(outliers.columnMaxAbs.size())), formatMessageNumber(outliers.threshold)));
  m_title->setText(title);
  m_plot->xAxis->setRange(-0.5, std::max(0.5, double(outliers.columnMaxAbs.size()) - 0.5));
  m_plot->yAxis->setRange(0, std::max(top, outliers.threshold) * 1.1);
  setThreshold(outliers.threshold);
}

void OutlierView::setLlmInt8(const LlmInt8Report& report, const QString& title) {
  setColumns(report.outliers, title);
  m_errorBars->setData(QVector<double>{0, 1},
                       QVector<double>{report.plainError.relFrobenius, report.decomposedError.relFrobenius}, true);
  m_errorPlot->yAxis->setRange(
      0, std::max({report.plainError.relFrobenius, report.decomposedError.relFrobenius, 1e-12}) * 1.15);
  m_errors->setText(tr("relative error int8 %1 → with decomposition %2 · weight %3 → %4 bits/param")
                        .arg(report.plainError.relFrobenius, 0, 'g', 4)
                        .arg(report.decomposedError.relFrobenius, 0, 'g', 4)
                        .arg(report.plainWeightBitsPerParam, 0, 'g', 4)
                        .arg(report.weightBitsPerParam, 0, 'g', 4));
  m_errorPlot->setVisible(true);
  m_errorPlot->replot(QCustomPlot::rpQueuedReplot);
}

void OutlierView::clear(const QString& message) {
  m_bars->data()->clear();
  m_outlierBars->data()->clear();
  m_errorBars->data()->clear();
  m_count->clear();
  m_errors->clear();
  m_errorPlot->setVisible(false);
  m_title->setText(message.isEmpty() ? tr("Select a matrix to see its outlier columns") : message);
  m_plot->yAxis->setRange(0, m_threshold * 1.1);
  setThreshold(m_threshold);
}

void OutlierView::onPress(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return;
  const double lineY = m_plot->yAxis->coordToPixel(m_threshold);
  m_dragging = std::fabs(event->position().y() - lineY) <= kGrabPixels;
}

void OutlierView::onMove(QMouseEvent* event) {
  if (!m_dragging) return;
  // τ must stay positive (findOutlierColumns rejects τ ≤ 0).
  const double tau = std::max(m_plot->yAxis->pixelToCoord(event->position().y()), 1e-6);
  setThreshold(tau);
  emit thresholdChanged(tau);
}

void OutlierView::onRelease(QMouseEvent*) { m_dragging = false; }

}  // namespace quench::widgets
