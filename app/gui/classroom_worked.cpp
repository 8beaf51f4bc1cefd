#include "app/gui/classroom_worked.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "core/quant/calibrate.h"
#include "core/quant/scale_format.h"
#include "core/quant/worked.h"
#include "widgets/classroom_style.h"
#include "widgets/text_format.h"
#include "widgets/worked_quantization_view.h"

namespace quench::app {
namespace {

using widgets::formatReal;

enum { kParamS = 0, kParamB, kParamL, kParamU, kParamColumns };

QString roundingLabel(Rounding r) {
  switch (r) {
    case Rounding::HalfEven: return QObject::tr("half to even (NumPy, PyTorch)");
    case Rounding::HalfAwayFromZero: return QObject::tr("half away from zero (C round)");
    case Rounding::TowardZero: return QObject::tr("toward zero (truncate)");
    case Rounding::Stochastic: return QObject::tr("stochastic (seed 0)");
    default: break;
  }
  return QString::fromLatin1(roundingName(r).data());
}

// The part's values in part order.
std::vector<double> partValues(const Partition& partition, std::size_t j, std::span<const double> x) {
  std::vector<double> v;
  v.reserve(std::size_t(partition.partSize(j)));
  partition.forEachIndex(j, [&](std::int64_t i) { v.push_back(x[std::size_t(i)]); });
  return v;
}

}  // namespace

WorkedQuantizationTool::WorkedQuantizationTool(QWidget* parent) : ClassroomTool(parent) {
  m_values = new QLineEdit(this);
  m_values->setToolTip(tr("The vector x, comma-separated (each value is stored as float32)"));
  m_values->setObjectName(QStringLiteral("workedValues"));
  m_parts = new QLineEdit(this);
  m_parts->setObjectName(QStringLiteral("workedParts"));
  m_parts->setPlaceholderText(tr("one part (every element)"));
  m_parts->setToolTip(tr("Parts as 0-based index lists separated by ';', e.g. 0,1;2,3. Every index must be in "
                         "exactly one part."));
  m_rounding = new QComboBox(this);
  m_rounding->setObjectName(QStringLiteral("workedRounding"));
  for (Rounding r : {Rounding::HalfEven, Rounding::HalfAwayFromZero, Rounding::TowardZero, Rounding::Stochastic})
    m_rounding->addItem(roundingLabel(r), int(r));
  m_scaleFormat = new QComboBox(this);
  m_scaleFormat->addItem(tr("as typed (exact, double)"), QString());
  for (const char* f : {"fp32", "fp16", "bf16", "e8m0"}) m_scaleFormat->addItem(QString::fromLatin1(f), QString::fromLatin1(f));
  m_scaleFormat->setToolTip(tr("MATH.md §2: on the board s is used exactly as typed. Pick a storage format to see "
                               "what storing s as fp32/fp16/bf16/E8M0 does (quench-cli --scale-format)."));
  m_params = new QTableWidget(0, kParamColumns, this);
  m_params->setObjectName(QStringLiteral("workedParams"));
  m_params->setHorizontalHeaderLabels({tr("s (scale)"), tr("b (zero point)"), tr("L"), tr("U")});
  m_params->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  m_params->setToolTip(tr("One row per part. n = clip_[L,U](round(x/s) + b), x̃ = s·(n − b). Symmetric "
                          "k-bit: L = −M, U = M with M = 2^(k−1) − 1; unsigned: [0, 2^k − 1]. s is used as "
                          "typed unless a storage format is picked."));
  m_params->setMaximumHeight(150);
  m_gridBits = new QSpinBox(this);
  m_gridBits->setRange(2, 16);
  m_gridBits->setValue(8);
  m_gridBits->setSuffix(tr(" bits"));
  m_gridKind = new QComboBox(this);
  m_gridKind->addItem(tr("symmetric [−M, M]"));
  m_gridKind->addItem(tr("unsigned [0, 2^k − 1]"));
  auto* setGrid = new QPushButton(tr("Set grid"), this);
  setGrid->setToolTip(tr("Set L and U of every part to the k-bit grid"));
  auto* absmax = new QPushButton(tr("Propose s by absmax"), this);
  absmax->setToolTip(tr("s = max|x| / M per part (b = 0, [−M, M] with M = U)"));
  auto* minmax = new QPushButton(tr("Propose s, b by min-max"), this);
  minmax->setToolTip(tr("s = (max − min)/(U − L), b = L + round(−min/s) per part"));
  QLabel* error = makeErrorLabel();
  m_cli = new QLabel(this);
  m_cli->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_cli->setWordWrap(true);
  m_cli->setToolTip(tr("The same computation with the command-line tool"));

  auto* form = new QFormLayout;
  form->addRow(tr("Values x:"), m_values);
  form->addRow(tr("Parts:"), m_parts);
  form->addRow(tr("Rounding:"), m_rounding);
  form->addRow(tr("s stored as:"), m_scaleFormat);
  auto* gridRow = new QHBoxLayout;
  gridRow->addWidget(m_gridBits);
  gridRow->addWidget(m_gridKind);
  gridRow->addWidget(setGrid);
  gridRow->addStretch(1);
  gridRow->addWidget(absmax);
  gridRow->addWidget(minmax);
  auto* inputs = new QVBoxLayout;
  inputs->addLayout(form);
  inputs->addWidget(m_params);
  inputs->addLayout(gridRow);
  inputs->addWidget(error);
  inputs->addWidget(m_cli);
  m_view = new widgets::WorkedQuantizationView(this);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(inputs);
  layout->addWidget(m_view, 1);

  connect(m_values, &QLineEdit::textChanged, this, [this] {
    recompute();
    noteEdit();
  });
  connect(m_parts, &QLineEdit::textChanged, this, [this] {
    syncPartRows();
    recompute();
    noteEdit();
  });
  connect(m_rounding, &QComboBox::currentIndexChanged, this, [this] {
    recompute();
    noteEdit();
  });
  connect(m_scaleFormat, &QComboBox::currentIndexChanged, this, [this] {
    recompute();
    noteEdit();
  });
  connect(m_params, &QTableWidget::cellChanged, this, [this] {
    recompute();
    noteEdit();
  });
  connect(setGrid, &QPushButton::clicked, this, [this] {
    const auto [lo, hi] = integerGrid(m_gridBits->value(), m_gridKind->currentIndex() == 0);
    m_loading = true;
    for (int r = 0; r < m_params->rowCount(); ++r) {
      m_params->item(r, kParamL)->setText(QString::number(lo));
      m_params->item(r, kParamU)->setText(QString::number(hi));
      if (lo < 0) m_params->item(r, kParamB)->setText(QStringLiteral("0"));
    }
    m_loading = false;
    recompute();
    noteEdit();
  });
  connect(absmax, &QPushButton::clicked, this, [this] {
    proposeAbsmax();
    noteEdit();
  });
  connect(minmax, &QPushButton::clicked, this, [this] {
    proposeMinMax();
    noteEdit();
  });
}

void WorkedQuantizationTool::setParamRow(int row, const PartParams& p) {
  const bool was = m_loading;
  m_loading = true;
  const QString cells[kParamColumns] = {widgets::formatExact(p.scale), QString::number(p.zeroPoint), QString::number(p.clipLow),
                                        QString::number(p.clipHigh)};
  for (int c = 0; c < kParamColumns; ++c) {
    if (!m_params->item(row, c)) m_params->setItem(row, c, new QTableWidgetItem);
    m_params->item(row, c)->setText(cells[c]);
    m_params->item(row, c)->setTextAlignment(Qt::AlignVCenter | Qt::AlignRight);
  }
  m_loading = was;
}

void WorkedQuantizationTool::syncPartRows() {
  // As many parameter rows as parts. Rows of dropped parts are kept aside by index and come back
  // when the part does; a part never seen before copies the last row.
  const QString text = m_parts->text().trimmed();
  const int k = text.isEmpty() ? 1 : int(text.split(QLatin1Char(';')).size());
  const int old = m_params->rowCount();
  if (k == old) return;
  const bool was = m_loading;
  m_loading = true;
  if (m_dropped.size() < std::size_t(std::max(k, old))) m_dropped.resize(std::size_t(std::max(k, old)));
  for (int r = k; r < old; ++r)
    for (int c = 0; c < kParamColumns; ++c)
      m_dropped[std::size_t(r)][std::size_t(c)] = m_params->item(r, c) ? m_params->item(r, c)->text() : QString();
  QStringList vertical;
  for (int j = 0; j < k; ++j) vertical << tr("part %1").arg(j);
  m_params->setRowCount(k);
  m_params->setVerticalHeaderLabels(vertical);
  for (int r = old; r < k; ++r) {
    const auto& kept = m_dropped[std::size_t(r)];
    if (!kept[0].isEmpty()) {
      for (int c = 0; c < kParamColumns; ++c) {
        auto* it = new QTableWidgetItem(kept[std::size_t(c)]);
        it->setTextAlignment(Qt::AlignVCenter | Qt::AlignRight);
        m_params->setItem(r, c, it);
      }
      continue;
    }
    PartParams p{0.01, 0, -127, 127};
    if (r > 0 && m_params->item(r - 1, 0)) {
      p.scale = m_params->item(r - 1, kParamS)->text().toDouble();
      p.zeroPoint = m_params->item(r - 1, kParamB)->text().toLongLong();
      p.clipLow = m_params->item(r - 1, kParamL)->text().toLongLong();
      p.clipHigh = m_params->item(r - 1, kParamU)->text().toLongLong();
    }
    setParamRow(r, p);
  }
  m_loading = was;
}

std::optional<ScaleFormat> WorkedQuantizationTool::scaleFormat() const {
  const QString f = m_scaleFormat->currentData().toString();
  if (f.isEmpty()) return std::nullopt;
  if (auto parsed = parseScaleFormat(f.toStdString())) return *parsed;
  return std::nullopt;
}

std::vector<PartParams> WorkedQuantizationTool::typedParams(QString* error) const {
  std::vector<PartParams> out;
  const char* names[kParamColumns] = {"s", "b", "L", "U"};
  for (int r = 0; r < m_params->rowCount(); ++r) {
    PartParams p;
    for (int c = 0; c < kParamColumns; ++c) {
      const QString t = m_params->item(r, c) ? m_params->item(r, c)->text().trimmed() : QString();
      bool ok = false;
      if (c == kParamS) {
        const double s = t.toDouble(&ok);
        if (!ok || !(s > 0) || !std::isfinite(s)) {
          *error = tr("part %1: s must be a positive number, got '%2'").arg(r).arg(t);
          return {};
        }
        // As typed (MATH.md §2), or stored in the picked format as `--scale-format` does.
        const auto fmt = scaleFormat();
        p.scale = fmt ? storeScale(s, *fmt) : s;
      } else {
        const qlonglong v = t.toLongLong(&ok);
        if (!ok) {
          *error = tr("part %1: %2 must be an integer, got '%3'").arg(r).arg(QLatin1String(names[c]), t);
          return {};
        }
        (c == kParamB ? p.zeroPoint : c == kParamL ? p.clipLow : p.clipHigh) = v;
      }
    }
    if (p.clipLow > p.clipHigh) {
      *error = tr("part %1: L = %2 > U = %3").arg(r).arg(p.clipLow).arg(p.clipHigh);
      return {};
    }
    out.push_back(p);
  }
  return out;
}

void WorkedQuantizationTool::recompute() {
  if (m_loading) return;
  auto fail = [this](const QString& why) {
    showError(why);
    m_view->clear(inputErrorHint());
    m_cli->clear();
  };
  const std::string valuesText = m_values->text().toStdString();
  auto x = parseWorkedValues(valuesText);
  if (!x) return fail(tr("Values: %1").arg(QString::fromStdString(x.error().message)));
  auto partition = parseWorkedParts(m_parts->text().toStdString(), std::int64_t(x->size()));
  if (!partition) return fail(tr("Parts: %1").arg(QString::fromStdString(partition.error().message)));
  syncPartRows();
  QString error;
  const std::vector<PartParams> params = typedParams(&error);
  if (!error.isEmpty()) return fail(error);
  const auto rounding = static_cast<Rounding>(m_rounding->currentData().toInt());
  auto w = workedQuantization(*x, *partition, params, rounding);
  if (!w) return fail(QString::fromStdString(w.error().message));
  showError({});
  QStringList parts;
  for (std::size_t j = 0; j < params.size(); ++j)
    parts << QStringLiteral("s=%1 b=%2 [%3,%4]")
                 .arg(widgets::formatShortest(params[j].scale))
                 .arg(params[j].zeroPoint)
                 .arg(params[j].clipLow)
                 .arg(params[j].clipHigh);
  const QString title = tr("Worked quantization: %1, %2: %3 · round %4")
                            .arg(widgets::countedNoun(qsizetype(x->size()), tr("value"), tr("values")),
                                 widgets::countedNoun(qsizetype(params.size()), tr("part"), tr("parts")))
                            .arg(parts.join(QLatin1String("; ")), QString::fromLatin1(roundingName(rounding).data()));
  m_view->setWorked(*w, title);
  m_cli->setText(QStringLiteral("<small><code>%1</code></small>").arg(cliCommand().toHtmlEscaped()));
}

QString WorkedQuantizationTool::cliCommand() const {
  QString error;
  const std::vector<PartParams> params = typedParams(&error);
  if (!error.isEmpty()) return {};
  QStringList s, b, c;
  bool anyZero = false;
  for (const PartParams& p : params) {
    s << widgets::formatExact(p.scale);  // shortest; with a storage format, the stored value
    b << QString::number(p.zeroPoint);
    c << QStringLiteral("%1:%2").arg(p.clipLow).arg(p.clipHigh);
    anyZero = anyZero || p.zeroPoint != 0;
  }
  QString cmd = QStringLiteral("quench-cli quantize --values \"%1\"").arg(m_values->text().simplified());
  if (!m_parts->text().trimmed().isEmpty()) cmd += QStringLiteral(" --parts \"%1\"").arg(m_parts->text().simplified());
  cmd += QStringLiteral(" --scale %1").arg(s.join(QLatin1Char(',')));
  if (anyZero) cmd += QStringLiteral(" --zero=%1").arg(b.join(QLatin1Char(',')));
  cmd += QStringLiteral(" --clip=%1").arg(c.join(QLatin1Char(',')));
  const auto rounding = static_cast<Rounding>(m_rounding->currentData().toInt());
  cmd += QStringLiteral(" --round %1").arg(QString::fromLatin1(roundingName(rounding).data()));
  if (!m_scaleFormat->currentData().toString().isEmpty())
    cmd += QStringLiteral(" --scale-format %1").arg(m_scaleFormat->currentData().toString());
  return cmd;
}

void WorkedQuantizationTool::setInputs(const QString& values, const QString& parts, Rounding rounding,
                                    const std::vector<PartParams>& params) {
  const bool outer = m_loading;
  m_loading = true;
  m_values->setText(values);
  m_parts->setText(parts);
  m_rounding->setCurrentIndex(m_rounding->findData(int(rounding)));
  m_params->setRowCount(0);
  m_params->setRowCount(int(params.size()));
  QStringList vertical;
  for (int j = 0; j < int(params.size()); ++j) {
    vertical << tr("part %1").arg(j);
    setParamRow(j, params[std::size_t(j)]);
  }
  m_params->setVerticalHeaderLabels(vertical);
  syncPartRows();
  m_loading = outer;
  recompute();
}

void WorkedQuantizationTool::proposeAbsmax() {
  proposeEachPart([this](int j, std::span<const double> v) -> Result<PartParams> {
    const std::int64_t m = m_params->item(j, kParamU) ? m_params->item(j, kParamU)->text().toLongLong() : 127;
    return quench::proposeAbsmax(v, std::max<std::int64_t>(m, 1));
  });
}

void WorkedQuantizationTool::proposeMinMax() {
  proposeEachPart([this](int j, std::span<const double> v) -> Result<PartParams> {
    const std::int64_t lo = m_params->item(j, kParamL)->text().toLongLong();
    const std::int64_t hi = m_params->item(j, kParamU)->text().toLongLong();
    return quench::proposeMinMax(v, lo, hi);
  });
}

void WorkedQuantizationTool::proposeEachPart(
    const std::function<Result<PartParams>(int part, std::span<const double> values)>& propose) {
  // The typed vector and partition as they stand; nothing to propose while either is invalid.
  auto x = parseWorkedValues(m_values->text().toStdString());
  if (!x) return;
  auto partition = parseWorkedParts(m_parts->text().toStdString(), std::int64_t(x->size()));
  if (!partition) return;
  syncPartRows();
  m_loading = true;
  for (std::size_t j = 0; j < partition->partCount(); ++j) {
    const std::vector<double> v = partValues(*partition, j, *x);
    if (auto p = propose(int(j), v)) setParamRow(int(j), *p);
  }
  m_loading = false;
  recompute();
}


void WorkedQuantizationTool::setGridChoice(int bits, bool symmetric) {
  m_gridBits->setValue(bits);
  m_gridKind->setCurrentIndex(symmetric ? 0 : 1);
}

QCustomPlot* WorkedQuantizationTool::plot() const { return m_view->plot(); }

QString WorkedQuantizationTool::tableText(widgets::TableFormat format, QString* error) const {
  if (m_view->stepRows() == 0) {
    *error = tr("nothing to export: %1").arg(inputError());
    return {};
  }
  QString text = widgets::formatTable(m_view->stepTable(), format);
  text += format == widgets::TableFormat::Csv ? QStringLiteral("\r\n") : QStringLiteral("\n");
  text += widgets::formatTable(m_view->totalsTable(), format);
  return text;
}

QJsonObject WorkedQuantizationTool::saveState() const {
  QJsonObject worked;
  worked[QStringLiteral("values")] = m_values->text();
  worked[QStringLiteral("parts")] = m_parts->text();
  worked[QStringLiteral("rounding")] =
      QString::fromLatin1(roundingName(static_cast<Rounding>(m_rounding->currentData().toInt())).data());
  QJsonArray params;
  for (int r = 0; r < m_params->rowCount(); ++r) {
    QJsonArray row;
    for (int c = 0; c < kParamColumns; ++c) row.append(m_params->item(r, c) ? m_params->item(r, c)->text() : QString());
    params.append(row);
  }
  worked[QStringLiteral("params")] = params;
  worked[QStringLiteral("scale_format")] = m_scaleFormat->currentData().toString();
  return worked;
}

void WorkedQuantizationTool::restoreState(const QJsonObject& worked) {
  if (worked.isEmpty()) return;
  const bool outer = m_loading;
  m_loading = true;
  m_values->setText(worked[QStringLiteral("values")].toString());
  m_parts->setText(worked[QStringLiteral("parts")].toString());
  if (auto r = parseRounding(worked[QStringLiteral("rounding")].toString().toStdString()))
    m_rounding->setCurrentIndex(m_rounding->findData(int(*r)));
  m_scaleFormat->setCurrentIndex(std::max(0, m_scaleFormat->findData(worked[QStringLiteral("scale_format")].toString())));
  const QJsonArray params = worked[QStringLiteral("params")].toArray();
  m_params->setRowCount(0);
  m_params->setRowCount(int(params.size()));
  QStringList vertical;
  for (int r = 0; r < params.size(); ++r) {
    vertical << tr("part %1").arg(r);
    const QJsonArray row = params[r].toArray();
    for (int c = 0; c < kParamColumns; ++c) {
      auto* it = new QTableWidgetItem(row.at(c).toString());
      it->setTextAlignment(Qt::AlignVCenter | Qt::AlignRight);
      m_params->setItem(r, c, it);
    }
  }
  m_params->setVerticalHeaderLabels(vertical);
  m_loading = outer;
}

QList<QWidget*> WorkedQuantizationTool::selfScaling() const { return {m_view, m_params}; }

void WorkedQuantizationTool::presentationChanged(bool on, double scale) {
  m_view->setPresentation(on);
  widgets::applyTableScale(*m_params, QWidget::font(), scale);
  m_params->setMaximumHeight(int(150 * scale));
}

}  // namespace quench::app
