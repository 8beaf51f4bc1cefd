#include "widgets/histogram_view.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "widgets/plot_export_menu.h"
#include "widgets/plot_style.h"
#include "widgets/text_format.h"

namespace quench::widgets {

namespace {

QString ordinal(int k) {
  const int mod100 = k % 100, mod10 = k % 10;
  const char* suffix = (mod100 >= 11 && mod100 <= 13) ? "th" : mod10 == 1 ? "st" : mod10 == 2 ? "nd" : mod10 == 3 ? "rd" : "th";
  return QString::number(k) + QLatin1String(suffix);
}

bool hasCounts(const Histogram& h) { return !h.counts.empty(); }

std::uint64_t maxCount(const Histogram& h) {
  return h.counts.empty() ? 0 : *std::max_element(h.counts.begin(), h.counts.end());
}

QSharedPointer<QCPBarsDataContainer> barsOf(const Histogram& h) {
  auto data = QSharedPointer<QCPBarsDataContainer>::create();
  QVector<QCPBarsData> bins;
  bins.reserve(static_cast<int>(h.counts.size()));
  for (std::size_t i = 0; i < h.counts.size(); ++i)
    bins.append(QCPBarsData(h.binCenter(i), static_cast<double>(h.counts[i])));
  data->set(bins, /*alreadySorted=*/true);
  return data;
}

}  // namespace

HistogramView::HistogramView(QWidget* parent)
    : QWidget(parent),
      m_modeBox(new QComboBox(this)),
      m_logBox(new QCheckBox(tr("Log counts"), this)),
      m_partBox(new QSpinBox(this)),
      m_resetButton(new QToolButton(this)),
      m_note(new QLabel(this)),
      m_satLabel(new QLabel(this)),
      m_plot(new QCustomPlot(this)),
      m_zoomedLabel(new QLabel(tr("zoomed"), this)),
      m_hint(new QLabel(this)) {
  m_zoomedLabel->setObjectName(QStringLiteral("zoomedMarker"));
  m_zoomedLabel->setToolTip(tr("You zoomed or panned: new data keeps these ranges. Reset zoom (Ctrl+0) fits the data again."));
  m_zoomedLabel->setVisible(false);
  m_hint->setObjectName(QStringLiteral("firstStartHint"));
  m_hint->setWordWrap(true);
  m_hint->setText(tr("Open a tensor file (Ctrl+O) or the demo, then pick a tensor on the left. The bars are the "
                     "original weights, the blue line their reconstruction under the recipe on the right; "
                     "change bits or the partition there and watch the grid and the clipped (vermilion) mass."));
  m_modeBox->setObjectName(QStringLiteral("histogramMode"));
  m_modeBox->addItem(tr("Original + reconstruction"));
  m_modeBox->addItem(tr("Error x̃ − x"));
  m_modeBox->setToolTip(tr("Overlay the reconstruction x̃ on the original x, or show the error x̃ − x alone"));
  m_logBox->setObjectName(QStringLiteral("logCounts"));
  m_logBox->setToolTip(tr("Show counts on a logarithmic axis: the tails and outliers become visible"));
  m_partBox->setObjectName(QStringLiteral("partSelector"));
  m_partBox->setRange(-1, 0);
  m_partBox->setSpecialValueText(tr("whole tensor"));
  m_partBox->setPrefix(tr("part "));
  m_partBox->setKeyboardTracking(false);
  m_partBox->setToolTip(tr("Restrict the histogram to one part of the partition (each part has its own s, b and grid)"));
  m_partBox->setEnabled(false);
  m_resetButton->setText(tr("Reset zoom"));
  m_resetButton->setToolTip(tr("Fit the axes to the data (wheel zooms, dragging pans)"));
  m_note->setObjectName(QStringLiteral("outsideNote"));
  m_satLabel->setObjectName(QStringLiteral("saturationLabel"));
  // Long counts must not widen the view (issue 13: the window fits 1280×720): both labels give up
  // their width first; the legend and the tooltip keep the full text.
  for (QLabel* label : {m_satLabel, m_note}) label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  connect(m_modeBox, &QComboBox::currentIndexChanged, this,
          [this](int i) { setMode(i == 1 ? HistogramMode::Error : HistogramMode::Overlay); });
  connect(m_logBox, &QCheckBox::toggled, this, &HistogramView::setLogScale);
  connect(m_resetButton, &QToolButton::clicked, this, &HistogramView::resetZoom);
  connect(m_partBox, &QSpinBox::valueChanged, this, [this](int part) {
    if (!m_updatingPart) emit partRequested(part);
  });

  auto* controls = new QHBoxLayout;
  controls->addWidget(m_modeBox);
  controls->addWidget(m_logBox);
  controls->addWidget(m_partBox);
  controls->addWidget(m_resetButton);
  controls->addWidget(m_zoomedLabel);
  controls->addStretch(1);
  controls->addWidget(m_satLabel);
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
  // The legend gets its own row between the title and the axes, so it never covers a bar.
  m_plot->plotLayout()->insertRow(1);
  m_plot->legend->setVisible(true);
  m_plot->axisRect()->insetLayout()->take(m_plot->legend);
  m_plot->plotLayout()->addElement(1, 0, m_plot->legend);
  m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
  m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_plot->legend->setWrap(3);
  m_plot->legend->setBorderPen(Qt::NoPen);
  m_plot->legend->setBrush(Qt::NoBrush);
  m_plot->legend->setMargins(QMargins(4, 0, 4, 0));

  m_bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
  m_bars->setWidthType(QCPBars::wtPlotCoords);
  m_bars->setName(tr("original x"));
  m_satBars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
  m_satBars->setWidthType(QCPBars::wtPlotCoords);
  m_satBars->setName(tr("saturated"));
  m_recon = new QCPGraph(m_plot->xAxis, m_plot->yAxis);
  m_recon->setName(tr("reconstruction x̃"));
  m_recon->setLineStyle(QCPGraph::lsStepCenter);
  m_errorBars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
  m_errorBars->setWidthType(QCPBars::wtPlotCoords);
  m_errorBars->setName(tr("error x̃ − x"));
  m_gridLegend = new QCPGraph(m_plot->xAxis, m_plot->yAxis);
  m_gridLegend->setName(tr("grid levels"));
  m_clipLegend = new QCPGraph(m_plot->xAxis, m_plot->yAxis);
  m_clipLegend->setName(tr("clip lines"));
  m_clipLow = new QCPItemStraightLine(m_plot);
  m_clipHigh = new QCPItemStraightLine(m_plot);
  for (QCPItemStraightLine* line : {m_clipLow, m_clipHigh}) {
    line->setVisible(false);
    line->setSelectable(false);
    line->setLayer(QStringLiteral("overlay"));
  }
  connect(m_plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] { updateGrid(); });
  // Any range change we did not make ourselves is the user's (wheel zoom, drag pan).
  for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis})
    connect(axis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] {
      if (!m_fitting && m_hasData) setZoomed(true);
    });

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(controls);
  layout->addWidget(m_hint);
  layout->addWidget(m_plot, 1);
  installExportMenu(m_plot, QStringLiteral("histogram.png"));
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
  m_satBars->setBrush(okabeIto::kVermilion);
  m_satBars->setPen(Qt::NoPen);
  m_satBars->setAntialiased(false);
  m_satBars->setAntialiasedFill(false);
  QColor errorFill = okabeIto::kBlue;
  errorFill.setAlphaF(0.75);
  m_errorBars->setBrush(errorFill);
  m_errorBars->setPen(Qt::NoPen);
  m_errorBars->setAntialiased(false);
  m_errorBars->setAntialiasedFill(false);
  m_recon->setPen(QPen(okabeIto::kBlue, 1.5));
  QColor grid = okabeIto::kBluishGreen;
  grid.setAlphaF(0.6);
  const QPen gridPen(grid, 1);
  m_gridLegend->setPen(gridPen);
  for (QCPItemStraightLine* line : m_gridLines) line->setPen(gridPen);
  const QPen clipPen(okabeIto::kVermilion, 1.5, Qt::DashLine);
  m_clipLegend->setPen(clipPen);
  m_clipLow->setPen(clipPen);
  m_clipHigh->setPen(clipPen);
  m_title->setTextColor(neutralColor(palette()));
  m_plot->legend->setTextColor(neutralColor(palette()));
  m_satLabel->setStyleSheet(QStringLiteral("color: %1").arg(okabeIto::kVermilion.name()));
}

