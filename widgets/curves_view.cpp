#include "widgets/curves_view.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolTip>
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
// Series colours and markers in order: Okabe–Ito accents, then black; each family also gets
// its own marker shape so the curves stay apart in greyscale print.
const QColor& seriesColor(int i) {
  static const QColor colors[] = {okabeIto::kBlue,  okabeIto::kOrange,        okabeIto::kBluishGreen,
                                  okabeIto::kVermilion, okabeIto::kReddishPurple, okabeIto::kSkyBlue,
                                  okabeIto::kBlack};
  return colors[i % 7];
}
QCPScatterStyle::ScatterShape seriesShape(int i) {
  static const QCPScatterStyle::ScatterShape shapes[] = {
      QCPScatterStyle::ssCircle, QCPScatterStyle::ssSquare, QCPScatterStyle::ssTriangle, QCPScatterStyle::ssDiamond,
      QCPScatterStyle::ssTriangleInverted, QCPScatterStyle::ssCross, QCPScatterStyle::ssStar};
  return shapes[i % 7];
}
constexpr double kHoverPixels = 10.0;
}  // namespace

CurvePoint CurvePoint::fromEvaluation(const QString& label, const eval::RecipeEvaluation& e, int index) {
  CurvePoint p;
  bool numeric = false;
  const double v = label.toDouble(&numeric);
  p.x = numeric && std::isfinite(v) ? v : double(index);
  p.label = label;
  p.bitsPerParam = e.bitsPerParam;
  p.klMean = e.summary.klMean;
  p.jsMean = e.summary.jsMean;
  p.klP99 = e.summary.klP99;
  p.top1Disagreement = 1.0 - e.summary.top1Agreement;
  return p;
}

double CurvesView::value(const CurvePoint& p, Quantity q) {
  switch (q) {
    case Quantity::KlMean: return p.klMean;
    case Quantity::JsMean: return p.jsMean;
    case Quantity::KlP99: return p.klP99;
    case Quantity::Top1Disagreement: return p.top1Disagreement;
  }
  return p.klMean;
}

QString CurvesView::quantityLabel(Quantity q) {
  switch (q) {
    case Quantity::KlMean: return tr("mean KL(P‖Q) (nats/token)");
    case Quantity::JsMean: return tr("mean JS (nats/token)");
    case Quantity::KlP99: return tr("p99 KL (nats/token)");
    case Quantity::Top1Disagreement: return tr("top-1 disagreement (fraction of positions)");
  }
  return {};
}

