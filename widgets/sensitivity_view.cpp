#include "widgets/sensitivity_view.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "widgets/plot_style.h"
#if __has_include("widgets/plot_export_menu.h")
#include "widgets/plot_export_menu.h"
#define QUENCH_HAVE_EXPORT_MENU 1
#endif

namespace quench::widgets {

namespace {
constexpr int kRowPixels = 22;     // height of one bar's row, so names stay readable
constexpr int kChromePixels = 110; // title, legend, axis label and margins
}  // namespace

int sensitivityGroup(const QString& tensor) {
  const QString n = tensor.toLower();
  if (n.contains(QLatin1String("attn")) || n.contains(QLatin1String("attention")) || n.contains(QLatin1String("q_proj")) ||
      n.contains(QLatin1String("k_proj")) || n.contains(QLatin1String("v_proj")) || n.contains(QLatin1String("o_proj")) ||
      n.contains(QLatin1String(".wq")) || n.contains(QLatin1String(".wk")) || n.contains(QLatin1String(".wv")) ||
      n.contains(QLatin1String(".wo")))
    return 0;
  if (n.contains(QLatin1String("ffn")) || n.contains(QLatin1String("mlp")) || n.contains(QLatin1String("feed_forward")) ||
      n.contains(QLatin1String("gate_proj")) || n.contains(QLatin1String("up_proj")) ||
      n.contains(QLatin1String("down_proj")))
    return 1;
  return 2;
}

SensitivityView::SensitivityView(QWidget* parent)
    : QWidget(parent),
      m_scroll(new QScrollArea(this)),
      m_plot(new QCustomPlot),
      m_logBox(new QCheckBox(tr("log axis"), this)),
      m_quantityBox(new QComboBox(this)) {
  m_plot->setObjectName(QStringLiteral("sensitivityPlot"));
  m_plot->plotLayout()->insertRow(0);
  m_title = new QCPTextElement(m_plot, tr("Per-tensor sensitivity"),
                               QFont(font().family(), font().pointSize() + 2, QFont::Bold));
  m_plot->plotLayout()->addElement(0, 0, m_title);
  m_plot->yAxis->setRangeReversed(true);  // the most sensitive tensor on top
  m_plot->yAxis->setSubTicks(false);
  m_plot->yAxis->setTickLength(0, 0);
  m_plot->yAxis->setLabel(tr("weight matrix (most sensitive first)"));
  m_plot->yAxis->grid()->setVisible(false);
  // The value axis on top too, so it stays in sight when the list is long.
  m_plot->xAxis2->setVisible(true);
  m_plot->xAxis2->setTickLabels(true);
  connect(m_plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), m_plot->xAxis2,
          qOverload<const QCPRange&>(&QCPAxis::setRange));
  const QString names[] = {tr("attention"), tr("feed-forward"), tr("embeddings and other")};
  for (const QString& name : names) {
    auto* b = new QCPBars(m_plot->yAxis, m_plot->xAxis);
    b->setName(name);
    b->setWidth(0.7);
    m_bars.push_back(b);
  }
  m_plot->legend->setVisible(true);
  m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  // Legend above the bars, under the title: it never covers one.
  m_plot->plotLayout()->insertRow(1);
  m_plot->plotLayout()->addElement(1, 0, m_plot->legend);
  m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
  m_plot->setToolTip(tr("Quantize one weight matrix at a time and measure the KL: tensors near the top "
                        "deserve more bits"));
#ifdef QUENCH_HAVE_EXPORT_MENU
  installExportMenu(m_plot, QStringLiteral("sensitivity.png"));
#endif

  m_scroll->setObjectName(QStringLiteral("sensitivityScroll"));
  m_scroll->setWidget(m_plot);
  m_scroll->setWidgetResizable(true);
  m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  m_logBox->setObjectName(QStringLiteral("sensitivityLog"));
  m_logBox->setToolTip(tr("Logarithmic value axis (sensitivities span orders of magnitude)"));
  connect(m_logBox, &QCheckBox::toggled, this, &SensitivityView::setLogScale);
  m_quantityBox->setObjectName(QStringLiteral("sensitivityQuantity"));
  for (Quantity q : {Quantity::KlMean, Quantity::JsMean, Quantity::KlP99, Quantity::Top1Disagreement})
    m_quantityBox->addItem(CurvesView::quantityLabel(q), int(q));
  m_quantityBox->setToolTip(tr("The divergence figure of each bar (MATH.md §9): the mean says how far the "
                               "typical token moves, p99 and top-1 disagreement how often a token changes"));
  connect(m_quantityBox, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int i) { setQuantity(Quantity(m_quantityBox->itemData(i).toInt())); });

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("bars:"), this));
  controls->addWidget(m_quantityBox);
  controls->addSpacing(12);
  controls->addWidget(m_logBox);
  controls->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(controls);
  layout->addWidget(m_scroll, 1);
  applyStyle();
  refresh();
}

