#include "widgets/text_format.h"
#include "widgets/error_view.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>
#include <cmath>

#include "widgets/plot_export_menu.h"
#include "widgets/plot_style.h"

namespace quench::widgets {

namespace {

// Markers help when parts are few; for thousands of parts they would merge into a smear.
constexpr int kMaxMarkedParts = 200;

QCPTextElement* addTitle(QCustomPlot* plot, const QFont& base) {
  plot->plotLayout()->insertRow(0);
  auto* title = new QCPTextElement(plot, QString(), QFont(base.family(), base.pointSize() + 1, QFont::Bold));
  plot->plotLayout()->addElement(0, 0, title);
  return title;
}

QString partsText(std::size_t n) {
  return countedNoun(qint64(n), QObject::tr("part"), QObject::tr("parts"));
}

}  // namespace

ErrorView::ErrorView(QWidget* parent)
    : QWidget(parent),
      m_metricBox(new QComboBox(this)),
      m_note(new QLabel(this)),
      m_partsPlot(new QCustomPlot(this)),
      m_histPlot(new QCustomPlot(this)) {
  m_metricBox->setObjectName(QStringLiteral("errorMetric"));
  m_metricBox->addItem(tr("SQNR per part (dB)"));
  m_metricBox->addItem(tr("MSE per part"));
  m_metricBox->addItem(tr("max |x̃ − x| per part"));
  m_metricBox->setToolTip(tr("The figure plotted along the part index (MATH.md §7)"));
  connect(m_metricBox, &QComboBox::currentIndexChanged, this, [this](int i) { setMetric(static_cast<Metric>(i)); });
  m_note->setObjectName(QStringLiteral("errorNote"));
  m_note->setWordWrap(true);

  m_partsPlot->setObjectName(QStringLiteral("partsPlot"));
  m_partsPlot->setMinimumSize(320, 180);
  m_partsPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  m_partsPlot->axisRect()->setRangeDrag(Qt::Horizontal);
  m_partsPlot->axisRect()->setRangeZoom(Qt::Horizontal);
  m_partsTitle = addTitle(m_partsPlot, font());
  m_partsPlot->plotLayout()->insertRow(1);
  m_partsPlot->legend->setVisible(true);
  m_partsPlot->axisRect()->insetLayout()->take(m_partsPlot->legend);
  m_partsPlot->plotLayout()->addElement(1, 0, m_partsPlot->legend);
  m_partsPlot->plotLayout()->setRowStretchFactor(1, 0.001);
  m_partsPlot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_partsPlot->legend->setBorderPen(Qt::NoPen);
  m_partsPlot->legend->setBrush(Qt::NoBrush);
  // Saturation in its own panel under the metric, sharing the part axis: on one pair of axes
  // thousands of parts of the two series would hide each other.
  m_satRect = new QCPAxisRect(m_partsPlot);
  m_partsPlot->plotLayout()->addElement(3, 0, m_satRect);
  m_partsPlot->plotLayout()->setRowStretchFactor(2, 2.0);
  m_partsPlot->plotLayout()->setRowStretchFactor(3, 1.0);
  auto* margins = new QCPMarginGroup(m_partsPlot);
  m_partsPlot->axisRect()->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
  m_satRect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
  m_satRect->setRangeDrag(Qt::Horizontal);
  m_satRect->setRangeZoom(Qt::Horizontal);
  QCPAxis* satX = m_satRect->axis(QCPAxis::atBottom);
  QCPAxis* satY = m_satRect->axis(QCPAxis::atLeft);
  satX->setLabel(tr("part index"));
  satY->setLabel(tr("saturated (%)"));
  satY->ticker()->setTickCount(3);  // a short panel: three labels stay legible
  connect(m_partsPlot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), satX, qOverload<const QCPRange&>(&QCPAxis::setRange));
  connect(satX, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), m_partsPlot->xAxis, qOverload<const QCPRange&>(&QCPAxis::setRange));
  m_metricGraph = m_partsPlot->addGraph(m_partsPlot->xAxis, m_partsPlot->yAxis);
  m_satGraph = m_partsPlot->addGraph(satX, satY);
  m_satGraph->setName(tr("saturated (%)"));
  connect(m_partsPlot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent* event) {
    const double key = m_partsPlot->xAxis->pixelToCoord(event->position().x());
    const long part = std::lround(key);
    if (part >= 0 && part < static_cast<long>(m_parts.size())) emit partActivated(static_cast<int>(part));
  });

  m_histPlot->setObjectName(QStringLiteral("errorHistogramPlot"));
  m_histPlot->setMinimumSize(320, 160);
  m_histPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  m_histPlot->axisRect()->setRangeZoom(Qt::Horizontal);
  m_histTitle = addTitle(m_histPlot, font());
  m_histPlot->xAxis->setLabel(tr("error x̃ − x (weight units)"));
  m_histPlot->yAxis->setLabel(tr("count"));
  m_errorBars = new QCPBars(m_histPlot->xAxis, m_histPlot->yAxis);
  m_errorBars->setWidthType(QCPBars::wtPlotCoords);
  m_errorBars->setName(tr("error x̃ − x"));

  installExportMenu(m_partsPlot, QStringLiteral("error-per-part.png"));
  installExportMenu(m_histPlot, QStringLiteral("error-histogram.png"));

  auto* controls = new QHBoxLayout;
  controls->addWidget(m_metricBox);
  controls->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(controls);
  layout->addWidget(m_partsPlot, 3);
  layout->addWidget(m_histPlot, 2);
  layout->addWidget(m_note);
  applyStyle();
  clear();
}

