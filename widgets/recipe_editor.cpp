#include "widgets/recipe_editor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QTableView>
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>
#include <array>
#include <charconv>
#include <cmath>

#include "core/quant/codebook.h"
#include "core/quant/float_format.h"
#include "core/quant/partition.h"
#include "widgets/parts_table_model.h"

namespace quench::widgets {

// One user edit: the whole MethodParams before and after, so undo restores exactly what was
// there. Slider edits carry a merge id (field) and the part; consecutive ones with the same id,
// part and slider serial (bumped on release) merge into one step.
class RecipeEditCommand : public QUndoCommand {
 public:
  RecipeEditCommand(RecipeEditor* editor, MethodParams before, MethodParams after, const QString& text, int mergeId,
                    int part, int serial)
      : QUndoCommand(text),
        m_editor(editor),
        m_before(std::move(before)),
        m_after(std::move(after)),
        m_mergeId(mergeId),
        m_part(part),
        m_serial(serial) {}

  void undo() override { m_editor->applyFromCommand(m_before); }
  void redo() override { m_editor->applyFromCommand(m_after); }
  int id() const override { return m_mergeId; }
  bool mergeWith(const QUndoCommand* other) override {
    const auto* o = static_cast<const RecipeEditCommand*>(other);
    if (o->m_part != m_part || o->m_serial != m_serial) return false;
    m_after = o->m_after;
    setObsolete(m_after == m_before);  // dragged back to where it started: no step at all
    return true;
  }

