#include "widgets/training_curves_view.h"

#include <QEvent>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

#include "core/train/trainer.h"
#include "widgets/classroom_style.h"
#include "widgets/plot_style.h"

namespace quench::widgets {
namespace {

// Run colours in Okabe–Ito order (yellow last: faint on white).
QColor runColor(int run) {
  static const QColor colors[] = {okabeIto::kBlue,          okabeIto::kVermilion, okabeIto::kBluishGreen,
                                  okabeIto::kOrange,        okabeIto::kReddishPurple, okabeIto::kSkyBlue,
                                  okabeIto::kYellow};
  return colors[run % int(std::size(colors))];
}

// A panel's name on its top axis (no ticks, no line): the panel titles stay outside the data.
void setPanelTitle(QCPAxisRect& rect, const QString& text) {
  QCPAxis* top = rect.axis(QCPAxis::atTop);
  top->setVisible(true);
  top->setTicks(false);
  top->setTickLabels(false);
  top->setBasePen(Qt::NoPen);
  top->setLabel(text);
}

// Ticks of the log perplexity axis: 1, 2, 5 × 10^k when the range spans a factor of 3 or more
// (20, 50, 100, 200, 500 for a student that starts at 800 and ends near its teacher's 39); plain
// evenly spaced ticks over a narrower range (35, 40, …, 55 for QAT), which read the same.
void setPerplexityTicks(QCPAxis& y) {
  const QCPRange r = y.range();
  if (!(r.lower > 0) || r.upper / r.lower < 3) {
    if (y.ticker().dynamicCast<QCPAxisTickerText>()) y.setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    return;
  }
  QSharedPointer<QCPAxisTickerText> t(new QCPAxisTickerText);
  for (double decade = std::pow(10.0, std::floor(std::log10(r.lower))); decade <= r.upper; decade *= 10)
    for (double m : {1.0, 2.0, 5.0})
      if (m * decade >= r.lower && m * decade <= r.upper) t->addTick(m * decade, QString::number(m * decade, 'g', 6));
  y.setTicker(t);
}

}  // namespace

TrainingCurvesView::TrainingCurvesView(QWidget* parent) : QWidget(parent) {
  m_plot = new QCustomPlot(this);
  m_plot->setMinimumHeight(320);
  // Layout: title / 2 × 2 panels / legend. The default axis rect becomes the first panel, its
  // legend moves below the panels.
  QCPAxisRect* first = m_plot->axisRect();
  m_plot->plotLayout()->take(first);
  auto* grid = new QCPLayoutGrid;
  m_plot->plotLayout()->addElement(0, 0, grid);
  m_rects[kLoss] = first;
  for (int p = 1; p < kPanelCount; ++p) m_rects[p] = new QCPAxisRect(m_plot);
  auto* leftColumn = new QCPMarginGroup(m_plot);
  auto* rightColumn = new QCPMarginGroup(m_plot);
  for (int p = 0; p < kPanelCount; ++p) {
    grid->addElement(p / 2, p % 2, m_rects[p]);
    m_rects[p]->setMarginGroup(QCP::msLeft | QCP::msRight, p % 2 == 0 ? leftColumn : rightColumn);
    m_rects[p]->axis(QCPAxis::atBottom)->setLabel(tr("training step"));
  }
  grid->setColumnSpacing(12);
  grid->setRowSpacing(6);
  m_title = new QCPTextElement(m_plot, QString(), QFont(font().family(), font().pointSize() + 2, QFont::Bold));
  m_plot->plotLayout()->insertRow(0);
  m_plot->plotLayout()->addElement(0, 0, m_title);
  m_plot->legend->setVisible(true);
  m_plot->plotLayout()->addElement(2, 0, m_plot->legend);
  m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_plot->plotLayout()->setRowStretchFactor(0, 0.001);
  m_plot->plotLayout()->setRowStretchFactor(2, 0.001);

  setPanelTitle(*m_rects[kLoss], tr("Training loss (§16 loss, mean since the last point)"));
  m_rects[kLoss]->axis(QCPAxis::atLeft)->setLabel(tr("loss (nats/token)"));
  m_rects[kKl]->axis(QCPAxis::atLeft)->setLabel(tr("KL (nats/token)"));
  setPanelTitle(*m_rects[kPerplexity], tr("Held-out perplexity"));
  m_rects[kPerplexity]->axis(QCPAxis::atLeft)->setLabel(tr("perplexity (log scale)"));
  m_rects[kPerplexity]->axis(QCPAxis::atLeft)->setScaleType(QCPAxis::stLogarithmic);
  m_rects[kTop1]->axis(QCPAxis::atLeft)->setLabel(tr("fraction of positions"));

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_plot, 1);
  clear(tr("Press Start to train"));
}

