#include "widgets/figures_panel.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSaveFile>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "widgets/plot_export_menu.h"
#include "widgets/plot_style.h"
#include "widgets/text_format.h"

namespace quench::widgets {

namespace {

// Shortest text that reads back as the same double; non-finite values spelled out.
QString exact(double v) {
  if (std::isnan(v)) return QStringLiteral("nan");
  if (std::isinf(v)) return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
  return QString::number(v, 'g', QLocale::FloatingPointShortest);
}

QJsonValue jsonNumber(double v) { return std::isfinite(v) ? QJsonValue(v) : QJsonValue(exact(v)); }

bool readNumber(const QJsonValue& v, double* out) {
  if (v.isDouble()) {
    *out = v.toDouble();
    return true;
  }
  const QString s = v.toString();
  if (s == QLatin1String("inf")) *out = std::numeric_limits<double>::infinity();
  else if (s == QLatin1String("-inf")) *out = -std::numeric_limits<double>::infinity();
  else if (s == QLatin1String("nan")) *out = std::numeric_limits<double>::quiet_NaN();
  else return false;
  return true;
}

QString csvField(const QString& s) {
  if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n')) &&
      !s.contains(QLatin1Char('\r')))
    return s;
  QString q = s;
  q.replace(QLatin1String("\""), QLatin1String("\"\""));
  return QLatin1Char('"') + q + QLatin1Char('"');
}

QString percentText(double fraction) { return formatPercent(100.0 * fraction); }

QString sqnrText(double db) {
  if (std::isinf(db)) return db > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
  return QString::number(db, 'f', 2);
}

// The curve colours of pinned rows, in pin order; the live row is drawn in the neutral colour.
const QColor& pinColor(std::size_t i) {
  static const QColor colors[] = {okabeIto::kOrange, okabeIto::kSkyBlue, okabeIto::kBluishGreen,
                                  okabeIto::kBlue,   okabeIto::kVermilion, okabeIto::kReddishPurple};
  return colors[i % 6];
}

QJsonObject figuresToJson(const ErrorFigures& f) {
  QJsonObject o;
  o[QStringLiteral("numel")] = static_cast<double>(f.numel);
  o[QStringLiteral("nan")] = static_cast<double>(f.nan);
  o[QStringLiteral("inf")] = static_cast<double>(f.inf);
  o[QStringLiteral("nonFiniteReconstruction")] = static_cast<double>(f.nonFiniteReconstruction);
  o[QStringLiteral("mse")] = jsonNumber(f.mse);
  o[QStringLiteral("rmse")] = jsonNumber(f.rmse);
  o[QStringLiteral("maxAbsError")] = jsonNumber(f.maxAbsError);
  o[QStringLiteral("sqnrDb")] = jsonNumber(f.sqnrDb);
  o[QStringLiteral("cosine")] = jsonNumber(f.cosine);
  o[QStringLiteral("saturated")] = static_cast<double>(f.saturated);
  o[QStringLiteral("saturatedFraction")] = jsonNumber(f.saturatedFraction);
  o[QStringLiteral("bitsPerParam")] = jsonNumber(f.bitsPerParam);
  o[QStringLiteral("compressedBytes")] = static_cast<double>(f.compressedBytes);
  return o;
}

QJsonObject histogramToJson(const Histogram& h) {
  QJsonObject o;
  o[QStringLiteral("lo")] = h.lo;
  o[QStringLiteral("hi")] = h.hi;
  QJsonArray counts;
  for (std::uint64_t c : h.counts) counts.append(static_cast<double>(c));
  o[QStringLiteral("counts")] = counts;
  o[QStringLiteral("below")] = static_cast<double>(h.below);
  o[QStringLiteral("above")] = static_cast<double>(h.above);
  o[QStringLiteral("nan")] = static_cast<double>(h.nan);
  o[QStringLiteral("inf")] = static_cast<double>(h.inf);
  return o;
}

bool readCount(const QJsonObject& o, const char* key, std::uint64_t* out) {
  const QJsonValue v = o.value(QLatin1String(key));
  if (v.isUndefined()) return true;  // optional, 0
  const double d = v.toDouble(-1);
  if (!v.isDouble() || d < 0 || d > 9007199254740992.0 || d != std::floor(d)) return false;
  *out = static_cast<std::uint64_t>(d);
  return true;
}

QString figuresFromJson(const QJsonObject& o, ErrorFigures* f) {
  for (auto [key, out] : {std::pair{"numel", &f->numel}, {"nan", &f->nan}, {"inf", &f->inf},
                          {"nonFiniteReconstruction", &f->nonFiniteReconstruction}, {"saturated", &f->saturated},
                          {"compressedBytes", &f->compressedBytes}})
    if (!readCount(o, key, out)) return QObject::tr("\"%1\" is not a count").arg(QLatin1String(key));
  for (auto [key, out] : {std::pair{"mse", &f->mse}, {"rmse", &f->rmse}, {"maxAbsError", &f->maxAbsError},
                          {"sqnrDb", &f->sqnrDb}, {"cosine", &f->cosine}, {"saturatedFraction", &f->saturatedFraction},
                          {"bitsPerParam", &f->bitsPerParam}}) {
    const QJsonValue v = o.value(QLatin1String(key));
    if (!v.isUndefined() && !readNumber(v, out)) return QObject::tr("\"%1\" is not a number").arg(QLatin1String(key));
  }
  return {};
}

QString histogramFromJson(const QJsonObject& o, Histogram* h) {
  if (o.isEmpty()) return {};
  if (!o.value(QStringLiteral("lo")).isDouble() || !o.value(QStringLiteral("hi")).isDouble())
    return QObject::tr("the error histogram has no lo/hi");
  h->lo = o.value(QStringLiteral("lo")).toDouble();
  h->hi = o.value(QStringLiteral("hi")).toDouble();
  if (!(h->hi > h->lo) || !std::isfinite(h->lo) || !std::isfinite(h->hi))
    return QObject::tr("the error histogram's range is empty or not finite");
  const QJsonArray counts = o.value(QStringLiteral("counts")).toArray();
  if (counts.size() > (1 << 20)) return QObject::tr("the error histogram has more than 2^20 bins");
  h->counts.clear();
  for (const QJsonValue& c : counts) {
    const double d = c.toDouble(-1);
    if (!c.isDouble() || d < 0 || d != std::floor(d)) return QObject::tr("an error histogram count is not a count");
    h->counts.push_back(static_cast<std::uint64_t>(d));
  }
  for (auto [key, out] : {std::pair{"below", &h->below}, {"above", &h->above}, {"nan", &h->nan}, {"inf", &h->inf}})
    if (!readCount(o, key, out)) return QObject::tr("\"%1\" of the error histogram is not a count").arg(QLatin1String(key));
  return {};
}

QString saveAtomically(const QString& fileName, const QByteArray& bytes) {
  QSaveFile file(fileName);
  if (!file.open(QIODevice::WriteOnly)) return QStringLiteral("%1: %2").arg(QFileInfo(fileName).fileName(), file.errorString());
  if (file.write(bytes) != bytes.size() || !file.commit())
    return QStringLiteral("%1: %2").arg(QFileInfo(fileName).fileName(), file.errorString());
  return {};
}

}  // namespace