void HistogramView::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange) {
    applyStyle();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
  }
}

void HistogramView::setHistogram(const Histogram& histogram, const QString& title) {
  HistogramOverlayData data;
  data.tensorName = title;
  data.original = histogram;
  m_hasData = false;  // a new tensor: always fit the axes
  setZoomed(false);
  if (m_autoLog) applyLogScale(heavyTailed(histogram));
  setOverlay(data);
}

bool HistogramView::heavyTailed(const Histogram& h) {
  std::vector<std::uint64_t> occupied;
  for (std::uint64_t c : h.counts)
    if (c > 0) occupied.push_back(c);
  if (occupied.size() < 3) return false;
  const std::uint64_t peak = *std::max_element(occupied.begin(), occupied.end());
  auto mid = occupied.begin() + static_cast<std::ptrdiff_t>(occupied.size() / 2);
  std::nth_element(occupied.begin(), mid, occupied.end());
  // The median occupied bin below 1 % of the peak (integer form of median/peak < 0.01).
  return *mid * 100 < peak;
}

void HistogramView::setAutoLogScale(bool on) {
  m_autoLog = on;
  if (on && hasCounts(m_data.original)) applyLogScale(heavyTailed(m_data.original));
}

void HistogramView::setZoomed(bool zoomed) {
  m_zoomed = zoomed;
  m_zoomedLabel->setVisible(zoomed);
  m_resetButton->setEnabled(zoomed || !m_hasData);
}