QString ErrorView::title() const { return m_partsTitle->text(); }
QString ErrorView::noteText() const { return m_note->text(); }

void ErrorView::applyStyle() {
  for (QCustomPlot* plot : {m_partsPlot, m_histPlot}) applyPlotStyle(*plot, palette());
  // applyPlotStyle styles the axis rect's axes; yAxis2 is among them once visible.
  m_partsTitle->setTextColor(neutralColor(palette()));
  m_histTitle->setTextColor(neutralColor(palette()));
  m_partsPlot->legend->setTextColor(neutralColor(palette()));
  m_metricGraph->setPen(QPen(okabeIto::kBlue, 1.5));
  m_satGraph->setPen(QPen(okabeIto::kVermilion, 1.2));
  QColor fill = okabeIto::kBlue;
  fill.setAlphaF(0.75);
  m_errorBars->setBrush(fill);
  m_errorBars->setPen(Qt::NoPen);
  m_errorBars->setAntialiased(false);
  m_errorBars->setAntialiasedFill(false);
}

void ErrorView::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange) {
    applyStyle();
    m_partsPlot->replot(QCustomPlot::rpQueuedReplot);
    m_histPlot->replot(QCustomPlot::rpQueuedReplot);
  }
}

void ErrorView::setResult(const std::vector<PartReport>& parts, const Histogram& error, const QString& title) {
  m_parts = parts;
  m_error = error;
  m_partsTitle->setText(title.isEmpty() ? tr("Error per part") : tr("%1: error per part").arg(title));
  m_histTitle->setText(title.isEmpty() ? tr("Error x̃ − x") : tr("%1: error x̃ − x").arg(title));
  setSuggestedFigureName(m_partsPlot, QStringLiteral("error-per-part-") + title);
  setSuggestedFigureName(m_histPlot, QStringLiteral("error-histogram-") + title);

  auto bars = QSharedPointer<QCPBarsDataContainer>::create();
  QVector<QCPBarsData> bins;
  bins.reserve(static_cast<int>(error.counts.size()));
  for (std::size_t i = 0; i < error.counts.size(); ++i)
    bins.append(QCPBarsData(error.binCenter(i), static_cast<double>(error.counts[i])));
  bars->set(bins, /*alreadySorted=*/true);
  m_errorBars->setData(bars);
  m_errorBars->setWidth(error.binWidth());
  if (!error.counts.empty()) {
    const double pad = 0.02 * (error.hi - error.lo);
    m_histPlot->xAxis->setRange(error.lo - pad, error.hi + pad);
    const double top = static_cast<double>(*std::max_element(error.counts.begin(), error.counts.end()));
    m_histPlot->yAxis->setRange(0, std::max(1.0, top * 1.05));
  }
  showMetric();
  m_histPlot->replot(QCustomPlot::rpQueuedReplot);
}

void ErrorView::clear(const QString& message) {
  m_parts.clear();
  m_error = Histogram{};
  m_metricGraph->data()->clear();
  m_satGraph->data()->clear();
  m_errorBars->data()->clear();
  m_partsTitle->setText(message.isEmpty() ? tr("Select a tensor and a recipe to see the error per part") : message);
  m_histTitle->setText(tr("Error x̃ − x"));
  m_note->clear();
  m_partsPlot->xAxis->setRange(0, 1);
  m_histPlot->xAxis->setRange(-1, 1);
  showMetric();
  m_histPlot->replot(QCustomPlot::rpQueuedReplot);
}

void ErrorView::setMetric(Metric metric) {
  if (metric == m_metric) return;
  m_metric = metric;
  m_metricBox->setCurrentIndex(static_cast<int>(metric));
  showMetric();
}

