#include "app/gui/classroom_page.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTabBar>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <nlohmann/json.hpp>
#include <qcustomplot.h>

#include <algorithm>

#include "app/gui/classroom_divergence.h"
#include "app/gui/classroom_lm.h"
#include "app/gui/classroom_worked.h"
#include "app/gui/training_tool.h"
#include "core/quant/calibrate.h"
#include "core/quant/worked.h"
#include "widgets/classroom_style.h"
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
  m_worked = new WorkedQuantizationTool(this);
  m_divergence = new DivergenceTool(this);
  m_lm = new ExplicitLmTool(this);
  m_tools->addTab(m_worked, tr("Worked quantization"));
  m_tools->addTab(m_divergence, tr("KL / JS calculator"));
  m_tools->addTab(m_lm, tr("Explicit LM"));
  m_training = new TrainingTool(this);
  m_tools->addTab(m_training, tr("Training"));

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
  for (Tool t : {kWorked, kDivergence, kExplicitLm})
    widgets::installExportMenu(tool(t)->plot(), tool(t)->fileStem() + QStringLiteral(".png"));
#endif

  // First start: one example per tool, so every tool shows something.
  for (Tool t : {kWorked, kDivergence, kExplicitLm}) tool(t)->setLoading(true);
  applyPreset(10);  // coin vs loaded coin (explicit LM)
  applyPreset(6);   // coin vs loaded coin (KL/JS)
  applyPreset(1);   // two parts with saturation
  for (Tool t : {kWorked, kDivergence, kExplicitLm}) {
    tool(t)->setLoading(false);
    tool(t)->recompute();
  }
  m_presets->setCurrentIndex(0);
}

ClassroomPage::~ClassroomPage() = default;

ClassroomTool* ClassroomPage::tool(Tool t) const {
  switch (t) {
    case kWorked: return m_worked;
    case kDivergence: return m_divergence;
    case kExplicitLm: return m_lm;
    case kTraining: return m_training;
  }
  return m_worked;
}

widgets::WorkedQuantizationView* ClassroomPage::workedView() const { return m_worked->view(); }
widgets::DivergenceCalculatorView* ClassroomPage::divergenceView() const { return m_divergence->view(); }
widgets::ExplicitLmEditor* ClassroomPage::lmEditor() const { return m_lm->editor(); }
widgets::LmDivergenceView* ClassroomPage::lmView() const { return m_lm->view(); }

// ---------------------------------------------------------------- the tools' inputs

void ClassroomPage::setWorkedInputs(const QString& values, const QString& parts, Rounding rounding,
                                    const std::vector<PartParams>& params) {
  m_worked->setInputs(values, parts, rounding, params);
}
void ClassroomPage::proposeAbsmax() { m_worked->proposeAbsmax(); }
void ClassroomPage::proposeMinMax() { m_worked->proposeMinMax(); }
void ClassroomPage::proposeEachPart(
    const std::function<Result<PartParams>(int part, std::span<const float> values)>& propose) {
  m_worked->proposeEachPart(propose);
}
QString ClassroomPage::workedCliCommand() const { return m_worked->cliCommand(); }
void ClassroomPage::setPmfInputs(const QString& p, const QString& q, bool normalize, bool bits) {
  m_divergence->setInputs(p, q, normalize, bits);
}
void ClassroomPage::setLmSettings(int length, int maxSamples, quint64 seed) { m_lm->setSettings(length, maxSamples, seed); }
bool ClassroomPage::lmBusy() const { return m_lm->busy(); }

// ---------------------------------------------------------------- presets, tools

QStringList ClassroomPage::presetNames() const {
  QStringList out;
  for (const Preset& p : presets()) out << QString::fromUtf8(p.name);
  return out;
}

bool ClassroomPage::applyPreset(int index) {
  if (index < 0 || index >= int(presets().size())) return false;
  const Preset& pr = presets()[std::size_t(index)];
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
      m_worked->setGridChoice(pr.bits, pr.symmetric);
      m_worked->setInputs(QString::fromUtf8(pr.values), QString::fromUtf8(pr.parts), pr.rounding, params);
      break;
    }
    case kDivergence:
      m_divergence->setInputs(QString::fromUtf8(pr.p), QString::fromUtf8(pr.q), false, pr.bits2);
      break;
    case kExplicitLm:
      m_lm->setModels(nlohmann::json::parse(pr.lmP), nlohmann::json::parse(pr.lmQ), pr.length);
      break;
  }
  setCurrentTool(pr.tool);
  m_presets->setCurrentIndex(index + 1);
  return true;
}

