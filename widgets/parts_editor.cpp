#include "widgets/text_format.h"
#include "widgets/parts_editor.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QTableView>
#include <QVBoxLayout>
#include <array>
#include <cmath>

#include "widgets/parts_table_model.h"

namespace quench::widgets {

namespace {
const QString kNoteStyle = QStringLiteral("color: #D55E00;");  // Okabe–Ito vermilion
}  // namespace

QWidget* PartsEditor::withNote(QWidget* w, const QString& which) {
  auto* box = new QWidget;
  auto* v = new QVBoxLayout(box);
  v->setContentsMargins(0, 0, 0, 0);
  v->setSpacing(1);
  v->addWidget(w);
  auto* note = new QLabel;
  note->setStyleSheet(kNoteStyle);
  note->setWordWrap(true);
  note->setVisible(false);
  v->addWidget(note);
  m_notes[which] = note;
  return box;
}

PartsEditor::PartsEditor(QWidget* parent) : QGroupBox(tr("Parts"), parent) {
  auto* pv = new QVBoxLayout(this);
  pv->setContentsMargins(4, 4, 4, 4);
  {
    auto* h = new QHBoxLayout;
    m_filter = new QLineEdit;
    m_filter->setPlaceholderText(tr("filter: 17, 100-200, sat>0, edited"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setToolTip(QStringLiteral(
        "part numbers (17) and ranges (100-200) select a union; sat>0, sat>=N, sat%>1 (percent), "
        "edited (parts typed by hand) must all hold"));
    m_filterCount = new QLabel;
    m_filterCount->setStyleSheet(QStringLiteral("color: #555;"));
    h->addWidget(m_filter, 1);
    h->addWidget(m_filterCount);
    pv->addLayout(h);
    pv->addWidget(withNote(new QWidget, QStringLiteral("filter")));
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString& t) { setFilter(t); });
  }
  m_model = new PartsTableModel(this);
  m_proxy = new PartsFilterProxy(this);
  m_proxy->setSourceModel(m_model);
  m_table = new QTableView;
  m_table->setModel(m_proxy);
  m_table->setItemDelegate(new PartValueDelegate(m_table));
  m_table->setSortingEnabled(true);
  m_table->sortByColumn(PartsTableModel::kPart, Qt::AscendingOrder);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setSelectionMode(QAbstractItemView::SingleSelection);
  m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                           QAbstractItemView::AnyKeyPressed);
  m_table->setAlternatingRowColors(true);
  m_table->verticalHeader()->setVisible(false);
  // Fixed row heights: no per-row size hints, so 4096+ rows cost nothing until shown.
  m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
  m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  m_table->horizontalHeader()->setStretchLastSection(true);
  {
    const int digit = fontMetrics().horizontalAdvance(QLatin1Char('0'));
    const std::array<int, PartsTableModel::kColumnCount> widths{5, 7, 9, 9, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 8, 7};
    for (int c = 0; c < PartsTableModel::kColumnCount; ++c)
      m_table->setColumnWidth(c, digit * widths[static_cast<std::size_t>(c)] + 12);
  }
  m_table->horizontalHeader()->setResizeContentsPrecision(200);  // fit widths to a sample of rows, not all
  m_table->setMinimumHeight(160);
  pv->addWidget(m_table, 1);
  pv->addWidget(withNote(new QWidget, QStringLiteral("overrides")));
  connect(m_model, &PartsTableModel::overrideEdited, this, &PartsEditor::onOverrideEdited);
  connect(m_model, &PartsTableModel::editRejected, this,
          [this](int, int, const QString& message) { setNote(QStringLiteral("overrides"), message); });
  connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &PartsEditor::onSelectionChanged);
  for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
    connect(m_proxy, signal, this, [this] { updateCount(); });
  connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] { updateCount(); });
  connect(m_proxy, &QAbstractItemModel::layoutChanged, this, [this] { updateCount(); });

  // sliders of the selected part
  m_sliderBox = new QWidget;
  {
    auto* g = new QGridLayout(m_sliderBox);
    g->setContentsMargins(0, 0, 0, 0);
    m_sliderTitle = new QLabel;
    g->addWidget(m_sliderTitle, 0, 0, 1, 3);
    auto addSlider = [&](int row, const QString& name, const QString& tip, QSlider*& slider, QLabel*& value,
                         QLabel** nameLabel = nullptr) {
      auto* l = new QLabel(name);
      l->setToolTip(tip);
      if (nameLabel) *nameLabel = l;
      slider = new QSlider(Qt::Horizontal);
      slider->setToolTip(tip);
      value = new QLabel;
      value->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("0.000000e-00")));
      value->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
      g->addWidget(l, row, 0);
      g->addWidget(slider, row, 1);
      g->addWidget(value, row, 2);
      connect(slider, &QSlider::sliderReleased, this, &PartsEditor::runEnded);
    };
    addSlider(1, QStringLiteral("s"),
              QStringLiteral("scale s of the selected part, logarithmic: s_cal·10^−2 .. s_cal·10^2\n"
                             "x̃ = s·(n − b), n = clip(round(x/s) + b, L, U)"),
              m_scaleSlider, m_scaleValue);
    addSlider(2, QStringLiteral("b"), QStringLiteral("zero point b of the selected part: n = clip(round(x/s) + b, L, U)"),
              m_zeroSlider, m_zeroValue);
    addSlider(3, QStringLiteral("M"),
              QStringLiteral("clip of the selected part: symmetric M (L = −M, U = M), asymmetric U"), m_clipSlider,
              m_clipValue, &m_clipName);
    m_scaleSlider->setRange(0, 400);  // 100 steps per decade over four decades
    m_scaleSlider->setPageStep(10);
    connect(m_scaleSlider, &QSlider::valueChanged, this, [this](int value) {
      const double s = m_scaleSliderCentre * std::pow(10.0, (value - 200) / 100.0);
      slid(PartsTableModel::kScale, PartsTableModel::formatNumber(s), QStringLiteral("s"), kMergeScale);
    });
    connect(m_zeroSlider, &QSlider::valueChanged, this, [this](int value) {
      slid(PartsTableModel::kZero, QString::number(value), QStringLiteral("b"), kMergeZero);
    });
    connect(m_clipSlider, &QSlider::valueChanged, this, [this](int value) {
      const bool sym = m_layout.symmetricGrid;
      slid(sym ? PartsTableModel::kClip : PartsTableModel::kHigh, QString::number(value),
           sym ? QStringLiteral("M") : QStringLiteral("U"), kMergeClip);
    });
  }
  pv->addWidget(m_sliderBox);
  {
    auto* h = new QHBoxLayout;
    m_resetPart = new QPushButton(tr("Reset part"));
    m_resetPart->setToolTip(tr("back to the calibrator's proposal for the selected part"));
    m_resetAll = new QPushButton(tr("Reset all overrides"));
    m_resetAll->setToolTip(tr("back to the calibrator's proposal for every part"));
    h->addWidget(m_resetPart);
    h->addWidget(m_resetAll);
    h->addStretch(1);
    pv->addLayout(h);
    connect(m_resetPart, &QPushButton::clicked, this, &PartsEditor::resetSelectedPart);
    connect(m_resetAll, &QPushButton::clicked, this, &PartsEditor::resetAllOverrides);
  }
}