 private:
  RecipeEditor* m_editor;
  MethodParams m_before, m_after;
  int m_mergeId, m_part, m_serial;
};

namespace {

const QString kNoteStyle = QStringLiteral("color: #D55E00;");  // Okabe–Ito vermilion

// Bits: 2..8 and 16. Stepping skips 9..15; typing them is caught with a note.
class BitsSpinBox : public QSpinBox {
 public:
  using QSpinBox::QSpinBox;
  void stepBy(int steps) override {
    int v = value();
    for (int i = 0; i < std::abs(steps); ++i) {
      if (steps > 0) v = v >= 8 ? 16 : v + 1;
      else v = v == 16 ? 8 : std::max(2, v - 1);
    }
    setValue(v);
  }
};

constexpr std::array<int, 8> kBitsSteps{2, 3, 4, 5, 6, 7, 8, 16};

int bitsToSlider(int bits) {
  for (std::size_t i = 0; i < kBitsSteps.size(); ++i)
    if (kBitsSteps[i] == bits) return static_cast<int>(i);
  return 6;
}

QString shortest(double v) { return PartsTableModel::formatNumber(v); }

// Formulas of MATH.md, shown as tooltips.
const QString kTipMethod = QStringLiteral(
    "int: n = clip(round(x/s) + b, L, U), x̃ = s·(n − b)\n"
    "float: x̃ = R'(x), nearest value of E<e>M<m> (saturating to ±max where the format has no inf)\n"
    "nf4 / fp4: per block a = max|x|, n = argmin |x/a − c_n|, x̃ = a·c_n\n"
    "prune: zero the fraction f of smallest |θ|, or keep the N largest |θ| of every M\n"
    "llm-int8: X·W ≈ X[:, O]·W[O, :] + deq(Q_row(X[:, ¬O])·Q_col(W[¬O, :])), O = outlier columns");
const QString kTipBits = QStringLiteral(
    "k bits per code (2..8 or 16)\nsymmetric: L = −M, U = M, M = 2^(k−1) − 1 (127 for 8 bits, 7 for 4)\n"
    "unsigned: [L, U] = [0, 2^k − 1]");
const QString kTipSymmetric = QStringLiteral(
    "symmetric: b = 0, [L, U] = [−M, M], s = max|x| / M\n"
    "asymmetric: [L, U] = [0, 2^k − 1], s = (max − min) / (2^k − 1), b = round(−min / s)");
const QString kTipPartition = QStringLiteral(
    "each part j has its own s_j, b_j, L_j, U_j\n"
    "tensor: one part · row: one per output channel · column: one per input channel\n"
    "group:G: runs of G consecutive elements along rows (or columns); the last group may be short");
const QString kTipCalibration = QStringLiteral(
    "proposes s, b per part (typed values override it)\n"
    "absmax: s = max|x| / M, b = 0\n"
    "minmax: s = (max − min) / (2^k − 1), b = round(−min / s)\n"
    "percentile:P: like absmax / minmax on the P-th percentile of |x| (or P and 100 − P)\n"
    "mse: clip c ∈ (0, max|x|] minimizing Σ(x − x̃)²\n"
    "entropy: threshold minimizing KL(reference ‖ quantized) on a 2048-bin histogram of |x|");
const QString kTipPercentile = QStringLiteral(
    "P ∈ (0, 100]: clip range [−P_P(|x|), P_P(|x|)] (symmetric) or [P_(100−P)(x), P_P(x)];\n"
    "the tail beyond it saturates on purpose");
const QString kTipRounding = QStringLiteral(
    "n = round(x / s) + b\neven: ties to even (NumPy, PyTorch)\naway: ties away from zero (C round)\n"
    "zero: truncation toward zero\nup: ties toward +∞, ⌊v + ½⌋ (llama.cpp Q4_0)\n"
    "stochastic: up with probability equal to the fractional part (seeded)");
const QString kTipScaleFormat = QStringLiteral(
    "s is computed in double, then stored in this format; the stored s is used:\n"
    "n = round(x / s_stored) + b, x̃ = s_stored·(n − b)\ne8m0: a bare power of two 2^e, e ∈ [−127, 127]");
const QString kTipArithmetic = QStringLiteral(
    "exact: n = round(x / s_stored) + b in double (MATH.md §2)\n"
    "ggml: llama.cpp's Q8_0/Q4_0 code arithmetic: n = round(x·(1/d)) in fp32 from the scale d\n"
    "before it is rounded to the stored format (symmetric grid only; switching to the asymmetric\n"
    "grid sets it back to exact)");
const QString kTipFloatFormat = QStringLiteral(
    "E<e>M<m>: 1 sign, e exponent bits (bias 2^(e−1) − 1), m mantissa bits, subnormals\n"
    "value = (−1)^s·2^(E − bias)·(1 + M/2^m); x̃ = nearest representable value\n"
    "max finite: fp16 65504, e4m3 448, e5m2 57344, e3m2 28, e2m3 7.5, e2m1 6");
const QString kTipMxBlock = QStringLiteral(
    "MX shared scale: one E8M0 power of two 2^e per B consecutive values,\n"
    "x̃ = 2^e·R'(x / 2^e); 0 = no shared scale");
const QString kTipCodebookBlock = QStringLiteral(
    "block of B consecutive values: a = max|x|, n = argmin |x/a − c_n|, x̃ = a·c_n\n"
    "bits/param = k + 32/B (NF4, B = 64: 4.5)");
const QString kTipDoubleQuant = QStringLiteral(
    "quantize the block absmax constants themselves: subtract their mean, 8 bits per 256 blocks\n"
    "bits/param = k + 8/B + 32/(256·B) (NF4, B = 64: 4.127)");
const QString kTipSparsity = QStringLiteral(
    "fraction f: zero the fraction f of smallest |θ| (per tensor or per row)\n"
    "N:M: in each group of M consecutive inputs keep the N largest |θ| (2:4 by default)");
const QString kTipThreshold = QStringLiteral(
    "feature column j is an outlier when any |X[t, j]| ≥ τ (weight-only: max |W[:, j]| ≥ τ);\n"
    "outlier columns stay in full precision, the rest int8 absmax (τ = 6 by default)");

struct Choice {
  const char* key;
  const char* text;
};

}  // namespace

RecipeEditor::RecipeEditor(QWidget* parent) : QWidget(parent), m_undo(new QUndoStack(this)) {
  buildUi();
  setParams(MethodParams::defaults(Method::Int));
}

RecipeEditor::~RecipeEditor() = default;

QWidget* RecipeEditor::withNote(QWidget* editor, const QString& field) {
  auto* box = new QWidget;
  auto* v = new QVBoxLayout(box);
  v->setContentsMargins(0, 0, 0, 0);
  v->setSpacing(1);
  v->addWidget(editor);
  auto* note = new QLabel;
  note->setStyleSheet(kNoteStyle);
  note->setWordWrap(true);
  note->setVisible(false);
  v->addWidget(note);
  m_notes[field].push_back(note);
  return box;
}

void RecipeEditor::buildUi() {
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(4, 4, 4, 4);

  m_tensorLabel = new QLabel;
  m_tensorLabel->setStyleSheet(QStringLiteral("color: #555;"));
  m_tensorLabel->setVisible(false);
  outer->addWidget(m_tensorLabel);
  m_generalNote = new QLabel;
  m_generalNote->setStyleSheet(kNoteStyle);
  m_generalNote->setWordWrap(true);
  m_generalNote->setVisible(false);
  outer->addWidget(m_generalNote);

  m_form = new QFormLayout;
  m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  m_form->setVerticalSpacing(4);
  outer->addLayout(m_form);

  auto addRow = [&](const QString& key, const QString& label, QWidget* editor, const QString& tip) {
    auto* l = new QLabel(label);
    l->setToolTip(tip);
    QWidget* row = withNote(editor, key);
    m_form->addRow(l, row);
    m_rows[key] = row;
  };
  auto combo = [](std::initializer_list<Choice> choices, const QString& tip) {
    auto* c = new QComboBox;
    for (const Choice& ch : choices) c->addItem(QString::fromUtf8(ch.text), QString::fromLatin1(ch.key));
    c->setToolTip(tip);
    return c;
  };

  // method
  m_method = combo({{"int", "int (uniform integer grid)"},
                    {"float", "float (low-precision format)"},
                    {"nf4", "nf4 (NormalFloat codebook)"},
                    {"fp4", "fp4 (bitsandbytes codebook)"},
                    {"prune", "prune (magnitude / N:M)"},
                    {"llm-int8", "llm-int8 (outlier decomposition)"}},
                   kTipMethod);
  m_fields["method"] = m_method;
  addRow(QStringLiteral("method"), tr("method"), m_method, kTipMethod);

  // bits: spin box + slider
  {
    auto* w = new QWidget;
    auto* h = new QHBoxLayout(w);
    h->setContentsMargins(0, 0, 0, 0);
    m_bits = new BitsSpinBox;
    m_bits->setRange(2, 16);
    m_bits->setKeyboardTracking(false);
    m_bits->setToolTip(kTipBits);
    m_bitsSlider = new QSlider(Qt::Horizontal);
    m_bitsSlider->setRange(0, static_cast<int>(kBitsSteps.size()) - 1);
    m_bitsSlider->setPageStep(1);
    m_bitsSlider->setTickPosition(QSlider::TicksBelow);
    m_bitsSlider->setToolTip(kTipBits);
    h->addWidget(m_bits);
    h->addWidget(m_bitsSlider, 1);
    m_fields["bits"] = m_bits;
    addRow(QStringLiteral("bits"), tr("bits k"), w, kTipBits);
    connect(m_bits, &QSpinBox::valueChanged, this, [this](int v) { onBitsEdited(v, false); });
    connect(m_bitsSlider, &QSlider::valueChanged, this,
            [this](int v) { onBitsEdited(kBitsSteps[static_cast<std::size_t>(std::clamp(v, 0, 7))], true); });
    connect(m_bitsSlider, &QSlider::sliderReleased, this, [this] { ++m_sliderSerial; });
  }

  m_symmetric = combo({{"sym", "symmetric (±M, b = 0)"}, {"asym", "asymmetric (0..2^k − 1, zero point b)"}},
                      kTipSymmetric);
  m_fields["symmetric"] = m_symmetric;
  addRow(QStringLiteral("symmetric"), tr("grid"), m_symmetric, kTipSymmetric);
  connect(m_symmetric, &QComboBox::activated, this, [this] {
    if (m_updating) return;
    MethodParams next = m_params;
    next.symmetric = m_symmetric->currentData().toString() == QLatin1String("sym");
    if (!next.symmetric) next.arithmetic = CodeArithmetic::Exact;  // ggml has no zero point
    // The other grid's b and L/U mean nothing on this one; typed scales stay.
    for (auto it = next.overrides.begin(); it != next.overrides.end();) {
      it->second.zeroPoint.reset();
      it->second.clipLow.reset();
      it->second.clipHigh.reset();
      it = it->second == PartOverride{} ? next.overrides.erase(it) : std::next(it);
    }
    showError(QStringLiteral("symmetric"), {});
    showError(QStringLiteral("arithmetic"), {});
    commit(next, tr("grid"));
  });

  // partition: kind, G, axis, part count
  {
    auto* w = new QWidget;
    auto* h = new QHBoxLayout(w);
    h->setContentsMargins(0, 0, 0, 0);
    m_partition = combo({{"tensor", "tensor"}, {"row", "row"}, {"column", "column"}, {"group", "group"}}, kTipPartition);
    m_group = new QSpinBox;
    m_group->setRange(1, 1 << 24);
    m_group->setValue(128);
    m_group->setPrefix(QStringLiteral("G = "));
    m_group->setKeyboardTracking(false);
    m_group->setToolTip(QStringLiteral("group size G: runs of G consecutive elements (g = 32, 64, 128, ...)"));
    m_groupAxis = combo({{"row", "along rows"}, {"column", "along columns"}},
                        QStringLiteral("along rows: G consecutive elements of a row (stride 1)\n"
                                       "along columns: G consecutive elements of a column (stride = row length)"));
    m_partCountLabel = new QLabel;
    m_partCountLabel->setStyleSheet(QStringLiteral("color: #555;"));
    h->addWidget(m_partition);
    h->addWidget(m_group);
    h->addWidget(m_groupAxis);
    h->addWidget(m_partCountLabel, 1);
    m_fields["partition"] = m_partition;
    m_fields["group"] = m_group;
    m_fields["group_axis"] = m_groupAxis;
    addRow(QStringLiteral("partition"), tr("partition"), w, kTipPartition);
    connect(m_partition, &QComboBox::activated, this, &RecipeEditor::onPartitionEdited);
    connect(m_group, &QSpinBox::valueChanged, this, &RecipeEditor::onPartitionEdited);
    connect(m_groupAxis, &QComboBox::activated, this, &RecipeEditor::onPartitionEdited);
  }

  // calibration + percentile
  {
    auto* w = new QWidget;
    auto* h = new QHBoxLayout(w);
    h->setContentsMargins(0, 0, 0, 0);
    m_calibration = new QComboBox;
    m_calibration->setToolTip(kTipCalibration);
    const std::array<Choice, 6> calibs{{{"absmax", "absmax"},
                                        {"minmax", "min-max"},
                                        {"percentile", "percentile"},
                                        {"mse", "MSE-optimal"},
                                        {"entropy", "entropy (KL)"},
                                        {"signed-max", "signed max (Q4_0)"}}};
    for (const Choice& c : calibs) {
      // Offer what this core parses (percentile needs its P to parse).
      const std::string probe = std::string(c.key) + (std::string(c.key) == "percentile" ? ":99" : "");
      if (parseCalibration(probe)) m_calibration->addItem(QString::fromUtf8(c.text), QString::fromLatin1(c.key));
    }
    m_percentile = new QLineEdit;
    m_percentile->setPlaceholderText(QStringLiteral("P"));
    m_percentile->setToolTip(kTipPercentile);
    m_percentile->setMaximumWidth(80);
    h->addWidget(m_calibration, 1);
    h->addWidget(new QLabel(QStringLiteral("P =")));
    h->addWidget(m_percentile);
    m_fields["calib"] = m_calibration;
    m_fields["percentile"] = m_percentile;
    addRow(QStringLiteral("calib"), tr("calibration"), w, kTipCalibration);
    connect(m_calibration, &QComboBox::activated, this, &RecipeEditor::onCalibrationEdited);
    connect(m_percentile, &QLineEdit::editingFinished, this, &RecipeEditor::onCalibrationEdited);
  }

  // rounding
  m_rounding = new QComboBox;
  m_rounding->setToolTip(kTipRounding);
  for (const Choice& c : {Choice{"even", "half to even"}, Choice{"away", "half away from zero"},
                          Choice{"zero", "toward zero"}, Choice{"up", "half up (toward +∞)"},
                          Choice{"stochastic", "stochastic"}})
    if (parseRounding(c.key)) m_rounding->addItem(QString::fromUtf8(c.text), QString::fromLatin1(c.key));
  m_fields["round"] = m_rounding;
  addRow(QStringLiteral("round"), tr("rounding"), m_rounding, kTipRounding);
  connect(m_rounding, &QComboBox::activated, this, [this] {
    if (m_updating) return;
    MethodParams next = m_params;
    next.rounding = *parseRounding(m_rounding->currentData().toString().toStdString());
    commit(next, tr("rounding"));
  });

  // scale format
  m_scaleFormat = combo({{"fp32", "fp32"}, {"fp16", "fp16"}, {"bf16", "bf16"}, {"e8m0", "e8m0 (power of two)"}},
                        kTipScaleFormat);
  m_fields["scale_format"] = m_scaleFormat;
  addRow(QStringLiteral("scale_format"), tr("scale format"), m_scaleFormat, kTipScaleFormat);
  connect(m_scaleFormat, &QComboBox::activated, this, [this] {
    if (m_updating) return;
    MethodParams next = m_params;
    next.scaleFormat = *parseScaleFormat(m_scaleFormat->currentData().toString().toStdString());
    commit(next, tr("scale format"));
  });

  // code arithmetic (the exact §2 map, or llama.cpp's fp32 arithmetic for Q8_0/Q4_0)
  m_arithmetic = combo({{"exact", "exact (MATH.md §2)"}, {"ggml", "ggml (llama.cpp Q8_0/Q4_0)"}}, kTipArithmetic);
  m_fields["arithmetic"] = m_arithmetic;
  addRow(QStringLiteral("arithmetic"), tr("code arithmetic"), m_arithmetic, kTipArithmetic);
  connect(m_arithmetic, &QComboBox::activated, this, [this] {
    if (m_updating) return;
    const auto a = parseCodeArithmetic(m_arithmetic->currentData().toString().toStdString());
    if (*a == CodeArithmetic::Ggml && !m_params.symmetric) {
      showError(QStringLiteral("arithmetic"), tr("ggml arithmetic needs the symmetric grid (b = 0)"));
      return;
    }
    showError(QStringLiteral("arithmetic"), {});
    MethodParams next = m_params;
    next.arithmetic = *a;
    commit(next, tr("%1 arithmetic").arg(m_arithmetic->currentData().toString()));
  });

  // float format (+ custom ExMy)
  {
    auto* w = new QWidget;
    auto* h = new QHBoxLayout(w);
    h->setContentsMargins(0, 0, 0, 0);
    m_floatFormat = combo({{"fp16", "fp16 (E5M10)"},
                           {"bf16", "bf16 (E8M7)"},
                           {"e4m3", "fp8 E4M3"},
                           {"e5m2", "fp8 E5M2"},
                           {"e3m2", "fp6 E3M2"},
                           {"e2m3", "fp6 E2M3"},
                           {"e2m1", "fp4 E2M1"},
                           {"custom", "custom ExMy"}},
                          kTipFloatFormat);
    m_customE = new QSpinBox;
    m_customE->setRange(0, 9);  // 0 and 9 are typeable so the note can say why they fail
    m_customE->setPrefix(QStringLiteral("E"));
    m_customE->setKeyboardTracking(false);
    m_customE->setToolTip(QStringLiteral("e exponent bits, 1..8 (bias 2^(e−1) − 1); 1 + e + m ≤ 16"));
    m_customM = new QSpinBox;
    m_customM->setRange(0, 16);
    m_customM->setPrefix(QStringLiteral("M"));
    m_customM->setKeyboardTracking(false);
    m_customM->setToolTip(QStringLiteral("m mantissa bits, 0..15; 1 + e + m ≤ 16"));
    h->addWidget(m_floatFormat, 1);
    h->addWidget(m_customE);
    h->addWidget(m_customM);
    m_fields["format"] = m_floatFormat;
    m_fields["format_custom"] = m_customE;
    addRow(QStringLiteral("format"), tr("format"), w, kTipFloatFormat);
    connect(m_floatFormat, &QComboBox::activated, this, &RecipeEditor::onFloatFormatEdited);
    connect(m_customE, &QSpinBox::valueChanged, this, &RecipeEditor::onFloatFormatEdited);
    connect(m_customM, &QSpinBox::valueChanged, this, &RecipeEditor::onFloatFormatEdited);
  }

  // MX block (float)
  m_mxBlock = new QSpinBox;
  m_mxBlock->setRange(0, 1 << 24);
  m_mxBlock->setSpecialValueText(QStringLiteral("none"));
  m_mxBlock->setKeyboardTracking(false);
  m_mxBlock->setToolTip(kTipMxBlock);
  m_fields["mx_block"] = m_mxBlock;
  addRow(QStringLiteral("mx_block"), tr("MX block"), m_mxBlock, kTipMxBlock);
  m_notes["block"].push_back(m_notes["mx_block"].front());
  connect(m_mxBlock, &QSpinBox::valueChanged, this, [this](int v) {
    if (m_updating) return;
    MethodParams next = m_params;
    next.block = static_cast<std::size_t>(v);
    commit(next, tr("MX block"));
  });

  // codebook block + double quant
  m_codebookBlock = new QSpinBox;
  m_codebookBlock->setRange(1, 1 << 24);
  m_codebookBlock->setKeyboardTracking(false);
  m_codebookBlock->setToolTip(kTipCodebookBlock);
  m_fields["codebook_block"] = m_codebookBlock;
  addRow(QStringLiteral("codebook_block"), tr("block size B"), m_codebookBlock, kTipCodebookBlock);
  m_notes["block"].push_back(m_notes["codebook_block"].front());
  connect(m_codebookBlock, &QSpinBox::valueChanged, this, [this](int v) {
    if (m_updating) return;
    MethodParams next = m_params;
    next.block = static_cast<std::size_t>(v);
    commit(next, tr("block size"));
  });
  {
    auto* w = new QWidget;
    auto* h = new QHBoxLayout(w);
    h->setContentsMargins(0, 0, 0, 0);
    m_doubleQuant = new QCheckBox(tr("quantize the absmax constants"));
    m_doubleQuant->setToolTip(kTipDoubleQuant);
    m_codebookBits = new QLabel;
    m_codebookBits->setStyleSheet(QStringLiteral("color: #555;"));
    m_codebookBits->setToolTip(QStringLiteral("nominal storage: k + 32/B, or k + 8/B + 32/(256·B) with double quantization"));
    h->addWidget(m_doubleQuant);
    h->addWidget(m_codebookBits, 1);
    m_fields["double_quant"] = m_doubleQuant;
    addRow(QStringLiteral("double_quant"), tr("double quant"), w, kTipDoubleQuant);
    connect(m_doubleQuant, &QCheckBox::toggled, this, [this](bool on) {
      if (m_updating) return;
      MethodParams next = m_params;
      next.doubleQuant = on;
      commit(next, tr("double quantization"));
    });
  }

  // sparsity: fraction or N:M
  {
    auto* w = new QWidget;
    auto* h = new QHBoxLayout(w);
    h->setContentsMargins(0, 0, 0, 0);
    m_sparsityKind = combo({{"fraction", "fraction f"}, {"nm", "N:M"}}, kTipSparsity);
    m_sparsityFraction = new QLineEdit;
    m_sparsityFraction->setPlaceholderText(QStringLiteral("0.5"));
    m_sparsityFraction->setToolTip(QStringLiteral("fraction f ∈ [0, 1] of the smallest |θ| set to zero"));
    m_sparsityN = new QSpinBox;
    m_sparsityN->setRange(0, 1024);
    m_sparsityN->setPrefix(QStringLiteral("N "));
    m_sparsityN->setKeyboardTracking(false);
    m_sparsityN->setToolTip(QStringLiteral("N kept per group, 1 ≤ N ≤ M"));
    m_sparsityM = new QSpinBox;
    m_sparsityM->setRange(1, 1024);
    m_sparsityM->setPrefix(QStringLiteral("M "));
    m_sparsityM->setKeyboardTracking(false);
    m_sparsityM->setToolTip(QStringLiteral("M consecutive inputs per group"));
    h->addWidget(m_sparsityKind);
    h->addWidget(m_sparsityFraction, 1);
    h->addWidget(m_sparsityN);
    h->addWidget(m_sparsityM);
    m_fields["sparsity"] = m_sparsityKind;
    addRow(QStringLiteral("sparsity"), tr("sparsity"), w, kTipSparsity);
    connect(m_sparsityKind, &QComboBox::activated, this, &RecipeEditor::onSparsityEdited);
    connect(m_sparsityFraction, &QLineEdit::editingFinished, this, &RecipeEditor::onSparsityEdited);
    connect(m_sparsityN, &QSpinBox::valueChanged, this, &RecipeEditor::onSparsityEdited);
    connect(m_sparsityM, &QSpinBox::valueChanged, this, &RecipeEditor::onSparsityEdited);
  }
  m_prunePartition = combo({{"tensor", "per tensor"}, {"row", "per row"}},
                           QStringLiteral("the fraction f is taken of the whole tensor or of every row"));
  m_fields["prune_partition"] = m_prunePartition;
  addRow(QStringLiteral("prune_partition"), tr("scope"), m_prunePartition, m_prunePartition->toolTip());
  connect(m_prunePartition, &QComboBox::activated, this, [this] {
    if (m_updating) return;
    MethodParams next = m_params;
    next.partition = m_prunePartition->currentData().toString().toStdString();
    commit(next, tr("pruning scope"));
  });

  // threshold τ
  m_threshold = new QDoubleSpinBox;
  m_threshold->setRange(0.001, 1e6);
  m_threshold->setDecimals(3);
  m_threshold->setSingleStep(0.5);
  m_threshold->setKeyboardTracking(false);
  m_threshold->setToolTip(kTipThreshold);
  m_fields["threshold"] = m_threshold;
  addRow(QStringLiteral("threshold"), tr("threshold τ"), m_threshold, kTipThreshold);
  connect(m_threshold, &QDoubleSpinBox::valueChanged, this, [this](double v) {
    if (m_updating) return;
    MethodParams next = m_params;
    next.threshold = v;
    commit(next, tr("threshold"));
  });

  connect(m_method, &QComboBox::activated, this, &RecipeEditor::onMethodChanged);

  // ---- parts table ----
  auto* parts = new QGroupBox(tr("Parts"));
  m_partsBox = parts;
  m_fields["parts"] = parts;
  auto* pv = new QVBoxLayout(parts);
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
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString& t) { setPartsFilter(t); });
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
  connect(m_model, &PartsTableModel::overrideEdited, this, &RecipeEditor::onOverrideEdited);
  connect(m_model, &PartsTableModel::editRejected, this,
          [this](int, int, const QString& message) { showError(QStringLiteral("overrides"), message); });
  connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RecipeEditor::onSelectionChanged);
  connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this] { updateHints(); });
  connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, [this] { updateHints(); });
  connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] { updateHints(); });
  connect(m_proxy, &QAbstractItemModel::layoutChanged, this, [this] { updateHints(); });

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
      connect(slider, &QSlider::sliderReleased, this, [this] { ++m_sliderSerial; });
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
    connect(m_scaleSlider, &QSlider::valueChanged, this, &RecipeEditor::onScaleSlider);
    connect(m_zeroSlider, &QSlider::valueChanged, this, &RecipeEditor::onZeroSlider);
    connect(m_clipSlider, &QSlider::valueChanged, this, &RecipeEditor::onClipSlider);
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
    connect(m_resetPart, &QPushButton::clicked, this, &RecipeEditor::resetSelectedPart);
    connect(m_resetAll, &QPushButton::clicked, this, &RecipeEditor::resetAllOverrides);
  }
  outer->addWidget(parts, 1);
}

