#include "widgets/evaluation_view.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <set>

#include "widgets/plot_style.h"
#if __has_include("widgets/plot_export_menu.h")
#include "widgets/plot_export_menu.h"
#define QUENCH_HAVE_EXPORT_MENU 1
#endif

namespace quench::widgets {

namespace {
// Room a rotated token label needs along the x axis (pixels) before labels are thinned.
constexpr double kPixelsPerLabel = 16.0;
// How close (pixels) the mouse must be to a point for its tooltip.
constexpr double kHoverPixels = 12.0;

QString num(double v, int precision = 6) {
  if (std::isinf(v)) return v > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
  return QString::number(v, 'g', precision);
}

QTableWidgetItem* cell(const QString& text, bool number = false) {
  auto* item = new QTableWidgetItem(text);
  item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
  if (number) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}
}  // namespace

QString visibleTokenText(const std::string& text, int id) {
  if (text.empty()) return QStringLiteral("#%1").arg(id);
  QString out;
  for (const QChar ch : QString::fromUtf8(text.data(), qsizetype(text.size()))) {
    if (ch == QLatin1Char(' '))
      out += QStringLiteral("·");
    else if (ch == QLatin1Char('\n'))
      out += QStringLiteral("⏎");
    else if (ch == QLatin1Char('\t'))
      out += QStringLiteral("⇥");
    else if (ch.unicode() < 0x20 || ch.unicode() == 0x7F)
      out += QStringLiteral("\\x%1").arg(ch.unicode(), 2, 16, QLatin1Char('0'));
    else
      out += ch;
  }
  return out;
}

EvaluationView::EvaluationView(QWidget* parent)
    : QWidget(parent),
      m_table(new QTableWidget(this)),
      m_moved(new QTableWidget(this)),
      m_sequenceBox(new QComboBox(this)),
      m_titleLabel(new QLabel(this)),
      m_histPlot(new QCustomPlot(this)),
      m_posPlot(new QCustomPlot(this)) {
  m_table->setObjectName(QStringLiteral("evaluationSummary"));
  m_table->setColumnCount(3);
  m_table->setHorizontalHeaderLabels({tr("figure"), tr("value"), tr("unit")});
  m_table->verticalHeader()->setVisible(false);
  m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
  m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
  m_table->setToolTip(tr("The per-token figures of llama.cpp's perplexity --kl-divergence (MATH.md §9)"));

  m_moved->setObjectName(QStringLiteral("movedTokens"));
  m_moved->setColumnCount(5);
  m_moved->setHorizontalHeaderLabels({tr("seq"), tr("pos"), tr("context → next token"), tr("KL (nats)"),
                                      tr("P(next) → Q(next)")});
  m_moved->verticalHeader()->setVisible(false);
  m_moved->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  // The context and its next token in full: in a narrow panel the table scrolls sideways rather
  // than squeezing the one column the row is about down to "…" (issue 13).
  m_moved->horizontalHeader()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
  m_moved->horizontalHeader()->setStretchLastSection(true);
  // A narrow column drops the start of the context, never the "→ next token" the row is about.
  m_moved->setTextElideMode(Qt::ElideLeft);
  m_moved->verticalHeader()->setDefaultSectionSize(m_moved->fontMetrics().height() + 6);
  m_moved->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_moved->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_moved->setToolTip(tr("The ten positions whose next-token distribution moved most (largest KL); "
                         "click one to show its sequence"));

  m_titleLabel->setObjectName(QStringLiteral("evaluationTitle"));
  QFont big = m_titleLabel->font();
  big.setBold(true);
  big.setPointSizeF(big.pointSizeF() * 1.15);
  m_titleLabel->setFont(big);
  m_titleLabel->setWordWrap(true);

  const QFont titleFont(font().family(), font().pointSize() + 1, QFont::Bold);
  // Histogram of per-token KL, counts on a log axis (the distribution is heavy-tailed).
  m_histPlot->setObjectName(QStringLiteral("klHistogram"));
  // Four ticks: KL values like 0.00075 are wide, five or six of them collide in a 320 px plot.
  m_histPlot->xAxis->ticker()->setTickCount(4);
  m_histPlot->setMinimumSize(320, 200);
  m_histPlot->plotLayout()->insertRow(0);
  m_histTitle = new QCPTextElement(m_histPlot, tr("Per-token KL(P‖Q)"), titleFont);
  m_histPlot->plotLayout()->addElement(0, 0, m_histTitle);
  m_histPlot->xAxis->setLabel(tr("KL (nats/token)"));
  m_histPlot->yAxis->setLabel(tr("positions (count, log)"));
  m_histPlot->yAxis->setScaleType(QCPAxis::stLogarithmic);
  m_histPlot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
  m_histPlot->yAxis->setNumberFormat(QStringLiteral("g"));
  m_histBars = new QCPBars(m_histPlot->xAxis, m_histPlot->yAxis);
  m_histBars->setName(tr("positions per bin"));
  m_histBars->setWidthType(QCPBars::wtPlotCoords);
  // Bars start at 0, which a log axis maps below the axis rect: each bar runs from the bottom edge.
  QCPGraph* meanKey = m_histPlot->addGraph();
  meanKey->setName(tr("mean"));
  QCPGraph* p99Key = m_histPlot->addGraph();
  p99Key->setName(tr("p99"));
  m_histPlot->legend->setVisible(true);
  m_histPlot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
  m_histPlot->setInteractions(QCP::iRangeZoom | QCP::iRangeDrag);
  m_histPlot->axisRect()->setRangeZoom(Qt::Horizontal);
  m_histPlot->axisRect()->setRangeDrag(Qt::Horizontal);

  // KL along the positions of one sequence, the next token under each point.
  m_posPlot->setObjectName(QStringLiteral("klPositions"));
  m_posPlot->setMinimumSize(320, 240);
  m_posPlot->plotLayout()->insertRow(0);
  m_posTitle = new QCPTextElement(m_posPlot, tr("KL along the sequence"), titleFont);
  m_posPlot->plotLayout()->addElement(0, 0, m_posTitle);
  m_posPlot->xAxis->setLabel(tr("position (next token predicted)"));
  m_posPlot->yAxis->setLabel(tr("KL (nats/token)"));
  m_posPlot->xAxis->setTickLabelRotation(-60);
  m_posGraph = m_posPlot->addGraph();
  m_posGraph->setName(tr("KL(P‖Q) at each position"));
  QCPGraph* top = m_posPlot->addGraph();
  top->setName(tr("among the ten that moved most"));
  top->setLineStyle(QCPGraph::lsNone);
  // The legend gets its own row under the title: inside the axes it covered the highest point,
  // the one that moved most (issue 13).
  m_posPlot->legend->setVisible(true);
  m_posPlot->axisRect()->insetLayout()->take(m_posPlot->legend);
  m_posPlot->plotLayout()->insertRow(1);
  m_posPlot->plotLayout()->addElement(1, 0, m_posPlot->legend);
  m_posPlot->plotLayout()->setRowStretchFactor(1, 0.001);
  m_posPlot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_posPlot->legend->setWrap(2);
  m_posPlot->setInteractions(QCP::iRangeZoom | QCP::iRangeDrag);
  m_posPlot->axisRect()->setRangeZoom(Qt::Horizontal);
  m_posPlot->axisRect()->setRangeDrag(Qt::Horizontal);
  m_posPlot->setMouseTracking(true);
  // Thin the token labels again whenever the visible range changes (zoom, drag, resize).
  connect(m_posPlot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
          [this](const QCPRange&) { showSequence(); });
  connect(m_posPlot, &QCustomPlot::mouseMove, this, &EvaluationView::onHover);
  m_posPlot->installEventFilter(this);

#ifdef QUENCH_HAVE_EXPORT_MENU
  installExportMenu(m_histPlot, QStringLiteral("kl-histogram.png"));
  installExportMenu(m_posPlot, QStringLiteral("kl-positions.png"));
#endif

  connect(m_sequenceBox, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int) {
    m_posPlot->xAxis->blockSignals(true);
    m_posPlot->xAxis->setRange(0, 1);  // rescaled in showSequence
    m_posPlot->xAxis->blockSignals(false);
    m_shown.clear();
    showSequence();
  });
  connect(m_moved, &QTableWidget::cellClicked, this, [this](int row, int) {
    const QVariant v = m_moved->item(row, 0)->data(Qt::UserRole);
    if (!v.isValid()) return;
    const auto seq = v.toULongLong();
    const auto it = std::find(m_sequenceIds.begin(), m_sequenceIds.end(), std::size_t(seq));
    if (it != m_sequenceIds.end()) setSequence(int(it - m_sequenceIds.begin()));
  });