FiguresPanel::FiguresPanel(QWidget* parent)
    : QWidget(parent),
      m_summary(new QLabel(this)),
      m_pinButton(new QPushButton(tr("Pin"), this)),
      m_removeButton(new QPushButton(tr("Remove"), this)),
      m_clearButton(new QPushButton(tr("Clear pins"), this)),
      m_table(new QTableWidget(this)),
      m_plot(new QCustomPlot(this)) {
  m_summary->setObjectName(QStringLiteral("figuresSummary"));
  m_summary->setWordWrap(true);
  m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_pinButton->setObjectName(QStringLiteral("pinButton"));
  m_pinButton->setToolTip(tr("Freeze the current figures as a named row and curve, to compare recipes"));
  m_removeButton->setObjectName(QStringLiteral("removePinButton"));
  m_removeButton->setToolTip(tr("Remove the selected pinned rows"));
  m_clearButton->setObjectName(QStringLiteral("clearPinsButton"));
  connect(m_pinButton, &QPushButton::clicked, this, [this] { pinCurrent(); });
  connect(m_clearButton, &QPushButton::clicked, this, &FiguresPanel::clearPins);
  connect(m_removeButton, &QPushButton::clicked, this, [this] {
    QList<int> rows;
    for (const QModelIndex& index : m_table->selectionModel()->selectedRows()) rows << index.row();
    std::sort(rows.begin(), rows.end(), std::greater<>());
    for (int row : rows)
      if (row < static_cast<int>(m_pins.size())) removePin(row);
  });

  m_table->setObjectName(QStringLiteral("figuresTable"));
  m_table->setColumnCount(ColumnCount);
  m_table->setHorizontalHeaderLabels({tr("name"), tr("recipe"), tr("MSE"), tr("RMSE"), tr("SQNR (dB)"),
                                      tr("max |x̃ − x|"), tr("cosine"), tr("saturated (%)"), tr("bits/param")});
  m_table->horizontalHeaderItem(Mse)->setToolTip(tr("mean squared error Σ(x̃ − x)² / N"));
  m_table->horizontalHeaderItem(SqnrDb)->setToolTip(tr("10·log10(Σx² / Σ(x̃ − x)²)"));
  m_table->horizontalHeaderItem(Cosine)->setToolTip(tr("x·x̃ / (‖x‖‖x̃‖)"));
  m_table->horizontalHeaderItem(BitsPerParam)->setToolTip(tr("storage per parameter including scales and zero points"));
  m_table->verticalHeader()->setVisible(false);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_table->horizontalHeader()->setStretchLastSection(true);
  connect(m_table, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* item) {
    if (m_rebuilding || item->column() != Name || item->row() >= static_cast<int>(m_pins.size())) return;
    // Edited in place: the table keeps its items (rebuilding it would delete the item that is
    // emitting this signal); only the plot's legend follows.
    PinnedFigures& pin = m_pins[std::size_t(item->row())];
    const QString name = item->text().trimmed();
    if (name.isEmpty() || name == pin.name) {
      m_rebuilding = true;
      item->setText(pin.name);
      m_rebuilding = false;
      return;
    }
    pin.name = name;
    rebuildPlot();
    emit pinsChanged();
  });

  auto* logBox = new QCheckBox(tr("Log density"), this);
  logBox->setObjectName(QStringLiteral("figuresLog"));
  logBox->setToolTip(tr("Density on a logarithmic axis: the tails of the error distributions, and recipes of very different error widths together"));
  connect(logBox, &QCheckBox::toggled, this, [this](bool log) {
    m_plot->yAxis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log) m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    m_plot->yAxis->setLabel(log ? tr("density (1 / weight unit, log)") : tr("density (1 / weight unit)"));
    rebuildPlot();
  });

  m_plot->setObjectName(QStringLiteral("figuresPlot"));
  m_plot->setMinimumSize(280, 200);
  m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  m_plot->xAxis->setLabel(tr("error x̃ − x (weight units)"));
  m_plot->yAxis->setLabel(tr("density (1 / weight unit)"));
  m_plot->plotLayout()->insertRow(0);
  m_title = new QCPTextElement(m_plot, tr("Error distribution per recipe"),
                               QFont(font().family(), font().pointSize() + 1, QFont::Bold));
  m_plot->plotLayout()->addElement(0, 0, m_title);
  m_plot->plotLayout()->insertRow(1);
  m_plot->legend->setVisible(true);
  m_plot->axisRect()->insetLayout()->take(m_plot->legend);
  m_plot->plotLayout()->addElement(1, 0, m_plot->legend);
  m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
  m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_plot->legend->setWrap(3);
  m_plot->legend->setBorderPen(Qt::NoPen);
  m_plot->legend->setBrush(Qt::NoBrush);
  installExportMenu(m_plot, QStringLiteral("error-distributions.png"));

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_pinButton);
  buttons->addWidget(m_removeButton);
  buttons->addWidget(m_clearButton);
  buttons->addStretch(1);
  buttons->addWidget(logBox);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_summary);
  layout->addLayout(buttons);
  layout->addWidget(m_table, 1);
  layout->addWidget(m_plot, 2);
  applyStyle();
  // Log density by default: recipes differ in error width by 16× per 4 bits, and on a linear axis
  // the narrowest curve flattens all others.
  logBox->setChecked(true);
  clearCurrent();
}