// ---- showing ---------------------------------------------------------------------------------

void RecipeEditor::setParams(const MethodParams& p) {
  m_params = p;
  m_lastByMethod[p.method] = p;
  showParamsInFields();
}

void RecipeEditor::applyFromCommand(const MethodParams& p) {
  m_params = p;
  m_lastByMethod[p.method] = p;
  showParamsInFields();
  emit paramsChanged(m_params);
}

namespace {
void selectData(QComboBox* c, const QString& key) {
  const int i = c->findData(key);
  if (i >= 0) c->setCurrentIndex(i);
}
}  // namespace

void RecipeEditor::showParamsInFields() {
  const bool was = m_updating;
  m_updating = true;
  const MethodParams& p = m_params;
  selectData(m_method, QString::fromUtf8(methodName(p.method)));
  m_bits->setValue(p.bits);
  if (!m_bitsSlider->isSliderDown()) m_bitsSlider->setValue(bitsToSlider(p.bits));
  selectData(m_symmetric, p.symmetric ? QStringLiteral("sym") : QStringLiteral("asym"));

  // partition: tensor | row | column | group:G[:column]
  const QString part = QString::fromStdString(p.partition);
  if (part.startsWith(QLatin1String("group:"))) {
    const QStringList bits = part.split(QLatin1Char(':'));
    selectData(m_partition, QStringLiteral("group"));
    if (bits.size() >= 2) m_group->setValue(bits[1].toInt());
    selectData(m_groupAxis, bits.size() >= 3 && bits[2] == QLatin1String("column") ? QStringLiteral("column")
                                                                                    : QStringLiteral("row"));
  } else {
    selectData(m_partition, part);
  }
  selectData(m_prunePartition, part);

  const QString calib = QString::fromStdString(calibrationSpec(p.calibration));
  selectData(m_calibration, calib.section(QLatin1Char(':'), 0, 0));
  m_percentile->setText(shortest(p.calibration.percentile));
  selectData(m_rounding, QString::fromUtf8(roundingName(p.rounding)));
  selectData(m_scaleFormat, QString::fromUtf8(scaleFormatName(p.scaleFormat)));
  selectData(m_arithmetic, QString::fromUtf8(codeArithmeticName(p.arithmetic)));

  // float format: a named entry, else custom E/M
  const QString fmt = QString::fromStdString(p.format).toLower();
  if (m_floatFormat->findData(fmt) >= 0) {
    selectData(m_floatFormat, fmt);
  } else if (auto f = parseFloatFormat(p.format); f && m_floatFormat->findData(QString::fromStdString(f->name)) >= 0) {
    selectData(m_floatFormat, QString::fromStdString(f->name));
  } else {
    selectData(m_floatFormat, QStringLiteral("custom"));
  }
  if (auto f = parseFloatFormat(p.format)) {
    m_customE->setValue(f->exponentBits);
    m_customM->setValue(f->mantissaBits);
  }
  m_mxBlock->setValue(static_cast<int>(std::min<std::size_t>(p.block, 1 << 24)));
  m_codebookBlock->setValue(static_cast<int>(std::clamp<std::size_t>(p.block, 1, 1 << 24)));
  m_doubleQuant->setChecked(p.doubleQuant);

  const QString sp = QString::fromStdString(p.sparsity);
  if (sp.contains(QLatin1Char(':'))) {
    selectData(m_sparsityKind, QStringLiteral("nm"));
    m_sparsityN->setValue(sp.section(QLatin1Char(':'), 0, 0).toInt());
    m_sparsityM->setValue(sp.section(QLatin1Char(':'), 1, 1).toInt());
  } else {
    selectData(m_sparsityKind, QStringLiteral("fraction"));
    m_sparsityFraction->setText(sp);
    if (m_sparsityN->value() < 1) m_sparsityN->setValue(2);
    if (m_sparsityM->value() < 2) m_sparsityM->setValue(4);
  }
  m_threshold->setValue(p.threshold);

  m_model->setGrid(validIntegerBits(p.bits) ? p.bits : 8, p.symmetric);
  m_model->setEditable(p.method == Method::Int);
  m_model->setOverrides(p.method == Method::Int ? p.overrides : std::map<std::size_t, PartOverride>{});
  updateVisibility();
  updateHints();
  syncSliders();
  m_updating = was;
}