void PartsEditor::setMethod(const PartLayout& layout, const PartOverrides* overrides) {
  m_layout = layout;
  m_editable = layout.affineGrid && overrides;
  m_overrides = overrides ? *overrides : PartOverrides{};
  m_model->setGrid(validIntegerBits(layout.gridBits) ? layout.gridBits : 8, layout.symmetricGrid);
  m_model->setEditable(m_editable);
  m_model->setOverrides(m_editable ? m_overrides : PartOverrides{});
  // Columns: b, M, L, U and the proposal only for affine grids; s and saturation where they exist.
  using C = PartsTableModel;
  const bool affine = layout.affineGrid, sym = layout.symmetricGrid;
  for (int c = 0; c < C::kColumnCount; ++c) {
    bool show = true;
    switch (c) {
      case C::kScale: show = layout.scale; break;
      case C::kScaleCal:
      case C::kZero: show = affine; break;
      case C::kZeroCal: show = affine && !sym; break;  // a symmetric calibrator always proposes b = 0
      case C::kClip:
      case C::kClipCal: show = affine && sym; break;
      case C::kLow:
      case C::kLowCal:
      case C::kHigh:
      case C::kHighCal: show = affine && !sym; break;
      case C::kSaturated:
      case C::kSaturatedPct: show = layout.saturation; break;
      default: break;
    }
    m_table->setColumnHidden(c, !show);
  }
  m_sliderBox->setVisible(m_editable);
  m_resetPart->setVisible(m_editable);
  m_resetAll->setVisible(m_editable);
  setTitle(m_editable ? tr("Parts (type s, b, %1 or drag the sliders)").arg(sym ? "M" : "L, U") : tr("Parts"));
  syncSliders();
}