void FiguresPanel::applyStyle() {
  applyPlotStyle(*m_plot, palette());
  m_title->setTextColor(neutralColor(palette()));
  m_plot->legend->setTextColor(neutralColor(palette()));
}

void FiguresPanel::changeEvent(QEvent* event) {
  QWidget::changeEvent(event);
  if (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange) {
    applyStyle();
    rebuildPlot();
  }
}

void FiguresPanel::setCurrent(const ErrorFigures& figures, const QString& recipeLabel, const QString& tensorName,
                              const Histogram& error) {
  m_current = PinnedFigures{recipeLabel, recipeLabel, tensorName, figures, error};
  m_hasCurrent = true;
  m_pinButton->setEnabled(true);
  m_summary->setText(summaryText());
  rebuildTable();
  rebuildPlot();
}

void FiguresPanel::clearCurrent() {
  m_current = PinnedFigures{};
  m_hasCurrent = false;
  m_pinButton->setEnabled(false);
  m_summary->setText(tr("No result yet: select a tensor and a recipe"));
  rebuildTable();
  rebuildPlot();
}

QString FiguresPanel::summaryText() const {
  if (!m_hasCurrent) return {};
  const ErrorFigures& f = m_current.figures;
  QStringList parts;
  parts << tr("MSE %1").arg(QString::number(f.mse, 'g', 4)) << tr("SQNR %1 dB").arg(sqnrText(f.sqnrDb))
        << tr("max |err| %1").arg(QString::number(f.maxAbsError, 'g', 4))
        << tr("cos %1").arg(QString::number(f.cosine, 'f', 6))
        << tr("saturated %1 %").arg(percentText(f.saturatedFraction));
  if (f.bitsPerParam > 0) parts << tr("%1 bits/param").arg(QString::number(f.bitsPerParam, 'g', 5));
  return parts.join(QStringLiteral(" · "));
}