  auto* left = new QWidget(this);
  left->setMinimumWidth(290);  // figure, value and unit readable without scrolling
  auto* leftLayout = new QVBoxLayout(left);
  leftLayout->setContentsMargins(0, 0, 0, 0);
  leftLayout->addWidget(m_table, 3);
  auto* movedLabel = new QLabel(tr("Words that moved most"), left);
  movedLabel->setFont(big);
  leftLayout->addWidget(movedLabel);
  leftLayout->addWidget(m_moved, 2);

  auto* right = new QWidget(this);
  auto* rightLayout = new QVBoxLayout(right);
  rightLayout->setContentsMargins(0, 0, 0, 0);
  rightLayout->addWidget(m_histPlot, 2);
  auto* seqRow = new QHBoxLayout;
  seqRow->addWidget(new QLabel(tr("Sequence:"), right));
  m_sequenceBox->setObjectName(QStringLiteral("sequenceSelector"));
  m_sequenceBox->setToolTip(tr("Which evaluated sequence to show along its positions"));
  m_sequenceBox->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  seqRow->addWidget(m_sequenceBox);
  seqRow->addStretch(1);
  rightLayout->addLayout(seqRow);
  rightLayout->addWidget(m_posPlot, 3);

  auto* split = new QSplitter(Qt::Horizontal, this);
  split->addWidget(left);
  split->addWidget(right);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(m_titleLabel);
  layout->addWidget(split, 1);
  applyStyle();
  clear();
}