void HistogramView::setOverlay(const HistogramOverlayData& data) {
  const bool sameView = m_hasData && data.tensorName == m_data.tensorName && data.part == m_data.part;
  m_data = data;
  m_hasData = hasCounts(data.original) || hasCounts(data.error);
  m_updatingPart = true;
  m_partBox->setRange(-1, std::max(0, data.partCount - 1));
  m_partBox->setValue(std::clamp(data.part, -1, std::max(0, data.partCount - 1)));
  m_partBox->setEnabled(data.partCount > 1);
  m_updatingPart = false;
  m_hint->setVisible(false);
  rebuild();
  updateOutsideNote();
  // Same tensor and part, zoomed by the user: keep the user's view. Anything else follows the data.
  if (sameView && m_zoomed) {
    m_plot->replot(QCustomPlot::rpQueuedReplot);
  } else {
    setZoomed(false);
    fitAxes();
  }
}

void HistogramView::clear(const QString& message) {
  m_hasData = false;
  m_data = HistogramOverlayData{};
  rebuild();
  m_title->setText(message.isEmpty() ? tr("Select a tensor to see its histogram") : message);
  m_note->clear();
  m_updatingPart = true;
  m_partBox->setRange(-1, 0);
  m_partBox->setValue(-1);
  m_partBox->setEnabled(false);
  m_updatingPart = false;
  resetZoom();
}

void HistogramView::setMode(HistogramMode mode) {
  if (mode == m_mode) return;
  m_mode = mode;
  m_modeBox->setCurrentIndex(mode == HistogramMode::Error ? 1 : 0);
  rebuild();
  resetZoom();
  emit modeChanged(mode);
}

QString HistogramView::saturationText() const {
  if (m_data.total == 0) return {};
  const double p = 100.0 * static_cast<double>(m_data.saturated) / static_cast<double>(m_data.total);
  return tr("saturated: %1 of %2 (%3 %)").arg(formatCount(qint64(m_data.saturated)), formatCount(qint64(m_data.total)), formatPercent(p));
}

QString HistogramView::gridNote() const {
  if (m_gridStride <= 1) return {};
  return tr("grid: every %1 of %2 levels shown").arg(ordinal(m_gridStride)).arg(m_data.levels.size());
}

void HistogramView::updateTitle() {
  QStringList parts;
  if (!m_data.tensorName.isEmpty()) parts << m_data.tensorName;
  if (!m_data.recipeLabel.isEmpty()) parts << m_data.recipeLabel;
  if (m_data.part >= 0) parts << tr("part %1 of %2").arg(m_data.part).arg(m_data.partCount);
  QString text = parts.join(QStringLiteral(" · "));
  if (m_mode == HistogramMode::Error && !text.isEmpty()) text = tr("error of %1").arg(text);
  m_title->setText(text);
  QString fileName = m_data.tensorName.isEmpty() ? QStringLiteral("histogram") : m_data.tensorName;
  if (m_data.part >= 0) fileName += QStringLiteral("-part%1").arg(m_data.part);
  setSuggestedFigureName(m_plot, (m_mode == HistogramMode::Error ? QStringLiteral("error-") : QStringLiteral("histogram-")) + fileName);
}