void RecipeEditor::updateVisibility() {
  const Method m = m_params.method;
  const bool isInt = m == Method::Int;
  const bool isFloat = m == Method::Float;
  const bool isCodebook = m == Method::Nf4 || m == Method::Fp4;
  const bool isPrune = m == Method::Prune;
  const bool fraction = m_sparsityKind->currentData().toString() == QLatin1String("fraction");
  auto row = [&](const char* key, bool on) { m_form->setRowVisible(m_rows.at(QString::fromLatin1(key)), on); };
  row("method", true);
  row("bits", isInt);
  row("symmetric", isInt);
  row("partition", isInt);
  row("calib", isInt);
  row("round", isInt || isFloat);
  row("scale_format", isInt);
  row("arithmetic", isInt);
  row("format", isFloat);
  row("mx_block", isFloat);
  row("codebook_block", isCodebook);
  row("double_quant", isCodebook);
  row("sparsity", isPrune);
  row("prune_partition", isPrune && fraction);
  row("threshold", m == Method::LlmInt8);

  const bool group = m_partition->currentData().toString() == QLatin1String("group");
  m_group->setVisible(group);
  m_groupAxis->setVisible(group);
  const bool percentile = m_calibration->currentData().toString() == QLatin1String("percentile");
  m_percentile->setVisible(percentile);
  if (auto* l = m_percentile->parentWidget()) {
    // the "P =" label sits right before the line edit
    const auto labels = l->findChildren<QLabel*>(Qt::FindDirectChildrenOnly);
    for (QLabel* lab : labels) lab->setVisible(percentile);
  }
  const bool custom = m_floatFormat->currentData().toString() == QLatin1String("custom");
  m_customE->setVisible(custom);
  m_customM->setVisible(custom);
  m_sparsityFraction->setVisible(fraction);
  m_sparsityN->setVisible(!fraction);
  m_sparsityM->setVisible(!fraction);

  // Parts: every method that reports parts; b, M, L, U and the proposal only for int.
  using C = PartsTableModel;
  const bool sym = m_params.symmetric;
  for (int c = 0; c < C::kColumnCount; ++c) {
    bool show = true;
    switch (c) {
      case C::kScale: show = !isPrune; break;
      case C::kScaleCal:
      case C::kZero: show = isInt; break;
      case C::kZeroCal: show = isInt && !sym; break;  // a symmetric calibrator always proposes b = 0
      case C::kClip:
      case C::kClipCal: show = isInt && sym; break;
      case C::kLow:
      case C::kLowCal:
      case C::kHigh:
      case C::kHighCal: show = isInt && !sym; break;
      case C::kSaturated:
      case C::kSaturatedPct: show = !isPrune; break;
      default: break;
    }
    m_table->setColumnHidden(c, !show);
  }
  m_sliderBox->setVisible(isInt);
  m_resetPart->setVisible(isInt);
  m_resetAll->setVisible(isInt);
  m_partsBox->setTitle(isInt ? tr("Parts (type s, b, %1 or drag the sliders)").arg(sym ? "M" : "L, U")
                             : tr("Parts"));
}