void EvaluationView::applyStyle() {
  for (QCustomPlot* plot : {m_histPlot, m_posPlot}) {
    applyPlotStyle(*plot, palette());
    plot->legend->setBrush(palette().color(QPalette::Base));
    plot->legend->setTextColor(neutralColor(palette()));
    plot->legend->setBorderPen(Qt::NoPen);
  }
  m_histTitle->setTextColor(neutralColor(palette()));
  m_posTitle->setTextColor(neutralColor(palette()));
  QColor fill = okabeIto::kSkyBlue;
  m_histBars->setBrush(fill);
  m_histBars->setPen(QPen(okabeIto::kBlue, 0.8));
  m_histPlot->graph(0)->setPen(QPen(okabeIto::kOrange, 2));
  m_histPlot->graph(1)->setPen(QPen(okabeIto::kVermilion, 2, Qt::DashLine));
  m_posGraph->setPen(QPen(okabeIto::kBlue, 1.5));
  m_posGraph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, okabeIto::kBlue, palette().color(QPalette::Base), 5));
  m_posPlot->graph(1)->setPen(QPen(okabeIto::kVermilion));
  m_posPlot->graph(1)->setScatterStyle(
      QCPScatterStyle(QCPScatterStyle::ssDisc, okabeIto::kVermilion, okabeIto::kVermilion, 7));
}

QString EvaluationView::title() const { return m_titleLabel->text(); }
int EvaluationView::sequence() const { return m_sequenceBox->currentIndex(); }
int EvaluationView::sequenceCount() const { return int(m_sequenceIds.size()); }
void EvaluationView::setSequence(int sequence) { m_sequenceBox->setCurrentIndex(sequence); }

