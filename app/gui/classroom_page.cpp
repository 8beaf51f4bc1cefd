#include "app/gui/classroom_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <nlohmann/json.hpp>
#include <qcustomplot.h>

#include <cmath>

#include "app/gui/job_runner.h"
#include "app/gui/training_tool.h"
#include "core/divergence/pmf_terms.h"
#include "core/quant/calibrate.h"
#include "core/quant/worked.h"
#include "widgets/classroom_style.h"
#include "widgets/divergence_calculator_view.h"
#include "widgets/explicit_lm_editor.h"
#include "widgets/lm_divergence_view.h"
#include "widgets/plot_style.h"
#include "widgets/table_export.h"
#include "widgets/training_curves_view.h"
#include "widgets/worked_quantization_view.h"
// The export dialog (size presets, dpi) and the plots' right-click "Export figure…" when the
// widgets library has them; otherwise a plain file dialog at the slide size.
#if __has_include("widgets/figure_export_dialog.h") && __has_include("widgets/plot_export_menu.h")
#include "widgets/figure_export_dialog.h"
#include "widgets/plot_export_menu.h"
#define QUENCH_HAS_EXPORT_DIALOG 1
#endif

namespace quench::app {
namespace {

using widgets::formatReal;

enum { kParamS = 0, kParamB, kParamL, kParamU, kParamColumns };

// A preset: which tool and its inputs.
struct Preset {
  const char* name;
  ClassroomPage::Tool tool;
  // worked quantization
  const char* values = "";
  const char* parts = "";
  Rounding rounding = Rounding::HalfEven;
  int bits = 8;           // grid of every part
  bool symmetric = true;  // [−M, M] or [0, 2^k − 1]
  enum class Calib { AbsMax, MinMax, Typed } calib = Calib::AbsMax;
  std::vector<PartParams> typed = {};
  // KL/JS
  const char* p = "";
  const char* q = "";
  bool bits2 = false;  // show in bits
  // explicit LM
  const char* lmP = "";
  const char* lmQ = "";
  int length = 4;
};

const std::vector<Preset>& presets() {
  using C = Preset::Calib;
  static const std::vector<Preset> list{
      {.name = "Symmetric int4, one part (absmax)", .tool = ClassroomPage::kWorked,
       .values = "1.2, -0.55, 0.07, 2.31, -1.8, 0.4", .bits = 4},
      {.name = "Two parts with saturation (s typed by hand)", .tool = ClassroomPage::kWorked,
       .values = "1.2, -0.55, 0.07, 2.31", .parts = "0,1;2,3", .calib = C::Typed,
       .typed = {{0.01, 0, -127, 127}, {0.02, 0, -7, 7}}},
      {.name = "Asymmetric uint8 (min-max, zero point)", .tool = ClassroomPage::kWorked,
       .values = "0.1, 0.5, 1.3, 2.2, -0.3, 0", .bits = 8, .symmetric = false, .calib = C::MinMax},
      {.name = "Ties: round half to even", .tool = ClassroomPage::kWorked, .values = "0.25, 0.75, -0.25, 1.25, -0.75",
       .calib = C::Typed, .typed = {{0.5, 0, -7, 7}}},
      {.name = "Ties: round half away from zero", .tool = ClassroomPage::kWorked,
       .values = "0.25, 0.75, -0.25, 1.25, -0.75", .rounding = Rounding::HalfAwayFromZero, .calib = C::Typed,
       .typed = {{0.5, 0, -7, 7}}},
      {.name = "An outlier spoils its group (int4, two groups)", .tool = ClassroomPage::kWorked,
       .values = "0.1, -0.2, 0.15, 8, 0.05, -0.12, 0.3, -0.25", .parts = "0,1,2,3;4,5,6,7", .bits = 4},
      {.name = "Coin vs loaded coin (KL/JS)", .tool = ClassroomPage::kDivergence, .p = "1/2, 1/2", .q = "1/4, 3/4"},
      {.name = "KL is not symmetric", .tool = ClassroomPage::kDivergence, .p = "0.8, 0.15, 0.05",
       .q = "1/3, 1/3, 1/3"},
      {.name = "q = 0 where p > 0 (KL = ∞, JS finite)", .tool = ClassroomPage::kDivergence, .p = "1/2, 1/2",
       .q = "1, 0"},
      {.name = "In bits: 1.75-bit source vs uniform", .tool = ClassroomPage::kDivergence, .p = "1/2, 1/4, 1/8, 1/8",
       .q = "1/4, 1/4, 1/4, 1/4", .bits2 = true},
      {.name = "Coin vs loaded coin (explicit LM)", .tool = ClassroomPage::kExplicitLm,
       .lmP = R"({"vocab": ["H", "T"], "next": {"": [0.5, 0.5]}})",
       .lmQ = R"({"vocab": ["H", "T"], "next": {"": [0.7, 0.3]}})", .length = 4},
      {.name = "Bigram: Q changes after A (chain rule)", .tool = ClassroomPage::kExplicitLm,
       .lmP = R"({"vocab": ["A", "B"], "next": {"": [0.5, 0.5], "A": [0.5, 0.5], "B": [0.5, 0.5]}})",
       .lmQ = R"({"vocab": ["A", "B"], "next": {"": [0.5, 0.5], "A": [0.75, 0.25], "B": [0.5, 0.5]}})", .length = 3},
      {.name = "Sticky Markov chain vs fair coin (explicit LM)", .tool = ClassroomPage::kExplicitLm,
       .lmP = R"({"vocab": ["A", "B"], "next": {"": [0.5, 0.5], "A": [0.9, 0.1], "B": [0.1, 0.9]}})",
       .lmQ = R"({"vocab": ["A", "B"], "next": {"": [0.5, 0.5], "A": [0.5, 0.5], "B": [0.5, 0.5]}})", .length = 6},
  };
  return list;
}

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

QLabel* errorLabel(QWidget* parent) {
  auto* l = new QLabel(parent);
  l->setWordWrap(true);
  QPalette p = l->palette();
  p.setColor(QPalette::WindowText, widgets::okabeIto::kVermilion);
  l->setPalette(p);
  l->setVisible(false);
  return l;
}

void showError(QLabel* label, const QString& text) {
  label->setText(text);
  label->setVisible(!text.isEmpty());
}

// Core messages speak the CLI's language; in the page the fix is a control, not a flag.
QString lmMessage(const std::string& core) {
  QString m = QString::fromStdString(core);
  m.replace(QLatin1String("use --normalize to rescale"), QObject::tr("Normalise rows rescales them"));
  m.replace(QLatin1String("use a shorter --length"), QObject::tr("use a shorter length n"));
  return m;
}

// Shortest decimal that reads back as the same double (for the CLI line and the parameter cells).
QString shortest(double v) {
  for (int digits = 1; digits < 17; ++digits) {
    const QString s = QString::number(v, 'g', digits);
    if (s.toDouble() == v) return s;
  }
  return QString::number(v, 'g', 17);
}

}  // namespace

ClassroomPage::ClassroomPage(QWidget* parent) : QWidget(parent) {
  m_presets = new QComboBox(this);
  m_presets->addItem(tr("Presets…"));
  for (const Preset& p : presets()) m_presets->addItem(QString::fromUtf8(p.name));
  m_presets->setToolTip(tr("Load a ready-made example"));
  m_presentationButton = new QToolButton(this);
  m_presentationButton->setText(tr("Presentation"));
  m_presentationButton->setCheckable(true);
  m_presentationButton->setToolTip(tr("Large fonts and thick lines, readable from the back of a lecture hall"));
  m_exportFigure = new QPushButton(tr("Export figure…"), this);
  m_exportFigure->setToolTip(tr("Save the current tool's figure as PNG, SVG or PDF"));
  m_exportTable = new QPushButton(tr("Export table…"), this);
  m_exportTable->setToolTip(tr("Save the current tool's table as CSV, Markdown or LaTeX"));
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Example:"), this));
  bar->addWidget(m_presets, 1);
  bar->addWidget(m_presentationButton);
  bar->addWidget(m_exportFigure);
  bar->addWidget(m_exportTable);

  m_tools = new QTabWidget(this);
  m_tools->addTab(buildWorkedTab(), tr("Worked quantization"));
  m_tools->addTab(buildDivergenceTab(), tr("KL / JS calculator"));
  m_tools->addTab(buildLmTab(), tr("Explicit LM"));
  m_tools->addTab(m_training = new TrainingTool(this), tr("Training"));

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(bar);
  layout->addWidget(m_tools, 1);

  connect(m_presets, &QComboBox::activated, this, [this](int i) {
    if (i > 0) applyPreset(i - 1);
  });
  connect(m_presentationButton, &QToolButton::toggled, this, [this](bool on) {
    setPresentation(on);
    emit presentationRequested(on);
  });
  connect(m_exportFigure, &QPushButton::clicked, this, [this] { showExportMenu(true); });
  connect(m_exportTable, &QPushButton::clicked, this, [this] { showExportMenu(false); });
#ifdef QUENCH_HAS_EXPORT_DIALOG
  widgets::installExportMenu(m_workedView->plot(), QStringLiteral("worked-quantization.png"));
  widgets::installExportMenu(m_divView->plot(), QStringLiteral("kl-js.png"));
  widgets::installExportMenu(m_lmView->plot(), QStringLiteral("explicit-lm.png"));
#endif

  // First start: one example per tool, so every tool shows something.
  m_loading = true;
  applyPreset(10);  // coin vs loaded coin (explicit LM)
  applyPreset(6);   // coin vs loaded coin (KL/JS)
  applyPreset(1);   // two parts with saturation
  m_loading = false;
  recomputeWorked();
  recomputeDivergence();
  startLm();
  m_presets->setCurrentIndex(0);
}

ClassroomPage::~ClassroomPage() { m_lmJobs->shutdown(); }

// ---------------------------------------------------------------- worked quantization

QWidget* ClassroomPage::buildWorkedTab() {
  auto* tab = new QWidget(this);
  m_values = new QLineEdit(tab);
  m_values->setToolTip(tr("The vector x, comma-separated (each value is stored as float32)"));
  m_parts = new QLineEdit(tab);
  m_parts->setPlaceholderText(tr("one part (every element)"));
  m_parts->setToolTip(tr("Parts as 0-based index lists separated by ';', e.g. 0,1;2,3. Every index must be in "
                         "exactly one part."));
  m_rounding = new QComboBox(tab);
  for (Rounding r : {Rounding::HalfEven, Rounding::HalfAwayFromZero, Rounding::TowardZero, Rounding::Stochastic})
    m_rounding->addItem(roundingLabel(r), int(r));
  m_params = new QTableWidget(0, kParamColumns, tab);
  m_params->setHorizontalHeaderLabels({tr("s (scale)"), tr("b (zero point)"), tr("L"), tr("U")});
  m_params->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  m_params->setToolTip(tr("One row per part. n = clip_[L,U](round(x/s) + b), x̃ = s·(n − b). Symmetric "
                          "k-bit: L = −M, U = M with M = 2^(k−1) − 1; unsigned: [0, 2^k − 1]. s is stored as "
                          "float32, as quench-cli does."));
  m_params->setMaximumHeight(150);
  m_gridBits = new QSpinBox(tab);
  m_gridBits->setRange(2, 16);
  m_gridBits->setValue(8);
  m_gridBits->setSuffix(tr(" bits"));
  m_gridKind = new QComboBox(tab);
  m_gridKind->addItem(tr("symmetric [−M, M]"));
  m_gridKind->addItem(tr("unsigned [0, 2^k − 1]"));
  auto* setGrid = new QPushButton(tr("Set grid"), tab);
  setGrid->setToolTip(tr("Set L and U of every part to the k-bit grid"));
  auto* absmax = new QPushButton(tr("Propose s by absmax"), tab);
  absmax->setToolTip(tr("s = max|x| / M per part (b = 0, [−M, M] with M = U)"));
  auto* minmax = new QPushButton(tr("Propose s, b by min-max"), tab);
  minmax->setToolTip(tr("s = (max − min)/(U − L), b = L + round(−min/s) per part"));
  m_workedError = errorLabel(tab);
  m_cli = new QLabel(tab);
  m_cli->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_cli->setWordWrap(true);
  m_cli->setToolTip(tr("The same computation with the command-line tool"));

  auto* form = new QFormLayout;
  form->addRow(tr("Values x:"), m_values);
  form->addRow(tr("Parts:"), m_parts);
  form->addRow(tr("Rounding:"), m_rounding);
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
  inputs->addWidget(m_workedError);
  inputs->addWidget(m_cli);
  m_workedView = new widgets::WorkedQuantizationView(tab);
  auto* layout = new QVBoxLayout(tab);
  layout->addLayout(inputs);
  layout->addWidget(m_workedView, 1);

  connect(m_values, &QLineEdit::textChanged, this, [this] { recomputeWorked(); });
  connect(m_parts, &QLineEdit::textChanged, this, [this] {
    syncPartRows();
    recomputeWorked();
  });
  connect(m_rounding, &QComboBox::currentIndexChanged, this, [this] { recomputeWorked(); });
  connect(m_params, &QTableWidget::cellChanged, this, [this] { recomputeWorked(); });
  connect(setGrid, &QPushButton::clicked, this, [this] {
    const auto [lo, hi] = integerGrid(m_gridBits->value(), m_gridKind->currentIndex() == 0);
    m_loading = true;
    for (int r = 0; r < m_params->rowCount(); ++r) {
      m_params->item(r, kParamL)->setText(QString::number(lo));
      m_params->item(r, kParamU)->setText(QString::number(hi));
      if (lo < 0) m_params->item(r, kParamB)->setText(QStringLiteral("0"));
    }
    m_loading = false;
    recomputeWorked();
  });
  connect(absmax, &QPushButton::clicked, this, [this] { proposeAbsmax(); });
  connect(minmax, &QPushButton::clicked, this, [this] { proposeMinMax(); });
  return tab;
}

void ClassroomPage::setParamRow(int row, const PartParams& p) {
  const bool was = m_loading;
  m_loading = true;
  const QString cells[kParamColumns] = {shortest(p.scale), QString::number(p.zeroPoint), QString::number(p.clipLow),
                                        QString::number(p.clipHigh)};
  for (int c = 0; c < kParamColumns; ++c) {
    if (!m_params->item(row, c)) m_params->setItem(row, c, new QTableWidgetItem);
    m_params->item(row, c)->setText(cells[c]);
    m_params->item(row, c)->setTextAlignment(Qt::AlignVCenter | Qt::AlignRight);
  }
  m_loading = was;
}

void ClassroomPage::syncPartRows() {
  // As many parameter rows as parts; new rows copy the last one.
  const QString text = m_parts->text().trimmed();
  const int k = text.isEmpty() ? 1 : int(text.split(QLatin1Char(';')).size());
  const int old = m_params->rowCount();
  if (k == old) return;
  QStringList vertical;
  for (int j = 0; j < k; ++j) vertical << tr("part %1").arg(j);
  const bool was = m_loading;
  m_loading = true;
  m_params->setRowCount(k);
  m_params->setVerticalHeaderLabels(vertical);
  for (int r = old; r < k; ++r) {
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

std::vector<PartParams> ClassroomPage::typedParams(QString* error) const {
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
        // Stored as float32, exactly as `quench-cli quantize --scale` does.
        p.scale = double(float(s));
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

void ClassroomPage::recomputeWorked() {
  if (m_loading) return;
  auto fail = [this](const QString& why) {
    showError(m_workedError, why);
    m_workedView->clear(why);
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
  showError(m_workedError, {});
  QStringList parts;
  for (std::size_t j = 0; j < params.size(); ++j)
    parts << QStringLiteral("s=%1 b=%2 [%3,%4]")
                 .arg(formatReal(params[j].scale, 6))
                 .arg(params[j].zeroPoint)
                 .arg(params[j].clipLow)
                 .arg(params[j].clipHigh);
  m_workedTitle = tr("Worked quantization: %1 values, %2 part(s): %3 · round %4")
                      .arg(x->size())
                      .arg(params.size())
                      .arg(parts.join(QLatin1String("; ")), QString::fromLatin1(roundingName(rounding).data()));
  m_workedView->setWorked(*w, m_workedTitle);
  m_cli->setText(QStringLiteral("<small><code>%1</code></small>").arg(workedCliCommand().toHtmlEscaped()));
}

QString ClassroomPage::workedCliCommand() const {
  QString error;
  const std::vector<PartParams> params = typedParams(&error);
  if (!error.isEmpty()) return {};
  QStringList s, b, c;
  bool anyZero = false;
  for (const PartParams& p : params) {
    s << widgets::formatFloat32(float(p.scale));  // the float32 the CLI stores, shortest
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
  return cmd;
}

void ClassroomPage::setWorkedInputs(const QString& values, const QString& parts, Rounding rounding,
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
  recomputeWorked();
}

void ClassroomPage::proposeAbsmax() {
  proposeEachPart([this](int j, std::span<const float> v) -> Result<PartParams> {
    const std::int64_t m = m_params->item(j, kParamU) ? m_params->item(j, kParamU)->text().toLongLong() : 127;
    return quench::proposeAbsmax(v, std::max<std::int64_t>(m, 1));
  });
}

void ClassroomPage::proposeMinMax() {
  proposeEachPart([this](int j, std::span<const float> v) -> Result<PartParams> {
    const std::int64_t lo = m_params->item(j, kParamL)->text().toLongLong();
    const std::int64_t hi = m_params->item(j, kParamU)->text().toLongLong();
    return quench::proposeMinMax(v, lo, hi);
  });
}

void ClassroomPage::proposeEachPart(
    const std::function<Result<PartParams>(int part, std::span<const float> values)>& propose) {
  // The typed vector and partition as they stand; nothing to propose while either is invalid.
  auto x = parseWorkedValues(m_values->text().toStdString());
  if (!x) return;
  auto partition = parseWorkedParts(m_parts->text().toStdString(), std::int64_t(x->size()));
  if (!partition) return;
  syncPartRows();
  m_loading = true;
  for (std::size_t j = 0; j < partition->partCount(); ++j) {
    std::vector<float> v(std::size_t(partition->partSize(j)));
    partition->gather(j, *x, v.data());
    if (auto p = propose(int(j), v)) setParamRow(int(j), *p);
  }
  m_loading = false;
  recomputeWorked();
}

// ---------------------------------------------------------------- KL / JS

QWidget* ClassroomPage::buildDivergenceTab() {
  auto* tab = new QWidget(this);
  m_p = new QLineEdit(tab);
  m_p->setToolTip(tr("Probabilities of P, comma-separated; fractions like 1/4 are allowed"));
  m_q = new QLineEdit(tab);
  m_q->setToolTip(tr("Probabilities of Q, same outcomes in the same order"));
  m_normalize = new QCheckBox(tr("Normalise (divide each list by its sum)"), tab);
  m_units = new QComboBox(tab);
  m_units->addItem(tr("nats (ln)"));
  m_units->addItem(tr("bits (log₂)"));
  auto* swap = new QPushButton(tr("Swap P and Q"), tab);
  m_divError = errorLabel(tab);
  auto* form = new QFormLayout;
  form->addRow(tr("p:"), m_p);
  form->addRow(tr("q:"), m_q);
  auto* row = new QHBoxLayout;
  row->addWidget(m_normalize);
  row->addWidget(new QLabel(tr("Units:"), tab));
  row->addWidget(m_units);
  row->addStretch(1);
  row->addWidget(swap);
  m_divView = new widgets::DivergenceCalculatorView(tab);
  auto* layout = new QVBoxLayout(tab);
  layout->addLayout(form);
  layout->addLayout(row);
  layout->addWidget(m_divError);
  layout->addWidget(m_divView, 1);
  connect(m_p, &QLineEdit::textChanged, this, [this] { recomputeDivergence(); });
  connect(m_q, &QLineEdit::textChanged, this, [this] { recomputeDivergence(); });
  connect(m_normalize, &QCheckBox::toggled, this, [this] { recomputeDivergence(); });
  connect(m_units, &QComboBox::currentIndexChanged, this, [this] { recomputeDivergence(); });
  connect(swap, &QPushButton::clicked, this, [this] {
    const QString p = m_p->text();
    m_loading = true;
    m_p->setText(m_q->text());
    m_loading = false;
    m_q->setText(p);
  });
  return tab;
}

void ClassroomPage::setPmfInputs(const QString& p, const QString& q, bool normalize, bool bits) {
  const bool outer = m_loading;
  m_loading = true;
  m_p->setText(p);
  m_q->setText(q);
  m_normalize->setChecked(normalize);
  m_units->setCurrentIndex(bits ? 1 : 0);
  m_loading = outer;
  recomputeDivergence();
}

void ClassroomPage::recomputeDivergence() {
  if (m_loading) return;
  auto fail = [this](const QString& why) {
    showError(m_divError, why);
    m_divView->clear(why);
  };
  auto p = parsePmfText(m_p->text().toStdString(), "p");
  if (!p) return fail(QString::fromStdString(p.error().message));
  auto q = parsePmfText(m_q->text().toStdString(), "q");
  if (!q) return fail(QString::fromStdString(q.error().message));
  const bool bits = m_units->currentIndex() == 1;
  auto t = pmfTerms(*p, *q, m_normalize->isChecked(), bits);
  if (!t) {
    // checkPmf speaks the CLI's language; point at the check box instead.
    QString msg = QString::fromStdString(t.error().message);
    msg.replace(QLatin1String("use --normalize to rescale"), tr("tick Normalise to rescale"));
    return fail(msg);
  }
  showError(m_divError, {});
  m_divTitle = tr("KL and JS of p = (%1) and q = (%2), %3")
                   .arg(m_p->text().simplified(), m_q->text().simplified(), bits ? tr("bits") : tr("nats"));
  m_divView->setTerms(*t, m_divTitle);
}

// ---------------------------------------------------------------- explicit LM

QWidget* ClassroomPage::buildLmTab() {
  auto* tab = new QWidget(this);
  m_lmEditor = new widgets::ExplicitLmEditor(tab);
  m_length = new QSpinBox(tab);
  m_length->setRange(1, 24);
  m_length->setValue(4);
  m_length->setToolTip(tr("Sequence length n: the exact figures enumerate V^n sequences"));
  m_samples = new QSpinBox(tab);
  m_samples->setRange(10, 1000000);
  m_samples->setValue(20000);
  m_samples->setSingleStep(1000);
  m_samples->setToolTip(tr("Largest number of sequences sampled from P for the running estimate"));
  m_seed = new QSpinBox(tab);
  m_seed->setRange(0, 1 << 30);
  m_seed->setValue(1);
  m_lmError = errorLabel(tab);
  auto* row = new QHBoxLayout;
  row->addWidget(new QLabel(tr("Length n:"), tab));
  row->addWidget(m_length);
  row->addWidget(new QLabel(tr("samples up to:"), tab));
  row->addWidget(m_samples);
  row->addWidget(new QLabel(tr("seed:"), tab));
  row->addWidget(m_seed);
  row->addStretch(1);
  m_lmView = new widgets::LmDivergenceView(tab);
  auto* split = new QSplitter(Qt::Horizontal, tab);
  auto* left = new QWidget(split);
  auto* ll = new QVBoxLayout(left);
  ll->setContentsMargins(0, 0, 0, 0);
  ll->addWidget(m_lmEditor, 1);
  ll->addLayout(row);
  ll->addWidget(m_lmError);
  split->addWidget(left);
  split->addWidget(m_lmView);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  auto* layout = new QVBoxLayout(tab);
  layout->addWidget(split, 1);

  m_lmTimer = new QTimer(this);
  m_lmTimer->setSingleShot(true);
  m_lmTimer->setInterval(150);
  connect(m_lmTimer, &QTimer::timeout, this, [this] { startLm(); });
  m_lmJobs = new JobRunner(JobPolicy::Supersede, this);
  connect(m_lmEditor, &widgets::ExplicitLmEditor::edited, this, [this] { scheduleLm(); });
  for (QSpinBox* s : {m_length, m_samples, m_seed})
    connect(s, &QSpinBox::valueChanged, this, [this] { scheduleLm(); });
  return tab;
}

void ClassroomPage::setLmSettings(int length, int maxSamples, quint64 seed) {
  const bool outer = m_loading;
  m_loading = true;
  m_length->setValue(length);
  m_samples->setValue(maxSamples);
  m_seed->setValue(int(seed));
  m_loading = outer;
  startLm();
}

// Busy until the result has been applied on the GUI thread.
bool ClassroomPage::lmBusy() const { return m_lmJobs->isRunning() || m_lmTimer->isActive(); }

void ClassroomPage::scheduleLm() {
  if (m_loading) return;
  m_lmTimer->start();
}

void ClassroomPage::startLm() {
  if (m_loading) return;
  m_lmTimer->stop();
  // Newest request wins: the running computation is superseded by the new one, or dropped when
  // the new inputs are invalid (their error is what the page shows).
  m_lmJobs->discard();
  nlohmann::json pj, qj;
  QString error;
  if (!m_lmEditor->modelJson(widgets::ExplicitLmEditor::kP, &pj, &error) ||
      !m_lmEditor->modelJson(widgets::ExplicitLmEditor::kQ, &qj, &error)) {
    showError(m_lmError, error);
    m_lmView->clear(error);
    return;
  }
  auto p = ExplicitLm::fromJson(pj, "P");
  if (!p) {
    showError(m_lmError, lmMessage(p.error().message));
    m_lmView->clear(m_lmError->text());
    return;
  }
  auto q = ExplicitLm::fromJson(qj, "Q");
  if (!q) {
    showError(m_lmError, lmMessage(q.error().message));
    m_lmView->clear(m_lmError->text());
    return;
  }
  const std::size_t length = std::size_t(m_length->value());
  const std::size_t samples = std::size_t(m_samples->value());
  const std::uint64_t seed = std::uint64_t(m_seed->value());
  showError(m_lmError, {});
  m_lmView->setStatus(tr("computing…"));
  JobCallbacks<LmOutcome> done;
  done.result = [this](const LmOutcome& out) { applyLmOutcome(out); };
  done.failed = [this](const QString& what) {
    showError(m_lmError, what);
    m_lmView->clear(what);
  };
  m_lmJobs->start<LmOutcome>(
      [p = std::move(*p), q = std::move(*q), length, samples, seed](QPromise<LmOutcome>&, std::stop_token stop) {
        LmOutcome out;
        out.length = length;
        out.seed = seed;
        const Work work{stop, {}};
        auto exact = exactLmDivergence(p, q, length, work);
        if (!exact) {
          out.cancelled = stop.stop_requested();
          out.error = lmMessage(exact.error().message);
          return out;
        }
        out.exact = std::move(*exact);
        auto curve = sampledLmKlCurve(p, q, length, samples, seed, 8, work);
        if (!curve) {
          out.cancelled = stop.stop_requested();
          out.error = QString::fromStdString(curve.error().message);
          return out;
        }
        out.curve = std::move(*curve);
        return out;
      },
      done);
}

void ClassroomPage::applyLmOutcome(const LmOutcome& out) {
  if (out.cancelled) return;
  if (!out.exact) {
    showError(m_lmError, out.error);
    m_lmView->clear(out.error);
    return;
  }
  const QStringList vocab = m_lmEditor->vocab();
  m_lmTitle = tr("Explicit LMs over {%1}, context k = %2, n = %3: sampled KL converging to the exact value")
                  .arg(vocab.join(QLatin1String(", ")))
                  .arg(m_lmEditor->contextLength())
                  .arg(out.length);
  m_lmView->setExact(*out.exact, out.length, m_lmTitle);
  if (!out.error.isEmpty())
    m_lmView->setStatus(out.error, true);
  else
    m_lmView->setCurve(out.curve, out.seed);
}

// ---------------------------------------------------------------- presets, tools

QStringList ClassroomPage::presetNames() const {
  QStringList out;
  for (const Preset& p : presets()) out << QString::fromUtf8(p.name);
  return out;
}

bool ClassroomPage::applyPreset(int index) {
  if (index < 0 || index >= int(presets().size())) return false;
  const Preset& pr = presets()[std::size_t(index)];
  const bool outer = m_loading;
  switch (pr.tool) {
    case kWorked: {
      auto x = parseWorkedValues(pr.values);
      if (!x) return false;
      auto partition = parseWorkedParts(pr.parts, std::int64_t(x->size()));
      if (!partition) return false;
      std::vector<PartParams> params = pr.typed;
      if (pr.calib != Preset::Calib::Typed) {
        const auto [lo, hi] = integerGrid(pr.bits, pr.symmetric);
        for (std::size_t j = 0; j < partition->partCount(); ++j) {
          std::vector<float> v(std::size_t(partition->partSize(j)));
          partition->gather(j, *x, v.data());
          auto p = pr.calib == Preset::Calib::AbsMax ? quench::proposeAbsmax(v, hi) : quench::proposeMinMax(v, lo, hi);
          if (!p) return false;
          params.push_back(*p);
        }
      }
      m_gridBits->setValue(pr.bits);
      m_gridKind->setCurrentIndex(pr.symmetric ? 0 : 1);
      setWorkedInputs(QString::fromUtf8(pr.values), QString::fromUtf8(pr.parts), pr.rounding, params);
      break;
    }
    case kDivergence:
      setPmfInputs(QString::fromUtf8(pr.p), QString::fromUtf8(pr.q), false, pr.bits2);
      break;
    case kExplicitLm: {
      m_loading = true;
      m_lmEditor->setModels(nlohmann::json::parse(pr.lmP), nlohmann::json::parse(pr.lmQ));
      m_length->setValue(pr.length);
      m_loading = outer;
      startLm();
      break;
    }
    case kTraining:  // the Training tool has its own presets
      break;
  }
  m_loading = outer;
  setCurrentTool(pr.tool);
  m_presets->setCurrentIndex(index + 1);
  return true;
}

ClassroomPage::Tool ClassroomPage::currentTool() const { return Tool(m_tools->currentIndex()); }
void ClassroomPage::setCurrentTool(Tool tool) { m_tools->setCurrentIndex(int(tool)); }

QString ClassroomPage::inputError(Tool tool) const {
  if (tool == kTraining) return m_training->errorText();
  const QLabel* l = tool == kWorked ? m_workedError : tool == kDivergence ? m_divError : m_lmError;
  return l->isHidden() ? QString() : l->text();
}

// ---------------------------------------------------------------- presentation, export

void ClassroomPage::setPresentation(bool on) {
  m_presentation = on;
  if (m_presentationButton->isChecked() != on) {
    const QSignalBlocker block(m_presentationButton);
    m_presentationButton->setChecked(on);
  }
  m_workedView->setPresentation(on);
  m_divView->setPresentation(on);
  m_lmView->setPresentation(on);
  m_lmEditor->setPresentation(on);
  m_training->setPresentation(on);
  applyPresentationFonts();
}

void ClassroomPage::applyPresentationFonts() {
  const double scale = m_presentation ? widgets::kPresentationScale : 1.0;
  const QFont base = QWidget::font();
  // Inputs and labels of the page itself (the views scale their own contents).
  const QList<QWidget*> inputs{m_presets, m_presentationButton, m_exportFigure, m_exportTable, m_values, m_parts,
                               m_rounding, m_gridBits, m_gridKind, m_workedError, m_cli, m_p, m_q, m_normalize,
                               m_units, m_divError, m_length, m_samples, m_seed, m_lmError};
  for (QWidget* w : inputs) w->setFont(widgets::scaledFont(base, scale));
  for (QLabel* l : findChildren<QLabel*>())
    if (!m_workedView->isAncestorOf(l) && !m_divView->isAncestorOf(l) && !m_lmView->isAncestorOf(l) &&
        !m_lmEditor->isAncestorOf(l))
      l->setFont(widgets::scaledFont(base, scale));
  for (QPushButton* b : findChildren<QPushButton*>())
    if (!m_lmEditor->isAncestorOf(b)) b->setFont(widgets::scaledFont(base, scale));
  m_tools->tabBar()->setFont(widgets::scaledFont(base, scale, true));
  widgets::applyTableScale(*m_params, base, scale);
  m_params->setMaximumHeight(int(150 * scale));
}

QString ClassroomPage::exportFigure(const QString& fileName, widgets::FigurePreset preset) {
  widgets::FigureFormat format;
  if (!widgets::formatFromFileName(fileName, &format))
    return tr("%1: unknown figure format (use .png, .svg or .pdf)").arg(fileName);
  QCustomPlot* plot = currentTool() == kWorked       ? m_workedView->plot()
                      : currentTool() == kDivergence ? m_divView->plot()
                      : currentTool() == kTraining   ? m_training->curves()->plot()
                                                     : m_lmView->plot();
  return widgets::exportFigure(*plot, fileName, format, widgets::presetSize(preset));
}

QString ClassroomPage::exportTable(const QString& fileName) {
  widgets::TableFormat format;
  if (!widgets::tableFormatFromFileName(fileName, &format))
    return tr("%1: unknown table format (use .csv, .md or .tex)").arg(fileName);
  QString text;
  switch (currentTool()) {
    case kWorked:
      if (m_workedView->stepRows() == 0) return tr("nothing to export: %1").arg(inputError(kWorked));
      text = widgets::formatTable(m_workedView->stepTable(), format);
      text += format == widgets::TableFormat::Csv ? QStringLiteral("\r\n") : QStringLiteral("\n");
      text += widgets::formatTable(m_workedView->totalsTable(), format);
      break;
    case kDivergence:
      if (m_divView->rowCount() == 0) return tr("nothing to export: %1").arg(inputError(kDivergence));
      text = widgets::formatTable(m_divView->table(), format);
      break;
    case kExplicitLm:
      if (m_lmView->rowCount() == 0) return tr("nothing to export yet");
      text = widgets::formatTable(m_lmView->table(), format);
      break;
    case kTraining:
      return tr("the training curves have no table: export the figure, or run quench-cli train … --json");
  }
  QFile file(fileName);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
    return tr("cannot write %1: %2").arg(fileName, file.errorString());
  const QByteArray bytes = text.toUtf8();
  if (file.write(bytes) != bytes.size()) return tr("cannot write %1: %2").arg(fileName, file.errorString());
  return {};
}

void ClassroomPage::showExportMenu(bool figure) {
  const QString name = currentTool() == kWorked ? QStringLiteral("worked-quantization")
                       : currentTool() == kDivergence ? QStringLiteral("kl-js")
                       : currentTool() == kTraining   ? QStringLiteral("training")
                                                      : QStringLiteral("explicit-lm");
#ifdef QUENCH_HAS_EXPORT_DIALOG
  if (figure) {
    QCustomPlot* plot = currentTool() == kWorked       ? m_workedView->plot()
                        : currentTool() == kDivergence ? m_divView->plot()
                        : currentTool() == kTraining   ? m_training->curves()->plot()
                                                       : m_lmView->plot();
    widgets::FigureExportDialog::openFor(plot, name + QStringLiteral(".png"), this);
    return;
  }
#endif
  const QString file = figure ? QFileDialog::getSaveFileName(this, tr("Export figure"), name + QStringLiteral(".png"),
                                                             tr("PNG image (*.png);;SVG (*.svg);;PDF (*.pdf)"))
                              : QFileDialog::getSaveFileName(this, tr("Export table"), name + QStringLiteral(".csv"),
                                                             tr("CSV (*.csv);;Markdown (*.md);;LaTeX tabular (*.tex)"));
  if (file.isEmpty()) return;
  const QString error = figure ? exportFigure(file) : exportTable(file);
  if (!error.isEmpty()) QMessageBox::warning(this, figure ? tr("Export figure") : tr("Export table"), error);
}

// ---------------------------------------------------------------- session

QJsonObject ClassroomPage::saveState() const {
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
  QJsonObject kl;
  kl[QStringLiteral("p")] = m_p->text();
  kl[QStringLiteral("q")] = m_q->text();
  kl[QStringLiteral("normalize")] = m_normalize->isChecked();
  kl[QStringLiteral("bits")] = m_units->currentIndex() == 1;
  QJsonObject lm;
  nlohmann::json pj, qj;
  QString error;
  if (m_lmEditor->modelJson(widgets::ExplicitLmEditor::kP, &pj, &error) &&
      m_lmEditor->modelJson(widgets::ExplicitLmEditor::kQ, &qj, &error)) {
    lm[QStringLiteral("p")] = QJsonDocument::fromJson(QByteArray::fromStdString(pj.dump())).object();
    lm[QStringLiteral("q")] = QJsonDocument::fromJson(QByteArray::fromStdString(qj.dump())).object();
  }
  lm[QStringLiteral("length")] = m_length->value();
  lm[QStringLiteral("samples")] = m_samples->value();
  lm[QStringLiteral("seed")] = m_seed->value();
  QJsonObject s;
  s[QStringLiteral("tool")] = int(currentTool());
  s[QStringLiteral("presentation")] = m_presentation;
  s[QStringLiteral("worked")] = worked;
  s[QStringLiteral("kl")] = kl;
  s[QStringLiteral("lm")] = lm;
  return s;
}

void ClassroomPage::restoreState(const QJsonObject& s) {
  if (s.isEmpty()) return;
  m_loading = true;
  const QJsonObject worked = s[QStringLiteral("worked")].toObject();
  if (!worked.isEmpty()) {
    m_values->setText(worked[QStringLiteral("values")].toString());
    m_parts->setText(worked[QStringLiteral("parts")].toString());
    if (auto r = parseRounding(worked[QStringLiteral("rounding")].toString().toStdString()))
      m_rounding->setCurrentIndex(m_rounding->findData(int(*r)));
    const QJsonArray params = worked[QStringLiteral("params")].toArray();
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
  }
  const QJsonObject kl = s[QStringLiteral("kl")].toObject();
  if (!kl.isEmpty()) {
    m_p->setText(kl[QStringLiteral("p")].toString());
    m_q->setText(kl[QStringLiteral("q")].toString());
    m_normalize->setChecked(kl[QStringLiteral("normalize")].toBool());
    m_units->setCurrentIndex(kl[QStringLiteral("bits")].toBool() ? 1 : 0);
  }
  const QJsonObject lm = s[QStringLiteral("lm")].toObject();
  if (!lm.isEmpty()) {
    const QJsonObject p = lm[QStringLiteral("p")].toObject(), q = lm[QStringLiteral("q")].toObject();
    if (!p.isEmpty() && !q.isEmpty()) {
      const QString err = m_lmEditor->setModels(
          nlohmann::json::parse(QJsonDocument(p).toJson().toStdString(), nullptr, false),
          nlohmann::json::parse(QJsonDocument(q).toJson().toStdString(), nullptr, false));
      showError(m_lmError, err);
    }
    m_length->setValue(lm[QStringLiteral("length")].toInt(m_length->value()));
    m_samples->setValue(lm[QStringLiteral("samples")].toInt(m_samples->value()));
    m_seed->setValue(lm[QStringLiteral("seed")].toInt(m_seed->value()));
  }
  m_loading = false;
  setCurrentTool(Tool(std::clamp(s[QStringLiteral("tool")].toInt(), 0, 2)));
  setPresentation(s[QStringLiteral("presentation")].toBool());
  recomputeWorked();
  recomputeDivergence();
  startLm();
}

}  // namespace quench::app
