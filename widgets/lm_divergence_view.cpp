#include "widgets/lm_divergence_view.h"

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

}  // namespace

LmDivergenceView::LmDivergenceView(QWidget* parent) : PresentationView(parent) {
  m_summary = new QLabel(this);
  m_summary->setWordWrap(true);
  m_summary->setTextFormat(Qt::RichText);
  m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_status = new QLabel(this);
  m_status->setWordWrap(true);
  m_table = new QTableWidget(0, kColumnCount, this);
  m_table->setHorizontalHeaderLabels({tr("position i"), tr("KL term\nE_P KL(P(·|t<i) ‖ Q(·|t<i)))"),
                                      tr("Σ KL so far"), tr("JS term\n(mixture conditional)"), tr("Σ JS so far")});
  m_table->verticalHeader()->setVisible(false);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);

  m_plot = new QCustomPlot(this);
  m_plot->setMinimumHeight(220);
  m_title = new QCPTextElement(m_plot, QString(), QFont(font().family(), font().pointSize() + 2, QFont::Bold));
  m_plot->plotLayout()->insertRow(0);
  m_plot->plotLayout()->addElement(0, 0, m_title);
  m_plot->xAxis->setLabel(tr("sequences sampled from P (log)"));
  m_plot->yAxis->setLabel(tr("KL (nats/token)"));
  m_plot->xAxis->setScaleType(QCPAxis::stLogarithmic);
  QSharedPointer<QCPAxisTickerLog> logTicker(new QCPAxisTickerLog);
  m_plot->xAxis->setTicker(logTicker);
  m_upper = m_plot->addGraph();
  m_upper->setName(tr("± 1 standard error"));
  m_lower = m_plot->addGraph();
  m_lower->removeFromLegend();
  m_upper->setChannelFillGraph(m_lower);
  m_estimate = m_plot->addGraph();
  m_estimate->setName(tr("sampled estimate D̂ (running)"));
  m_exact = m_plot->addGraph();
  m_exact->setName(tr("exact KL(P⁽ⁿ⁾‖Q⁽ⁿ⁾) / n"));
  m_plot->legend->setVisible(true);
  m_plot->plotLayout()->addElement(2, 0, m_plot->legend);
  m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_plot->legend->setWrap(2);
  m_plot->plotLayout()->setRowStretchFactor(2, 0.001);

  auto* split = new QSplitter(Qt::Vertical, this);
  split->addWidget(m_table);
  split->addWidget(m_plot);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 2);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_summary);
  layout->addWidget(m_status);
  layout->addWidget(split, 1);
  applyStyle();
  clear(tr("Edit the two models"));
}

void LmDivergenceView::setExact(const LmDivergence& d, std::size_t length, const QString& title) {
  m_title->setText(title);
  const double n = double(length);
  m_exactPerToken = d.klJoint / n;
  m_hasExact = true;
  double sumKl = 0, sumJs = 0;
  const int rows = int(d.klChain.size());
  m_table->setRowCount(rows + 2);
  for (int i = 0; i < rows; ++i) {
    sumKl += d.klChain[std::size_t(i)];
    sumJs += d.jsChain[std::size_t(i)];
    m_table->setItem(i, kPosition, cell(QString::number(i + 1)));
    m_table->setItem(i, kKlTerm, cell(formatReal(d.klChain[std::size_t(i)], 6)));
    m_table->setItem(i, kKlRunning, cell(formatReal(sumKl, 6)));
    m_table->setItem(i, kJsTerm, cell(formatReal(d.jsChain[std::size_t(i)], 6)));
    m_table->setItem(i, kJsRunning, cell(formatReal(sumJs, 6)));
  }
  m_table->setItem(rows, kPosition, cell(tr("Σ (chain rule)"), false));
  m_table->setItem(rows, kKlTerm, cell(formatReal(sumKl, 10)));
  m_table->setItem(rows, kKlRunning, cell(QString()));
  m_table->setItem(rows, kJsTerm, cell(formatReal(sumJs, 10)));
  m_table->setItem(rows, kJsRunning, cell(QString()));
  m_table->setItem(rows + 1, kPosition, cell(tr("joint (enumeration)"), false));
  m_table->setItem(rows + 1, kKlTerm, cell(formatReal(d.klJoint, 10)));
  m_table->setItem(rows + 1, kKlRunning, cell(QString()));
  m_table->setItem(rows + 1, kJsTerm, cell(formatReal(d.jsJoint, 10)));
  m_table->setItem(rows + 1, kJsRunning, cell(QString()));
  for (int r = rows; r < rows + 2; ++r)
    for (int c = 0; c < kColumnCount; ++c) {
      QFont f = m_table->item(r, c)->font();
      f.setBold(true);
      m_table->item(r, c)->setFont(f);
    }
  m_summary->setText(
      tr("Sequences of n = %1 tokens, %2 of them enumerated.<br>"
         "KL(P⁽ⁿ⁾‖Q⁽ⁿ⁾) = <b>%3 nats</b> (Σ of the %1 chain-rule terms = %4), i.e. <b>%5 nats/token</b>.<br>"
         "JS(P⁽ⁿ⁾‖Q⁽ⁿ⁾) = <b>%6 nats</b> (chain rule with the mixture conditional: %7).")
          .arg(length)
          .arg(d.sequences)
          .arg(formatReal(d.klJoint, 8), formatReal(sumKl, 8), formatReal(m_exactPerToken, 8),
               formatReal(d.jsJoint, 8), formatReal(sumJs, 8)));
  updateExactLine();
  applyStyle();
}