void PartsEditor::updateCount() {
  const int total = m_model->rowCount(), shown = m_proxy->rowCount();
  m_filterCount->setText(shown == total ? countedNoun(total, tr("part"), tr("parts"))
                                        : tr("%1 of %2").arg(formatCount(shown), countedNoun(total, tr("part"), tr("parts"))));
}

void PartsEditor::syncSliders() {
  const int part = m_selectedPart;
  const bool have = part >= 0 && part < m_model->partCount() && m_editable;
  m_scaleSlider->setEnabled(have);
  m_zeroSlider->setEnabled(have);
  m_clipSlider->setEnabled(have);
  m_resetPart->setEnabled(have && m_overrides.count(static_cast<std::size_t>(part)));
  m_resetAll->setEnabled(!m_overrides.empty());
  m_clipName->setText(m_layout.symmetricGrid ? QStringLiteral("M") : QStringLiteral("U"));
  if (!have) {
    m_sliderTitle->setText(tr("select a part to edit it with the sliders"));
    m_scaleValue->clear();
    m_zeroValue->clear();
    m_clipValue->clear();
    return;
  }
  const PartParams e = m_model->effectiveParams(part);
  const auto [lo, hi] = m_model->codeRange();
  const bool was = m_updating;
  m_updating = true;
  m_sliderTitle->setText(tr("part %1").arg(part));
  m_scaleValue->setText(QString::number(e.scale, 'g', 6));
  m_zeroValue->setText(QString::number(e.zeroPoint));
  m_clipValue->setText(m_layout.symmetricGrid ? QString::number(e.clipHigh)
                                              : QStringLiteral("[%1, %2]").arg(e.clipLow).arg(e.clipHigh));
  if (!m_scaleSlider->isSliderDown()) {
    const int v = static_cast<int>(std::lround(200.0 + 100.0 * std::log10(e.scale / m_scaleSliderCentre)));
    m_scaleSlider->setValue(std::clamp(v, 0, 400));
  }
  if (!m_zeroSlider->isSliderDown()) {
    m_zeroSlider->setRange(static_cast<int>(std::min(lo, e.zeroPoint)), static_cast<int>(std::max(hi, e.zeroPoint)));
    m_zeroSlider->setValue(static_cast<int>(e.zeroPoint));
  }
  if (!m_clipSlider->isSliderDown()) {
    if (m_layout.symmetricGrid)
      m_clipSlider->setRange(1, static_cast<int>(m_model->maxClip()));
    else
      m_clipSlider->setRange(static_cast<int>(std::max(lo, e.clipLow)), static_cast<int>(hi));
    m_clipSlider->setValue(static_cast<int>(e.clipHigh));
  }
  m_updating = was;
}