QCPGraph* TrainingCurvesView::graph(Panel panel, int run) const {
  if (panel < 0 || panel >= kPanelCount || run < 0 || run >= runCount()) return nullptr;
  return m_graphs[std::size_t(panel)][std::size_t(run)];
}

QString TrainingCurvesView::title() const { return m_title->text(); }

void TrainingCurvesView::clear(const QString& title) { setRuns({}, 1, m_referenceKind, title); }

void TrainingCurvesView::setRuns(const QStringList& labels, int steps, Reference reference, const QString& title) {
  m_plot->clearGraphs();
  m_graphs.assign(kPanelCount, {});
  m_labels = labels;
  m_referenceKind = reference;
  m_referencePpl = 0;
  m_steps = std::max(1, steps);
  const bool teacher = reference == Reference::Teacher;
  setPanelTitle(*m_rects[kKl], teacher ? tr("Held-out KL(teacher ‖ student) at T = 1")
                                       : tr("Held-out KL(original ‖ model) at T = 1"));
  setPanelTitle(*m_rects[kTop1], teacher ? tr("Top-1 agreement with the teacher")
                                         : tr("Top-1 agreement with the original"));
  // Legend entries left to right, all in one row when they fit (≤ 5 with the reference line), else
  // rows of 3 (set before the entries are added: the legend places each as it comes).
  m_plot->legend->setWrap(labels.size() + 1 <= 5 ? int(labels.size()) + 1 : 3);
  for (int p = 0; p < kPanelCount; ++p) {
    QCPAxisRect* r = m_rects[p];
    for (int run = 0; run < labels.size(); ++run) {
      QCPGraph* g = m_plot->addGraph(r->axis(QCPAxis::atBottom), r->axis(QCPAxis::atLeft));
      g->setName(labels[run]);
      // One legend entry per run (its colour is the same on every panel).
      if (p != kKl) g->removeFromLegend();
      m_graphs[std::size_t(p)].push_back(g);
    }
    r->axis(QCPAxis::atBottom)->setRange(0, m_steps);
  }
  m_reference = m_plot->addGraph(m_rects[kPerplexity]->axis(QCPAxis::atBottom),
                                 m_rects[kPerplexity]->axis(QCPAxis::atLeft));
  m_reference->setName(teacher ? tr("teacher's perplexity") : tr("original's perplexity"));
  m_reference->removeFromLegend();
  m_title->setText(title);
  m_rects[kLoss]->axis(QCPAxis::atLeft)->setRange(0, 1);
  m_rects[kKl]->axis(QCPAxis::atLeft)->setRange(0, 1);
  m_rects[kPerplexity]->axis(QCPAxis::atLeft)->setRange(10, 1000);
  m_rects[kTop1]->axis(QCPAxis::atLeft)->setRange(0, 1);
  applyStyle();
}

void TrainingCurvesView::setReferencePerplexity(double ppl) {
  m_referencePpl = ppl;
  updateReferenceLine();
  rescale();
}

void TrainingCurvesView::updateReferenceLine() {
  if (!m_reference) return;
  m_reference->data()->clear();
  if (!(m_referencePpl > 0) || !std::isfinite(m_referencePpl)) {
    m_reference->removeFromLegend();
    return;
  }
  m_reference->setData(QVector<double>{0, double(m_steps)}, QVector<double>{m_referencePpl, m_referencePpl}, true);
  if (!m_plot->legend->hasItemWithPlottable(m_reference)) m_reference->addToLegend();
}