void SensitivityView::applyStyle() {
  applyPlotStyle(*m_plot, palette());
  m_title->setTextColor(neutralColor(palette()));
  const QColor colors[] = {okabeIto::kSkyBlue, okabeIto::kOrange, okabeIto::kReddishPurple};
  const QColor edges[] = {okabeIto::kBlue, okabeIto::kVermilion, okabeIto::kReddishPurple.darker(130)};
  for (std::size_t g = 0; g < m_bars.size(); ++g) {
    m_bars[g]->setBrush(colors[g]);
    m_bars[g]->setPen(QPen(edges[g], 0.8));
  }
  m_plot->legend->setBrush(palette().color(QPalette::Base));
  m_plot->legend->setTextColor(neutralColor(palette()));
  m_plot->legend->setBorderPen(Qt::NoPen);
}

QString SensitivityView::title() const { return m_title->text(); }
QString SensitivityView::valueLabel(int i) const { return m_valueLabels.value(i); }

void SensitivityView::setTitle(const QString& title) {
  m_title->setText(title);
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void SensitivityView::setEntries(std::vector<Entry> entries) {
  m_entries = std::move(entries);
  refresh();
}

void SensitivityView::addEntry(const QString& tensor, const CurvePoint& figures) {
  m_entries.push_back({tensor, figures});
  refresh();
}

double SensitivityView::value(int i) const { return CurvesView::value(m_entries.at(std::size_t(i)).figures, m_quantity); }

void SensitivityView::setQuantity(Quantity q) {
  m_quantity = q;
  m_quantityBox->blockSignals(true);
  m_quantityBox->setCurrentIndex(m_quantityBox->findData(int(q)));
  m_quantityBox->blockSignals(false);
  refresh();
}

void SensitivityView::clear() {
  m_entries.clear();
  refresh();
}

void SensitivityView::setLogScale(bool on) {
  m_log = on;
  m_logBox->blockSignals(true);
  m_logBox->setChecked(on);
  m_logBox->blockSignals(false);
  refresh();
}

void SensitivityView::refresh() {
  // Largest first; NaN last; equal values by name so the order is stable.
  std::stable_sort(m_entries.begin(), m_entries.end(), [this](const Entry& a, const Entry& b) {
    const double va = CurvesView::value(a.figures, m_quantity), vb = CurvesView::value(b.figures, m_quantity);
    if (std::isnan(va) != std::isnan(vb)) return std::isnan(vb);
    if (va != vb) return va > vb;
    return a.tensor < b.tensor;
  });
  m_plot->xAxis->setLabel(tr("%1 with only this tensor quantized").arg(CurvesView::quantityLabel(m_quantity)));
  m_plot->clearItems();
  m_valueLabels.clear();
  QVector<double> keys[3], values[3];
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  double hi = 0, lo = HUGE_VAL;
  for (int i = 0; i < int(m_entries.size()); ++i) {
    const Entry& e = m_entries[std::size_t(i)];
    const double v = value(i);
    ticker->addTick(i, e.tensor);
    const int g = sensitivityGroup(e.tensor);
    keys[g] << i;
    values[g] << v;
    if (std::isfinite(v)) {
      hi = std::max(hi, v);
      if (v > 0) lo = std::min(lo, v);
    }
    m_valueLabels << (std::isinf(v) ? QStringLiteral("∞") : QString::number(v, 'g', 3));
  }
  for (int g = 0; g < 3; ++g) {
    m_bars[std::size_t(g)]->setData(keys[g], values[g], true);
    m_bars[std::size_t(g)]->setBaseValue(m_log && lo < HUGE_VAL ? lo / 4 : 0);
  }
  // Each value printed just right of its bar.
  for (int i = 0; i < int(m_entries.size()); ++i) {
    const double v = value(i);
    auto* label = new QCPItemText(m_plot);
    label->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    label->position->setCoords(std::isfinite(v) ? v : hi, i);
    label->setPadding(QMargins(4, 0, 0, 0));
    label->setText(m_valueLabels[i]);
    label->setColor(neutralColor(palette()));
    label->setClipToAxisRect(false);
  }
  m_plot->yAxis->setTicker(ticker);
  m_plot->yAxis->setRange(-0.6, std::max<double>(0.6, double(m_entries.size()) - 0.4));
  if (m_log && lo < HUGE_VAL) {
    m_plot->xAxis->setScaleType(QCPAxis::stLogarithmic);
    m_plot->xAxis2->setScaleType(QCPAxis::stLogarithmic);
    m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    m_plot->xAxis2->setTicker(m_plot->xAxis->ticker());
    m_plot->xAxis->setRange(lo / 4, hi * 8);  // room for the value labels
  } else {
    m_plot->xAxis->setScaleType(QCPAxis::stLinear);
    m_plot->xAxis2->setScaleType(QCPAxis::stLinear);
    m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    m_plot->xAxis2->setTicker(m_plot->xAxis->ticker());
    m_plot->xAxis->setRange(0, hi > 0 ? hi * 1.18 : 1.0);  // room for the value labels
  }
  // Tall enough for a readable row per tensor; the scroll area scrolls the rest.
  m_plot->setMinimumHeight(kChromePixels + kRowPixels * std::max<int>(4, int(m_entries.size())));
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace quench::widgets