void PartsEditor::setParts(const std::vector<PartReport>& used, const std::vector<PartParams>& proposed) {
  const int before = m_selectedPart;
  const int countBefore = m_model->partCount();
  m_model->setParts(used, proposed);
  if (m_model->partCount() != countBefore) m_table->resizeColumnsToContents();
  if (before >= m_model->partCount()) {
    m_selectedPart = -1;
    emit partSelected(-1);
  } else if (before >= 0) {
    // A reset model lost the selection: select the same part again (no signal: it did not change).
    const QModelIndex idx = m_proxy->mapFromSource(m_model->index(before, 0));
    if (idx.isValid() && !m_table->selectionModel()->isRowSelected(idx.row(), {})) {
      const bool was = m_updating;
      m_updating = true;
      m_table->selectionModel()->select(idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
      m_updating = was;
    }
  }
  if (m_selectedPart >= 0) {
    if (auto p = m_model->proposedParams(m_selectedPart); p && !m_scaleSlider->isSliderDown())
      m_scaleSliderCentre = p->scale;
  }
  updateCount();
  syncSliders();
}

void PartsEditor::onSelectionChanged() {
  if (m_updating) return;
  const QModelIndexList rows = m_table->selectionModel()->selectedRows();
  const int part = rows.isEmpty() ? -1 : m_proxy->mapToSource(rows.front()).row();
  if (part == m_selectedPart) return;
  m_selectedPart = part;
  emit runEnded();
  if (part >= 0) {
    const auto p = m_model->proposedParams(part);
    m_scaleSliderCentre = p ? p->scale : m_model->effectiveParams(part).scale;
  }
  syncSliders();
  emit partSelected(part);
}

void PartsEditor::selectPart(int part) {
  if (part < 0 || part >= m_model->partCount()) {
    m_table->selectionModel()->clearSelection();
    return;
  }
  const QModelIndex idx = m_proxy->mapFromSource(m_model->index(part, 0));
  if (idx.isValid()) {
    m_table->selectionModel()->select(idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_table->scrollTo(idx);
  }
}

QString PartsEditor::setFilter(const QString& text) {
  if (m_filter->text() != text) {
    const QSignalBlocker block(m_filter);
    m_filter->setText(text);
  }
  const QString error = m_proxy->setFilterText(text);
  setNote(QStringLiteral("filter"), error);
  updateCount();
  return error;
}

void PartsEditor::onOverrideEdited(int part, const PartOverride& o) {
  if (!m_editable) return;
  setNote(QStringLiteral("overrides"), {});
  PartOverrides next = m_overrides;
  next[static_cast<std::size_t>(part)] = o;
  emit overridesEdited(next, tr("part %1").arg(part), -1, -1);
}

// A slider of the selected part moved to `text` (as if typed into `column`).
void PartsEditor::slid(int column, const QString& text, const QString& what, int merge) {
  if (m_updating || m_selectedPart < 0 || !m_editable) return;
  QString error;
  auto o = m_model->parseEdit(m_selectedPart, column, text, &error);
  if (!o) return setNote(QStringLiteral("overrides"), error);
  PartOverrides next = m_overrides;
  next[static_cast<std::size_t>(m_selectedPart)] = *o;
  emit overridesEdited(next, tr("%1 of part %2").arg(what).arg(m_selectedPart), merge, m_selectedPart);
}

void PartsEditor::resetSelectedPart() {
  if (m_selectedPart < 0) return;
  PartOverrides next = m_overrides;
  next.erase(static_cast<std::size_t>(m_selectedPart));
  emit overridesEdited(next, tr("reset part %1").arg(m_selectedPart), -1, -1);
}

void PartsEditor::resetAllOverrides() { emit overridesEdited({}, tr("reset all overrides"), -1, -1); }

void PartsEditor::setNote(const QString& which, const QString& message) {
  QLabel* note = m_notes.at(which);
  note->setText(message);
  note->setVisible(!message.isEmpty());
}

QString PartsEditor::note(const QString& which) const { return m_notes.at(which)->text(); }

void PartsEditor::clearNotes() {
  for (auto& [which, note] : m_notes) {
    note->clear();
    note->setVisible(false);
  }
}

}  // namespace quench::widgets