void HistogramView::rebuild() {
  const bool overlay = m_mode == HistogramMode::Overlay;
  const Histogram& orig = m_data.original;
  m_bars->setData(barsOf(orig));
  m_bars->setWidth(orig.binWidth());
  m_bars->setVisible(overlay);

  // Reconstruction: counts on the original's bins as a step line.
  auto recon = QSharedPointer<QCPGraphDataContainer>::create();
  if (hasCounts(m_data.reconstruction)) {
    QVector<QCPGraphData> pts;
    pts.reserve(static_cast<int>(m_data.reconstruction.counts.size()));
    for (std::size_t i = 0; i < m_data.reconstruction.counts.size(); ++i)
      pts.append(QCPGraphData(m_data.reconstruction.binCenter(i), static_cast<double>(m_data.reconstruction.counts[i])));
    recon->set(pts, /*alreadySorted=*/true);
  }
  m_recon->setData(recon);
  m_recon->setVisible(overlay && hasCounts(m_data.reconstruction));

  // Saturated mass: the original's bins whose centre lies beyond a clip line by more than half a
  // grid step, i.e. where round(x/s) + b falls outside [L, U]. Values within half a step of the
  // clip line round to the end level without clipping.
  const bool clips = std::isfinite(m_data.clipLow) && std::isfinite(m_data.clipHigh);
  auto sat = QSharedPointer<QCPBarsDataContainer>::create();
  if (clips && hasCounts(orig)) {
    const auto& lv = m_data.levels;
    const double lowHalf = lv.size() >= 2 ? 0.5 * (lv[1] - lv[0]) : 0.0;
    const double highHalf = lv.size() >= 2 ? 0.5 * (lv[lv.size() - 1] - lv[lv.size() - 2]) : 0.0;
    QVector<QCPBarsData> bins;
    for (std::size_t i = 0; i < orig.counts.size(); ++i) {
      const double c = orig.binCenter(i);
      if ((c < m_data.clipLow - lowHalf || c > m_data.clipHigh + highHalf) && orig.counts[i] > 0)
        bins.append(QCPBarsData(c, static_cast<double>(orig.counts[i])));
    }
    sat->set(bins, /*alreadySorted=*/true);
  }
  m_satBars->setData(sat);
  m_satBars->setWidth(orig.binWidth());
  m_satBars->setVisible(overlay && clips);
  m_satBars->setName(m_data.total ? saturationText() : tr("saturated"));
  m_satLabel->setText(m_data.total ? saturationText() : QString());
  m_satLabel->setToolTip(m_satLabel->text());

  m_errorBars->setData(barsOf(m_data.error));
  m_errorBars->setWidth(m_data.error.binWidth());
  m_errorBars->setVisible(!overlay);

  m_clipLow->setVisible(overlay && clips);
  m_clipHigh->setVisible(overlay && clips);
  if (clips) {
    m_clipLow->point1->setCoords(m_data.clipLow, 1);
    m_clipLow->point2->setCoords(m_data.clipLow, 2);
    m_clipHigh->point1->setCoords(m_data.clipHigh, 1);
    m_clipHigh->point2->setCoords(m_data.clipHigh, 2);
  }
  m_plot->xAxis->setLabel(overlay ? tr("weight value") : tr("error x̃ − x (weight units)"));
  updateTitle();
  updateGrid();
  updateLegend();
}

void HistogramView::updateGrid() {
  for (QCPItemStraightLine* line : m_gridLines) m_plot->removeItem(line);
  m_gridLines.clear();
  m_gridStride = 1;
  const auto& lv = m_data.levels;
  if (m_mode != HistogramMode::Overlay || lv.empty() || !m_hasData) {
    updateLegend();
    return;
  }
  // Only the levels in view become items (an int16 grid has 65,536 levels); more than
  // kMaxGridLines of them are thinned to every k-th level, counted from the lowest level so
  // that the drawn lines stay put while panning.
  const QCPRange range = m_plot->xAxis->range();
  const auto first = std::lower_bound(lv.begin(), lv.end(), range.lower);
  const auto last = std::upper_bound(lv.begin(), lv.end(), range.upper);
  const auto inView = static_cast<int>(last - first);
  m_gridStride = std::max(1, (inView + kMaxGridLines - 1) / kMaxGridLines);
  QColor color = okabeIto::kBluishGreen;
  color.setAlphaF(0.6);
  const QPen pen(color, 1);
  for (auto it = first; it != last; ++it) {
    const auto index = static_cast<int>(it - lv.begin());
    if (index % m_gridStride != 0) continue;
    auto* line = new QCPItemStraightLine(m_plot);
    line->setPen(pen);
    line->setSelectable(false);
    line->point1->setCoords(*it, 1);
    line->point2->setCoords(*it, 2);
    m_gridLines.push_back(line);
  }
  updateLegend();
}