CurvesView::CurvesView(QWidget* parent)
    : QWidget(parent),
      m_quantityBox(new QComboBox(this)),
      m_xBox(new QComboBox(this)),
      m_logBox(new QCheckBox(tr("log y"), this)),
      m_logXBox(new QCheckBox(tr("log x"), this)),
      m_plot(new QCustomPlot(this)) {
  m_quantityBox->setObjectName(QStringLiteral("curveQuantity"));
  for (Quantity q : {Quantity::KlMean, Quantity::JsMean, Quantity::KlP99, Quantity::Top1Disagreement})
    m_quantityBox->addItem(quantityLabel(q), int(q));
  m_quantityBox->setToolTip(tr("The divergence figure on the y axis (MATH.md §9)"));
  m_xBox->setObjectName(QStringLiteral("curveX"));
  m_xBox->addItem(tr("swept setting"), int(XAxis::Setting));
  m_xBox->addItem(tr("bits per parameter"), int(XAxis::BitsPerParam));
  m_xBox->setToolTip(tr("Against the swept setting, or against the storage it costs"));
  m_logBox->setObjectName(QStringLiteral("curveLogY"));
  m_logBox->setToolTip(tr("Logarithmic y axis (divergences span orders of magnitude)"));
  m_logXBox->setObjectName(QStringLiteral("curveLogX"));
  m_logXBox->setToolTip(tr("Logarithmic x axis (block and group sizes double from point to point)"));

  m_plot->setObjectName(QStringLiteral("curvesPlot"));
  m_plot->setMinimumSize(360, 260);
  m_plot->plotLayout()->insertRow(0);
  m_title = new QCPTextElement(m_plot, tr("Divergence curves"),
                               QFont(font().family(), font().pointSize() + 2, QFont::Bold));
  m_plot->plotLayout()->addElement(0, 0, m_title);
  m_plot->legend->setVisible(true);
  m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
  m_plot->setInteractions(QCP::iRangeZoom | QCP::iRangeDrag);
  m_plot->setMouseTracking(true);
#ifdef QUENCH_HAVE_EXPORT_MENU
  installExportMenu(m_plot, QStringLiteral("divergence-curves.png"));
#endif

  connect(m_quantityBox, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int i) { setQuantity(Quantity(m_quantityBox->itemData(i).toInt())); });
  connect(m_xBox, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int i) { setXAxis(XAxis(m_xBox->itemData(i).toInt())); });
  connect(m_logBox, &QCheckBox::toggled, this, &CurvesView::setLogY);
  connect(m_logXBox, &QCheckBox::toggled, this, &CurvesView::setLogX);
  connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
    const QPointF at = event->position();
    double best = kHoverPixels;
    QString tip;
    for (const Series& s : m_series)
      for (const CurvePoint& p : s.points) {
        const double x = m_xAxis == XAxis::Setting ? p.x : p.bitsPerParam;
        const double y = value(p, m_quantity);
        const double d = std::hypot(m_plot->xAxis->coordToPixel(x) - at.x(), m_plot->yAxis->coordToPixel(y) - at.y());
        if (d < best) {
          best = d;
          tip = tr("%1, %2 = %3\nbits/param %4\nmean KL %5 · JS %6\np99 KL %7 · top-1 disagreement %8")
                    .arg(s.family, m_setting, p.label)
                    .arg(p.bitsPerParam, 0, 'g', 5)
                    .arg(p.klMean, 0, 'g', 4)
                    .arg(p.jsMean, 0, 'g', 4)
                    .arg(p.klP99, 0, 'g', 4)
                    .arg(p.top1Disagreement, 0, 'g', 4);
        }
      }
    if (tip.isEmpty())
      QToolTip::hideText();
    else
      QToolTip::showText(m_plot->mapToGlobal(at.toPoint()), tip, m_plot);
  });

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("y:"), this));
  controls->addWidget(m_quantityBox);
  controls->addSpacing(12);
  controls->addWidget(new QLabel(tr("x:"), this));
  controls->addWidget(m_xBox);
  controls->addSpacing(12);
  controls->addWidget(m_logBox);
  controls->addWidget(m_logXBox);
  controls->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(controls);
  layout->addWidget(m_plot, 1);
  applyStyle();
  refresh();
}

void CurvesView::applyStyle() {
  applyPlotStyle(*m_plot, palette());
  m_title->setTextColor(neutralColor(palette()));
  m_plot->legend->setBrush(palette().color(QPalette::Base));
  m_plot->legend->setTextColor(neutralColor(palette()));
  m_plot->legend->setBorderPen(QPen(palette().color(QPalette::Mid)));
}

QString CurvesView::title() const { return m_title->text(); }

void CurvesView::setSetting(const QString& settingName, const QString& title) {
  m_setting = settingName;
  m_title->setText(title);
  refresh();
}

int CurvesView::addSeries(const QString& family) {
  const int i = int(m_series.size());
  Series s;
  s.family = family;
  s.graph = m_plot->addGraph();
  s.graph->setName(family);
  s.graph->setPen(QPen(seriesColor(i), 2));
  s.graph->setScatterStyle(QCPScatterStyle(seriesShape(i), seriesColor(i), palette().color(QPalette::Base), 8));
  m_series.push_back(std::move(s));
  refresh();
  return i;
}

void CurvesView::appendPoint(int series, const CurvePoint& point) {
  if (series < 0 || std::size_t(series) >= m_series.size()) return;
  m_series[std::size_t(series)].points.push_back(point);
  refresh();
}

void CurvesView::clear() {
  m_plot->clearGraphs();
  m_series.clear();
  refresh();
}

void CurvesView::setQuantity(Quantity q) {
  m_quantity = q;
  m_quantityBox->blockSignals(true);
  m_quantityBox->setCurrentIndex(m_quantityBox->findData(int(q)));
  m_quantityBox->blockSignals(false);
  refresh();
}