void RecipeEditor::updateHints() {
  // tensor line
  if (m_shape.empty() && m_tensorName.isEmpty()) {
    m_tensorLabel->setVisible(false);
  } else {
    QStringList dims;
    for (std::size_t d : m_shape) dims << QString::number(d);
    m_tensorLabel->setText(m_tensorName + (dims.isEmpty() ? QString() : QStringLiteral("  ") + dims.join(QStringLiteral("×"))));
    m_tensorLabel->setVisible(true);
  }
  // part count of the partition for this tensor
  if (!m_shape.empty()) {
    std::vector<std::int64_t> shape(m_shape.begin(), m_shape.end());
    auto part = Partition::fromSpec(m_params.partition, shape);
    if (part) {
      const std::size_t n = part->partCount();
      QString t = QStringLiteral("%1 part%2").arg(n).arg(n == 1 ? "" : "s");
      if (part->kind() == PartitionKind::GroupAlongRow || part->kind() == PartitionKind::GroupAlongColumn) {
        const std::int64_t line =
            part->kind() == PartitionKind::GroupAlongRow ? part->colCount() : part->rowCount();
        if (line % part->groupSize() != 0) t += QStringLiteral(", last of each line %1").arg(line % part->groupSize());
      } else if (n > 0) {
        t += QStringLiteral(" of %1").arg(part->partSize(0));
      }
      m_partCountLabel->setText(t);
      // Overrides are per part index of one tensor: on a tensor with fewer parts the core would
      // refuse the recipe, so say so where the overrides are edited.
      if (m_params.method == Method::Int && !m_params.overrides.empty() && m_params.overrides.rbegin()->first >= n)
        showError(QStringLiteral("overrides"),
                  tr("typed values exist for part %1 but %2 has %3 parts: reset them (Reset all overrides)")
                      .arg(m_params.overrides.rbegin()->first)
                      .arg(m_tensorName)
                      .arg(n));
    } else {
      m_partCountLabel->clear();
    }
  } else {
    m_partCountLabel->clear();
  }
  // codebook bits per parameter
  if (m_params.method == Method::Nf4 || m_params.method == Method::Fp4) {
    const double bpp = codebookBitsPerParam(4, std::max<std::size_t>(m_params.block, 1), m_params.doubleQuant);
    m_codebookBits->setText(QStringLiteral("%1 bits/param").arg(QString::number(bpp, 'f', 3)));
  }
  // rows shown of the table
  const int total = m_model->rowCount(), shown = m_proxy->rowCount();
  m_filterCount->setText(shown == total ? QStringLiteral("%1 parts").arg(total)
                                        : QStringLiteral("%1 of %2 parts").arg(shown).arg(total));
}