void HistogramView::updateLegend() {
  const bool overlay = m_mode == HistogramMode::Overlay;
  const bool clips = std::isfinite(m_data.clipLow) && std::isfinite(m_data.clipHigh);
  m_plot->legend->clearItems();
  if (!m_hasData) return;
  if (overlay) {
    m_bars->addToLegend();
    if (hasCounts(m_data.reconstruction)) m_recon->addToLegend();
    if (!m_data.levels.empty()) {
      m_gridLegend->setName(m_gridStride > 1 ? tr("grid: every %1 of %2 levels").arg(ordinal(m_gridStride)).arg(m_data.levels.size())
                                             : tr("grid: %1 levels").arg(m_data.levels.size()));
      m_gridLegend->addToLegend();
    }
    if (clips) {
      m_clipLegend->setName(tr("clip lines s(L − b), s(U − b)"));
      m_clipLegend->addToLegend();
      m_satBars->addToLegend();
    }
  } else {
    m_errorBars->addToLegend();
  }
  QString note = gridNote();
  m_note->setToolTip(note);
}

void HistogramView::updateOutsideNote() {
  QStringList parts;
  const Histogram& h = m_mode == HistogramMode::Error ? m_data.error : m_data.original;
  if (h.below + h.above) parts << tr("%1 outside the range").arg(h.below + h.above);
  if (h.nan) parts << tr("%1 NaN").arg(h.nan);
  if (h.inf) parts << tr("%1 Inf").arg(h.inf);
  m_note->setText(parts.join(QStringLiteral(" · ")));
}

void HistogramView::setLogScale(bool log) {
  if (m_applyingLog) return;  // the echo of applyLogScale through the View menu's action
  m_autoLog = false;          // the user's (or the session's) choice from now on
  applyLogScale(log);
}

void HistogramView::applyLogScale(bool log) {
  if (log == m_log) return;
  m_log = log;
  {
    const QSignalBlocker block(m_logBox);
    m_logBox->setChecked(log);
  }
  updateValueAxis();
  fitAxes();
  m_applyingLog = true;
  emit logScaleChanged(log);
  m_applyingLog = false;
}

void HistogramView::updateValueAxis() {
  // A scale type change may move the range (a log axis drops a lower bound ≤ 0): not a user zoom.
  const bool wasFitting = m_fitting;
  m_fitting = true;
  struct Done {
    bool& f;
    bool was;
    ~Done() { f = was; }
  } done{m_fitting, wasFitting};
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
  setZoomed(false);
  fitAxes();
}

void HistogramView::fitAxes() {
  m_fitting = true;  // our own range changes, not the user's zoom
  struct Done {
    bool& f;
    ~Done() { f = false; }
  } done{m_fitting};
  const bool overlay = m_mode == HistogramMode::Overlay;
  const Histogram& main = overlay ? m_data.original : m_data.error;
  if (!m_hasData || main.counts.empty()) {
    m_plot->xAxis->setRange(-1, 1);
    m_plot->yAxis->setRange(m_log ? QCPRange(1, 10) : QCPRange(0, 1));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  double lo = main.lo, hi = main.hi;
  std::uint64_t top = maxCount(main);
  if (overlay) {
    if (hasCounts(m_data.reconstruction)) top = std::max(top, maxCount(m_data.reconstruction));
    // The clip lines stay in view even when no value reaches them (e.g. a hand-typed wide scale).
    if (std::isfinite(m_data.clipLow)) lo = std::min(lo, m_data.clipLow);
    if (std::isfinite(m_data.clipHigh)) hi = std::max(hi, m_data.clipHigh);
  }
  const double pad = 0.02 * (hi - lo);
  m_plot->xAxis->setRange(lo - pad, hi + pad);
  // Log axis: start just below a count of 1 so single-value bins stay visible.
  const double t = static_cast<double>(top);
  m_plot->yAxis->setRange(m_log ? QCPRange(0.5, std::max(10.0, t * 2.0)) : QCPRange(0, std::max(1.0, t * 1.05)));
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace quench::widgets
