#include "widgets/histogram_view.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>

#include "widgets/plot_style.h"

namespace quench::widgets {

HistogramView::HistogramView(QWidget* parent)
    : QWidget(parent),
      m_logBox(new QCheckBox(tr("Log counts"), this)),
      m_resetButton(new QToolButton(this)),
      m_note(new QLabel(this)),
      m_plot(new QCustomPlot(this)) {
  m_logBox->setObjectName(QStringLiteral("logCounts"));
  m_logBox->setToolTip(tr("Show counts on a logarithmic axis: the tails and outliers become visible"));
  m_resetButton->setText(tr("Reset zoom"));
  m_resetButton->setToolTip(tr("Fit the axes to the data (wheel zooms, dragging pans)"));
  m_note->setObjectName(QStringLiteral("outsideNote"));
  connect(m_logBox, &QCheckBox::toggled, this, &HistogramView::setLogScale);
  connect(m_resetButton, &QToolButton::clicked, this, &HistogramView::resetZoom);

  auto* controls = new QHBoxLayout;
  controls->addWidget(m_logBox);
  controls->addWidget(m_resetButton);
  controls->addStretch(1);
  controls->addWidget(m_note);

  m_plot->setObjectName(QStringLiteral("histogramPlot"));
  m_plot->setMinimumSize(320, 240);
  m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  m_plot->axisRect()->setRangeDrag(Qt::Horizontal | Qt::Vertical);
  m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
  m_plot->xAxis->setLabel(tr("weight value"));
  m_plot->yAxis->setLabel(tr("count"));
  m_plot->plotLayout()->insertRow(0);
  m_title =
      new QCPTextElement(m_plot, QString(), QFont(font().family(), font().pointSize() + 2, QFont::Bold));
  m_plot->plotLayout()->addElement(0, 0, m_title);

  m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
  m_bars->setWidthType(QCPBars::wtPlotCoords);
  m_bars->setName(tr("original"));

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(controls);
  layout->addWidget(m_plot, 1);
  applyStyle();
  updateValueAxis();
  clear();
}

QString HistogramView::title() const { return m_title->text(); }

void HistogramView::applyStyle() {
  applyPlotStyle(*m_plot, palette());
  QColor fill = neutralColor(palette());
  fill.setAlphaF(0.55);
  m_bars->setBrush(fill);
  m_bars->setPen(Qt::NoPen);  // bins are often narrower than a pixel; outlines would hide the fill
  // Antialiased edges of adjacent 1–2 px bars leave pale seams between them: draw them crisp.
  m_bars->setAntialiased(false);
  m_bars->setAntialiasedFill(false);
  m_title->setTextColor(neutralColor(palette()));
}

void HistogramView::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange) {
    applyStyle();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
  }
}

void HistogramView::setHistogram(const Histogram& histogram, const QString& title) {
  m_histogram = histogram;
  m_hasData = true;
  auto data = QSharedPointer<QCPBarsDataContainer>::create();
  QVector<QCPBarsData> bins;
  bins.reserve(static_cast<int>(histogram.counts.size()));
  for (std::size_t i = 0; i < histogram.counts.size(); ++i)
    bins.append(QCPBarsData(histogram.binCenter(i), static_cast<double>(histogram.counts[i])));
  data->set(bins, /*alreadySorted=*/true);
  m_bars->setData(data);
  m_bars->setWidth(histogram.binWidth());
  m_title->setText(title);
  updateOutsideNote();
  resetZoom();
}

void HistogramView::clear(const QString& message) {
  m_hasData = false;
  m_histogram = Histogram{};
  m_bars->data()->clear();
  m_title->setText(message.isEmpty() ? tr("Select a tensor to see its histogram") : message);
  m_note->clear();
  resetZoom();
}

void HistogramView::updateOutsideNote() {
  QStringList parts;
  if (m_histogram.below + m_histogram.above)
    parts << tr("%1 outside the range").arg(m_histogram.below + m_histogram.above);
  if (m_histogram.nan) parts << tr("%1 NaN").arg(m_histogram.nan);
  if (m_histogram.inf) parts << tr("%1 Inf").arg(m_histogram.inf);
  m_note->setText(parts.join(QStringLiteral(" · ")));
}

void HistogramView::setLogScale(bool log) {
  if (log == m_log) return;
  m_log = log;
  m_logBox->setChecked(log);
  updateValueAxis();
  resetZoom();
  emit logScaleChanged(log);
}

void HistogramView::updateValueAxis() {
  if (m_log) {
    m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
    auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
    ticker->setLogBase(10);
    m_plot->yAxis->setTicker(ticker);
    m_plot->yAxis->setNumberFormat(QStringLiteral("eb"));  // 10^k tick labels
    m_plot->yAxis->setNumberPrecision(0);
    m_plot->yAxis->setLabel(tr("count (log)"));
  } else {
    m_plot->yAxis->setScaleType(QCPAxis::stLinear);
    m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    m_plot->yAxis->setNumberFormat(QStringLiteral("gb"));
    m_plot->yAxis->setNumberPrecision(6);
    m_plot->yAxis->setLabel(tr("count"));
  }
}

void HistogramView::resetZoom() {
  if (!m_hasData || m_histogram.counts.empty()) {
    m_plot->xAxis->setRange(-1, 1);
    m_plot->yAxis->setRange(m_log ? QCPRange(1, 10) : QCPRange(0, 1));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  const double pad = 0.02 * (m_histogram.hi - m_histogram.lo);
  m_plot->xAxis->setRange(m_histogram.lo - pad, m_histogram.hi + pad);
  const double top =
      static_cast<double>(*std::max_element(m_histogram.counts.begin(), m_histogram.counts.end()));
  // Log axis: start just below a count of 1 so single-value bins stay visible.
  m_plot->yAxis->setRange(m_log ? QCPRange(0.5, std::max(10.0, top * 2.0))
                                : QCPRange(0, std::max(1.0, top * 1.05)));
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace quench::widgets