void TrainingCurvesView::addPoint(int run, const train::CurvePoint& p) {
  if (run < 0 || run >= runCount()) return;
  const double step = p.step;
  if (std::isfinite(p.trainLoss)) graph(kLoss, run)->addData(step, p.trainLoss);
  graph(kKl, run)->addData(step, p.kl);
  graph(kPerplexity, run)->addData(step, p.ppl);
  graph(kTop1, run)->addData(step, p.top1);
  if (p.step > m_steps) {  // more steps than announced: the x range follows
    m_steps = p.step;
    for (QCPAxisRect* r : m_rects) r->axis(QCPAxis::atBottom)->setRange(0, m_steps);
    updateReferenceLine();
  }
  rescale();
}

void TrainingCurvesView::rescale() {
  // Each value axis covers every curve (and the reference line), with a margin; the loss and KL
  // panels start at 0, the top-1 panel spans [0, 1] at least partly.
  for (int p = 0; p < kPanelCount; ++p) {
    double lo = INFINITY, hi = -INFINITY;
    auto take = [&](const QCPGraph* g) {
      for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it)
        if (std::isfinite(it->value) && (p != kPerplexity || it->value > 0)) {
          lo = std::min(lo, it->value);
          hi = std::max(hi, it->value);
        }
    };
    for (const QCPGraph* g : m_graphs[std::size_t(p)]) take(g);
    if (p == kPerplexity && m_reference) take(m_reference);
    if (!(lo <= hi)) continue;
    QCPAxis* y = m_rects[p]->axis(QCPAxis::atLeft);
    if (p == kPerplexity) {
      y->setRange(lo / 1.15, hi * 1.15);
      setPerplexityTicks(*y);
    } else if (p == kTop1) {
      y->setRange(0, std::min(1.0, std::max(hi * 1.1, 0.1)));
    } else {
      y->setRange(0, hi > 0 ? hi * 1.08 : 1.0);
    }
  }
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void TrainingCurvesView::setPresentation(bool on) {
  if (m_presentation == on) return;
  m_presentation = on;
  applyStyle();
}

void TrainingCurvesView::applyStyle() {
  const double scale = m_presentation ? kPresentationScale : 1.0;
  const QFont base = QWidget::font();
  applyClassroomPlotStyle(*m_plot, *m_title, palette(), base, scale);
  // applyClassroomPlotStyle sizes the first panel's axes; the others the same way.
  for (QCPAxisRect* r : m_rects)
    for (QCPAxis* axis : r->axes()) {
      axis->setLabelFont(scaledFont(base, scale));
      axis->setTickLabelFont(scaledFont(base, scale * 0.92));
      if (axis->axisType() == QCPAxis::atTop) {
        axis->setLabelFont(scaledFont(base, scale, true));
        axis->setBasePen(Qt::NoPen);
        continue;
      }
      QPen thick = axis->basePen();
      thick.setWidthF(m_presentation ? 2.0 : 1.0);
      axis->setBasePen(thick);
      axis->setTickPen(thick);
    }
  // Room on the right for the last step's tick label, which is centred on the panel's edge.
  for (QCPAxisRect* r : m_rects) r->setMinimumMargins(QMargins(0, 0, int(std::ceil(22 * scale)), 0));
  const double w = m_presentation ? 3.5 : 2.0;
  for (int p = 0; p < kPanelCount; ++p)
    for (int run = 0; run < runCount(); ++run) {
      QCPGraph* g = m_graphs[std::size_t(p)][std::size_t(run)];
      const QColor c = runColor(run);
      g->setPen(QPen(c, w));
      g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, c, m_presentation ? 7 : 4));
    }
  if (m_reference) m_reference->setPen(QPen(neutralColor(palette()), m_presentation ? 2.5 : 1.5, Qt::DashLine));
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void TrainingCurvesView::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange) applyStyle();
}

}  // namespace quench::widgets
