#include "widgets/nf4_preview_view.h"

#include <qcustomplot.h>

#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>
#include <algorithm>

#include "widgets/plot_style.h"

namespace quench::widgets {

namespace {
const QColor kAccents[3] = {okabeIto::kBlue, okabeIto::kBluishGreen, okabeIto::kReddishPurple};

QPen levelPen() { return QPen(okabeIto::kBlue, 1.2); }
QPen boundaryPen() { return QPen(okabeIto::kOrange, 1.0, Qt::DashLine); }
}  // namespace

Nf4PreviewView::Nf4PreviewView(QWidget* parent)
    : QWidget(parent), m_storage(new QLabel(this)), m_histPlot(new QCustomPlot(this)) {
  m_storage->setObjectName(QStringLiteral("nf4Storage"));
  m_storage->setContentsMargins(6, 2, 6, 2);
  m_histPlot->setObjectName(QStringLiteral("nf4HistogramPlot"));
  m_histPlot->setMinimumSize(320, 220);
  m_histPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  m_histPlot->axisRect()->setRangeDrag(Qt::Horizontal);
  m_histPlot->axisRect()->setRangeZoom(Qt::Horizontal);
  m_histPlot->plotLayout()->insertRow(0);
  m_title = new QCPTextElement(m_histPlot, QString(), QFont(font().family(), font().pointSize() + 2, QFont::Bold));
  m_histPlot->plotLayout()->addElement(0, 0, m_title);
  m_histPlot->xAxis->setLabel(tr("block-normalized value x / absmax"));
  m_histPlot->yAxis->setLabel(tr("count"));
  m_histBars = new QCPBars(m_histPlot->xAxis, m_histPlot->yAxis);
  m_histBars->setWidthType(QCPBars::wtPlotCoords);
  m_histBars->setName(tr("values"));
  // Legend entries for the item lines (items have none of their own): empty graphs with the pens.
  QCPGraph* levelKey = m_histPlot->addGraph();
  levelKey->setName(tr("NF4 level"));
  levelKey->setPen(levelPen());
  QCPGraph* boundaryKey = m_histPlot->addGraph();
  boundaryKey->setName(tr("boundary"));
  boundaryKey->setPen(boundaryPen());
  m_histPlot->legend->setVisible(true);
  m_histPlot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_histPlot->plotLayout()->addElement(2, 0, m_histPlot->legend);  // below the data, never over it
  m_histPlot->plotLayout()->setRowStretchFactor(2, 0.001);

  auto* occRow = new QHBoxLayout;
  for (int i = 0; i < 3; ++i) {
    auto* p = new QCustomPlot(this);
    p->setObjectName(QStringLiteral("occupancyPlot%1").arg(i));
    p->setMinimumSize(200, 160);
    p->plotLayout()->insertRow(0);
    m_occTitles[i] = new QCPTextElement(p, QString(), QFont(font().family(), font().pointSize(), QFont::Bold));
    p->plotLayout()->addElement(0, 0, m_occTitles[i]);
    p->xAxis->setLabel(tr("level (normalized value)"));
    p->yAxis->setLabel(i == 0 ? tr("share of values") : QString());
    p->xAxis->setRange(-1.1, 1.1);
    m_occBars[i] = new QCPBars(p->xAxis, p->yAxis);
    m_occBars[i]->setWidth(0.05);
    m_idealLines[i] = new QCPItemStraightLine(p);
    m_occPlots[i] = p;
    occRow->addWidget(p, 1);
  }

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_storage);
  layout->addWidget(m_histPlot, 3);
  layout->addLayout(occRow, 2);
  applyStyle();
  clear();
}

QString Nf4PreviewView::storageText() const { return m_storage->text(); }
QString Nf4PreviewView::title() const { return m_title->text(); }

void Nf4PreviewView::applyStyle() {
  const QColor neutral = neutralColor(palette());
  applyPlotStyle(*m_histPlot, palette());
  m_title->setTextColor(neutral);
  QColor fill = neutral;
  fill.setAlphaF(0.45);
  m_histBars->setBrush(fill);
  m_histBars->setPen(Qt::NoPen);
  m_histBars->setAntialiased(false);
  for (auto* l : m_levelLines) l->setPen(levelPen());
  for (auto* l : m_boundaryLines) l->setPen(boundaryPen());
  m_histPlot->legend->setBrush(palette().color(QPalette::Base));
  m_histPlot->legend->setTextColor(neutral);
  m_histPlot->legend->setBorderPen(Qt::NoPen);
  for (int i = 0; i < 3; ++i) {
    applyPlotStyle(*m_occPlots[i], palette());
    m_occTitles[i]->setTextColor(neutral);
    m_occBars[i]->setBrush(kAccents[i]);
    m_occBars[i]->setPen(Qt::NoPen);
    m_idealLines[i]->setPen(QPen(okabeIto::kVermilion, 1.2, Qt::DashLine));
  }
}