ClassroomPage::Tool ClassroomPage::currentTool() const { return Tool(m_tools->currentIndex()); }
void ClassroomPage::setCurrentTool(Tool tool) { m_tools->setCurrentIndex(int(tool)); }

QString ClassroomPage::inputError(Tool t) const { return tool(t)->inputError(); }

// ---------------------------------------------------------------- presentation, export

void ClassroomPage::setPresentation(bool on) {
  m_presentation = on;
  if (m_presentationButton->isChecked() != on) {
    const QSignalBlocker block(m_presentationButton);
    m_presentationButton->setChecked(on);
  }
  const double scale = on ? widgets::kPresentationScale : 1.0;
  const QFont base = QWidget::font();
  // The page's own bar; each tool scales its inputs and views.
  for (QWidget* w : std::initializer_list<QWidget*>{m_presets, m_presentationButton, m_exportFigure, m_exportTable})
    w->setFont(widgets::scaledFont(base, scale));
  for (QLabel* l : findChildren<QLabel*>(Qt::FindDirectChildrenOnly)) l->setFont(widgets::scaledFont(base, scale));
  m_tools->tabBar()->setFont(widgets::scaledFont(base, scale, true));
  for (Tool t : {kWorked, kDivergence, kExplicitLm, kTraining}) tool(t)->setPresentation(on);
}

QString ClassroomPage::exportFigure(const QString& fileName, widgets::FigurePreset preset) {
  widgets::FigureFormat format;
  if (!widgets::formatFromFileName(fileName, &format))
    return tr("%1: unknown figure format (use .png, .svg or .pdf)").arg(fileName);
  return widgets::exportFigure(*tool(currentTool())->plot(), fileName, format, widgets::presetSize(preset));
}

QString ClassroomPage::exportTable(const QString& fileName) {
  widgets::TableFormat format;
  if (!widgets::tableFormatFromFileName(fileName, &format))
    return tr("%1: unknown table format (use .csv, .md or .tex)").arg(fileName);
  QString error;
  const QString text = tool(currentTool())->tableText(format, &error);
  if (!error.isEmpty()) return error;
  QFile file(fileName);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
    return tr("cannot write %1: %2").arg(fileName, file.errorString());
  const QByteArray bytes = text.toUtf8();
  if (file.write(bytes) != bytes.size()) return tr("cannot write %1: %2").arg(fileName, file.errorString());
  return {};
}

void ClassroomPage::showExportMenu(bool figure) {
  const QString name = tool(currentTool())->fileStem();
#ifdef QUENCH_HAS_EXPORT_DIALOG
  if (figure) {
    widgets::FigureExportDialog::openFor(tool(currentTool())->plot(), name + QStringLiteral(".png"), this);
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
  QJsonObject s;
  s[QStringLiteral("tool")] = int(currentTool());
  s[QStringLiteral("presentation")] = m_presentation;
  s[QStringLiteral("worked")] = m_worked->saveState();
  s[QStringLiteral("kl")] = m_divergence->saveState();
  s[QStringLiteral("lm")] = m_lm->saveState();
  s[QStringLiteral("training")] = m_training->saveState();
  return s;
}

void ClassroomPage::restoreState(const QJsonObject& s) {
  if (s.isEmpty()) return;
  m_worked->restoreState(s[QStringLiteral("worked")].toObject());
  m_divergence->restoreState(s[QStringLiteral("kl")].toObject());
  m_lm->restoreState(s[QStringLiteral("lm")].toObject());
  m_training->restoreState(s[QStringLiteral("training")].toObject());
  setCurrentTool(Tool(std::clamp(s[QStringLiteral("tool")].toInt(), 0, int(kTraining))));
  setPresentation(s[QStringLiteral("presentation")].toBool());
  for (Tool t : {kWorked, kDivergence, kExplicitLm}) tool(t)->recompute();
}

}  // namespace quench::app