void LmDivergenceView::setCurve(const std::vector<SampledKlPoint>& curve, std::uint64_t seed) {
  QVector<double> k, v, up, lo;
  for (const SampledKlPoint& p : curve) {
    k << double(p.samples);
    v << p.perToken;
    up << p.perToken + p.stderr;
    lo << p.perToken - p.stderr;
  }
  m_estimate->setData(k, v, true);
  m_upper->setData(k, up, true);
  m_lower->setData(k, lo, true);
  if (!curve.empty()) {
    m_plot->xAxis->setRange(double(curve.front().samples) * 0.8, double(curve.back().samples) * 1.25);
    double ylo = m_hasExact ? m_exactPerToken : v.front(), yhi = ylo;
    // The first few points swing widely; the range follows the band from the 4th point on (and
    // always the exact line), so the convergence stays visible.
    for (int i = std::min<int>(3, int(k.size()) - 1); i < k.size(); ++i) {
      if (std::isfinite(lo[i])) ylo = std::min(ylo, lo[i]);
      if (std::isfinite(up[i])) yhi = std::max(yhi, up[i]);
    }
    // At least ±5 % of the exact value, so a flat (exact) estimate does not zoom into rounding noise.
    const double pad = std::max({0.12 * (yhi - ylo), 0.05 * std::fabs(m_hasExact ? m_exactPerToken : v.back()), 1e-9});
    m_plot->yAxis->setRange(ylo - pad, yhi + pad);
    const SampledKlPoint& last = curve.back();
    m_status->setText(tr("Sampled from P (seed %1): after %2 sequences D̂ = %3 ± %4 nats/token%5")
                          .arg(seed)
                          .arg(last.samples)
                          .arg(formatReal(last.perToken), formatReal(last.stderr),
                               m_hasExact ? tr(" (exact %1; off by %2 standard errors)")
                                                .arg(formatReal(m_exactPerToken))
                                                .arg(last.stderr > 0 ? formatReal(std::fabs(last.perToken - m_exactPerToken) / last.stderr, 2)
                                                                     : QStringLiteral("0"))
                                          : QString()));
    QPalette sp = m_status->palette();
    sp.setColor(QPalette::WindowText, neutralColor(palette()));
    m_status->setPalette(sp);
  }
  updateExactLine();
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void LmDivergenceView::updateExactLine() {
  if (!m_hasExact) {
    m_exact->data()->clear();
    return;
  }
  const QCPRange r = m_plot->xAxis->range();
  m_exact->setData(QVector<double>{r.lower, r.upper}, QVector<double>{m_exactPerToken, m_exactPerToken}, true);
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void LmDivergenceView::setStatus(const QString& text, bool error) {
  m_status->setText(text);
  QPalette sp = m_status->palette();
  sp.setColor(QPalette::WindowText, error ? okabeIto::kVermilion : neutralColor(palette()));
  m_status->setPalette(sp);
}

void LmDivergenceView::clear(const QString& message) {
  m_hasExact = false;
  m_table->setRowCount(0);
  m_summary->clear();
  for (QCPGraph* g : {m_estimate, m_upper, m_lower, m_exact}) g->data()->clear();
  m_title->setText(message);
  setStatus(message, true);
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void LmDivergenceView::applyStyle() {
  stylePlot(*m_plot, *m_title);
  const double w = pick(1.6, 3.0);
  QColor band = okabeIto::kSkyBlue;
  band.setAlphaF(0.35);
  m_upper->setPen(Qt::NoPen);
  m_lower->setPen(Qt::NoPen);
  m_upper->setBrush(band);
  m_estimate->setPen(QPen(okabeIto::kBlue, w));
  m_estimate->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, okabeIto::kBlue, pick(5, 8)));
  m_exact->setPen(QPen(okabeIto::kVermilion, w, Qt::DashLine));
  styleLabel(*m_summary);
  styleLabel(*m_status);
  styleTable(*m_table);
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QString LmDivergenceView::cellText(int row, int column) const { return widgets::cellText(*m_table, row, column); }
int LmDivergenceView::rowCount() const { return m_table->rowCount(); }
QString LmDivergenceView::summary() const { return plainText(*m_summary); }
QString LmDivergenceView::status() const { return m_status->text(); }
TextTable LmDivergenceView::table() const { return tableFromWidget(*m_table); }

}  // namespace quench::widgets