QString EvaluationView::figureText(const QString& figure) const {
  for (int r = 0; r < m_table->rowCount(); ++r)
    if (m_table->item(r, 0)->text() == figure) return m_table->item(r, 1)->text();
  return {};
}

void EvaluationView::clear(const QString& message) {
  m_positions.clear();
  m_mostMoved.clear();
  m_tokenText.clear();
  m_nextText.clear();
  m_sequenceIds.clear();
  m_shown.clear();
  m_posLabels.clear();
  m_table->setRowCount(0);
  m_moved->setRowCount(0);
  m_sequenceBox->blockSignals(true);
  m_sequenceBox->clear();
  m_sequenceBox->blockSignals(false);
  m_histBars->data()->clear();
  for (int i = 0; i < m_posPlot->graphCount(); ++i) m_posPlot->graph(i)->data()->clear();
  m_histPlot->clearItems();
  m_posPlot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
  m_titleLabel->setText(message.isEmpty() ? tr("Evaluate a recipe to see how far Q moved from P") : message);
  m_histPlot->xAxis->setRange(0, 1);
  m_histPlot->yAxis->setRange(0.5, 10);
  m_posPlot->yAxis->setRange(0, 1);
  m_histPlot->replot(QCustomPlot::rpQueuedReplot);
  m_posPlot->replot(QCustomPlot::rpQueuedReplot);
}