void ErrorView::showMetric() {
  const auto n = m_parts.size();
  const char* names[] = {QT_TR_NOOP("SQNR (dB)"), QT_TR_NOOP("MSE (weight units²)"), QT_TR_NOOP("max |x̃ − x| (weight units)")};
  const QString name = tr(names[static_cast<int>(m_metric)]);
  m_metricGraph->setName(name);
  m_partsPlot->yAxis->setLabel(name);
  QVector<QCPGraphData> metric, sat;
  metric.reserve(static_cast<int>(n));
  sat.reserve(static_cast<int>(n));
  std::size_t nonFinite = 0, saturatingParts = 0;
  double worst = std::numeric_limits<double>::quiet_NaN();
  std::size_t worstPart = 0;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, satTop = 0;
  for (std::size_t j = 0; j < n; ++j) {
    const PartReport& p = m_parts[j];
    double v = m_metric == Metric::SqnrDb ? p.figures.sqnrDb : m_metric == Metric::Mse ? p.figures.mse : p.figures.maxAbsError;
    if (!std::isfinite(v)) {
      ++nonFinite;
      v = std::numeric_limits<double>::quiet_NaN();  // a gap in the line
    } else {
      // Worst part: the lowest SQNR, the highest MSE or max error.
      const bool worse = std::isnan(worst) || (m_metric == Metric::SqnrDb ? v < worst : v > worst);
      if (worse) {
        worst = v;
        worstPart = j;
      }
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    metric.append(QCPGraphData(static_cast<double>(j), v));
    const double s = p.size ? 100.0 * static_cast<double>(p.saturated) / static_cast<double>(p.size) : 0.0;
    if (p.saturated) ++saturatingParts;
    satTop = std::max(satTop, s);
    sat.append(QCPGraphData(static_cast<double>(j), s));
  }
  m_metricGraph->data()->set(metric, /*alreadySorted=*/true);
  m_satGraph->data()->set(sat, /*alreadySorted=*/true);
  // Few parts: a line with a marker per part. Many: one small dot per part and no line, so the
  // spread of thousands of values reads as a band instead of a zig-zag smear.
  const bool few = n <= static_cast<std::size_t>(kMaxMarkedParts);
  m_metricGraph->setLineStyle(few ? QCPGraph::lsLine : QCPGraph::lsNone);
  m_satGraph->setLineStyle(few ? QCPGraph::lsLine : QCPGraph::lsNone);
  m_metricGraph->setScatterStyle(few ? QCPScatterStyle(QCPScatterStyle::ssDisc, 5)
                                     : QCPScatterStyle(QCPScatterStyle::ssDisc, 2.5));
  m_satGraph->setScatterStyle(few ? QCPScatterStyle(QCPScatterStyle::ssCross, 5)
                                  : QCPScatterStyle(QCPScatterStyle::ssDisc, 2.5));

  m_partsPlot->legend->clearItems();
  if (n) {
    m_metricGraph->addToLegend();
    m_satGraph->addToLegend();
    m_partsPlot->xAxis->setRange(-0.5, static_cast<double>(n) - 0.5);
    if (std::isfinite(lo)) {
      const double pad = hi > lo ? 0.05 * (hi - lo) : std::max(1e-12, 0.05 * std::fabs(hi));
      m_partsPlot->yAxis->setRange(m_metric == Metric::SqnrDb ? lo - pad : std::min(0.0, lo), hi + pad);
    }
    m_satRect->axis(QCPAxis::atLeft)->setRange(0, std::max(1.0, satTop * 1.1));
    QStringList notes;
    notes << countedNoun(qint64(n), tr("part"), tr("parts"));
    if (!std::isnan(worst))
      notes << tr("worst %1 %2 (part %3)")
                   .arg(m_metric == Metric::SqnrDb ? tr("SQNR") : m_metric == Metric::Mse ? tr("MSE") : tr("max |error|"))
                   .arg(m_metric == Metric::SqnrDb ? QString::number(worst, 'f', 2) + tr(" dB") : QString::number(worst, 'g', 4))
                   .arg(worstPart);
    if (nonFinite)
      notes << (m_metric == Metric::SqnrDb
                    ? tr("%1 with infinite SQNR (exact or all-zero), not drawn").arg(partsText(nonFinite))
                    : tr("%1 with an infinite error, not drawn").arg(partsText(nonFinite)));
    notes << (saturatingParts == 1 ? tr("1 part saturates") : tr("%1 parts saturate").arg(saturatingParts));
    m_note->setText(notes.join(QStringLiteral(" · ")));
  }
  m_partsPlot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace quench::widgets
