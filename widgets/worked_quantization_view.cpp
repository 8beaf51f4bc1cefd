#include "widgets/worked_quantization_view.h"

#include <QEvent>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

#include "widgets/classroom_style.h"
#include "widgets/plot_style.h"

namespace quench::widgets {
namespace {

QTableWidgetItem* cell(const QString& text, bool number = true) {
  auto* it = new QTableWidgetItem(text);
  it->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
  it->setTextAlignment(Qt::AlignVCenter | (number ? Qt::AlignRight : Qt::AlignLeft));
  return it;
}

QString rangeText(const PartParams& p) {
  return QStringLiteral("[%1, %2]").arg(formatShortest(double(p.clipLow)), formatShortest(double(p.clipHigh)));
}

// " (tie ↑)"/" (tie ↓)" after round(x/s) when the rule had to break a tie; "in double" when the
// tie exists only in the double quotient, not in the typed values.
QString tieMarker(WorkedTie tie, double rounded, double xOverS) {
  if (tie == WorkedTie::None) return {};
  const QString dir = rounded > xOverS ? QStringLiteral("↑") : QStringLiteral("↓");
  return tie == WorkedTie::Exact ? QObject::tr("  (tie %1)").arg(dir) : QObject::tr("  (tie in double %1)").arg(dir);
}

}  // namespace

WorkedQuantizationView::WorkedQuantizationView(QWidget* parent) : PresentationView(parent) {
  m_message = new QLabel(this);
  m_message->setWordWrap(true);
  m_message->setVisible(false);

  m_steps = new QTableWidget(0, kColumnCount, this);
  m_steps->setHorizontalHeaderLabels({tr("i"), tr("part"), tr("x"), tr("x / s"), tr("round(x / s)"), tr("+ b"),
                                      tr("code n\n= clip[L, U]"), QStringLiteral("x̃ = s(n − b)"),
                                      QStringLiteral("error x̃ − x"), tr("saturated?")});
  m_steps->verticalHeader()->setVisible(false);
  m_steps->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_steps->setToolTip(tr("MATH.md §2: n = clip_[L,U](round(x/s) + b), x̃ = s·(n − b). An element is saturated "
                         "when round(x/s) + b lies outside [L, U] before clipping."));

  m_totals = new QTableWidget(0, 8, this);
  m_totals->setHorizontalHeaderLabels({tr("part"), tr("elements"), tr("s"), tr("b"), tr("[L, U]"), tr("MSE"),
                                       tr("max |error|"), tr("saturated")});
  m_totals->verticalHeader()->setVisible(false);
  m_totals->setEditTriggers(QAbstractItemView::NoEditTriggers);

  m_plot = new QCustomPlot(this);
  m_plot->setMinimumHeight(220);
  m_title = new QCPTextElement(m_plot, QString(), QFont(font().family(), font().pointSize() + 2, QFont::Bold));
  m_plot->plotLayout()->insertRow(0);
  m_plot->plotLayout()->addElement(0, 0, m_title);
  m_plot->xAxis->setLabel(tr("element index i"));
  m_plot->yAxis->setLabel(tr("value"));
  m_rangeCarrier = m_plot->addGraph();
  m_rangeCarrier->setLineStyle(QCPGraph::lsNone);
  m_rangeCarrier->removeFromLegend();
  m_range = new QCPErrorBars(m_plot->xAxis, m_plot->yAxis);
  m_range->setDataPlottable(m_rangeCarrier);
  m_range->setName(tr("clip range s(L − b) … s(U − b)"));
  m_original = m_plot->addGraph();
  m_original->setName(tr("x (original)"));
  m_original->setLineStyle(QCPGraph::lsNone);
  m_dequantized = m_plot->addGraph();
  m_dequantized->setName(QStringLiteral("x̃ = s(n − b)"));
  m_dequantized->setLineStyle(QCPGraph::lsNone);
  m_saturatedGraph = m_plot->addGraph();
  m_saturatedGraph->setName(tr("x̃ of a saturated element"));
  m_saturatedGraph->setLineStyle(QCPGraph::lsNone);
  m_plot->legend->setVisible(true);
  // The legend goes below the axes so it never hides a point.
  m_plot->plotLayout()->addElement(2, 0, m_plot->legend);
  m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_plot->legend->setWrap(2);
  m_plot->plotLayout()->setRowStretchFactor(2, 0.001);

  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(m_steps);
  split->addWidget(m_totals);
  split->addWidget(m_plot);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 1);
  split->setStretchFactor(2, 3);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_message);
  layout->addWidget(split, 1);
  applyStyle();
  clear(tr("Type a vector, a partition and s, b, L, U per part"));
}

