#include "widgets/divergence_calculator_view.h"

#include <QEvent>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <qcustomplot.h>

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

QString unitName(bool bits) { return bits ? QStringLiteral("bits") : QStringLiteral("nats"); }

// "q_2 = 0 where p_2 = 0.5" for each infinite term of KL(a‖b).
QString infiniteWhy(const KlTermList& kl, const std::vector<double>& a, const QString& an, const QString& bn) {
  QStringList parts;
  for (std::size_t i : kl.infinite)
    parts << QStringLiteral("%1<sub>%2</sub> = 0 where %3<sub>%2</sub> = %4 &gt; 0")
                 .arg(bn)
                 .arg(i + 1)
                 .arg(an)
                 .arg(formatReal(a[i]));
  return parts.join(QLatin1String(", "));
}

}  // namespace

DivergenceCalculatorView::DivergenceCalculatorView(QWidget* parent) : PresentationView(parent) {
  m_message = new QLabel(this);
  m_message->setWordWrap(true);
  m_message->setVisible(false);
  m_table = new QTableWidget(0, kColumnCount, this);
  m_table->verticalHeader()->setVisible(false);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_summary = new QLabel(this);
  m_summary->setWordWrap(true);
  m_summary->setTextFormat(Qt::RichText);
  m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

  m_plot = new QCustomPlot(this);
  m_plot->setMinimumHeight(220);
  m_title = new QCPTextElement(m_plot, QString(), QFont(font().family(), font().pointSize() + 2, QFont::Bold));
  m_plot->plotLayout()->insertRow(0);
  m_plot->plotLayout()->addElement(0, 0, m_title);
  m_plot->xAxis->setLabel(tr("outcome i"));
  m_plot->yAxis->setLabel(tr("probability"));
  m_plot->yAxis2->setVisible(true);
  m_pBars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
  m_pBars->setName(tr("p (P)"));
  m_qBars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
  m_qBars->setName(tr("q (Q)"));
  auto* group = new QCPBarsGroup(m_plot);
  m_pBars->setBarsGroup(group);
  m_qBars->setBarsGroup(group);
  m_pBars->setWidth(0.35);
  m_qBars->setWidth(0.35);
  m_klTerms = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis2);
  m_klTerms->setLineStyle(QCPGraph::lsNone);
  m_plot->legend->setVisible(true);
  m_plot->plotLayout()->addElement(2, 0, m_plot->legend);
  m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_plot->plotLayout()->setRowStretchFactor(2, 0.001);

  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(m_table);
  split->addWidget(m_plot);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_message);
  layout->addWidget(m_summary);
  layout->addWidget(split, 1);
  applyStyle();
  clear(tr("Type two probability vectors p and q"));
}

void DivergenceCalculatorView::setTerms(const PmfTerms& t, const QString& title) {
  m_terms = t;
  m_message->setVisible(false);
  m_title->setText(title);
  const QString u = unitName(t.bits);
  const QString ln = t.bits ? QStringLiteral("log₂") : QStringLiteral("ln");
  m_table->setHorizontalHeaderLabels({tr("i"), QStringLiteral("p_i"), QStringLiteral("q_i"),
                                      QStringLiteral("p %1(p/q)").arg(ln), QStringLiteral("q %1(q/p)").arg(ln),
                                      QStringLiteral("m_i = ½(p+q)"), QStringLiteral("p %1(p/m)").arg(ln),
                                      QStringLiteral("q %1(q/m)").arg(ln)});
  const int n = int(t.p.size());
  m_table->setRowCount(n + 1);
  for (int i = 0; i < n; ++i) {
    const auto k = std::size_t(i);
    m_table->setItem(i, kOutcome, cell(QString::number(i + 1)));
    m_table->setItem(i, kP, cell(formatReal(t.p[k], 8)));
    m_table->setItem(i, kQ, cell(formatReal(t.q[k], 8)));
    m_table->setItem(i, kKlTerm, cell(formatReal(t.kl.terms[k], 6)));
    m_table->setItem(i, kKlReverseTerm, cell(formatReal(t.klReverse.terms[k], 6)));
    m_table->setItem(i, kM, cell(formatReal(t.m[k], 8)));
    m_table->setItem(i, kPmTerm, cell(formatReal(t.pm.terms[k], 6)));
    m_table->setItem(i, kQmTerm, cell(formatReal(t.qm.terms[k], 6)));
    QColor inf = okabeIto::kVermilion;
    inf.setAlphaF(0.25);
    if (std::isinf(t.kl.terms[k])) m_table->item(i, kKlTerm)->setBackground(inf);
    if (std::isinf(t.klReverse.terms[k])) m_table->item(i, kKlReverseTerm)->setBackground(inf);
  }
  m_table->setItem(n, kOutcome, cell(QStringLiteral("Σ"), false));
  m_table->setItem(n, kP, cell(QStringLiteral("1")));
  m_table->setItem(n, kQ, cell(QStringLiteral("1")));
  m_table->setItem(n, kKlTerm, cell(formatReal(t.kl.sum, 6)));
  m_table->setItem(n, kKlReverseTerm, cell(formatReal(t.klReverse.sum, 6)));
  m_table->setItem(n, kM, cell(QStringLiteral("1")));
  m_table->setItem(n, kPmTerm, cell(formatReal(t.pm.sum, 6)));
  m_table->setItem(n, kQmTerm, cell(formatReal(t.qm.sum, 6)));
  for (int c = 0; c < kColumnCount; ++c) {
    QFont f = m_table->item(n, c)->font();
    f.setBold(true);
    m_table->item(n, c)->setFont(f);
  }

  QStringList lines;
  lines << tr("KL(P‖Q) = Σ p<sub>i</sub> %1(p<sub>i</sub>/q<sub>i</sub>) = <b>%2 %3</b>")
               .arg(ln, formatReal(t.kl.sum), u);
  if (!t.kl.infinite.empty())
    lines << tr("<span style='color:#D55E00'>KL(P‖Q) = ∞ because %1: P gives probability to an outcome that Q "
                "calls impossible, so that term p %2(p/0) is infinite.</span>")
                 .arg(infiniteWhy(t.kl, t.p, QStringLiteral("p"), QStringLiteral("q")), ln);
  lines << tr("KL(Q‖P) = <b>%1 %2</b>%3")
               .arg(formatReal(t.klReverse.sum), u,
                    t.kl.sum != t.klReverse.sum ? tr(" (not the same: KL is not symmetric)") : QString());
  if (!t.klReverse.infinite.empty())
    lines << tr("<span style='color:#D55E00'>KL(Q‖P) = ∞ because %1.</span>")
                 .arg(infiniteWhy(t.klReverse, t.q, QStringLiteral("q"), QStringLiteral("p")));
  const double ln2 = t.bits ? 1.0 : std::log(2.0);
  lines << tr("JS(P‖Q) = ½·KL(P‖M) + ½·KL(Q‖M) = ½·%1 + ½·%2 = <b>%3 %4</b> (0 ≤ JS ≤ %5 %4; always finite)")
               .arg(formatReal(t.pm.sum), formatReal(t.qm.sum), formatReal(t.js), u, formatReal(ln2));
  m_summary->setText(lines.join(QLatin1String("<br>")));
  fillPlot();
  applyStyle();
}