void RecipeEditor::syncSliders() {
  const int part = m_selectedPart;
  const bool have = part >= 0 && part < m_model->partCount() && m_params.method == Method::Int;
  m_scaleSlider->setEnabled(have);
  m_zeroSlider->setEnabled(have);
  m_clipSlider->setEnabled(have);
  m_resetPart->setEnabled(have && m_params.overrides.count(static_cast<std::size_t>(part)));
  m_resetAll->setEnabled(!m_params.overrides.empty());
  m_clipName->setText(m_params.symmetric ? QStringLiteral("M") : QStringLiteral("U"));
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
  m_clipValue->setText(m_params.symmetric ? QString::number(e.clipHigh)
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
    if (m_params.symmetric) {
      m_clipSlider->setRange(1, static_cast<int>(m_model->maxClip()));
    } else {
      m_clipSlider->setRange(static_cast<int>(std::max(lo, e.clipLow)), static_cast<int>(hi));
    }
    m_clipSlider->setValue(static_cast<int>(e.clipHigh));
  }
  m_updating = was;
}

// ---- parts -------------------------------------------------------------------------------------

void RecipeEditor::setParts(const std::vector<PartReport>& used, const std::vector<PartParams>& proposed) {
  const int before = m_selectedPart;
  const int countBefore = m_model->partCount();
  m_model->setParts(used, proposed);
  if (m_model->partCount() != countBefore) m_table->resizeColumnsToContents();
  if (before >= m_model->partCount()) {
    m_selectedPart = -1;
    emit partSelected(-1);
  } else if (before >= 0) {
    // A reset model lost the selection: select the same part again (no signal: it did not change).
    const QModelIndex src = m_model->index(before, 0);
    const QModelIndex idx = m_proxy->mapFromSource(src);
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
  updateHints();
  syncSliders();
}

void RecipeEditor::onSelectionChanged() {
  if (m_updating) return;
  const QModelIndexList rows = m_table->selectionModel()->selectedRows();
  const int part = rows.isEmpty() ? -1 : m_proxy->mapToSource(rows.front()).row();
  if (part == m_selectedPart) return;
  m_selectedPart = part;
  ++m_sliderSerial;
  if (part >= 0) {
    const auto p = m_model->proposedParams(part);
    m_scaleSliderCentre = p ? p->scale : m_model->effectiveParams(part).scale;
  }
  syncSliders();
  emit partSelected(part);
}

void RecipeEditor::selectPart(int part) {
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

QString RecipeEditor::setPartsFilter(const QString& text) {
  if (m_filter->text() != text) {
    const QSignalBlocker block(m_filter);
    m_filter->setText(text);
  }
  const QString error = m_proxy->setFilterText(text);
  showError(QStringLiteral("filter"), error);
  updateHints();
  return error;
}

void RecipeEditor::onOverrideEdited(int part, const PartOverride& o) {
  if (m_params.method != Method::Int) return;
  showError(QStringLiteral("overrides"), {});
  MethodParams next = m_params;
  next.overrides[static_cast<std::size_t>(part)] = o;
  commit(next, tr("part %1").arg(part));
}

void RecipeEditor::onScaleSlider(int value) {
  if (m_updating || m_selectedPart < 0) return;
  const double s = m_scaleSliderCentre * std::pow(10.0, (value - 200) / 100.0);
  QString error;
  auto o = m_model->parseEdit(m_selectedPart, PartsTableModel::kScale, shortest(s), &error);
  if (!o) return showError(QStringLiteral("overrides"), error);
  MethodParams next = m_params;
  next.overrides[static_cast<std::size_t>(m_selectedPart)] = *o;
  commit(next, tr("s of part %1").arg(m_selectedPart), kMergeScale, m_selectedPart);
}

void RecipeEditor::onZeroSlider(int value) {
  if (m_updating || m_selectedPart < 0) return;
  QString error;
  auto o = m_model->parseEdit(m_selectedPart, PartsTableModel::kZero, QString::number(value), &error);
  if (!o) return showError(QStringLiteral("overrides"), error);
  MethodParams next = m_params;
  next.overrides[static_cast<std::size_t>(m_selectedPart)] = *o;
  commit(next, tr("b of part %1").arg(m_selectedPart), kMergeZero, m_selectedPart);
}

void RecipeEditor::onClipSlider(int value) {
  if (m_updating || m_selectedPart < 0) return;
  QString error;
  const int column = m_params.symmetric ? PartsTableModel::kClip : PartsTableModel::kHigh;
  auto o = m_model->parseEdit(m_selectedPart, column, QString::number(value), &error);
  if (!o) return showError(QStringLiteral("overrides"), error);
  MethodParams next = m_params;
  next.overrides[static_cast<std::size_t>(m_selectedPart)] = *o;
  commit(next, tr("%1 of part %2").arg(m_params.symmetric ? "M" : "U").arg(m_selectedPart), kMergeClip,
         m_selectedPart);
}

void RecipeEditor::resetSelectedPart() {
  if (m_selectedPart < 0) return;
  MethodParams next = m_params;
  next.overrides.erase(static_cast<std::size_t>(m_selectedPart));
  commit(next, tr("reset part %1").arg(m_selectedPart));
}

void RecipeEditor::resetAllOverrides() {
  MethodParams next = m_params;
  next.overrides.clear();
  commit(next, tr("reset all overrides"));
}

// ---- edits of the fields -------------------------------------------------------------------------

void RecipeEditor::commit(const MethodParams& next, const QString& text, MergeField merge, int part) {
  if (next == m_params) return;
  m_undo->push(new RecipeEditCommand(this, m_params, next, text, merge, part, m_sliderSerial));
}

void RecipeEditor::onMethodChanged() {
  if (m_updating) return;
  const auto m = parseMethod(m_method->currentData().toString().toStdString());
  if (!m || *m == m_params.method) return;
  m_lastByMethod[m_params.method] = m_params;
  auto it = m_lastByMethod.find(*m);
  const MethodParams next = it != m_lastByMethod.end() ? it->second : MethodParams::defaults(*m);
  clearErrors();
  commit(next, tr("method %1").arg(m_method->currentData().toString()));
}

void RecipeEditor::onBitsEdited(int bits, bool fromSlider) {
  if (m_updating) return;
  if (!validIntegerBits(bits)) {
    showError(QStringLiteral("bits"), tr("bits must be 2..8 or 16, got %1").arg(bits));
    return;
  }
  showError(QStringLiteral("bits"), {});
  MethodParams next = m_params;
  next.bits = bits;
  if (bits != m_params.bits) {
    // Typed clip ranges belong to the old grid; typed scales and zero points stay.
    for (auto it = next.overrides.begin(); it != next.overrides.end();) {
      it->second.clipLow.reset();
      it->second.clipHigh.reset();
      it = it->second == PartOverride{} ? next.overrides.erase(it) : std::next(it);
    }
  }
  commit(next, tr("%1 bits").arg(bits), fromSlider ? kMergeBits : kNoMerge, -1);
}

void RecipeEditor::onPartitionEdited() {
  if (m_updating) return;
  const QString kind = m_partition->currentData().toString();
  std::string spec = kind.toStdString();
  if (kind == QLatin1String("group")) {
    spec = "group:" + std::to_string(m_group->value());
    if (m_groupAxis->currentData().toString() == QLatin1String("column")) spec += ":column";
  }
  updateVisibility();
  std::vector<std::int64_t> shape(m_shape.begin(), m_shape.end());
  if (shape.empty()) shape = {1, 1};
  if (auto part = Partition::fromSpec(spec, shape); !part) {
    showError(QStringLiteral("partition"), QString::fromStdString(part.error().message));
    return;
  }
  showError(QStringLiteral("partition"), {});
  MethodParams next = m_params;
  next.partition = spec;
  if (next.partition != m_params.partition) next.overrides.clear();  // other parts: typed values would land elsewhere
  commit(next, tr("partition %1").arg(QString::fromStdString(spec)));
}

void RecipeEditor::onCalibrationEdited() {
  if (m_updating) return;
  updateVisibility();
  QString spec = m_calibration->currentData().toString();
  if (spec == QLatin1String("percentile")) {
    bool ok = false;
    const double p = m_percentile->text().trimmed().toDouble(&ok);
    if (!ok || !(p > 0 && p <= 100)) {
      showError(QStringLiteral("calib"),
                tr("percentile P must be a number in (0, 100], got '%1'").arg(m_percentile->text().trimmed()));
      return;
    }
    spec += QLatin1Char(':') + shortest(p);
  }
  auto c = parseCalibration(spec.toStdString());
  if (!c) {
    showError(QStringLiteral("calib"), QString::fromStdString(c.error().message));
    return;
  }
  showError(QStringLiteral("calib"), {});
  MethodParams next = m_params;
  const int candidates = next.calibration.mseCandidates;
  next.calibration = *c;
  next.calibration.mseCandidates = candidates;  // not part of the spelling; keep it
  commit(next, tr("calibration %1").arg(spec));
}

void RecipeEditor::onFloatFormatEdited() {
  if (m_updating) return;
  updateVisibility();
  QString name = m_floatFormat->currentData().toString();
  if (name == QLatin1String("custom")) {
    const int e = m_customE->value(), m = m_customM->value();
    if (auto f = makeFloatFormat(e, m); !f) {
      showError(QStringLiteral("format"), QString::fromStdString(f.error().message));
      return;
    }
    name = QStringLiteral("e%1m%2").arg(e).arg(m);
  }
  if (auto f = parseFloatFormat(name.toStdString()); !f) {
    showError(QStringLiteral("format"), QString::fromStdString(f.error().message));
    return;
  }
  showError(QStringLiteral("format"), {});
  MethodParams next = m_params;
  next.format = name.toStdString();
  commit(next, tr("format %1").arg(name));
}

void RecipeEditor::onSparsityEdited() {
  if (m_updating) return;
  updateVisibility();
  std::string spec;
  if (m_sparsityKind->currentData().toString() == QLatin1String("nm")) {
    const int n = m_sparsityN->value(), m = m_sparsityM->value();
    if (n < 1 || n > m) {
      showError(QStringLiteral("sparsity"), tr("N:M needs 1 ≤ N ≤ M, got %1:%2").arg(n).arg(m));
      return;
    }
    spec = std::to_string(n) + ":" + std::to_string(m);
  } else {
    bool ok = false;
    const double f = m_sparsityFraction->text().trimmed().toDouble(&ok);
    if (!ok || !(f >= 0 && f <= 1)) {
      showError(QStringLiteral("sparsity"),
                tr("the fraction must be a number in [0, 1], got '%1'").arg(m_sparsityFraction->text().trimmed()));
      return;
    }
    spec = shortest(f).toStdString();
  }
  showError(QStringLiteral("sparsity"), {});
  MethodParams next = m_params;
  next.sparsity = spec;
  commit(next, tr("sparsity %1").arg(QString::fromStdString(spec)));
}

// ---- notes, tensor, visibility -----------------------------------------------------------------

void RecipeEditor::showError(const QString& field, const QString& message) {
  auto it = m_notes.find(field);
  if (it == m_notes.end()) {
    m_generalNote->setText(message);
    m_generalNote->setVisible(!message.isEmpty());
    return;
  }
  for (QLabel* note : it->second) {
    note->setText(message);
    note->setVisible(!message.isEmpty());
  }
}

QString RecipeEditor::errorText(const QString& field) const {
  auto it = m_notes.find(field);
  if (it == m_notes.end()) return m_generalNote->text();
  for (QLabel* note : it->second)
    if (!note->text().isEmpty()) return note->text();
  return {};
}

void RecipeEditor::clearErrors() {
  for (auto& [field, notes] : m_notes)
    for (QLabel* note : notes) {
      note->clear();
      note->setVisible(false);
    }
  m_generalNote->clear();
  m_generalNote->setVisible(false);
}

void RecipeEditor::setTensorInfo(const QString& name, std::vector<std::size_t> shape) {
  m_tensorName = name;
  m_shape = std::move(shape);
  updateHints();
}

QWidget* RecipeEditor::fieldWidget(const QString& field) const {
  if (field == QLatin1String("block")) {
    return m_params.method == Method::Float ? static_cast<QWidget*>(m_mxBlock) : m_codebookBlock;
  }
  auto it = m_fields.find(field);
  return it == m_fields.end() ? nullptr : it->second;
}

bool RecipeEditor::isFieldVisible(const QString& field) const {
  QWidget* w = fieldWidget(field);
  if (!w) return false;
  // Visible to the user: the widget and its form row are shown (works before the editor is shown).
  for (QWidget* p = w; p && p != this; p = p->parentWidget())
    if (p->isHidden()) return false;
  return true;
}

}  // namespace quench::widgets