void WorkedQuantizationView::setWorked(const WorkedQuantization& worked, const QString& title) {
  m_worked = worked;
  m_hasData = true;
  m_message->setVisible(false);
  m_title->setText(title);
  m_steps->setRowCount(int(worked.rows.size()));
  QColor satBg = okabeIto::kVermilion;
  satBg.setAlphaF(0.22);
  for (int r = 0; r < int(worked.rows.size()); ++r) {
    const WorkedRow& w = worked.rows[std::size_t(r)];
    const PartParams& p = worked.parts[w.part].params;
    m_steps->setItem(r, kIndex, cell(QString::number(w.index)));
    m_steps->setItem(r, kPart, cell(QString::number(w.part)));
    // Every number exactly as computed (MATH.md §2), so that the rounding decision can be read
    // off the x/s column: 1.15/0.1 is 11.499999999999998 in double and rounds to 11.
    m_steps->setItem(r, kX, cell(formatShortest(w.x)));
    m_steps->setItem(r, kXOverS, cell(formatShortest(w.xOverS)));
    auto* rounded = cell(formatShortest(w.rounded) + tieMarker(w.tie, w.rounded, w.xOverS));
    if (w.tie == WorkedTie::Exact)
      rounded->setToolTip(tr("A tie: x/s is exactly half-way between two integers; the rounding rule decides."));
    else if (w.tie == WorkedTie::FromDivision)
      rounded->setToolTip(tr("A tie in double only: the exact quotient of the typed values is not half-way, but "
                             "its nearest double is; the rounding rule decides on that double."));
    m_steps->setItem(r, kRounded, rounded);
    m_steps->setItem(r, kShifted, cell(formatShortest(w.shifted)));
    auto* code = cell(formatShortest(double(w.code)));
    code->setToolTip(tr("clip to [%1, %2]").arg(p.clipLow).arg(p.clipHigh));
    m_steps->setItem(r, kCode, code);
    m_steps->setItem(r, kDequantized, cell(formatShortest(w.dequantized)));
    m_steps->setItem(r, kError, cell(formatShortest(w.error)));
    auto* sat = cell(w.saturated ? (w.shifted > double(p.clipHigh) ? tr("yes (> U)") : tr("yes (< L)")) : tr("no"),
                     false);
    m_steps->setItem(r, kSaturated, sat);
    if (w.saturated)
      for (int c = 0; c < kColumnCount; ++c) m_steps->item(r, c)->setBackground(satBg);
  }
  m_totals->setRowCount(int(worked.parts.size()) + 1);
  for (int j = 0; j < int(worked.parts.size()); ++j) {
    const WorkedPart& p = worked.parts[std::size_t(j)];
    QStringList idx;
    for (auto i : p.indices) idx << QString::number(i);
    m_totals->setItem(j, 0, cell(QString::number(j)));
    m_totals->setItem(j, 1, cell(QStringLiteral("{%1}").arg(idx.join(QLatin1String(", "))), false));
    m_totals->setItem(j, 2, cell(formatShortest(p.params.scale)));
    m_totals->setItem(j, 3, cell(QString::number(p.params.zeroPoint)));
    m_totals->setItem(j, 4, cell(rangeText(p.params)));
    m_totals->setItem(j, 5, cell(formatShortest(p.mse)));
    m_totals->setItem(j, 6, cell(formatShortest(p.maxAbsError)));
    m_totals->setItem(j, 7, cell(QStringLiteral("%1 of %2").arg(p.saturated).arg(p.indices.size())));
  }
  const int last = int(worked.parts.size());
  m_totals->setItem(last, 0, cell(tr("all"), false));
  m_totals->setItem(last, 1, cell(QString::number(worked.rows.size())));
  for (int c = 2; c < 5; ++c) m_totals->setItem(last, c, cell(QString()));
  m_totals->setItem(last, 5, cell(formatShortest(worked.mse)));
  m_totals->setItem(last, 6, cell(formatShortest(worked.maxAbsError)));
  m_totals->setItem(last, 7, cell(QStringLiteral("%1 of %2").arg(worked.saturated).arg(worked.rows.size())));
  for (int c = 0; c < m_totals->columnCount(); ++c) {
    QFont f = m_totals->item(last, c)->font();
    f.setBold(true);
    m_totals->item(last, c)->setFont(f);
  }
  fillPlot();
  applyStyle();
}