bool FiguresPanel::pinCurrent(const QString& name) {
  if (!m_hasCurrent) return false;
  PinnedFigures pin = m_current;
  pin.name = name.trimmed().isEmpty() ? (m_current.recipeLabel.isEmpty() ? tr("pin %1").arg(m_pins.size() + 1)
                                                                          : m_current.recipeLabel)
                                      : name.trimmed();
  m_pins.push_back(std::move(pin));
  rebuildTable();
  rebuildPlot();
  emit pinsChanged();
  return true;
}

void FiguresPanel::removePin(int index) {
  if (index < 0 || index >= static_cast<int>(m_pins.size())) return;
  m_pins.erase(m_pins.begin() + index);
  rebuildTable();
  rebuildPlot();
  emit pinsChanged();
}

void FiguresPanel::clearPins() {
  if (m_pins.empty()) return;
  m_pins.clear();
  rebuildTable();
  rebuildPlot();
  emit pinsChanged();
}

void FiguresPanel::renamePin(int index, const QString& name) {
  if (index < 0 || index >= static_cast<int>(m_pins.size()) || name.trimmed().isEmpty() ||
      m_pins[std::size_t(index)].name == name.trimmed())
    return;
  m_pins[std::size_t(index)].name = name.trimmed();
  rebuildTable();
  rebuildPlot();
  emit pinsChanged();
}

std::vector<const PinnedFigures*> FiguresPanel::rows() const {
  std::vector<const PinnedFigures*> r;
  for (const PinnedFigures& p : m_pins) r.push_back(&p);
  if (m_hasCurrent) r.push_back(&m_current);
  return r;
}