void CurvesView::setXAxis(XAxis x) {
  m_xAxis = x;
  m_xBox->blockSignals(true);
  m_xBox->setCurrentIndex(m_xBox->findData(int(x)));
  m_xBox->blockSignals(false);
  refresh();
}

void CurvesView::setLogY(bool on) {
  m_logY = on;
  m_logBox->blockSignals(true);
  m_logBox->setChecked(on);
  m_logBox->blockSignals(false);
  refresh();
}

void CurvesView::setLogX(bool on) {
  m_logX = on;
  m_logXBox->blockSignals(true);
  m_logXBox->setChecked(on);
  m_logXBox->blockSignals(false);
  refresh();
}

void CurvesView::refresh() {
  // Non-numeric settings (e.g. a float format) are placed at their index and named by ticks.
  bool categorical = false;
  for (const Series& s : m_series)
    for (const CurvePoint& p : s.points) {
      bool ok = false;
      p.label.toDouble(&ok);
      categorical = categorical || !ok;
    }
  // A category axis is not made logarithmic.
  const bool logX = m_logX && !(categorical && m_xAxis == XAxis::Setting);
  double xlo = HUGE_VAL, xhi = -HUGE_VAL, ylo = HUGE_VAL, yhi = -HUGE_VAL;
  auto textTicker = QSharedPointer<QCPAxisTickerText>::create();
  for (const Series& s : m_series) {
    QVector<double> xs, ys;
    std::vector<std::pair<double, double>> xy;
    for (const CurvePoint& p : s.points) {
      const double x = m_xAxis == XAxis::Setting ? p.x : p.bitsPerParam;
      const double y = value(p, m_quantity);
      if (!std::isfinite(x) || !std::isfinite(y) || (m_logY && y <= 0) || (logX && x <= 0)) continue;
      xy.emplace_back(x, y);
      xlo = std::min(xlo, x);
      xhi = std::max(xhi, x);
      ylo = std::min(ylo, y);
      yhi = std::max(yhi, y);
      if (categorical && m_xAxis == XAxis::Setting) textTicker->addTick(x, p.label);
    }
    std::sort(xy.begin(), xy.end());
    for (const auto& [x, y] : xy) {
      xs << x;
      ys << y;
    }
    s.graph->setData(xs, ys, true);
  }
  m_plot->xAxis->setScaleType(logX ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  if (categorical && m_xAxis == XAxis::Setting) {
    m_plot->xAxis->setTicker(textTicker);
  } else if (logX) {
    // Ticks at the values swept (16, 32, 64, ...) read better than powers of ten.
    auto log = QSharedPointer<QCPAxisTickerLog>::create();
    log->setLogBase(2);
    m_plot->xAxis->setTicker(log);
  } else {
    m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
  }
  m_plot->xAxis->setNumberFormat(QStringLiteral("g"));
  m_plot->xAxis->setLabel(m_xAxis == XAxis::Setting ? m_setting : tr("bits per parameter"));
  m_plot->yAxis->setLabel(quantityLabel(m_quantity) + (m_logY ? tr(", log") : QString()));
  if (m_logY) {
    m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
    m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    m_plot->yAxis->setNumberFormat(QStringLiteral("g"));
    m_plot->yAxis->setNumberPrecision(3);
  } else {
    m_plot->yAxis->setScaleType(QCPAxis::stLinear);
    m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    m_plot->yAxis->setNumberFormat(QStringLiteral("g"));
    m_plot->yAxis->setNumberPrecision(6);
  }
  if (xlo > xhi) {  // no point yet
    m_plot->xAxis->setRange(0, 1);
    m_plot->yAxis->setRange(m_logY ? 1e-4 : 0, 1);
  } else {
    if (logX) {
      const double f = xhi > xlo ? std::pow(xhi / xlo, 0.06) : 1.5;
      m_plot->xAxis->setRange(xlo / f, xhi * f);
    } else {
      const double xpad = xhi > xlo ? 0.06 * (xhi - xlo) : 0.5;
      m_plot->xAxis->setRange(xlo - xpad, xhi + xpad);
    }
    if (m_logY)
      m_plot->yAxis->setRange(ylo / 1.6, yhi * 1.6);
    else
      m_plot->yAxis->setRange(std::min(0.0, ylo), yhi > 0 ? yhi * 1.1 : 1.0);
  }
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace quench::widgets