void EvaluationView::setEvaluation(const eval::RecipeEvaluation& e, const eval::PositionFigures& figures,
                                   const model::Tokenizer* tokenizer, const QString& title) {
  clear();
  m_titleLabel->setText(title);
  const TokenSummary& s = e.summary;

  // The summary in llama.cpp's figure set (MATH.md §9), nats unless stated.
  struct Row {
    QString figure, value, unit, tip;
  };
  std::vector<Row> rows{
      {tr("positions"), QString::number(s.tokens), tr("tokens"), tr("positions compared (N)")},
      {tr("mean KL(P‖Q)"), num(s.klMean) + QStringLiteral(" ± ") + num(s.klStderr, 3), tr("nats/token"),
       tr("mean over positions ± standard error sqrt(var/(N−1))")},
      {tr("median KL"), num(s.klMedian), tr("nats/token"), {}},
      {tr("p90 KL"), num(s.klP90), tr("nats/token"), tr("percentiles: NumPy's linear interpolation")},
      {tr("p95 KL"), num(s.klP95), tr("nats/token"), {}},
      {tr("p99 KL"), num(s.klP99), tr("nats/token"), {}},
      {tr("p99.9 KL"), num(s.klP999), tr("nats/token"), {}},
      {tr("min KL"), num(s.klMin), tr("nats/token"), {}},
      {tr("max KL"), num(s.klMax), tr("nats/token"), {}},
  };
  if (s.klInfinite > 0)
    rows.push_back({tr("KL = ∞"), QString::number(s.klInfinite), tr("positions"),
                    tr("Q gives probability 0 where P does not")});
  rows.push_back({tr("mean JS"), num(s.jsMean), tr("nats/token"), tr("Jensen–Shannon divergence, at most ln 2")});
  rows.push_back({tr("top-1 agreement"), num(100.0 * s.top1Agreement, 5), QStringLiteral("%"),
                  tr("positions where argmax P = argmax Q")});
  rows.push_back({tr("scored positions"), QString::number(s.withTrue), tr("tokens"),
                  tr("positions with a true next token (used by the perplexities and Δp)")});
  if (s.withTrue > 0) {
    rows.push_back({tr("PPL(P)"), num(s.pplP), QString(), tr("exp(−mean ln P(true))")});
    rows.push_back({tr("PPL(Q)"), num(s.pplQ), QString(), tr("exp(−mean ln Q(true))")});
    rows.push_back({tr("PPL(Q)/PPL(P)"), num(s.pplRatio), QString(), {}});
    rows.push_back({tr("ln(PPL(Q)/PPL(P))"), num(s.lnPplRatio), tr("nats/token"), tr("mean of ln P(true) − ln Q(true)")});
    rows.push_back({tr("mean Δp"), num(100.0 * s.deltaPMean, 5), tr("% (points)"), tr("mean of Q(true) − P(true)")});
    rows.push_back({tr("RMS Δp"), num(100.0 * s.deltaPRms, 5), tr("% (points)"), tr("sqrt(mean of (Q(true) − P(true))²)")});
  }
  rows.push_back({tr("bits per parameter"), num(e.bitsPerParam, 5), tr("bits"), tr("storage of Q's weights")});
  rows.push_back({tr("tensors transformed"), QString::number(e.tensorsTransformed), QString(), {}});
  m_table->setRowCount(int(rows.size()));
  for (int r = 0; r < int(rows.size()); ++r) {
    m_table->setItem(r, 0, cell(rows[std::size_t(r)].figure));
    m_table->setItem(r, 1, cell(rows[std::size_t(r)].value, true));
    m_table->setItem(r, 2, cell(rows[std::size_t(r)].unit));
    if (!rows[std::size_t(r)].tip.isEmpty())
      for (int c = 0; c < 3; ++c) m_table->item(r, c)->setToolTip(rows[std::size_t(r)].tip);
  }

  m_positions = e.positions;
  m_mostMoved.clear();
  for (std::size_t i : figures.mostMoved)
    if (i < m_positions.size()) m_mostMoved.push_back(i);
  if (m_positions.empty()) {
    m_histTitle->setText(tr("Per-token KL (positions were not kept)"));
    m_histPlot->replot(QCustomPlot::rpQueuedReplot);
    return;
  }

  // Token texts, decoded once (the tokenizer is not kept).
  const auto text = [&](int prev, int id) -> QString {
    if (id < 0) return {};
    if (!tokenizer || id >= tokenizer->vocabSize()) return QStringLiteral("#%1").arg(id);
    if (id == tokenizer->bosId()) return QStringLiteral("<s>");
    if (id == tokenizer->eosId()) return QStringLiteral("</s>");
    return visibleTokenText(tokenizer->decodePiece(prev, id), id);
  };
  m_tokenText.reserve(m_positions.size());
  m_nextText.reserve(m_positions.size());
  for (std::size_t i = 0; i < m_positions.size(); ++i) {
    const auto& r = m_positions[i];
    const bool follows = i > 0 && m_positions[i - 1].sequence == r.sequence && m_positions[i - 1].position + 1 == r.position;
    m_tokenText.push_back(text(follows ? m_positions[i - 1].token : -1, r.token));
    m_nextText.push_back(text(r.token, r.nextToken));
    if (m_sequenceIds.empty() || m_sequenceIds.back() != r.sequence) m_sequenceIds.push_back(r.sequence);
  }
  // Sequences appear in order, each once (compareModels and compareToLlamaKld add them so).
  m_sequenceIds.erase(std::unique(m_sequenceIds.begin(), m_sequenceIds.end()), m_sequenceIds.end());

  // Histogram (core bins), mean and p99 lines.
  const Histogram& h = figures.klHistogram;
  QVector<double> keys, counts;
  double most = 1;
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    if (h.counts[i] == 0) continue;
    keys << h.binCenter(i);
    counts << double(h.counts[i]);
    most = std::max(most, double(h.counts[i]));
  }
  m_histBars->setWidth(h.binWidth());
  m_histBars->setData(keys, counts, true);
  const auto vline = [&](double x, const QPen& pen) {
    if (!std::isfinite(x)) return;
    auto* line = new QCPItemStraightLine(m_histPlot);
    line->setPen(pen);
    line->point1->setCoords(x, 1);
    line->point2->setCoords(x, 2);
  };
  vline(s.klMean, m_histPlot->graph(0)->pen());
  vline(s.klP99, m_histPlot->graph(1)->pen());
  m_histTitle->setText(h.inf ? tr("Per-token KL(P‖Q), %1 positions (%2 with KL = ∞ not shown)").arg(s.tokens).arg(h.inf)
                             : tr("Per-token KL(P‖Q), %1 positions").arg(s.tokens));
  m_histPlot->xAxis->setRange(h.lo, h.hi + h.binWidth() * 0.5);
  m_histPlot->yAxis->setRange(0.5, most * 2.0);
  m_histPlot->replot(QCustomPlot::rpQueuedReplot);

  // The ten positions that moved most.
  const std::vector<std::size_t>& moved = m_mostMoved;
  m_moved->setRowCount(int(moved.size()));
  for (int row = 0; row < int(moved.size()); ++row) {
    const std::size_t i = moved[std::size_t(row)];
    const auto& r = m_positions[i];
    QString context;
    for (std::size_t k = i >= 3 ? i - 3 : 0; k <= i; ++k)
      if (m_positions[k].sequence == r.sequence) context += m_tokenText[k];
    auto* seqItem = cell(QString::number(r.sequence + 1), true);
    seqItem->setData(Qt::UserRole, QVariant::fromValue<qulonglong>(r.sequence));
    m_moved->setItem(row, 0, seqItem);
    m_moved->setItem(row, 1, cell(QString::number(r.position), true));
    m_moved->setItem(row, 2, cell(QStringLiteral("…%1 → %2").arg(context, m_nextText[i].isEmpty() ? tr("(end)") : m_nextText[i])));
    m_moved->setItem(row, 3, cell(num(r.kl, 4), true));
    m_moved->setItem(row, 4, cell(std::isnan(r.pTrue) ? QStringLiteral("–")
                                                     : QStringLiteral("%1 → %2").arg(num(r.pTrue, 3), num(r.qTrue, 3)),
                                  true));
    for (int c = 0; c < 5; ++c) m_moved->item(row, c)->setToolTip(positionToolTip(-1 - int(i)));
  }

  m_sequenceBox->blockSignals(true);
  for (std::size_t k = 0; k < m_sequenceIds.size(); ++k) {
    const auto n = std::count_if(m_positions.begin(), m_positions.end(),
                                 [&](const eval::PositionRecord& r) { return r.sequence == m_sequenceIds[k]; });
    m_sequenceBox->addItem(tr("%1 (%2 positions)").arg(m_sequenceIds[k] + 1).arg(n));
  }
  // Start on the sequence of the largest KL: the one worth looking at first.
  int first = 0;
  if (!moved.empty()) {
    const auto it = std::find(m_sequenceIds.begin(), m_sequenceIds.end(), m_positions[moved.front()].sequence);
    first = int(it - m_sequenceIds.begin());
  }
  m_sequenceBox->setCurrentIndex(first);
  m_sequenceBox->blockSignals(false);
  showSequence();
}