void WorkedQuantizationView::clear(const QString& message) {
  m_hasData = false;
  m_worked = {};
  m_steps->setRowCount(0);
  m_totals->setRowCount(0);
  for (QCPGraph* g : {m_original, m_dequantized, m_saturatedGraph, m_rangeCarrier}) g->data()->clear();
  m_range->data()->clear();
  m_title->setText(message);
  m_message->setText(message);
  m_message->setVisible(!message.isEmpty());
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void WorkedQuantizationView::fillPlot() {
  QVector<double> keys, xs, deq, satKeys, satDeq, mid, half;
  double lo = 0, hi = 0;
  for (const WorkedRow& r : m_worked.rows) {
    const PartParams& p = m_worked.parts[r.part].params;
    const double k = double(r.index);
    keys << k;
    xs << double(r.x);
    if (r.saturated) {
      satKeys << k;
      satDeq << double(r.dequantized);
    } else {
      deq << double(r.dequantized);
    }
    const double a = p.scale * double(p.clipLow - p.zeroPoint), b = p.scale * double(p.clipHigh - p.zeroPoint);
    mid << 0.5 * (a + b);
    half << 0.5 * (b - a);
    lo = std::min({lo, double(r.x), double(r.dequantized)});
    hi = std::max({hi, double(r.x), double(r.dequantized)});
  }
  QVector<double> deqKeys;
  for (const WorkedRow& r : m_worked.rows)
    if (!r.saturated) deqKeys << double(r.index);
  m_original->setData(keys, xs, true);
  m_dequantized->setData(deqKeys, deq, true);
  m_saturatedGraph->setData(satKeys, satDeq, true);
  m_rangeCarrier->setData(keys, mid, true);
  m_range->setData(half);
  // The value axis covers the data; clip limits far outside it (a wide int8 grid next to a few
  // small values) are left to run off the plot rather than squash the points.
  const double span = std::max(hi - lo, 1e-12);
  double ylo = lo - 0.15 * span, yhi = hi + 0.15 * span;
  for (int i = 0; i < mid.size(); ++i) {
    const double a = mid[i] - half[i], b = mid[i] + half[i];
    if (a > lo - 1.5 * span) ylo = std::min(ylo, a - 0.05 * span);
    if (b < hi + 1.5 * span) yhi = std::max(yhi, b + 0.05 * span);
  }
  m_plot->yAxis->setRange(ylo, yhi);
  m_plot->xAxis->setRange(-0.6, std::max(0.6, double(keys.size()) - 0.4));
  setIntegerTicks(*m_plot->xAxis);
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void WorkedQuantizationView::applyStyle() {
  stylePlot(*m_plot, *m_title);
  const double w = pick(1.5, 2.5);
  const double size = pick(9, 14);
  m_original->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(neutralColor(palette()), w), Qt::NoBrush, size));
  m_dequantized->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCross, QPen(okabeIto::kBlue, w + 0.5), Qt::NoBrush, size));
  m_saturatedGraph->setScatterStyle(
      QCPScatterStyle(QCPScatterStyle::ssCross, QPen(okabeIto::kVermilion, w + 0.5), Qt::NoBrush, size));
  m_range->setPen(QPen(okabeIto::kOrange, w));
  m_range->setWhiskerWidth(pick(12, 18));
  styleNote(*m_message);
  styleTable(*m_steps);
  styleTable(*m_totals);
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QString WorkedQuantizationView::stepText(int row, int column) const { return cellText(*m_steps, row, column); }
QString WorkedQuantizationView::totalsText(int row, int column) const { return cellText(*m_totals, row, column); }
int WorkedQuantizationView::stepRows() const { return m_steps->rowCount(); }
int WorkedQuantizationView::totalsRows() const { return m_totals->rowCount(); }
TextTable WorkedQuantizationView::stepTable() const { return tableFromWidget(*m_steps); }
TextTable WorkedQuantizationView::totalsTable() const { return tableFromWidget(*m_totals); }
QString WorkedQuantizationView::title() const { return m_title->text(); }
QString WorkedQuantizationView::message() const { return m_message->isHidden() ? QString() : m_message->text(); }

}  // namespace quench::widgets