void FiguresPanel::rebuildTable() {
  m_rebuilding = true;
  const auto all = rows();
  m_table->setRowCount(static_cast<int>(all.size()));
  for (int r = 0; r < static_cast<int>(all.size()); ++r) {
    const PinnedFigures& p = *all[std::size_t(r)];
    const bool live = m_hasCurrent && r == static_cast<int>(all.size()) - 1;
    const ErrorFigures& f = p.figures;
    const QString cells[ColumnCount] = {live ? tr("live") : p.name,
                                        p.recipeLabel,
                                        QString::number(f.mse, 'g', 4),
                                        QString::number(f.rmse, 'g', 4),
                                        sqnrText(f.sqnrDb),
                                        QString::number(f.maxAbsError, 'g', 4),
                                        QString::number(f.cosine, 'f', 6),
                                        percentText(f.saturatedFraction),
                                        f.bitsPerParam > 0 ? QString::number(f.bitsPerParam, 'g', 5) : QStringLiteral("—")};
    for (int c = 0; c < ColumnCount; ++c) {
      auto* item = new QTableWidgetItem(cells[c]);
      Qt::ItemFlags flags = Qt::ItemIsSelectable | Qt::ItemIsEnabled;
      if (c == Name && !live) flags |= Qt::ItemIsEditable;
      item->setFlags(flags);
      if (c >= Mse) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      if (live) {
        QFont font = item->font();
        font.setItalic(true);
        item->setFont(font);
      }
      if (c == Name && !live) item->setForeground(pinColor(std::size_t(r)));
      m_table->setItem(r, c, item);
    }
  }
  m_removeButton->setEnabled(!m_pins.empty());
  m_clearButton->setEnabled(!m_pins.empty());
  m_rebuilding = false;
}