QString EvaluationView::positionToolTip(int i) const {
  // i ≥ 0: point i of the plotted sequence; i < 0: position −1 − i of all records.
  std::size_t k = 0;
  if (i >= 0) {
    if (std::size_t(i) >= m_shown.size()) return {};
    k = m_shown[std::size_t(i)];
  } else {
    k = std::size_t(-1 - i);
    if (k >= m_positions.size()) return {};
  }
  const auto& r = m_positions[k];
  QString context;
  for (std::size_t j = k >= 8 ? k - 8 : 0; j <= k; ++j)
    if (m_positions[j].sequence == r.sequence) context += m_tokenText[j];
  QString tip = tr("sequence %1, position %2\n…%3 → %4\nKL %5 nats · JS %6 nats · top-1 %7")
                    .arg(r.sequence + 1)
                    .arg(r.position)
                    .arg(context, m_nextText[k].isEmpty() ? tr("(end of sequence)") : m_nextText[k])
                    .arg(num(r.kl, 5), num(r.js, 5), r.top1Same ? tr("same") : tr("differs"));
  if (!std::isnan(r.pTrue)) tip += tr("\nP(next) %1 → Q(next) %2").arg(num(r.pTrue, 4), num(r.qTrue, 4));
  return tip;
}

void EvaluationView::showSequence() {
  const int index = m_sequenceBox->currentIndex();
  if (index < 0 || std::size_t(index) >= m_sequenceIds.size()) return;
  const std::size_t seq = m_sequenceIds[std::size_t(index)];
  const bool fresh = m_shown.empty();
  if (fresh) {
    std::set<std::size_t> top;
    top.insert(m_mostMoved.begin(), m_mostMoved.end());
    QVector<double> x, y, tx, ty;
    m_posLabels.clear();
    double hi = 0;
    for (std::size_t i = 0; i < m_positions.size(); ++i) {
      const auto& r = m_positions[i];
      if (r.sequence != seq) continue;
      m_shown.push_back(i);
      // +∞ cannot be drawn: it sits at the top of the axis, named in the tooltip.
      const double kl = std::isfinite(r.kl) ? r.kl : std::numeric_limits<double>::quiet_NaN();
      x << double(r.position);
      y << kl;
      if (std::isfinite(r.kl)) hi = std::max(hi, r.kl);
      if (top.count(i)) {
        tx << double(r.position);
        ty << kl;
      }
      m_posLabels << (m_nextText[i].isEmpty() ? tr("(end)") : m_nextText[i]);
    }
    m_posGraph->setData(x, y, true);
    m_posPlot->graph(1)->setData(tx, ty, true);
    m_posTitle->setText(tr("KL along sequence %1 (token under each point: the next token)").arg(seq + 1));
    m_posPlot->yAxis->setRange(0, hi > 0 ? hi * 1.1 : 1.0);
    m_posPlot->xAxis->blockSignals(true);
    if (!x.isEmpty()) m_posPlot->xAxis->setRange(x.front() - 0.5, x.back() + 0.5);
    m_posPlot->xAxis->blockSignals(false);
  }
  // Token tick labels, thinned to what fits the visible range without overlapping.
  const QCPRange range = m_posPlot->xAxis->range();
  // The axis rect is laid out only at the next replot: the plot's width less the y axis' room.
  const double width = std::max(50, m_posPlot->width() - 90);
  std::size_t visible = 0;
  for (std::size_t k = 0; k < m_shown.size(); ++k)
    if (range.contains(double(m_positions[m_shown[k]].position))) ++visible;
  const std::size_t fit = std::max<std::size_t>(1, std::size_t(width / kPixelsPerLabel));
  const std::size_t step = std::max<std::size_t>(1, (visible + fit - 1) / fit);
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  for (std::size_t k = 0; k < m_shown.size(); k += step)
    ticker->addTick(double(m_positions[m_shown[k]].position), m_posLabels[int(k)]);
  m_posPlot->xAxis->setTicker(ticker);
  m_posPlot->xAxis->setLabel(step > 1 ? tr("position (next token predicted; a label every %1 positions, zoom for all)").arg(step)
                                      : tr("position (next token predicted)"));
  m_posPlot->replot(QCustomPlot::rpQueuedReplot);
}

bool EvaluationView::eventFilter(QObject* watched, QEvent* event) {
  if (watched == m_posPlot && event->type() == QEvent::Resize && !m_shown.empty()) showSequence();
  return QWidget::eventFilter(watched, event);
}

void EvaluationView::onHover(QMouseEvent* event) {
  if (m_shown.empty()) return;
  const QPointF at = event->position();
  int best = -1;
  double bestD = kHoverPixels;
  for (int i = 0; i < int(m_shown.size()); ++i) {
    const auto& r = m_positions[m_shown[std::size_t(i)]];
    const double px = m_posPlot->xAxis->coordToPixel(double(r.position));
    const double py = m_posPlot->yAxis->coordToPixel(std::isfinite(r.kl) ? r.kl : m_posPlot->yAxis->range().upper);
    const double d = std::hypot(px - at.x(), py - at.y());
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  if (best < 0)
    QToolTip::hideText();
  else
    QToolTip::showText(m_posPlot->mapToGlobal(at.toPoint()), positionToolTip(best), m_posPlot);
}

}  // namespace quench::widgets