void Nf4PreviewView::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange) {
    applyStyle();
    m_histPlot->replot(QCustomPlot::rpQueuedReplot);
    for (auto* p : m_occPlots) p->replot(QCustomPlot::rpQueuedReplot);
  }
}

void Nf4PreviewView::showOccupancy(int i, const LevelOccupancy& occupancy) {
  QVector<double> keys, shares;
  double top = occupancy.ideal;
  for (std::size_t k = 0; k < occupancy.levels.size(); ++k) {
    keys << double(occupancy.levels[k]);
    shares << occupancy.fraction[k];
    top = std::max(top, occupancy.fraction[k]);
  }
  m_occBars[i]->setData(keys, shares, true);
  m_idealLines[i]->point1->setCoords(0, occupancy.ideal);
  m_idealLines[i]->point2->setCoords(1, occupancy.ideal);
  m_occPlots[i]->yAxis->setRange(0, top * 1.1);
  // Entropy says how many of the code's bits the data actually uses (4 = every level equally).
  m_occTitles[i]->setText(tr("%1 · %2 bits used · ideal 1/%3 (dashed)")
                              .arg(QString::fromStdString(occupancy.name).toUpper())
                              .arg(occupancy.entropyBits, 0, 'f', 2)
                              .arg(occupancy.levels.size()));
  m_occPlots[i]->replot(QCustomPlot::rpQueuedReplot);
}

void Nf4PreviewView::setPreview(const CodebookPreview& preview, const Storage& storage, const QString& title) {
  const Histogram& h = preview.normalized;
  QVector<double> keys, counts;
  double top = 1;
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    keys << h.binCenter(i);
    counts << double(h.counts[i]);
    top = std::max(top, counts.back());
  }
  m_histBars->setData(keys, counts, true);
  m_histBars->setWidth(h.binWidth());

  for (auto* l : m_levelLines) m_histPlot->removeItem(l);
  for (auto* l : m_boundaryLines) m_histPlot->removeItem(l);
  m_levelLines.clear();
  m_boundaryLines.clear();
  auto vertical = [this](double x, const QPen& pen) {
    auto* line = new QCPItemStraightLine(m_histPlot);
    line->point1->setCoords(x, 0);
    line->point2->setCoords(x, 1);
    line->setPen(pen);
    return line;
  };
  for (float level : preview.codebook.levels) m_levelLines.push_back(vertical(level, levelPen()));
  for (float boundary : preview.codebook.boundaries) m_boundaryLines.push_back(vertical(boundary, boundaryPen()));
  if (m_histPlot->graphCount() > 0)
    m_histPlot->graph(0)->setName(tr("%1 level").arg(QString::fromStdString(preview.codebook.name).toUpper()));

  showOccupancy(0, preview.codebook);
  showOccupancy(1, preview.int4);
  showOccupancy(2, preview.fp4);

  m_storage->setText(tr("block size B = %1 · %2 bits/param · %3 bits/param with double quantization · %4 values")
                         .arg(storage.blockSize)
                         .arg(storage.bitsPerParam, 0, 'g', 4)
                         .arg(storage.doubleQuantBitsPerParam, 0, 'g', 4)
                         .arg(preview.values));
  m_title->setText(title);
  m_histPlot->xAxis->setRange(-1.05, 1.05);
  m_histPlot->yAxis->setRange(0, top * 1.05);
  m_histPlot->replot(QCustomPlot::rpQueuedReplot);
}

void Nf4PreviewView::clear(const QString& message) {
  m_histBars->data()->clear();
  for (auto* l : m_levelLines) m_histPlot->removeItem(l);
  for (auto* l : m_boundaryLines) m_histPlot->removeItem(l);
  m_levelLines.clear();
  m_boundaryLines.clear();
  for (int i = 0; i < 3; ++i) {
    m_occBars[i]->data()->clear();
    m_occTitles[i]->setText(QString());
  }
  m_storage->clear();
  m_title->setText(message.isEmpty() ? tr("Select a tensor to preview NF4") : message);
  m_histPlot->xAxis->setRange(-1.05, 1.05);
  m_histPlot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace quench::widgets