void DivergenceCalculatorView::clear(const QString& message) {
  m_terms = {};
  m_table->setRowCount(0);
  m_summary->clear();
  m_pBars->data()->clear();
  m_qBars->data()->clear();
  m_klTerms->data()->clear();
  m_title->setText(message);
  m_message->setText(message);
  m_message->setVisible(!message.isEmpty());
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void DivergenceCalculatorView::fillPlot() {
  QVector<double> keys, p, q, tk, tv;
  double tlo = 0, thi = 0;
  for (std::size_t i = 0; i < m_terms.p.size(); ++i) {
    const double k = double(i + 1);
    keys << k;
    p << m_terms.p[i];
    q << m_terms.q[i];
    if (std::isfinite(m_terms.kl.terms[i])) {
      tk << k;
      tv << m_terms.kl.terms[i];
      tlo = std::min(tlo, m_terms.kl.terms[i]);
      thi = std::max(thi, m_terms.kl.terms[i]);
    }
  }
  m_pBars->setData(keys, p, true);
  m_qBars->setData(keys, q, true);
  m_klTerms->setData(tk, tv, true);
  const QString ln = m_terms.bits ? QStringLiteral("log₂") : QStringLiteral("ln");
  const QString u = unitName(m_terms.bits);
  m_klTerms->setName(QStringLiteral("term p %1(p/q) (%2, right axis)").arg(ln, u));
  m_plot->yAxis2->setLabel(QStringLiteral("KL term p_i %1(p_i/q_i) (%2)").arg(ln, u));
  m_plot->xAxis->setRange(0.4, double(keys.size()) + 0.6);
  m_plot->yAxis->setRange(0, 1.05);
  const double pad = 0.1 * std::max(thi - tlo, 1e-3);
  m_plot->yAxis2->setRange(tlo - pad, thi + pad);
  setIntegerTicks(*m_plot->xAxis);
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void DivergenceCalculatorView::applyStyle() {
  stylePlot(*m_plot, *m_title);
  const double w = pick(1.2, 2.5);
  QColor pc = okabeIto::kSkyBlue, qc = okabeIto::kOrange;
  m_pBars->setPen(QPen(pc.darker(130), w));
  m_pBars->setBrush(pc);
  m_qBars->setPen(QPen(qc.darker(130), w));
  m_qBars->setBrush(qc);
  m_klTerms->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(okabeIto::kBluishGreen, w + 0.5),
                                             okabeIto::kBluishGreen, pick(10, 16)));
  styleLabel(*m_summary);
  styleNote(*m_message);
  styleTable(*m_table);
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QString DivergenceCalculatorView::cellText(int row, int column) const { return widgets::cellText(*m_table, row, column); }
int DivergenceCalculatorView::rowCount() const { return m_table->rowCount(); }
QString DivergenceCalculatorView::summary() const { return plainText(*m_summary); }
QString DivergenceCalculatorView::message() const { return m_message->isHidden() ? QString() : m_message->text(); }
TextTable DivergenceCalculatorView::table() const { return tableFromWidget(*m_table); }
QString DivergenceCalculatorView::title() const { return m_title->text(); }

}  // namespace quench::widgets