void FiguresPanel::rebuildPlot() {
  m_plot->clearGraphs();
  const auto all = rows();
  double lo = 0, hi = 0, top = 0, bottom = 1;
  bool any = false;
  for (std::size_t r = 0; r < all.size(); ++r) {
    const PinnedFigures& p = *all[r];
    const bool live = m_hasCurrent && r + 1 == all.size();
    const std::uint64_t total = p.error.total();
    if (p.error.counts.empty() || total == 0) continue;
    auto* graph = m_plot->addGraph();
    graph->setName(live ? tr("live: %1").arg(p.recipeLabel) : p.name);
    graph->setLineStyle(QCPGraph::lsStepCenter);
    graph->setPen(live ? QPen(neutralColor(palette()), 2.0, Qt::DashLine) : QPen(pinColor(r), 1.8));
    QVector<QCPGraphData> pts;
    pts.reserve(static_cast<int>(p.error.counts.size()));
    // Density (fraction of weights per unit of error), so recipes whose histograms have
    // different bin widths compare on one axis: each curve integrates to 1.
    const double width = p.error.binWidth();
    for (std::size_t i = 0; i < p.error.counts.size(); ++i) {
      const double frac = static_cast<double>(p.error.counts[i]) / static_cast<double>(total) / width;
      pts.append(QCPGraphData(p.error.binCenter(i), frac));
      top = std::max(top, frac);
      if (frac > 0) bottom = std::min(bottom, frac);
    }
    graph->data()->set(pts, /*alreadySorted=*/true);
    lo = any ? std::min(lo, p.error.lo) : p.error.lo;
    hi = any ? std::max(hi, p.error.hi) : p.error.hi;
    any = true;
  }
  if (any) {
    const double pad = 0.02 * (hi - lo);
    m_plot->xAxis->setRange(lo - pad, hi + pad);
    if (m_plot->yAxis->scaleType() == QCPAxis::stLogarithmic)
      m_plot->yAxis->setRange(bottom * 0.5, std::max(top * 2.0, bottom * 10));
    else
      m_plot->yAxis->setRange(0, top * 1.05);
  } else {
    m_plot->xAxis->setRange(-1, 1);
    m_plot->yAxis->setRange(m_plot->yAxis->scaleType() == QCPAxis::stLogarithmic ? QCPRange(1e-6, 1) : QCPRange(0, 1));
  }
  m_title->setText(m_pins.empty() ? tr("Error distribution (pin recipes to compare)")
                                  : m_pins.size() == 1 ? tr("Error distribution: 1 recipe pinned")
                                                        : tr("Error distribution: %1 recipes pinned").arg(m_pins.size()));
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QString FiguresPanel::toCsv() const {
  QString out = QStringLiteral(
      "name,recipe,tensor,live,mse,rmse,sqnr_db,max_abs_error,cosine,saturated,saturated_fraction,bits_per_param,numel\n");
  const auto all = rows();
  for (std::size_t r = 0; r < all.size(); ++r) {
    const PinnedFigures& p = *all[r];
    const bool live = m_hasCurrent && r + 1 == all.size();
    const ErrorFigures& f = p.figures;
    QStringList fields{csvField(live ? QStringLiteral("live") : p.name), csvField(p.recipeLabel), csvField(p.tensorName),
                       live ? QStringLiteral("1") : QStringLiteral("0"), exact(f.mse), exact(f.rmse), exact(f.sqnrDb),
                       exact(f.maxAbsError), exact(f.cosine), QString::number(f.saturated), exact(f.saturatedFraction),
                       exact(f.bitsPerParam), QString::number(f.numel)};
    out += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
  }
  return out;
}

QByteArray FiguresPanel::toJson() const {
  QJsonArray array;
  const auto all = rows();
  for (std::size_t r = 0; r < all.size(); ++r) {
    const PinnedFigures& p = *all[r];
    const bool live = m_hasCurrent && r + 1 == all.size();
    const ErrorFigures& f = p.figures;
    QJsonObject o;
    o[QStringLiteral("name")] = live ? QStringLiteral("live") : p.name;
    o[QStringLiteral("recipe")] = p.recipeLabel;
    o[QStringLiteral("tensor")] = p.tensorName;
    o[QStringLiteral("live")] = live;
    o[QStringLiteral("mse")] = jsonNumber(f.mse);
    o[QStringLiteral("rmse")] = jsonNumber(f.rmse);
    o[QStringLiteral("sqnr_db")] = jsonNumber(f.sqnrDb);
    o[QStringLiteral("max_abs_error")] = jsonNumber(f.maxAbsError);
    o[QStringLiteral("cosine")] = jsonNumber(f.cosine);
    o[QStringLiteral("saturated")] = static_cast<double>(f.saturated);
    o[QStringLiteral("saturated_fraction")] = jsonNumber(f.saturatedFraction);
    o[QStringLiteral("bits_per_param")] = jsonNumber(f.bitsPerParam);
    o[QStringLiteral("numel")] = static_cast<double>(f.numel);
    array.append(o);
  }
  QJsonObject root;
  root[QStringLiteral("rows")] = array;
  return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QString FiguresPanel::saveCsv(const QString& fileName) const { return saveAtomically(fileName, toCsv().toUtf8()); }
QString FiguresPanel::saveJson(const QString& fileName) const { return saveAtomically(fileName, toJson()); }

QJsonArray FiguresPanel::pinsToJson() const {
  QJsonArray array;
  for (const PinnedFigures& p : m_pins) {
    QJsonObject o;
    o[QStringLiteral("name")] = p.name;
    o[QStringLiteral("recipe")] = p.recipeLabel;
    o[QStringLiteral("tensor")] = p.tensorName;
    o[QStringLiteral("figures")] = figuresToJson(p.figures);
    if (!p.error.counts.empty()) o[QStringLiteral("error")] = histogramToJson(p.error);
    array.append(o);
  }
  return array;
}

QString FiguresPanel::pinsFromJson(const QJsonArray& array) {
  std::vector<PinnedFigures> pins;
  for (int i = 0; i < array.size(); ++i) {
    if (!array[i].isObject()) return tr("pin %1 is not an object").arg(i + 1);
    const QJsonObject o = array[i].toObject();
    PinnedFigures p;
    p.name = o.value(QStringLiteral("name")).toString().trimmed();
    if (p.name.isEmpty()) return tr("pin %1 has no name").arg(i + 1);
    p.recipeLabel = o.value(QStringLiteral("recipe")).toString();
    p.tensorName = o.value(QStringLiteral("tensor")).toString();
    if (!o.value(QStringLiteral("figures")).isObject()) return tr("pin %1 (%2) has no figures").arg(i + 1).arg(p.name);
    if (QString e = figuresFromJson(o.value(QStringLiteral("figures")).toObject(), &p.figures); !e.isEmpty())
      return tr("pin %1 (%2): %3").arg(i + 1).arg(p.name, e);
    if (QString e = histogramFromJson(o.value(QStringLiteral("error")).toObject(), &p.error); !e.isEmpty())
      return tr("pin %1 (%2): %3").arg(i + 1).arg(p.name, e);
    pins.push_back(std::move(p));
  }
  m_pins = std::move(pins);
  rebuildTable();
  rebuildPlot();
  emit pinsChanged();
  return {};
}

}  // namespace quench::widgets
